/* latency.c - one byte there and back between two processes: how long does a
 * round trip take through a pair of pipes, and through shared memory with two
 * semaphores? No data volume here, only the cost of waking the other side. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS is Linux and BSD, not POSIX.1-2008 */
#include "bench.h"

#define TRIPS 10000 /* round trips per run (-r) */
#define WARMUP 1000 /* untimed round trips first */
#define SPINS 2000  /* shm-spin: sem_trywait()s before sleeping in sem_wait() */

enum kind { PIPES, SHM, SPIN, NKINDS };
static const char *const kind_name[NKINDS] = {"pipe", "shm", "shm-spin"};
static const char *const kind_what[NKINDS] = {"write + read on two pipes",
	"sem_post + sem_wait in shared memory", "the same, sem_trywait spins first"};

struct pingpong {
	sem_t ping, pong;         /* ping: the ball is the echo's; pong: it is back */
	unsigned char ball, back; /* the byte, and the echo's copy of it */
	double us[];              /* every timed round trip, written by the pinger */
};

/* Sleeping in the kernel and being woken is the cost; a waiter that polls
 * first never sleeps while the other side answers within the spin. */
static void wait_turn(sem_t *sem, enum kind k)
{
	for (int i = 0; k == SPIN && i < SPINS; i++)
		if (sem_trywait(sem) == 0)
			return;
	Sem_wait(sem);
}

/* The pinger: fork the echo, send the ball `trips` times, time each return.
 * (No EINTR: every signal that we catch ends us.) */
static void play(enum kind k, struct pingpong *pp, long trips)
{
	int to[2], from[2]; /* pipes: pinger -> echo, echo -> pinger */
	unsigned char c, r = 0;

	if (k == PIPES && (pipe(to) == -1 || pipe(from) == -1))
		err_sys("pipe");
	Sem_init(&pp->ping, 1, 0);
	Sem_init(&pp->pong, 1, 0);
	pid_t pid = Fork();
	/* Each keeps only its own ends, so that when one side dies the other
	 * reads end of file, not waits for ever on a pipe it holds itself. (The
	 * semaphores: Sem_wait looks every second whether the other is alive.) */
	if (k == PIPES)
		Close(pid == 0 ? to[1] : to[0]), Close(pid == 0 ? from[0] : from[1]);
	if (pid == 0) { /* the echo: every byte straight back */
		for (long i = -WARMUP; i < trips; i++) {
			if (k != PIPES) {
				wait_turn(&pp->ping, k);
				pp->back = pp->ball;
				Sem_post(&pp->pong);
			} else if (read(to[0], &c, 1) != 1 || write(from[1], &c, 1) != 1) {
				err_quit("ping-pong: the pinger is gone");
			}
		}
		exit(0);
	}
	for (long i = -WARMUP; i < trips; i++) {
		struct timespec t0, t1;
		c = (unsigned char)i;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (k != PIPES) {
			pp->ball = c;
			Sem_post(&pp->ping);
			wait_turn(&pp->pong, k);
			r = pp->back;
		} else if (write(to[1], &c, 1) != 1 || read(from[0], &r, 1) != 1) {
			err_quit("ping-pong: the echo is gone");
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r != c)
			err_quit("ping-pong: sent %u, got %u back", c, r);
		if (i >= 0)
			pp->us[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	wait_child(pid);
	Sem_destroy(&pp->ping);
	Sem_destroy(&pp->pong);
}

/* Each kind in a process tree of its own, the pinger and its echo, measured
 * like a copier. One line per kind: the median and the 99th percentile trip. */
bool latency_test(long runs)
{
	long trips = runs * TRIPS;
	size_t len = sizeof(struct pingpong) + (size_t)trips * sizeof(double);
	bool ok = true;

	printf("round trips: %ld x %d per method after %d untimed\n", runs, TRIPS, WARMUP);
	printf("method   median_us   p99_us  cpu_ms vol_cs invol_cs what\n");
	for (int k = 0; k < NKINDS; k++) {
		struct pingpong *pp = Mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		struct rusage ru;
		char why[200];
		pid_t pid = spawn(NULL, -1);
		if (pid == 0) {
			play((enum kind)k, pp, trips);
			exit(0);
		}
		int status = reap(pid, &ru);
		if (status != 0) { /* it said why; the times are not all there */
			status_text(status, -1, why, sizeof why);
			fprintf(stderr, "%s: latency %s: %s\n", prog_name(), kind_name[k], why);
			printf("%-8s %10s %8s %7s %6s %8s FAILED: %s\n", kind_name[k], "-", "-", "-", "-", "-", why);
			ok = false;
		} else {
			double med = median(pp->us, (size_t)trips); /* sorts them */
			printf("%-8s %10.2f %8.2f %7.1f %6ld %8ld %s\n", kind_name[k], med, pp->us[trips * 99 / 100],
			       cpu_ms(&ru), ru.ru_nvcsw, ru.ru_nivcsw, kind_what[k]);
		}
		fflush(stdout);
		Munmap(pp, len);
	}
	return ok;
}
