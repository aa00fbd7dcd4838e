/* counter.c - what the counter labs (01-05, 14) share: their options, the
 * per-step line, an optional trace of every load, and the result line.
 *
 * The trace (-v) lives in its own anonymous shared mapping made before fork(),
 * so both processes write into it and the parent prints it; the labs' own
 * shared memory is left as the lesson shows it. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS: not in POSIX.1-2008 */
#include "unpipc.h"

#include <sched.h>

#define NLOOP_MAX 1000000000L /* the counter must not overflow, with room to spare */
#define TRACE_MAX 1000        /* -v: loads recorded per process */

struct load {
	long ns;    /* CLOCK_MONOTONIC, nanoseconds */
	long value; /* what this load saw; the store that follows writes value+1 */
};
struct trace {
	struct load lane[2][TRACE_MAX]; /* [0] parent, [1] child: each writes its own lane */
	long n[2];
};

static struct trace *trace; /* NULL unless -v */
static const char *who_name[2] = {"parent", "child"};

void parse_counter_args(int argc, char **argv, const char *extra, struct counter_opts *o)
{
	const char *nloop = NULL;
	bool options_done = false;

	*o = (struct counter_opts){0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (nloop != NULL)
				usage_error("unexpected argument '%s'", a);
			nloop = a;
		} else if (strcmp(a, "--") == 0) {
			options_done = true;
		} else if (strcmp(a, "--dev-zero") == 0 && strchr(extra, 'z')) {
			o->dev_zero = true;
		} else if (strcmp(a, "-f") == 0 && strchr(extra, 'f')) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0')
				usage_error("option -f needs a file path");
			o->path = argv[++i];
		} else if (a[1] != '-' && strspn(a + 1, "qyv") == strlen(a + 1) &&
			   (strchr(a, 'v') == NULL || strchr(extra, 'v'))) {
			/* one or more single-letter flags, e.g. -q, -qy */
			o->quiet |= strchr(a, 'q') != NULL;
			o->yield |= strchr(a, 'y') != NULL;
			o->verbose |= strchr(a, 'v') != NULL;
		} else {
			usage_error("unknown option '%s'", a);
		}
	}
	if (nloop == NULL)
		usage_error("missing NLOOP");
	if (o->verbose)
		o->nloop = parse_count(nloop, "NLOOP (with -v)", 1, TRACE_MAX);
	else
		o->nloop = parse_count(nloop, "NLOOP", 1, NLOOP_MAX);
	setvbuf(stdout, NULL, _IONBF, 0); /* whole lines, in the order they happen */
	if (o->verbose) {
		trace = Mmap(NULL, sizeof *trace, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		o->quiet = true; /* the trace, printed at the end, replaces the step lines */
	}
}

/* Called between the load of the counter and the store of value+1. */
void counter_step(const struct counter_opts *o, int me, long value)
{
	if (!o->quiet)
		printf("%s: %ld\n", who_name[me], value);
	if (trace != NULL && trace->n[me] < TRACE_MAX) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		trace->lane[me][trace->n[me]++] =
			(struct load){(long)ts.tv_sec * 1000000000L + ts.tv_nsec, value};
	}
	if (o->yield)
		sched_yield();
}

/* Both lanes merged in time order. A value loaded by both processes was
 * stored back as value+1 twice: one of those two increments is lost. The
 * second of the two loads is marked. */
static void print_trace(void)
{
	long i[2] = {0, 0}, lost = 0;
	long t0 = trace->n[1] == 0 || (trace->n[0] > 0 && trace->lane[0][0].ns < trace->lane[1][0].ns)
			  ? trace->lane[0][0].ns : trace->lane[1][0].ns;

	printf("trace: %9s  %-6s  %s\n", "ns", "who", "load -> store");
	while (i[0] < trace->n[0] || i[1] < trace->n[1]) {
		int me = i[1] >= trace->n[1] ||
			 (i[0] < trace->n[0] && trace->lane[0][i[0]].ns <= trace->lane[1][i[1]].ns) ? 0 : 1;
		int other = 1 - me;
		const struct load *l = &trace->lane[me][i[me]++];
		bool second = false;
		for (long k = 0; k < i[other]; k++) /* the other's loads so far: all earlier */
			second |= trace->lane[other][k].value == l->value;
		printf("trace: %9ld  %-6s  %ld -> %ld", l->ns - t0, who_name[me], l->value, l->value + 1);
		if (second)
			printf("   <- LOST: %s loaded %ld too", who_name[other], l->value);
		printf("\n");
		lost += second;
	}
	printf("trace: %ld increments stored a value that was already stored\n", lost);
}

void print_result(const struct counter_opts *o, long counter)
{
	long expected = 2 * o->nloop;
	if (trace != NULL)
		print_trace();
	printf("result: counter=%ld expected=%ld lost=%ld\n", counter, expected, expected - counter);
}
