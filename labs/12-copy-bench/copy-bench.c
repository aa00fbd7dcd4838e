/*
 * 12-copy-bench - is shared memory really the fastest way to copy a file?
 *
 * The same input is copied four ways, each output checked byte for byte:
 *   rw    one process: read() into a buffer, write() out of it    2 copies
 *   pipe  two processes: file -> pipe -> file                      4 copies
 *   shm1  lab 09: file -> one shared buffer -> file                2 copies
 *   ring  lab 10: the same through a ring of SLOTS buffers         2 copies
 * Each copier is a real program (rw and pipe are subcommands of this one),
 * run with fork + exec and reaped with wait4(), whose rusage covers the whole
 * process tree: CPU time, peak RSS, voluntary and involuntary context switches.
 *
 * Calls: fork, execv, wait4 (struct rusage), clock_gettime; statvfs, uname.
 * Knobs: -b chunk size and -s ring slots (the same chunk for every method),
 *        -r timed runs after one warm-up, -n MiB of generated input (or FILE),
 *        -d where input and outputs go (default: a tmpfs), -m METHODS,
 *        --with METHOD=PROGRAM to time another copier, --sweep, --latency,
 *        --csv, --svg FILE.
 *
 *   $ bin/12-copy-bench -n 256
 *   ## 12-copy-bench: copy one file four ways
 *   - machine: 2 cores (Intel(R) Xeon(R) Processor), Linux 6.18.44-fc-v595 x86_64
 *   ...
 *   | method | copies | wall ms |   MB/s | CPU ms | peak RSS  | vol cs | invol cs | x pipe |  x rw | output   |
 *   |--------|-------:|--------:|-------:|-------:|----------:|-------:|---------:|-------:|------:|----------|
 *   | rw     |      2 |   120.9 |   2220 |  120.7 |   2.1 MiB |      1 |        3 |   0.32 |  1.00 | verified |
 *   | pipe   |      4 |   377.2 |    712 |  586.1 |   2.3 MiB |   4582 |        3 |   1.00 |  3.12 | verified |
 *   | shm1   |      2 |   145.9 |   1840 |  139.9 |   2.2 MiB |    520 |        1 |   0.39 |  1.21 | verified |
 *   | ring   |      2 |    92.0 |   2917 |  144.1 |   5.1 MiB |    256 |        5 |   0.24 |  0.76 | verified |
 */
#include "bench.h"

#include <sys/statvfs.h>

#define USAGE "[-b BYTES] [-s SLOTS] [-r RUNS] [-n MIB] [-d DIR] [-m METHODS] " \
	"[--with METHOD=PROGRAM] [--sweep | --latency] [--csv] [--svg FILE] [FILE]\n" \
	"       12-copy-bench rw|pipe [-b BYTES] INPUT OUTPUT"

static enum method method_named(const char *name)
{
	for (int m = 0; m < NMETHODS; m++)
		if (strcmp(name, methods[m].name) == 0)
			return (enum method)m;
	usage_error("unknown method '%s' (rw, pipe, shm1, ring)", name);
}

static const char *value(int argc, char **argv, int *i, const char *what)
{
	if (*i + 1 >= argc || argv[*i + 1][0] == '\0')
		usage_error("option %s needs %s", argv[*i], what);
	return argv[++*i];
}

static void parse_options(int argc, char **argv, struct options *o)
{
	bool picked = false, sized = false, done = false;
	char list[64];

	*o = (struct options){.chunk = DEFAULT_CHUNK, .slots = DEFAULT_SLOTS, .runs = 5, .mib = 256};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (done || a[0] != '-' || a[1] == '\0') {
			if (o->file != NULL)
				usage_error("unexpected argument '%s'", a);
			o->file = a;
		} else if (strcmp(a, "--") == 0) {
			done = true;
		} else if (strcmp(a, "--sweep") == 0) {
			o->sweep = true;
		} else if (strcmp(a, "--latency") == 0) {
			o->latency = true;
		} else if (strcmp(a, "--csv") == 0) {
			o->csv = true;
		} else if (strcmp(a, "--svg") == 0) {
			o->svg = value(argc, argv, &i, "a file name");
		} else if (strcmp(a, "--with") == 0) {
			const char *v = value(argc, argv, &i, "METHOD=PROGRAM");
			size_t len = strcspn(v, "=");
			if (v[len] != '=' || v[len + 1] == '\0' || len >= sizeof list)
				usage_error("--with wants METHOD=PROGRAM, not '%s'", v);
			snprintf(list, sizeof list, "%.*s", (int)len, v);
			o->prog[method_named(list)] = v + len + 1;
		} else if (strcmp(a, "-b") == 0) {
			o->chunk = parse_count(value(argc, argv, &i, "a number of bytes"), "BYTES", 1, CHUNK_MAX);
			sized = true;
		} else if (strcmp(a, "-s") == 0) {
			o->slots = parse_count(value(argc, argv, &i, "a number of slots"), "SLOTS", 1, 1024);
			sized = true;
		} else if (strcmp(a, "-r") == 0) {
			o->runs = parse_count(value(argc, argv, &i, "a number of runs"), "RUNS", 1, RUNS_MAX);
		} else if (strcmp(a, "-n") == 0) {
			o->mib = parse_count(value(argc, argv, &i, "a size in MiB"), "MIB", 1, 1L << 20);
		} else if (strcmp(a, "-d") == 0) {
			o->dir = value(argc, argv, &i, "a directory");
		} else if (strcmp(a, "-m") == 0) {
			snprintf(list, sizeof list, "%s", value(argc, argv, &i, "a list such as rw,pipe"));
			for (char *m = strtok(list, ","); m != NULL; m = strtok(NULL, ","))
				o->use[method_named(m)] = true;
			picked = true;
		} else {
			usage_error("unknown option '%s'", a);
		}
	}
	if (o->sweep && o->latency)
		usage_error("--sweep and --latency are separate runs: choose one");
	if (o->sweep && (picked || sized || o->svg != NULL))
		usage_error("--sweep runs every method at every chunk size and slot count: "
			    "drop -m, -b, -s and --svg");
	if (o->latency && o->file != NULL)
		usage_error("--latency copies no file: drop '%s'", o->file);
	for (int m = 0; m < NMETHODS && !picked; m++)
		o->use[m] = true;
}

/* Input and outputs go to -d DIR; by default to $TMPDIR if that is a tmpfs
 * (memory: no disk in the times), else to /dev/shm if it is one. /dev/shm is
 * where POSIX shared memory objects live, so it is second choice. */
static void choose_dir(struct options *o, char *note, size_t len)
{
	char fs[64], shm_fs[64];
	const char *tmp = getenv("TMPDIR");
	bool second = false;

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (o->dir == NULL) {
		o->dir = tmp;
		second = strcmp(fs_type(tmp, fs, sizeof fs), "tmpfs") != 0 &&
			 strcmp(fs_type("/dev/shm", shm_fs, sizeof shm_fs), "tmpfs") == 0 &&
			 access("/dev/shm", W_OK) == 0;
		if (second)
			o->dir = "/dev/shm";
	}
	fs_type(o->dir, fs, sizeof fs);
	if (second)
		snprintf(note, len, "%s (%s), as %s is not a tmpfs", o->dir, fs, tmp);
	else if (strcmp(fs, "tmpfs") != 0)
		snprintf(note, len, "%s (%s: not a tmpfs, so the times include the file system)", o->dir, fs);
	else
		snprintf(note, len, "%s (%s)", o->dir, fs);
}

/* FILE, or o->mib MiB of pseudo-random bytes (xorshift64*) in a temp file.
 * Checks there is room for the input and one output. */
static off_t make_input(const struct options *o, char *path, size_t len)
{
	static uint64_t buf[8192];
	uint64_t x = 0x9E3779B97F4A7C15u;
	struct statvfs vfs;
	struct stat st;
	off_t size;

	if (o->file != NULL) {
		if (stat(o->file, &st) == -1)
			err_sys("%s", o->file);
		if (!S_ISREG(st.st_mode))
			err_quit("%s: not a regular file", o->file);
		snprintf(path, len, "%s", o->file);
		size = st.st_size;
	} else {
		size = (off_t)o->mib * MIB;
	}
	if (statvfs(o->dir, &vfs) == -1)
		err_sys("statvfs %s", o->dir);
	double need = (double)size * (o->file != NULL ? 1 : 2) + 16 * MIB;
	if ((double)vfs.f_bavail * (double)vfs.f_frsize < need) {
		char have[32], want[32];
		size_text(have, sizeof have, (double)vfs.f_bavail * (double)vfs.f_frsize);
		size_text(want, sizeof want, need);
		err_quit("%s has %s free, the benchmark needs %s: use a smaller -n or another -d",
			 o->dir, have, want);
	}
	if (o->file != NULL)
		return size;

	int fd = make_temp_file(o->dir, "bench-input", path, len);
	for (off_t done = 0; done < size; done += (off_t)sizeof buf) {
		for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[i] = x * 0x2545F4914F6CDD1Du;
		}
		size_t n = size - done < (off_t)sizeof buf ? (size_t)(size - done) : sizeof buf;
		if (write(fd, buf, n) != (ssize_t)n)
			err_sys("write %s", path);
	}
	Close(fd);
	return size;
}

/* Every method at chunk sizes 4 KiB .. 4 MiB; the ring also at 1 .. 16 slots. */
static bool sweep(const struct options *o, const char *input, off_t size)
{
	static const long slots[] = {1, 2, 4, 8, 16};
	enum { NCHUNKS = 11, NSLOTS = sizeof slots / sizeof slots[0], PER = 3 + NSLOTS };
	static struct config c[NCHUNKS * PER];
	long chunks[NCHUNKS];

	for (size_t k = 0; k < NCHUNKS; k++) {
		struct config *row = &c[k * PER];
		chunks[k] = (4 * KIB) << k;
		row[0] = (struct config){.m = RW, .chunk = chunks[k], .slots = 1};
		row[1] = (struct config){.m = PIPE, .chunk = chunks[k], .slots = 1};
		row[2] = (struct config){.m = SHM1, .chunk = chunks[k], .slots = 1};
		for (size_t s = 0; s < NSLOTS; s++)
			row[3 + s] = (struct config){.m = RING, .chunk = chunks[k], .slots = slots[s]};
	}
	bool ok = measure(o, c, NCHUNKS * PER, input, size);
	print_sweep(o, c, NCHUNKS * PER, size, chunks, NCHUNKS, slots, NSLOTS);
	say_failures(c, NCHUNKS * PER);
	return ok;
}

/* The comparison: each chosen method once, at the same chunk size. */
static bool compare(const struct options *o, const char *input, off_t size)
{
	struct config c[NMETHODS];
	size_t n = 0;

	for (int m = 0; m < NMETHODS; m++)
		if (o->use[m])
			c[n++] = (struct config){.m = (enum method)m, .chunk = o->chunk,
						 .slots = m == RING ? o->slots : 1};
	bool ok = measure(o, c, n, input, size);
	print_results(o, c, n, size);
	say_failures(c, n);
	return ok;
}

/* The header's lines about the input, the files and the runs. */
static void describe(const struct options *o, off_t size, const char *where, char *buf, size_t len)
{
	char sz[32], ch[32], fs[64], in[PATH_MAX + 80] = " of pseudo-random bytes";

	size_text(sz, sizeof sz, (double)size);
	size_text(ch, sizeof ch, (double)o->chunk);
	if (o->file != NULL)
		snprintf(in, sizeof in, " in %s (%s)", o->file, fs_type(o->file, fs, sizeof fs));
	int n = snprintf(buf, len, "- input: %s%s\n- %s: %s\n", sz, in,
			 o->file ? "outputs" : "files", where);
	if (n > 0 && (size_t)n < len && !o->sweep)
		n += snprintf(buf + n, len - (size_t)n, "- every method: chunk %s; ring: %ld slots;", ch, o->slots);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%smedian of %ld runs after 1 warm-up\n",
			 o->sweep ? "- " : " ", o->runs);
}

int main(int argc, char **argv)
{
	struct options o;
	char input[PATH_MAX], where[PATH_MAX + 100], detail[3 * PATH_MAX];
	bool ok;

	prog_init(argv, USAGE);
	if (argc > 1 && strcmp(argv[1], "rw") == 0)
		return rw_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "pipe") == 0)
		return pipe_main(argc - 1, argv + 1);
	parse_options(argc, argv, &o);
	find_programs(&o, argv[0]);

	if (o.latency) {
		snprintf(detail, sizeof detail, "- %ld x 10000 round trips per method after 1000 untimed\n", o.runs);
		print_header(&o, "one byte there and back between two processes", detail);
		ok = latency_test(&o);
	} else {
		choose_dir(&o, where, sizeof where);            /* a tmpfs if there is one */
		off_t size = make_input(&o, input, sizeof input); /* FILE, or -n MiB made up */
		describe(&o, size, where, detail, sizeof detail);
		print_header(&o, o.sweep ? "chunk size and ring slots" : "copy one file four ways", detail);
		ok = o.sweep ? sweep(&o, input, size) : compare(&o, input, size);
	}
	print_footer(&o);
	return ok ? 0 : 1;
}
