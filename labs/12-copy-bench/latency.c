/* latency.c - one byte there and back between two processes: how long does a
 * round trip take through a pair of pipes, and through shared memory with two
 * semaphores? No data volume here, only the cost of waking the other side. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS is Linux and BSD, not POSIX.1-2008 */
#include "bench.h"

#define TRIPS 10000  /* round trips per run (-r) */
#define WARMUP 1000  /* untimed round trips first */
#define SPINS 2000   /* shm-spin: sem_trywait()s before sleeping in sem_wait() */

enum kind { LAT_PIPE, LAT_SHM, LAT_SPIN, NKINDS };
static const char *const kind_name[NKINDS] = {"pipe", "shm", "shm-spin"};
static const char *const kind_what[NKINDS] = {
	"write + read on two pipes",
	"sem_post + sem_wait in shared memory",
	"the same, sem_trywait spins first",
};

struct pingpong {
	sem_t ping, pong;          /* ping: the ball is the echo's; pong: it is back */
	unsigned char ball, back;  /* the byte, and the echo's copy of it */
	long ns[];                 /* every timed round trip, written by the pinger */
};

static void put(int fd, unsigned char c)
{
	while (write(fd, &c, 1) != 1)
		if (errno != EINTR)
			err_sys("write pipe");
}

static unsigned char get(int fd)
{
	unsigned char c;
	ssize_t n;
	while ((n = read(fd, &c, 1)) == -1)
		if (errno != EINTR)
			err_sys("read pipe");
	if (n == 0)
		err_quit("ping-pong: the other process is gone");
	return c;
}

/* Sleeping in the kernel and being woken is the cost; a waiter that polls
 * first never sleeps while the other side answers within the spin. */
static void wait_turn(sem_t *sem, enum kind k)
{
	for (int i = 0; k == LAT_SPIN && i < SPINS; i++)
		if (sem_trywait(sem) == 0)
			return;
	Sem_wait(sem);
}

/* The pinger: fork the echo, send the ball `trips` times, time each return. */
static void play(enum kind k, struct pingpong *pp, long trips)
{
	int to[2], from[2]; /* pipes: pinger -> echo, echo -> pinger */

	if (k == LAT_PIPE && (pipe(to) == -1 || pipe(from) == -1))
		err_sys("pipe");
	Sem_init(&pp->ping, 1, 0);
	Sem_init(&pp->pong, 1, 0);
	pid_t pid = Fork();
	if (pid == 0) { /* the echo: send every byte straight back */
		for (long i = -WARMUP; i < trips; i++) {
			if (k == LAT_PIPE) {
				put(from[1], get(to[0]));
			} else {
				wait_turn(&pp->ping, k);
				pp->back = pp->ball;
				Sem_post(&pp->pong);
			}
		}
		exit(0);
	}
	at_exit_kill(pid);
	for (long i = -WARMUP; i < trips; i++) {
		struct timespec t0, t1;
		unsigned char c = (unsigned char)i, r;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (k == LAT_PIPE) {
			put(to[1], c);
			r = get(from[0]);
		} else {
			pp->ball = c;
			Sem_post(&pp->ping);
			wait_turn(&pp->pong, k);
			r = pp->back;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r != c)
			err_quit("ping-pong: sent %u, got %u back", c, r);
		if (i >= 0)
			pp->ns[i] = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	}
	wait_child(pid);
	Sem_destroy(&pp->ping);
	Sem_destroy(&pp->pong);
}

bool latency_test(const struct options *o)
{
	long trips = o->runs * TRIPS;
	size_t len = sizeof(struct pingpong) + (size_t)trips * sizeof(long);
	double med[NKINDS], p99[NKINDS];
	struct sample s[NKINDS];
	bool ok = true;

	for (int k = 0; k < NKINDS; k++) {
		struct pingpong *pp = Mmap(NULL, len, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		pid_t pid = spawn(NULL, -1);
		if (pid == 0) { /* measured as one tree, like a copier */
			play((enum kind)k, pp, trips);
			exit(0);
		}
		int status = reap(pid, &s[k]);
		if (status != 0) {
			char why[200];
			describe_status(status, -1, why, sizeof why);
			err_msg("latency %s: %s", kind_name[k], why);
			ok = false;
			med[k] = p99[k] = 0;
		} else { /* allocated only now: the children must not inherit it */
			double *us = malloc((size_t)trips * sizeof *us);
			if (us == NULL)
				err_sys("malloc");
			for (long i = 0; i < trips; i++)
				us[i] = (double)pp->ns[i] / 1e3;
			med[k] = median(us, (size_t)trips); /* sorts us */
			p99[k] = us[trips * 99 / 100];
			free(us);
		}
		Munmap(pp, len);
	}

	if (o->csv)
		printf("method,round_trips,median_us,p99_us,cpu_ms,vol_cs,invol_cs,vs_pipe\n");
	else
		printf("| method   | what                                 | median us | p99 us | CPU ms | vol cs | invol cs | x pipe |\n"
		       "|----------|--------------------------------------|----------:|-------:|-------:|-------:|---------:|-------:|\n");
	for (int k = 0; k < NKINDS; k++) {
		double ratio = med[LAT_PIPE] > 0 ? med[k] / med[LAT_PIPE] : 0;
		if (o->csv)
			printf("%s,%ld,%.2f,%.2f,%.1f,%ld,%ld,%.2f\n", kind_name[k], trips, med[k], p99[k],
			       s[k].cpu_ms, s[k].nvcsw, s[k].nivcsw, ratio);
		else
			printf("| %-8s | %-36s | %9.2f | %6.2f | %6.0f | %6ld | %8ld | %6.2f |\n", kind_name[k],
			       kind_what[k], med[k], p99[k], s[k].cpu_ms, s[k].nvcsw, s[k].nivcsw, ratio);
	}
	if (o->svg != NULL) {
		char note[NKINDS][64];
		const char *label[NKINDS], *notes[NKINDS];
		int group[NKINDS];
		for (int k = 0; k < NKINDS; k++) {
			snprintf(note[k], sizeof note[k], "x%.2f pipe", med[LAT_PIPE] > 0 ? med[k] / med[LAT_PIPE] : 0);
			label[k] = kind_name[k];
			notes[k] = note[k];
			group[k] = k == LAT_PIPE;
		}
		struct chart ch = {"One-byte round trip between two processes (median, lower is better)",
				   "us", {"shared memory + semaphores", "pipe pair"}, NKINDS, label, med, notes, group};
		write_svg(o->svg, &ch);
	}
	return ok;
}
