/* messages.c - four copies, one message at a time: file -> read() -> buffer
 * -> send -> queue -> receive -> buffer -> write() -> file, through a POSIX
 * (mq) or a System V (msg) message queue. Unlike a pipe, a queue keeps each
 * message whole; the empty one is the end of the file. The system bounds its
 * size (8192 bytes by default): the chunk is the smaller of that and -b. */
#define _GNU_SOURCE /* getentropy, setitimer, RLIMIT_MSGQUEUE */
#include "copiers.h"

#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/time.h>

/* n, or the limit in a /proc file if that is smaller: msgsize_max and msgmax
 * bound a message, msg_max the messages in a POSIX queue. */
static long at_most(long n, const char *path)
{
	FILE *f = fopen(path, "r");
	long max = n;
	if (f != NULL && fscanf(f, "%ld", &max) != 1)
		max = n;
	if (f != NULL)
		fclose(f);
	return max >= 1 && max < n ? max : n;
}

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt the call that waits */
}

/* Neither queue tells a sender that its receiver died: a SIGALRM every second,
 * caught without SA_RESTART, makes a blocked mq_send or msgsnd return EINTR,
 * and the sender looks. (The receiver needs none: fork_peer's SIGTERM.) */
static void wake_every_second(void)
{
	struct sigaction sa;
	struct itimerval it = {{1, 0}, {1, 0}};

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == -1 || setitimer(ITIMER_REAL, &it, NULL) == -1)
		err_sys("setitimer");
}

/* INPUT, message by message, into send(); the empty message last. */
static void send_file(const struct job *j, size_t size, bool (*send)(const char *, size_t), pid_t reader)
{
	ssize_t n;
	wake_every_second();
	do {
		while ((n = read(j->ifd, j->buf, size)) == -1)
			if (errno != EINTR)
				err_sys("read %s", j->in);
		while (!send(j->buf, (size_t)n))
			check_children("the receiver to take a message");
	} while (n > 0);
	wait_peer(reader);
}

/* ---- POSIX: a queue with a name, but only for a moment ---- */
static mqd_t mq;

static bool mq_put(const char *p, size_t n) /* false: interrupted, look and try again */
{
	if (mq_send(mq, p, n, 0) == 0)
		return true;
	if (errno != EINTR)
		err_sys("mq_send");
	return false;
}

void copy_mq(const struct job *j)
{
	char name[IPC_NAME_MAX], part[40];
	unsigned char r[8];
	struct rlimit rl;
	long size = at_most((long)j->chunk, "/proc/sys/fs/mqueue/msgsize_max");
	long depth = at_most(10, "/proc/sys/fs/mqueue/msg_max"); /* 10: the default */

	/* nor more bytes than RLIMIT_MSGQUEUE allows */
	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)depth * (rlim_t)(size + 64) > rl.rlim_cur)
		depth = (long)(rl.rlim_cur / (rlim_t)(size + 64)) > 0 ? (long)(rl.rlim_cur / (rlim_t)(size + 64)) : 1;
	struct mq_attr attr = {.mq_maxmsg = depth, .mq_msgsize = size};
	if (getentropy(r, sizeof r) == -1)
		err_sys("getentropy");
	snprintf(part, sizeof part, "bench-mq.%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
		 r[5], r[6], r[7]);
	ipc_name(name, sizeof name, part);
	/* No signal between open and unlink: the name lives only while we hold
	 * them. The descriptor, inherited by fork, is all both sides need. */
	hold_signals(true);
	mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, FILE_MODE, &attr);
	int err = errno;
	if (mq != (mqd_t)-1)
		mq_unlink(name);
	hold_signals(false);
	if (mq == (mqd_t)-1 && err == ENOSYS)
		unavailable("mq_open: %s: no POSIX message queues in this kernel", strerror(err));
	errno = err;
	if (mq == (mqd_t)-1)
		err_sys("mq_open %s (%ld messages of %ld bytes)", name, depth, size);
	pid_t pid = fork_peer();
	if (pid == 0) { /* the receiver: queue -> OUTPUT */
		ssize_t n;
		while ((n = mq_receive(mq, j->buf, (size_t)size, NULL)) != 0) {
			if (n == -1 && errno != EINTR)
				err_sys("mq_receive");
			if (n > 0)
				write_all(j->ofd, j->buf, (size_t)n, j->out, 0);
		}
		exit(0);
	}
	send_file(j, (size_t)size, mq_put, pid);
	mq_close(mq);
}

/* ---- System V: a queue with no name, removed by its creator ---- */
static int msqid = -1;
static struct message {
	long type; /* > 0; here always 1 */
	char text[];
} *m; /* type at the end of a page, text from the next */

static void remove_queue(void) /* async-signal-safe: msgctl is one system call */
{
	if (msqid != -1)
		msgctl(msqid, IPC_RMID, NULL);
}

static bool msg_put(const char *p, size_t n)
{
	(void)p; /* the bytes are already in m->text: the job's buffer */
	if (msgsnd(msqid, m, n, 0) == 0)
		return true;
	if (errno != EINTR)
		err_sys("msgsnd");
	return false;
}

void copy_msg(const struct job *j)
{
	long size = at_most((long)j->chunk, "/proc/sys/kernel/msgmax");

	/* msgsnd wants type and text side by side, and read() fills text: so that
	 * text starts on a page (see page_buffer), type goes just before it */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *block = page_buffer(page + (size_t)size);
	m = (struct message *)(block + page - offsetof(struct message, text));
	m->type = 1;
	hold_signals(true);
	msqid = msgget(ipc_key(12), IPC_CREAT | IPC_EXCL | FILE_MODE); /* not IPC_PRIVATE: make clean-ipc finds it */
	int err = errno;
	if (msqid != -1)
		at_exit_call(remove_queue);
	hold_signals(false);
	if (msqid == -1 && err == ENOSYS)
		unavailable("msgget: %s: no System V IPC in this kernel", strerror(err));
	errno = err;
	if (msqid == -1)
		err_sys("msgget key 0x%08lx", (unsigned long)ipc_key(12));
	pid_t pid = fork_peer();
	if (pid == 0) { /* the receiver: queue -> OUTPUT */
		ssize_t n;
		while ((n = msgrcv(msqid, m, (size_t)size, 0, 0)) != 0) {
			if (n == -1 && errno != EINTR)
				err_sys("msgrcv");
			if (n > 0)
				write_all(j->ofd, m->text, (size_t)n, j->out, 0);
		}
		exit(0);
	}
	struct job own = *j;
	own.buf = m->text; /* read() straight into the message */
	send_file(&own, (size_t)size, msg_put, pid);
	hold_signals(true);
	remove_queue();
	msqid = -1;
	hold_signals(false);
	free(block);
}
