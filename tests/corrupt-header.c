/* corrupt-header - a test tool: tamper with the shared header of a running
 * 11-robust-copy, or report who holds its roles.
 *
 *   corrupt-header /NAME FIELD VALUE  FIELD: magic, chunk, slots, state or len
 *                                     (the first chunk's length)
 *   corrupt-header /NAME pids         print "SERVER_PID CLIENT_PID" once both
 *                                     sides have met (state RUNNING)
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

#include "robust-copy.h"

static void fail(const char *msg)
{
	fprintf(stderr, "corrupt-header: %s\n", msg);
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
		fail("usage: corrupt-header /NAME FIELD VALUE | /NAME pids");
	while ((fd = shm_open(argv[1], O_RDWR, 0)) == -1)
		tick("the object never appeared");
	size_t size = sizeof(struct shared);
	for (fstat(fd, &st); st.st_size < (off_t)size; fstat(fd, &st))
		tick("the object was never sized");
	struct shared *h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		fail("mmap failed");
	volatile uint32_t *len = &h->len[0];
	while (h->magic == 0)
		tick("the object was never made ready");

	if (argc == 3 && strcmp(argv[2], "pids") == 0) {
		while (h->state != RUNNING)
			tick("the two sides never met");
		printf("%ld %ld\n", (long)h->pid[COPY_SERVER], (long)h->pid[COPY_CLIENT]);
		return 0;
	}
	if (argc != 4)
		fail("missing VALUE");
	uint32_t value = (uint32_t)strtoul(argv[3], NULL, 0);
	const char *field = argv[2];
	if (strcmp(field, "magic") == 0)
		h->magic = value;
	else if (strcmp(field, "chunk") == 0)
		h->chunk = value;
	else if (strcmp(field, "slots") == 0)
		h->slots = value;
	else if (strcmp(field, "state") == 0)
		h->state = (int)value;
	else if (strcmp(field, "len") == 0) {
		while (*len == 0)
			tick("the first chunk was never filled");
		*len = value;
	} else
		fail("unknown FIELD");
	return 0;
}
