/*
 * 16-lockfree-ring - the copier of 10 with no semaphores: a lock-free ring.
 *
 * Lab 10 counts full and empty slots with two semaphores: every hand-off is
 * a sem_post and, when the other side waits, a sleep and a wake-up in the
 * kernel. Here the server and the client share two counts instead: head
 * (slots filled, stored only by the server) and tail (slots emptied, stored
 * only by the client), each a C11 atomic on a cache line of its own. The
 * ring holds head - tail full slots: the client waits while it is 0, the
 * server while it is SLOTS:
 *   server: wait head - tail < SLOTS, read() into slot i % SLOTS, len = n, head = i + 1
 *   client: wait head != tail, n = len, write() from slot i % SLOTS, tail = i + 1
 * A side that waits spins for --spin microseconds, then sleeps on the count
 * with FUTEX_WAIT (futex.c); the other side makes the FUTEX_WAKE system call
 * only when the sleeper has said it sleeps, so a copy in which neither side
 * waits long makes no system call for its hand-offs at all. head and tail are
 * read from shared memory once, checked (head - tail <= SLOTS) and only the
 * checked copy used. Every wait looks at the peer each 100 ms: a dead one is
 * noticed at once; one silent for -t seconds is given up on, as in lab 10.
 * A second client on the name finds the client's pid taken (it is claimed
 * with a compare-and-swap, as in lab 11) and leaves the name alone.
 * --same-line puts tail on head's cache line, to measure false sharing.
 * pingpong times one byte there and back, five ways (pingpong.c).
 *
 * Calls: shm_open (O_CREAT|O_EXCL, 0600), posix_fallocate, fstat, mmap,
 *        close, atomic_load_explicit, atomic_store_explicit,
 *        atomic_exchange_explicit, atomic_compare_exchange_strong,
 *        syscall (SYS_futex: FUTEX_WAIT, FUTEX_WAKE), sched_yield,
 *        pid_gone (kill (pid, 0), /proc/PID/stat), read, write, shm_unlink;
 *        pingpong: fork, sched_setaffinity, pipe, sem_init, sem_post,
 *        sem_timedwait, getrusage, clock_gettime.
 *
 *   $ bin/16-lockfree-ring server -s 8 in &
 *   $ bin/16-lockfree-ring client out
 *   16-lockfree-ring client: received 1048576 bytes in 16 chunks
 *   16-lockfree-ring server: sent 1048576 bytes in 16 chunks
 *   $ bin/16-lockfree-ring copy -b 4096 -s 16 --spin 0 in out
 *   $ bin/16-lockfree-ring pingpong -c 10000
 */
#include "unpipc.h"
#include "lockfree-ring.h"

#define CHUNK_DEFAULT (64 * 1024) /* -b: bytes per chunk */
#define SLOTS_DEFAULT 4           /* -s: chunks in the ring */
#define SPIN_DEFAULT 50           /* --spin: microseconds a waiter spins before it sleeps */
#define COUNT_DEFAULT 10000       /* pingpong -c: timed round trips per method */

static long spin_us = SPIN_DEFAULT;
static bool same_line;

static _Noreturn void corrupt(const char *what, unsigned long value)
{
	err_quit("corrupt shared header (%s %lu)", what, value);
}

/* What a waiting side watches, once a tick (wait_change calls it). */
struct watch {
	struct shared *sh;
	int peer;               /* COPY_SERVER or COPY_CLIENT: the side we wait for */
	const struct copy_opts *o;
	struct timespec start;  /* when this wait began: -t counts from here */
};

static void look_at_peer(void *arg)
{
	struct watch *w = arg;
	pid_t pid = atomic_load_explicit(&w->sh->pid[w->peer], memory_order_relaxed); /* a number,
			  * not a publication: nothing is read because of it */
	if (pid < 0)
		corrupt("pid", (unsigned long)pid);
	if (pid > 0 && pid_gone(pid)) /* a zombie too: its parent may reap it late */
		err_quit("the %s (pid %ld) died", copy_role_name(w->peer), (long)pid);
	if (ms_since(&w->start) > w->o->timeout * 1000)
		err_quit("no word from the %s for %ld s", copy_role_name(w->peer), w->o->timeout);
}

/* Wait until ix is no longer `seen`, watching the peer. */
static uint32_t wait_for(struct index *ix, uint32_t seen, struct shared *sh, int peer,
			 const struct copy_opts *o)
{
	struct watch w = {.sh = sh, .peer = peer, .o = o};
	clock_gettime(CLOCK_MONOTONIC, &w.start);
	return wait_change(ix, seen, spin_us, look_at_peer, &w);
}

/* The client's polls while the server sets up: 10 ms naps, up to -t seconds. */
static void nap_or_give_up(const struct timespec *start, const struct copy_opts *o, const char *what)
{
	if (ms_since(start) > o->timeout * 1000)
		err_quit("%s within %ld s", what, o->timeout);
	nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
}

static void server(const struct copy_opts *o)
{
	struct copy_file in;
	size_t size = COPY_DATA + (size_t)o->chunk * (size_t)o->slots;
	uint32_t slots = (uint32_t)o->slots;
	long long bytes = 0, chunks = 0;

	copy_role(COPY_SERVER);
	open_input(&in, o->input); /* first: a missing INPUT makes no object */
	hold_signals(true);
	int fd = Shm_open(o->name, O_RDWR | O_CREAT | O_EXCL, FILE_MODE);
	at_exit_shm_unlink(o->name); /* removed on every way out */
	hold_signals(false);
	Posix_fallocate(fd, 0, (off_t)size); /* all of it now: ENOSPC here, not SIGBUS later */
	struct shared *sh = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);
	sigbus_means("the shared object was truncated (by another process?)");
	char *data = (char *)sh + COPY_DATA;
	sh->mode = (uint32_t)in.mode;
	sh->chunk = (uint32_t)o->chunk;
	sh->slots = slots;
	sh->same_line = same_line;
	sh->pid[COPY_SERVER] = getpid();
	struct index *head = &sh->line[0][0], *tail = same_line ? &sh->line[0][1] : &sh->line[1][0];
	sh->ready = READY; /* last (seq_cst, so also a release): now the client may look */

	uint32_t t = 0; /* the tail we last saw */
	for (size_t i = 0;; i++) {
		uint32_t h = (uint32_t)i; /* head as we stored it: nobody else stores it */
		char *slot = data + i % slots * o->chunk;
		/* acquire: pairs with the client's store of tail in advance(): the
		 * slots it gave back are written out before we read() into them */
		t = atomic_load_explicit(&tail->at, memory_order_acquire);
		while (h - t == slots) /* full: wait for the client to empty one */
			t = wait_for(tail, t, sh, COPY_CLIENT, o);
		if (h - t > slots) /* untrusted: checked, then only our own h and i used */
			corrupt("tail", t);
		ssize_t n = read(in.fd, slot, (size_t)o->chunk); /* straight into it */
		if (n == -1)
			err_sys("read %s", in.path);
		sh->len[i % slots] = (uint32_t)n;
		advance(head, h + 1); /* "one more full, n bytes": publishes len and the slot */
		if (n == 0)
			break; /* that was end of file */
		bytes += n;
		chunks++;
		progress(&in, bytes);
	}
	progress(&in, -1);
	wait_for(&sh->done, 0, sh, COPY_CLIENT, o); /* the client has finished OUTPUT */
	Shm_unlink(o->name);
	fprintf(stderr, "%s: sent %lld bytes in %lld chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
}

static void client(const struct copy_opts *o, struct copy_file *out)
{
	struct timespec start;
	struct stat st;
	int fd;
	long long bytes = 0, chunks = 0;

	copy_role(COPY_CLIENT);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((fd = shm_open(o->name, O_RDWR, 0)) == -1) { /* the server may not be up yet */
		if (errno == EACCES)
			check_shm_name(o->name); /* someone else's? */
		if (errno != ENOENT)
			err_sys("shm_open %s", o->name);
		nap_or_give_up(&start, o, "no server came");
	}
	Fstat(fd, &st);
	check_owner(o->name, st.st_uid, st.st_mode); /* ours, 0600: or it may be a trap */
	for (; st.st_size < (off_t)COPY_DATA; Fstat(fd, &st))
		nap_or_give_up(&start, o, "the server did not size the object"); /* a 0-byte object: SIGBUS */
	size_t size = (size_t)st.st_size;
	struct shared *sh = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);
	sigbus_means("the shared object was truncated (by another process?)");
	while (sh->ready != READY)
		nap_or_give_up(&start, o, "the server did not make the object ready");
	uint32_t chunk = sh->chunk, slots = sh->slots, line = sh->same_line; /* read once, checked */
	if (chunk < 1 || slots < 1 || slots > SLOTS_MAX || COPY_DATA + (size_t)chunk * slots > size)
		err_quit("corrupt shared header (%lu slots of %lu bytes in %zu bytes)",
			 (unsigned long)slots, (unsigned long)chunk, size);
	if (line > 1)
		corrupt("same_line", line);
	pid_t nobody = 0;
	hold_signals(true); /* claimed and registered, or neither */
	/* One client a copy: a second finds the place taken and leaves without
	 * registering the name, which is the running copy's. (seq_cst, the
	 * default: made once a copy, it publishes nothing and costs nothing.) */
	if (!atomic_compare_exchange_strong(&sh->pid[COPY_CLIENT], &nobody, getpid()))
		err_quit("name '%s' is in use (%s)", o->label, o->name);
	at_exit_shm_unlink(o->name); /* joined: if we fail, the name goes with us */
	hold_signals(false); /* now the server can watch us */
	char *data = (char *)sh + COPY_DATA;
	struct index *head = &sh->line[0][0], *tail = line ? &sh->line[0][1] : &sh->line[1][0];
	if (out->fd == -1) /* the copy subcommand made it already */
		open_output(out, o->output);

	uint32_t h = 0; /* the head we last saw */
	for (size_t i = 0;; i++) {
		uint32_t t = (uint32_t)i; /* tail as we stored it */
		char *slot = data + i % slots * chunk;
		/* acquire: pairs with the server's store of head in advance(): the
		 * slot and its len are written before we read them */
		h = atomic_load_explicit(&head->at, memory_order_acquire);
		while (h == t) /* empty: wait for the server to fill one */
			h = wait_for(head, h, sh, COPY_SERVER, o);
		if (h - t > slots) /* untrusted: read once, checked, then only i used */
			corrupt("head", h);
		uint32_t n = sh->len[i % slots]; /* untrusted too: read once, check, use the copy */
		if (n > chunk)
			corrupt("len", n);
		if (n == 0)
			break;
		for (uint32_t put = 0; put < n;) {      /* write() straight from the slot; */
			ssize_t w = write(out->fd, slot + put, n - put); /* it may take less */
			if (w == -1)
				err_sys("write %s", out->path);
			put += (uint32_t)w;
		}
		advance(tail, t + 1); /* "one more empty": we have read all of it */
		bytes += n;
		chunks++;
	}
	commit_output(out, sh->mode); /* the temp file becomes OUTPUT */
	fprintf(stderr, "%s: received %lld bytes in %lld chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
	at_exit_forget(o->name); /* the server removes it now */
	advance(&sh->done, 1);   /* then the server may say "sent" */
}

int main(int argc, char **argv)
{
	struct copy_opts o;
	struct copy_file out = {.fd = -1};

	prog_init(argv, "server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] [--spin US] "
			"[--same-line] INPUT | client [-n NAME] [-t SECONDS] [--spin US] OUTPUT | "
			"copy [-b BYTES] [-s SLOTS] [-t SECONDS] [--spin US] [--same-line] INPUT OUTPUT | "
			"pingpong [-c COUNT] [--spin US] [METHOD]");
	if (argc < 2)
		usage_error("missing subcommand: server, client, copy or pingpong");
	/* The options lab 10 has not come out first. They follow the subcommand:
	 * sub is its argv, its name where a program's argv has the program's, so
	 * that take_value and take_flag look only after it. */
	char **sub = argv + 1;
	int nsub = argc - 1;
	const char *spin = take_value(&nsub, sub, "--spin");
	if (spin != NULL)
		spin_us = parse_count(spin, "MICROSECONDS", 0, 1000000);
	if (strcmp(sub[0], "pingpong") == 0) {
		const char *count = take_value(&nsub, sub, "-c");
		char **extra = sub + 1 + (nsub > 1 && strcmp(sub[1], "--") == 0); /* past a "--" */
		if (*extra != NULL && extra[1] != NULL) /* one METHOD at most */
			usage_error("unexpected argument '%s' for pingpong", extra[1]);
		futex_check();
		pingpong(count != NULL ? parse_count(count, "COUNT", 1, 10000000) : COUNT_DEFAULT,
			 spin_us, *extra);
		return 0;
	}
	if (strcmp(sub[0], "client") != 0) /* the client finds it in the shared object */
		same_line = take_flag(&nsub, sub, "--same-line");
	parse_copy_args(nsub + 1, argv, &o, CHUNK_DEFAULT, SLOTS_DEFAULT, SLOTS_MAX);
	futex_check(); /* ENOSYS: exit 1 now, not halfway through a copy */
	if (o.role == COPY_SERVER)
		server(&o);
	else if (o.role == COPY_CLIENT)
		client(&o, &out);
	else
		copy_both(&o, server, client); /* fork a server and a client, wait for both */
	return 0;
}
