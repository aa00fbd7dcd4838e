/*
 * 13-robust-lock - a process dies holding the lock.
 *
 * The shared data is two balances, a and b, that always sum to 100 while the
 * lock is free. A child takes the lock, starts moving 30 from a to b, and is
 * killed (SIGKILL) halfway: a is updated, b is not. What does the survivor get?
 *   part 1, a semaphore in shared memory: nothing, ever. A semaphore has no
 *     owner, so nobody knows its holder died; sem_timedwait gives up and says so.
 *   part 2, a robust, process-shared mutex: the kernel knows the owner died, and
 *     pthread_mutex_lock returns EOWNERDEAD with the lock held. The survivor
 *     checks the data, repairs it, calls pthread_mutex_consistent and carries on.
 *
 * Calls: sem_timedwait; pthread_mutexattr_setpshared, pthread_mutexattr_setrobust,
 *        pthread_mutex_lock (EOWNERDEAD), pthread_mutex_consistent; kill, waitid.
 * Knobs: -t SECONDS, how long part 1 waits (default 3); sem or mutex runs one part.
 *
 *   $ bin/13-robust-lock mutex
 *   part 2: the lock is a robust, process-shared pthread mutex
 *   child: pthread_mutex_lock: got the lock
 *   child: a -= 30: a=20 b=50, sum=70: halfway through the move
 *   parent: kill -KILL 30438, which holds the lock
 *   parent: child 30438 died of SIGKILL, inside its critical section
 *   parent: pthread_mutex_lock: EOWNERDEAD: the owner died, the lock is ours now
 *   parent: check: a=20 b=50, sum=70, want 100: the move was cut short
 *   parent: repair: undo the move of 30 the journal names: a=50 b=50, sum=100
 *   parent: pthread_mutex_consistent: the mutex is usable again
 *   parent: pthread_mutex_unlock, then pthread_mutex_lock: 0, as usual
 *   result: robust mutex: recovered, sum=100; expected sum=100
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS is Linux and BSD, not POSIX.1-2008 */
#include "unpipc.h"

#include <pthread.h>

#define TOTAL 100 /* a + b, whenever nobody holds the lock */
#define MOVE 30   /* what the child moves from a to b */

/* Taken before fork: a child that asked getppid() only after its parent was
 * killed would get the reaper's pid, wait for that to change, and linger. */
static pid_t parent;

struct shared {
	long a, b;            /* the data the lock protects */
	long moving;          /* journal: the amount of a move in progress, else 0 */
	volatile int halfway; /* the child is halfway: kill it now */
	sem_t sem;            /* part 1's lock */
	pthread_mutex_t mutex; /* part 2's lock */
};

/* The child's critical section, cut short: a -= MOVE happens, b += MOVE never does. */
static _Noreturn void move_and_die(struct shared *sh)
{
	sh->moving = MOVE; /* journal first: what a survivor must undo */
	sh->a -= MOVE;
	printf("child: a -= %d: a=%ld b=%ld, sum=%ld: halfway through the move\n", MOVE, sh->a,
	       sh->b, sh->a + sh->b);
	sh->halfway = 1;
	while (getppid() == parent) /* the parent's SIGKILL lands here; */
		nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
	exit(1); /* or, if the parent was killed first, we go too: nobody else would stop us */
}

/* Wait for the child to be halfway, kill it there, and see it dead. */
static void kill_halfway(struct shared *sh, pid_t pid)
{
	siginfo_t si;

	for (int ms = 0; !sh->halfway; ms++) {
		if (ms > 10000)
			err_quit("child %ld never got halfway", (long)pid);
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	printf("parent: kill -KILL %ld, which holds the lock\n", (long)pid);
	if (kill(pid, SIGKILL) == -1)
		err_sys("kill %ld", (long)pid);
	/* WNOWAIT: see it dead but leave it a zombie, reaped at the end of the part,
	 * so the pid Fork() registered for cleanup is not reused by another process meanwhile. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR)
			err_sys("waitid %ld", (long)pid);
	if (si.si_code != CLD_KILLED || si.si_status != SIGKILL)
		err_quit("child %ld ended, but not by our SIGKILL", (long)pid);
	printf("parent: child %ld died of SIGKILL, inside its critical section\n", (long)pid);
}

static void parse_args(int argc, char **argv, long *seconds, bool *sem, bool *mutex)
{
	int i = 1;

	*seconds = 3;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
			*seconds = parse_count(argv[++i], "SECONDS", 1, 3600);
		} else if (strcmp(argv[i], "-t") == 0) {
			usage_error("option -t needs a number of seconds");
		} else {
			usage_error("unknown option '%s'", argv[i]);
		}
	}
	*sem = *mutex = i == argc;
	if (i < argc && strcmp(argv[i], "sem") == 0)
		*sem = true;
	else if (i < argc && strcmp(argv[i], "mutex") == 0)
		*mutex = true;
	else if (i < argc)
		usage_error("unknown part '%s' (want sem or mutex)", argv[i]);
	if (i + 1 < argc)
		usage_error("unexpected argument '%s'", argv[i + 1]);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) == -1)
		if (errno != EINTR)
			err_sys("waitpid %ld", (long)pid);
}

/* Part 1: the lock is a semaphore. */
static void part_semaphore(struct shared *sh, long seconds, char *result, size_t len)
{
	printf("part 1: the lock is a semaphore in shared memory\n");
	*sh = (struct shared){.a = TOTAL - 50, .b = 50};
	Sem_init(&sh->sem, 1, 1); /* pshared=1, value 1: a lock */
	pid_t pid = Fork();
	if (pid == 0) {
		Sem_wait(&sh->sem);
		printf("child: sem_wait: got the lock\n");
		move_and_die(sh);
	}
	kill_halfway(sh, pid);

	printf("parent: sem_timedwait, giving up after %ld s ...\n", seconds);
	if (Sem_timedwait(&sh->sem, seconds * 1000)) /* false: ETIMEDOUT, the time ran out */
		err_quit("sem_timedwait got the lock: the child never held it");
	printf("parent: sem_timedwait: ETIMEDOUT, the lock is still taken\n");
	printf("parent: a semaphore has no owner: nobody can tell its holder died, "
	       "so nobody will ever post it\n");
	printf("parent: a=%ld b=%ld, sum=%ld, want %d: left half-updated\n", sh->a, sh->b,
	       sh->a + sh->b, TOTAL);
	Sem_destroy(&sh->sem);
	reap(pid);
	snprintf(result, len, "semaphore: gave up after %ld s, sum=%ld; ", seconds, sh->a + sh->b);
}

/* Holding the lock after EOWNERDEAD: put the data right, or say it cannot be. */
static void check_and_repair(struct shared *sh)
{
	long a = sh->a, b = sh->b, moving = sh->moving; /* copied once: a dead process wrote them */

	if (a < 0 || a > TOTAL || b < 0 || b > TOTAL || moving < 0 || moving > TOTAL)
		err_quit("a=%ld b=%ld moving=%ld: out of range, beyond repair", a, b, moving);
	printf("parent: check: a=%ld b=%ld, sum=%ld, want %d: ", a, b, a + b, TOTAL);
	if (a + b == TOTAL) {
		printf("nothing to repair\n");
		return;
	}
	if (a + moving + b != TOTAL)
		err_quit("the data is broken beyond what the journal can repair");
	printf("the move was cut short\n");
	sh->a = a + moving;
	sh->moving = 0;
	printf("parent: repair: undo the move of %ld the journal names: a=%ld b=%ld, sum=%ld\n",
	       moving, sh->a, b, sh->a + b);
}

/* Part 2: the lock is a robust, process-shared mutex. */
static void part_mutex(struct shared *sh, char *result, size_t len)
{
	pthread_mutexattr_t attr;

	printf("part 2: the lock is a robust, process-shared pthread mutex\n");
	*sh = (struct shared){.a = TOTAL - 50, .b = 50};
	exit_if_failed(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
	exit_if_failed(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
	      "pthread_mutexattr_setpshared");
	exit_if_failed(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust");
	exit_if_failed(pthread_mutex_init(&sh->mutex, &attr), "pthread_mutex_init");
	exit_if_failed(pthread_mutexattr_destroy(&attr), "pthread_mutexattr_destroy");
	pid_t pid = Fork();
	if (pid == 0) {
		exit_if_failed(pthread_mutex_lock(&sh->mutex), "pthread_mutex_lock");
		printf("child: pthread_mutex_lock: got the lock\n");
		move_and_die(sh);
	}
	kill_halfway(sh, pid);

	int rc = pthread_mutex_lock(&sh->mutex);
	if (rc == 0)
		err_quit("pthread_mutex_lock: got the lock without EOWNERDEAD");
	if (rc != EOWNERDEAD)
		err_code(rc, "pthread_mutex_lock");
	printf("parent: pthread_mutex_lock: EOWNERDEAD: the owner died, the lock is ours now\n");
	check_and_repair(sh);
	exit_if_failed(pthread_mutex_consistent(&sh->mutex), "pthread_mutex_consistent");
	printf("parent: pthread_mutex_consistent: the mutex is usable again\n");
	exit_if_failed(pthread_mutex_unlock(&sh->mutex), "pthread_mutex_unlock");
	exit_if_failed(pthread_mutex_lock(&sh->mutex), "pthread_mutex_lock");
	printf("parent: pthread_mutex_unlock, then pthread_mutex_lock: 0, as usual\n");
	exit_if_failed(pthread_mutex_unlock(&sh->mutex), "pthread_mutex_unlock");
	exit_if_failed(pthread_mutex_destroy(&sh->mutex), "pthread_mutex_destroy");
	reap(pid);
	snprintf(result, len, "robust mutex: recovered, sum=%ld; ", sh->a + sh->b);
}

int main(int argc, char **argv)
{
	long seconds;
	bool sem, mutex;
	char sem_result[128] = "", mutex_result[128] = "";

	prog_init(argv, "[-t SECONDS] [sem|mutex]");
	parse_args(argc, argv, &seconds, &sem, &mutex);
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, in order, even from a killed child */
	parent = getpid();

	struct shared *sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sem)
		part_semaphore(sh, seconds, sem_result, sizeof sem_result);
	if (mutex)
		part_mutex(sh, mutex_result, sizeof mutex_result);
	Munmap(sh, sizeof *sh);
	printf("result: %s%sexpected sum=%d\n", sem_result, mutex_result, TOTAL);
	return 0;
}
