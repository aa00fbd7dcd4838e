/* copyfile.c - what the file copiers (09, 10, 11) share that is not IPC:
 * their options, INPUT and OUTPUT, a progress line, and the copy subcommand
 * that forks a server and a client. The shared memory, the semaphores and
 * the protocol are in each lab's own file. */
#include "internal.h"

#define RING_MAX (1024L * 1024 * 1024) /* chunk x slots: at most 1 GiB of shared memory */

/* server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT
 * client [-n NAME] [-t SECONDS] OUTPUT
 * copy [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT OUTPUT
 * -s only where slots_max > 1. copy uses a name of its own. */
void parse_copy_args(int argc, char **argv, struct copy_opts *o, long chunk, long slots,
		     long slots_max)
{
	static char private_label[32];
	const char *opts;
	int npaths, c;

	*o = (struct copy_opts){.chunk = chunk, .slots = slots, .timeout = 10, .label = "copy"};
	if (argc < 2)
		usage_error("missing subcommand: server, client or copy");
	if (strcmp(argv[1], "server") == 0)
		o->role = COPY_SERVER, npaths = 1, opts = slots_max > 1 ? ":n:b:s:t:" : ":n:b:t:";
	else if (strcmp(argv[1], "client") == 0)
		o->role = COPY_CLIENT, npaths = 1, opts = ":n:t:";
	else if (strcmp(argv[1], "copy") == 0)
		o->role = COPY_BOTH, npaths = 2, opts = slots_max > 1 ? ":b:s:t:" : ":b:t:";
	else
		usage_error("unknown subcommand '%s' (want server, client or copy)", argv[1]);
	opterr = 0; /* we say what is wrong ourselves */
	while ((c = getopt(argc - 1, argv + 1, opts)) != -1) {
		switch (c) {
		case 'n': o->label = optarg; break;
		case 'b': o->chunk = parse_count(optarg, "BYTES", 1, COPY_CHUNK_MAX); break;
		case 's': o->slots = parse_count(optarg, "SLOTS", 1, slots_max); break;
		case 't': o->timeout = parse_count(optarg, "SECONDS", 1, 3600); break;
		case ':': usage_error("option -%c needs a value", optopt);
		default:
			if (optopt == '-') /* "--fast": getopt stopped at its second '-', not past it */
				usage_error("unknown option '%s' for %s", argv[1 + optind], argv[1]);
			usage_error("unknown option '-%c' for %s", optopt, argv[1]);
		}
	}
	char **paths = argv + 1 + optind;
	int n = argc - 1 - optind;
	if (n < npaths)
		usage_error("missing %s", o->role == COPY_CLIENT ? "OUTPUT" : n == 0 ? "INPUT" : "OUTPUT");
	if (n > npaths)
		usage_error("unexpected argument '%s'", paths[npaths]);
	o->input = o->role == COPY_CLIENT ? NULL : paths[0];
	o->output = o->role == COPY_SERVER ? NULL : paths[npaths - 1];
	if ((long long)o->chunk * o->slots > RING_MAX)
		usage_error("%ld slots of %ld bytes is more than 1 GiB of shared memory", o->slots, o->chunk);
	if (o->role == COPY_BOTH) { /* a name of its own that nobody can guess and take first */
		unsigned char r[8];
		int fd = Open("/dev/urandom", O_RDONLY, 0);
		if (read(fd, r, sizeof r) != (ssize_t)sizeof r)
			err_sys("read /dev/urandom");
		Close(fd);
		snprintf(private_label, sizeof private_label, "copy-%02x%02x%02x%02x%02x%02x%02x%02x",
			 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
		o->label = private_label;
	}
	ipc_name(o->name, sizeof o->name, o->label);
}

/* COPY_SERVER or COPY_CLIENT as messages say it: the one place that names them. */
const char *copy_role_name(int role)
{
	static const char *const name[2] = {"server", "client"};
	return name[role];
}

/* From here on, messages say which side speaks: "09-shm-copy client: ...". */
void copy_role(int role)
{
	static char name[128];

	snprintf(name, sizeof name, "%s %s", prog_name(), copy_role_name(role));
	prog_rename(name);
}

void open_input(struct copy_file *f, const char *path)
{
	struct stat st;

	*f = (struct copy_file){.path = path};
	f->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : Open(path, O_RDONLY, 0);
	Fstat(f->fd, &st);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		err_sys("read %s", path);
	}
	f->size = S_ISREG(st.st_mode) ? st.st_size : -1;
	f->mode = S_ISREG(st.st_mode) ? st.st_mode & 0777 : 0666; /* what cp gives OUTPUT */
}

/* A regular OUTPUT is written under a temp name in its own directory and
 * renamed at the end (rename is atomic within a directory), so OUTPUT is never
 * seen half written. "-", devices and FIFOs are written as they are. */
void open_output(struct copy_file *f, const char *path)
{
	struct stat st;

	*f = (struct copy_file){.path = path, .size = -1};
	signal(SIGPIPE, SIG_IGN); /* a reader that goes away: EPIPE, reported, not a silent death */
	if (strcmp(path, "-") == 0) {
		f->fd = STDOUT_FILENO;
		return;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			err_sys("write %s", path);
		}
		f->fd = Open(path, O_WRONLY, 0);
		/* checked on what we opened, not on the name: a FIFO in /tmp that
		 * another user put there would read the whole copy */
		Fstat(f->fd, &st);
		if (S_ISFIFO(st.st_mode) && st.st_uid != geteuid())
			err_quit("%s is a FIFO of uid %ld, not yours: not written (someone may have put it there to read the copy)",
				 path, (long)st.st_uid);
		return;
	}
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) + 1 : 0;
	int n = snprintf(f->tmp, sizeof f->tmp, "%.*sshmlab-copy.XXXXXX", dirlen, path);
	if (n < 0 || (size_t)n >= sizeof f->tmp)
		err_quit("OUTPUT '%s' is too long", path);
	hold_signals(true); /* made and registered, or neither */
	f->fd = mkstemp(f->tmp);
	if (f->fd == -1)
		err_sys("create a temp file beside %s", path);
	at_exit_unlink(f->tmp);
	hold_signals(false);
}

/* All of OUTPUT is written: the temp file (0600 until now) gets INPUT's
 * permission bits less the umask, as cp gives them, and becomes OUTPUT. The
 * rename is the last step that can fail, so OUTPUT is never replaced by a
 * copy that then fails. */
void commit_output(struct copy_file *f, mode_t mode)
{
	if (f->tmp[0] != '\0') {
		mode_t mask = umask(0);
		umask(mask);
		if (fchmod(f->fd, mode & 0777 & ~mask) == -1)
			err_sys("chmod %s", f->tmp);
	}
	if (f->fd != STDOUT_FILENO && close(f->fd) == -1) /* NFS may report a write error only here */
		err_sys("close %s", f->path);
	if (f->tmp[0] != '\0') {
		if (rename(f->tmp, f->path) == -1)
			err_sys("rename %s to %s", f->tmp, f->path);
		at_exit_forget(f->tmp);
	}
}

/* "123.4 MB of 500.0 MB (24%), 812.3 MB/s", four times a second and once more
 * at 100%, only on a terminal and only when INPUT's size is known; bytes < 0
 * erases it. The server erases it before it posts the end-of-file chunk, so
 * that no summary line is ever printed after it on the same line. */
void progress(const struct copy_file *in, long long bytes)
{
	static struct timespec start;
	static long shown = -1000;

	if (in->size <= 0 || !isatty(STDERR_FILENO))
		return;
	if (start.tv_sec == 0)
		clock_gettime(CLOCK_MONOTONIC, &start);
	long ms = ms_since(&start);
	if (bytes < 0) {
		fprintf(stderr, "\r%*s\r", 70, "");
	} else if (ms - shown >= 250 || bytes == in->size) {
		shown = ms;
		fprintf(stderr, "\r%.1f MB of %.1f MB (%d%%), %.1f MB/s  ", bytes / 1e6,
			(double)in->size / 1e6, (int)(bytes * 100 / in->size),
			ms > 0 ? bytes / 1e3 / (double)ms : 0.0);
	}
}

/* The copy subcommand: fork a server and a client on a private name and wait
 * for both. OUTPUT is made here first, so it is this process that removes the
 * temp file if the client dies. We wait for whichever child ends first: if it
 * failed, the other is stopped with SIGTERM (its handler cleans up, silently)
 * and seen to end, so that nothing of the copy is left when we exit 1 with one
 * line for both: which side failed, and that the other was stopped. We never
 * sit in waitpid on one child while the other may end: the first to end is
 * looked at at once, so a dead side is noticed here, not by its peer's
 * watch of its pid (pid_gone) a tick later. */
void copy_both(const struct copy_opts *o, void (*server)(const struct copy_opts *),
	       void (*client)(const struct copy_opts *, struct copy_file *))
{
	struct copy_file out;
	pid_t child[2];
	siginfo_t si, other;

	open_output(&out, o->output);
	child[COPY_SERVER] = Fork();
	if (child[COPY_SERVER] == 0) {
		server(o);
		exit(0);
	}
	child[COPY_CLIENT] = Fork();
	if (child[COPY_CLIENT] == 0) {
		client(o, &out);
		exit(0);
	}
	if (out.fd != STDOUT_FILENO)
		Close(out.fd);
	for (int left = 2; left > 0; left--) {
		/* which one ended? (WNOWAIT: leave it for wait_child to reap) */
		while (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == -1)
			if (errno != EINTR)
				err_sys("waitid");
		if (left == 2 && (si.si_code != CLD_EXITED || si.si_status != 0)) {
			int failed = si.si_pid == child[COPY_SERVER] ? COPY_SERVER : COPY_CLIENT;
			pid_t pid = child[!failed];
			kill(pid, SIGTERM); /* its handler cleans up, but says nothing: we say it */
			while (waitid(P_PID, (id_t)pid, &other, WEXITED | WNOWAIT) == -1)
				if (errno != EINTR)
					err_sys("waitid");
			if (si.si_code == CLD_EXITED)
				err_quit("the %s failed (exit %d), so the %s was stopped",
					 copy_role_name(failed), si.si_status, copy_role_name(!failed));
			err_quit("the %s was killed by signal %d (%s), so the %s was stopped",
				 copy_role_name(failed), si.si_status, strsignal(si.si_status),
				 copy_role_name(!failed));
		}
		wait_child(si.si_pid);
	}
	if (out.tmp[0] != '\0')
		at_exit_forget(out.tmp); /* the client renamed it to OUTPUT */
}
