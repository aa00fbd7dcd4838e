/* futex.c - wait for a count to change: spin a little, then sleep in the
 * kernel; wake the other side only when it said it sleeps.
 *
 * The lost wake-up this must avoid: the waiter sees `at == seen` and decides
 * to sleep; before it is asleep the writer advances `at`, sees nobody asleep,
 * and does not wake it; the waiter then sleeps although there is work. Two
 * things close that window:
 *   1. The waiter announces (sleeper = 1), then loads `at` again; the writer
 *      stores `at`, then loads `sleeper`. Both pairs are seq_cst: of two
 *      processes that each store then load the other's word, at least one
 *      sees the other's store (the store-buffer test of lab 15). So either the
 *      waiter sees the new `at` and does not sleep, or the writer sees
 *      sleeper == 1 and calls FUTEX_WAKE.
 *   2. FUTEX_WAIT sleeps only if the word still holds `seen`, checked by the
 *      kernel atomically with going to sleep (futex(2)): a store that comes
 *      between our load and the system call makes it return EAGAIN at once.
 */
#define _GNU_SOURCE /* syscall(), SYS_futex, sched_getaffinity: Linux calls */
#include "unpipc.h"
#include "lockfree-ring.h"

#include <sched.h>
#include <sys/syscall.h>

/* The operations of <linux/futex.h> (the kernel's ABI, never changed), written
 * out because a musl toolchain need not have the kernel's headers. Not the
 * _PRIVATE ones: the word is in memory shared between processes. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

long futex_waits, futex_wakes;

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* Called first: a kernel without futex (ENOSYS) stops us with one line. */
void futex_check(void)
{
	_Atomic uint32_t word = 0;
	if (futex(&word, FUTEX_WAKE, 1, NULL) == -1)
		err_sys("futex (this lab needs Linux's futex(2))");
}

static int yield = -1; /* spinning gives the CPU away: we may use one CPU only */

/* Asked once: of the CPUs this process may use now. pingpong asks before it
 * pins each side to a CPU of its own, where each may use one but the other
 * runs beside it: there a spinning side that yielded would make a system call
 * at every look, and the ball would wait for it to return. */
void choose_relax(void)
{
	cpu_set_t set;
	if (yield == -1)
		yield = sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < 2;
}

/* What a spinning loop does between two looks: tell the CPU we spin (pause
 * on x86: less power, and the other hyperthread runs), or, on one CPU, give
 * it away: the writer we wait for cannot run while we spin. */
static void relax(bool yield)
{
	if (yield)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	else
		__builtin_ia32_pause();
#elif defined(__aarch64__)
	else
		__asm__ __volatile__("yield");
#endif
}

static long ns_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000000000L + (now.tv_nsec - t0->tv_nsec);
}

/* How long to spin is learnt from the last waits (one budget per process:
 * each side's waits are all alike). A wait longer than --spin halves the
 * budget, so that a side whose peer is slow, or does not get a CPU (a loaded
 * machine), soon sleeps at once, as with a semaphore, instead of burning the
 * CPU the peer may need. A wait that ended within --spin says a spin would
 * have caught it: the budget doubles (plus 1 µs, to grow from 0), up to
 * --spin. Cut fast, grown back slowly: a few quick hand-offs among slow ones
 * do not bring back the long spins. */
static long budget_ns = -1;

uint32_t wait_change(struct index *ix, uint32_t seen, long spin_us, void (*tick)(void *), void *arg)
{
	static long last_spin = -2; /* a new --spin (pingpong's rows) starts a new budget */
	struct timespec t0;
	uint32_t now;
	long next_tick = TICK_MS * 1000000L, max_ns = spin_us * 1000;

	choose_relax();
	if (spin_us != last_spin)
		budget_ns = max_ns, last_spin = spin_us;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* acquire: pairs with the writer's store in advance(): once we see its
	 * new count, we see everything it wrote before (the slot, its len) */
	for (unsigned n = 1; spin_us < 0 || budget_ns > 0; n++) {
		if ((now = atomic_load_explicit(&ix->at, memory_order_acquire)) != seen)
			return now;
		relax(yield);
		if (n % 64 != 0)
			continue;
		long ns = ns_since(&t0);
		if (spin_us >= 0 && ns > budget_ns)
			break;
		if (ns > next_tick) { /* spinning only (-1): still look at the peer */
			if ((now = atomic_load_explicit(&ix->at, memory_order_acquire)) != seen)
				return now; /* (first the count: a peer may advance it, then exit) */
			tick(arg);
			next_tick += TICK_MS * 1000000L;
		}
	}
	/* Then sleep, up to the next tick at most. The ticks are kept on the
	 * clock (next_tick, from t0), not counted in timeouts that ran out: a
	 * FUTEX_WAIT also ends on any FUTEX_WAKE of the word (anyone who can map
	 * the object may make one, as often as it likes), on a signal, or at once
	 * when the word moved and moved back, and none of these may put off the
	 * look at the peer. (glibc's sem_timedwait keeps an absolute deadline
	 * for the same reason.) */
	for (;;) {
		/* seq_cst, both: the announce and the look after it are the store
		 * and load of the store-buffer pair (1. above); the load is also
		 * acquire, as in the spin */
		atomic_store_explicit(&ix->sleeper, 1, memory_order_seq_cst);
		if ((now = atomic_load_explicit(&ix->at, memory_order_seq_cst)) != seen)
			break;
		long left = next_tick - ns_since(&t0);
		if (left <= 0) { /* a tick of waiting, whatever woke us: is the peer still there? */
			tick(arg); /* (the count first: a peer may advance it, then exit) */
			next_tick += TICK_MS * 1000000L;
			continue;
		}
		struct timespec timeout = {left / 1000000000L, left % 1000000000L};
		futex_waits++;
		if (futex(&ix->at, FUTEX_WAIT, seen, &timeout) == -1 && errno != ETIMEDOUT &&
		    errno != EAGAIN && errno != EINTR)
			err_sys("futex wait");
	}
	/* relaxed: the flag is only a hint to the writer; a stale 1 costs it one
	 * needless FUTEX_WAKE, never a lost one (we are awake). (It is 0 already
	 * if the writer woke us.) */
	atomic_store_explicit(&ix->sleeper, 0, memory_order_relaxed);
	if (ns_since(&t0) > max_ns)
		budget_ns /= 2;
	else if ((budget_ns = budget_ns * 2 + 1000) > max_ns)
		budget_ns = max_ns;
	return now;
}

void advance(struct index *ix, uint32_t value)
{
	/* seq_cst: release would do to publish what we wrote before (the waiter's
	 * acquire load pairs with it), but the load of `sleeper` below must not
	 * be done before this store is visible (the store-buffer pair, 1. above);
	 * release + acquire allow exactly that reordering, seq_cst does not */
	atomic_store_explicit(&ix->at, value, memory_order_seq_cst);
	/* a plain load first: the fast path writes nothing to the waiter's flag.
	 * Then we take the flag (exchange, seq_cst like the load it follows):
	 * a woken waiter takes a while to run, and until it does, every count we
	 * publish would find its 1 still there and wake it again */
	if (atomic_load_explicit(&ix->sleeper, memory_order_seq_cst) &&
	    atomic_exchange_explicit(&ix->sleeper, 0, memory_order_seq_cst)) {
		futex_wakes++;
		if (futex(&ix->at, FUTEX_WAKE, 1, NULL) == -1)
			err_sys("futex wake");
	}
}
