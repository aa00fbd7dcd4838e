/*
 * 11-robust-copy - the copier of 10 that survives its peer.
 *
 * Lab 10 trusts its peer: to start second if it is the client, to stay, and
 * to write sane values. A killed peer is noticed only after -t seconds of
 * silence, and only the client claims its role (a flag: taken, by nobody
 * knows whom), because only the server may create the object.
 * Here the shared header (robust-copy.h) carries what it takes not to trust:
 *   - meeting: either may start first. Both try O_CREAT|O_EXCL; the winner
 *     sizes the object, fills in the header, claims its role and stores MAGIC
 *     last. The other waits for the size and the mark, checks them, and claims
 *     its role with a compare-and-swap on pid[role]: a role already taken
 *     means "in use", and it leaves without touching anything. Each side then
 *     posts its here[] and waits for the other's.
 *   - liveness: every wait is a 100 ms sem_timedwait; each time it runs out
 *     the peer is checked: state ABORTED (it stopped on an error or a signal:
 *     every early exit marks it so), or its pid gone: no such process, or
 *     a zombie nobody has reaped yet (it was killed outright: pid_gone()
 *     asks kill(pid, 0) and /proc). A dead peer is noticed within a tick or two.
 *   - untrusted header: every field the peer writes is copied once, checked,
 *     and only the copy used: "corrupt shared header (FIELD VALUE)", exit 1.
 *   - cleanup: each side registers the name as soon as it holds a role, so
 *     whichever stops early removes it; on success the client removes it,
 *     then posts done, and only then does the server say it succeeded.
 *
 * Calls: shm_open (O_CREAT|O_EXCL, 0600), posix_fallocate, fstat, mmap,
 *        munmap, close, sem_init (pshared=1), sem_timedwait, sem_post,
 *        atomic_compare_exchange_strong, pid_gone (kill (pid, 0) and
 *        /proc/PID/stat), read, write, shm_unlink.
 *
 *   $ bin/11-robust-copy client out &     # the client may come first
 *   $ bin/11-robust-copy server in
 *   11-robust-copy client: received 1048576 bytes in 16 chunks
 *   11-robust-copy server: sent 1048576 bytes in 16 chunks
 *   $ bin/11-robust-copy server in &      # then kill -9 it mid-copy:
 *   $ bin/11-robust-copy client out
 *   11-robust-copy client: the server (pid 4242) died
 */
#include "unpipc.h"
#include "robust-copy.h"

#define CHUNK_DEFAULT (64 * 1024) /* -b: bytes per chunk */
#define SLOTS_DEFAULT 4           /* -s: chunks in the ring */
#define TICK_MS 100               /* how often a waiting side looks at its peer */

/* One side's own view of the copy: checked copies, never read again from
 * the shared header. */
struct end {
	struct shared *sh;      /* our mapping: the header, then the ring */
	char *data;             /* the first slot */
	size_t chunk, slots;    /* the server's from -b/-s; the client's from the header, checked */
	size_t size;            /* bytes mapped */
	int me, fd;             /* COPY_SERVER or COPY_CLIENT; the object, until we have met */
	pid_t peer;             /* the other side, once known */
	bool meeting;           /* still waiting for the peer to come: -t applies */
	int grace;              /* ticks seen with state DONE: a posted done comes within one */
	struct timespec start;  /* when we began, for -t */
	const struct copy_opts *o;
};

/* ---- stopping early: tell the peer ---- */

/* volatile: mark_aborted reads both from a signal handler */
static struct shared *volatile active; /* the object we hold a role in, while mapped */
static volatile sig_atomic_t finished; /* the end handshake is done */

/* Registered with at_exit_call, so it runs on exit() (every err_*) and in
 * the handler of SIGINT/SIGTERM/SIGHUP: the peer sees ABORTED at its next
 * tick instead of waiting on a semaphore nobody will post. An atomic store is
 * async-signal-safe. */
static void mark_aborted(void)
{
	if (active != NULL && !finished)
		active->state = ABORTED;
}

static _Noreturn void corrupt(const char *what, long long value)
{
	err_quit("corrupt shared header (%s %lld)", what, value);
}

static bool past_timeout(const struct end *e)
{
	return ms_since(&e->start) > e->o->timeout * 1000;
}

static void nap(void)
{
	nanosleep(&(struct timespec){0, 1000000}, NULL); /* 1 ms */
}

/* ---- the peer ---- */

/* A tick went by without the semaphore: is the copy still on? */
static void check_peer(struct end *e)
{
	int peer = 1 - e->me;
	int state = e->sh->state; /* copied once */

	if (state == ABORTED)
		err_quit("the %s stopped", copy_role_name(peer));
	if (state < WAITING || state > ABORTED)
		corrupt("state", state);
	if (state == DONE && e->grace++ == 0)
		return; /* the client finished and posts done next, then exits: one more tick */
	if (e->peer == 0) { /* not met yet: has it claimed its role? */
		pid_t pid = e->sh->pid[peer];
		if (pid < 0)
			corrupt("pid", pid);
		e->peer = pid;
	}
	if (e->peer > 0 && pid_gone(e->peer)) /* a zombie too: its parent may reap it late */
		err_quit("the %s (pid %ld) died", copy_role_name(peer), (long)e->peer);
	if (e->meeting && past_timeout(e))
		err_quit("no %s came within %ld s", copy_role_name(peer), e->o->timeout);
}

/* sem_wait that gives up when the peer is gone: a look at it every tick. */
static void wait_for(struct end *e, sem_t *sem)
{
	while (!Sem_timedwait(sem, TICK_MS))
		check_peer(e);
}

/* ---- the meeting ---- */

/* The creator: size, fill in, claim our role, then the ready mark. */
static void create(struct end *e)
{
	Posix_fallocate(e->fd, 0, (off_t)e->size); /* all of it now: ENOSPC here, not SIGBUS later */
	struct shared *sh = e->sh = Mmap(NULL, e->size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	sh->chunk = (uint32_t)e->chunk; /* 0 if we are the client: the server will say */
	sh->slots = (uint32_t)e->slots;
	sh->state = WAITING;
	Sem_init(&sh->here[COPY_SERVER], 1, 0);
	Sem_init(&sh->here[COPY_CLIENT], 1, 0);
	Sem_init(&sh->done, 1, 0);
	sh->pid[e->me] = getpid();
	active = sh;
	sh->magic = MAGIC; /* last: now the other side may look */
}

/* The other side: wait for the size and the ready mark, check, claim. */
static void join(struct end *e)
{
	struct stat st;
	uint32_t magic;

	Fstat(e->fd, &st);
	check_owner(e->o->name, st.st_uid, st.st_mode); /* ours, 0600: or it may be a trap */
	for (; st.st_size < (off_t)COPY_DATA; Fstat(e->fd, &st)) {
		if (past_timeout(e)) /* the creator sizes it first thing: not one of ours */
			corrupt("size", (long long)st.st_size);
		nap(); /* mapped before it has a size, the first load would be SIGBUS */
	}
	e->sh = Mmap(NULL, COPY_DATA, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	while ((magic = e->sh->magic) == 0) {
		if (past_timeout(e))
			err_quit("%s was never made ready (waited %ld s)", e->o->name, e->o->timeout);
		nap();
	}
	if (magic != MAGIC)
		corrupt("magic", magic);
	int state = e->sh->state;
	if (state < WAITING || state > ABORTED)
		corrupt("state", state);
	pid_t free_slot = 0;
	hold_signals(true); /* claimed and registered, or neither */
	if (state != WAITING ||
	    !atomic_compare_exchange_strong(&e->sh->pid[e->me], &free_slot, getpid()))
		err_quit("name '%s' is in use (%s)", e->o->label, e->o->name); /* nothing touched */
	at_exit_shm_unlink(e->o->name);
	hold_signals(false);
	active = e->sh;
	e->size = COPY_DATA;
	if (e->me == COPY_SERVER) { /* the client made it: give it room for the ring */
		size_t size = COPY_DATA + e->chunk * e->slots;
		Posix_fallocate(e->fd, 0, (off_t)size);
		active = NULL; /* while the mapping moves */
		Munmap(e->sh, e->size);
		e->sh = active = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
		e->size = size;
		e->sh->chunk = (uint32_t)e->chunk;
		e->sh->slots = (uint32_t)e->slots;
	}
}

/* Get the object NAME, whoever comes first, and take our role in it. The
 * server's mapping covers the ring at once; the client's, after meet(). */
static void attach(struct end *e, const struct copy_opts *o, int me)
{
	*e = (struct end){.me = me, .fd = -1, .o = o};
	clock_gettime(CLOCK_MONOTONIC, &e->start);
	if (me == COPY_SERVER) {
		e->chunk = (size_t)o->chunk;
		e->slots = (size_t)o->slots;
	}
	e->size = COPY_DATA + e->chunk * e->slots;
	at_exit_call(mark_aborted);
	for (;;) {
		hold_signals(true);
		e->fd = shm_open(o->name, O_RDWR | O_CREAT | O_EXCL, FILE_MODE);
		if (e->fd != -1) {
			at_exit_shm_unlink(o->name);
			hold_signals(false);
			create(e);
			break;
		}
		hold_signals(false);
		if (errno != EEXIST)
			err_sys("shm_open %s", o->name);
		e->fd = shm_open(o->name, O_RDWR, 0);
		if (e->fd != -1) {
			join(e);
			break;
		}
		if (errno == EACCES)
			check_shm_name(o->name); /* someone else's? */
		if (errno != ENOENT)
			err_sys("shm_open %s", o->name);
		/* removed between our two calls: try again */
	}
	e->data = (char *)e->sh + COPY_DATA;
	sigbus_means("the shared object was truncated (by another process?)");
}

/* The client, once met: the server has said chunk and slots. Check them
 * against the object's real size before mapping a byte of the ring. */
static void map_ring(struct end *e)
{
	struct stat st;
	uint32_t chunk = e->sh->chunk, slots = e->sh->slots; /* copied once */

	if (chunk < 1 || chunk > COPY_CHUNK_MAX)
		corrupt("chunk", chunk);
	if (slots < 1 || slots > SLOTS_MAX)
		corrupt("slots", slots);
	size_t size = COPY_DATA + (size_t)chunk * slots;
	Fstat(e->fd, &st);
	if (st.st_size < (off_t)size)
		corrupt("size", (long long)st.st_size);
	active = NULL; /* while the mapping moves */
	Munmap(e->sh, e->size);
	e->sh = active = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	e->size = size;
	e->chunk = chunk;
	e->slots = slots;
	e->data = (char *)e->sh + COPY_DATA;
}

/* Say we are set up, and wait (up to -t seconds from the start) for the
 * peer to say so too. Afterwards e->sh is where the client's object is. */
static void meet(struct end *e)
{
	int peer = 1 - e->me;

	Sem_post(&e->sh->here[e->me]);
	e->meeting = true;
	wait_for(e, &e->sh->here[peer]);
	e->meeting = false;
	pid_t pid = e->sh->pid[peer]; /* copied once: the pid we watch from now on */
	if (pid <= 0)
		corrupt("pid", pid);
	e->peer = pid;
	int state = WAITING;
	if (!atomic_compare_exchange_strong(&e->sh->state, &state, RUNNING) && state != RUNNING) {
		check_peer(e); /* ABORTED: it stopped */
		corrupt("state", state);
	}
	if (e->me == COPY_CLIENT)
		map_ring(e);
	Close(e->fd);
}

/* The end: the client has removed the name and renamed OUTPUT; it tells
 * the server, which waits for that before it says it succeeded. */
static void finish(struct end *e)
{
	if (e->me == COPY_CLIENT) {
		e->sh->state = DONE;
		finished = 1;
		Sem_post(&e->sh->done);
	} else {
		wait_for(e, &e->sh->done);
		at_exit_forget(e->o->name); /* the client removed it */
		finished = 1;
	}
}

/* ---- the copy: lab 10's ring, with waits that watch the peer ---- */

static void server(const struct copy_opts *o)
{
	struct end e;
	struct copy_file in;
	long long bytes = 0, chunks = 0;

	copy_role(COPY_SERVER);
	attach(&e, o, COPY_SERVER);
	open_input(&in, o->input); /* a failure here stops the waiting client too */
	struct shared *sh = e.sh;
	sh->mode = (uint32_t)in.mode;
	Sem_init(&sh->nempty, 1, (unsigned)e.slots); /* every slot starts empty */
	Sem_init(&sh->nfull, 1, 0);
	meet(&e);

	for (size_t i = 0;; i++) {
		char *slot = e.data + i % e.slots * e.chunk;
		wait_for(&e, &sh->nempty);                 /* a slot is ours */
		ssize_t n = read(in.fd, slot, e.chunk);    /* straight into it */
		if (n == -1)
			err_sys("read %s", in.path);
		bytes += n;
		progress(&in, n > 0 ? bytes : -1); /* erased before the client can print */
		sh->len[i % e.slots] = (uint32_t)n;
		Sem_post(&sh->nfull);                      /* "one more full, n bytes" */
		if (n == 0)
			break;                             /* that was end of file */
		chunks++;
	}
	finish(&e); /* wait for the client to finish OUTPUT */
	fprintf(stderr, "%s: sent %lld bytes in %lld chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
}

static void client(const struct copy_opts *o, struct copy_file *out)
{
	struct end e;
	long long bytes = 0, chunks = 0;

	copy_role(COPY_CLIENT);
	attach(&e, o, COPY_CLIENT);
	if (out->fd == -1) /* the copy subcommand made it already */
		open_output(out, o->output);
	meet(&e);
	struct shared *sh = e.sh; /* only now: meet() moved the client's mapping */

	for (size_t i = 0;; i++) {
		char *slot = e.data + i % e.slots * e.chunk;
		wait_for(&e, &sh->nfull);          /* a slot is ours */
		uint32_t n = sh->len[i % e.slots]; /* untrusted: read once, check, use the copy */
		if (n > e.chunk)
			corrupt("len", n);
		if (n == 0)
			break;
		for (uint32_t put = 0; put < n;) {      /* write() straight from the slot; */
			ssize_t w = write(out->fd, slot + put, n - put); /* it may take less */
			if (w == -1)
				err_sys("write %s", out->path);
			put += (uint32_t)w;
		}
		Sem_post(&sh->nempty);             /* "one more empty" */
		bytes += n;
		chunks++;
	}
	if (shm_unlink(o->name) == -1 && errno != ENOENT) /* the client removes the name */
		err_sys("shm_unlink %s", o->name);
	at_exit_forget(o->name);
	commit_output(out, sh->mode); /* the temp file becomes OUTPUT: the last step that can fail */
	fprintf(stderr, "%s: received %lld bytes in %lld chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
	finish(&e); /* then the server may say "sent" */
}

int main(int argc, char **argv)
{
	struct copy_opts o;
	struct copy_file out = {.fd = -1};

	prog_init(argv, "server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT | "
			"client [-n NAME] [-t SECONDS] OUTPUT | "
			"copy [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT OUTPUT");
	parse_copy_args(argc, argv, &o, CHUNK_DEFAULT, SLOTS_DEFAULT, SLOTS_MAX);
	if (o.role == COPY_SERVER)
		server(&o);
	else if (o.role == COPY_CLIENT)
		client(&o, &out);
	else
		copy_both(&o, server, client); /* fork a server and a client, wait for both */
	return 0;
}
