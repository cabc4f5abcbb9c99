/*
 * progress.c - draws the one-line progress bar of a transfer on stderr.
 *
 * It only formats and writes; it never decides whether stderr is a
 * terminal (main.c does) and never touches stdout.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "progress.h"

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

static void draw(struct progress *p, double now)
{
	char line[512], done[32], total[32], rate[32], eta[32], bar[64];
	char from[48] = "";
	double el = now - p->start;
	double bps = el > 0 ? (double)(p->done - p->base) / el : 0;
	unsigned pct = p->total ? (unsigned)(p->done * 100.0 / p->total) : 100;
	int barw, fill, i, w, room;
	size_t lablen = strlen(p->label);

	out_size(done, sizeof done, (double)p->done);
	out_size(total, sizeof total, (double)p->total);
	out_size(rate, sizeof rate, bps);
	if (p->base > 0) {
		char b[32];

		out_size(b, sizeof b, (double)p->base);
		snprintf(from, sizeof from, " (resumed at %s)", b);
	}
	if (bps > 0)
		fmt_eta(eta, sizeof eta, (double)(p->total - p->done) / bps);
	else
		fmt_eta(eta, sizeof eta, -1);

	/* label, bar, then the numbers; the bar shrinks to fit the terminal */
	room = p->width - 1 - 60 - (int)strlen(from);
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
	             (int)lablen, p->label, lablen ? " " : "", bar, done, total,
	             pct, rate, eta, from);
	if (w > 0)
		fputs(line, stderr);
	p->last_draw = now;
}

void progress_start(struct progress *p, bool on, const char *label,
                    uint64_t total)
{
	struct winsize ws;

	memset(p, 0, sizeof *p);
	p->on = on;
	p->label = label;
	p->total = total;
	p->start = cli_now();
	p->width = 80;
	if (on && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		p->width = ws.ws_col;
	if (on)
		draw(p, p->start);
}

void progress_add(struct progress *p, uint64_t n)
{
	double now;

	p->done += n;
	if (!p->on)
		return;
	now = cli_now();
	if (now - p->last_draw >= 0.1 || p->done == p->total)
		draw(p, now);
}

void progress_resume(struct progress *p, uint64_t offset)
{
	p->done = p->base = offset;
	p->start = cli_now();
	if (p->on)
		draw(p, p->start);
}

void progress_end(struct progress *p)
{
	if (p->on)
		fputs("\r\033[K", stderr);
	p->on = false;
}
