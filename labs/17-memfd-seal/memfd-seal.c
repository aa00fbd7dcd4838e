/*
 * 17-memfd-seal - shared memory with no name, passed over a socket, sealed.
 *
 * Every object so far had a name (/dev/shm, a System V key, a path) that any
 * process could try first, and a size any process of ours could change under
 * a reader (SIGBUS, lab 11). Here the server makes memory with memfd_create():
 * a file descriptor and nothing else, no name anywhere. It fills it, seals it
 * (F_ADD_SEALS: from now on nobody, the server included, can shrink, grow or
 * write it), and hands the descriptor to an unrelated process over a Unix
 * domain socket (SCM_RIGHTS). The socket lives in a directory only we can
 * enter. The receiver trusts nothing it was told: it asks the kernel who sent
 * it (SO_PEERCRED) and which seals it carries (F_GET_SEALS). The memory goes
 * away with the last descriptor and mapping, whoever holds them and however
 * they end: even kill -9 leaves no memory behind, only the socket's path,
 * which the next server finds stale and replaces.
 *
 * Messages go to stdout, but get's to stderr when its OUTPUT is stdout ("-").
 *
 * Calls: open (O_NONBLOCK), fstat, memfd_create (MFD_CLOEXEC|MFD_ALLOW_SEALING),
 *        ftruncate, mmap, munmap, fcntl (F_ADD_SEALS, F_GET_SEALS), mkdir, flock,
 *        socket, bind, listen, poll, accept, connect, getsockopt (SO_PEERCRED),
 *        setsockopt (SO_SNDTIMEO, SO_RCVTIMEO),
 *        sendmsg (SCM_RIGHTS), recvmsg, readlink, unlink, rmdir.
 *
 * A run as root, without XDG_RUNTIME_DIR (terminal 1, then terminal 2):
 *   $ bin/17-memfd-seal serve -c 2 notes.txt
 *   serve: memfd shmlab-0.memfd: 20 bytes from notes.txt, sealed: shrink grow write seal
 *   serve: waiting at /tmp/shmlab-0.memfd/socket for 2 receivers (60 s each)
 *   serve: sent the descriptor to pid 30653 (uid 0)
 *
 *   $ bin/17-memfd-seal get copy.txt
 *   get: the server is pid 30651, uid 0: ours
 *   get: received descriptor 4: /memfd:shmlab-0.memfd (deleted), 20 bytes
 *   get: F_GET_SEALS: shrink grow write seal: its size and contents are fixed
 *   get: wrote 20 bytes to copy.txt
 *   $ bin/17-memfd-seal attack
 *   ...
 *   attack: ftruncate to 0 bytes, under its readers' feet: refused: the object is sealed (EPERM)
 *   result: 4 of 4 attacks refused
 */
#define _GNU_SOURCE /* memfd_create, the seals, SO_PEERCRED, flock: this lab is about Linux */
#include "unpipc.h"

#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>

#define SIZE_LIMIT (1L << 30) /* 1 GiB, as lab 07 */
#define NEEDED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) /* get trusts only these */

static const struct {
	unsigned bit;
	const char *name;
} seal_list[] = {
	{F_SEAL_SHRINK, "shrink"}, {F_SEAL_GROW, "grow"}, {F_SEAL_WRITE, "write"},
	{F_SEAL_FUTURE_WRITE, "future-write"}, {F_SEAL_SEAL, "seal"},
};
#define NSEALS (sizeof seal_list / sizeof seal_list[0])

static char memfd_name[IPC_NAME_MAX];  /* PREFIX.NAME: what /proc/PID/fd shows */
static char sock_dir[PATH_MAX];        /* BASE/PREFIX.NAME, 0700 */
static struct sockaddr_un addr;        /* BASE/PREFIX.NAME/socket */
static volatile sig_atomic_t have_dir; /* the server holds the directory's lock */
static FILE *report;                   /* stdout, unless stdout is get's OUTPUT */

/* The socket's path: under $XDG_RUNTIME_DIR (a per-user 0700 directory on
 * systemd machines), else $TMPDIR, else /tmp, in a directory of its own named
 * by ipc_name(), so that students on one machine never meet. */
static void socket_path(const char *name)
{
	char full[IPC_NAME_MAX];
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (base == NULL || base[0] == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	ipc_name(full, sizeof full, name);
	snprintf(memfd_name, sizeof memfd_name, "%s", full + 1);
	snprintf(sock_dir, sizeof sock_dir, "%s%s", base, full);
	addr.sun_family = AF_UNIX;
	size_t n = (size_t)snprintf(addr.sun_path, sizeof addr.sun_path, "%s/socket", sock_dir);
	if (n >= sizeof addr.sun_path)
		err_quit("the socket path %s/socket has %zu characters, a Unix socket takes %zu: "
			 "set TMPDIR (or XDG_RUNTIME_DIR) to a shorter directory", sock_dir, n,
			 sizeof addr.sun_path - 1);
}

/* Registered with at_exit_call and called at the end: the socket first, then
 * its directory, in that order (async-signal-safe: unlink, rmdir). */
static void remove_socket(void)
{
	if (have_dir) {
		have_dir = 0;
		unlink(addr.sun_path);
		rmdir(sock_dir);
	}
}

static const char *seal_names(int seals)
{
	static char buf[64];
	buf[0] = '\0';
	for (size_t i = 0; i < NSEALS; i++)
		if (seals & (int)seal_list[i].bit)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
				 buf[0] ? " " : "", seal_list[i].name);
	return buf[0] ? buf : "none";
}

/* The seal called by the first len characters of w; 0 if none is. */
static int seal_bit(const char *w, size_t len)
{
	for (size_t i = 0; i < NSEALS; i++)
		if (strlen(seal_list[i].name) == len && strncmp(w, seal_list[i].name, len) == 0)
			return (int)seal_list[i].bit;
	return 0;
}

/* -s SEALS: "none", or a comma list of the names in seal_list. */
static int parse_seals(const char *s)
{
	int seals = 0;
	if (strcmp(s, "none") == 0)
		return 0;
	for (const char *w = s;; w++) {
		size_t len = strcspn(w, ",");
		int bit = seal_bit(w, len);
		if (bit == 0)
			usage_error("SEALS '%s': '%.*s' is not a seal (want none, or some of "
				    "shrink,grow,write,future-write,seal)", s, (int)len, w);
		seals |= bit;
		w += len;
		if (*w == '\0')
			return seals;
	}
}

/* Who is at the other end of a connected socket, as the kernel saw it at
 * connect() (the server's view) or listen() (the receiver's). */
static struct ucred peer(int s)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		err_sys("getsockopt SO_PEERCRED");
	return cr;
}

/* ---- the server ---- */

/* A new memfd of FILE's size holding FILE's bytes, sealed with `seals`.
 * O_NONBLOCK: a FIFO must be refused below, not wait here for a writer. */
static int make_sealed(const char *path, int seals, off_t *size)
{
	struct stat st;
	int in = strcmp(path, "-") == 0 ? STDIN_FILENO : Open(path, O_RDONLY | O_NONBLOCK, 0);
	Fstat(in, &st);
	if (!S_ISREG(st.st_mode))
		err_quit("%s is not a regular file: serve needs to know the size first", path);
	off_t len = st.st_size;
	if (len > SIZE_LIMIT)
		err_quit("%s has %jd bytes, more than the 1 GiB this lab shares", path, (intmax_t)len);
	int fd = memfd_create(memfd_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1 && (errno == ENOSYS || errno == EINVAL))
		err_sys("memfd_create %s with MFD_ALLOW_SEALING (Linux 3.17 and later have it)",
			memfd_name);
	if (fd == -1)
		err_sys("memfd_create %s", memfd_name);
	Ftruncate(fd, len);
	if (len > 0) {
		char *p = Mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		for (off_t done = 0; done < len;) {
			ssize_t n = read(in, p + done, (size_t)(len - done));
			if (n == -1)
				err_sys("read %s", path);
			if (n == 0)
				err_quit("%s shrank while we read it", path);
			done += n;
		}
		Munmap(p, (size_t)len); /* F_SEAL_WRITE fails (EBUSY) while it is mapped writable */
	}
	Close(in);
	if (fcntl(fd, F_ADD_SEALS, seals) == -1)
		err_sys("fcntl F_ADD_SEALS %s%s", seal_names(seals), errno != EINVAL ? "" :
			" (sealing needs Linux 3.17, future-write 5.1)");
	*size = len;
	return fd;
}

/* Make our 0700 directory (or take over the one a killed server left), lock
 * it for as long as we live, and listen in it. The lock is how a second
 * server knows the first is alive: the kernel drops it when the holder dies,
 * however it dies; the socket's path would stay. */
static int listen_socket(void)
{
	struct stat st, now;

	hold_signals(true); /* made and registered, or neither */
	if (mkdir(sock_dir, 0700) == -1 && errno != EEXIST)
		err_sys("mkdir %s", sock_dir);
	int dfd = open(sock_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1 && errno == EACCES && lstat(sock_dir, &st) == 0)
		check_owner(sock_dir, st.st_uid, st.st_mode); /* someone else's: say whose */
	if (dfd == -1)
		err_sys("open %s", sock_dir);
	Fstat(dfd, &st);
	check_owner(sock_dir, st.st_uid, st.st_mode); /* ours, and nobody else may enter */
	if (flock(dfd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK)
		err_quit("another server is serving at %s", addr.sun_path);
	if (lstat(sock_dir, &now) == -1 || now.st_ino != st.st_ino || now.st_dev != st.st_dev)
		err_quit("%s was removed meanwhile (a server was stopping): try again", sock_dir);
	have_dir = 1;
	at_exit_call(remove_socket);
	hold_signals(false);
	if (unlink(addr.sun_path) == 0) /* no lock held, yet a socket: its server was killed */
		printf("serve: removed a stale socket: its server was killed before it could remove it\n");

	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s == -1)
		err_sys("socket");
	if (bind(s, (struct sockaddr *)&addr, sizeof addr) == -1)
		err_sys("bind %s", addr.sun_path);
	if (listen(s, 8) == -1)
		err_sys("listen %s", addr.sun_path);
	return s; /* dfd stays open: it holds the lock */
}

/* Send one descriptor: one byte of data carries it (a stream socket sends no
 * empty message), the descriptor goes as SCM_RIGHTS ancillary data. */
static bool send_fd(int s, int fd)
{
	union { /* aligned for a cmsghdr */
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char byte = 'M';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	memset(&u, 0, sizeof u);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(s, &m, MSG_NOSIGNAL) == 1; /* a receiver gone: EPIPE, not SIGPIPE */
}

static void serve(const char *path, long count, int seals, long timeout)
{
	off_t size;
	int fd = make_sealed(path, seals, &size);
	printf("serve: memfd %s: %jd bytes from %s, sealed: %s\n", memfd_name, (intmax_t)size,
	       path, seal_names(seals));
	int s = listen_socket();
	printf("serve: waiting at %s for %ld receiver%s (%ld s each)\n", addr.sun_path, count,
	       count == 1 ? "" : "s", timeout);

	for (long sent = 0; sent < count;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		int r = poll(&p, 1, (int)(timeout * 1000));
		if (r == -1)
			err_sys("poll");
		if (r == 0)
			err_quit("no receiver came within %ld s", timeout);
		int c = accept(s, NULL, NULL);
		if (c == -1)
			err_sys("accept");
		struct ucred cr = peer(c);
		if (cr.uid != geteuid())
			printf("serve: refused pid %ld: it is uid %ld, not ours: sent nothing\n",
			       (long)cr.pid, (long)cr.uid);
		else if (!send_fd(c, fd))
			printf("serve: pid %ld went away before it got the descriptor (%s)\n",
			       (long)cr.pid, strerror(errno));
		else {
			printf("serve: sent the descriptor to pid %ld (uid %ld)\n", (long)cr.pid,
			       (long)cr.uid);
			sent++;
		}
		Close(c);
	}
	remove_socket(); /* our memfd goes at exit; the receivers keep theirs */
}

/* ---- the receivers ---- */

/* Connect to the server, waiting for it up to `timeout` s, and check who it is.
 * connect() itself waits too: for room in the server's queue of connections
 * not yet accepted, which a server that accepts none (stopped, or hostile)
 * never makes. SO_SNDTIMEO bounds that wait by what is left of `timeout`
 * (a non-blocking connect would not help: on a Unix socket it fails with
 * EAGAIN at once and there is nothing to poll for). */
static int connect_server(const char *who, long timeout)
{
	const struct timespec tick = {0, 10 * 1000000}; /* 10 ms */
	struct timespec start;
	int s;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = timeout * 1000 - ms_since(&start);
		struct timeval tv = {.tv_sec = left / 1000, .tv_usec = left % 1000 * 1000};
		if (left < 1) /* a last try; SO_SNDTIMEO 0 would mean for ever */
			tv = (struct timeval){.tv_usec = 1000};
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s == -1)
			err_sys("socket");
		if (setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == -1)
			err_sys("setsockopt SO_SNDTIMEO");
		if (connect(s, (struct sockaddr *)&addr, sizeof addr) == 0)
			break;
		int e = errno;
		struct stat st;
		Close(s);
		if (e == EACCES && stat(sock_dir, &st) == 0)
			check_owner(sock_dir, st.st_uid, st.st_mode);
		errno = e;
		if (e != ENOENT && e != ECONNREFUSED && e != EAGAIN && e != EINTR) /* EINTR: Ctrl-Z, fg */
			err_sys("connect %s", addr.sun_path);
		if (left < 1 && e == ENOENT)
			err_quit("no server came within %ld s (start one with: %s serve FILE)", timeout,
				 prog_name());
		if (left < 1 && e == ECONNREFUSED)
			err_quit("%s is there but no server listens (one was killed?): a new serve "
				 "replaces it", addr.sun_path);
		if (left < 1 && e == EAGAIN)
			err_quit("the server at %s took no connection within %ld s: its queue is full "
				 "(is it stopped?)", addr.sun_path, timeout);
		nanosleep(&tick, NULL);
	}
	struct ucred cr = peer(s);
	if (cr.uid != geteuid())
		err_quit("refused: the server (pid %ld) is uid %ld, not us (uid %ld): nothing taken "
			 "from it", (long)cr.pid, (long)cr.uid, (long)geteuid());
	fprintf(report, "%s: the server is pid %ld, uid %ld: ours\n", who, (long)cr.pid, (long)cr.uid);
	return s;
}

/* Exactly one descriptor, or none at all: any others that came are closed. */
static int recv_fd(int s, long timeout)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))]; /* room to see a sender that sends more */
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct timeval tv = {.tv_sec = timeout};
	int fds[4], nfd = 0;

	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1)
		err_sys("setsockopt SO_RCVTIMEO");
	ssize_t n;
	do /* EINTR: stopped and continued (Ctrl-Z, fg), as a socket with a timeout is */
		n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		err_quit("the server sent nothing within %ld s", timeout);
	if (n == -1 && errno == ECONNRESET) /* it died with our connection not yet accepted */
		err_quit("the server went away before it sent a descriptor (was it killed?)");
	if (n == -1)
		err_sys("recvmsg");
	if (n == 0)
		err_quit("the server closed the connection without sending a descriptor");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfd < 4; i++)
			memcpy(&fds[nfd++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (nfd == 1 && !(m.msg_flags & MSG_CTRUNC))
		return fds[0];
	for (int i = 0; i < nfd; i++)
		Close(fds[i]);
	if (m.msg_flags & MSG_CTRUNC) /* the kernel closed those that did not fit */
		err_quit("refused: the server sent more than %d descriptors, not one", nfd);
	if (nfd == 0)
		err_quit("refused: the server sent no descriptor");
	err_quit("refused: the server sent %d descriptors, not one", nfd);
}

/* Connect, check the server, take the descriptor; say what it is and which
 * seals it has, as the kernel says (F_GET_SEALS), never as the server says. */
static int receive(const char *who, long timeout, int *seals, off_t *size)
{
	char link[64], target[PATH_MAX];
	struct stat st;
	int s = connect_server(who, timeout);
	int fd = recv_fd(s, timeout);
	Close(s);
	*seals = fcntl(fd, F_GET_SEALS);
	if (*seals == -1 && errno == EINVAL)
		err_quit("refused: descriptor %d is not a memfd (F_GET_SEALS: EINVAL)", fd);
	if (*seals == -1)
		err_sys("fcntl F_GET_SEALS");
	Fstat(fd, &st);
	*size = st.st_size;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	target[n < 0 ? 0 : n] = '\0';
	fprintf(report, "%s: received descriptor %d: %s, %jd bytes\n", who, fd, target, (intmax_t)*size);
	return fd;
}

static void get(const char *output, long timeout)
{
	struct copy_file out;
	int seals;
	off_t size;
	if (strcmp(output, "-") == 0)
		report = stderr; /* the data goes to stdout */
	int fd = receive("get", timeout, &seals, &size);
	if ((seals & NEEDED) != NEEDED)
		err_quit("refused: F_GET_SEALS says %s: without shrink, grow and write its size or "
			 "contents could change while we read it", seal_names(seals));
	fprintf(report, "get: F_GET_SEALS: %s: its size and contents are fixed\n", seal_names(seals));
	if (size > SIZE_LIMIT) /* sealed, so this size is the size: checked once, holds */
		err_quit("refused: %jd bytes is more than the 1 GiB this lab takes", (intmax_t)size);
	open_output(&out, output);
	if (size > 0) {
		const char *p = Mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
		for (off_t done = 0; done < size;) {
			ssize_t n = write(out.fd, p + done, (size_t)(size - done));
			if (n == -1)
				err_sys("write %s", output);
			done += n;
		}
		Munmap((void *)p, (size_t)size);
	}
	Close(fd); /* with the last descriptor and mapping, the memory is gone */
	commit_output(&out, 0666);
	fprintf(report, "get: wrote %jd bytes to %s\n", (intmax_t)size, output);
}

/* One attempt at changing the object: refused with EPERM means a seal held. */
static bool refused(const char *what, int failed)
{
	if (failed && errno == EPERM)
		printf("attack: %s: refused: the object is sealed (EPERM)\n", what);
	else if (failed)
		printf("attack: %s: failed: %s\n", what, strerror(errno));
	else
		printf("attack: %s: it worked: the object was not sealed against it\n", what);
	return failed && errno == EPERM;
}

/* What a receiver that wished the sender harm would try, and what a sender
 * that did the same would do to a reader (lab 11: SIGBUS). */
static void attack(long timeout)
{
	int seals, n = 0;
	off_t size;
	int fd = receive("attack", timeout, &seals, &size);
	printf("attack: F_GET_SEALS: %s\n", seal_names(seals));

	n += refused("write 1 byte at offset 0", pwrite(fd, "X", 1, 0) == -1);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	n += refused("mmap PROT_READ|PROT_WRITE, MAP_SHARED", p == MAP_FAILED);
	if (p != MAP_FAILED)
		Munmap(p, 4096);
	n += refused("ftruncate to grow it by 4096 bytes", ftruncate(fd, size + 4096) == -1);
	n += refused("ftruncate to 0 bytes, under its readers' feet", ftruncate(fd, 0) == -1);
	Close(fd);
	printf("result: %d of 4 attacks refused\n", n);
}

enum { SERVE, GET, ATTACK, WHERE };

static long timeout = -1; /* -t SECONDS: how long to wait for the other side */
static long count = 1;    /* -c COUNT: receivers to serve before stopping */
static int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL; /* -s SEALS */
static const char *name = "memfd"; /* -n NAME */

static void option(int letter, const char *value)
{
	switch (letter) {
	case 't': timeout = parse_count(value, "SECONDS", 1, 3600); break;
	case 'c': count = parse_count(value, "COUNT", 1, 1000); break;
	case 's': seals = parse_seals(value); break;
	case 'n': name = value; break;
	}
}

int main(int argc, char **argv)
{
	static const struct subcommand cmds[] = {
		[SERVE] = {"serve", "n:c:s:t:", "FILE"},
		[GET] = {"get", "n:t:", "OUTPUT"},
		[ATTACK] = {"attack", "n:t:", ""},
		[WHERE] = {"where", "n:", ""},
		{NULL, NULL, NULL},
	};
	char *arg[1];

	prog_init(argv, "serve [-n NAME] [-c COUNT] [-s SEALS] [-t SECONDS] FILE |\n"
			"       get [-n NAME] [-t SECONDS] OUTPUT | attack [-n NAME] [-t SECONDS] |"
			" where [-n NAME]");
	int cmd = subcommand(argc, argv, cmds, option, arg);
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, even when stopped by a signal */
	report = stdout;
	socket_path(name);

	switch (cmd) {
	case SERVE: serve(arg[0], count, seals, timeout > 0 ? timeout : 60); break;
	case GET: get(arg[0], timeout > 0 ? timeout : 10); break;
	case ATTACK: attack(timeout > 0 ? timeout : 10); break;
	case WHERE: printf("%s\n", addr.sun_path); break;
	}
	return 0;
}
