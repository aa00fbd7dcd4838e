/* copiers.h - what the files of 12-copy-bench share. */
#ifndef SHMLAB_COPIERS_H
#define SHMLAB_COPIERS_H

#include "unpipc.h"

#define CHUNK_DEFAULT (1024L * 1024) /* -b: see the sweep in the guide */
#define EXIT_UNAVAILABLE 4 /* this system lacks what the copier is about */

/* What every copier is given: INPUT open, OUTPUT created empty, a buffer. */
struct job {
	int ifd, ofd;
	const char *in, *out; /* their paths, for messages */
	off_t size;           /* INPUT's size */
	size_t chunk;         /* -b BYTES */
	char *buf;            /* chunk bytes, from page_buffer */
};

/* Every copier has the one shape; copy-bench.c has the table of them. */
typedef void copier(const struct job *j);
copier copy_pipe, copy_fifo, copy_unix, copy_rw, copy_limit; /* copiers.c: streams */
copier copy_mq, copy_msg;                                    /* messages.c: queues */
copier copy_mmap, copy_splice, copy_cfr, copy_sendfile;      /* fewer.c: < 2 copies */

/* copiers.c: what every copier may use */
_Noreturn void unavailable(const char *fmt, ...); /* "prog: what: why", exit 4 */
char *page_buffer(size_t size); /* posix_memalign on a page; free() it */
pid_t fork_peer(void);     /* a child that gets SIGTERM when we die */
void wait_peer(pid_t pid); /* wait_child; a peer that exited 4 makes us exit 4 */
void write_all(int fd, const char *p, size_t n, const char *dst, pid_t reader);

#endif
