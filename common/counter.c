/* counter.c - what the counter labs (01-05, 14) share: their options, the
 * per-step line, an optional trace of every load, the result line, and for
 * a lab that asks, whether its two loops overlapped in time.
 *
 * The trace (-v) and the loop times live in anonymous shared mappings of
 * their own, made before fork(), so both processes write into them and the
 * parent prints them; the labs' own shared memory is left as the lesson
 * shows it. */
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

/* Each process's first and last step, CLOCK_MONOTONIC ns: each process
 * writes its own [me]; the parent reads both after wait_child(). */
struct loop_times {
	long first[2], last[2];
};

static struct trace *trace;           /* NULL unless -v */
static struct loop_times *loop_times; /* NULL unless time_the_loops() */
static long steps;                    /* this process's steps so far */
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

void time_the_loops(void)
{
	loop_times = Mmap(NULL, sizeof *loop_times, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Called between the load of the counter and the store of value+1. */
void counter_step(const struct counter_opts *o, int me, long value)
{
	/* the loop's times: as close to its first load and its last store as
	 * this function gets, so that the interval holds every step */
	if (loop_times != NULL && ++steps == 1)
		loop_times->first[me] = now_ns();
	if (!o->quiet)
		printf("%s: %ld\n", who_name[me], value);
	if (trace != NULL && trace->n[me] < TRACE_MAX)
		trace->lane[me][trace->n[me]++] = (struct load){now_ns(), value};
	if (o->yield)
		sched_yield();
	if (loop_times != NULL && steps == o->nloop)
		loop_times->last[me] = now_ns();
	/* a child that died is noticed while the parent counts, not only at the
	 * end of a loop that may take minutes alone on a busy machine */
	static long counted;
	if (me == PARENT && ++counted % 4096 == 0)
		check_children(NULL);
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

/* A lost update needs both loops under way at once: say whether they were,
 * from each one's first step to its last. */
static void print_overlap(void)
{
	const struct loop_times *t = loop_times;
	int a = t->first[CHILD] < t->first[PARENT] ? CHILD : PARENT; /* began first */
	int b = 1 - a;
	long both = (t->last[a] < t->last[b] ? t->last[a] : t->last[b]) - t->first[b];
	long all = (t->last[a] > t->last[b] ? t->last[a] : t->last[b]) - t->first[a];

	if (both > 0)
		printf("overlap: the loops ran side by side for %.3f of %.3f ms\n", both / 1e6, all / 1e6);
	else
		printf("no overlap: the %s's loop began %.3f ms after the %s's had ended\n",
		       who_name[b], -both / 1e6, who_name[a]);
}

void print_result(const struct counter_opts *o, long counter)
{
	long expected = 2 * o->nloop;
	if (trace != NULL)
		print_trace();
	if (loop_times != NULL)
		print_overlap();
	printf("result: counter=%ld expected=%ld lost=%ld\n", counter, expected, expected - counter);
}
