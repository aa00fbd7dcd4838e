/* fewer.c - fewer copies than two, all in Linux calls:
 *   mmap      one process maps INPUT and write()s OUTPUT straight from the
 *             mapping: write() copies each byte once, into OUTPUT
 *   splice    two processes and a pipe, as `pipe`, but splice(2) moves the
 *             bytes: no copy through user space at all
 *   cfr       one process: copy_file_range(2), the kernel copies file to file
 *   sendfile  one process: sendfile(2), the same with the older call
 * Even these copy once in the kernel (into OUTPUT's pages) unless the file
 * system can share blocks between files: see the guide. */
#define _GNU_SOURCE /* splice, copy_file_range */
#include "bench.h"

#include <sys/sendfile.h>

static size_t left(const struct job *j, off_t done)
{
	return j->size - done < (off_t)j->chunk ? (size_t)(j->size - done) : j->chunk;
}

void copy_mmap(const struct job *j)
{
	if (j->size == 0)
		return; /* nothing to map */
	sigbus_means("INPUT was truncated while it was mapped");
	char *p = Mmap(NULL, (size_t)j->size, PROT_READ, MAP_SHARED, j->ifd, 0);
	for (off_t done = 0; done < j->size; done += (off_t)j->chunk)
		write_all(j->ofd, p + done, left(j, done), j->out, 0);
	Munmap(p, (size_t)j->size);
}

/* One splice() of up to chunk bytes; the first call's "cannot" is this
 * system's, not a failure (EINVAL: a file system without splice). */
static ssize_t Splice(int from, int to, size_t chunk, bool first, const char *what)
{
	ssize_t n;
	while ((n = splice(from, NULL, to, NULL, chunk, SPLICE_F_MOVE)) == -1 && errno == EINTR)
		continue;
	if (n == -1 && first && (errno == EINVAL || errno == ENOSYS))
		unavailable("splice %s: %s", what, strerror(errno));
	if (n == -1)
		err_sys("splice %s", what);
	return n;
}

void copy_splice(const struct job *j)
{
	int pfd[2];
	if (pipe(pfd) == -1)
		err_sys("pipe");
	pid_t pid = fork_peer();
	if (pid == 0) { /* the child: pipe -> OUTPUT */
		Close(pfd[1]);
		for (bool first = true; Splice(pfd[0], j->ofd, j->chunk, first, j->out) > 0; first = false)
			continue;
		exit(0);
	}
	Close(pfd[0]);
	signal(SIGPIPE, SIG_IGN); /* a child that died shows as EPIPE */
	for (bool first = true;; first = false) {
		ssize_t n;
		while ((n = splice(j->ifd, NULL, pfd[1], NULL, j->chunk, SPLICE_F_MOVE)) == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EPIPE)
			wait_peer(pid); /* says why the child stopped */
		if (n == -1 && first && (errno == EINVAL || errno == ENOSYS))
			unavailable("splice %s: %s", j->in, strerror(errno));
		if (n == -1)
			err_sys("splice %s", j->in);
		if (n == 0)
			break;
	}
	Close(pfd[1]); /* end of file for the child */
	wait_peer(pid);
}

void copy_cfr(const struct job *j)
{
	for (off_t done = 0;;) {
		ssize_t n = copy_file_range(j->ifd, NULL, j->ofd, NULL, j->chunk, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && done == 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS))
			unavailable("copy_file_range: %s%s", strerror(errno),
				    errno == EXDEV ? " (INPUT and OUTPUT are on two file systems it cannot copy between)" : "");
		if (n == -1)
			err_sys("copy_file_range %s to %s", j->in, j->out);
		if (n == 0)
			return;
		done += n;
	}
}

void copy_sendfile(const struct job *j)
{
	for (off_t done = 0;;) {
		ssize_t n = sendfile(j->ofd, j->ifd, NULL, j->chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && done == 0 && (errno == EINVAL || errno == ENOSYS))
			unavailable("sendfile %s to %s: %s", j->in, j->out, strerror(errno));
		if (n == -1)
			err_sys("sendfile %s to %s", j->in, j->out);
		if (n == 0)
			return;
		done += n;
	}
}
