/* sysv-object - a test tool: a System V object at a key of the test's choice,
 * made as another program would make it (so not by a lab).
 *
 *   sysv-object shm|msg KEY    KEY in C notation (0x0c001234)
 *
 * Creates a 4096-byte segment or a message queue, 0600, and prints its id.
 * It stays: the test removes it. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "shm") != 0 && strcmp(argv[1], "msg") != 0)) {
		fprintf(stderr, "usage: sysv-object shm|msg KEY\n");
		return 2;
	}
	key_t key = (key_t)strtoul(argv[2], NULL, 0);
	int id = strcmp(argv[1], "shm") == 0 ? shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600)
					     : msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	if (id == -1) {
		perror(argv[1]);
		return 1;
	}
	printf("%d\n", id);
	return 0;
}
