/*
 * 02-shared-race - a counter in shared memory, no lock: updates are lost.
 *
 * The counter now lives in a file mapped MAP_SHARED, so parent and child see
 * one counter. Each increment is a load and a store; when both processes load
 * the same value, both store value+1 and one increment is lost.
 *
 * Calls: open_backing_file (mkstemp, ftruncate, posix_fallocate),
 *        mmap (MAP_SHARED), close, fork.
 * Knobs: -y yields between load and store (shows the race on one core too);
 *        -v records every load and prints the interleaving, marking lost ones;
 *        -f PATH maps PATH instead of a private temp file (it is kept).
 *
 * The result says whether the two loops overlapped in time: without overlap,
 * no update can be lost.
 *
 *   $ bin/02-shared-race -q 1000000
 *   overlap: the loops ran side by side for 5.234 of 9.531 ms
 *   result: counter=1052907 expected=2000000 lost=947093
 */
#include "unpipc.h"

struct shared {
	volatile long counter; /* volatile: one real load and one real store per step */
	volatile int gate[2];  /* start gate: both begin counting together */
};

static void count(struct shared *sh, int me, const struct counter_opts *o)
{
	gate_wait(sh->gate, me);
	for (long i = 0; i < o->nloop; i++) {
		long v = sh->counter;   /* load */
		counter_step(o, me, v); /* print "who: v", yield, trace */
		sh->counter = v + 1;    /* store: may overwrite the other's store */
	}
}

int main(int argc, char **argv)
{
	struct counter_opts o;

	prog_init(argv, "[-q] [-y] [-v] [-f PATH] NLOOP");
	parse_counter_args(argc, argv, "vf", &o);

	int fd = open_backing_file(o.path, sizeof(struct shared));
	struct shared *sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);
	time_the_loops(); /* before fork: both processes note when they count */

	pid_t pid = Fork();
	if (pid == 0) {
		count(sh, CHILD, &o);
		exit(0);
	}
	count(sh, PARENT, &o);
	wait_child(pid);
	print_result(&o, sh->counter);
	return 0;
}
