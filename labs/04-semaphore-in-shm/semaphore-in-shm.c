/*
 * 04-semaphore-in-shm - the lock moves into the shared memory itself.
 *
 * Lab 03's semaphore had a name in /dev/shm. Here it is a plain sem_t inside
 * the shared struct, set up with sem_init(pshared=1): both processes find it
 * through the mapping they share, and no name exists for anyone to leak.
 *
 * Calls: sem_init (pshared=1), sem_wait, sem_post, sem_destroy.
 *
 *   $ bin/04-semaphore-in-shm -q 1000000
 *   result: counter=2000000 expected=2000000 lost=0
 */
#include "unpipc.h"

struct shared {
	volatile long counter; /* volatile: one real load and one real store per step */
	volatile int gate[2];  /* start gate: both begin counting together */
	sem_t mutex;           /* the lock, shared like the counter it guards */
};

static void count(struct shared *sh, int me, const struct counter_opts *o)
{
	gate_wait(sh->gate, me);
	for (long i = 0; i < o->nloop; i++) {
		Sem_wait(&sh->mutex);   /* lock */
		long v = sh->counter;   /* load */
		counter_step(o, me, v); /* print "who: v", yield, trace */
		sh->counter = v + 1;    /* store: nobody else is between load and store */
		Sem_post(&sh->mutex);   /* unlock */
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
	Sem_init(&sh->mutex, 1, 1); /* pshared=1: used by more than one process */

	pid_t pid = Fork();
	if (pid == 0) {
		count(sh, CHILD, &o);
		exit(0);
	}
	count(sh, PARENT, &o);
	wait_child(pid);
	Sem_destroy(&sh->mutex);
	print_result(&o, sh->counter);
	return 0;
}
