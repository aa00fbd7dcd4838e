/* run.c - the copiers 12-copy-bench implements itself (rw and pipe), and how
 * every copier is run, measured and checked.
 *
 * Every method is a separate program run the same way: fork, exec, wait4().
 * wait4() returns the rusage of the child and of every descendant it waited
 * for, so a copier that forks a server and a client is measured whole. */
#define _DEFAULT_SOURCE /* wait4: BSD, not POSIX.1-2008 (glibc and musl have it) */
#include "bench.h"

#include <sys/resource.h>

const struct method_info methods[NMETHODS] = {
	[RW] = {"rw", 2, "12-copy-bench", "rw", false},
	[PIPE] = {"pipe", 4, "12-copy-bench", "pipe", false},
	[SHM1] = {"shm1", 2, "09-shm-copy", "copy", false},
	[RING] = {"ring", 2, "10-shm-ring-copy", "copy", true},
};

/* ---- the two copiers: 12-copy-bench rw|pipe [-b BYTES] INPUT OUTPUT ---- */

/* What rw and pipe both start from: the arguments, a buffer, both files open. */
struct rw_job {
	const char *in, *out;
	size_t chunk;
	char *buf;
	int ifd, ofd;
};

static void rw_open(int argc, char **argv, struct rw_job *j)
{
	long chunk = DEFAULT_CHUNK;
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-b") != 0)
			usage_error("unknown option '%s'", argv[i]);
		if (++i >= argc)
			usage_error("option -b needs a number of bytes");
		chunk = parse_count(argv[i], "BYTES", 1, CHUNK_MAX);
	}
	if (argc - i != 2)
		usage_error("%s needs INPUT and OUTPUT", argv[0]);
	j->in = argv[i];
	j->out = argv[i + 1];
	j->chunk = (size_t)chunk;
	j->buf = malloc(j->chunk);
	if (j->buf == NULL)
		err_sys("malloc %ld bytes", chunk);
	j->ifd = Open(j->in, O_RDONLY, 0);
	j->ofd = Open(j->out, O_WRONLY | O_CREAT | O_TRUNC, FILE_MODE);
}

/* Copy from one descriptor to the other through buf until end of file. If
 * `to` is a pipe whose reader is the child `reader` (else 0), a write that
 * finds it gone says why the child stopped rather than "Broken pipe". */
static void copy_fd(int from, int to, char *buf, size_t chunk, const char *src, const char *dst,
		    pid_t reader)
{
	for (;;) {
		ssize_t n = read(from, buf, chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err_sys("read %s", src);
		if (n == 0)
			return;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));
			if (w == -1 && errno == EINTR)
				continue;
			if (w == -1 && errno == EPIPE && reader > 0)
				wait_child(reader); /* says why the reader stopped */
			if (w == -1)
				err_sys("write %s", dst);
			done += w;
		}
	}
}

/* rw: one process, one buffer. read() copies file -> buffer, write() copies
 * buffer -> file: two copies, the least any copy through user space can do. */
int rw_main(int argc, char **argv)
{
	struct rw_job j;

	rw_open(argc, argv, &j);
	copy_fd(j.ifd, j.ofd, j.buf, j.chunk, j.in, j.out, 0);
	Close(j.ofd);
	Close(j.ifd);
	free(j.buf);
	return 0;
}

/* pipe: two processes. The parent copies file -> its buffer -> pipe, the child
 * pipe -> its buffer -> file: four copies, the classic count for a pipe. */
int pipe_main(int argc, char **argv)
{
	struct rw_job j;
	int pfd[2];

	rw_open(argc, argv, &j);
	if (pipe(pfd) == -1)
		err_sys("pipe");

	pid_t pid = Fork();
	if (pid == 0) { /* child: pipe -> output */
		Close(pfd[1]);
		Close(j.ifd);
		copy_fd(pfd[0], j.ofd, j.buf, j.chunk, "pipe", j.out, 0);
		Close(j.ofd);
		exit(0);
	}
	at_exit_kill(pid);
	Close(pfd[0]);
	Close(j.ofd);
	signal(SIGPIPE, SIG_IGN); /* a reader that died shows as EPIPE, then in wait_child */
	copy_fd(j.ifd, pfd[1], j.buf, j.chunk, j.in, "pipe", pid); /* parent: input -> pipe */
	Close(pfd[1]); /* end of file for the reader */
	wait_child(pid);
	Close(j.ifd);
	free(j.buf);
	return 0;
}

/* ---- finding, running and timing the copiers ---- */

/* rw and pipe are this program; shm1 and ring are the labs beside it in its
 * directory, unless --with named another program. */
void find_programs(struct options *o, const char *argv0)
{
	static char self[PATH_MAX], path[NMETHODS][PATH_MAX];
	char dir[PATH_MAX];

	if (strchr(argv0, '/') != NULL) {
		snprintf(self, sizeof self, "%s", argv0);
	} else { /* found on $PATH: ask the kernel where we are */
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		self[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			err_quit("cannot tell where %s is: run it with a path, e.g. bin/%s", argv0, argv0);
	}
	snprintf(dir, sizeof dir, "%s", self);
	*strrchr(dir, '/') = '\0';
	for (int m = 0; m < NMETHODS; m++) {
		if (o->prog[m] != NULL)
			continue;
		if (m == RW || m == PIPE)
			o->prog[m] = self;
		else if (snprintf(path[m], sizeof path[m], "%s/%s", dir, methods[m].lab) < (int)sizeof path[m])
			o->prog[m] = path[m];
		else
			err_quit("path too long: %s", dir);
	}
}

/* Start argv with stdout and stderr to logfd. argv NULL: a plain fork, the
 * child returns 0 and goes on. A signal that stops us stops it too: it waits
 * until the child is on the cleanup list (at_exit_kill passes it on). */
pid_t spawn(char *const argv[], int logfd)
{
	sigset_t stop, old;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	pid_t pid = Fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (argv == NULL)
			return 0;
		int null = open("/dev/null", O_RDONLY);
		if (null == -1 || dup2(null, 0) == -1 || dup2(logfd, 1) == -1 || dup2(logfd, 2) == -1)
			_exit(126);
		if (null > 2) /* the copier gets 0, 1, 2 and nothing else of ours */
			close(null);
		if (logfd > 2)
			close(logfd);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	at_exit_kill(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* Wait for the child; fill in what wait4() tells about its whole tree. */
int reap(pid_t pid, struct sample *s)
{
	int status;
	struct rusage ru;

	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR)
			err_sys("wait4 %ld", (long)pid);
	}
	at_exit_forget_child(pid);
	s->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	s->maxrss_kib = ru.ru_maxrss; /* Linux: kilobytes */
	s->nvcsw = ru.ru_nvcsw;
	s->nivcsw = ru.ru_nivcsw;
	return status;
}

/* "exit 1: <the last line it printed>" or "killed by signal 9 (Killed)". */
void describe_status(int status, int logfd, char *buf, size_t len)
{
	char log[4096], *line;

	if (WIFSIGNALED(status)) {
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		return;
	}
	ssize_t n = pread(logfd, log, sizeof log - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	while (n > 0 && log[n - 1] == '\n')
		log[--n] = '\0';
	line = strrchr(log, '\n');
	line = line ? line + 1 : log;
	snprintf(buf, len, "exit %d%s%s", WEXITSTATUS(status), line[0] ? ": " : "", line);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* Read until buf is full or end of file. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Is output byte for byte the input? If not, say where they part. Small static
 * buffers: the next copier forked from us must not inherit a big RSS. */
static bool same_bytes(const char *input, const char *output, off_t size, char *why, size_t len)
{
	static char a[128 * KIB], b[128 * KIB];
	struct stat st;
	bool same = false;

	int fa = Open(input, O_RDONLY, 0);
	int fb = open(output, O_RDONLY);
	if (fb == -1) {
		snprintf(why, len, "no output: %s", strerror(errno));
		Close(fa);
		return false;
	}
	Fstat(fb, &st);
	if (st.st_size != size) {
		snprintf(why, len, "output has %jd bytes, input %jd", (intmax_t)st.st_size, (intmax_t)size);
		goto done;
	}
	for (off_t off = 0;; off += (off_t)sizeof a) {
		ssize_t na = read_full(fa, a, sizeof a), nb = read_full(fb, b, sizeof b);
		if (na == -1 || nb == -1)
			err_sys("read for the check");
		if (na != nb) {
			snprintf(why, len, "output changed size while read");
			goto done;
		}
		if (memcmp(a, b, (size_t)na) != 0) {
			size_t i = 0;
			while (a[i] == b[i])
				i++;
			snprintf(why, len, "output differs from input at byte %jd", (intmax_t)(off + (off_t)i));
			goto done;
		}
		if (na == 0)
			break;
	}
	same = true;
done:
	Close(fb);
	Close(fa);
	return same;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double median(double *v, size_t n)
{
	qsort(v, n, sizeof v[0], by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median of each figure on its own: one slow run moves none of them. */
static void take_medians(struct config *c)
{
	double v[5][RUNS_MAX];
	int n = c->nruns;

	for (int i = 0; i < n; i++) {
		v[0][i] = c->run[i].wall_ms;
		v[1][i] = c->run[i].cpu_ms;
		v[2][i] = (double)c->run[i].maxrss_kib;
		v[3][i] = (double)c->run[i].nvcsw;
		v[4][i] = (double)c->run[i].nivcsw;
	}
	c->median.wall_ms = median(v[0], (size_t)n);
	c->median.cpu_ms = median(v[1], (size_t)n);
	c->median.maxrss_kib = (long)median(v[2], (size_t)n);
	c->median.nvcsw = (long)median(v[3], (size_t)n);
	c->median.nivcsw = (long)median(v[4], (size_t)n);
}

/* Run every configuration once to warm up, then `runs` times, round-robin so
 * that a slow patch of the machine hits all of them alike. Every output is
 * checked; a copier that fails or copies wrong bytes drops out. Returns true
 * if every configuration ran and copied right. */
bool measure(const struct options *o, struct config *c, size_t n, const char *input, off_t size)
{
	char output[PATH_MAX], logpath[PATH_MAX], chunk[32], slots[32];
	bool tty = isatty(STDERR_FILENO);
	struct timespec t0, t1;
	struct sample s;

	Close(make_temp_file(o->dir, "bench-output", output, sizeof output));
	int logfd = make_temp_file(o->dir, "bench-log", logpath, sizeof logpath);
	for (size_t i = 0; i < n; i++) {
		c[i].status = OK;
		c[i].nruns = 0;
		if (access(o->prog[c[i].m], X_OK) == -1) {
			c[i].status = MISSING;
			snprintf(c[i].why, sizeof c[i].why, "%s not built (make)", o->prog[c[i].m]);
		}
	}
	for (long r = 0; r <= o->runs; r++) {
		for (size_t i = 0; i < n; i++) {
			if (c[i].status != OK)
				continue;
			if (tty)
				fprintf(stderr, "\r%s: %s run %ld of %ld, %zu of %zu  ", prog_name(),
					r == 0 ? "warm-up" : "timed", r == 0 ? 1 : r, r == 0 ? 1 : o->runs, i + 1, n);
			const struct method_info *mi = &methods[c[i].m];
			char *argv[10];
			int k = 0;
			snprintf(chunk, sizeof chunk, "%ld", c[i].chunk);
			snprintf(slots, sizeof slots, "%ld", c[i].slots);
			argv[k++] = (char *)o->prog[c[i].m];
			argv[k++] = (char *)mi->subcmd;
			argv[k++] = "-b";
			argv[k++] = chunk;
			if (mi->has_slots) {
				argv[k++] = "-s";
				argv[k++] = slots;
			}
			argv[k++] = (char *)input;
			argv[k++] = output;
			argv[k] = NULL;
			unlink(output);
			if (ftruncate(logfd, 0) == -1)
				err_sys("ftruncate %s", logpath);

			clock_gettime(CLOCK_MONOTONIC, &t0);
			pid_t pid = spawn(argv, logfd);
			int status = reap(pid, &s);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			s.wall_ms = ms_between(&t0, &t1);

			if (status != 0) {
				c[i].status = FAILED;
				describe_status(status, logfd, c[i].why, sizeof c[i].why);
			} else if (!same_bytes(input, output, size, c[i].why, sizeof c[i].why)) {
				c[i].status = WRONG;
			} else if (r > 0) {
				c[i].run[c[i].nruns++] = s;
			}
			unlink(output);
		}
	}
	if (tty)
		fprintf(stderr, "\r%*s\r", 60, "");
	Close(logfd);
	unlink(logpath);
	at_exit_forget(logpath);
	at_exit_forget(output); /* removed after each run */

	bool all_ok = true;
	for (size_t i = 0; i < n; i++) {
		if (c[i].status == OK)
			take_medians(&c[i]);
		else
			all_ok = false;
	}
	return all_ok;
}

/* On stderr, after the report: what went wrong, "not built" once per method. */
void say_failures(const struct config *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool said = false;
		for (size_t j = 0; j < i; j++)
			said |= c[j].m == c[i].m && c[j].status == MISSING;
		if (c[i].status == MISSING && !said)
			err_msg("%s: %s", methods[c[i].m].name, c[i].why);
		else if (c[i].status == WRONG || c[i].status == FAILED)
			err_msg("%s (chunk %ld, %ld slots): %s", methods[c[i].m].name, c[i].chunk,
				c[i].slots, c[i].why);
	}
}
