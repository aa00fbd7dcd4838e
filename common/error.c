/* error.c - program name, usage line and the one error convention:
 * runtime failure -> "prog: context: strerror", exit 1; usage -> exit 2. */
#include "internal.h"

#include <stdarg.h>

static const char *progname = "shmlab";
static const char *usage_line = "";

/* Remember the program name (basename of argv[0]) and its usage line, install
 * the signal handlers that clean up (catch_signals, cleanup.c), and answer
 * -h/--help anywhere before "--" by printing the usage on stdout. */
void prog_init(char **argv, const char *usage)
{
	if (argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');
		progname = slash ? slash + 1 : argv[0];
	}
	usage_line = usage;
	catch_signals();
	for (int i = 1; argv[i] != NULL && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: %s %s\n", progname, usage_line);
			exit(0);
		}
	}
}

const char *prog_name(void)
{
	return progname;
}

/* From now on every message begins "name:" instead of the program's name
 * (copy_role: "09-shm-copy server"). name is kept, not copied: it must
 * outlive the program's last message. */
void prog_rename(const char *name)
{
	progname = name;
}

static void vmsg(const char *fmt, va_list ap, int errnum)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "%s: ", progname);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0;
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	if (errnum != 0) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, ": %s", strerror(errnum));
	}
	fflush(stdout); /* keep our stdout lines before the message */
	fprintf(stderr, "%s\n", buf);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	fprintf(stderr, "usage: %s %s\n", progname, usage_line);
	exit(2);
}

void err_sys(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, errnum);
	va_end(ap);
	exit(1);
}

void err_quit(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

/* For calls that return an error number instead of setting errno
 * (pthread_*, posix_fallocate): "prog: msg: strerror(rc)", exit 1. */
void err_code(int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, rc);
	va_end(ap);
	exit(1);
}

/* A call that returns its error number (pthread_*): 0 passes, anything else
 * is "prog: call: strerror(rc)", exit 1. */
void exit_if_failed(int rc, const char *call)
{
	if (rc != 0)
		err_code(rc, "%s", call);
}
