/* sysv.h - the System V wrappers in sysv.c, used by this lab alone. */
#ifndef SHMLAB_SYSV_H
#define SHMLAB_SYSV_H

#include <stddef.h>  /* size_t */
#include <sys/ipc.h> /* key_t */

struct shmid_ds;
key_t Ftok(const char *path, int proj_id);
int Shmget(key_t key, size_t size, int flags);
void *Shmat(int shmid, const void *addr, int flags);
void Shmdt(const void *addr);
void Shmctl(int shmid, int cmd, struct shmid_ds *buf);

#endif
