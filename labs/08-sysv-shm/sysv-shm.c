/*
 * 08-sysv-shm - the System V "shared memory segment".
 *
 * The older API that gave shared memory segments their name. A segment is
 * found by a numeric key, not a path: ftok() turns a file that exists (its
 * inode and device) and a small project number into that key, shmget() finds
 * or creates the segment and returns its id, shmat() maps it, shmdt() unmaps
 * it, shmctl() reads its shmid_ds (what `ipcs -m` shows) or removes it.
 * IPC_RMID only marks a segment: it is destroyed when the last process
 * attached to it detaches (`rmid` shows each step, with shm_nattch).
 *
 * The key file is -k PATH, by default your home directory: it exists, is
 * yours, keeps its inode across runs and rebuilds, and needs no cleanup.
 *
 * Calls: ftok, shmget (IPC_CREAT|IPC_EXCL, 0600), shmat, shmdt,
 *        shmctl (IPC_STAT, IPC_RMID).
 *
 *   $ bin/08-sysv-shm create 4096
 *   created segment shmid 32821: 4096 bytes, key 0x0800054a, mode 0600
 *   $ bin/08-sysv-shm write && bin/08-sysv-shm read
 *   wrote the pattern into all 4096 bytes of shmid 32821
 *   all 4096 bytes of shmid 32821 match the pattern (nattch=1: us)
 *   $ bin/08-sysv-shm remove
 *   removed segment shmid 32821 (key 0x0800054a)
 */
#include "unpipc.h"
#include "sysv.h" /* Ftok, Shmget, Shmat, Shmdt, Shmctl: beside this file */

#include <grp.h>
#include <pwd.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#define PROJ_ID 8             /* ftok's project number: 1..255; this lab's number */
#define SIZE_LIMIT (1L << 30) /* 1 GiB */

static const char *key_path; /* -k PATH, or the home directory */
static key_t key;

static void make_key(void)
{
	if (key_path == NULL)
		key_path = getenv("HOME");
	if (key_path == NULL || key_path[0] == '\0') { /* HOME unset: ask the user database */
		struct passwd *pw = getpwuid(getuid());
		key_path = pw ? pw->pw_dir : NULL;
	}
	if (key_path == NULL)
		err_quit("no home directory: give a key file with -k PATH");
	key = Ftok(key_path, PROJ_ID);
}

/* The id of the segment our key names; it must exist. The raw shmget, not
 * Shmget: ENOENT gets a message of its own. */
static int find_segment(void)
{
	make_key();
	int id = shmget(key, 0, 0);
	if (id == -1 && errno == ENOENT)
		err_quit("no shared memory segment with key 0x%08lx (ftok of %s): create it first",
			 (unsigned long)key, key_path);
	if (id == -1)
		err_sys("shmget key 0x%08lx", (unsigned long)key);
	return id;
}

/* The name of a user id, for messages. */
static const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	return pw ? pw->pw_name : "no such user";
}

/* A segment we did not make may not be ours: anyone can create one at our
 * key first. Trust it only if it is ours and 0600 (one helper for every lab:
 * check_owner), before a byte of it is read or written. The owner is not
 * enough: the creator may hand a segment to us with IPC_SET (uid and mode)
 * and stay attached, reading all we write; cuid and cgid, the creator's ids,
 * no IPC_SET can change. So: owned by us, created by us (and our group), 0600. */
static int trusted_segment(void)
{
	struct shmid_ds ds;
	char what[64];
	int id = find_segment();
	snprintf(what, sizeof what, "the segment at key 0x%08lx", (unsigned long)key);
	if (shmctl(id, IPC_STAT, &ds) == -1 && errno == EACCES) /* raw: EACCES says "not yours" */
		err_quit("%s is not yours (no access): someone else created it at your key; "
			 "pick another with -k PATH", what);
	Shmctl(id, IPC_STAT, &ds);
	if (ds.shm_perm.uid != geteuid()) /* says whose it is */
		check_owner(what, ds.shm_perm.uid, ds.shm_perm.mode);
	if (ds.shm_perm.cuid != geteuid())
		err_quit("%s is owned by you but was created by uid %ld (%s), who gave it to you "
			 "with IPC_SET and may still be attached (nattch %lu): not to be trusted; "
			 "pick another key with -k PATH", what, (long)ds.shm_perm.cuid,
			 user_name(ds.shm_perm.cuid), (unsigned long)ds.shm_nattch);
	if (ds.shm_perm.cgid != getegid())
		err_quit("%s was created by you, but with group gid %ld, not your group (gid %ld): "
			 "not to be trusted; remove it and create it again", what,
			 (long)ds.shm_perm.cgid, (long)getegid());
	check_owner(what, ds.shm_perm.uid, ds.shm_perm.mode); /* and the mode: 0600 */
	return id;
}

static unsigned long nattch(int id)
{
	struct shmid_ds ds;
	Shmctl(id, IPC_STAT, &ds);
	return (unsigned long)ds.shm_nattch;
}

static size_t segment_size(int id)
{
	struct shmid_ds ds;
	Shmctl(id, IPC_STAT, &ds);
	return ds.shm_segsz;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i % 251 + 1); /* never 0: a fresh segment does not match */
}

static void print_key(void)
{
	make_key();
	printf("ftok(\"%s\", %d) = 0x%08lx\n", key_path, PROJ_ID, (unsigned long)key);
}

static void create(long size)
{
	make_key();
	/* the raw shmget, not Shmget: EEXIST gets a message of its own */
	int id = shmget(key, (size_t)size, IPC_CREAT | IPC_EXCL | FILE_MODE);
	if (id == -1 && errno == EEXIST)
		trusted_segment(); /* someone else's: say whose, and stop */
	if (id == -1 && errno == EEXIST)
		err_quit("a segment with key 0x%08lx already exists (ftok of %s): "
			 "remove it with: %s remove -k %s", (unsigned long)key, key_path, prog_name(),
			 key_path);
	if (id == -1)
		err_sys("shmget key 0x%08lx, %ld bytes", (unsigned long)key, size);
	printf("created segment shmid %d: %ld bytes, key 0x%08lx, mode 0600\n", id, size,
	       (unsigned long)key);
}

static void write_pattern(void)
{
	int id = trusted_segment();
	size_t size = segment_size(id);
	unsigned char *p = Shmat(id, NULL, 0);
	for (size_t i = 0; i < size; i++)
		p[i] = pattern(i);
	Shmdt(p);
	printf("wrote the pattern into all %zu bytes of shmid %d\n", size, id);
}

static void check_pattern(int id, const unsigned char *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(i))
			err_quit("shmid %d: first mismatch at offset %zu: expected 0x%02x, found 0x%02x",
				 id, i, pattern(i), p[i]);
	printf("all %zu bytes of shmid %d match the pattern (nattch=%lu: us", size, id, nattch(id));
	printf(nattch(id) > 1 ? " and others)\n" : ")\n");
}

/* read [-w SECONDS]: with -w, stay attached meanwhile (remove it from another
 * terminal and watch `ipcs -m`), then read again. */
static void read_pattern(long hold)
{
	int id = trusted_segment();
	size_t size = segment_size(id);
	const unsigned char *p = Shmat(id, NULL, SHM_RDONLY);
	check_pattern(id, p, size);
	if (hold > 0) {
		printf("staying attached for %ld s\n", hold);
		sleep((unsigned)hold);
		check_pattern(id, p, size); /* still ours, even if removed meanwhile */
	}
	Shmdt(p);
}

static void print_time(const char *label, time_t t, const char *what)
{
	char buf[64] = "never";
	if (t != 0)
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", localtime(&t));
	printf("%-8s%-20s (%s)\n", label, buf, what);
}

static void info(void)
{
	struct shmid_ds ds;
	int id = find_segment();
	Shmctl(id, IPC_STAT, &ds);
	struct passwd *pw = getpwuid(ds.shm_perm.uid);
	struct group *gr = getgrgid(ds.shm_perm.gid);
	printf("key:    0x%08lx (ftok of %s, %d)\n", (unsigned long)key, key_path, PROJ_ID);
	printf("shmid:  %d\n", id);
	printf("owner:  %s (uid %ld), group %s (gid %ld)\n", pw ? pw->pw_name : "?",
	       (long)ds.shm_perm.uid, gr ? gr->gr_name : "?", (long)ds.shm_perm.gid);
	printf("perms:  %03o\n", (unsigned)(ds.shm_perm.mode & 0777));
	printf("bytes:  %zu\n", ds.shm_segsz);
	printf("nattch: %lu\n", (unsigned long)ds.shm_nattch);
	printf("cpid:   %ld (created it)\n", (long)ds.shm_cpid);
	printf("lpid:   %ld (last shmat or shmdt)\n", (long)ds.shm_lpid);
	print_time("atime:", ds.shm_atime, "last shmat");
	print_time("dtime:", ds.shm_dtime, "last shmdt");
	print_time("ctime:", ds.shm_ctime, "created or last changed");
}

static void remove_segment(void)
{
	int id = find_segment();
	unsigned long n = nattch(id);
	Shmctl(id, IPC_RMID, NULL);
	printf("removed segment shmid %d (key 0x%08lx)\n", id, (unsigned long)key);
	if (n > 0)
		printf("%lu attachment(s) remain: it is destroyed when the last one detaches\n", n);
}

/* -w SECONDS: time to look at `ipcs -m` from another terminal. */
static void hold_for_ipcs(long hold)
{
	if (hold > 0)
		sleep((unsigned)hold);
}

/* The segment rmid made, removed on every way out while this is not -1
 * (sig_atomic_t is an int on Linux: it holds a shmid). Written by the parent
 * only; read by the cleanup, which may run in a signal handler. */
static volatile sig_atomic_t demo_shmid = -1;

static void rmid_at_exit(void)
{
	if (demo_shmid != -1)
		shmctl(demo_shmid, IPC_RMID, NULL); /* a plain system call: async-signal-safe */
}

/* rmid [-w SECONDS]: one process stays attached while another removes. */
static void rmid_demo(long hold)
{
	static const char msg[] = "written before IPC_RMID";
	key_t own = ipc_key(PROJ_ID); /* not IPC_PRIVATE: make clean-ipc can find it after kill -9 */
	hold_signals(true); /* made and registered, or neither */
	int id = Shmget(own, 4096, IPC_CREAT | IPC_EXCL | FILE_MODE);
	demo_shmid = id;
	at_exit_call(rmid_at_exit); /* in this process only: the child's exit leaves it */
	hold_signals(false);
	printf("nattch=%lu  parent: shmget(0x%08lx): shmid %d, 4096 bytes\n", nattch(id),
	       (unsigned long)own, id);
	hold_for_ipcs(hold);
	char *p = Shmat(id, NULL, 0);
	memcpy(p, msg, sizeof msg);
	printf("nattch=%lu  parent: shmat, stores \"%s\"\n", nattch(id), msg);
	hold_for_ipcs(hold);

	pid_t pid = Fork();
	if (pid == 0) {
		printf("nattch=%lu  child:  fork() gave the child the parent's attachment\n", nattch(id));
		hold_for_ipcs(hold);
		Shmdt(p);
		printf("nattch=%lu  child:  shmdt\n", nattch(id));
		hold_for_ipcs(hold);
		Shmctl(id, IPC_RMID, NULL);
		printf("nattch=%lu  child:  shmctl(IPC_RMID): marked for removal; "
		       "ipcs -m shows it as \"dest\"\n", nattch(id));
		hold_for_ipcs(hold);
		exit(0);
	}
	wait_child(pid);
	demo_shmid = -1; /* removed by the child; it goes with our shmdt */

	printf("nattch=%lu  parent: still reads \"%s\"\n", nattch(id), p);
	hold_for_ipcs(hold);
	Shmdt(p);
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) == -1) /* the raw call: this failure is the lesson */
		printf("gone      parent: shmdt, the last attachment: "
		       "shmctl(IPC_STAT) fails: %s\n", strerror(errno));
	else
		printf("nattch=%lu  parent: shmdt, yet it is still there\n", (unsigned long)ds.shm_nattch);
}

enum { KEY, CREATE, WRITE, READ, INFO, REMOVE, RMID };

static long hold; /* -w SECONDS: how long read and rmid wait */

static void option(int letter, const char *value)
{
	if (letter == 'w') {
		hold = parse_count(value, "SECONDS", 0, 3600);
	} else {
		if (value[0] == '\0')
			usage_error("option -k needs a PATH");
		key_path = value;
	}
}

int main(int argc, char **argv)
{
	static const struct subcommand cmds[] = {
		[KEY] = {"key", "k:", ""},
		[CREATE] = {"create", "k:", "SIZE"},
		[WRITE] = {"write", "k:", ""},
		[READ] = {"read", "k:w:", ""},
		[INFO] = {"info", "k:", ""},
		[REMOVE] = {"remove", "k:", ""},
		[RMID] = {"rmid", "w:", ""},
		{NULL, NULL, NULL},
	};
	char *arg[1];

	prog_init(argv, "key|write|info|remove [-k PATH] | create [-k PATH] SIZE | "
			"read [-k PATH] [-w SECONDS] | rmid [-w SECONDS]");
	int cmd = subcommand(argc, argv, cmds, option, arg);
	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, even when stopped by a signal */

	switch (cmd) {
	case KEY: print_key(); break;
	case CREATE: create(parse_count(arg[0], "SIZE", 1, SIZE_LIMIT)); break;
	case WRITE: write_pattern(); break;
	case READ: read_pattern(hold); break;
	case INFO: info(); break;
	case REMOVE: remove_segment(); break;
	case RMID: rmid_demo(hold); break;
	}
	return 0;
}
