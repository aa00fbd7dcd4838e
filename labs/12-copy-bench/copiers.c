/* copiers.c - the copiers that pass the bytes through a stream:
 *   pipe   two processes, each with a buffer of its own: file -> buffer ->
 *          pipe -> buffer -> file, four copies, the classic count for a pipe
 *   fifo, unix  the same through a named pipe, through a socket pair
 *   rw     one process: file -> buffer -> file, the least two copies can do
 *   limit  not a copier: one process read()s INPUT while another write()s as
 *          many bytes to OUTPUT: the two copies alone, with no hand-off
 * and what every copier shares: a buffer on a page, a peer process, write_all. */
#define _GNU_SOURCE /* prctl(PR_SET_PDEATHSIG) is Linux's */
#include "copiers.h"

#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>

/* "prog: what: why" and exit 4: not a failure of the copier, a lack of this
 * system (no message queues in the kernel, a file system that cannot splice). */
_Noreturn void unavailable(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog_name());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_UNAVAILABLE);
}

/* Page-aligned: on some CPUs, read() into a buffer that starts mid-page is much slower. */
char *page_buffer(size_t size)
{
	void *p;
	int rc = posix_memalign(&p, (size_t)sysconf(_SC_PAGESIZE), size);
	if (rc != 0)
		err_code(rc, "posix_memalign %zu bytes", size);
	return p;
}

/* Fork the other end. It gets SIGTERM when we die, even by SIGKILL, so that
 * it never waits for ever on a pipe, FIFO or queue nobody else holds. */
pid_t fork_peer(void)
{
	pid_t parent = getpid(), pid = Fork();
	if (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		err_sys("prctl PR_SET_PDEATHSIG");
	if (pid == 0 && getppid() != parent) /* it died before prctl */
		err_quit("the parent (pid %ld) is gone", (long)parent);
	return pid;
}

/* wait_child, except that a peer that found its half unavailable here makes
 * us say the same (it has said why). WNOWAIT: wait_child still reaps it. */
void wait_peer(pid_t pid)
{
	siginfo_t si;
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR)
			err_sys("waitid %ld", (long)pid);
	if (si.si_code == CLD_EXITED && si.si_status == EXIT_UNAVAILABLE)
		exit(EXIT_UNAVAILABLE);
	wait_child(pid);
}

/* All n bytes of p to fd. If fd's reader is the child `reader` (else 0), a
 * write that finds it gone says why the child stopped, not "Broken pipe". */
void write_all(int fd, const char *p, size_t n, const char *dst, pid_t reader)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, p + done, n - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EPIPE || errno == ECONNRESET) && reader > 0)
			wait_peer(reader); /* says why the reader stopped */
		if (w == -1)
			err_sys("write %s", dst);
		done += (size_t)w;
	}
}

/* Copy from one descriptor to the other through the job's buffer until end of file. */
static void copy_stream(int from, int to, const struct job *j, const char *src, const char *dst, pid_t reader)
{
	for (;;) {
		ssize_t n = read(from, j->buf, j->chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err_sys("read %s", src);
		if (n == 0)
			return;
		write_all(to, j->buf, (size_t)n, dst, reader);
	}
}

void copy_rw(const struct job *j)
{
	copy_stream(j->ifd, j->ofd, j, j->in, j->out, 0);
}

/* The parent reads INPUT into `to`, the child (forked before) writes what it
 * reads from `from` to OUTPUT. Each closes the other's end. */
static void two_processes(const struct job *j, pid_t pid, int from, int to, const char *what)
{
	if (pid == 0) { /* the child: the pipe, FIFO or socket -> OUTPUT */
		if (to != -1)
			Close(to);
		copy_stream(from, j->ofd, j, what, j->out, 0);
		exit(0);
	}
	if (from != -1)
		Close(from);
	signal(SIGPIPE, SIG_IGN); /* a reader that died shows as EPIPE, then in wait_peer */
	copy_stream(j->ifd, to, j, j->in, what, pid);
	Close(to); /* end of file for the reader */
	wait_peer(pid);
}

void copy_pipe(const struct job *j)
{
	int pfd[2];
	if (pipe(pfd) == -1)
		err_sys("pipe");
	two_processes(j, fork_peer(), pfd[0], pfd[1], "the pipe");
}

void copy_unix(const struct job *j)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err_sys("socketpair");
	two_processes(j, fork_peer(), sv[1], sv[0], "the socket");
}

/* The FIFO lives in a directory of its own, 0700, so that nobody else can
 * open it or put another in its place; both go as soon as both ends are open,
 * and on every way out before that. */
static char fifo_dir[PATH_MAX], fifo_path[PATH_MAX + 8];

static void remove_fifo(void) /* async-signal-safe: at_exit_call may run it */
{
	if (fifo_path[0] != '\0')
		unlink(fifo_path);
	if (fifo_dir[0] != '\0')
		rmdir(fifo_dir);
}

void copy_fifo(const struct job *j)
{
	const char *tmp = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ? getenv("TMPDIR") : "/tmp";
	struct timespec ms = {0, 1000000};
	int fd;

	hold_signals(true);
	if (snprintf(fifo_dir, sizeof fifo_dir, "%s/shmlab-fifo.XXXXXX", tmp) >= (int)sizeof fifo_dir)
		err_quit("directory name too long: %s", tmp);
	if (mkdtemp(fifo_dir) == NULL)
		err_sys("mkdtemp %s", fifo_dir);
	at_exit_call(remove_fifo);
	hold_signals(false);
	snprintf(fifo_path, sizeof fifo_path, "%s/fifo", fifo_dir);
	if (mkfifo(fifo_path, FILE_MODE) == -1)
		err_sys("mkfifo %s", fifo_path);
	pid_t pid = fork_peer();
	if (pid == 0) /* the reader: open blocks until the writer has opened too */
		two_processes(j, 0, Open(fifo_path, O_RDONLY, 0), -1, "the FIFO");
	/* the writer: O_NONBLOCK fails with ENXIO while there is no reader, so a
	 * reader that dies before it opens is noticed, not waited for */
	while ((fd = open(fifo_path, O_WRONLY | O_NONBLOCK)) == -1 && errno == ENXIO) {
		check_children("the reader to open the FIFO");
		nanosleep(&ms, NULL);
	}
	if (fd == -1 || fcntl(fd, F_SETFL, 0) == -1) /* from now on, writes block */
		err_sys("open %s", fifo_path);
	hold_signals(true);
	remove_fifo(); /* both ends are open: the name is not needed any more */
	fifo_path[0] = fifo_dir[0] = '\0';
	hold_signals(false);
	two_processes(j, pid, -1, fd, "the FIFO");
}

/* The two copies alone, at the same time, and nothing passed between them:
 * OUTPUT gets INPUT's size in zeros. The bench checks only the size. */
void copy_limit(const struct job *j)
{
	pid_t pid = fork_peer();
	if (pid == 0) { /* the reader: INPUT -> buffer, and drop it */
		ssize_t n;
		while ((n = read(j->ifd, j->buf, j->chunk)) > 0 || (n == -1 && errno == EINTR))
			continue;
		if (n == -1)
			err_sys("read %s", j->in);
		exit(0);
	}
	memset(j->buf, 0, j->chunk);
	for (off_t done = 0; done < j->size; done += (off_t)j->chunk) /* the writer */
		write_all(j->ofd, j->buf, (size_t)(j->size - done < (off_t)j->chunk ? j->size - done : (off_t)j->chunk),
			  j->out, 0);
	wait_peer(pid);
}
