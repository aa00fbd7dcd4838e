/*
 * 03-named-semaphore - the racy counter of 02, with a named semaphore as a lock.
 *
 * Same shared counter, same load and store, but each increment now happens
 * between sem_wait and sem_post on a named POSIX semaphore with value 1. Only
 * one process at a time is between load and store, so no update is lost, even
 * with -y yielding right in the middle.
 *
 * Calls: sem_open (O_CREAT|O_EXCL, 0600), sem_wait, sem_post, sem_close, sem_unlink.
 *
 *   $ bin/03-named-semaphore -q 1000000
 *   result: counter=2000000 expected=2000000 lost=0
 */
#include "unpipc.h"

struct shared {
	volatile long counter; /* volatile: one real load and one real store per step */
	volatile int gate[2];  /* start gate: both begin counting together */
};

static void count(struct shared *sh, sem_t *mutex, int me, const struct counter_opts *o)
{
	gate_wait(sh->gate, me);
	for (long i = 0; i < o->nloop; i++) {
		Sem_wait(mutex);        /* lock */
		long v = sh->counter;   /* load */
		counter_step(o, me, v); /* print "who: v", yield, trace */
		sh->counter = v + 1;    /* store: nobody else is between load and store */
		Sem_post(mutex);        /* unlock */
	}
}

int main(int argc, char **argv)
{
	struct counter_opts o;
	char name[IPC_NAME_MAX];

	prog_init(argv, "[-q] [-y] [-v] [-f PATH] NLOOP");
	parse_counter_args(argc, argv, "vf", &o);

	int fd = open_backing_file(o.path, sizeof(struct shared));
	struct shared *sh = Mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);

	ipc_name(name, sizeof name, "03-mutex");
	hold_signals(true); /* made and registered, or neither */
	sem_t *mutex = Sem_open(name, O_CREAT | O_EXCL, FILE_MODE, 1);
	at_exit_sem_unlink(name); /* the name stays until both are done: see exercises */
	hold_signals(false);

	pid_t pid = Fork();
	if (pid == 0) {
		count(sh, mutex, CHILD, &o);
		exit(0);
	}
	count(sh, mutex, PARENT, &o);
	wait_child(pid);
	Sem_close(mutex);  /* the child's handle was closed when it exited */
	Sem_unlink(name);  /* no handle and no name left: the semaphore is gone */
	print_result(&o, sh->counter);
	return 0;
}
