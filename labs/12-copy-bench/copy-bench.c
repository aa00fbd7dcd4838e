/*
 * 12-copy-bench - is shared memory really the fastest way to copy a file?
 *
 * INPUT is copied five ways into DIR, and every copy is checked byte for byte:
 *   rw      one process: read() into a buffer, write() out of it      2 copies
 *   pipe    two processes: file -> pipe -> file                        4 copies
 *   shm1    lab 09: file -> one shared buffer -> file                  2 copies
 *   ring    lab 10: the same through a ring of SLOTS buffers           2 copies
 *   robust  lab 11: the ring, plus liveness checks and a role claim    2 copies
 * Each copier is a real program (rw and pipe are subcommands of this one), run
 * with fork + execv and reaped with wait4(), whose rusage covers the whole
 * process tree: CPU time, peak RSS, voluntary and involuntary context switches.
 * Each runs once untimed, then RUNS times in turn; each figure is the median.
 * METHOD=PROGRAM times another copier; --latency times one byte there and back.
 * labs/tools/bench-report.sh makes the input and draws the tables and charts.
 *
 * Calls: fork, execv, wait4, kill, clock_gettime, mmap, memcmp, read, write, pipe,
 *        sem_post, sem_wait, sem_trywait.
 *
 *   $ head -c 256M /dev/urandom >/dev/shm/in
 *   $ bin/12-copy-bench -d /dev/shm /dev/shm/in rw pipe shm1 ring
 *   method copies    chunk slots  wall_ms    MB/s  cpu_ms rss_kib vol_cs invol_cs result
 *   rw          2  1048576     -   494.77   542.6   494.3    2240      1        5 verified
 *   pipe        4  1048576     -   346.17   775.4   400.4    2388   4250       18 verified
 *   shm1        2  1048576     -   162.38  1653.1   154.6    2228    520        2 verified
 *   ring        2  1048576     4   111.24  2413.1   145.2    5364    257        3 verified
 */
#define _DEFAULT_SOURCE /* wait4 is BSD, not POSIX.1-2008 (glibc and musl have it) */
#include "bench.h"

#include <getopt.h>

#define USAGE "[-b BYTES] [-s SLOTS] [-r RUNS] [-d DIR] INPUT [METHOD[=PROGRAM]...]\n" \
	"       12-copy-bench --latency [-r RUNS]\n" \
	"       12-copy-bench rw|pipe [-b BYTES] INPUT OUTPUT"
#define ROWS_MAX 16 /* METHODs on the command line */
#define RUNS_MAX 50

/* Each method is run as PROGRAM SUBCOMMAND -b BYTES [-s SLOTS] INPUT OUTPUT. */
static const struct method {
	const char *name;
	int copies;      /* of each byte, between the kernel and user space */
	const char *lab; /* the program beside this one, run as "copy"; NULL: this one */
	bool slots;      /* takes -s SLOTS */
} methods[] = {
	{"rw", 2, NULL, false},
	{"pipe", 4, NULL, false},
	{"shm1", 2, "09-shm-copy", false},
	{"ring", 2, "10-shm-ring-copy", true},
	{"robust", 2, "11-robust-copy", true},
};
enum { NMETHODS = sizeof methods / sizeof methods[0] };

enum { WALL, CPU, RSS, VCS, IVCS, NFIGS }; /* what each run gives */
struct row {
	const struct method *mt;
	const char *prog;   /* what runs: the lab, or METHOD=PROGRAM's */
	const char *status; /* "verified", else "WRONG", "FAILED" or "MISSING" */
	char why[200];      /* "" while it copies right */
	int n;              /* timed runs so far */
	double fig[NFIGS][RUNS_MAX];
};

static long chunk = CHUNK_DEFAULT, slots = 4, runs = 5;
static volatile sig_atomic_t running; /* the process tree being measured; 0 between runs */

/* On every way out, Ctrl-C included, the copier being timed stops too. This
 * may run in a signal handler: async-signal-safe calls only. */
static void stop_running(void)
{
	if (running > 0)
		kill((pid_t)running, SIGTERM);
}

/* Start argv, its stdout and stderr to logfd (argv NULL: the child returns 0).
 * Signals wait until `running` names the child, so that none can miss it. */
pid_t spawn(char *const argv[], int logfd)
{
	hold_signals(true);
	fflush(stdout); /* or a child that exit()s writes our buffered lines too */
	pid_t pid = fork();
	if (pid == -1)
		err_sys("fork");
	if (pid == 0) {
		hold_signals(false);
		if (argv == NULL)
			return 0;
		if (dup2(logfd, 1) == -1 || dup2(logfd, 2) == -1)
			_exit(126);
		execv(argv[0], argv); /* logfd itself is close-on-exec */
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	running = pid;
	hold_signals(false);
	return pid;
}

/* Wait for the child: its status, and in ru what wait4() tells about its
 * whole tree (itself and every descendant it waited for). */
int reap(pid_t pid, struct rusage *ru)
{
	int status;
	while (wait4(pid, &status, 0, ru) == -1)
		if (errno != EINTR)
			err_sys("wait4 %ld", (long)pid);
	running = 0;
	return status;
}

double cpu_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

/* "exit 1: <the last line it printed>" or "killed by signal 9 (Killed)". */
void status_text(int status, int logfd, char *buf, size_t len)
{
	char log[4096];
	ssize_t n = logfd < 0 ? 0 : pread(logfd, log, sizeof log - 1, 0);

	n = n > 0 ? n : 0;
	while (n > 0 && log[n - 1] == '\n')
		n--;
	log[n] = '\0';
	char *line = strrchr(log, '\n') ? strrchr(log, '\n') + 1 : log;
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit %d%s%s", WEXITSTATUS(status), line[0] ? ": " : "", line);
}

/* Is OUTPUT byte for byte INPUT? If not, say where they part. Both are mapped
 * only while compared: the next copier we fork must not inherit them. */
static bool same_bytes(const char *input, const char *output, off_t size, char *why, size_t len)
{
	struct stat st;
	int fa = Open(input, O_RDONLY, 0), fb = open(output, O_RDONLY);

	if (fb == -1) {
		snprintf(why, len, "no output: %s", strerror(errno));
		Close(fa);
		return false;
	}
	Fstat(fb, &st);
	if (st.st_size != size) {
		snprintf(why, len, "output has %jd bytes, input %jd", (intmax_t)st.st_size, (intmax_t)size);
	} else if (size > 0) {
		char *a = Mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fa, 0);
		char *b = Mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fb, 0);
		size_t i = 0;
		if (memcmp(a, b, (size_t)size) != 0) {
			while (a[i] == b[i])
				i++;
			snprintf(why, len, "output differs from input at byte %zu", i);
		}
		Munmap(a, (size_t)size);
		Munmap(b, (size_t)size);
	}
	Close(fb);
	Close(fa);
	return why[0] == '\0';
}

/* One run of r's copier, INPUT to OUTPUT, timed, then checked. A copier that
 * fails or copies wrong drops out. keep: a timed run, not the warm-up. */
static void run_once(struct row *r, const char *input, off_t size, const char *output, int logfd,
		     bool keep)
{
	char b[24], s[24];
	char *argv[] = {(char *)r->prog, r->mt->lab ? "copy" : (char *)r->mt->name, "-b", b, "-s", s,
			(char *)input, (char *)output, NULL};
	struct timespec t0, t1;
	struct rusage ru;

	snprintf(b, sizeof b, "%ld", chunk);
	snprintf(s, sizeof s, "%ld", slots);
	if (!r->mt->slots) /* no -s SLOTS */
		memmove(&argv[4], &argv[6], 3 * sizeof argv[0]);
	unlink(output);
	if (ftruncate(logfd, 0) == -1 || lseek(logfd, 0, SEEK_SET) == -1)
		err_sys("empty the log");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = reap(spawn(argv, logfd), &ru);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (status != 0) {
		r->status = "FAILED";
		status_text(status, logfd, r->why, sizeof r->why);
	} else if (!same_bytes(input, output, size, r->why, sizeof r->why)) {
		r->status = "WRONG";
	}
	if (r->why[0] != '\0')
		fprintf(stderr, "%s: %s (chunk %ld, %ld slots): %s\n", prog_name(), r->mt->name, chunk,
			r->mt->slots ? slots : 1, r->why);
	else if (keep) {
		r->fig[WALL][r->n] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		r->fig[CPU][r->n] = cpu_ms(&ru);
		r->fig[RSS][r->n] = (double)ru.ru_maxrss;  /* KiB (Linux), of the largest process */
		r->fig[VCS][r->n] = (double)ru.ru_nvcsw;   /* it blocked: waited for the other side */
		r->fig[IVCS][r->n] = (double)ru.ru_nivcsw; /* the scheduler took the CPU away */
		r->n++;
	}
	unlink(output);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One slow run moves no median. */
double median(double *v, size_t n)
{
	qsort(v, n, sizeof v[0], by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The rows: each METHOD[=PROGRAM] named, or every method. rw and pipe are
 * this program; the others are the labs beside it. */
static int choose(char **names, const char *self, struct row *r)
{
	static char *all[] = {"rw", "pipe", "shm1", "ring", "robust", NULL};
	static char path[ROWS_MAX][PATH_MAX];
	int n = 0, dir = (int)(strrchr(self, '/') - self);

	for (names = names[0] ? names : all; names[n] != NULL; n++) {
		const char *name = names[n];
		size_t len = strcspn(name, "=");
		int m = 0;
		while (m < NMETHODS && (strlen(methods[m].name) != len || strncmp(name, methods[m].name, len) != 0))
			m++;
		if (m == NMETHODS)
			usage_error("unknown method '%.*s' (rw, pipe, shm1, ring, robust)", (int)len, name);
		if (name[len] == '=' && name[len + 1] == '\0')
			usage_error("METHOD=PROGRAM wants a program, not '%s'", name);
		if (n == ROWS_MAX)
			usage_error("more than %d METHODs", ROWS_MAX);
		r[n] = (struct row){.mt = &methods[m], .status = "verified", .prog = self};
		if (name[len] == '=')
			r[n].prog = name + len + 1;
		else if (methods[m].lab && snprintf(path[n], PATH_MAX, "%.*s/%s", dir, self, methods[m].lab) < PATH_MAX)
			r[n].prog = path[n];
	}
	return n;
}

/* Every row once to warm up, then `runs` rounds, so that a slow patch of the
 * machine hits all alike. One line each; true if all copied right. */
static bool measure(struct row *r, int n, const char *input, const char *dir)
{
	char output[PATH_MAX];
	struct stat st;
	bool ok = true;

	if (stat(input, &st) == -1)
		err_sys("%s", input);
	if (!S_ISREG(st.st_mode))
		err_quit("%s: not a regular file", input);
	for (int i = 0; i < n; i++) {
		if (access(r[i].prog, X_OK) == -1) {
			r[i].status = "MISSING";
			snprintf(r[i].why, sizeof r[i].why, "%s not built (make)", r[i].prog);
			fprintf(stderr, "%s: %s: %s\n", prog_name(), r[i].mt->name, r[i].why);
		}
	}
	Close(make_temp_file(dir, "bench-output", output, sizeof output));
	int logfd = make_temp_file(dir, "bench-log", NULL, 0);
	if (fcntl(logfd, F_SETFD, FD_CLOEXEC) == -1)
		err_sys("fcntl");
	for (long k = 0; k <= runs; k++)
		for (int i = 0; i < n; i++)
			if (r[i].why[0] == '\0')
				run_once(&r[i], input, st.st_size, output, logfd, k > 0);

	printf("method copies    chunk slots  wall_ms    MB/s  cpu_ms rss_kib vol_cs invol_cs result\n");
	for (int i = 0; i < n; i++) {
		double f[NFIGS];
		char s[24] = "-";
		if (r[i].mt->slots)
			snprintf(s, sizeof s, "%ld", slots);
		printf("%-6s %6d %8ld %5s", r[i].mt->name, r[i].mt->copies, chunk, s);
		for (int k = 0; k < NFIGS && r[i].why[0] == '\0'; k++)
			f[k] = median(r[i].fig[k], (size_t)r[i].n);
		if (r[i].why[0] == '\0')
			printf(" %8.2f %7.1f %7.1f %7.0f %6.0f %8.0f verified\n", f[WALL],
			       (double)st.st_size / 1e3 / (f[WALL] > 0 ? f[WALL] : 1), f[CPU], f[RSS], f[VCS], f[IVCS]);
		else
			printf("        -       -       -       -      -        - %s: %s\n", r[i].status, r[i].why);
		ok &= r[i].why[0] == '\0';
	}
	return ok;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {{"latency", no_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
	static struct row r[ROWS_MAX];
	char self[PATH_MAX] = "";
	const char *dir = NULL; /* -d: NULL is $TMPDIR */
	bool latency = false;
	int c;

	prog_init(argv, USAGE);
	if (argc > 1 && (strcmp(argv[1], "rw") == 0 || strcmp(argv[1], "pipe") == 0))
		return copier_main(argc - 1, argv + 1);
	at_exit_call(stop_running); /* before the first spawn */
	opterr = 0; /* we say what is wrong ourselves */
	while ((c = getopt_long(argc, argv, ":b:s:r:d:", longs, NULL)) != -1) {
		switch (c) {
		case 'b': chunk = parse_count(optarg, "BYTES", 1, COPY_CHUNK_MAX); break;
		case 's': slots = parse_count(optarg, "SLOTS", 1, 1024); break;
		case 'r': runs = parse_count(optarg, "RUNS", 1, RUNS_MAX); break;
		case 'd': dir = optarg; break;
		case 'l': latency = true; break;
		case ':': usage_error("option -%c needs a value", optopt); /* musl and glibc alike */
		default:
			if (optopt != 0)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]); /* a long one */
		}
	}
	if (latency && optind < argc)
		usage_error("--latency copies no file: drop '%s'", argv[optind]);
	if (latency)
		return latency_test(runs) ? 0 : 1;
	if (optind == argc)
		usage_error("missing INPUT");
	if (strchr(argv[0], '/') != NULL) /* where the other labs are */
		snprintf(self, sizeof self, "%s", argv[0]);
	else if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) /* found on $PATH */
		err_sys("readlink /proc/self/exe");
	int n = choose(argv + optind + 1, self, r);
	return measure(r, n, argv[optind], dir) ? 0 : 1;
}
