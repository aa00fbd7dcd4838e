/*
 * 12-copy-bench - every way to copy a file, to answer: is shared memory
 * really the fastest?
 *
 * Each METHOD copies INPUT to OUTPUT as plainly as it can be done, so that
 * the comparison is fair, grouped by how often each byte is copied between
 * the kernel and user space (--methods says where): 4 through the kernel
 * between two processes (pipe fifo unix: copiers.c; mq msg: messages.c), 2
 * through a buffer (rw limit: copiers.c), 1 from a mapping (mmap), 0 by the
 * kernel alone (splice cfr sendfile: fewer.c). Labs 09, 10, 11 and 16 are the
 * two-copy methods on shared memory. bin/bench (labs/tools/bench.c) times
 * them all side by side and checks every copy; a copier that this system
 * cannot run says why and exits 4, and the bench reports it unavailable.
 *
 * Calls: read, write, pipe, mkfifo, socketpair, mq_open, mq_unlink, mq_send,
 *        mq_receive, msgget, msgsnd, msgrcv, msgctl, setitimer, prctl, mmap,
 *        splice, copy_file_range, sendfile, posix_memalign, waitid.
 *
 *   $ head -c 64M /dev/urandom >build/in
 *   $ bin/12-copy-bench splice build/in build/out && cmp build/in build/out
 *   $ bin/bench -r 3 build/in pipe rw mmap splice
 *   method copies    chunk slots  wall_ms     min-max    MB/s  cpu_ms rss_kib vol_cs invol_cs result
 *   pipe        4  1048576     -    62.68  61.1-106.0  1070.7    63.7    2540   1383      536 verified
 *   rw          2  1048576     -    41.66   36.3-64.2  1610.7    41.3    2436      1        2 verified
 *   mmap        1  1048576     -    47.80   44.6-56.5  1403.9    44.7   66924      1        3 verified
 *   splice      0  1048576     -    44.43   36.4-48.3  1510.6    39.8    1444   1030     1024 verified
 * (2 cores at load average 1.8, files on disk: bench-report.sh puts them in a tmpfs)
 */
#include "copiers.h"
#include "../tools/bench-methods.h" /* each method's copies, and where they are made */

#define USAGE "METHOD [-b BYTES] INPUT OUTPUT\n       12-copy-bench --methods"

/* The copiers, by copies as above; bench-methods.h has a row for each. */
static const struct copier {
	const char *name;
	copier *copy;
	bool regular; /* INPUT must be a regular file: its size is used, or the call takes no other */
} copiers[] = {
	{"pipe", copy_pipe, false}, {"fifo", copy_fifo, false}, {"mq", copy_mq, false},
	{"msg", copy_msg, false},   {"unix", copy_unix, false}, /* 4 copies */
	{"rw", copy_rw, false},     {"limit", copy_limit, true}, /* 2 */
	{"mmap", copy_mmap, true},  /* 1 */
	{"splice", copy_splice, false}, {"cfr", copy_cfr, true}, {"sendfile", copy_sendfile, true}, /* 0 */
};
enum { NCOPIERS = sizeof copiers / sizeof copiers[0] };

static const struct copier *copier_of(const char *name)
{
	char list[200] = "";
	for (int i = 0; i < NCOPIERS; i++) {
		if (strcmp(copiers[i].name, name) == 0)
			return &copiers[i];
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", copiers[i].name);
	}
	usage_error("unknown method '%s' (%s)", name, list);
}

/* --methods: this lab's rows of the bench's table. */
static void list_methods(void)
{
	printf("method   copies where\n");
	for (int m = 0; m < NMETHODS; m++)
		if (strcmp(methods[m].program, LAB12) == 0 && copier_of(methods[m].name))
			printf("%-8s %6d %s\n", methods[m].name, methods[m].copies, methods[m].where);
}

/* OUTPUT, empty: a new file, or a regular file of ours, or a device such as
 * /dev/null. Never a FIFO, a socket, a symbolic link or another user's file:
 * in a shared directory (/tmp) anyone may have put one at the name, to read
 * what we write or to have us overwrite a file of their choosing. O_NONBLOCK:
 * a FIFO with no reader fails at once (ENXIO) instead of waiting for one. */
static int open_output_file(const char *out, const char *in, const struct stat *si)
{
	struct stat so;
	int fd = open(out, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, FILE_MODE);

	/* ELOOP (a symlink) or ENXIO (a FIFO with no reader, a socket): say what it is */
	if (fd == -1 && !((errno == ELOOP || errno == ENXIO) && lstat(out, &so) == 0 && !S_ISREG(so.st_mode)))
		err_sys("open %s", out);
	if (fd != -1)
		Fstat(fd, &so);
	if (!S_ISREG(so.st_mode) && !S_ISCHR(so.st_mode))
		err_quit("%s is %s, not a regular file: not written (someone may have put it there to read the copy)",
			 out, S_ISLNK(so.st_mode) ? "a symbolic link" : S_ISFIFO(so.st_mode) ? "a FIFO"
			      : S_ISSOCK(so.st_mode) ? "a socket" : "a device");
	if (so.st_dev == si->st_dev && so.st_ino == si->st_ino)
		err_quit("%s and %s are the same file: copying would empty it", in, out);
	if (S_ISREG(so.st_mode) && so.st_uid != geteuid())
		err_quit("%s belongs to uid %ld, not to you: not written", out, (long)so.st_uid);
	if (S_ISREG(so.st_mode))
		Ftruncate(fd, 0);
	if (fcntl(fd, F_SETFL, 0) == -1) /* from now on, writes block */
		err_sys("fcntl %s", out);
	return fd;
}

int main(int argc, char **argv)
{
	long chunk = CHUNK_DEFAULT;
	struct stat si;
	int c;

	prog_init(argv, USAGE);
	if (argc > 1 && strcmp(argv[1], "--methods") == 0) {
		if (argc > 2)
			usage_error("--methods copies no file: drop '%s'", argv[2]);
		list_methods();
		return 0;
	}
	if (argc < 2)
		usage_error("missing METHOD");
	const struct copier *cp = copier_of(argv[1]);
	argc--, argv++; /* getopt takes the copier's name for the program's */
	opterr = 0;     /* we say what is wrong ourselves */
	while ((c = getopt(argc, argv, ":b:")) != -1) {
		if (c == ':')
			usage_error("option -b needs a number of bytes");
		if (c == '?')
			usage_error("unknown option '-%c'", optopt);
		chunk = parse_count(optarg, "BYTES", 1, COPY_CHUNK_MAX);
	}
	if (argc - optind != 2)
		usage_error("%s needs INPUT and OUTPUT", cp->name);
	struct job j = {.in = argv[optind], .out = argv[optind + 1], .chunk = (size_t)chunk};
	j.buf = page_buffer(j.chunk);
	/* O_NONBLOCK: a FIFO we would refuse is not waited for in open(); on a
	 * regular file it changes nothing */
	j.ifd = Open(j.in, O_RDONLY | (cp->regular ? O_NONBLOCK : 0), 0);
	Fstat(j.ifd, &si);
	if (cp->regular && !S_ISREG(si.st_mode)) /* st_size would be 0: nothing copied, exit 0 */
		err_quit("%s: not a regular file: %s copies only a regular file", j.in, cp->name);
	j.size = si.st_size;
	j.ofd = open_output_file(j.out, j.in, &si);

	cp->copy(&j);
	Close(j.ofd);
	Close(j.ifd);
	free(j.buf);
	return 0;
}
