/*
 * unpipc.h - the one wrapper module every shmlab lab is built on.
 *
 * Wrappers are the call's name capitalised (Fork, Mmap, Sem_open...). They take
 * the same arguments as the call they wrap and, on failure, print
 *     prog: call context: strerror(errno)
 * on stderr and exit 1, so a lab's main() reads as a plain list of IPC calls.
 *
 * Exit codes everywhere: 0 success, 1 runtime failure, 2 usage error.
 * Named objects: ipc_name() builds every POSIX name; create with O_CREAT|O_EXCL
 * and FILE_MODE (0600).  Cleanup: register what must go with at_exit_*(); it
 * is removed on exit(), on err_*() and on SIGINT/SIGTERM/SIGHUP/SIGPIPE, and
 * on the fatal SIGBUS/SIGSEGV/SIGABRT (cleanup.c).
 * What only common/ itself calls is declared in internal.h, not here.
 */
#ifndef SHMLAB_UNPIPC_H
#define SHMLAB_UNPIPC_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h> /* key_t, for ipc_key */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_MODE (S_IRUSR | S_IWUSR) /* 0600: objects are private to their owner */

/* ---- program name, usage and errors (error.c) ---- */
/* Call first. Besides naming the program for every message and answering
 * -h/--help, it installs the signal handlers: from here on SIGINT, SIGTERM,
 * SIGHUP, SIGPIPE and the fatal SIGBUS/SIGSEGV/SIGABRT run the cleanup below. */
void prog_init(char **argv, const char *usage);
const char *prog_name(void);
_Noreturn void usage_error(const char *fmt, ...);  /* "prog: msg" + usage line, exit 2 */
_Noreturn void err_sys(const char *fmt, ...);      /* "prog: msg: strerror(errno)", exit 1 */
_Noreturn void err_quit(const char *fmt, ...);     /* "prog: msg", exit 1 */
_Noreturn void err_code(int rc, const char *fmt, ...); /* the same for a returned error number */
void exit_if_failed(int rc, const char *call); /* rc != 0: err_code(rc, call) */

/* ---- the command line (args.c) ---- */
long parse_count(const char *s, const char *what, long min, long max); /* else usage error */
bool take_flag(int *argc, char **argv, const char *flag); /* "--fence" was there: taken out */
const char *take_value(int *argc, char **argv, const char *opt); /* "--spin 50": "50", taken out */

/* A program with subcommands (06-08) describes each in a table ended by {NULL}:
 *   [CREATE] = {"create", "k:", "NAME SIZE"},
 * subcommand() returns the index of argv[1]'s row, passes each option (getopt
 * letters; a missing value as "") to option(), and leaves the operands in
 * arg[], one slot per word of operands ([optional] ones NULL if not given). */
struct subcommand {
	const char *name;     /* as typed: "create" */
	const char *options;  /* its getopt letters, each taking a value: "k:w:" */
	const char *operands; /* as the usage line names them: "NAME SIZE", "[FILE] TEXT" */
};
int subcommand(int argc, char **argv, const struct subcommand *cmds,
	       void (*option)(int letter, const char *value), char **arg);

/* ---- the counter labs (counter.c) ---- */
#define PARENT 0
#define CHILD 1

/* The options shared by the counter labs: [-q] [-y] [-v] [-f PATH] [--dev-zero] NLOOP.
 * `extra` lists which of v, f, z (--dev-zero) this lab accepts besides -q and -y. */
struct counter_opts {
	long nloop;        /* increments per process, >= 1 */
	bool quiet;        /* -q: no per-step lines */
	bool yield;        /* -y: sched_yield() between load and store */
	bool verbose;      /* -v: record and print a trace of loads and stores */
	bool dev_zero;     /* --dev-zero: map /dev/zero instead of MAP_ANONYMOUS */
	const char *path;  /* -f PATH: backing file the user keeps; NULL: private temp file */
};
void parse_counter_args(int argc, char **argv, const char *extra, struct counter_opts *o);
void counter_step(const struct counter_opts *o, int me, long value); /* between load and store */
void print_result(const struct counter_opts *o, long counter); /* "result: counter=X expected=E lost=L" */
/* lab 02's alone, but here: counter_step and print_result do its work (docs/common.md) */
void time_the_loops(void); /* before fork: print_result then says whether the loops overlapped */

/* ---- POSIX IPC names (name.c) ---- */
#define IPC_NAME_MAX 252 /* room for the longest name the system takes, plus NUL */
void ipc_name(char *buf, size_t len, const char *name); /* "/" prefix "." name */
key_t ipc_key(int lab); /* a System V key of our own: LAB << 24 | pid (clean-ipc finds it) */

/* ---- cleanup on every exit path (cleanup.c) ---- */
void at_exit_shm_unlink(const char *name); /* shm_unlink a POSIX shm name */
void at_exit_sem_unlink(const char *name); /* sem_unlink a POSIX semaphore name */
void at_exit_call(void (*fn)(void));       /* run fn (async-signal-safe) on every way out */
void at_exit_forget(const char *path_or_name); /* it is gone or kept on purpose */
void hold_signals(bool hold); /* SIGINT/SIGTERM/SIGHUP wait while we make and register something */
void sigbus_means(const char *what); /* a SIGBUS from now on: "prog: what", exit 1 */
/* for a wait of one's own (Sem_wait's ticks, 12's message loops; NULL: the
 * counter labs' loops, not waiting for anything): */
void check_children(const char *waiting_for); /* a child of ours died or failed: exit 1 */

/* ---- processes (Fork, gate_wait, ms_since, pid_gone: wrap.c; wait_child: cleanup.c) ---- */
pid_t Fork(void); /* the child is on the cleanup list at once: a signal to us goes to it too */
void wait_child(pid_t pid);  /* waitpid; a child that failed or was killed is an error */
void gate_wait(volatile int gate[2], int me); /* start gate: both processes go together */
long ms_since(const struct timespec *start);  /* CLOCK_MONOTONIC milliseconds */
bool pid_gone(pid_t pid); /* no such process, or a zombie not yet reaped (wrap.c says why) */

/* ---- files and mappings (wrap.c) ---- */
int Open(const char *path, int oflag, mode_t mode);
void Close(int fd);
void Ftruncate(int fd, off_t length);
void Fstat(int fd, struct stat *st);
void *Mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);
void Munmap(void *addr, size_t len);
int make_temp_file(const char *dir, const char *tag, char *path, size_t len); /* 0600, removed at exit */
int open_backing_file(const char *path, size_t size); /* -f PATH or a temp file, sized */

/* ---- POSIX shared memory and semaphores (wrap.c) ---- */
void Posix_fallocate(int fd, off_t offset, off_t len);
int Shm_open(const char *name, int oflag, mode_t mode); /* EEXIST: says whose it is */
void check_owner(const char *name, uid_t uid, mode_t mode); /* ours, no group/other bits; else exit 1 */
void check_shm_name(const char *name); /* after EEXIST/EACCES: someone else's? exit 1 */
void Shm_unlink(const char *name);
sem_t *Sem_open(const char *name, int oflag, mode_t mode, unsigned int value);
void Sem_close(sem_t *sem);
void Sem_unlink(const char *name);
void Sem_init(sem_t *sem, int pshared, unsigned int value);
void Sem_destroy(sem_t *sem);
void Sem_wait(sem_t *sem);  /* a parent or child that died meanwhile is an error */
bool Sem_timedwait(sem_t *sem, long ms); /* false: ms went by without it */
void Sem_post(sem_t *sem);

/* ---- the file copiers (09, 10, 11): options and files (copyfile.c) ---- */
#define COPY_CHUNK_MAX (64L * 1024 * 1024) /* -b: at most 64 MiB a chunk */
/* The copiers' two roles, spelt so in every lab: 0 and 1, so that they index
 * a pair (11's and 16's shared pid[2]) and 1 - role is the peer. */
#define COPY_SERVER 0
#define COPY_CLIENT 1
#define COPY_BOTH 2 /* the copy subcommand: fork one of each */

/* Where a copier's data starts in its object: the first multiple of 4096 past
 * the header, which each copier calls struct shared (so use it after that).
 * A fixed number, not the page size, because it is part of the layout both
 * sides (and the tests' tools) agree on. On 4 KiB pages the data is then
 * page-aligned, away from the header's busy fields; with 16 or 64 KiB pages
 * it starts mid-page, which still works: the object is mapped whole from 0. */
#define COPY_DATA ((sizeof(struct shared) / 4096 + 1) * 4096)

struct copy_opts {
	int role;                /* COPY_SERVER, COPY_CLIENT or COPY_BOTH */
	char name[IPC_NAME_MAX]; /* the full POSIX name, from -n NAME (default "copy") */
	const char *label;       /* NAME as the user gave it, for messages */
	long chunk;              /* -b BYTES */
	long slots;              /* -s SLOTS (1 where the lab has no ring and no -s) */
	long timeout;            /* -t SECONDS */
	const char *input, *output; /* paths; "-" is stdin / stdout */
};
void parse_copy_args(int argc, char **argv, struct copy_opts *o, long chunk, long slots,
		     long slots_max); /* slots_max: the largest -s; 1: no -s */
void copy_role(int role); /* messages say "prog server:" or "prog client:" */
const char *copy_role_name(int role); /* "server" or "client", for messages */

struct copy_file {
	int fd;
	const char *path;   /* as given; "-" for stdin/stdout */
	char tmp[PATH_MAX]; /* OUTPUT's temp file, renamed to path at the end; "" if none */
	off_t size;         /* INPUT: its size if known, else -1 */
	mode_t mode;        /* INPUT: its permission bits (0666 if not a regular file) */
};
void open_input(struct copy_file *f, const char *path);
void open_output(struct copy_file *f, const char *path);
void commit_output(struct copy_file *f, mode_t mode); /* the temp file becomes OUTPUT */
void progress(const struct copy_file *in, long long bytes); /* on a terminal; -1: erase */
void copy_both(const struct copy_opts *o, void (*server)(const struct copy_opts *),
	       void (*client)(const struct copy_opts *, struct copy_file *));

#endif
