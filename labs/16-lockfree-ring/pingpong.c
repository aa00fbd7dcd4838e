/* pingpong.c - one byte there and back between two processes, five ways:
 * how long does a hand-off take, and what does the waiting cost in CPU?
 *   pipe        write + read on two pipes: the kernel carries the byte
 *   semaphore   sem_post + sem_wait on two semaphores in shared memory
 *   futex       advance + wait_change, never spinning: FUTEX_WAIT at once
 *   spin        the same, spinning only: never a system call
 *   spin+futex  the same, spinning --spin microseconds first (the ring's way)
 * The pinger times every round trip; the echo sends each byte straight back.
 * With two CPUs they are pinned one to each: sleeping then means waking an
 * idle CPU, which is what the futex and the pipe pay for. CPU time is what
 * the two processes burn together (getrusage), beside the wall time; vol_cs
 * counts the times either went to sleep to wait, invol_cs the times the
 * scheduler took its CPU away.
 * Last, a stream of counts through a small ring, both sides spinning, with
 * head and tail on a cache line each and then on one: false sharing, timed. */
#define _GNU_SOURCE /* sched_setaffinity, MAP_ANONYMOUS: Linux calls */
#include "unpipc.h"
#include "lockfree-ring.h"

#include <sched.h>
#include <sys/resource.h>

#define WARMUP 1000 /* untimed round trips first (at most; no more than -c) */
#define STREAM_SLOTS 64 /* the stream's ring: counts, not chunks */

enum method { PIPE, SEM, FUTEX, SPIN, SPIN_FUTEX, NMETHODS };
static const char *const method_name[NMETHODS] = {"pipe", "semaphore", "futex", "spin", "spin+futex"};

struct court {
	sem_t ping, pong;        /* SEM: the ball is the echo's; it is back */
	pid_t pinger, echo;
	struct usage {
		double cpu_ms;
		long vcs, ivcs; /* voluntary and involuntary context switches */
	} echo_usage;            /* the echo's, stored before it exits */
	long echo_futex_calls;
	_Alignas(CACHE_LINE) struct index to;   /* the others: the ball's number, pinger -> echo */
	_Alignas(CACHE_LINE) struct index back; /* and echo -> pinger */
	/* the stream: head and tail as in the copier, on two lines or on one */
	_Alignas(CACHE_LINE) struct index line[2][CACHE_LINE / sizeof(struct index)];
	_Alignas(CACHE_LINE) uint32_t ring[STREAM_SLOTS];
};

static struct usage usage(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (struct usage){(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
				      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
			      ru.ru_nvcsw, ru.ru_nivcsw};
}

/* Each side, once a tick of waiting: is the other still there? */
static void echo_tick(void *arg)
{
	struct court *c = arg;
	if (getppid() != c->pinger)
		err_quit("pingpong: the pinger is gone");
}

static void pinger_tick(void *arg)
{
	struct court *c = arg;
	siginfo_t si = {.si_pid = 0};
	if (waitid(P_PID, (id_t)c->echo, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0)
		err_quit("pingpong: the echo (pid %ld) died", (long)c->echo);
}

static void sem_turn(sem_t *sem, struct court *c, void (*tick)(void *))
{
	while (!Sem_timedwait(sem, TICK_MS))
		tick(c);
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) == -1)
		err_sys("sched_setaffinity CPU %d", cpu);
}

/* The echo: every ball straight back, until the pinger has sent them all. */
static void echo(enum method m, struct court *c, int fd_in, int fd_out, long trips, long spin)
{
	unsigned char b;
	long calls0 = futex_waits + futex_wakes; /* the pinger's so far, inherited */
	for (long i = 1; i <= trips; i++) {
		if (m == PIPE) {
			if (read(fd_in, &b, 1) != 1 || write(fd_out, &b, 1) != 1)
				err_quit("pingpong: the pinger is gone");
		} else if (m == SEM) {
			sem_turn(&c->ping, c, echo_tick);
			Sem_post(&c->pong);
		} else {
			uint32_t got = wait_change(&c->to, (uint32_t)(i - 1), spin, echo_tick, c);
			advance(&c->back, got);
		}
	}
	c->echo_usage = usage();
	c->echo_futex_calls = futex_waits + futex_wakes - calls0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One method: fork the echo, send `count` balls after the warm-up, time each. */
static void play(enum method m, struct court *c, double *us, long count, long spin, int echo_cpu)
{
	int to[2] = {-1, -1}, back[2] = {-1, -1};
	long warmup = count < WARMUP ? count : WARMUP, trips = warmup + count;
	struct timespec start, t0, t1;

	memset(c, 0, sizeof *c);
	c->pinger = getpid();
	Sem_init(&c->ping, 1, 0);
	Sem_init(&c->pong, 1, 0);
	if (m == PIPE && (pipe(to) == -1 || pipe(back) == -1))
		err_sys("pipe");
	long calls0 = futex_waits + futex_wakes;
	struct usage u0 = usage();
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t pid = Fork();
	if (pid == 0) {
		if (echo_cpu >= 0)
			pin(echo_cpu);
		if (m == PIPE)
			Close(to[1]), Close(back[0]); /* the pinger's ends: theirs alone, so EOF says it is gone */
		echo(m, c, to[0], back[1], trips, spin);
		exit(0);
	}
	c->echo = pid;
	if (m == PIPE)
		Close(to[0]), Close(back[1]);
	for (long i = 1; i <= trips; i++) {
		unsigned char b = (unsigned char)i, r = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (m == PIPE) {
			if (write(to[1], &b, 1) != 1 || read(back[0], &r, 1) != 1)
				err_quit("pingpong: the echo is gone");
		} else if (m == SEM) {
			Sem_post(&c->ping);
			sem_turn(&c->pong, c, pinger_tick);
			r = b;
		} else {
			advance(&c->to, (uint32_t)i);
			r = (unsigned char)wait_change(&c->back, (uint32_t)(i - 1), spin, pinger_tick, c);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r != b)
			err_quit("pingpong: sent %u, got %u back", b, r);
		if (i > warmup)
			us[i - warmup - 1] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
					     (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	wait_child(pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - start.tv_sec) * 1e3 + (double)(t1.tv_nsec - start.tv_nsec) / 1e6;
	struct usage u = usage(), e = c->echo_usage;
	double cpu = u.cpu_ms - u0.cpu_ms + e.cpu_ms;
	long calls = futex_waits + futex_wakes - calls0 + c->echo_futex_calls;
	if (m == PIPE)
		Close(to[1]), Close(back[0]);
	Sem_destroy(&c->ping);
	Sem_destroy(&c->pong);
	qsort(us, (size_t)count, sizeof us[0], by_value);
	printf("%-10s %9.2f %8.2f %9.2f %8.1f %8.1f %6.2f %10.2f %7ld %8ld\n", method_name[m], us[count / 2],
	       us[(count * 99 + 99) / 100 - 1], us[(count * 999 + 999) / 1000 - 1], cpu, wall,
	       cpu / wall, (double)calls / (double)trips, u.vcs - u0.vcs + e.vcs, u.ivcs - u0.ivcs + e.ivcs);
	fflush(stdout);
}

/* False sharing, measured: a stream of counts through a ring of
 * STREAM_SLOTS, both sides spinning, nothing else in the loop: head and tail
 * on a cache line each, then on one. Nanoseconds a count. */
static double stream(struct court *c, long count, bool same_line, int echo_cpu)
{
	struct timespec t0, t1;

	memset(c, 0, sizeof *c);
	c->pinger = getpid();
	struct index *head = &c->line[0][0], *tail = same_line ? &c->line[0][1] : &c->line[1][0];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = Fork();
	if (pid == 0) { /* the consumer */
		if (echo_cpu >= 0)
			pin(echo_cpu);
		uint32_t h = 0;
		for (uint32_t i = 0; i < (uint32_t)count; i++) {
			while (h == i)
				h = wait_change(head, h, -1, echo_tick, c);
			if (c->ring[i % STREAM_SLOTS] != i)
				err_quit("stream: count %lu read as %lu", (unsigned long)i,
					 (unsigned long)c->ring[i % STREAM_SLOTS]);
			advance(tail, i + 1);
		}
		exit(0);
	}
	c->echo = pid;
	uint32_t t = 0;
	for (uint32_t i = 0; i < (uint32_t)count; i++) {
		while (i - t == STREAM_SLOTS)
			t = wait_change(tail, t, -1, pinger_tick, c);
		c->ring[i % STREAM_SLOTS] = i;
		advance(head, i + 1);
	}
	wait_child(pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)count;
}

void pingpong(long count, long spin_us, const char *only)
{
	static const long spin[NMETHODS] = {[FUTEX] = 0, [SPIN] = -1};
	cpu_set_t all;
	int cpus[2] = {-1, -1}, found = 0, first = 0, last = NMETHODS - 1;

	if (only != NULL) { /* that method alone, and no stream */
		while (first < NMETHODS && strcmp(method_name[first], only) != 0)
			first++;
		if (first == NMETHODS)
			usage_error("unknown method '%s' for pingpong (want pipe, semaphore, futex, spin or spin+futex)", only);
		last = first;
	}

	if (sched_getaffinity(0, sizeof all, &all) == -1)
		err_sys("sched_getaffinity");
	for (int i = 0; i < CPU_SETSIZE && found < 2; i++)
		if (CPU_ISSET(i, &all))
			cpus[found++] = i;
	printf("one-byte round trips: %ld per method, after %ld untimed; ", count,
	       count < WARMUP ? count : WARMUP);
	choose_relax(); /* of all our CPUs, before we take one */
	if (found == 2) {
		pin(cpus[0]);
		printf("pinger on CPU %d, echo on CPU %d\n", cpus[0], cpus[1]);
	} else {
		cpus[1] = -1;
		printf("one CPU only: not pinned, the two take turns on it\n");
	}
	printf("method     median_us   p99_us  p99.9_us   cpu_ms  wall_ms   cpus futex/trip  vol_cs invol_cs\n");
	struct court *c = Mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* mapped, not malloc'd: each echo is forked with a copy and exits without it */
	size_t len = (size_t)count * sizeof(double);
	double *us = Mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int m = first; m <= last; m++)
		play((enum method)m, c, us, count, m == SPIN_FUTEX ? spin_us : spin[m], cpus[1]);
	if (only == NULL) {
		long n = count * 100;
		double apart = stream(c, n, false, cpus[1]), together = stream(c, n, true, cpus[1]);
		printf("stream of %ld counts, spinning: head and tail on a line each %.1f ns a count, "
		       "on one line (false sharing) %.1f ns: %.2fx\n", n, apart, together, together / apart);
	}
	Munmap(us, len);
	Munmap(c, sizeof *c);
}
