/*
 * 05-anonymous-shm - shared memory with no file at all.
 *
 * Lab 04 needed a file only to have something to map. A MAP_SHARED|MAP_ANONYMOUS
 * mapping made before fork() is shared with the child and backed by nothing
 * but memory; it disappears with the last process that maps it. --dev-zero
 * shows the older way to the same thing: map /dev/zero with MAP_SHARED.
 *
 * Calls: mmap (MAP_SHARED|MAP_ANONYMOUS, or /dev/zero), sem_init (pshared=1).
 *
 *   $ bin/05-anonymous-shm -q 1000000
 *   result: counter=2000000 expected=2000000 lost=0
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS is Linux and BSD, not POSIX.1-2008 */
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
	struct shared *sh;

	prog_init(argv, "[-q] [-y] [-v] [--dev-zero] NLOOP");
	parse_counter_args(argc, argv, "vz", &o);

	if (o.dev_zero) {
		int fd = Open("/dev/zero", O_RDWR, 0);
		sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		Close(fd);
	} else {
		sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
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
