/* fewer.c - fewer copies than two, all in Linux calls:
 *   mmap      write() OUTPUT straight from a mapping of INPUT: one copy
 *   splice    two processes and a pipe, as `pipe`, but splice(2) moves the
 *             bytes: no copy through user space at all
 *   cfr       copy_file_range(2): the kernel copies file to file
 *   sendfile  sendfile(2): the same with the older call
 * Even these copy once in the kernel (into OUTPUT's pages) unless the file
 * system can share blocks between files: see the guide. */
#define _GNU_SOURCE /* splice, copy_file_range */
#include "copiers.h"

#include <sys/sendfile.h>

void copy_mmap(const struct job *j)
{
	if (j->size == 0)
		return; /* nothing to map */
	sigbus_means("INPUT was truncated while it was mapped");
	char *p = Mmap(NULL, (size_t)j->size, PROT_READ, MAP_SHARED, j->ifd, 0);
	for (off_t done = 0; done < j->size; done += (off_t)j->chunk)
		write_all(j->ofd, p + done, j->size - done < (off_t)j->chunk ? (size_t)(j->size - done) : j->chunk,
			  j->out, 0);
	Munmap(p, (size_t)j->size);
}

/* One splice() of up to chunk bytes; the first call's "cannot" is this
 * system's, not a failure (EINVAL: a file system without splice). A reader
 * (the child, else 0) that died shows as EPIPE: then it says why. */
static ssize_t Splice(int from, int to, size_t chunk, bool first, const char *what, pid_t reader)
{
	ssize_t n;
	while ((n = splice(from, NULL, to, NULL, chunk, SPLICE_F_MOVE)) == -1 && errno == EINTR)
		continue;
	if (n == -1 && errno == EPIPE && reader > 0)
		wait_peer(reader);
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
		for (bool first = true; Splice(pfd[0], j->ofd, j->chunk, first, j->out, 0) > 0; first = false)
			continue;
		exit(0);
	}
	Close(pfd[0]);
	signal(SIGPIPE, SIG_IGN); /* a child that died shows as EPIPE */
	for (bool first = true; Splice(j->ifd, pfd[1], j->chunk, first, j->in, pid) > 0; first = false)
		continue;
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
