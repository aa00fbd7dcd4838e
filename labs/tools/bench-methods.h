/* bench-methods.h - every way bin/bench copies a file, one row each: the one
 * table of methods. bin/bench runs a row as
 *   bin/PROGRAM ARG -b BYTES [-s SLOTS] INPUT OUTPUT
 * where ARG is the method's name for lab 12's copiers (12-copy-bench pipe ...)
 * and "copy" for a lab's own copier (09-shm-copy copy ...). Lab 12 includes
 * it too, for `12-copy-bench --methods`. The one row not ours, dd, is the
 * yardstick: what the system's own copier makes of rw's work. A new method is a new row here (and,
 * if lab 12 runs it, a copier in lab 12's table). */
#ifndef SHMLAB_BENCH_METHODS_H
#define SHMLAB_BENCH_METHODS_H

#define LAB12 "12-copy-bench"

/* flags */
#define TAKES_SLOTS 1 /* -s SLOTS: a ring */
#define SIZE_ONLY 2   /* not a copy: only OUTPUT's size can be right */
#define OPTIONAL 4    /* its lab may not be built yet: "unavailable", not "MISSING" */
#define DD_ARGS 8     /* PROGRAM if=INPUT of=OUTPUT bs=BYTES, found in PATH: dd's own words */

/* The largest message the system allows: a message queue's chunk is at most that. */
#define MQ_MAX "/proc/sys/fs/mqueue/msgsize_max"
#define MSG_MAX "/proc/sys/kernel/msgmax"

static const struct method {
	const char *name;
	int copies;            /* of each byte, between the kernel and user space */
	const char *program;   /* in bin/, beside bench */
	int flags;
	const char *chunk_max; /* a /proc file bounding -b; NULL: -b as given */
	const char *where;     /* the path of each byte */
} methods[] = {
	/* four copies: two processes, through the kernel */
	{"pipe", 4, LAB12, 0, NULL, "file -read()-> buffer -write()-> pipe -read()-> buffer -write()-> file"},
	{"fifo", 4, LAB12, 0, NULL, "the same through a FIFO that each process opens by its name"},
	{"mq", 4, LAB12, 0, MQ_MAX, "file -read()-> buffer -mq_send()-> queue -mq_receive()-> buffer -write()-> file"},
	{"msg", 4, LAB12, 0, MSG_MAX, "file -read()-> buffer -msgsnd()-> queue -msgrcv()-> buffer -write()-> file"},
	{"unix", 4, LAB12, 0, NULL, "file -read()-> buffer -write()-> socket -read()-> buffer -write()-> file"},
	/* two copies: read() into a buffer, write() out of it */
	{"rw", 2, LAB12, 0, NULL, "file -read()-> buffer -write()-> file, in one process"},
	{"dd", 2, "dd", DD_ARGS, NULL, "the same by coreutils' dd if=INPUT of=OUTPUT bs=BYTES: rw's yardstick"},
	{"shm1", 2, "09-shm-copy", 0, NULL, "file -read()-> shared buffer -write()-> file (lab 09)"},
	{"ring", 2, "10-shm-ring-copy", TAKES_SLOTS, NULL, "file -read()-> shared ring slot -write()-> file (lab 10)"},
	{"robust", 2, "11-robust-copy", TAKES_SLOTS, NULL, "the same, with liveness checks (lab 11)"},
	{"lockfree", 2, "16-lockfree-ring", TAKES_SLOTS | OPTIONAL, NULL,
	 "the same, with atomic indices for semaphores (lab 16)"},
	{"limit", 2, LAB12, SIZE_ONLY, NULL,
	 "file -read()-> buffer, and buffer -write()-> file in another process at once: not a copy"},
	/* one copy, and none through user space */
	{"mmap", 1, LAB12, 0, NULL, "file, mapped, -write()-> file, in one process"},
	{"splice", 0, LAB12, 0, NULL, "file -splice()-> pipe -splice()-> file: the kernel copies into OUTPUT"},
	{"cfr", 0, LAB12, 0, NULL, "file -copy_file_range()-> file: the kernel copies, or shares blocks"},
	{"sendfile", 0, LAB12, 0, NULL, "file -sendfile()-> file: the kernel copies"},
};
#define NMETHODS ((int)(sizeof methods / sizeof methods[0]))

#endif
