/*
 * 01-fork-counter - after fork(), parent and child each have their own counter.
 *
 * A global counter, a named POSIX semaphore around each increment, and fork().
 * The semaphore works, yet both processes count 0, 1, 2 ... on their own: fork
 * gave the child a copy of every variable, at the same virtual address. Nothing
 * is shared, so nothing is protected, and the parent ends with NLOOP, not 2*NLOOP.
 *
 * Calls: sem_open (O_CREAT|O_EXCL, 0600), sem_unlink, fork, sem_wait, sem_post.
 *
 *   $ bin/01-fork-counter 3
 *   parent: &counter = 0x555906bb4210
 *   child: &counter = 0x555906bb4210
 *   child: 0
 *   child: 1
 *   child: 2
 *   parent: 0
 *   parent: 1
 *   parent: 2
 *   result: counter=3 expected=6 lost=3
 */
#include "unpipc.h"

static long counter; /* each process gets its own copy at fork() */

static void count(sem_t *mutex, int me, const struct counter_opts *o)
{
	printf("%s: &counter = %p\n", me == PARENT ? "parent" : "child", (void *)&counter);
	for (long i = 0; i < o->nloop; i++) {
		Sem_wait(mutex);        /* lock */
		long v = counter;       /* load */
		counter_step(o, me, v); /* print "who: v", yield */
		counter = v + 1;        /* store: into this process's own copy */
		Sem_post(mutex);        /* unlock */
	}
}

int main(int argc, char **argv)
{
	struct counter_opts o;
	char name[IPC_NAME_MAX];

	prog_init(argv, "[-q] [-y] NLOOP");
	parse_counter_args(argc, argv, "", &o);

	ipc_name(name, sizeof name, "01-mutex");
	hold_signals(true); /* made and registered, or neither */
	sem_t *mutex = Sem_open(name, O_CREAT | O_EXCL, FILE_MODE, 1);
	at_exit_sem_unlink(name); /* until the next line, a signal must not leak it */
	hold_signals(false);
	Sem_unlink(name);         /* the name goes now; the semaphore lives while open */

	pid_t pid = Fork();
	if (pid == 0) {
		count(mutex, CHILD, &o);
		exit(0);
	}
	count(mutex, PARENT, &o);
	wait_child(pid);
	print_result(&o, counter);
	return 0;
}
