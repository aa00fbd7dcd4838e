/* wake-storm - a test tool: a process of the same user that does nothing but
 * wake the waiters of a 16-lockfree-ring object, to show that being woken is
 * not being answered.
 *
 *   wake-storm /NAME         map the object (once a server has made it ready)
 *   wake-storm /NAME serve   make it, as a server that stays alive and never
 *                            sends a chunk (for a client to wait on)
 *
 * Then, every 0.5 ms, FUTEX_WAKE on every count in it (head, tail on either
 * line, done), until SIGTERM or 120 s; it prints how many waiters it woke,
 * and removes the object it made. /NAME is the full POSIX name ("/" prefix
 * "." name). Exit 1 if the object never comes (10 s). */
#define _GNU_SOURCE /* syscall, SYS_futex */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lockfree-ring.h"

#define FUTEX_WAKE 1

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static void fail(const char *msg)
{
	fprintf(stderr, "wake-storm: %s\n", msg);
	exit(1);
}

/* Sleep ms milliseconds; give up after 10 s of waiting in all. */
static int waited_ms;
static void nap(const char *what)
{
	if (++waited_ms > 10000)
		fail(what);
	nanosleep(&(struct timespec){0, 1000000}, NULL);
}

static long wake(_Atomic uint32_t *word)
{
	long n = syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return n > 0 ? n : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term};
	struct shared *sh;
	int fd;
	bool serve = argc == 3 && strcmp(argv[2], "serve") == 0;

	if (argc != 2 && !serve)
		fail("usage: wake-storm /NAME [serve]");
	sigaction(SIGTERM, &sa, NULL);
	if (serve) { /* what a server does before READY: 4 slots of 4096 bytes, nothing in them */
		size_t size = COPY_DATA + 4 * 4096;
		if ((fd = shm_open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600)) == -1 ||
		    ftruncate(fd, (off_t)size) == -1)
			fail(strerror(errno));
		sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (sh == MAP_FAILED)
			fail("mmap failed");
		sh->mode = 0600;
		sh->chunk = 4096;
		sh->slots = 4;
		sh->pid[COPY_SERVER] = getpid(); /* alive all along: only -t can end the wait */
		sh->ready = READY;
	} else {
		struct stat st;
		while ((fd = shm_open(argv[1], O_RDWR, 0)) == -1)
			nap("the object never appeared");
		for (fstat(fd, &st); st.st_size < (off_t)sizeof *sh; fstat(fd, &st))
			nap("the object was never sized");
		sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (sh == MAP_FAILED)
			fail("mmap failed");
		while (sh->ready != READY)
			nap("the object was never made ready");
	}
	long woken = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		woken += wake(&sh->done.at) + wake(&sh->line[0][0].at) + wake(&sh->line[0][1].at) +
			 wake(&sh->line[1][0].at);
		nanosleep(&(struct timespec){0, 500000}, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!stop && now.tv_sec - start.tv_sec < 120);
	if (serve)
		shm_unlink(argv[1]); /* the client may have removed it already */
	printf("woke %ld\n", woken);
	return 0;
}
