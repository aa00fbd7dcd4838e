/*
 * compare.c - 14-atomic-counter --compare: the counter of labs 02-05 done five
 * ways, each timed, each with its verdict.
 *
 * Every method is the loop of the lab it names, with the same fork and start
 * gate and NLOOP increments per process: no lock (02), a named semaphore (03),
 * a semaphore in shared memory (04), a robust process-shared mutex (13) and
 * the atomic (14). A file of its own, so that atomic-counter.c against lab 05
 * shows just the atomic idea; atomic-counter.c declares the one it calls.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS is Linux and BSD, not POSIX.1-2008 */
#include "unpipc.h"

#include <pthread.h>
#include <stdatomic.h>

enum method { NO_LOCK, NAMED_SEM, SHM_SEM, ROBUST_MUTEX, ATOMIC, NMETHODS };

static const char *const method_name[NMETHODS] = {
	"no lock (02)", "named semaphore (03)", "semaphore in shm (04)", "robust mutex (13)",
	"atomic (14)",
};

struct bench {
	volatile long counter; /* every method but ATOMIC: load, step, store */
	_Atomic long atomic;   /* ATOMIC: one fetch_add per step */
	volatile int gate[2];  /* start gate: both begin counting together */
	sem_t sem;             /* SHM_SEM's lock */
	pthread_mutex_t mutex; /* ROBUST_MUTEX's lock */
};

static void bench_count(struct bench *b, sem_t *named, enum method m, int me,
			const struct counter_opts *o, struct timespec *start)
{
	gate_wait(b->gate, me);
	if (start != NULL)
		clock_gettime(CLOCK_MONOTONIC, start);
	for (long i = 0; i < o->nloop; i++) {
		if (m == ATOMIC) {
			counter_step(o, me, atomic_fetch_add(&b->atomic, 1));
			continue;
		}
		if (m == NAMED_SEM)
			Sem_wait(named);
		else if (m == SHM_SEM)
			Sem_wait(&b->sem);
		else if (m == ROBUST_MUTEX)
			exit_if_failed(pthread_mutex_lock(&b->mutex), "pthread_mutex_lock");
		long v = b->counter;    /* load */
		counter_step(o, me, v); /* yield with -y */
		b->counter = v + 1;     /* store */
		if (m == NAMED_SEM)
			Sem_post(named);
		else if (m == SHM_SEM)
			Sem_post(&b->sem);
		else if (m == ROBUST_MUTEX)
			exit_if_failed(pthread_mutex_unlock(&b->mutex), "pthread_mutex_unlock");
	}
}

/* One method: set up its lock, count in two processes, tear down. Returns the
 * final counter; *seconds is the parent's time from the gate to the child's end. */
static long run_method(enum method m, const struct counter_opts *o, double *seconds)
{
	char name[IPC_NAME_MAX];
	sem_t *named = NULL;
	pthread_mutexattr_t attr;
	struct timespec start, end;

	struct bench *b = Mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == NAMED_SEM) {
		ipc_name(name, sizeof name, "14-mutex");
		hold_signals(true); /* made and registered, or neither */
		named = Sem_open(name, O_CREAT | O_EXCL, FILE_MODE, 1);
		at_exit_sem_unlink(name);
		hold_signals(false);
	} else if (m == SHM_SEM) {
		Sem_init(&b->sem, 1, 1);
	} else if (m == ROBUST_MUTEX) {
		exit_if_failed(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
		exit_if_failed(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED),
			    "pthread_mutexattr_setpshared");
		exit_if_failed(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST),
			    "pthread_mutexattr_setrobust");
		exit_if_failed(pthread_mutex_init(&b->mutex, &attr), "pthread_mutex_init");
		exit_if_failed(pthread_mutexattr_destroy(&attr), "pthread_mutexattr_destroy");
	}

	pid_t pid = Fork();
	if (pid == 0) {
		bench_count(b, named, m, CHILD, o, NULL);
		exit(0);
	}
	bench_count(b, named, m, PARENT, o, &start);
	wait_child(pid);
	clock_gettime(CLOCK_MONOTONIC, &end);
	*seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;

	long counter = m == ATOMIC ? atomic_load(&b->atomic) : b->counter;
	if (m == NAMED_SEM) {
		Sem_unlink(name);
		Sem_close(named);
	} else if (m == SHM_SEM) {
		Sem_destroy(&b->sem);
	} else if (m == ROBUST_MUTEX) {
		exit_if_failed(pthread_mutex_destroy(&b->mutex), "pthread_mutex_destroy");
	}
	Munmap(b, sizeof *b);
	return counter;
}

/* --compare: the table, then a result line. A method with a lock (or the
 * atomic) that loses an update is a failure: exit 1. */
int compare_methods(const struct counter_opts *opts)
{
	struct counter_opts o = *opts;
	long expected = 2 * o.nloop, lost[NMETHODS];
	bool failed = false;

	if (o.verbose)
		usage_error("--compare and -v do not go together");
	o.quiet = true; /* a line per step would be all we timed */
	printf("%-22s %11s %11s %11s %14s  %s\n", "method", "counter", "expected", "lost",
	       "increments/s", "result");
	for (enum method m = 0; m < NMETHODS; m++) {
		double seconds;
		long counter = run_method(m, &o, &seconds);
		lost[m] = expected - counter;
		printf("%-22s %11ld %11ld %11ld %14.0f  %s\n", method_name[m], counter, expected,
		       lost[m], seconds > 0 ? (double)expected / seconds : 0.0,
		       lost[m] == 0 ? "correct" : "incorrect");
		failed |= m != NO_LOCK && lost[m] != 0;
	}
	if (failed)
		err_quit("a method with a lock lost updates: the lock did not work");
	printf("result: no lock lost %ld of %ld; the four others lost none\n", lost[NO_LOCK],
	       expected);
	return 0;
}
