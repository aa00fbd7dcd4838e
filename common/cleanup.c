/* cleanup.c - remove what a program made on every way out.
 *
 * A lab registers each file, shm name or semaphore name as soon as it creates
 * it, and each child as soon as it forks it. The registry is emptied
 *   - at exit() (normal end, or err_*()): names removed, unwaited children killed;
 *   - on SIGINT/SIGTERM/SIGHUP/SIGPIPE: the same, then the signal is passed
 *     on to the children and re-raised, so the program still dies "by the
 *     signal";
 *   - on the fatal ones (SIGBUS, SIGSEGV, SIGABRT): the same, the children
 *     get SIGTERM; or, for a SIGBUS a lab expects (sigbus_means), a message
 *     and exit status 1.
 * Each entry belongs to the process that registered it: a forked child that
 * exits or is interrupted never removes its parent's objects. Only
 * async-signal-safe calls are made from the handler (unlink, kill, raise; and
 * shm_unlink/sem_unlink, which are unlink() of a fixed path on glibc and musl). */
#include "internal.h"

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

/* Two passes: names, files and children first, then the CALLs, which may
 * touch shared memory (with_calls false: not at all, after a SIGBUS). */
static void run_cleanup(int sig, bool with_calls)
{
	pid_t self = getpid();
	for (int pass = 0; pass < (with_calls ? 2 : 1); pass++) {
		for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
			struct entry *e = &table[i];
			int kind = e->kind;
			if (kind == FREE || e->owner != self || (kind == CALL) != (pass == 1))
				continue;
			e->kind = FREE; /* first: whatever happens in it, it is not run twice */
			switch (kind) {
			case FILE_PATH: unlink(e->name); break;
			case SHM_NAME: shm_unlink(e->name); break;
			case SEM_NAME: sem_unlink(e->name); break;
			case CHILD_PID: kill(e->child, sig != 0 ? sig : SIGTERM); break;
			case CALL: e->fn(); break;
			}
		}
	}
}

static void cleanup_at_exit(void)
{
	run_cleanup(0, true);
}

static const char *volatile bus_meaning; /* sigbus_means(): what a SIGBUS tells */

static void say(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) == -1) {
		/* nothing left to tell it with */
	}
}

static void on_signal(int sig)
{
	sigset_t set;
	bool fault = sig == SIGBUS || sig == SIGSEGV || sig == SIGABRT;

	if (sig == SIGBUS && bus_meaning != NULL) { /* write() is async-signal-safe, stdio is not */
		say(prog_name());
		say(": ");
		say(bus_meaning);
		say("\n");
		run_cleanup(SIGTERM, false); /* the object is what faulted: leave it be */
		_exit(1);
	}
	run_cleanup(fault ? SIGTERM : sig, true);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig); /* dies here: exit status says which signal stopped us */
}

/* Installed by prog_init(), so that every lab and every child it forks
 * (they inherit it) stops cleanly on Ctrl-C, kill, a closed terminal, a
 * reader that went away (`| head`), or a crash. Installed even where the
 * shell left SIGINT ignored (a background job), so the tests can stop a lab
 * in the background as a user at a terminal would. SIGXFSZ (a file-size
 * limit) is ignored: write() and ftruncate() then fail with EFBIG, an error
 * the lab reports like any other. */
void catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGBUS, SIGSEGV, SIGABRT};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask); /* one cleanup at a time */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;
		sigaction(sigs[i], NULL, &old);
		if (sigs[i] == SIGPIPE && old.sa_handler == SIG_IGN)
			continue; /* a writer that chose EPIPE (open_output) keeps it */
		sigaction(sigs[i], &sa, NULL);
	}
	signal(SIGXFSZ, SIG_IGN);
}

/* From now on a SIGBUS means `what` (e.g. the shared object was truncated):
 * say so, clean up and exit 1, instead of dying of it unexplained. */
void sigbus_means(const char *what)
{
	bus_meaning = what;
}

static void add(enum kind kind, const char *name, pid_t child, void (*fn)(void))
{
	if (!atexit_done) {
		atexit(cleanup_at_exit);
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

/* While we wait for something a child may hold (a semaphore has no owner):
 * has a child of ours died, or failed? Then it may never give it back. The
 * child stays a zombie for wait_child (WNOWAIT). */
void check_children(const char *waiting_for)
{
	pid_t self = getpid();
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		siginfo_t si;
		struct entry *e = &table[i];
		if (e->kind != CHILD_PID || e->owner != self)
			continue;
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)e->child, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0 || (si.si_code == CLD_EXITED && si.si_status == 0))
			continue;
		if (waiting_for == NULL) { /* not waiting: said as wait_child says it */
			if (si.si_code == CLD_EXITED)
				err_quit("child %ld failed (exit %d)", (long)e->child, si.si_status);
			err_quit("child %ld killed by signal %d (%s)", (long)e->child, si.si_status,
				 strsignal(si.si_status));
		}
		if (si.si_code == CLD_EXITED)
			err_quit("child %ld failed (exit %d) while we waited for %s: it may have held it",
				 (long)e->child, si.si_status, waiting_for);
		err_quit("child %ld was killed by signal %d (%s) while we waited for %s: it may have "
			 "held it (lab 13 shows a lock that survives this)", (long)e->child,
			 si.si_status, strsignal(si.si_status), waiting_for);
	}
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
