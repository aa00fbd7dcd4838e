/* wrap.c - Stevens-style wrappers: same arguments as the call, exit 1 with
 * "prog: call argument: strerror" on failure. */
#include "internal.h"

#include <pwd.h>
#include <sched.h>

static pid_t forked_by; /* in a child of Fork(): its parent's pid */

/* fork, and the child is on the cleanup list (at_exit_kill) before any
 * signal can come between: Ctrl-C a moment after fork() stops it too. */
pid_t Fork(void)
{
	pid_t me = getpid();
	fflush(NULL); /* nothing buffered is written twice */
	hold_signals(true);
	pid_t pid = fork();
	if (pid == -1)
		err_sys("fork");
	if (pid == 0)
		forked_by = me;
	else
		at_exit_kill(pid);
	hold_signals(false);
	return pid;
}

/* Milliseconds of CLOCK_MONOTONIC since *start. */
long ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Has process pid ended? kill(pid, 0) alone is not enough: it succeeds on a
 * zombie, a process that has exited but that its parent has not yet wait()ed
 * for (a script, make, or a test harness that started both sides and waits
 * later). A zombie runs no code and will never post or advance anything: for
 * a peer that waits on it, it is dead. Its state is the letter after the
 * command name in /proc/PID/stat, "Z" (or "X", being reaped); the name is in
 * parentheses and may hold any character, so we look after the last ')'.
 * Where /proc is not mounted, kill(pid, 0) is all we have: a zombie then
 * counts as alive until it is reaped. */
bool pid_gone(pid_t pid)
{
	char path[64], line[256];

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return true;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY);
	if (fd == -1) /* no /proc here (or the process went since): kill() has said "alive" */
		return false;
	ssize_t n = read(fd, line, sizeof line - 1);
	close(fd);
	if (n <= 0)
		return false;
	line[n] = '\0';
	const char *paren = strrchr(line, ')');
	return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Two processes meet here before their loops, so that they really count at
 * the same time instead of one finishing before the other starts.
 *  1. arrive: each raises its own flag (no read-modify-write needed) and
 *     yields until the other's is up; a peer that never comes is an error.
 *  2. rally: they pass a token back and forth without yielding. That is quick
 *     only while both run at once on two CPUs, and a busy CPU beside an idle
 *     one makes the scheduler move one of them there. On one CPU it cannot
 *     finish: after 200 ms each goes on alone. */
#define GATE_ROUNDS 200
void gate_wait(volatile int gate[2], int me)
{
	struct timespec start;
	int other = 1 - me;

	clock_gettime(CLOCK_MONOTONIC, &start);
	gate[me] = 1;
	while (!gate[other]) {
		sched_yield();
		if (ms_since(&start) > 10000)
			err_quit("the other process never reached the start gate");
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int round = 1; round <= GATE_ROUNDS; round++) {
		/* the parent moves when the flags are equal, the child when the parent leads */
		for (unsigned spins = 1; gate[PARENT] - gate[CHILD] != me; spins++)
			if (spins % 4096 == 0 && ms_since(&start) > 200)
				return;
		gate[me]++;
	}
}

int Open(const char *path, int oflag, mode_t mode)
{
	int fd = open(path, oflag, mode);
	if (fd == -1)
		err_sys("open %s", path);
	return fd;
}

void Close(int fd)
{
	if (close(fd) == -1)
		err_sys("close");
}

void Ftruncate(int fd, off_t length)
{
	if (ftruncate(fd, length) == -1)
		err_sys("ftruncate to %jd bytes", (intmax_t)length);
}

void Fstat(int fd, struct stat *st)
{
	if (fstat(fd, st) == -1)
		err_sys("fstat");
}

void *Mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	void *p = mmap(addr, len, prot, flags, fd, offset);
	if (p == MAP_FAILED)
		err_sys("mmap %zu bytes", len);
	return p;
}

void Munmap(void *addr, size_t len)
{
	if (munmap(addr, len) == -1)
		err_sys("munmap");
}

/* A private (0600) file DIR/shmlab-TAG.XXXXXX (DIR NULL: $TMPDIR, else /tmp),
 * removed on every exit path. Its name is left in path[len] unless path is NULL. */
int make_temp_file(const char *dir, const char *tag, char *path, size_t len)
{
	char own[PATH_MAX];
	if (dir == NULL)
		dir = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ? getenv("TMPDIR") : "/tmp";
	if (path == NULL)
		path = own, len = sizeof own;
	int n = snprintf(path, len, "%s/shmlab-%s.XXXXXX", dir, tag);
	if (n < 0 || (size_t)n >= len)
		err_quit("directory name too long: %s", dir);
	int fd = mkstemp(path);
	if (fd == -1)
		err_sys("mkstemp %s/shmlab-%s.XXXXXX", dir, tag); /* path was overwritten */
	at_exit_unlink(path);
	return fd;
}

/* -f PATH is often in a shared directory (/tmp), where anyone may have put
 * something at PATH before us: a symbolic link to a file of ours, a file of
 * their own or a FIFO. We are about to truncate PATH, so we take only a
 * regular file that is ours and has no other name. Why not: said and exit 1. */
static void refuse_backing_file(const char *path, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		err_quit("%s is a symbolic link: refused (it may point at any file of yours, which "
			 "would be overwritten)", path);
	if (!S_ISREG(st->st_mode))
		err_quit("%s is not a regular file: refused", path);
	if (st->st_uid != geteuid()) {
		struct passwd *pw = getpwuid(st->st_uid);
		err_quit("%s belongs to uid %ld (%s), not to you: refused (it is not yours to "
			 "overwrite, and its owner could change it under the lab)", path,
			 (long)st->st_uid, pw ? pw->pw_name : "no such user");
	}
	if (st->st_nlink > 1)
		err_quit("%s has %ju names (hard links): refused (overwriting it would overwrite "
			 "the file under its other names too)", path, (uintmax_t)st->st_nlink);
}

/* The file behind a MAP_SHARED mapping: the user's PATH (overwritten, and left
 * in place as asked) or a private temp file; either way zero-filled to size,
 * its blocks reserved (else the first store to a page the disk cannot give is
 * SIGBUS). PATH is opened without following a symbolic link (O_NOFOLLOW) and
 * without waiting for a FIFO's writer (O_NONBLOCK), and checked on the open
 * file (fstat) before anything is written: a name checked first and opened
 * after could be changed in between. */
int open_backing_file(const char *path, size_t size)
{
	struct stat st;
	int fd;

	if (path == NULL) {
		fd = make_temp_file(NULL, "counter", NULL, 0);
	} else {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, FILE_MODE);
		if (fd == -1 && (errno == ELOOP || errno == EACCES)) {
			/* a symbolic link, or a sticky directory's protection
			 * (fs.protected_regular): say what is there */
			int saved = errno;
			if (lstat(path, &st) == 0)
				refuse_backing_file(path, &st);
			errno = saved;
		}
		if (fd == -1)
			err_sys("open %s", path);
		Fstat(fd, &st);
		refuse_backing_file(path, &st);
		if (st.st_size != 0 && st.st_size != (off_t)size) /* not this lab's: /etc/passwd as root */
			err_quit("%s has %jd bytes, not the %zu of this lab's counter file: refused (it holds "
				 "something else; name a new file)", path, (intmax_t)st.st_size, size);
	}
	Ftruncate(fd, 0);
	Posix_fallocate(fd, 0, (off_t)size); /* zeros, every page had now: a full disk is ENOSPC here */
	return fd;
}

/* Reserve every byte now: on a full filesystem the error is ENOSPC here, not
 * SIGBUS later at the first store to a page that could not be had. */
void Posix_fallocate(int fd, off_t offset, off_t len)
{
	int rc = posix_fallocate(fd, offset, len); /* returns the error; errno untouched */
	if (rc != 0)
		err_code(rc, "posix_fallocate %jd bytes", (intmax_t)len);
}

/* Shared memory is a trust boundary: an object we open but did not create
 * may be someone else's, made under our name before we came (O_EXCL protects
 * only the creator). Trust it only if it is ours (our effective uid) and
 * closed to group and others. uid and mode: from fstat, or System V's
 * IPC_STAT. */
void check_owner(const char *name, uid_t uid, mode_t mode)
{
	if (uid != geteuid()) {
		struct passwd *pw = getpwuid(uid);
		err_quit("%s belongs to uid %ld (%s), not to you: someone else created your name "
			 "first; pick another name", name, (long)uid, pw ? pw->pw_name : "no such user");
	}
	if (mode & 077)
		err_quit("%s is open to others (mode %04o), so not to be trusted: it is yours; "
			 "remove it and start again", name, (unsigned)(mode & 07777));
}

/* shm_open said EEXIST or EACCES: if NAME is someone else's, say whose. Linux
 * shows POSIX shared memory objects in /dev/shm; elsewhere this finds nothing. */
void check_shm_name(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int saved = errno; /* the caller reports its own error after us */

	snprintf(path, sizeof path, "/dev/shm%s", name);
	if (stat(path, &st) == 0 && st.st_uid != geteuid())
		check_owner(name, st.st_uid, st.st_mode);
	errno = saved;
}

/* A name that someone else took first is said as such. (Opening one we did
 * not create, the labs call shm_open themselves, to wait for it, and then
 * check_owner.) */
int Shm_open(const char *name, int oflag, mode_t mode)
{
	int fd = shm_open(name, oflag, mode);
	if (fd == -1 && (errno == EEXIST || errno == EACCES))
		check_shm_name(name);
	if (fd == -1 && errno == EEXIST)
		err_quit("shm_open %s: File exists: another run has it, or one was killed before it "
			 "could remove it (make clean-ipc removes it)", name);
	if (fd == -1)
		err_sys("shm_open %s", name);
	return fd;
}

void Shm_unlink(const char *name)
{
	if (shm_unlink(name) == -1)
		err_sys("shm_unlink %s", name);
	at_exit_forget(name);
}

/* Whose is the named semaphore NAME? glibc keeps it in /dev/shm/sem.NAME,
 * musl in /dev/shm/NAME. Someone else's: say so and stop (check_owner). */
static void check_sem_name(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
	if (stat(path, &st) == 0 || (snprintf(path, sizeof path, "/dev/shm%s", name),
				     stat(path, &st) == 0))
		check_owner(name, st.st_uid, st.st_mode & ~(mode_t)077);
}

sem_t *Sem_open(const char *name, int oflag, mode_t mode, unsigned int value)
{
	sem_t *sem = sem_open(name, oflag, mode, value);
	if (sem == SEM_FAILED && errno == EEXIST) {
		check_sem_name(name);
		err_quit("sem_open %s: File exists: another run has it, or one was killed before it "
			 "could remove it (make clean-ipc removes it)", name);
	}
	if (sem == SEM_FAILED)
		err_sys("sem_open %s", name);
	return sem;
}

void Sem_close(sem_t *sem)
{
	if (sem_close(sem) == -1)
		err_sys("sem_close");
}

void Sem_unlink(const char *name)
{
	if (sem_unlink(name) == -1)
		err_sys("sem_unlink %s", name);
	at_exit_forget(name);
}

void Sem_init(sem_t *sem, int pshared, unsigned int value)
{
	if (sem_init(sem, pshared, value) == -1)
		err_sys("sem_init");
}

void Sem_destroy(sem_t *sem)
{
	if (sem_destroy(sem) == -1)
		err_sys("sem_destroy");
}

/* sem_wait, but nobody waits for ever on a dead holder: a semaphore has no
 * owner, so if the process that took it dies, nobody posts it. Every second
 * without it, look at the family: a child of ours (at_exit_kill) that died or
 * failed, or, in a child of Fork(), a parent that is gone. */
void Sem_wait(sem_t *sem)
{
	while (!Sem_timedwait(sem, 1000)) {
		check_children("the lock");
		if (forked_by != 0 && getppid() != forked_by)
			err_quit("the parent (pid %ld) died while we waited for the lock: it may have "
				 "held it", (long)forked_by);
	}
}

/* Sem_wait for at most ms milliseconds: false if the time ran out. */
bool Sem_timedwait(sem_t *sem, long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t); /* sem_timedwait's deadline is on this clock */
	t.tv_sec += ms / 1000;
	t.tv_nsec += ms % 1000 * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(sem, &t) == -1) {
		if (errno == ETIMEDOUT)
			return false;
		if (errno != EINTR)
			err_sys("sem_timedwait");
	}
	return true;
}

void Sem_post(sem_t *sem)
{
	if (sem_post(sem) == -1)
		err_sys("sem_post");
}
