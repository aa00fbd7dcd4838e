/*
 * 14-atomic-counter - no lock at all: the increment itself is indivisible.
 *
 * Lab 05's counter needed a semaphore because an increment was a load and a
 * store with a gap between. Here the counter is a C11 _Atomic long and each
 * increment is one atomic_fetch_add, which the hardware does as one step (lock
 * xadd on x86, ldadd or ll/sc on ARM): no update can fall in a gap. Between
 * processes that holds only if the atomic is lock-free (a compiler's fallback
 * lock would live in each process, not in the mapping), so the program checks.
 *
 * Calls: mmap (MAP_SHARED|MAP_ANONYMOUS), atomic_is_lock_free, atomic_fetch_add,
 *        atomic_load.
 * Knobs: -y yields after each increment: there is no gap inside one to widen;
 *        --compare times NLOOP steps with no lock, 03, 04, 13 and the atomic.
 *
 *   $ bin/14-atomic-counter -q 1000000
 *   result: counter=2000000 expected=2000000 lost=0
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS is Linux and BSD, not POSIX.1-2008 */
#include "unpipc.h"

#include <stdatomic.h>

int compare_methods(const struct counter_opts *o); /* --compare, in compare.c */

struct shared {
	_Atomic long counter; /* lock-free: the hardware makes each fetch_add indivisible */
	volatile int gate[2]; /* start gate: both begin counting together */
};

static void count(struct shared *sh, int me, const struct counter_opts *o)
{
	gate_wait(sh->gate, me);
	for (long i = 0; i < o->nloop; i++) {
		long v = atomic_fetch_add(&sh->counter, 1); /* load and store as one step */
		counter_step(o, me, v); /* print "who: v", yield, trace: after, not inside */
	}
}

int main(int argc, char **argv)
{
	struct counter_opts o;
	struct shared *sh;

	prog_init(argv, "[-q] [-y] [-v] [--compare] NLOOP");
	bool compare = take_flag(&argc, argv, "--compare");
	parse_counter_args(argc, argv, "v", &o);

	sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!atomic_is_lock_free(&sh->counter)) /* a hidden lock would not be shared */
		err_quit("_Atomic long is not lock-free here, so it cannot work between processes");
	if (compare)
		return compare_methods(&o);

	pid_t pid = Fork();
	if (pid == 0) {
		count(sh, CHILD, &o);
		exit(0);
	}
	count(sh, PARENT, &o);
	wait_child(pid);
	print_result(&o, atomic_load(&sh->counter));
	return 0;
}
