/*
 * 06-mmap-file - a file used without read, write or lseek: loads and stores.
 *
 * Once a regular file is mapped, its bytes are memory. A store through a
 * MAP_SHARED mapping lands in the file's page cache, where any other process
 * reading the file with plain read() sees it at once: no write(), no msync().
 * The same store through MAP_PRIVATE goes to a private copy of the page and
 * never reaches the file. And the mapping works in whole pages: the bytes past
 * end-of-file in the last page read as zero, while a page wholly past
 * end-of-file has nothing behind it, so touching it raises SIGBUS.
 *
 * Calls: mmap (MAP_SHARED, MAP_PRIVATE), fstat, sysconf(_SC_PAGESIZE),
 *        sigaction + sigsetjmp/siglongjmp (SIGBUS caught as a lesson).
 *
 * FILE is modified only by `shared FILE TEXT`; without FILE a private temp
 * file is used. -w SECONDS keeps the mapping that long (cat FILE meanwhile).
 *
 *   $ echo 'hello, mapped file' > notes.txt
 *   $ bin/06-mmap-file shared notes.txt HOWDY
 *   notes.txt: 19 bytes, mapped MAP_SHARED
 *   stored "HOWDY" at offset 0 through the mapping: no write() call
 *   the mapping holds:    "HOWDY, mapped file\n"
 *   reader 28542 read():  "HOWDY, mapped file\n"
 */
#include "unpipc.h"

#include <setjmp.h>

#define SHOW_MAX 64 /* bytes of the file shown */

static const char demo_text[] = "hello, mapped file\n";

/* Open a file the user named, which must be a regular file with something in
 * it. O_NONBLOCK: a FIFO named by mistake must fail below, not block here. */
static int open_file(const char *path, int oflag, struct stat *st)
{
	int fd = Open(path, oflag | O_NONBLOCK, 0);
	Fstat(fd, st);
	if (!S_ISREG(st->st_mode))
		err_quit("%s is not a regular file", path);
	if (st->st_size == 0)
		err_quit("%s is empty: no byte to map (a mapping of its 0 bytes fails with EINVAL, "
			 "and every page of a longer one is past end-of-file); put something in it first",
			 path);
	if ((uintmax_t)st->st_size > SIZE_MAX / 2)
		err_quit("%s is too big to map here", path);
	return fd;
}

/* A private temp file holding `text` (written the ordinary way, as setup). */
static int open_temp(const char *text, size_t len, struct stat *st)
{
	int fd = make_temp_file(NULL, "mmap", NULL, 0);
	if (write(fd, text, len) != (ssize_t)len)
		err_sys("write temp file");
	Fstat(fd, st);
	return fd;
}

/* Print up to SHOW_MAX bytes as a C string literal. */
static void show(const char *label, const unsigned char *p, size_t n)
{
	printf("%-21s \"", label);
	for (size_t i = 0; i < n && i < SHOW_MAX; i++) {
		if (p[i] == '\n')
			printf("\\n");
		else if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	printf(n > SHOW_MAX ? "\"...\n" : "\"\n");
}

/* shared|private: store TEXT at offset 0 through the mapping, then let
 * another process read() the file. */
static void store(int flags, const char *path, const char *text, long hold)
{
	struct stat st;
	size_t len = strlen(text);
	if (len == 0)
		usage_error("%s: TEXT is empty", flags == MAP_SHARED ? "shared" : "private");
	/* MAP_PRIVATE needs only read access: its stores never reach the file */
	int fd = path ? open_file(path, flags == MAP_SHARED ? O_RDWR : O_RDONLY, &st)
		      : open_temp(demo_text, strlen(demo_text), &st);
	const char *label = path ? path : "a private temp file";
	size_t size = (size_t)st.st_size;

	if (len > size)
		err_quit("TEXT has %zu bytes but %s has only %zu: stores through a mapping "
			 "cannot make a file longer", len, label, size);
	unsigned char *p = Mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	/* A page with no file behind it raises SIGBUS: the file was truncated
	 * after fstat, or (MAP_SHARED) a store found its file system full */
	static char bus[PATH_MAX + 100];
	snprintf(bus, sizeof bus, "%s was truncated while mapped (by another process?), "
		 "or its file system is full", label);
	sigbus_means(bus);
	printf("%s: %zu bytes, mapped %s\n", label, size,
	       flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE");

	memcpy(p, text, len); /* plain stores: this is the whole "write" */
	printf("stored \"%s\" at offset 0 through the mapping: no write() call\n", text);
	show("the mapping holds:", p, size);

	pid_t pid = Fork();
	if (pid == 0) { /* another process reads the file the ordinary way */
		unsigned char buf[SHOW_MAX];
		ssize_t n = pread(fd, buf, sizeof buf, 0);
		if (n == -1)
			err_sys("pread");
		char label2[32];
		snprintf(label2, sizeof label2, "reader %ld read():", (long)getpid());
		show(label2, buf, (size_t)n < sizeof buf ? (size_t)n : size); /* shows <= SHOW_MAX */
		exit(0);
	}
	wait_child(pid);

	if (hold > 0) {
		printf("keeping the mapping for %ld s\n", hold);
		fflush(stdout);
		sleep((unsigned)hold);
	}
	Munmap(p, size);
	Close(fd);
}

/* eof: map one page more than the file covers, look past end-of-file. */
static sigjmp_buf bus_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jump, 1); /* back into past_eof(), signal mask restored */
}

static void past_eof(const char *path)
{
	char fill[100];
	struct stat st;
	for (size_t i = 0; i < sizeof fill; i++)
		fill[i] = (char)('0' + i % 10);
	int fd = path ? open_file(path, O_RDONLY, &st) : open_temp(fill, sizeof fill, &st);
	const char *label = path ? path : "a private temp file";

	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (size_t)st.st_size;
	size_t end = (size + page - 1) / page * page; /* end of the file's last page */
	size_t len = end + page;                      /* plus one page past it */
	const volatile unsigned char *p = Mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	printf("%s: %zu bytes; page size %zu\n", label, size, page);
	printf("mapped %zu bytes (%zu pages): mmap does not check the file size\n", len, len / page);

	printf("offsets 0..%zu: the file's bytes\n", size - 1);
	if (end == size) {
		printf("offsets %zu..: none: the file ends on a page boundary\n", size);
	} else {
		size_t zero = 0;
		for (size_t i = size; i < end; i++)
			zero += p[i] == 0;
		printf("offsets %zu..%zu: past end-of-file, in its last page: %zu of %zu read as 0\n",
		       size, end - 1, zero, end - size);
	}

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jump, 1) == 0) {
		unsigned char c = p[end]; /* the first byte of a page with no file behind it */
		printf("offset %zu: read 0x%02x, no SIGBUS (this system does not check)\n", end, c);
	} else {
		printf("offset %zu: SIGBUS (caught): a whole page past end-of-file\n", end);
		printf("  touched offset %zu; file size %zu; page size %zu: "
		       "page %zu has no file behind it\n", end, size, page, end / page);
	}
	sigaction(SIGBUS, &old, NULL);

	Munmap((void *)p, len);
	Close(fd);
}

enum { SHARED, PRIVATE, PAST_EOF };

static long hold; /* -w SECONDS: how long shared and private keep the mapping */

static void option(int letter, const char *value)
{
	(void)letter; /* -w is the only one */
	hold = parse_count(value, "SECONDS", 0, 3600);
}

int main(int argc, char **argv)
{
	static const struct subcommand cmds[] = {
		[SHARED] = {"shared", "w:", "[FILE] TEXT"},
		[PRIVATE] = {"private", "w:", "[FILE] TEXT"},
		[PAST_EOF] = {"eof", "", "[FILE]"},
		{NULL, NULL, NULL},
	};
	char *arg[2];

	prog_init(argv, "shared [-w SECONDS] [FILE] TEXT | private [-w SECONDS] [FILE] TEXT | "
			"eof [FILE]");
	int cmd = subcommand(argc, argv, cmds, option, arg);
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, even when stopped by a signal */

	switch (cmd) {
	case SHARED: store(MAP_SHARED, arg[0], arg[1], hold); break;
	case PRIVATE: store(MAP_PRIVATE, arg[0], arg[1], hold); break;
	case PAST_EOF: past_eof(arg[0]); break;
	}
	return 0;
}
