/* sysv.c - wrappers for the System V calls of this lab, Stevens style: the
 * same arguments as the call, and on failure "prog: call context: strerror",
 * exit 1. Where sysv-shm.c handles an errno itself, it makes the raw call. */
#include "unpipc.h"
#include "sysv.h"

#include <sys/shm.h>

key_t Ftok(const char *path, int proj_id)
{
	key_t key = ftok(path, proj_id);
	if (key == -1)
		err_sys("ftok %s", path);
	return key;
}

int Shmget(key_t key, size_t size, int flags)
{
	int id = shmget(key, size, flags);
	if (id == -1)
		err_sys("shmget key 0x%08lx, %zu bytes", (unsigned long)key, size);
	return id;
}

void *Shmat(int shmid, const void *addr, int flags)
{
	void *p = shmat(shmid, addr, flags);
	if (p == (void *)-1)
		err_sys("shmat shmid %d", shmid);
	return p;
}

void Shmdt(const void *addr)
{
	if (shmdt(addr) == -1)
		err_sys("shmdt");
}

void Shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
	if (shmctl(shmid, cmd, buf) == -1)
		err_sys("shmctl shmid %d", shmid);
}
