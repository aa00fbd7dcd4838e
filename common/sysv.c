/* sysv.c - System V shared memory wrappers. Removing a segment on every way
 * out is at_exit_shm_rmid(), in cleanup.c with the other cleanups. */
#include "unpipc.h"

#include <sys/shm.h>

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
