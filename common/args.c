/* args.c - the command line: strict numbers (no atoi, every bad value named),
 * subcommands with their options, and the options a lab takes out of argv
 * before a shared parser sees the rest. */
#include "unpipc.h"

#include <ctype.h>

/* Parse s as a decimal integer in [min, max]. Empty strings, signs where the
 * range has none, trailing junk and overflow are all usage errors that name
 * the bad value. */
long parse_count(const char *s, const char *what, long min, long max)
{
	if (s == NULL)
		s = "";
	if (*s == '\0')
		usage_error("%s is empty (want a number from %ld to %ld)", what, min, max);
	if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && isdigit((unsigned char)s[1])))
		usage_error("%s '%s' is not a number", what, s);
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end != '\0')
		usage_error("%s '%s' is not a number", what, s);
	if (errno == ERANGE || v < min || v > max)
		usage_error("%s '%s' is out of range (want %ld to %ld)", what, s, min, max);
	return v;
}

/* The word after w in a list of operands such as "[FILE] TEXT". */
static const char *next_word(const char *w)
{
	w += strcspn(w, " ");
	return w + strspn(w, " ");
}

/* argv[1] must name a row of cmds; its index is returned. After it, options
 * and operands may come in any order, alike on glibc and musl: getopt() is
 * called only on an argument that starts with '-', so it never reorders argv
 * (glibc) nor stops at an operand (musl). Each option goes to option(), a
 * missing value as "" so that option() says what it wanted; "--" makes the
 * rest operands. Operands fill arg[], a slot per word of the row's operands:
 * an [optional] word gets one only while more are left than required words,
 * else NULL. Usage errors exit 2. */
int subcommand(int argc, char **argv, const struct subcommand *cmds,
	       void (*option)(int letter, const char *value), char **arg)
{
	char want[256] = "", opts[32], *given[8];
	int k, n = 0, min = 0, max = 0;

	for (k = 0; cmds[k].name != NULL; k++) /* "a, b or c" */
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
			 k == 0 ? "" : cmds[k + 1].name ? ", " : " or ", cmds[k].name);
	if (argc < 2)
		usage_error("missing subcommand (want %s)", want);
	for (k = 0; cmds[k].name != NULL && strcmp(cmds[k].name, argv[1]) != 0; k++)
		continue;
	const struct subcommand *s = &cmds[k];
	if (s->name == NULL)
		usage_error("unknown subcommand '%s' (want %s)", argv[1], want);
	for (const char *w = s->operands; *w != '\0'; w = next_word(w))
		max++, min += *w != '[';
	if (max > (int)(sizeof given / sizeof given[0]))
		err_quit("internal error: %s has too many operands", s->name);

	snprintf(opts, sizeof opts, ":%s", s->options); /* ':': we say what is wrong */
	opterr = 0;
	argc--, argv++; /* getopt starts after the subcommand */
	for (bool only_operands = false; optind < argc;) {
		char *a = argv[optind];
		if (only_operands || a[0] != '-' || a[1] == '\0') { /* getopt never sees one */
			if (n == max)
				usage_error("%s: unexpected argument '%s'", s->name, a);
			given[n++] = a, optind++;
		} else if (strcmp(a, "--") == 0) {
			only_operands = true, optind++;
		} else {
			int c = getopt(argc, argv, opts);
			if (c == '?' && a[1] == '-')
				usage_error("%s: unknown option '%s'", s->name, a);
			if (c == '?')
				usage_error("%s: unknown option '-%c'", s->name, optopt);
			option(c == ':' ? optopt : c, c == ':' ? "" : optarg);
		}
	}
	int extra = n - min, i = 0, j = 0;
	for (const char *w = s->operands; *w != '\0'; w = next_word(w), j++) {
		if (*w == '[' && extra-- <= 0)
			arg[j] = NULL;
		else if (i == n)
			usage_error("%s: missing %.*s", s->name, (int)strcspn(w, " "), w);
		else
			arg[j] = given[i++];
	}
	return k;
}

/* Take opt (and, with a value, the word after it, whatever it says, as with
 * getopt) out of argv, before any "--"; the rest, "--" included, is left in
 * order for the lab's own parser. What was taken is returned: the value, or
 * opt itself for a flag; NULL if opt is not there. A value missing, or given
 * twice (which one was meant?), is a usage error. */
static const char *take(int *argc, char **argv, const char *opt, bool with_value)
{
	const char *taken = NULL;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], opt) != 0)
			argv[j++] = argv[i];
		else if (!with_value)
			taken = opt;
		else if (i + 1 == *argc)
			usage_error("option %s needs a value", opt);
		else if (taken != NULL)
			usage_error("option %s given twice", opt);
		else
			taken = argv[++i];
	}
	*argc = j;
	argv[j] = NULL;
	return taken;
}

/* A flag, an option without a value ("--litmus"): was it there? */
bool take_flag(int *argc, char **argv, const char *flag)
{
	return take(argc, argv, flag, false) != NULL;
}

/* An option with a value ("--spin 50"): its value, or NULL. */
const char *take_value(int *argc, char **argv, const char *opt)
{
	return take(argc, argv, opt, true);
}
