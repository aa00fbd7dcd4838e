/* bench.h - what the parts of 12-copy-bench share: the methods, one measured
 * configuration (method, chunk, slots) and its results, and the options. */
#ifndef SHMLAB_BENCH_H
#define SHMLAB_BENCH_H

#include "unpipc.h"

#define KIB 1024L
#define MIB (1024L * 1024L)
#define RUNS_MAX 50
#define DEFAULT_CHUNK MIB         /* -b, for every method: see the sweep in the guide */
#define DEFAULT_SLOTS 4L         /* -s, for the ring */
#define CHUNK_MAX (64 * MIB)

enum method { RW, PIPE, SHM1, RING, NMETHODS };

/* How each method is run: PROGRAM SUBCOMMAND -b CHUNK [-s SLOTS] INPUT OUTPUT. */
struct method_info {
	const char *name;   /* rw, pipe, shm1, ring */
	int copies;         /* copies of each byte between kernel and user space */
	const char *lab;    /* program in the bin directory */
	const char *subcmd; /* its one-command form */
	bool has_slots;     /* takes -s SLOTS */
};
extern const struct method_info methods[NMETHODS];

/* One run, as wait4() reports it for the whole process tree of the copier. */
struct sample {
	double wall_ms;    /* fork to reaped, CLOCK_MONOTONIC */
	double cpu_ms;     /* user + system, children included */
	long maxrss_kib;   /* peak resident set of the largest process in the tree */
	long nvcsw, nivcsw; /* voluntary (blocked) and involuntary (preempted) switches */
};

enum status { OK, WRONG, FAILED, MISSING };

/* One configuration to measure, and what came of it. */
struct config {
	enum method m;
	long chunk, slots;
	int nruns;                 /* samples kept (warm-up not counted) */
	struct sample run[RUNS_MAX];
	struct sample median;      /* median of each figure on its own */
	enum status status;
	char why[200];             /* for WRONG, FAILED, MISSING */
};

struct options {
	long chunk, slots, runs, mib;
	const char *dir;       /* -d: where input and outputs go */
	const char *file;      /* FILE to copy instead of a generated input */
	bool use[NMETHODS];    /* -m: methods to run */
	const char *prog[NMETHODS]; /* --with METHOD=PROGRAM, else bin/<lab> */
	bool sweep, latency, csv;
	const char *svg;       /* --svg FILE */
};

/* run.c: the two copiers the benchmark implements itself, and measuring */
int rw_main(int argc, char **argv);   /* 12-copy-bench rw ... */
int pipe_main(int argc, char **argv); /* 12-copy-bench pipe ... */
void find_programs(struct options *o, const char *argv0);
pid_t spawn(char *const argv[], int logfd);
int reap(pid_t pid, struct sample *s);
void describe_status(int status, int logfd, char *buf, size_t len);
bool measure(const struct options *o, struct config *c, size_t n, const char *input, off_t size);
void say_failures(const struct config *c, size_t n);
double median(double *v, size_t n); /* sorts v */

/* latency.c: one-byte ping-pong, pipe pair against shared memory */
bool latency_test(const struct options *o);

/* report.c: the machine, the tables, CSV and the SVG chart */
struct chart {
	const char *title, *unit;
	const char *legend[2];      /* what bars of group 0 and of group 1 are */
	size_t n;                   /* bars */
	const char *const *label;   /* left of each bar */
	const double *value;        /* its length */
	const char *const *note;    /* after the value */
	const int *group;           /* its colour: 0 or 1 */
};
const char *fs_type(const char *path, char *buf, size_t len); /* "tmpfs", "ext4" */
void print_header(const struct options *o, const char *title, const char *detail);
void print_footer(const struct options *o);
void print_results(const struct options *o, const struct config *c, size_t n, off_t size);
void print_sweep(const struct options *o, const struct config *c, size_t n, off_t size,
		 const long *chunks, size_t nchunks, const long *slots, size_t nslots);
void write_svg(const char *path, const struct chart *ch);
void size_text(char *buf, size_t len, double bytes); /* "128 KiB", "1 GiB" */

#endif
