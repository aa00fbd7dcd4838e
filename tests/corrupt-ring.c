/* corrupt-ring - a test tool: tamper with the shared object of a running
 * 16-lockfree-ring, or report who is in it.
 *
 *   corrupt-ring /NAME FIELD VALUE  FIELD: head, tail, same_line or len (the
 *                                   first chunk's length)
 *   corrupt-ring /NAME pids         print "SERVER_PID CLIENT_PID" once the
 *                                   client has mapped the ring
 *
 * /NAME is the full POSIX name ("/" prefix "." name). It waits up to 10 s for
 * the object to be ready (and, for len, for the server to fill the first
 * chunk) before it writes; exit 1 if that never happens. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lockfree-ring.h"

static void fail(const char *msg)
{
	fprintf(stderr, "corrupt-ring: %s\n", msg);
	exit(1);
}

/* Wait a millisecond; give up after 10 s of waiting in all. */
static int waited_ms;
static void tick(const char *what)
{
	struct timespec ms = {0, 1000000};
	if (++waited_ms > 10000)
		fail(what);
	nanosleep(&ms, NULL);
}

int main(int argc, char **argv)
{
	struct stat st;
	int fd;

	if (argc != 3 && argc != 4)
		fail("usage: corrupt-ring /NAME FIELD VALUE | /NAME pids");
	while ((fd = shm_open(argv[1], O_RDWR, 0)) == -1)
		tick("the object never appeared");
	size_t size = sizeof(struct shared);
	for (fstat(fd, &st); st.st_size < (off_t)size; fstat(fd, &st))
		tick("the object was never sized");
	struct shared *h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		fail("mmap failed");
	while (h->ready != READY)
		tick("the object was never made ready");
	struct index *head = &h->line[0][0], *tail = h->same_line ? &h->line[0][1] : &h->line[1][0];

	if (argc == 3 && strcmp(argv[2], "pids") == 0) {
		while (h->pid[COPY_CLIENT] == 0)
			tick("no client came");
		printf("%ld %ld\n", (long)h->pid[COPY_SERVER], (long)h->pid[COPY_CLIENT]);
		return 0;
	}
	if (argc != 4)
		fail("missing VALUE");
	uint32_t value = (uint32_t)strtoul(argv[3], NULL, 0);
	const char *field = argv[2];
	if (strcmp(field, "head") == 0)
		head->at = value;
	else if (strcmp(field, "tail") == 0)
		tail->at = value;
	else if (strcmp(field, "same_line") == 0)
		h->same_line = value;
	else if (strcmp(field, "len") == 0) {
		while (h->len[0] == 0)
			tick("the first chunk was never filled");
		h->len[0] = value;
	} else
		fail("unknown FIELD");
	return 0;
}
