/* bench.h - what the files of 12-copy-bench share. */
#ifndef SHMLAB_BENCH_H
#define SHMLAB_BENCH_H

#include "unpipc.h"

#include <sys/resource.h>

#define CHUNK_DEFAULT (1024L * 1024) /* -b, for every method: see the sweep in the guide */
#define EXIT_UNAVAILABLE 4 /* a copier of this lab: this system lacks what it is about */

/* What every copier of this lab is given: INPUT open to read, OUTPUT created
 * empty, and a buffer of its own. */
struct job {
	int ifd, ofd;
	const char *in, *out; /* their paths, for messages */
	off_t size;           /* INPUT's size */
	size_t chunk;         /* -b BYTES */
	char *buf;            /* chunk bytes, from page_buffer */
};

/* copiers.c: 12-copy-bench COPIER [-b BYTES] INPUT OUTPUT */
bool is_copier(const char *name);
int copier_main(int argc, char **argv);
_Noreturn void unavailable(const char *fmt, ...); /* "prog: what: why", exit 4 */
char *page_buffer(size_t size); /* posix_memalign on a page; free() it */
pid_t fork_peer(void);     /* a child that gets SIGTERM when we die */
void wait_peer(pid_t pid); /* wait_child; a peer that exited 4 makes us exit 4 */
void write_all(int fd, const char *p, size_t n, const char *dst, pid_t reader);
void copy_stream(int from, int to, const struct job *j, const char *src, const char *dst, pid_t reader);

/* messages.c: four copies, one message at a time */
long message_size(const char *method, long chunk); /* mq, msg: what the system allows */
void copy_mq(const struct job *j);
void copy_msg(const struct job *j);

/* fewer.c: fewer copies than two */
void copy_mmap(const struct job *j);
void copy_splice(const struct job *j);
void copy_cfr(const struct job *j);
void copy_sendfile(const struct job *j);

bool latency_test(long runs); /* latency.c: --latency */

/* copy-bench.c: measuring a process tree */
pid_t spawn(char *const argv[], int logfd); /* argv NULL: fork only, the child gets 0 */
int reap(pid_t pid, struct rusage *ru);     /* wait4: its status, and its tree's rusage */
double cpu_ms(const struct rusage *ru);     /* user + system */
void status_text(int status, int logfd, char *buf, size_t len); /* "exit 3: ..." */
double median(double *v, size_t n);         /* sorts v */

#endif
