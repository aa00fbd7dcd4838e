/* robust-copy.h - the shared object of 11-robust-copy. Its layout is the
 * contract between the two sides (and the tests' tools/corrupt-header.c). */
#ifndef ROBUST_COPY_H
#define ROBUST_COPY_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "unpipc.h" /* COPY_SERVER, COPY_CLIENT: the roles, which index pid[] and here[] */

#define MAGIC 0x53484d31u /* "SHM1": the creator's last store, the ready mark */
#define SLOTS_MAX 1024
enum state { WAITING = 1, RUNNING, DONE, ABORTED };

/* Either side may create it. Every field is written as its comment says and
 * read by the other side as untrusted input: copied once, checked, then only
 * the copy is used. */
struct shared {
	_Atomic uint32_t magic;  /* MAGIC once the creator has set up all below; 0 before */
	uint32_t chunk, slots;   /* the server's -b and -s: set before it posts here[COPY_SERVER] */
	uint32_t mode;           /* INPUT's permission bits, for OUTPUT: likewise */
	_Atomic int state;       /* enum state: WAITING -> RUNNING -> DONE, or ABORTED by
				  * whichever side stops early */
	_Atomic pid_t pid[2];    /* [COPY_SERVER], [COPY_CLIENT]: 0 while free, claimed by
				  * compare-and-swap */
	sem_t here[2];           /* each side posts its own once it is set up */
	sem_t done;              /* client -> server: OUTPUT is complete, the name removed */
	sem_t nempty, nfull;     /* the ring, as in lab 10 */
	volatile uint32_t len[SLOTS_MAX]; /* bytes in each slot, 0 = end of file; volatile not
					  * for order (nfull gives that): one read stays one */
};                               /* then, from the next page: char data[slots][chunk] */

#endif
