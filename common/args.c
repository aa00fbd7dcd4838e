/* args.c - strict command-line numbers: no atoi, every bad value named. */
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
