/*
 * progress.c - draws the command's progress bar on stderr (progress.h).
 *
 * It only formats and writes; it never decides whether stderr is a
 * terminal (main.c does) and never touches stdout.  One bar per process:
 * the engine is single-threaded.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

static struct {
	bool on, shown;
	uint64_t total, done, skipped;
	unsigned files;
	double start, last_draw;
	int width; /* terminal columns */
	char label[256];
} g;

void progress_init(bool on)
{
	struct winsize ws;

	memset(&g, 0, sizeof(g));
	g.on = on;
	g.start = cli_now();
	g.width = 80;
	if (on && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		g.width = ws.ws_col;
}

static void fmt_eta(char *buf, size_t n, double secs)
{
	unsigned long s;

	if (secs < 0 || secs > 360000.0) {
		snprintf(buf, n, "--:--");
		return;
	}
	s = (unsigned long)(secs + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
		         s % 60);
	else
		snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
}

static void draw(double now)
{
	char line[512], done[32], total[32], rate[32], eta[32], bar[64];
	char extra[48] = "";
	double el = now - g.start;
	double bps = el > 0 ? (double)(g.done - g.skipped) / el : 0;
	unsigned pct = g.total ? (unsigned)(g.done * 100.0 / g.total) : 100;
	int barw, fill, i, w, room;
	size_t lablen = strlen(g.label);

	out_size(done, sizeof done, (double)g.done);
	out_size(total, sizeof total, (double)g.total);
	out_size(rate, sizeof rate, bps);
	if (g.files > 0)
		snprintf(extra, sizeof extra, " %u file%s", g.files,
		         g.files == 1 ? "" : "s");
	fmt_eta(eta, sizeof eta,
	        bps > 0 && g.total >= g.done ? (double)(g.total - g.done) / bps
	                                     : -1);
	/* label, bar, then the numbers; the bar shrinks to fit the terminal */
	room = g.width - 1 - 60 - (int)strlen(extra);
	if (room > (int)lablen + 12)
		room -= (int)lablen;
	else if (room > 12)
		lablen = (size_t)(room - 12), room = 12;
	else
		lablen = 0;
	barw = room > 40 ? 40 : room;
	if (barw < 0)
		barw = 0;
	fill = barw * (int)(pct > 100 ? 100 : pct) / 100;
	i = 0;
	if (barw > 0) {
		bar[i++] = '[';
		for (; i <= barw && i < (int)sizeof bar - 3; i++)
			bar[i] = i <= fill ? '#' : '.';
		bar[i++] = ']';
		bar[i++] = ' ';
	}
	bar[i] = '\0';
	w = snprintf(line, sizeof line,
	             "\r%.*s%s%s%10s / %-10s %3u%% %10s/s ETA %s%s\033[K",
	             (int)lablen, g.label, lablen ? " " : "", bar, done, total,
	             pct > 100 ? 100 : pct, rate, eta, extra);
	if (w > 0)
		fputs(line, stderr);
	g.shown = true;
	g.last_draw = now;
}

void progress_expect(uint64_t n)
{
	g.total += n;
}

void progress_add(const char *label, uint64_t n)
{
	double now;

	g.done += n;
	if (!g.on)
		return;
	/* names come from the server too: nothing but printable text */
	out_term(g.label, sizeof g.label, label);
	now = cli_now();
	if (now - g.last_draw >= 0.1 || g.done == g.total)
		draw(now);
}

void progress_skip(uint64_t n)
{
	g.done += n;
	g.skipped += n;
}

void progress_file_done(void)
{
	g.files++;
}

void progress_clear(void)
{
	if (g.on && g.shown)
		fputs("\r\033[K", stderr);
	g.shown = false;
}
