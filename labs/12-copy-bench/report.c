/* report.c - what 12-copy-bench prints: the machine it ran on, a Markdown
 * table (readable as it is in a terminal), CSV, and an SVG bar chart. */
#define _DEFAULT_SOURCE /* realpath: XSI, outside POSIX.1-2008 base */
#include "bench.h"

#include <sys/utsname.h>

void size_text(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, bytes == (long)bytes ? "%.0f %s" : "%.1f %s", bytes, unit[u]);
}

/* The file system that holds path: the longest mount point above it in
 * /proc/mounts (Linux); "unknown" elsewhere. */
const char *fs_type(const char *path, char *buf, size_t len)
{
	char real[PATH_MAX], mnt[PATH_MAX], type[64];
	size_t best = 0;

	snprintf(buf, len, "unknown file system");
	FILE *f = fopen("/proc/mounts", "r");
	if (realpath(path, real) == NULL || f == NULL) {
		if (f != NULL)
			fclose(f);
		return buf;
	}
	while (fscanf(f, "%*s %4095s %63s %*[^\n]", mnt, type) == 2) {
		size_t n = strlen(mnt);
		bool above = strncmp(real, mnt, n) == 0 && (n == 1 || real[n] == '/' || real[n] == '\0');
		if (above && n >= best) { /* >=: a later mount hides an earlier one */
			best = n;
			snprintf(buf, len, "%s", type);
		}
	}
	fclose(f);
	return buf;
}

/* "2 cores (model), Linux 6.1.0 x86_64" */
static void machine_text(char *buf, size_t len)
{
	char line[256], model[128] = "";
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && model[0] == '\0' && fgets(line, sizeof line, f) != NULL) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(model, sizeof model, " (%s", colon + 2);
			model[strcspn(model, "\n")] = ')';
		}
	}
	if (f != NULL)
		fclose(f);
	if (uname(&u) == -1)
		err_sys("uname");
	snprintf(buf, len, "%ld cores%s, %s %s %s", sysconf(_SC_NPROCESSORS_ONLN), model, u.sysname,
		 u.release, u.machine);
}

/* "0.12 0.30 0.25": the load average from /proc/loadavg (Linux). */
static const char *load_text(char *buf, size_t len)
{
	char a[16], b[16], c[16];
	FILE *f = fopen("/proc/loadavg", "r");
	if (f != NULL && fscanf(f, "%15s %15s %15s", a, b, c) == 3)
		snprintf(buf, len, "%s %s %s", a, b, c);
	else
		snprintf(buf, len, "unknown");
	if (f != NULL)
		fclose(f);
	return buf;
}

static void print_load(const char *when)
{
	char load[64];
	printf("- load average %s: %s\n", when, load_text(load, sizeof load));
}

void print_header(const struct options *o, const char *title, const char *detail)
{
	char m[512];
	if (o->csv)
		return;
	machine_text(m, sizeof m);
	printf("## %s: %s\n\n", prog_name(), title);
	printf("- machine: %s\n", m);
	print_load("at the start");
	printf("%s\n", detail);
}

void print_footer(const struct options *o)
{
	if (o->csv)
		return;
	printf("\n");
	print_load("at the end");
}

static double mb_s(off_t size, double ms)
{
	return ms > 0 ? (double)size / 1e6 / (ms / 1e3) : 0;
}

static const char *status_text(const struct config *c, char *buf, size_t len)
{
	static const char *const word[] = {"verified", "WRONG", "FAILED", "MISSING"};
	if (c->status == OK)
		return word[OK];
	snprintf(buf, len, "%s: %s", word[c->status], c->why);
	return buf;
}

/* The wall time of method m among c[], 0 if it has none. */
static double wall_of(const struct config *c, size_t n, enum method m, long chunk)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].m == m && c[i].chunk == chunk && c[i].status == OK)
			return c[i].median.wall_ms;
	return 0;
}

static void csv_row(const struct config *c, off_t size, double pipe_ms, double rw_ms)
{
	char buf[300];
	const struct sample *s = &c->median;
	printf("%s,%ld,", methods[c->m].name, c->chunk);
	if (methods[c->m].has_slots)
		printf("%ld", c->slots);
	printf(",%jd,%d,", (intmax_t)size, c->nruns);
	if (c->status == OK)
		printf("%.2f,%.1f,%.1f,%ld,%ld,%ld,%.3f,%.3f,", s->wall_ms, mb_s(size, s->wall_ms),
		       s->cpu_ms, s->maxrss_kib, s->nvcsw, s->nivcsw,
		       pipe_ms > 0 ? s->wall_ms / pipe_ms : 0, rw_ms > 0 ? s->wall_ms / rw_ms : 0);
	else
		printf(",,,,,,,,");
	/* the reason may hold commas: quote it */
	const char *t = status_text(c, buf, sizeof buf);
	putchar('"');
	for (; *t; t++)
		printf(*t == '"' ? "\"\"" : "%c", *t);
	printf("\"\n");
}

#define CSV_HEAD "method,chunk,slots,bytes,runs,wall_ms,mb_s,cpu_ms,maxrss_kib,vol_cs,invol_cs,vs_pipe,vs_rw,result\n"

void print_results(const struct options *o, const struct config *c, size_t n, off_t size)
{
	char buf[300];
	double pipe_ms = wall_of(c, n, PIPE, o->chunk), rw_ms = wall_of(c, n, RW, o->chunk);

	if (o->csv) {
		printf(CSV_HEAD);
		for (size_t i = 0; i < n; i++)
			csv_row(&c[i], size, pipe_ms, rw_ms);
		return;
	}
	printf("| method | copies | wall ms |   MB/s | CPU ms | peak RSS  | vol cs | invol cs | x pipe |  x rw | output   |\n"
	       "|--------|-------:|--------:|-------:|-------:|----------:|-------:|---------:|-------:|------:|----------|\n");
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &c[i].median;
		printf("| %-6s | %6d |", methods[c[i].m].name, methods[c[i].m].copies);
		if (c[i].status == OK) {
			char rss[32];
			size_text(rss, sizeof rss, (double)s->maxrss_kib * 1024);
			printf(" %7.1f | %6.0f | %6.1f | %9s | %6ld | %8ld |", s->wall_ms, mb_s(size, s->wall_ms),
			       s->cpu_ms, rss, s->nvcsw, s->nivcsw);
			if (pipe_ms > 0)
				printf(" %6.2f |", s->wall_ms / pipe_ms);
			else
				printf("      - |");
			if (rw_ms > 0)
				printf(" %5.2f |", s->wall_ms / rw_ms);
			else
				printf("     - |");
		} else {
			printf("         |        |        |           |        |          |        |       |");
		}
		printf(" %s |\n", status_text(&c[i], buf, sizeof buf));
	}
	if (o->svg != NULL) {
		const char *label[NMETHODS], *note[NMETHODS];
		char notes[NMETHODS][64];
		double value[NMETHODS];
		int group[NMETHODS];
		for (size_t i = 0; i < n && i < NMETHODS; i++) {
			double ms = c[i].median.wall_ms;
			label[i] = methods[c[i].m].name;
			value[i] = c[i].status == OK ? mb_s(size, ms) : 0;
			group[i] = methods[c[i].m].copies == 4;
			if (c[i].status != OK)
				snprintf(notes[i], sizeof notes[i], "%s", c[i].status == MISSING ? "not built" : "FAILED");
			else if (pipe_ms > 0)
				snprintf(notes[i], sizeof notes[i], "(time x%.2f of pipe)", ms / pipe_ms);
			else
				notes[i][0] = '\0';
			note[i] = notes[i];
		}
		char title[200], sz[32], ch[32];
		size_text(sz, sizeof sz, (double)size);
		size_text(ch, sizeof ch, (double)o->chunk);
		snprintf(title, sizeof title, "Copying %s, chunk %s: MB/s, median of %ld runs (higher is better)",
			 sz, ch, o->runs);
		struct chart chart = {title, "MB/s", {"2 copies (one process, or shared memory)", "4 copies (pipe)"},
				      n < NMETHODS ? n : NMETHODS, label, value, note, group};
		write_svg(o->svg, &chart);
	}
}

/* Among the OK configurations of method m, the fastest, and the one using the
 * least memory (chunk x slots) within 5% of the fastest. */
static void recommend(const struct config *c, size_t n, enum method m, off_t size, bool *first)
{
	const struct config *best = NULL, *small = NULL;
	char a[32], b[32];

	for (size_t i = 0; i < n; i++)
		if (c[i].m == m && c[i].status == OK && (best == NULL || c[i].median.wall_ms < best->median.wall_ms))
			best = &c[i];
	if (best == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (c[i].m != m || c[i].status != OK || c[i].median.wall_ms > best->median.wall_ms * 1.05)
			continue;
		long mem = c[i].chunk * c[i].slots;
		if (small == NULL || mem < small->chunk * small->slots ||
		    (mem == small->chunk * small->slots && c[i].median.wall_ms < small->median.wall_ms))
			small = &c[i];
	}
	size_text(a, sizeof a, (double)best->chunk);
	size_text(b, sizeof b, (double)small->chunk);
	if (*first) /* a blank line between the table and these */
		printf("\n");
	*first = false;
	if (m == RING)
		printf("- ring: fastest with chunk %s x %ld slots (%.0f MB/s); least memory within 5%%: "
		       "%s x %ld slots (%.0f MB/s)\n", a, best->slots, mb_s(size, best->median.wall_ms), b,
		       small->slots, mb_s(size, small->median.wall_ms));
	else
		printf("- %s: fastest with chunk %s (%.0f MB/s); smallest chunk within 5%%: %s (%.0f MB/s)\n",
		       methods[m].name, a, mb_s(size, best->median.wall_ms), b, mb_s(size, small->median.wall_ms));
}

/* c[] holds, for each chunk size in turn: rw, pipe, shm1, then ring at each slot count. */
void print_sweep(const struct options *o, const struct config *c, size_t n, off_t size,
		 const long *chunks, size_t nchunks, const long *slots, size_t nslots)
{
	size_t per = 3 + nslots;

	if (o->csv) {
		printf(CSV_HEAD);
		for (size_t i = 0; i < n; i++)
			csv_row(&c[i], size, wall_of(c, n, PIPE, c[i].chunk), wall_of(c, n, RW, c[i].chunk));
		return;
	}
	printf("MB/s (median of %ld runs); ring N = the ring with N slots\n\n", o->runs);
	printf("| chunk   |    rw |  pipe |  shm1 |");
	for (size_t s = 0; s < nslots; s++)
		printf(" ring %2ld |", slots[s]);
	printf("\n|---------|------:|------:|------:|");
	for (size_t s = 0; s < nslots; s++)
		printf("--------:|");
	printf("\n");
	for (size_t k = 0; k < nchunks; k++) {
		char ch[32];
		size_text(ch, sizeof ch, (double)chunks[k]);
		printf("| %-7s |", ch);
		for (size_t j = 0; j < per; j++) {
			const struct config *x = &c[k * per + j];
			int w = j < 3 ? 5 : 7;
			if (x->status == OK)
				printf(" %*.0f |", w, mb_s(size, x->median.wall_ms));
			else
				printf(" %*s |", w, x->status == MISSING ? "-" : "fail");
		}
		printf("\n");
	}
	bool first = true;
	recommend(c, n, SHM1, size, &first);
	recommend(c, n, RING, size, &first);
}

/* Text for SVG: &, < and > escaped. */
static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

/* A horizontal bar chart, one bar per method, in plain SVG. */
void write_svg(const char *path, const struct chart *ch)
{
	static const char *const colour[2] = {"#4e79a7", "#e15759"};
	const int left = 90, bar_max = 420, row = 34, top = 96, width = 760;
	char machine[512], load[64];
	double max = 0;

	FILE *f = fopen(path, "w");
	if (f == NULL)
		err_sys("open %s", path);
	for (size_t i = 0; i < ch->n; i++)
		if (ch->value[i] > max)
			max = ch->value[i];
	machine_text(machine, sizeof machine);
	snprintf(machine + strlen(machine), sizeof machine - strlen(machine), "; load average %s",
		 load_text(load, sizeof load));
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
		   "font-family=\"sans-serif\" font-size=\"13\">\n", width, top + ch->n * row + 16);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">");
	svg_text(f, ch->title);
	fprintf(f, "</text>\n<text x=\"10\" y=\"42\" fill=\"#555\">");
	svg_text(f, machine);
	fprintf(f, "</text>\n");
	for (int g = 0; g < 2; g++) {
		fprintf(f, "<rect x=\"%d\" y=\"56\" width=\"14\" height=\"14\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"68\">", 10 + g * 360, colour[g], 30 + g * 360);
		svg_text(f, ch->legend[g]);
		fprintf(f, "</text>\n");
	}
	for (size_t i = 0; i < ch->n; i++) {
		int y = top + (int)i * row;
		int w = max > 0 ? (int)(ch->value[i] / max * bar_max + 0.5) : 0;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + 17);
		svg_text(f, ch->label[i]);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"24\" fill=\"%s\"/>",
			left, y, w, colour[ch->group[i] != 0]);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%.*f %s ", left + w + 6, y + 17,
			ch->value[i] < 100 ? 2 : 0, ch->value[i], ch->unit);
		svg_text(f, ch->note[i]);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
	if (ferror(f) | fclose(f))
		err_sys("write %s", path);
}
