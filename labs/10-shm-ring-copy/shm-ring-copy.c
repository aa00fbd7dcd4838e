/*
 * 10-shm-ring-copy - the copier of 09 with a ring of SLOTS buffers.
 *
 * With one buffer the server and the client take turns: while one reads, the
 * other waits. Here the shared object holds SLOTS chunks and two counting
 * semaphores count them, so the server reads the next chunks while the client
 * still writes earlier ones:
 *   server: wait nempty, read() into slot i % SLOTS, len[slot] = n, post nfull
 *   client: wait nfull, n = len[slot], write() from slot i % SLOTS, post nempty
 * Each side keeps its own index i: only the lengths are shared. Memory used is
 * SLOTS x BYTES whatever the size of the file. On a terminal the server shows
 * its progress (bytes, percent, MB/s) when it knows INPUT's size.
 *
 * Calls: sem_init (counting semaphores, pshared=1), sem_timedwait, sem_post,
 *        read, write; the rest as in 09.
 *
 *   $ bin/10-shm-ring-copy server -s 8 in &
 *   $ bin/10-shm-ring-copy client out
 *   10-shm-ring-copy client: received 1048576 bytes in 16 chunks
 *   10-shm-ring-copy server: sent 1048576 bytes in 16 chunks
 *   $ bin/10-shm-ring-copy copy -b 65536 -s 4 in out
 */
#include "unpipc.h"

#define CHUNK_DEFAULT (64 * 1024) /* -b: bytes per chunk */
#define SLOTS_DEFAULT 4           /* -s: chunks in the ring */
#define SLOTS_MAX 1024
#define VERSION 10                /* in the header: a 09-shm-copy peer is refused */

struct shared {
	struct copy_header h;             /* magic, roles, rendezvous (common/copier.c) */
	volatile uint32_t len[SLOTS_MAX]; /* bytes in each slot, 0 = end of file; first after h */
	sem_t nempty;                     /* slots the server may fill: starts at SLOTS */
	sem_t nfull;                      /* slots the client may write out: starts at 0 */
};                                        /* then, from the next page: char data[SLOTS][chunk] */

/* "123.4 MB of 500.0 MB (24%), 812.3 MB/s", four times a second, only on a
 * terminal and only when INPUT's size is known; erased at the end. */
static void progress(const struct copy_file *in, unsigned long long bytes, bool end)
{
	static struct timespec start;
	static long shown = -1000;

	if (in->size <= 0 || !isatty(STDERR_FILENO))
		return;
	if (start.tv_sec == 0)
		clock_gettime(CLOCK_MONOTONIC, &start);
	long ms = ms_since(&start);
	if (end) {
		fprintf(stderr, "\r%*s\r", 70, "");
	} else if (ms - shown >= 250) {
		shown = ms;
		fprintf(stderr, "\r%.1f MB of %.1f MB (%d%%), %.1f MB/s  ", bytes / 1e6,
			(double)in->size / 1e6, (int)(bytes * 100 / (unsigned long long)in->size),
			ms > 0 ? bytes / 1e3 / (double)ms : 0.0);
	}
}

static void server(const struct copy_opts *o)
{
	struct copy_end e;
	struct copy_file in;
	unsigned long long bytes = 0, chunks = 0;

	copy_role(COPY_SERVER);
	struct shared *sh = copy_attach(&e, o, COPY_SERVER, sizeof *sh, VERSION);
	open_input(&in, o->input);
	Sem_init(&sh->nempty, 1, (unsigned)e.slots); /* every slot starts empty */
	Sem_init(&sh->nfull, 1, 0);
	copy_start(&e);                              /* the client is here */
	for (size_t i = 0;; i++) {
		char *slot = e.data + i % e.slots * e.chunk;
		copy_wait(&e, &sh->nempty);                /* a slot is ours */
		size_t n = read_chunk(&in, slot, e.chunk); /* read() straight into it */
		sh->len[i % e.slots] = (uint32_t)n;
		Sem_post(&sh->nfull);                      /* "one more full, n bytes" */
		if (n == 0)
			break;                               /* that was end of file */
		bytes += n;
		chunks++;
		progress(&in, bytes, false);
	}
	progress(&in, bytes, true);
	copy_finish(&e); /* wait for the client to finish OUTPUT */
	fprintf(stderr, "%s: sent %llu bytes in %llu chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
}

static void client(const struct copy_opts *o, struct copy_file *out)
{
	struct copy_end e;
	unsigned long long bytes = 0, chunks = 0;

	copy_role(COPY_CLIENT);
	struct shared *sh = copy_attach(&e, o, COPY_CLIENT, sizeof *sh, VERSION);
	if (out->fd == -1) /* the copy subcommand made it already */
		open_output(out, o->output);
	sh = copy_start(&e); /* the server is here; the ring is mapped */
	for (size_t i = 0;; i++) {
		char *slot = e.data + i % e.slots * e.chunk;
		copy_wait(&e, &sh->nfull);     /* a slot is ours */
		uint32_t n = sh->len[i % e.slots]; /* untrusted: read once... */
		if (n > e.chunk)               /* ...check... */
			copy_corrupt("len", n);
		if (n == 0)
			break;
		write_chunk(out, slot, n);     /* ...use: write() straight from the slot */
		Sem_post(&sh->nempty);         /* "one more empty" */
		bytes += n;
		chunks++;
	}
	commit_output(out); /* the temp file becomes OUTPUT */
	fprintf(stderr, "%s: received %llu bytes in %llu chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
	copy_finish(&e); /* then the server may say "sent" */
}

int main(int argc, char **argv)
{
	struct copy_opts o;
	struct copy_file out = {.fd = -1};

	prog_init(argv, "server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT | "
			"client [-n NAME] [-t SECONDS] OUTPUT | copy [-b BYTES] [-s SLOTS] INPUT OUTPUT");
	parse_copy_args(argc, argv, &o, CHUNK_DEFAULT, SLOTS_DEFAULT, SLOTS_MAX);
	if (o.role == COPY_SERVER)
		server(&o);
	else if (o.role == COPY_CLIENT)
		client(&o, &out);
	else
		copy_both(&o, server, client); /* fork a server and a client, wait for both */
	return 0;
}
