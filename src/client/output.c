/*
 * output.c - stdout formats of ferry: sha256sum lines, JSON lines with a
 * small string escaper of our own, human sizes and times.
 *
 * It decides nothing about what to print when; the commands do.  It never
 * uses cJSON (that stays inside the core's json.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry/path.h"

#include "output.h"
#include "progress.h"

static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

void out_json_string(FILE *f, const char *s)
{
	size_t n = strlen(s), i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t sl;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\r') {
			fputs("\\r", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == 0x7F) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, f);
		} else {
			sl = utf8_seq_len(c);
			if (sl == 0 || i + sl > n ||
			    !fr_utf8_valid(s + i, sl)) {
				fputs("\\ufffd", f);
			} else {
				fwrite(s + i, 1, sl, f);
				i += sl;
				continue;
			}
		}
		i++;
	}
	fputc('"', f);
}

void jl_begin(struct jline *j, FILE *f)
{
	j->f = f;
	j->fields = 0;
	fputc('{', f);
}

static void jl_key(struct jline *j, const char *key)
{
	if (j->fields++ > 0)
		fputc(',', j->f);
	out_json_string(j->f, key);
	fputc(':', j->f);
}

void jl_str(struct jline *j, const char *key, const char *val)
{
	jl_key(j, key);
	if (val)
		out_json_string(j->f, val);
	else
		fputs("null", j->f);
}

void jl_u64(struct jline *j, const char *key, uint64_t v)
{
	jl_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void jl_i64(struct jline *j, const char *key, int64_t v)
{
	jl_key(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void jl_seconds(struct jline *j, const char *key, double v)
{
	jl_key(j, key);
	/* The C locale is never changed, so the decimal point is '.'. */
	fprintf(j->f, "%.3f", v >= 0 ? v : 0.0);
}

void jl_bool(struct jline *j, const char *key, bool v)
{
	jl_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void jl_end(struct jline *j)
{
	fputs("}\n", j->f);
	fflush(j->f);
}

/* Code point of the UTF-8 sequence at s (sl bytes, already valid). */
static unsigned utf8_cp(const unsigned char *s, size_t sl)
{
	unsigned cp = sl == 2 ? s[0] & 0x1Fu : sl == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
	size_t i;

	for (i = 1; i < sl; i++)
		cp = cp << 6 | (s[i] & 0x3Fu);
	return cp;
}

static bool cp_unsafe(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
	       cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

char *out_term(char *buf, size_t n, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, o = 0, sl;
	char esc[16];
	unsigned cp;
	int w;

	if (n == 0)
		return buf;
	while (i < len) {
		esc[0] = '\0';
		sl = 1;
		if (u[i] < 0x20 || u[i] == 0x7F) {
			snprintf(esc, sizeof esc, "\\u%04x", u[i]);
		} else if (u[i] >= 0x80) {
			sl = utf8_seq_len(u[i]);
			if (sl == 0 || i + sl > len || !fr_utf8_valid(s + i, sl)) {
				snprintf(esc, sizeof esc, "\\x%02x", u[i]);
				sl = 1;
			} else if (cp_unsafe(cp = utf8_cp(u + i, sl))) {
				snprintf(esc, sizeof esc, "\\u%04x", cp);
			}
		}
		if (esc[0]) {
			w = (int)strlen(esc);
			if (o + (size_t)w >= n)
				break;
			memcpy(buf + o, esc, (size_t)w);
			o += (size_t)w;
		} else {
			if (o + sl >= n)
				break;
			memcpy(buf + o, s + i, sl);
			o += sl;
		}
		i += sl;
	}
	buf[o] = '\0';
	return buf;
}

void out_sum_line(FILE *f, const char *hex, const char *path)
{
	static char safe[3 * 4096 + 64];
	const char *p;

	/* a terminal gets the name made safe to look at (out_term escapes
	 * newlines too); a pipe gets sha256sum's format, byte for byte */
	if (isatty(fileno(f))) {
		fprintf(f, "%s  %s\n", hex, out_term(safe, sizeof safe, path));
		return;
	}

	if (strpbrk(path, "\\\n\r") == NULL) {
		fprintf(f, "%s  %s\n", hex, path);
		return;
	}
	fprintf(f, "\\%s  ", hex);
	for (p = path; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

void out_transfer(const struct cli *cli, const char *op, const char *local,
                  const char *remote, uint64_t size, const char *hex,
                  double seconds, bool skipped)
{
	struct jline j;

	if (cli->quiet)
		return;
	if (cli->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "op", op);
		jl_str(&j, "local", local);
		jl_str(&j, "remote", remote);
		jl_u64(&j, "size", size);
		jl_str(&j, "sha256", hex);
		jl_seconds(&j, "seconds", seconds);
		if (skipped)
			jl_bool(&j, "skipped", true);
		jl_end(&j);
		return;
	}
	progress_clear();
	out_sum_line(stdout, hex, strcmp(op, "get") == 0 ? local : remote);
	fflush(stdout);
}

const char *out_size(char *buf, size_t n, double bytes)
{
	static const char *const units[] = {"B",   "KiB", "MiB",
	                                    "GiB", "TiB", "PiB"};
	size_t u = 0;

	while (bytes >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
		bytes /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%.0f B", bytes);
	else
		snprintf(buf, n, "%.1f %s", bytes, units[u]);
	return buf;
}

const char *out_time(char *buf, size_t n, int64_t t, bool long_form)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, n,
	             long_form ? "%Y-%m-%d %H:%M:%S %z" : "%Y-%m-%d %H:%M",
	             &tm) == 0)
		snprintf(buf, n, "?");
	return buf;
}

int out_finish(int rc)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	/* A reader that went away (ferry ls | head) needs no message. */
	if (errno != EPIPE)
		fprintf(stderr, "ferry: writing to standard output: %s\n",
		        strerror(errno));
	return rc != FX_OK ? rc : FX_LOCAL;
}
