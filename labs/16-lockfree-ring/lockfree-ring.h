/* lockfree-ring.h - the shared object of 16-lockfree-ring, and the wait and
 * wake of futex.c. The layout is the contract between the two sides (and the
 * tests' tests/corrupt-ring.c). */
#ifndef LOCKFREE_RING_H
#define LOCKFREE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "unpipc.h" /* COPY_SERVER, COPY_CLIENT: the roles, which index pid[] */

#define SLOTS_MAX 1024
#define READY 0x73686d4cu /* "shmL": the server's last store */
#define CACHE_LINE 64     /* bytes that move between CPUs as one (x86-64, most ARM) */

/* A count that one side advances and the other waits on. Only its one
 * writer stores `at`; its waiter sets `sleeper` to 1, and the writer takes it
 * back to 0 when it wakes it (futex.c). */
struct index {
	_Atomic uint32_t at;      /* how many so far, mod 2^32; also the futex word */
	_Atomic uint32_t sleeper; /* 1: the waiter sleeps (or is about to) in FUTEX_WAIT on `at` */
};

struct shared {
	atomic_uint ready; /* READY once all below is set up: written last, read first */
	uint32_t mode;     /* INPUT's permission bits, for OUTPUT (as cp does) */
	uint32_t chunk;    /* bytes in each slot: the server's -b */
	uint32_t slots;    /* slots in the ring: the server's -s */
	uint32_t same_line; /* 1: tail shares head's cache line (--same-line) */
	_Atomic pid_t pid[2]; /* [COPY_SERVER] before READY; [COPY_CLIENT] claimed (0 -> pid,
			       * compare-and-swap) once it has mapped: a second client finds it taken */
	struct index done; /* client -> server: 1 once OUTPUT is complete */
	volatile uint32_t len[SLOTS_MAX]; /* bytes in each slot, 0 = end of file: written by the
			    * server before it advances head, read by the client after;
			    * volatile not for order (head gives that): the client's one read stays one */
	/* head (slots filled: server) on line[0]; tail (slots emptied: client) on
	 * line[1], or beside head on line[0] with --same-line */
	_Alignas(CACHE_LINE) struct index line[2][CACHE_LINE / sizeof(struct index)];
};                         /* then, from the next page: char data[slots][chunk] */

/* futex.c: the sleep and the wake-up. wait_change returns once ix->at is no
 * longer `seen` (its new value), after spinning up to `spin_us` microseconds
 * (-1: spin only, never sleep); every TICK_MS of waiting it calls tick(arg),
 * which may end the program. advance stores a new value and wakes the waiter
 * if it sleeps. */
#define TICK_MS 100
void futex_check(void); /* no futex here (ENOSYS): say so, exit 1 */
void choose_relax(void); /* one CPU only? then spinning yields it (asked once) */
uint32_t wait_change(struct index *ix, uint32_t seen, long spin_us, void (*tick)(void *), void *arg);
void advance(struct index *ix, uint32_t value);
extern long futex_waits, futex_wakes; /* system calls made, for pingpong's table */

/* pingpong.c */
void pingpong(long count, long spin_us, const char *only); /* only: one METHOD, or NULL */

#endif
