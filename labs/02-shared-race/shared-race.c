/*
 * 02-shared-race - a counter in shared memory, no lock: updates are lost.
 *
 * The counter now lives in a file mapped MAP_SHARED, so parent and child see
 * one counter. Each increment is a load and a store; when both processes load
 * the same value, both store value+1 and one increment is lost.
 *
 * Each loop notes when it began and ended; the overlap line says how long
 * both were under way. Without overlap, no update can be lost.
 *
 * Calls: open_backing_file (mkstemp, ftruncate, posix_fallocate),
 *        mmap (MAP_SHARED), close, fork, clock_gettime (CLOCK_MONOTONIC).
 * Knobs: -y yields between load and store (shows the race on one core too);
 *        -v records every load and prints the interleaving, marking lost ones;
 *        -f PATH maps PATH instead of a private temp file (it is kept).
 *
 *   $ bin/02-shared-race -q 1000000
 *   overlap: the loops ran side by side for 3.018 of 3.412 ms
 *   result: counter=1131415 expected=2000000 lost=868585
 */
#include "unpipc.h"

struct shared {
	volatile long counter; /* volatile: one real load and one real store per step */
	volatile int gate[2];  /* start gate: both begin counting together */
	struct timespec began[2], ended[2]; /* each process writes its own; the parent reads after wait */
};

static void count(struct shared *sh, int me, const struct counter_opts *o)
{
	gate_wait(sh->gate, me);
	clock_gettime(CLOCK_MONOTONIC, &sh->began[me]);
	for (long i = 0; i < o->nloop; i++) {
		long v = sh->counter;   /* load */
		counter_step(o, me, v); /* print "who: v", yield, trace */
		sh->counter = v + 1;    /* store: may overwrite the other's store */
	}
	clock_gettime(CLOCK_MONOTONIC, &sh->ended[me]);
}

static long ns(const struct timespec *t)
{
	return (long)t->tv_sec * 1000000000L + t->tv_nsec;
}

/* A lost update needs both loops under way at once: say whether they were. */
static void print_overlap(const struct shared *sh)
{
	static const char *who[2] = {"parent", "child"};
	int a = ns(&sh->began[CHILD]) < ns(&sh->began[PARENT]) ? CHILD : PARENT; /* began first */
	int b = 1 - a;
	long a_end = ns(&sh->ended[a]), b_end = ns(&sh->ended[b]);
	long both = (a_end < b_end ? a_end : b_end) - ns(&sh->began[b]);
	long all = (a_end > b_end ? a_end : b_end) - ns(&sh->began[a]);

	if (both > 0)
		printf("overlap: the loops ran side by side for %.3f of %.3f ms\n", both / 1e6, all / 1e6);
	else
		printf("no overlap: the %s's loop began %.3f ms after the %s's had ended\n",
		       who[b], -both / 1e6, who[a]);
}

int main(int argc, char **argv)
{
	struct counter_opts o;

	prog_init(argv, "[-q] [-y] [-v] [-f PATH] NLOOP");
	parse_counter_args(argc, argv, "vf", &o);

	int fd = open_backing_file(o.path, sizeof(struct shared));
	struct shared *sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);

	pid_t pid = Fork();
	if (pid == 0) {
		count(sh, CHILD, &o);
		exit(0);
	}
	count(sh, PARENT, &o);
	wait_child(pid);
	print_overlap(sh);
	print_result(&o, sh->counter);
	return 0;
}
