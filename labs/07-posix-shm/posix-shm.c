/*
 * 07-posix-shm - unrelated processes meet by name.
 *
 * Labs 02-05 shared memory between a parent and the child it forked. Here any
 * process that knows the name can open the same object: shm_open() returns a
 * file descriptor for a memory-only file (Linux keeps them in /dev/shm),
 * ftruncate() gives it a size, mmap() maps it. The object stays until
 * shm_unlink(), even when no process has it open. Run the subcommands from
 * two terminals: `create`, then `write` in one and `read` in the other.
 *
 * server/client: a counter guarded by a semaphore that lives inside the
 * object. The protocol (also in docs/07-posix-shm.md):
 *   - the server creates the object (O_EXCL: it is the only creator),
 *     initialises the semaphores and the counter, and stores READY last;
 *   - a client waits (at most -t SECONDS) until the name exists and READY is
 *     set, puts its pid in a free slot of `pid[]`, counts NLOOP times under
 *     the lock, adds NLOOP to `expected`, clears its slot and posts `done`;
 *     it never creates or removes anything;
 *   - while the server waits for `done`, it looks every second at the pids
 *     in the slots: a client that died before it finished will never post,
 *     and its count is lost, so the server says so and exits 1;
 *   - the server removes the name when it stops: after -c NCLIENTS clients,
 *     or on Ctrl-C. Clients already counting keep their mapping and finish.
 *
 * Calls: shm_open (O_CREAT|O_EXCL, 0600), ftruncate, posix_fallocate, fstat,
 *        mmap, shm_unlink, sem_init (pshared=1), sem_timedwait,
 *        pid_gone (kill (pid, 0) and /proc/PID/stat).
 *
 *   $ bin/07-posix-shm create demo 4096
 *   created /shmlab-1000.demo: 4096 bytes, reserved with posix_fallocate, mode 0600
 *   $ bin/07-posix-shm write demo
 *   wrote the pattern into all 4096 bytes of /shmlab-1000.demo
 *   $ bin/07-posix-shm read demo
 *   all 4096 bytes of /shmlab-1000.demo match the pattern
 *   $ bin/07-posix-shm unlink demo
 *   removed /shmlab-1000.demo
 */
#include "unpipc.h"

#include <grp.h>
#include <pwd.h>
#include <stdatomic.h>

#define SIZE_LIMIT (1L << 30) /* 1 GiB: all of it is reserved in RAM */
#define NLOOP_MAX 1000000000L
#define READY 0x73686d37u     /* "shm7": the server's last store */
#define COUNTING_MAX 64       /* clients counting at the same time */

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the ready flag must work between processes");

struct counter {
	atomic_uint ready; /* READY once all below is set up; written last, read first */
	sem_t mutex;       /* guards the three counts below */
	long counter;      /* incremented by the clients */
	long finished;     /* clients that finished */
	long expected;     /* sum of NLOOP over the clients that finished */
	pid_t pid[COUNTING_MAX]; /* under mutex: a counting client's pid, 0 in a free slot */
	sem_t done;        /* posted by each client that finished */
};

/* shm_open with the errors students meet spelled out (so not Shm_open, which
 * would exit with the bare strerror). */
static int open_object(const char *name, char *full, int oflag)
{
	ipc_name(full, IPC_NAME_MAX, name);
	int fd = shm_open(full, oflag, FILE_MODE);
	if (fd == -1 && errno == ENOENT)
		err_quit("no such shared memory object: %s (create it first)", name);
	if (fd == -1 && (errno == EEXIST || errno == EACCES))
		check_shm_name(full); /* someone else's: say whose, and stop */
	if (fd == -1 && errno == EEXIST)
		err_quit("shared memory object %s already exists (%s): remove it with: %s unlink %s",
			 name, full, prog_name(), name);
	if (fd == -1)
		err_sys("shm_open %s", full);
	return fd;
}

/* A new object of `size` bytes whose memory is reserved now: ftruncate only
 * sets the size, and tmpfs allocates a page when it is first touched, so a
 * full /dev/shm would kill that later writer with SIGBUS. posix_fallocate
 * allocates every page here, or fails here with ENOSPC. On any failure the
 * half-made object is removed (registered right after it exists). */
static int create_object(const char *name, char *full, long size)
{
	hold_signals(true); /* made and registered, or neither */
	int fd = open_object(name, full, O_RDWR | O_CREAT | O_EXCL);
	at_exit_shm_unlink(full);
	hold_signals(false);
	Ftruncate(fd, (off_t)size);
	int e = posix_fallocate(fd, 0, (off_t)size); /* returns the error, errno untouched */
	if (e != 0) /* not Posix_fallocate: the message names the object */
		err_code(e, "posix_fallocate %ld bytes for %s", size, full);
	return fd;
}

/* What a SIGBUS means once an object is mapped: anyone who may open it can
 * ftruncate it under us, and a page past its new end has nothing behind it. */
#define TRUNCATED "the shared object was truncated (by another process?)"

/* Map all of an existing object; an empty one has nothing to map. */
static unsigned char *map_object(const char *name, char *full, int prot, size_t *size)
{
	struct stat st;
	int fd = open_object(name, full, prot & PROT_WRITE ? O_RDWR : O_RDONLY);
	Fstat(fd, &st);
	check_owner(full, st.st_uid, st.st_mode); /* not made by us: ours, 0600, or not used */
	if (st.st_size == 0)
		err_quit("%s is empty (0 bytes): nothing to map", full);
	*size = (size_t)st.st_size;
	unsigned char *p = Mmap(NULL, *size, prot, MAP_SHARED, fd, 0);
	Close(fd); /* the mapping keeps the object open */
	sigbus_means(TRUNCATED);
	return p;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i % 251 + 1); /* never 0: a fresh object does not match */
}

static void create(const char *name, long size)
{
	char full[IPC_NAME_MAX];
	Close(create_object(name, full, size));
	at_exit_forget(full); /* made whole: it outlives us on purpose */
	printf("created %s: %ld bytes, reserved with posix_fallocate, mode 0600\n", full, size);
}

static void write_pattern(const char *name)
{
	char full[IPC_NAME_MAX];
	size_t size;
	unsigned char *p = map_object(name, full, PROT_READ | PROT_WRITE, &size);
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i);
	Munmap(p, size);
	printf("wrote the pattern into all %zu bytes of %s\n", size, full);
}

static void read_pattern(const char *name)
{
	char full[IPC_NAME_MAX];
	size_t size;
	const unsigned char *p = map_object(name, full, PROT_READ, &size);
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i))
			err_quit("%s: first mismatch at offset %zu: expected 0x%02x, found 0x%02x",
				 full, i, pattern(i), p[i]);
	Munmap((void *)p, size);
	printf("all %zu bytes of %s match the pattern\n", size, full);
}

static void info(const char *name)
{
	char full[IPC_NAME_MAX];
	struct stat st;
	int fd = open_object(name, full, O_RDONLY);
	Fstat(fd, &st);
	Close(fd);
	struct passwd *pw = getpwuid(st.st_uid);
	struct group *gr = getgrgid(st.st_gid);
	printf("name:   %s\n", name);
	printf("object: %s\n", full);
	printf("size:   %jd bytes (%jd allocated)\n", (intmax_t)st.st_size,
	       (intmax_t)st.st_blocks * 512); /* st_blocks: 512-byte units */
	printf("mode:   %04o\n", (unsigned)(st.st_mode & 07777));
	printf("owner:  %s (uid %ld), group %s (gid %ld)\n", pw ? pw->pw_name : "?",
	       (long)st.st_uid, gr ? gr->gr_name : "?", (long)st.st_gid);
}

static void unlink_object(const char *name)
{
	char full[IPC_NAME_MAX];
	ipc_name(full, sizeof full, name);
	if (shm_unlink(full) == -1) {
		if (errno == ENOENT)
			err_quit("no such shared memory object: %s (create it first)", name);
		if (errno == EPERM || errno == EACCES)
			check_shm_name(full); /* someone else's: say whose */
		err_sys("shm_unlink %s", full);
	}
	printf("removed %s\n", full);
}

/* Take the counter's lock, but not forever: a process killed while holding
 * it (a semaphore has no owner) must not hang everyone else. */
static void lock(struct counter *c, long timeout)
{
	if (!Sem_timedwait(&c->mutex, timeout * 1000))
		err_quit("waited %ld s for the lock: did a process die holding it?", timeout);
}

/* Wait for a client's `done`; every second, look at the clients counting.
 * A pid is read once and checked (> 0) before kill() sees it: a slot may hold
 * anything a buggy client wrote, and kill(-1, 0) would ask about every process. */
static void wait_done(struct counter *c, long timeout)
{
	while (!Sem_timedwait(&c->done, 1000)) {
		lock(c, timeout);
		for (int i = 0; i < COUNTING_MAX; i++) {
			pid_t pid = c->pid[i];
			if (pid > 0 && pid_gone(pid)) {
				Sem_post(&c->mutex);
				err_quit("server: client %ld died before it finished: its count is lost",
					 (long)pid);
			}
		}
		Sem_post(&c->mutex);
	}
}

static void server(const char *name, long nclients, long timeout)
{
	char full[IPC_NAME_MAX];
	int fd = create_object(name, full, sizeof(struct counter)); /* removed when we stop */
	struct counter *c = Mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);
	sigbus_means(TRUNCATED);
	Sem_init(&c->mutex, 1, 1); /* pshared=1: used by every process that maps it */
	Sem_init(&c->done, 1, 0);
	c->counter = c->finished = c->expected = 0; /* pid[]: 0s, as ftruncate made them */
	atomic_store_explicit(&c->ready, READY, memory_order_release); /* last: now usable */
	printf("server: %s is ready; start clients with: %s client %s NLOOP\n", full,
	       prog_name(), name);

	for (long n = 1, shown = 0; nclients == 0 || n <= nclients; n++) {
		wait_done(c, timeout);
		lock(c, timeout);
		long f = c->finished, v = c->counter, e = c->expected;
		Sem_post(&c->mutex);
		if (f != shown) /* a line per change: two clients may finish at once */
			printf("server: clients finished: %ld, counter=%ld expected=%ld\n", f, v, e);
		shown = f;
	}
	lock(c, timeout);
	printf("result: counter=%ld expected=%ld lost=%ld\n", c->counter, c->expected,
	       c->expected - c->counter);
	Sem_post(&c->mutex);
	atomic_store(&c->ready, 0); /* late clients still mapping it must not start */
	Shm_unlink(full);           /* no sem_destroy: a late client may still use it */
	Munmap(c, sizeof *c);
}

/* Wait until the server's object exists and says READY; at most `timeout` s. */
static struct counter *attach(const char *name, char *full, long timeout)
{
	const struct timespec tick = {0, 10 * 1000000}; /* 10 ms */
	ipc_name(full, IPC_NAME_MAX, name);
	for (long ms = 0;; ms += 10) {
		int fd = shm_open(full, O_RDWR, 0); /* ENOENT: not yet; so not Shm_open */
		if (fd == -1 && errno == EACCES)
			check_shm_name(full);
		if (fd == -1 && errno != ENOENT)
			err_sys("shm_open %s", full);
		if (fd != -1) {
			struct stat st;
			Fstat(fd, &st);
			check_owner(full, st.st_uid, st.st_mode);
			struct counter *c = NULL;
			if ((size_t)st.st_size >= sizeof *c)
				c = Mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			Close(fd);
			sigbus_means(TRUNCATED);
			if (c && atomic_load_explicit(&c->ready, memory_order_acquire) == READY)
				return c;
			if (c)
				Munmap(c, sizeof *c);
		}
		if (ms >= timeout * 1000 && fd == -1)
			err_quit("no such shared memory object: %s (start the server first; "
				 "waited %ld s)", name, timeout);
		if (ms >= timeout * 1000)
			err_quit("%s exists but no server made it ready in %ld s", full, timeout);
		nanosleep(&tick, NULL);
	}
}

static void client(const char *name, long nloop, long timeout)
{
	char full[IPC_NAME_MAX];
	struct counter *c = attach(name, full, timeout);
	int slot = 0;
	lock(c, timeout);
	while (slot < COUNTING_MAX && c->pid[slot] != 0)
		slot++;
	if (slot < COUNTING_MAX)
		c->pid[slot] = getpid(); /* the server now looks at us while it waits */
	Sem_post(&c->mutex);
	if (slot == COUNTING_MAX)
		err_quit("%d clients are counting already: try again later", COUNTING_MAX);
	for (long i = 0; i < nloop; i++) {
		lock(c, timeout);
		c->counter++; /* load, add, store: nobody else in between */
		Sem_post(&c->mutex);
	}
	lock(c, timeout);
	c->finished++;
	c->expected += nloop;
	c->pid[slot] = 0;
	long v = c->counter;
	Sem_post(&c->mutex);
	Sem_post(&c->done); /* tell the server; the last thing we touch */
	printf("client %ld: %ld increments done, counter now %ld\n", (long)getpid(), nloop, v);
	Munmap(c, sizeof *c);
}

enum { CREATE, WRITE, READ, INFO, UNLINK, SERVER, CLIENT };

static long timeout = 10; /* -t SECONDS: how long to wait for the server or the lock */
static long nclients;     /* -c NCLIENTS: the server stops after so many; 0: on Ctrl-C */

static void option(int letter, const char *value)
{
	if (letter == 't')
		timeout = parse_count(value, "SECONDS", 1, 3600);
	else
		nclients = parse_count(value, "NCLIENTS", 1, 1000);
}

int main(int argc, char **argv)
{
	static const struct subcommand cmds[] = {
		[CREATE] = {"create", "", "NAME SIZE"},
		[WRITE] = {"write", "", "NAME"},
		[READ] = {"read", "", "NAME"},
		[INFO] = {"info", "", "NAME"},
		[UNLINK] = {"unlink", "", "NAME"},
		[SERVER] = {"server", "c:t:", "NAME"},
		[CLIENT] = {"client", "t:", "NAME NLOOP"},
		{NULL, NULL, NULL},
	};
	char *arg[2];

	prog_init(argv, "create NAME SIZE | write NAME | read NAME | info NAME | unlink NAME |\n"
			"       server [-c NCLIENTS] [-t SECONDS] NAME | "
			"client [-t SECONDS] NAME NLOOP");
	int cmd = subcommand(argc, argv, cmds, option, arg);
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, even when stopped by a signal */

	switch (cmd) {
	case CREATE: create(arg[0], parse_count(arg[1], "SIZE", 1, SIZE_LIMIT)); break;
	case WRITE: write_pattern(arg[0]); break;
	case READ: read_pattern(arg[0]); break;
	case INFO: info(arg[0]); break;
	case UNLINK: unlink_object(arg[0]); break;
	case SERVER: server(arg[0], nclients, timeout); break;
	case CLIENT: client(arg[0], parse_count(arg[1], "NLOOP", 1, NLOOP_MAX), timeout); break;
	}
	return 0;
}
