/* copier.c - what the shared-memory copiers (09, 10) share: everything but
 * the copy loop.
 *
 * A server (reads INPUT) and a client (writes OUTPUT) meet through one POSIX
 * shared memory object: a struct copy_header, the lab's own fields, then the
 * data buffers. Either may start first:
 *   - both try shm_open(O_CREAT|O_EXCL); the winner (the creator) sizes and
 *     fills the header, claims its role and writes magic last: the ready mark.
 *     The other opens the object, waits for the mark, checks it, and claims
 *     the other role with a compare-and-swap on its pid slot. A role already
 *     taken means a copy is running: "name is in use", and we leave.
 *   - the server sizes the object for chunk x slots (it alone knows them) and
 *     sets up its semaphores; each side then posts its here[] and waits (up to
 *     -t seconds) for the other's. Now the client maps the buffers.
 * Liveness: every wait is a sem_timedwait() of TICK_MS; each time it runs out
 * we look at the peer: state ABORTED (it stopped on an error or a signal), or
 * kill(pid, 0) failing with ESRCH (it was killed outright, e.g. SIGKILL).
 * A zombie still passes kill(pid, 0): whoever forks the roles must reap them
 * at once (copy_both does).
 * Cleanup protocol (who removes what):
 *   - the name: each side registers it with at_exit_shm_unlink as soon as it
 *     holds a role, so whichever stops early removes it (a second unlink just
 *     finds it gone). On success the client removes it after the last chunk,
 *     then posts done; the server, woken by done, forgets it.
 *   - the memory: freed by the kernel when both have unmapped it (at exit).
 *   - the semaphores live inside the object: nothing to remove.
 *   - OUTPUT's temp file: registered when made, renamed to OUTPUT at the end
 *     and forgotten. In the copy subcommand the parent makes it, so the parent
 *     removes it even if the client is killed. */
#include "unpipc.h"

#include <stdatomic.h>

#define TICK_MS 100                      /* a dead or stopped peer is noticed within one tick */
#define COPY_ALIGN 4096                  /* the data starts on a page of its own */
#define COPY_RING_MAX (1024L * 1024 * 1024) /* chunk x slots: at most 1 GiB of shared memory */

static const char *const role_name[2] = {"server", "client"};

/* ---- options ---- */

void parse_copy_args(int argc, char **argv, struct copy_opts *o, long chunk, long slots,
		     long slots_max)
{
	static char private_label[32];
	const char *opts;
	int npaths, c;

	*o = (struct copy_opts){.chunk = chunk, .slots = slots, .slots_max = slots_max,
				.timeout = 10, .label = "copy"};
	if (argc < 2)
		usage_error("missing subcommand: server, client or copy");
	if (strcmp(argv[1], "server") == 0) {
		o->role = COPY_SERVER, npaths = 1, opts = slots_max > 1 ? ":n:b:s:t:" : ":n:b:t:";
	} else if (strcmp(argv[1], "client") == 0) {
		o->role = COPY_CLIENT, npaths = 1, opts = ":n:t:";
	} else if (strcmp(argv[1], "copy") == 0) {
		o->role = COPY_BOTH, npaths = 2, opts = slots_max > 1 ? ":b:s:" : ":b:";
	} else {
		usage_error("unknown subcommand '%s' (want server, client or copy)", argv[1]);
	}
	opterr = 0; /* we say what is wrong ourselves */
	while ((c = getopt(argc - 1, argv + 1, opts)) != -1) {
		switch (c) {
		case 'n': o->label = optarg; break;
		case 'b': o->chunk = parse_count(optarg, "BYTES", 1, COPY_CHUNK_MAX); break;
		case 's': o->slots = parse_count(optarg, "SLOTS", 1, slots_max); break;
		case 't': o->timeout = parse_count(optarg, "SECONDS", 1, 3600); break;
		case ':': usage_error("option -%c needs a value", optopt);
		default: usage_error("unknown option '-%c' for %s", optopt, argv[1]);
		}
	}
	char **paths = argv + 1 + optind;
	int n = argc - 1 - optind;
	if (n < npaths)
		usage_error("missing %s", o->role == COPY_CLIENT ? "OUTPUT" : n == 0 ? "INPUT" : "OUTPUT");
	if (n > npaths)
		usage_error("unexpected argument '%s'", paths[npaths]);
	o->input = o->role == COPY_CLIENT ? NULL : paths[0];
	o->output = o->role == COPY_SERVER ? NULL : paths[npaths - 1];
	if ((long long)o->chunk * o->slots > COPY_RING_MAX)
		usage_error("%ld slots of %ld bytes is more than 1 GiB of shared memory", o->slots, o->chunk);
	if (o->role == COPY_BOTH) { /* a name of its own, so copies never meet */
		snprintf(private_label, sizeof private_label, "copy-%ld", (long)getpid());
		o->label = private_label;
	}
	ipc_name(o->name, sizeof o->name, o->label);
}

/* From here on, messages say which side speaks: "09-shm-copy client: ...". */
void copy_role(int role)
{
	static char name[128];
	char *argv[] = {name, NULL};

	snprintf(name, sizeof name, "%s %s", prog_name(), role_name[role]);
	prog_init(argv, ""); /* only renames: there are no options left to see */
}

/* ---- stopping early: tell the peer ---- */

static struct copy_header *volatile active; /* the header we hold a role in */
static volatile sig_atomic_t finished;       /* the end handshake is done */
static const int stop_signals[3] = {SIGINT, SIGTERM, SIGHUP};

/* Any early exit (err_*(), a signal) marks the copy ABORTED, so that the peer
 * stops at its next tick instead of waiting on a semaphore nobody will post.
 * An atomic store is async-signal-safe. */
static void mark_aborted(void)
{
	if (active != NULL && !finished)
		active->state = COPY_ABORTED;
}

static void watch_exits(struct copy_header *h)
{
	static bool installed;

	active = h;
	if (!installed)
		at_exit_call(mark_aborted); /* on exit() and on SIGINT/SIGTERM/SIGHUP */
	installed = true;
}

/* Between making something and registering it for removal, a signal would
 * leave it behind: hold SIGINT/SIGTERM/SIGHUP over that gap (they are
 * delivered, with the entry in place, when let go). */
static void hold_signals(bool hold)
{
	sigset_t set;
	sigemptyset(&set);
	for (int i = 0; i < 3; i++)
		sigaddset(&set, stop_signals[i]);
	sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

_Noreturn void copy_corrupt(const char *what, long long value)
{
	err_quit("corrupt shared header (%s %lld)", what, value);
}

/* ---- time ---- */

static void after_ms(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_REALTIME, t); /* sem_timedwait() counts on CLOCK_REALTIME */
	t->tv_sec += ms / 1000;
	t->tv_nsec += ms % 1000 * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

static bool past(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void nap(void)
{
	struct timespec ms = {0, 1000000};
	nanosleep(&ms, NULL);
}

/* ---- the peer ---- */

/* One tick went by without the semaphore: is the copy still on? */
static void check_peer(struct copy_end *e)
{
	int peer = 1 - e->me;
	int state = e->h->state; /* copied once */

	if (state == COPY_ABORTED)
		err_quit("the %s stopped", role_name[peer]);
	if (state < COPY_WAITING || state > COPY_ABORTED)
		copy_corrupt("state", state);
	if (e->peer == 0) { /* not met yet: has it claimed its role? */
		pid_t pid = e->h->pid[peer];
		if (pid < 0)
			copy_corrupt("pid", pid);
		e->peer = pid;
	}
	if (e->peer > 0 && kill(e->peer, 0) == -1 && errno == ESRCH)
		err_quit("the %s (pid %ld) died", role_name[peer], (long)e->peer);
	if (e->meeting && past(&e->deadline))
		err_quit("no %s came within %ld s", role_name[peer], e->o->timeout);
}

/* sem_wait that gives up when the peer is gone: every TICK_MS without the
 * semaphore, check on the peer. */
void copy_wait(struct copy_end *e, sem_t *sem)
{
	struct timespec tick;

	for (;;) {
		after_ms(&tick, TICK_MS);
		if (sem_timedwait(sem, &tick) == 0)
			return;
		if (errno == ETIMEDOUT)
			check_peer(e);
		else if (errno != EINTR)
			err_sys("sem_timedwait");
	}
}

/* ---- the rendezvous ---- */

static size_t data_offset(size_t ctl_size)
{
	return (ctl_size + COPY_ALIGN - 1) / COPY_ALIGN * COPY_ALIGN;
}

/* Give the object its size, with the memory reserved now: on a full /dev/shm
 * we get ENOSPC here rather than SIGBUS on first touch. */
static void size_object(struct copy_end *e, size_t size)
{
	int err = posix_fallocate(e->fd, 0, (off_t)size);
	if (err == EINVAL || err == EOPNOTSUPP) { /* not every system can: size it only */
		Ftruncate(e->fd, (off_t)size);
	} else if (err != 0) {
		errno = err;
		err_sys("posix_fallocate %zu bytes for %s", size, e->o->name);
	}
}

static _Noreturn void in_use(const struct copy_end *e)
{
	err_quit("name '%s' is in use (%s)", e->o->label, e->o->name);
}

/* The creator: size, fill in, claim our role, then the ready mark. */
static void create(struct copy_end *e, unsigned version)
{
	struct copy_header *h;

	size_object(e, e->size);
	h = e->h = Mmap(NULL, e->size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	h->version = version;
	h->chunk = e->me == COPY_SERVER ? (uint32_t)e->chunk : 0;
	h->slots = e->me == COPY_SERVER ? (uint32_t)e->slots : 0;
	h->state = COPY_WAITING;
	h->pid[COPY_SERVER] = h->pid[COPY_CLIENT] = 0;
	Sem_init(&h->here[COPY_SERVER], 1, 0);
	Sem_init(&h->here[COPY_CLIENT], 1, 0);
	Sem_init(&h->done, 1, 0);
	h->pid[e->me] = getpid();
	watch_exits(h);
	h->magic = COPY_MAGIC; /* last: now the other side may look */
}

/* The other side: wait for the size and the ready mark, check, claim. */
static void join(struct copy_end *e, unsigned version)
{
	struct stat st;
	uint32_t magic;

	for (Fstat(e->fd, &st); st.st_size < (off_t)e->ctl_size; Fstat(e->fd, &st)) {
		if (past(&e->deadline)) /* the creator sizes it first thing: this is not one of ours */
			copy_corrupt("size", (long long)st.st_size);
		nap();
	}
	e->h = Mmap(NULL, e->ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	e->size = e->ctl_size;
	while ((magic = e->h->magic) == 0) {
		if (past(&e->deadline))
			err_quit("%s was never made ready (waited %ld s)", e->o->name, e->o->timeout);
		nap();
	}
	if (magic != COPY_MAGIC)
		copy_corrupt("magic", magic);
	uint32_t v = e->h->version;
	if (v != version)
		copy_corrupt("version", v);
	int state = e->h->state;
	if (state < COPY_WAITING || state > COPY_ABORTED)
		copy_corrupt("state", state);
	pid_t free_slot = 0;
	hold_signals(true);
	if (state != COPY_WAITING ||
	    !atomic_compare_exchange_strong(&e->h->pid[e->me], &free_slot, getpid()))
		in_use(e); /* without touching anything */
	at_exit_shm_unlink(e->o->name);
	hold_signals(false);
	watch_exits(e->h);
	if (e->me == COPY_SERVER) { /* the client made it: give it room for the buffers */
		size_t size = data_offset(e->ctl_size) + e->chunk * e->slots;
		size_object(e, size);
		active = NULL; /* the next few lines swap the mapping */
		Munmap(e->h, e->size);
		e->h = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
		e->size = size;
		watch_exits(e->h);
		e->h->chunk = (uint32_t)e->chunk;
		e->h->slots = (uint32_t)e->slots;
	}
}

/* Get the object NAME, whoever comes first, and take our role in it. The
 * server's mapping then covers its buffers (at e->data); the client maps them
 * in copy_start(), once it knows their size. Returns the lab's struct. */
void *copy_attach(struct copy_end *e, const struct copy_opts *o, int role, size_t ctl_size,
		  unsigned version)
{
	*e = (struct copy_end){.me = role, .o = o, .ctl_size = ctl_size, .fd = -1};
	after_ms(&e->deadline, o->timeout * 1000);
	if (role == COPY_SERVER) {
		e->chunk = (size_t)o->chunk;
		e->slots = (size_t)o->slots;
	}
	e->size = role == COPY_SERVER ? data_offset(ctl_size) + e->chunk * e->slots : ctl_size;
	for (;;) {
		hold_signals(true);
		e->fd = shm_open(o->name, O_RDWR | O_CREAT | O_EXCL, FILE_MODE);
		if (e->fd != -1) {
			at_exit_shm_unlink(o->name);
			hold_signals(false);
			e->creator = true;
			create(e, version);
			break;
		}
		hold_signals(false);
		if (errno != EEXIST)
			err_sys("shm_open %s", o->name);
		e->fd = shm_open(o->name, O_RDWR, 0);
		if (e->fd != -1) {
			join(e, version);
			break;
		}
		if (errno != ENOENT)
			err_sys("shm_open %s", o->name);
		/* removed between our two calls: try again */
	}
	if (role == COPY_SERVER)
		e->data = (char *)e->h + data_offset(ctl_size);
	return e->h;
}

/* The client: the server has said chunk and slots. Check them against the
 * object's real size before mapping a byte of data. */
static void map_buffers(struct copy_end *e)
{
	struct stat st;
	uint32_t chunk = e->h->chunk, slots = e->h->slots; /* copied once */

	if (chunk < 1 || chunk > COPY_CHUNK_MAX)
		copy_corrupt("chunk", chunk);
	if (slots < 1 || (long)slots > e->o->slots_max)
		copy_corrupt("slots", slots);
	size_t size = data_offset(e->ctl_size) + (size_t)chunk * slots;
	Fstat(e->fd, &st);
	if (st.st_size < (off_t)size)
		copy_corrupt("size", (long long)st.st_size);
	active = NULL;
	Munmap(e->h, e->size);
	e->h = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	watch_exits(e->h);
	e->size = size;
	e->chunk = chunk;
	e->slots = slots;
	e->data = (char *)e->h + data_offset(e->ctl_size);
}

/* Say we are set up, and wait (up to -t seconds from copy_attach) for the peer
 * to say so too. Returns the lab's struct (the client's mapping moves). */
void *copy_start(struct copy_end *e)
{
	int peer = 1 - e->me;

	Sem_post(&e->h->here[e->me]);
	e->meeting = true;
	copy_wait(e, &e->h->here[peer]);
	e->meeting = false;
	pid_t pid = e->h->pid[peer]; /* copied once: the pid we watch from now on */
	if (pid <= 0)
		copy_corrupt("pid", pid);
	e->peer = pid;
	int state = COPY_WAITING;
	if (!atomic_compare_exchange_strong(&e->h->state, &state, COPY_RUNNING) &&
	    state != COPY_RUNNING) {
		check_peer(e); /* ABORTED: it stopped */
		copy_corrupt("state", state);
	}
	if (e->me == COPY_CLIENT)
		map_buffers(e);
	Close(e->fd);
	return e->h;
}

/* The end: the client has written and renamed OUTPUT; it removes the name
 * and tells the server, which waits for that before it says it succeeded. */
void copy_finish(struct copy_end *e)
{
	if (e->me == COPY_CLIENT) {
		if (shm_unlink(e->o->name) == -1 && errno != ENOENT)
			err_sys("shm_unlink %s", e->o->name);
		at_exit_forget(e->o->name);
		e->h->state = COPY_DONE;
		finished = 1;
		Sem_post(&e->h->done);
	} else {
		copy_wait(e, &e->h->done);
		at_exit_forget(e->o->name); /* the client removed it */
		finished = 1;
	}
}

/* ---- the files ---- */

void open_input(struct copy_file *f, const char *path)
{
	struct stat st;

	*f = (struct copy_file){.path = path};
	f->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : Open(path, O_RDONLY, 0);
	Fstat(f->fd, &st);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		err_sys("read %s", path);
	}
	f->size = S_ISREG(st.st_mode) ? st.st_size : -1;
}

/* A regular OUTPUT is written under a temp name in its own directory and
 * renamed at the end (rename is atomic within a directory), so OUTPUT is never
 * seen half written. "-", devices and FIFOs are written as they are. */
void open_output(struct copy_file *f, const char *path)
{
	struct stat st;

	*f = (struct copy_file){.path = path, .size = -1};
	signal(SIGPIPE, SIG_IGN); /* a reader that goes away: EPIPE, reported, not a silent death */
	if (strcmp(path, "-") == 0) {
		f->fd = STDOUT_FILENO;
		return;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			err_sys("write %s", path);
		}
		f->fd = Open(path, O_WRONLY, 0);
		return;
	}
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) + 1 : 0;
	int n = snprintf(f->tmp, sizeof f->tmp, "%.*sshmlab-copy.XXXXXX", dirlen, path);
	if (n < 0 || (size_t)n >= sizeof f->tmp)
		err_quit("OUTPUT '%s' is too long", path);
	hold_signals(true);
	f->fd = mkstemp(f->tmp);
	if (f->fd == -1)
		err_sys("create a temp file beside %s", path);
	at_exit_unlink(f->tmp);
	hold_signals(false);
	mode_t mask = umask(0); /* mkstemp made it 0600: give it what open() would */
	umask(mask);
	if (fchmod(f->fd, 0666 & ~mask) == -1)
		err_sys("chmod %s", f->tmp);
}

void commit_output(struct copy_file *f)
{
	if (f->fd != STDOUT_FILENO && close(f->fd) == -1) /* NFS may report a write error only here */
		err_sys("close %s", f->path);
	if (f->tmp[0] != '\0') {
		if (rename(f->tmp, f->path) == -1)
			err_sys("rename %s to %s", f->tmp, f->path);
		at_exit_forget(f->tmp);
	}
}

size_t read_chunk(struct copy_file *f, char *buf, size_t n)
{
	ssize_t got;
	while ((got = read(f->fd, buf, n)) == -1)
		if (errno != EINTR)
			err_sys("read %s", f->path);
	return (size_t)got;
}

void write_chunk(struct copy_file *f, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t put = write(f->fd, buf, n);
		if (put == -1) {
			if (errno == EINTR)
				continue;
			err_sys("write %s", f->path);
		}
		buf += put;
		n -= (size_t)put;
	}
}

/* ---- the copy subcommand ---- */

/* Fork a server and a client on a private name and wait for both. OUTPUT is
 * made here first, so it is this process that removes the temp file if the
 * client dies. Whichever child ends first is reaped at once: a peer checks on
 * the other with kill(pid, 0), which a zombie still passes. If it failed, the
 * other is stopped (SIGTERM: its handler cleans up) and waited for, so that
 * nothing of the copy is left when we return. */
void copy_both(const struct copy_opts *o, void (*server)(const struct copy_opts *),
	       void (*client)(const struct copy_opts *, struct copy_file *))
{
	struct copy_file out;
	pid_t child[2];
	siginfo_t si, other;

	open_output(&out, o->output);
	child[COPY_SERVER] = Fork();
	if (child[COPY_SERVER] == 0) {
		server(o);
		exit(0);
	}
	at_exit_kill(child[COPY_SERVER]);
	child[COPY_CLIENT] = Fork();
	if (child[COPY_CLIENT] == 0) {
		client(o, &out);
		exit(0);
	}
	at_exit_kill(child[COPY_CLIENT]);
	if (out.fd != STDOUT_FILENO)
		Close(out.fd);
	for (int left = 2; left > 0; left--) {
		/* which one ended? (WNOWAIT: leave it for wait_child to reap) */
		while (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == -1)
			if (errno != EINTR)
				err_sys("waitid");
		if (left == 2 && (si.si_code != CLD_EXITED || si.si_status != 0)) {
			pid_t pid = child[si.si_pid == child[COPY_SERVER] ? COPY_CLIENT : COPY_SERVER];
			kill(pid, SIGTERM);
			while (waitid(P_PID, (id_t)pid, &other, WEXITED | WNOWAIT) == -1)
				if (errno != EINTR)
					err_sys("waitid");
		}
		wait_child(si.si_pid); /* a failed child: we exit 1 here */
	}
	if (out.tmp[0] != '\0')
		at_exit_forget(out.tmp); /* the client renamed it to OUTPUT */
}
