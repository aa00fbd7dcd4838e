/* bench.h - what the three files of 12-copy-bench share. */
#ifndef SHMLAB_BENCH_H
#define SHMLAB_BENCH_H

#include "unpipc.h"

#include <sys/resource.h>

#define CHUNK_DEFAULT (1024L * 1024) /* -b, for every method: see the sweep in the guide */

int copier_main(int argc, char **argv); /* copiers.c: rw|pipe [-b BYTES] INPUT OUTPUT */
bool latency_test(long runs);           /* latency.c: --latency */

/* copy-bench.c: measuring a process tree */
pid_t spawn(char *const argv[], int logfd); /* argv NULL: fork only, the child gets 0 */
int reap(pid_t pid, struct rusage *ru);     /* wait4: its status, and its tree's rusage */
double cpu_ms(const struct rusage *ru);     /* user + system */
void status_text(int status, int logfd, char *buf, size_t len); /* "exit 3: ..." */
double median(double *v, size_t n);         /* sorts v */

#endif
