/* memfd-peer - a test tool: the peers 17-memfd-seal must not trust.
 *
 *   memfd-peer serve N SOCKET  a fake server: listen at SOCKET (its directory
 *                              is the test's), send the first receiver one
 *                              byte with N descriptors (0 to 8, all of
 *                              /dev/null), wait for it to hang up, remove
 *                              SOCKET
 *   memfd-peer fill SOCKET     connect to SOCKET until its server's queue of
 *                              connections not yet accepted is full, print
 *                              "queue full after K connections", and hold
 *                              them until killed (at most 60 s)
 *
 * Every wait gives up after 20 s (exit 1), so a test that fails leaves no
 * process behind for long. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 8
#define WAIT_MS 20000

static void fail(const char *what)
{
	fprintf(stderr, "memfd-peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_un address(const char *path)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		fail(path);
	}
	strcpy(a.sun_path, path);
	return a;
}

/* Wait for `events` on fd, at most WAIT_MS. */
static void await(int fd, short events, const char *what)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, WAIT_MS);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r != 1)
		fail(what);
}

static int serve(int n, const char *path)
{
	struct sockaddr_un a = address(path);
	union { /* aligned for a cmsghdr */
		struct cmsghdr h;
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} u;
	char byte = 'M';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[MAX_FDS];

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s == -1)
		fail("socket");
	if (bind(s, (struct sockaddr *)&a, sizeof a) == -1)
		fail(path);
	if (listen(s, 1) == -1)
		fail("listen");
	await(s, POLLIN, "no receiver came");
	int c = accept(s, NULL, NULL);
	if (c == -1)
		fail("accept");
	for (int i = 0; i < n; i++)
		if ((fds[i] = open("/dev/null", O_RDONLY)) == -1)
			fail("open /dev/null");
	if (n > 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(h), fds, n * sizeof(int));
	}
	if (sendmsg(c, &m, 0) != 1)
		fail("sendmsg");
	await(c, POLLIN, "the receiver never hung up"); /* its end of file */
	unlink(path);
	return 0;
}

static int fill(const char *path)
{
	struct sockaddr_un a = address(path);
	int k;
	for (k = 0;; k++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s == -1)
			fail("socket");
		if (fcntl(s, F_SETFL, O_NONBLOCK) == -1)
			fail("fcntl O_NONBLOCK");
		if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
			continue; /* queued; held open until we exit */
		if (errno != EAGAIN)
			fail(path);
		close(s);
		break;
	}
	printf("queue full after %d connections\n", k);
	fflush(stdout);
	sleep(60);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0 && strlen(argv[2]) == 1 &&
	    argv[2][0] >= '0' && argv[2][0] <= '0' + MAX_FDS)
		return serve(argv[2][0] - '0', argv[3]);
	if (argc == 3 && strcmp(argv[1], "fill") == 0)
		return fill(argv[2]);
	fprintf(stderr, "usage: memfd-peer serve N SOCKET | fill SOCKET\n");
	return 2;
}
