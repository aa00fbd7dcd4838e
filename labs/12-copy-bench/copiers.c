/* copiers.c - the two copiers the others are measured against, written as
 * plainly as possible so that the comparison is fair:
 *   rw    lab 09's server loop and client loop fused into one process:
 *         file -> read() -> buffer -> write() -> file, two copies, the least
 *         any copy through user space can do
 *   pipe  lab 09 with a pipe in place of the shared buffer, each side with a
 *         buffer of its own: file -> buffer -> pipe -> buffer -> file, four
 *         copies, the classic count for a pipe */
#include "bench.h"

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

/* 12-copy-bench rw|pipe [-b BYTES] INPUT OUTPUT; argv[0] is rw or pipe. */
int copier_main(int argc, char **argv)
{
	long chunk = CHUNK_DEFAULT;
	int c, pfd[2];

	opterr = 0; /* we say what is wrong ourselves */
	while ((c = getopt(argc, argv, ":b:")) != -1) {
		if (c == ':')
			usage_error("option -b needs a number of bytes");
		if (c == '?')
			usage_error("unknown option '-%c'", optopt);
		chunk = parse_count(optarg, "BYTES", 1, COPY_CHUNK_MAX);
	}
	if (argc - optind != 2)
		usage_error("%s needs INPUT and OUTPUT", argv[0]);
	const char *in = argv[optind], *out = argv[optind + 1];
	char *buf = malloc((size_t)chunk);
	if (buf == NULL)
		err_sys("malloc %ld bytes", chunk);
	struct stat si, so;
	int ifd = Open(in, O_RDONLY, 0);
	Fstat(ifd, &si);
	if (stat(out, &so) == 0 && so.st_dev == si.st_dev && so.st_ino == si.st_ino)
		err_quit("%s and %s are the same file: copying would empty it", in, out);
	int ofd = Open(out, O_WRONLY | O_CREAT | O_TRUNC, FILE_MODE);

	if (strcmp(argv[0], "rw") == 0) {
		copy_fd(ifd, ofd, buf, (size_t)chunk, in, out, 0);
	} else {
		if (pipe(pfd) == -1)
			err_sys("pipe");
		pid_t pid = Fork();
		if (pid == 0) { /* the child: pipe -> output */
			Close(pfd[1]);
			copy_fd(pfd[0], ofd, buf, (size_t)chunk, "pipe", out, 0);
			Close(ofd);
			exit(0);
		}
		Close(pfd[0]);
		signal(SIGPIPE, SIG_IGN); /* a reader that died shows as EPIPE, then in wait_child */
		copy_fd(ifd, pfd[1], buf, (size_t)chunk, in, "pipe", pid); /* the parent: input -> pipe */
		Close(pfd[1]); /* end of file for the reader */
		wait_child(pid);
	}
	Close(ofd);
	Close(ifd);
	free(buf);
	return 0;
}
