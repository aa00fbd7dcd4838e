/* give-segment - a test tool: what a hostile user does to lab 08.
 *
 *   give-segment KEYFILE UID [SECONDS]
 *
 * Creates a 4096-byte segment at lab 08's key for KEYFILE (ftok(KEYFILE, 8)),
 * attaches it, then hands it to UID with IPC_SET (owner UID, mode 0600), as
 * if UID had made it. Prints "shmid N", stays attached SECONDS (0 by
 * default), and on leaving prints how many of its bytes someone else wrote
 * ("nonzero N"). The segment stays: the test removes it. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: give-segment KEYFILE UID [SECONDS]\n");
		return 2;
	}
	key_t key = ftok(argv[1], 8);
	if (key == -1)
		fail("ftok");
	int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (id == -1)
		fail("shmget");
	const unsigned char *p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		fail("shmat");
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) == -1)
		fail("shmctl IPC_STAT");
	ds.shm_perm.uid = (uid_t)strtoul(argv[2], NULL, 10);
	ds.shm_perm.mode = 0600;
	if (shmctl(id, IPC_SET, &ds) == -1) /* the creator may: it stays attached */
		fail("shmctl IPC_SET");
	printf("shmid %d\n", id);
	fflush(stdout);
	sleep(argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 0);
	int nonzero = 0;
	for (int i = 0; i < 4096; i++)
		nonzero += p[i] != 0;
	printf("nonzero %d\n", nonzero);
	return 0;
}
