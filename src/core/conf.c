/*
 * conf.c - configuration files on top of libinih (see conf.h).
 *
 * libinih splits lines into sections, keys and values; this file feeds it
 * the lines one by one through its stream interface, which is where the
 * checks libinih does not make happen (line numbers, over-long lines, NUL
 * and control bytes, "key: value", sections where none are allowed, key
 * syntax), and keeps the items with their line numbers.
 * Does not: interpret keys (each program's option table does).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "ferry/conf.h"
#include "ferry/err.h"
#include "ferry/limits.h"

struct fr_conf {
	char *name;
	char *dir; /* absolute directory of name, the base of relative paths */
	struct fr_conf_item *items;
	size_t n, cap;
	char **sections; /* every [header] once, in file order */
	unsigned *section_lines; /* the line of its first header */
	size_t n_sections;
	unsigned lines; /* lines read */
	char **extra; /* strings made by fr_conf_path */
	size_t n_extra;
};

/* The parse in progress: the reader and the handler share it. */
struct parse {
	struct fr_conf *c;
	unsigned flags;
	const char *p, *end; /* text not yet given to libinih */
	unsigned line;       /* number of the line libinih holds */
	char *err;
	size_t errlen;
	bool failed; /* err is set */
};

static void vfail(struct parse *ps, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void vfail(struct parse *ps, const char *fmt, va_list ap)
{
	int n;

	if (ps->failed)
		return;
	ps->failed = true;
	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->c->name, ps->line);
	if (n >= 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
}

static void fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ps, fmt, ap);
	va_end(ap);
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

static bool add_section(struct fr_conf *c, const char *name, size_t len,
			unsigned line);

/* Check one line (without its end of line) before libinih sees it. */
static bool check_line(struct parse *ps, const char *s, size_t n)
{
	const char *eq, *colon, *k, *ke;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == 0) {
			fail(ps, "NUL byte in the file");
			return false;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			fail(ps, "control character 0x%02x", ch);
			return false;
		}
	}
	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n == 0 || *s == '#')
		return true;
	if (*s == '[') {
		if (!(ps->flags & FR_CONF_SECTIONS)) {
			fail(ps, "sections ([...]) are not used in this file");
			return false;
		}
		if (s[n - 1] != ']' || n < 3) {
			fail(ps, "a section header is '[name]'");
			return false;
		}
		if (n - 2 > FR_CONF_SECTION_MAX ||
		    memchr(s + 1, ']', n - 2) || memchr(s + 1, '[', n - 2)) {
			fail(ps, "a section name has at most %u characters and "
				 "no brackets", FR_CONF_SECTION_MAX);
			return false;
		}
		/* recorded here, so that an empty section is known too */
		if (!add_section(ps->c, s + 1, n - 2, ps->line)) {
			fail(ps, "out of memory");
			return false;
		}
		return true;
	}
	eq = memchr(s, '=', n);
	colon = memchr(s, ':', n);
	if (!eq || (colon && colon < eq)) {
		fail(ps, "expected 'key = value'");
		return false;
	}
	for (k = s, ke = eq; ke > k && blank(ke[-1]); ke--)
		;
	if (ke == k) {
		fail(ps, "no key before '='");
		return false;
	}
	if ((size_t)(ke - k) > FR_CONF_KEY_MAX) {
		fail(ps, "key longer than %u characters", FR_CONF_KEY_MAX);
		return false;
	}
	for (; k < ke; k++) {
		if (!key_char(*k)) {
			fail(ps, "'%.*s' is not a key (letters, digits, '-', "
				 "'_', '.')", (int)(ke - s), s);
			return false;
		}
	}
	return true;
}

/* libinih's fgets-style reader: the next line, or NULL to stop. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *nl;
	size_t n, body;

	if (ps->failed || ps->p >= ps->end)
		return NULL;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	n = nl ? (size_t)(nl - ps->p) + 1 : (size_t)(ps->end - ps->p);
	ps->line++;
	body = n - (nl ? 1 : 0);
	if (body > 0 && ps->p[body - 1] == '\r')
		body--;
	/* room for the line, a newline and the NUL libinih adds */
	if (body + 2 > (size_t)num || body + 2 > FR_CONF_LINE_MAX) {
		fail(ps, "line longer than %u bytes", FR_CONF_LINE_MAX - 2);
		return NULL;
	}
	if (!check_line(ps, ps->p, body))
		return NULL;
	memcpy(str, ps->p, body);
	str[body] = '\n';
	str[body + 1] = '\0';
	ps->p += n;
	return str;
}

static char *keep(char **slot, const char *s)
{
	*slot = strdup(s);
	return *slot;
}

static bool add_section(struct fr_conf *c, const char *name, size_t len,
			unsigned line)
{
	unsigned *lines;
	char **grown;
	size_t i;

	for (i = 0; i < c->n_sections; i++)
		if (strlen(c->sections[i]) == len &&
		    memcmp(c->sections[i], name, len) == 0)
			return true;
	grown = realloc(c->sections, (c->n_sections + 1) * sizeof(*grown));
	if (!grown)
		return false;
	c->sections = grown;
	lines = realloc(c->section_lines,
			(c->n_sections + 1) * sizeof(*lines));
	if (!lines)
		return false;
	c->section_lines = lines;
	c->sections[c->n_sections] = strndup(name, len);
	if (!c->sections[c->n_sections])
		return false;
	c->section_lines[c->n_sections++] = line;
	return true;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parse *ps = user;
	struct fr_conf *c = ps->c;
	struct fr_conf_item *it;
	char *sec = NULL, *k = NULL, *v = NULL;

	if (c->n >= FR_CONF_MAX_ITEMS) {
		fail(ps, "more than %u settings in one file",
		     FR_CONF_MAX_ITEMS);
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct fr_conf_item *grown =
			realloc(c->items, cap * sizeof(*grown));

		if (!grown)
			goto nomem;
		c->items = grown;
		c->cap = cap;
	}
	if (!keep(&sec, section) || !keep(&k, key) || !keep(&v, value))
		goto nomem;
	it = &c->items[c->n++];
	it->section = sec;
	it->key = k;
	it->value = v;
	it->line = ps->line;
	return 1;
nomem:
	free(sec);
	free(k);
	free(v);
	fail(ps, "out of memory");
	return 0;
}

/* Directory of name, absolute. */
static char *dir_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	char cwd[4096], *d;
	size_t n;

	if (slash == name)
		return strdup("/");
	if (slash && name[0] == '/')
		return strndup(name, (size_t)(slash - name));
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	n = strlen(cwd) + 2 + (slash ? (size_t)(slash - name) : 0);
	d = malloc(n);
	if (d)
		snprintf(d, n, "%s%s%.*s", cwd, slash ? "/" : "",
			 slash ? (int)(slash - name) : 0, name);
	return d;
}

int fr_conf_parse(const char *name, const char *text, size_t len,
		  unsigned flags, struct fr_conf **out, char *err,
		  size_t errlen)
{
	struct parse ps;
	struct fr_conf *c;
	int r;

	*out = NULL;
	err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name)) || !(c->dir = dir_of(name))) {
		fr_conf_free(c);
		snprintf(err, errlen, "%s: out of memory", name);
		return FR_E_NOMEM;
	}
	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.flags = flags;
	ps.p = text;
	ps.end = text + len;
	ps.err = err;
	ps.errlen = errlen;
	if (len > FR_CONF_FILE_MAX) {
		fail(&ps, "larger than %u bytes", FR_CONF_FILE_MAX);
		goto bad;
	}
	/* libinih's options are globals; ours, set before every parse */
	ini_allow_multiline = false;
	ini_allow_bom = true;
	ini_allow_inline_comments = false;
	ini_start_comment_prefixes = "#";
	ini_stop_on_first_error = true;
	ini_allow_no_value = false;
	ini_use_stack = false;
	ini_max_line = FR_CONF_LINE_MAX;
	ini_initial_alloc = FR_CONF_LINE_MAX;
	r = ini_parse_stream(reader, &ps, handler, &ps);
	c->lines = ps.line;
	if (ps.failed)
		goto bad;
	if (r != 0) {
		if (r > 0)
			ps.line = (unsigned)r;
		fail(&ps, r == -2 ? "out of memory" : "cannot parse this line");
		goto bad;
	}
	*out = c;
	return FR_OK;
bad:
	fr_conf_free(c);
	return FR_E_USAGE;
}

int fr_conf_load(const char *path, unsigned flags, struct fr_conf **out,
		 char *err, size_t errlen)
{
	char *text = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, r, e;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? FR_E_NOT_FOUND : FR_E_USAGE;
	}
	/* one byte more than allowed, to tell "too large" from "just fits";
	 * read() rather than fstat: the file may be a pipe (<(...)) */
	text = malloc(FR_CONF_FILE_MAX + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return FR_E_NOMEM;
	}
	while (got <= FR_CONF_FILE_MAX) {
		n = read(fd, text + got, FR_CONF_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			free(text);
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			return FR_E_USAGE;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	r = fr_conf_parse(path, text, got, flags, out, err, errlen);
	free(text);
	return r;
}

void fr_conf_free(struct fr_conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free((char *)c->items[i].section);
		free((char *)c->items[i].key);
		free((char *)c->items[i].value);
	}
	for (i = 0; i < c->n_sections; i++)
		free(c->sections[i]);
	for (i = 0; i < c->n_extra; i++)
		free(c->extra[i]);
	free(c->items);
	free(c->sections);
	free(c->section_lines);
	free(c->extra);
	free(c->name);
	free(c->dir);
	free(c);
}

const char *fr_conf_name(const struct fr_conf *c)
{
	return c->name;
}

size_t fr_conf_count(const struct fr_conf *c)
{
	return c ? c->n : 0;
}

const struct fr_conf_item *fr_conf_get(const struct fr_conf *c, size_t i)
{
	return c && i < c->n ? &c->items[i] : NULL;
}

bool fr_conf_has_section(const struct fr_conf *c, const char *section)
{
	size_t i;

	for (i = 0; c && i < c->n_sections; i++)
		if (strcmp(c->sections[i], section) == 0)
			return true;
	return false;
}

size_t fr_conf_n_sections(const struct fr_conf *c)
{
	return c ? c->n_sections : 0;
}

const char *fr_conf_section(const struct fr_conf *c, size_t i, unsigned *line)
{
	if (!c || i >= c->n_sections)
		return NULL;
	if (line)
		*line = c->section_lines[i];
	return c->sections[i];
}

unsigned fr_conf_lines(const struct fr_conf *c)
{
	return c ? c->lines : 0;
}

void fr_conf_error(const struct fr_conf *c, const struct fr_conf_item *it,
		   char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s:%u: ", c->name, it ? it->line : 0u);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

int fr_conf_path(struct fr_conf *c, const struct fr_conf_item *it,
		 const char **out, char *err, size_t errlen)
{
	const char *v = it->value, *base = c->dir, *home;
	char **grown, *s;
	size_t n;

	*out = NULL;
	if (*v == '\0') {
		fr_conf_error(c, it, err, errlen, "%s: a path is needed",
			      it->key);
		return FR_E_USAGE;
	}
	if (*v == '/') {
		*out = v;
		return FR_OK;
	}
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		home = getenv("HOME");
		if (!home || *home != '/') {
			fr_conf_error(c, it, err, errlen,
				      "%s: '~' needs $HOME", it->key);
			return FR_E_USAGE;
		}
		base = home;
		v += v[1] ? 2 : 1;
	}
	grown = realloc(c->extra, (c->n_extra + 1) * sizeof(*grown));
	if (!grown)
		return FR_E_NOMEM;
	c->extra = grown;
	n = strlen(base) + strlen(v) + 2;
	s = malloc(n);
	if (!s)
		return FR_E_NOMEM;
	snprintf(s, n, "%s%s%s", base,
		 (*v && strcmp(base, "/") != 0) ? "/" : "", v);
	c->extra[c->n_extra++] = s;
	*out = s;
	return FR_OK;
}

int fr_conf_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return FR_OK;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return FR_OK;
		}
	}
	return FR_E_USAGE;
}
