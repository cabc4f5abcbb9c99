/*
 * log.c - one-line log records (see log.h).
 *
 * Records are built in a stack buffer and written with one write(2) so
 * lines from different threads never interleave.  JSON strings are escaped
 * here by hand: log.c must not depend on the protocol module.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/log.h"

/* atomic: a SIGHUP may change it while workers log; a line may use
 * either format, never a mix (each line reads it once) */
static _Atomic int log_format_v = FR_LOG_TEXT;

void fr_log_set_format(enum fr_log_format f)
{
	atomic_store_explicit(&log_format_v, (int)f, memory_order_relaxed);
}

static int current_format(void)
{
	return atomic_load_explicit(&log_format_v, memory_order_relaxed);
}

struct line {
	char buf[8192];
	size_t n;
	int format; /* enum fr_log_format, read once per line */
};

static void put(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	if (l->n >= sizeof(l->buf) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n += (size_t)r < sizeof(l->buf) - l->n ? (size_t)r
							 : sizeof(l->buf) - 1 - l->n;
}

/* Append s as text (control characters as '?') or as a JSON string. */
static void put_str(struct line *l, const char *s)
{
	if (s == NULL)
		s = "";
	if (l->format == FR_LOG_JSON)
		put(l, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (l->format == FR_LOG_JSON) {
			if (*p == '"' || *p == '\\')
				put(l, "\\%c", *p);
			else if (*p < 0x20 || *p == 0x7f)
				put(l, "\\u%04x", *p);
			else
				put(l, "%c", *p);
		} else {
			put(l, "%c", (*p < 0x20 || *p == 0x7f) ? '?' : *p);
		}
	}
	if (l->format == FR_LOG_JSON)
		put(l, "\"");
}

static void put_time(struct line *l)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char t[96];
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	if (l->format == FR_LOG_JSON)
		put(l, "{\"time\":\"%s\"", t);
	else
		put(l, "%s", t);
}

static void flush(struct line *l)
{
	if (l->format == FR_LOG_JSON)
		put(l, "}");
	if (l->n >= sizeof(l->buf) - 1)
		l->n = sizeof(l->buf) - 2;
	l->buf[l->n++] = '\n';
	const char *p = l->buf;
	size_t left = l->n;
	while (left) {
		ssize_t w = write(STDERR_FILENO, p, left);
		if (w <= 0)
			return;
		p += w;
		left -= (size_t)w;
	}
}

static const char *level_name[] = {"error", "warn", "info", "debug"};

void fr_log(enum fr_log_level level, const char *fmt, ...)
{
	struct line l = {.n = 0, .format = current_format()};
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	put_time(&l);
	if (l.format == FR_LOG_JSON) {
		put(&l, ",\"level\":\"%s\",\"msg\":", level_name[level]);
		put_str(&l, msg);
	} else {
		put(&l, " %s ", level_name[level]);
		put_str(&l, msg);
	}
	flush(&l);
}

void fr_log_request(const struct fr_log_req *r)
{
	struct line l = {.n = 0, .format = current_format()};
	double mbs = r->seconds > 0 ? (double)r->bytes / 1e6 / r->seconds : 0;
	put_time(&l);
	if (l.format == FR_LOG_JSON) {
		put(&l, ",\"level\":\"info\",\"peer\":");
		put_str(&l, r->peer);
		put(&l, ",\"identity\":");
		put_str(&l, r->identity);
		put(&l, ",\"op\":");
		put_str(&l, r->op);
		put(&l, ",\"path\":");
		put_str(&l, r->path);
		if (r->to) {
			put(&l, ",\"to\":");
			put_str(&l, r->to);
		}
		put(&l, ",\"bytes\":%llu,", (unsigned long long)r->bytes);
		if (r->offset)
			put(&l, "\"offset\":%llu,",
			    (unsigned long long)r->offset);
		put(&l, "\"seconds\":%.3f,\"mbps\":%.1f,\"sha256\":",
		    r->seconds, mbs);
		put_str(&l, r->sha256);
		if (r->sha256_from) {
			put(&l, ",\"sha256_from\":");
			put_str(&l, r->sha256_from);
		}
		put(&l, ",\"result\":");
		put_str(&l, r->result);
		if (r->message) {
			put(&l, ",\"message\":");
			put_str(&l, r->message);
		}
	} else {
		put(&l, " req peer=");
		put_str(&l, r->peer);
		put(&l, " id=");
		put_str(&l, r->identity);
		put(&l, " op=");
		put_str(&l, r->op);
		put(&l, " path=");
		put_str(&l, r->path == NULL ? "-" : *r->path ? r->path : "/");
		if (r->to) {
			put(&l, " to=");
			put_str(&l, r->to);
		}
		put(&l, " bytes=%llu", (unsigned long long)r->bytes);
		if (r->offset)
			put(&l, " offset=%llu", (unsigned long long)r->offset);
		put(&l, " secs=%.3f MB/s=%.1f sha256=", r->seconds, mbs);
		put_str(&l, r->sha256 && *r->sha256 ? r->sha256 : "-");
		if (r->sha256_from) {
			put(&l, " sha256_from=");
			put_str(&l, r->sha256_from);
		}
		put(&l, " result=");
		put_str(&l, r->result);
		if (r->message) {
			put(&l, " msg=\"");
			put_str(&l, r->message);
			put(&l, "\"");
		}
	}
	flush(&l);
}
