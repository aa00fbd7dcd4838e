/*
 * 15-memory-order - a lock that looks right and isn't: the processor may let
 * a load pass an earlier store.
 *
 * --litmus: the store-buffer test. In each trial both processes start
 * together; each stores its own flag, then loads the other's. Whichever store
 * came first, the other process's load comes after it and must see it - if
 * each process did its store before its load. Trials where both saw the other's
 * flag still down prove that, seen from the other CPU, the load went first:
 * the store was waiting in this CPU's store buffer. --fence puts
 * atomic_thread_fence(memory_order_seq_cst) between the store and the load.
 *
 * Without --litmus: Peterson's lock, written as in the textbook, guards the
 * counter of labs 02-05. Its entry is that same store, then load of the other's
 * flag; so both processes can be inside at once, and updates are lost. With
 * --fence, lost=0.
 *
 * Calls: mmap (MAP_SHARED|MAP_ANONYMOUS), fork, sched_setaffinity, atomic_thread_fence,
 *        atomic_is_lock_free, atomic_store_explicit, atomic_load_explicit,
 *        sched_yield, waitid.
 * Knobs: --fence adds the fence; -y yields inside the critical section;
 *        TRIALS for --litmus (default 100000). Parent and child are pinned to
 *        two CPUs if they may use two (taskset -c 0: one, and nothing shows).
 *
 *   $ bin/15-memory-order --litmus
 *   store buffer test, no fence: each process stores its flag, then loads the other's
 *     parent saw 1, child saw 1:      144
 *     parent saw 1, child saw 0:    49237
 *     parent saw 0, child saw 1:    49190
 *     parent saw 0, child saw 0:     1429  <- impossible in program order
 *   both saw 0 in 1429 of 100000 trials
 *   $ bin/15-memory-order -q 1000000
 *   result: counter=1999425 expected=2000000 lost=575
 *   $ bin/15-memory-order -q --fence 1000000
 *   result: counter=2000000 expected=2000000 lost=0
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET: Linux; and MAP_ANONYMOUS */
#include "unpipc.h"

#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>

#define TRIALS_DEFAULT 100000
#define TRIALS_MAX 1000000000000L /* counted as they go: no array grows with them */
/* Peterson: turns of a loop of other work between unlock and the next lock.
 * Without it the two take strict turns, one always waiting in the loop with its
 * flag up, and they reach the lock's entry together, where the race is, some
 * ten times less often. */
#define OUTSIDE_WORK 300

/* Each flag on a cache line of its own, away from the other fields, so that a
 * store to it moves only that line: the flags are the test, not false sharing. */
struct shared {
	struct {
		alignas(64) volatile long v;
	} flag[2];                         /* flag[me].v: written by me, read by the other */
	alignas(64) volatile int turn;     /* Peterson: who yields if both want in */
	alignas(64) volatile long counter; /* the counter of labs 02-05, under the lock */
	alignas(64) _Atomic long arrived[2]; /* --litmus: the trial each process has reached */
	alignas(64) bool child_saw[2];     /* --litmus: the child's answer, trial t in [t % 2] */
	volatile int gate[2];              /* the lock: the start gate of labs 02-05 */
};

static struct shared *sh;
static bool fence;    /* --fence */
static pid_t peer;    /* the parent's child, or the child's parent */

/* Is the other process still there? A child that died or failed: wait_child
 * says how, and exits 1 (one that finished its share is fine). A dead parent:
 * say so and exit 1. `doing` is what we were doing. */
static void check_peer(int me, const char *doing)
{
	siginfo_t si = {0};

	if (me == PARENT && waitid(P_PID, (id_t)peer, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid != 0 && !(si.si_code == CLD_EXITED && si.si_status == 0))
		wait_child(peer);
	if (me == CHILD && getppid() != peer)
		err_quit("the parent died while we %s", doing);
}

/* Called in every spin: now and then yield, so that on a busy machine (or one
 * CPU) the process we wait for can run; and look whether it is still there. */
static void spin_wait(int me, unsigned long *spins, const char *doing)
{
	if (++*spins % 1024 != 0)
		return;
	sched_yield();
	if (*spins % (64 * 1024) == 0)
		check_peer(me, doing);
}

/* Reordering shows only between two CPUs, each with its store buffer: put the
 * parent on the first CPU we may use and the child on the second, so that the
 * scheduler of a busy machine cannot put both on one. With one CPU, stay. */
static void pin(int me)
{
	cpu_set_t allowed, one;
	int seen = 0;

	if (sched_getaffinity(0, sizeof allowed, &allowed) == -1)
		err_sys("sched_getaffinity");
	if (CPU_COUNT(&allowed) < 2)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || seen++ != me)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) == -1)
			err_sys("sched_setaffinity CPU %d", cpu);
		return;
	}
}

/* ---- the store-buffer litmus test ---- */

/* Trial t starts when both have reached it. Trial numbers only grow, so the
 * gate needs no reset. Release and acquire would be enough to keep one trial's
 * accesses out of the next; the store is seq_cst (on x86 an xchg, which waits
 * until the store has left the store buffer) so that the two leave the gate
 * within nanoseconds of each other. With a release store the last to arrive
 * runs ahead by a cache miss: "both saw 0" fell from several in 100 to 1 in 1000. */
static void trial_gate(int me, long t)
{
	unsigned long spins = 0;
	atomic_store_explicit(&sh->arrived[me], t, memory_order_seq_cst);
	while (atomic_load_explicit(&sh->arrived[1 - me], memory_order_acquire) < t)
		spin_wait(me, &spins, "waited for the next trial");
}

/* Trial t: my flag is "up" when it holds t, so there is no reset between
 * trials that could be mistaken for a flag still down. Returns whether I saw
 * the other's flag up. */
static bool trial(int me, long t)
{
	trial_gate(me, t);
	sh->flag[me].v = t;            /* store: my flag up */
	if (fence)
		atomic_thread_fence(memory_order_seq_cst); /* the store is seen before the load runs */
	long seen = sh->flag[1 - me].v; /* load: is the other's up? */
	return seen >= t;
}

/* The child leaves its answer to trial t in child_saw[t % 2] before it
 * arrives at gate t + 1 (a seq_cst store, so a release). */
static void litmus_child(long trials)
{
	for (long t = 1; t <= trials; t++)
		sh->child_saw[t % 2] = trial(CHILD, t);
}

/* The parent counts as it goes, so any number of trials fits in one page:
 * once it has passed gate t (an acquire), the child's answer to t - 1 is
 * there, and its slot is not written again before the parent arrives at
 * t + 1. n[what the parent saw][what the child saw]. */
static void litmus_parent(pid_t child, long trials, long n[2][2])
{
	bool mine = false;
	for (long t = 1; t <= trials; t++) {
		bool saw = trial(PARENT, t);
		if (t > 1)
			n[mine][sh->child_saw[(t - 1) % 2]]++;
		mine = saw;
	}
	wait_child(child); /* its last answer is there once it has exited */
	n[mine][sh->child_saw[trials % 2]]++;
}

/* ---- Peterson's lock around the counter ---- */

static void lock(int me)
{
	int other = 1 - me;
	unsigned long spins = 0;

	sh->flag[me].v = 1; /* I want in, */
	sh->turn = other;   /* but if you want in too, you go first */
	if (fence)
		atomic_thread_fence(memory_order_seq_cst); /* both stores seen before the loads below */
	while (sh->flag[other].v && sh->turn == other)
		spin_wait(me, &spins, "waited for the lock");
	/* Free on x86; on ARM the counter's load must not run before the loop's. */
	atomic_thread_fence(memory_order_acquire);
}

static void unlock(int me)
{
	/* Free on x86; on ARM the counter's store must be seen before the flag's. */
	atomic_thread_fence(memory_order_release);
	sh->flag[me].v = 0;
}

static void count(int me, const struct counter_opts *o)
{
	gate_wait(sh->gate, me);
	for (long i = 0; i < o->nloop; i++) {
		if (i % 4096 == 0) /* a peer that died away from the lock leaves it free */
			check_peer(me, "counted");
		lock(me);
		long v = sh->counter;   /* load */
		counter_step(o, me, v); /* print "who: v", yield */
		sh->counter = v + 1;    /* store: safe only if the lock worked */
		unlock(me);
		for (volatile int k = 0; k < OUTSIDE_WORK; k++)
			continue; /* the rest of the program, outside the lock */
	}
}

/* --litmus [TRIALS]: what is left of argv after --litmus and --fence. */
static long parse_trials(int argc, char **argv)
{
	int i = 1;
	if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0)
		usage_error("unknown option '%s' (with --litmus: only --fence)", argv[i]);
	i += i < argc && strcmp(argv[i], "--") == 0;
	if (i + 1 < argc)
		usage_error("unexpected argument '%s'", argv[i + 1]);
	return i < argc ? parse_count(argv[i], "TRIALS", 1, TRIALS_MAX) : TRIALS_DEFAULT;
}

static void print_litmus(long trials, long n[2][2])
{
	printf("store buffer test, %s: each process stores its flag, then loads the other's\n",
	       fence ? "with the fence" : "no fence");
	for (int p = 1; p >= 0; p--)
		for (int c = 1; c >= 0; c--)
			printf("  parent saw %d, child saw %d: %8ld%s\n", p, c, n[p][c],
			       p + c == 0 ? "  <- impossible in program order" : "");
	printf("both saw 0 in %ld of %ld trials\n", n[0][0], trials);
}

/* --litmus: each process runs the trials on its own CPU; the parent counts. */
static void run_litmus(long trials)
{
	long n[2][2] = {{0, 0}, {0, 0}};

	peer = getpid();
	pid_t pid = Fork();
	if (pid == 0) {
		pin(CHILD);
		litmus_child(trials);
		exit(0);
	}
	peer = pid;
	pin(PARENT);
	litmus_parent(pid, trials, n);
	print_litmus(trials, n);
}

/* Peterson's lock around the counter, as labs 02-05 count. */
static void run_peterson(const struct counter_opts *o)
{
	peer = getpid();
	pid_t pid = Fork();
	if (pid == 0) {
		pin(CHILD);
		count(CHILD, o);
		exit(0);
	}
	peer = pid;
	pin(PARENT);
	count(PARENT, o);
	wait_child(pid);
	print_result(o, sh->counter);
}

int main(int argc, char **argv)
{
	struct counter_opts o;
	long trials = 0;

	prog_init(argv, "[-q] [-y] [--fence] NLOOP | --litmus [--fence] [TRIALS]");
	bool litmus_mode = take_flag(&argc, argv, "--litmus");
	fence = take_flag(&argc, argv, "--fence");
	if (litmus_mode)
		trials = parse_trials(argc, argv);
	else
		parse_counter_args(argc, argv, "", &o);

	sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!atomic_is_lock_free(&sh->arrived[0])) /* a hidden lock would not be shared (lab 14) */
		err_quit("_Atomic long is not lock-free here, so it cannot work between processes");
	if (litmus_mode)
		run_litmus(trials);
	else
		run_peterson(&o);
	return 0;
}
