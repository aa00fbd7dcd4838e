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
 * SLOTS x BYTES whatever the size of the file. The protocol is 09's; the
 * server also stores SLOTS, and the client checks it with the chunk size.
 *
 * Calls: shm_open (O_CREAT|O_EXCL, 0600), posix_fallocate, fstat, mmap,
 *        close, sem_init (counting, pshared=1), atomic_exchange,
 *        sem_timedwait, sem_post, read, write, shm_unlink.
 *
 *   $ bin/10-shm-ring-copy server -s 8 in &
 *   $ bin/10-shm-ring-copy client out
 *   10-shm-ring-copy client: received 1048576 bytes in 16 chunks
 *   10-shm-ring-copy server: sent 1048576 bytes in 16 chunks
 *   $ bin/10-shm-ring-copy copy -b 65536 -s 4 in out
 */
#include "unpipc.h"

#include <stdatomic.h>

#define CHUNK_DEFAULT (64 * 1024) /* -b: bytes per chunk */
#define SLOTS_DEFAULT 4           /* -s: chunks in the ring */
#define SLOTS_MAX 1024
#define READY 0x73686d52u         /* "shmR": the server's last store */

struct shared {
	atomic_uint ready; /* READY once all below is set up: written last, read first */
	atomic_uint joined; /* 0 in a new object; a client swaps in 1 to claim the copy:
			     * one exchange, so only one client ever gets the 0 back */
	uint32_t mode;     /* INPUT's permission bits, for OUTPUT (as cp does) */
	uint32_t chunk;    /* bytes in each slot: the server's -b */
	uint32_t slots;    /* slots in the ring: the server's -s */
	volatile uint32_t len[SLOTS_MAX]; /* bytes in each slot, 0 = end of file: written by the server
			    * before it posts nfull, read by the client after it waits nfull;
			    * volatile not for order (nfull gives that): the client's one read stays one */
	sem_t nempty;      /* slots the server may fill: starts at SLOTS */
	sem_t nfull;       /* slots the client may write out: starts at 0 */
	sem_t done;        /* client -> server: OUTPUT is complete */
};                         /* then, from the next page: char data[slots][chunk] */

/* sem_wait, but not for ever: a peer silent for -t seconds is gone. */
static void wait_for(sem_t *sem, const struct copy_opts *o, const char *peer)
{
	if (!Sem_timedwait(sem, o->timeout * 1000))
		err_quit("no word from the %s for %ld s", peer, o->timeout);
}

/* The client's polls while the server sets up: 10 ms naps, up to -t seconds. */
static void nap_or_give_up(const struct timespec *start, const struct copy_opts *o, const char *what)
{
	if (ms_since(start) > o->timeout * 1000)
		err_quit("%s within %ld s", what, o->timeout);
	nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
}

static void server(const struct copy_opts *o)
{
	struct copy_file in;
	size_t size = COPY_DATA + (size_t)o->chunk * (size_t)o->slots;
	long long bytes = 0, chunks = 0;

	copy_role(COPY_SERVER);
	open_input(&in, o->input); /* first: a missing INPUT makes no object */
	hold_signals(true);
	int fd = Shm_open(o->name, O_RDWR | O_CREAT | O_EXCL, FILE_MODE);
	at_exit_shm_unlink(o->name); /* removed on every way out */
	hold_signals(false);
	Posix_fallocate(fd, 0, (off_t)size); /* all of it now: ENOSPC here, not SIGBUS later */
	struct shared *sh = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);
	sigbus_means("the shared object was truncated (by another process?)");
	char *data = (char *)sh + COPY_DATA;
	sh->mode = (uint32_t)in.mode;
	sh->chunk = (uint32_t)o->chunk;
	sh->slots = (uint32_t)o->slots;
	Sem_init(&sh->nempty, 1, (unsigned)o->slots); /* every slot starts empty */
	Sem_init(&sh->nfull, 1, 0);
	Sem_init(&sh->done, 1, 0);
	sh->ready = READY;          /* last (an atomic store: all written before it is seen
				     * by a client that loads READY): now the client may look */

	for (long i = 0;; i++) {
		char *slot = data + i % o->slots * o->chunk;
		wait_for(&sh->nempty, o, "client");       /* a slot is ours */
		ssize_t n = read(in.fd, slot, (size_t)o->chunk); /* straight into it */
		if (n == -1)
			err_sys("read %s", in.path);
		bytes += n;
		progress(&in, n > 0 ? bytes : -1); /* erased before the client can print */
		sh->len[i % o->slots] = (uint32_t)n;
		Sem_post(&sh->nfull);                     /* "one more full, n bytes" */
		if (n == 0)
			break;                            /* that was end of file */
		chunks++;
	}
	wait_for(&sh->done, o, "client"); /* the client has finished OUTPUT */
	Shm_unlink(o->name);
	fprintf(stderr, "%s: sent %lld bytes in %lld chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
}

static void client(const struct copy_opts *o, struct copy_file *out)
{
	struct timespec start;
	struct stat st;
	int fd;
	long long bytes = 0, chunks = 0;

	copy_role(COPY_CLIENT);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((fd = shm_open(o->name, O_RDWR, 0)) == -1) { /* the server may not be up yet */
		if (errno == EACCES)
			check_shm_name(o->name); /* someone else's? */
		if (errno != ENOENT)
			err_sys("shm_open %s", o->name);
		nap_or_give_up(&start, o, "no server came");
	}
	Fstat(fd, &st);
	check_owner(o->name, st.st_uid, st.st_mode); /* ours, 0600: or it may be a trap */
	for (; st.st_size < (off_t)COPY_DATA; Fstat(fd, &st))
		nap_or_give_up(&start, o, "the server did not size the object"); /* a 0-byte object: SIGBUS */
	size_t size = (size_t)st.st_size;
	struct shared *sh = Mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Close(fd);
	sigbus_means("the shared object was truncated (by another process?)");
	while (sh->ready != READY)
		nap_or_give_up(&start, o, "the server did not make the object ready");
	uint32_t chunk = sh->chunk, slots = sh->slots; /* read once, checked, our copies used */
	if (chunk < 1 || slots < 1 || slots > SLOTS_MAX || COPY_DATA + (size_t)chunk * slots > size)
		err_quit("corrupt shared header (%lu slots of %lu bytes in %zu bytes)",
			 (unsigned long)slots, (unsigned long)chunk, size);
	/* one client per copy: a second one swaps 1 for 1 and leaves, the name untouched */
	if (atomic_exchange(&sh->joined, 1) != 0)
		err_quit("name '%s' is in use: its server has a client (%s)", o->label, o->name);
	at_exit_shm_unlink(o->name); /* ours now: if we fail, the name goes with us */
	char *data = (char *)sh + COPY_DATA;
	if (out->fd == -1) /* the copy subcommand made it already */
		open_output(out, o->output);

	for (size_t i = 0;; i++) {
		char *slot = data + i % slots * chunk;
		wait_for(&sh->nfull, o, "server"); /* a slot is ours */
		uint32_t n = sh->len[i % slots];   /* untrusted: read once, check, use the copy */
		if (n > chunk)
			err_quit("corrupt shared header (len %lu)", (unsigned long)n);
		if (n == 0)
			break;
		for (uint32_t put = 0; put < n;) {      /* write() straight from the slot; */
			ssize_t w = write(out->fd, slot + put, n - put); /* it may take less */
			if (w == -1)
				err_sys("write %s", out->path);
			put += (uint32_t)w;
		}
		Sem_post(&sh->nempty);            /* "one more empty" */
		bytes += n;
		chunks++;
	}
	commit_output(out, sh->mode); /* the temp file becomes OUTPUT */
	fprintf(stderr, "%s: received %lld bytes in %lld chunk%s\n", prog_name(), bytes, chunks,
		chunks == 1 ? "" : "s");
	at_exit_forget(o->name); /* the server removes it now */
	Sem_post(&sh->done);     /* then the server may say "sent" */
}

int main(int argc, char **argv)
{
	struct copy_opts o;
	struct copy_file out = {.fd = -1};

	prog_init(argv, "server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT | "
			"client [-n NAME] [-t SECONDS] OUTPUT | "
			"copy [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT OUTPUT");
	parse_copy_args(argc, argv, &o, CHUNK_DEFAULT, SLOTS_DEFAULT, SLOTS_MAX);
	if (o.role == COPY_SERVER)
		server(&o);
	else if (o.role == COPY_CLIENT)
		client(&o, &out);
	else
		copy_both(&o, server, client); /* fork a server and a client, wait for both */
	return 0;
}
