/*
 * 09-shm-copy - a file copied by two processes through one shared buffer.
 *
 * The server read()s INPUT straight into a buffer in a POSIX shared memory
 * object, the client write()s OUTPUT straight from it: no pipe, no private
 * buffer in between. Two semaphores in the object take turns:
 *   server: wait empty, read() into the buffer, len = n, post full
 *   client: wait full, n = len, write() from the buffer, post empty
 * A chunk of 0 bytes is end of file. The server and the client find each
 * other by NAME, whichever starts first (common/copier.c: the rendezvous,
 * the liveness checks, the temp-then-rename OUTPUT, the cleanup protocol).
 *
 * Calls: shm_open (O_CREAT|O_EXCL), posix_fallocate, mmap, sem_init
 *        (pshared=1), sem_timedwait, sem_post, read, write, shm_unlink.
 *
 *   $ bin/09-shm-copy server -b 65536 in &
 *   $ bin/09-shm-copy client out
 *   09-shm-copy client: received 1048576 bytes in 16 chunks
 *   09-shm-copy server: sent 1048576 bytes in 16 chunks
 *   $ bin/09-shm-copy copy in out      # both in one command, on a private name
 */
#include "unpipc.h"

#define CHUNK_DEFAULT (1024 * 1024) /* -b: bytes per chunk, chosen by lab 12's sweep */
#define VERSION 9                 /* in the header: a 10-shm-ring-copy peer is refused */

struct shared {
	struct copy_header h;  /* magic, roles, rendezvous (common/copier.c) */
	volatile uint32_t len; /* bytes in the buffer, 0 = end of file; first after h */
	sem_t empty;           /* 1: the buffer is the server's to fill */
	sem_t full;            /* 1: the buffer is the client's to write out */
};                             /* then, from the next page: char data[chunk] */

static void server(const struct copy_opts *o)
{
	struct copy_end e;
	struct copy_file in;
	unsigned long long bytes = 0, chunks = 0;

	copy_role(COPY_SERVER);
	struct shared *sh = copy_attach(&e, o, COPY_SERVER, sizeof *sh, VERSION);
	open_input(&in, o->input);
	Sem_init(&sh->empty, 1, 1); /* the buffer starts empty */
	Sem_init(&sh->full, 1, 0);
	copy_start(&e);             /* the client is here */
	for (;;) {
		copy_wait(&e, &sh->empty);                   /* the buffer is ours */
		size_t n = read_chunk(&in, e.data, e.chunk); /* read() straight into it */
		sh->len = (uint32_t)n;
		Sem_post(&sh->full);                         /* "full, n bytes" */
		if (n == 0)
			break;                               /* that was end of file */
		bytes += n;
		chunks++;
	}
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
	sh = copy_start(&e); /* the server is here; the buffer is mapped */
	for (;;) {
		copy_wait(&e, &sh->full);      /* the buffer is ours */
		uint32_t n = sh->len;          /* untrusted: read once... */
		if (n > e.chunk)               /* ...check... */
			copy_corrupt("len", n);
		if (n == 0)
			break;
		write_chunk(out, e.data, n);   /* ...use: write() straight from the buffer */
		Sem_post(&sh->empty);          /* "empty" */
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

	prog_init(argv, "server [-n NAME] [-b BYTES] [-t SECONDS] INPUT | "
			"client [-n NAME] [-t SECONDS] OUTPUT | copy [-b BYTES] INPUT OUTPUT");
	parse_copy_args(argc, argv, &o, CHUNK_DEFAULT, 1, 1);
	if (o.role == COPY_SERVER)
		server(&o);
	else if (o.role == COPY_CLIENT)
		client(&o, &out);
	else
		copy_both(&o, server, client); /* fork a server and a client, wait for both */
	return 0;
}
