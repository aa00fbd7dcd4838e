/* name.c - the one function that builds POSIX IPC names.
 *
 * Every shm_open/sem_open name in shmlab is "/" PREFIX "." NAME, where PREFIX
 * is $SHMLAB_IPC_PREFIX or "shmlab-<uid>", so two students on one server never
 * meet each other's objects. Both parts are checked; a bad value is an error,
 * never silently replaced. */
#include "unpipc.h"

#define PREFIX_MAX 64   /* characters in a prefix */
#define SYSTEM_MAX 251  /* Linux: NAME_MAX (255) less glibc's "sem." for semaphores */

/* Letters, digits, '.', '_', '-'; not empty, not starting with '.'. */
static bool valid_part(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n;
}

void ipc_name(char *buf, size_t len, const char *name)
{
	char uid_prefix[32];
	const char *prefix = getenv("SHMLAB_IPC_PREFIX");

	if (prefix == NULL) {
		snprintf(uid_prefix, sizeof uid_prefix, "shmlab-%ld", (long)getuid());
		prefix = uid_prefix;
	} else if (!valid_part(prefix, PREFIX_MAX)) {
		usage_error("SHMLAB_IPC_PREFIX '%s' is invalid (use 1 to %d letters, digits, "
			    "'.', '_', '-'; not starting with '.')", prefix, PREFIX_MAX);
	}
	if (!valid_part(name, SIZE_MAX))
		usage_error("name '%s' is invalid (use letters, digits, '.', '_', '-'; "
			    "not starting with '.')", name);
	size_t full = 2 + strlen(prefix) + strlen(name); /* "/" prefix "." name */
	size_t max = len - 1 < SYSTEM_MAX ? len - 1 : SYSTEM_MAX;
	if (full > max)
		usage_error("name '%.20s...' is too long: the full name would have %zu characters, "
			    "this system allows %zu", name, full, max);
	snprintf(buf, len, "/%s.%s", prefix, name);
}

/* The key of a System V object a lab makes for its own use (08's rmid segment,
 * 12's msg queue), where a program that needs no key would pass IPC_PRIVATE:
 * the lab's number in the top byte, where ftok() puts its project id, and our
 * pid below (pid_max is at most 2^22). Every IPC_PRIVATE object has key 0, so
 * what a kill -9 leaves could not be told from other programs' objects; this
 * key says which lab made it and which process, and labs/tools/clean-ipc.sh
 * checks that against the creator the kernel recorded before removing it. */
key_t ipc_key(int lab)
{
	return (key_t)((unsigned)lab << 24 | ((unsigned)getpid() & 0xffffffu));
}
