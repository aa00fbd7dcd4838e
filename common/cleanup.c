/* cleanup.c - remove what a program made on every way out.
 *
 * A lab registers each file, shm name or semaphore name as soon as it creates
 * it, and each child as soon as it forks it. The registry is emptied
 *   - at exit() (normal end, or err_*()): names removed, unwaited children killed;
 *   - on SIGINT/SIGTERM/SIGHUP: the same, then the signal is passed on to the
 *     children and re-raised, so the program still dies "by the signal".
 * Each entry belongs to the process that registered it: a forked child that
 * exits or is interrupted never removes its parent's objects. Only
 * async-signal-safe calls are made from the handler (unlink, kill, raise; and
 * shm_unlink/sem_unlink, which are unlink() of a fixed path on glibc and musl). */
#include "unpipc.h"

enum kind { FREE, FILE_PATH, SHM_NAME, SEM_NAME, CHILD_PID, CALL };

struct entry {
	volatile sig_atomic_t kind; /* written last when registering, so the handler sees whole entries */
	pid_t owner;
	pid_t child; /* CHILD_PID */
	void (*fn)(void); /* CALL */
	char name[PATH_MAX];
};

static struct entry table[16];
static bool atexit_done;

static void run_cleanup(int sig)
{
	pid_t self = getpid();
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		struct entry *e = &table[i];
		if (e->kind == FREE || e->owner != self)
			continue;
		switch (e->kind) {
		case FILE_PATH: unlink(e->name); break;
		case SHM_NAME: shm_unlink(e->name); break;
		case SEM_NAME: sem_unlink(e->name); break;
		case CHILD_PID: kill(e->child, sig != 0 ? sig : SIGTERM); break;
		case CALL: e->fn(); break;
		}
		e->kind = FREE;
	}
}

static void cleanup_at_exit(void)
{
	run_cleanup(0);
}

static void on_signal(int sig)
{
	sigset_t set;

	run_cleanup(sig);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig); /* dies here: exit status says which signal stopped us */
}

/* Installed with the first entry, so that a lab and every child it forks
 * (they inherit it) stops cleanly on Ctrl-C, kill, or a closed terminal. */
static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask); /* one cleanup at a time */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void add(enum kind kind, const char *name, pid_t child, void (*fn)(void))
{
	if (!atexit_done) {
		atexit(cleanup_at_exit);
		catch_signals();
		atexit_done = true;
	}
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		struct entry *e = &table[i];
		if (e->kind != FREE)
			continue;
		e->owner = getpid();
		e->child = child;
		e->fn = fn;
		snprintf(e->name, sizeof e->name, "%s", name ? name : "");
		e->kind = kind;
		return;
	}
	err_quit("internal error: cleanup table full");
}

void at_exit_unlink(const char *path) { add(FILE_PATH, path, 0, NULL); }
void at_exit_shm_unlink(const char *name) { add(SHM_NAME, name, 0, NULL); }
void at_exit_sem_unlink(const char *name) { add(SEM_NAME, name, 0, NULL); }
void at_exit_kill(pid_t pid) { add(CHILD_PID, NULL, pid, NULL); }

/* Run fn on every way out too, e.g. to tell a peer through shared memory that
 * we are going. It may run in a signal handler: async-signal-safe calls only. */
void at_exit_call(void (*fn)(void)) { add(CALL, NULL, 0, fn); }

/* Take a name (or, with name NULL, a child pid) off the list: it was removed
 * by the program itself, renamed, or is meant to outlive it. */
static void forget(const char *name, pid_t child)
{
	pid_t self = getpid();
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		struct entry *e = &table[i];
		if (e->kind == FREE || e->owner != self)
			continue;
		if (name ? (e->kind != CHILD_PID && strcmp(e->name, name) == 0)
			 : (e->kind == CHILD_PID && e->child == child))
			e->kind = FREE;
	}
}

void at_exit_forget(const char *path_or_name) { forget(path_or_name, 0); }
void at_exit_forget_child(pid_t pid) { forget(NULL, pid); }

/* Between making something and registering it for removal, a signal would
 * leave it behind: hold SIGINT/SIGTERM/SIGHUP over that gap (they are
 * delivered, with the entry in place, when let go). */
void hold_signals(bool hold)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* Wait for a child; a child that failed or was killed makes the parent fail too. */
void wait_child(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			err_sys("waitpid %ld", (long)pid);
	}
	forget(NULL, pid);
	if (WIFSIGNALED(status))
		err_quit("child %ld killed by signal %d (%s)", (long)pid, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		err_quit("child %ld failed (exit %d)", (long)pid, WEXITSTATUS(status));
}
