/*
 * timeline - draw lab 02's trace as an SVG picture of the race.
 *
 * Reads the "trace:" lines that `02-shared-race -v` prints (any other line is
 * ignored, except "result:", which becomes the caption) and writes an SVG on
 * stdout: one lane per process, one mark per traced increment ("load -> store",
 * left to right in time order), the increments marked LOST filled in red with
 * a dashed line to the other process's load of the same value.
 *
 * The parent's lane is always on top and the child's below it, each in a
 * colour of its own, whoever loaded first; other names follow in the order
 * they appear. The x axis is the order of the events, one column each, not
 * time: the picture says so, and gives each mark's time under it when there
 * is room.
 *
 * The picture carries its own background, light or dark as the viewer
 * prefers, so it reads on light and dark pages alike.
 *
 *   $ bin/02-shared-race -y -v 8 | bin/timeline > build/timeline.svg
 *   $ make timeline             (the same, from a fresh run)
 */
#include "unpipc.h"

#define WHO_MAX 8            /* lanes */
/* trace lines: 02 -v prints at most 2000. Each LOST line looks back over the
 * lines before it for its partner, so a long hostile trace costs the square of
 * its length: a million such lines took minutes. */
#define EVENTS_MAX 20000L

struct event {
	long ns;      /* since the first load */
	int lane;     /* index into who[] */
	long load;    /* value loaded; the store wrote load+1 */
	bool lost;    /* marked "<- LOST" */
	long partner; /* the other process's load of the same value, or -1 */
};

static char who[WHO_MAX][32];
static int colour[WHO_MAX]; /* index into lane_fill[]: goes with the name */
static int nwho;
static struct event *ev;
static long nev;

static const char *lane_fill[WHO_MAX] = {
	"#3b82c4", "#2a9d6f", "#8e6cc2", "#c28a1e", "#3aa0b0", "#b0508a", "#6b8e23", "#7a7a7a"};

/* The length in bytes of the character at s, or 0 if it is not one an XML
 * file may hold: not well-formed UTF-8 (a stray byte, a character cut in two
 * by a %31s), a control character, a surrogate, U+FFFE or U+FFFF. */
static int xml_char(const unsigned char *s)
{
	static const unsigned long shortest[5] = {0, 0, 0x80, 0x800, 0x10000};
	int n = s[0] < 0x80 ? 1 : s[0] < 0xc0 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf8 ? 4 : 0;
	if (n == 0)
		return 0;
	unsigned long c = n == 1 ? s[0] : s[0] & (0x3fu >> (n - 1));
	for (int i = 1; i < n; i++) { /* stops at the NUL: it is no continuation byte */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < shortest[n] || c < 0x20 || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe ||
	    c == 0xffff || c > 0x10ffff)
		return 0;
	return n;
}

/* Print s with the five XML specials escaped, and '?' for each byte that
 * starts no character XML allows: the trace is anyone's text, and one such
 * byte makes the whole SVG unreadable. */
static void put_xml(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		int n = xml_char(p);
		switch (n == 0 ? '?' : *p) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&apos;", stdout); break;
		case '?': putchar('?'); break;
		default: fwrite(p, 1, (size_t)n, stdout);
		}
		p += n == 0 ? 1 : n;
	}
}

static int lane_of(const char *name, bool add)
{
	for (int i = 0; i < nwho; i++)
		if (strcmp(who[i], name) == 0)
			return i;
	if (!add)
		return -1;
	if (nwho == WHO_MAX)
		err_quit("more than %d processes in the trace", WHO_MAX);
	snprintf(who[nwho], sizeof who[nwho], "%s", name);
	return nwho++;
}

/* A word of a trace line as a number: false if it is not one (the header's
 * "ns"). The text is anyone's: a number a long cannot hold is an error here,
 * where sscanf's %ld would be undefined behaviour. */
static bool number(const char *word, long *v, const char *line)
{
	char *end;
	errno = 0;
	*v = strtol(word, &end, 10);
	if (end == word || *end != '\0')
		return false;
	if (errno == ERANGE)
		err_quit("bad trace line (a number out of range): %s", line);
	return true;
}

/* One "trace: NS WHO LOAD -> STORE [<- LOST: OTHER loaded V too]" line. */
static void add_event(const char *line)
{
	long ns, load, store, value;
	char name[32], other[32], w_ns[64], w_load[64], w_store[64], w_value[64];

	if (sscanf(line, "trace: %63s %31s %63s -> %63s", w_ns, name, w_load, w_store) != 4 ||
	    !number(w_ns, &ns, line) || !number(w_load, &load, line) || !number(w_store, &store, line))
		return; /* the header and the summary line */
	if (load == LONG_MAX || store != load + 1) /* load+1 is drawn too: it must not overflow */
		err_quit("bad trace line (store is not load+1): %s", line);
	if (nev == EVENTS_MAX)
		err_quit("more than %ld trace lines (02 -v prints at most 2000)", EVENTS_MAX);
	if (nev % 1024 == 0) {
		struct event *more = realloc(ev, (size_t)(nev + 1024) * sizeof *ev);
		if (more == NULL)
			err_sys("realloc");
		ev = more;
	}
	struct event *e = &ev[nev];
	*e = (struct event){ns, lane_of(name, true), load, false, -1};
	const char *mark = strstr(line, "<- LOST:");
	if (mark != NULL) {
		e->lost = true;
		int lane;
		if (sscanf(mark, "<- LOST: %31s loaded %63s", other, w_value) == 2 &&
		    number(w_value, &value, line) && (lane = lane_of(other, false)) >= 0) {
			for (long k = nev - 1; k >= 0 && e->partner < 0; k--)
				if (ev[k].lane == lane && ev[k].load == value)
					e->partner = k;
		}
	}
	nev++;
}

/* Parent on top, then child, then the other names as they came; each event
 * follows its name to its new lane. */
static void fix_lanes(void)
{
	static const char *fixed[2] = {"parent", "child"};
	char name[WHO_MAX][32];
	int lane[WHO_MAX], n = 0, others = 0;

	for (int i = 0; i < nwho; i++)
		lane[i] = -1;
	for (int f = 0; f < 2; f++) {
		int i = lane_of(fixed[f], false);
		if (i >= 0) {
			colour[n] = f;
			lane[i] = n++;
		}
	}
	for (int i = 0; i < nwho; i++)
		if (lane[i] < 0) {
			colour[n] = (2 + others++) % WHO_MAX;
			lane[i] = n++;
		}
	for (int i = 0; i < nwho; i++)
		memcpy(name[lane[i]], who[i], sizeof name[0]);
	memcpy(who, name, sizeof name[0] * (size_t)nwho);
	for (long k = 0; k < nev; k++)
		ev[k].lane = lane[ev[k].lane];
}

static void draw(const char *title, const char *result)
{
	/* geometry: one column per increment; marks get labels when there is room */
	const double left = 96, top = 78, lane_h = 64, mark_h = 30;
	double col = nev <= 40 ? 56 : 2240.0 / (double)nev;
	if (col < 3)
		col = 3;
	const bool labels = col >= 40;
	const double plot_w = col * (double)nev;
	const double w = left + plot_w + 32, h = top + lane_h * nwho + 96;
	long nlost = 0;
	for (long i = 0; i < nev; i++)
		nlost += ev[i].lost;

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	       "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"13\">\n", w, h, w, h);
	printf("<title>");
	put_xml(title);
	printf("</title>\n<style>\n"
	       ".bg{fill:#ffffff;stroke:#d0d7de}.fg{fill:#1f2328}.dim{fill:#59636e}"
	       ".band{fill:#eef1f4}.axis{stroke:#59636e}.on{fill:#ffffff}"
	       ".lost rect{fill:#d62f2f;stroke:#7a0e0e;stroke-width:2}.lostfg{fill:#c01f1f}"
	       ".link{stroke:#d62f2f;stroke-width:1.5;stroke-dasharray:4 3;fill:none}\n"
	       "@media (prefers-color-scheme: dark){.bg{fill:#0d1117;stroke:#3d444d}"
	       ".fg{fill:#e6edf3}.dim{fill:#9198a1}.band{fill:#161b22}.axis{stroke:#9198a1}"
	       ".lost rect{fill:#e5534b;stroke:#ffb3ad}.lostfg{fill:#ff7b72}.link{stroke:#ff7b72}}\n"
	       "</style>\n");
	printf("<rect class=\"bg\" x=\"0.5\" y=\"0.5\" width=\"%.0f\" height=\"%.0f\" rx=\"8\"/>\n",
	       w - 1, h - 1);
	printf("<text class=\"fg\" x=\"16\" y=\"28\" font-size=\"16\" font-weight=\"bold\">");
	put_xml(title);
	printf("</text>\n<text class=\"dim\" x=\"16\" y=\"50\">%ld increments traced, %ld marked "
	       "LOST: loaded a value the other process had loaded too, so one store "
	       "overwrote the other</text>\n", nev, nlost);

	for (int l = 0; l < nwho; l++) {
		double y = top + lane_h * l;
		printf("<rect class=\"band\" x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"/>\n",
		       left - 8, y + 4, plot_w + 16, lane_h - 8);
		printf("<text class=\"fg\" x=\"16\" y=\"%.0f\" font-weight=\"bold\">", y + lane_h / 2 + 5);
		put_xml(who[l]);
		printf("</text>\n");
	}
	/* the lost links first, so the marks sit on top of them */
	for (long i = 0; i < nev; i++) {
		const struct event *e = &ev[i];
		if (e->partner < 0)
			continue;
		const struct event *p = &ev[e->partner];
		printf("<line class=\"link\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		       left + col * ((double)e->partner + 0.5), top + lane_h * p->lane + lane_h / 2,
		       left + col * ((double)i + 0.5), top + lane_h * e->lane + lane_h / 2);
	}
	for (long i = 0; i < nev; i++) {
		const struct event *e = &ev[i];
		double x = left + col * (double)i, y = top + lane_h * e->lane + (lane_h - mark_h) / 2;
		double pad = col >= 12 ? 4 : 0.5;
		printf("<g class=\"mark%s\"><title>", e->lost ? " lost" : "");
		put_xml(who[e->lane]);
		printf(" at %ld ns: load %ld, store %ld", e->ns, e->load, e->load + 1);
		if (e->lost) {
			printf(" - LOST: ");
			put_xml(e->partner >= 0 ? who[ev[e->partner].lane] : "the other process");
			printf(" loaded %ld too", e->load);
		}
		printf("</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" rx=\"3\" "
		       "fill=\"%s\"/>", x + pad, y, col - 2 * pad, mark_h, lane_fill[colour[e->lane]]);
		if (labels)
			printf("<text class=\"on\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			       "font-size=\"12\">%ld&#8594;%ld</text>", x + col / 2, y + mark_h / 2 + 4,
			       e->load, e->load + 1);
		if (labels && e->lost)
			printf("<text class=\"lostfg\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			       "font-size=\"10\" font-weight=\"bold\">LOST</text>", x + col / 2, y - 4);
		printf("</g>\n");
		if (labels)
			printf("<text class=\"dim\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
			       "font-size=\"10\">%ld</text>\n", x + col / 2, top + lane_h * nwho + 16, e->ns);
	}
	double ay = top + lane_h * nwho + 30;
	printf("<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>\n",
	       left, ay, left + plot_w, ay);
	printf("<text class=\"dim\" x=\"16\" y=\"%.0f\" font-size=\"11\">%s</text>\n",
	       top + lane_h * nwho + 16, labels ? "ns" : "");
	printf("<text class=\"dim\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"end\" font-size=\"11\">"
	       "each mark: load v, store v+1; x: the order of the events, one column each, "
	       "not time%s &#8594;</text>\n", left + plot_w, ay + 16, labels ? " (ns under each mark)" : "");
	if (result[0] != '\0') {
		printf("<text class=\"fg\" x=\"16\" y=\"%.0f\" font-family=\"monospace\">", h - 16);
		put_xml(result);
		printf("</text>\n");
	}
	printf("</svg>\n");
}

int main(int argc, char **argv)
{
	const char *title = "Two processes, one counter, no lock";
	char result[128] = "";
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	prog_init(argv, "[-t TITLE] < TRACE > SVG");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			title = argv[++i];
		else if (strcmp(argv[i], "-t") == 0)
			usage_error("option -t needs a title");
		else
			usage_error("unexpected argument '%s'", argv[i]);
	}
	while ((len = getline(&line, &cap, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (strncmp(line, "trace:", 6) == 0)
			add_event(line);
		else if (strncmp(line, "result:", 7) == 0)
			snprintf(result, sizeof result, "%s", line);
	}
	if (ferror(stdin))
		err_sys("read stdin");
	free(line);
	if (nev == 0)
		err_quit("no trace lines on stdin (try: bin/02-shared-race -y -v 8 | %s)", prog_name());
	fix_lanes();
	draw(title, result);
	if (fflush(stdout) == EOF || ferror(stdout))
		err_sys("write stdout");
	free(ev);
	return 0;
}
