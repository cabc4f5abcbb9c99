/*
 * sumfile.c - checksum-file lines and name quoting as coreutils 9.1's
 * sha256sum -c has them (sumfile.h).  Written from its documented and
 * observed behaviour (tests/client/test_sumfile.c pins each form, the
 * end-to-end test compares with the real sha256sum): the line forms, the
 * minimum length, the reversed-BSD decision that holds for the whole run,
 * the unescaping, and gnulib's shell quoting of diagnostics.
 *
 * Does not: read files, talk to servers, or decide what a result is
 * (cmd_check.c does).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "sumfile.h"

#define HEX_LEN 64
#define TAG "SHA256"
/* a digest, a blank and a name of at least one byte */
#define MIN_LINE (HEX_LEN + 1 + 1)

static bool white(char c)
{
	return c == ' ' || c == '\t';
}

void sumfile_init(struct sumfile_state *st)
{
	st->bsd_reversed = -1;
}

/* Exactly 64 hex digits, then the end of the string. */
static bool valid_digits(const char *s, size_t len)
{
	size_t i;

	if (len != HEX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[len] == '\0';
}

/* Undo sha256sum's escaping of s[0..len) in place (\\ \n \r; anything
 * else after a backslash, a backslash at the end or a NUL: invalid). */
static bool unescape(char *s, size_t len)
{
	char *dst = s;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			return false;
		if (s[i] != '\\') {
			*dst++ = s[i];
			continue;
		}
		if (++i == len)
			return false;
		if (s[i] == 'n')
			*dst++ = '\n';
		else if (s[i] == 'r')
			*dst++ = '\r';
		else if (s[i] == '\\')
			*dst++ = '\\';
		else
			return false;
	}
	if (dst < s + len)
		*dst = '\0';
	return true;
}

/* "NAME) = HEX" after "SHA256 (": the name ends at the last ')'. */
static bool bsd_line(char *s, size_t len, bool escaped,
		     struct sumfile_entry *e, const char **digest)
{
	size_t i;

	if (len == 0)
		return false;
	i = len - 1;
	while (i && s[i] != ')')
		i--;
	if (s[i] != ')')
		return false;
	e->name = s;
	if (escaped && !unescape(s, i))
		return false;
	s[i++] = '\0';
	while (white(s[i]))
		i++;
	if (s[i] != '=')
		return false;
	i++;
	while (white(s[i]))
		i++;
	*digest = s + i;
	return valid_digits(s + i, len - i);
}

static bool split(struct sumfile_state *st, char *s, size_t len,
		  struct sumfile_entry *e, const char **digest)
{
	bool escaped = false;
	size_t i = 0, d;

	while (white(s[i]))
		i++;
	if (s[i] == '\\') {
		i++;
		escaped = true;
	}
	if (strncmp(s + i, TAG, sizeof(TAG) - 1) == 0) {
		i += sizeof(TAG) - 1;
		if (s[i] == ' ')
			i++;
		if (s[i] != '(')
			return false;
		i++;
		return bsd_line(s + i, len - i, escaped, e, digest);
	}
	/* 9.1 also counts a second backslash here */
	if (len - i < MIN_LINE + (s[i] == '\\'))
		return false;
	*digest = s + i;
	d = i;
	while (s[i] && !white(s[i]))
		i++;
	if (i == len)
		return false;
	s[i++] = '\0';
	if (!valid_digits(*digest, i - 1 - d))
		return false;
	if (len - i == 1 || (s[i] != ' ' && s[i] != '*')) {
		/* "HEX NAME": the reversed BSD form, unless the run already
		 * chose the standard one (a name starting with ' ' or '*'
		 * must not switch forms under an attacker's rename) */
		if (st->bsd_reversed == 0)
			return false;
		st->bsd_reversed = 1;
	} else if (st->bsd_reversed != 1) {
		st->bsd_reversed = 0;
		i++; /* the mode character */
	}
	e->name = s + i;
	return !escaped || unescape(s + i, len - i);
}

enum sumfile_kind sumfile_parse(struct sumfile_state *st, char *line,
				size_t len, bool from_stdin,
				struct sumfile_entry *e)
{
	const char *digest = NULL;
	size_t i;

	e->hex[0] = '\0';
	e->name = NULL;
	if (len == 0 || line[0] == '#')
		return SUMFILE_SKIP;
	if (line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return SUMFILE_SKIP;
	line[len] = '\0';
	if (!split(st, line, len, e, &digest) ||
	    (from_stdin && strcmp(e->name, "-") == 0)) {
		e->name = NULL;
		return SUMFILE_BAD;
	}
	for (i = 0; i < HEX_LEN; i++)
		e->hex[i] = (char)tolower((unsigned char)digest[i]);
	e->hex[HEX_LEN] = '\0';
	return SUMFILE_ENTRY;
}

bool sumfile_needs_escape(const char *name)
{
	return strchr(name, '\n') != NULL;
}

/* ---- output ------------------------------------------------------------ */

struct out {
	char *p;
	size_t n, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->p[o->len++] = c;
}

static void puts_(struct out *o, const char *s)
{
	while (*s)
		put(o, *s++);
}

char *sumfile_show(const char *name, char *out, size_t n)
{
	struct out o = {out, n, 0};

	if (n == 0)
		return out;
	if (!sumfile_needs_escape(name)) {
		puts_(&o, name);
	} else {
		put(&o, '\\');
		for (; *name; name++) {
			if (*name == '\n')
				puts_(&o, "\\n");
			else if (*name == '\r')
				puts_(&o, "\\r");
			else if (*name == '\\')
				puts_(&o, "\\\\");
			else
				put(&o, *name);
		}
	}
	out[o.len] = '\0';
	return out;
}

/* What one unit of the name (a byte, or a multibyte character) is to
 * gnulib's shell quoting. */
enum unit {
	U_SAFE,    /* as it is; fine in double quotes too */
	U_PLAIN,   /* as it is, but gnulib then never uses double quotes */
	U_SPECIAL, /* as it is, but only inside quotes (double: fine) */
	U_HARD,    /* as it is inside single quotes; not in double quotes */
	U_QUOTE,   /* a single quote */
	U_ESCAPE,  /* $'\x' escapes: control characters, unprintable bytes */
};

/* The unit at s[i] (len bytes in all), its length in *m; esc gets the
 * escape letter of a control character, or 0 for octal bytes. */
static enum unit unit_at(const char *s, size_t i, size_t len, size_t *m,
			 char *esc)
{
	unsigned char c = (unsigned char)s[i];
	mbstate_t mb;
	wchar_t w;
	size_t k;

	*m = 1;
	*esc = 0;
	switch (c) {
	case '\a': *esc = 'a'; return U_ESCAPE;
	case '\b': *esc = 'b'; return U_ESCAPE;
	case '\f': *esc = 'f'; return U_ESCAPE;
	case '\n': *esc = 'n'; return U_ESCAPE;
	case '\r': *esc = 'r'; return U_ESCAPE;
	case '\t': *esc = 't'; return U_ESCAPE;
	case '\v': *esc = 'v'; return U_ESCAPE;
	case '\'':
		return U_QUOTE;
	case '{': case '}':
		return len == 1 ? U_SPECIAL : U_PLAIN;
	case '#': case '~':
		return i == 0 ? U_SPECIAL : U_PLAIN;
	case ' ':
		return U_SPECIAL;
	case ':': /* quotef quotes it too (file:line messages) */
		return U_SPECIAL;
	case '!': case '"': case '$': case '&': case '(': case ')': case '*':
	case ';': case '<': case '=': case '>': case '?': case '[': case '\\':
	case '^': case '`': case '|':
		return U_HARD;
	default:
		break;
	}
	if (c < 0x80)
		return isprint(c) ? U_SAFE : U_ESCAPE;
	if (MB_CUR_MAX == 1)
		return isprint(c) ? U_SAFE : U_ESCAPE;
	memset(&mb, 0, sizeof(mb));
	k = mbrtowc(&w, s + i, len - i, &mb);
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0 || !iswprint((wint_t)w))
		return U_ESCAPE; /* each byte escaped on its own */
	*m = k;
	return U_SAFE;
}

char *sumfile_quote(const char *name, char *out, size_t n)
{
	size_t len = strlen(name), i, m;
	bool quote = len == 0, single = false, compat = true, in_esc = false;
	struct out o = {out, n, 0};
	enum unit u;
	char esc;

	if (n == 0)
		return out;
	for (i = 0; i < len; i += m) {
		u = unit_at(name, i, len, &m, &esc);
		quote |= u != U_SAFE && u != U_PLAIN;
		single |= u == U_QUOTE;
		compat &= u == U_SAFE || u == U_SPECIAL || u == U_QUOTE;
	}
	if (!quote) {
		puts_(&o, name);
	} else if (single && compat) {
		/* "it's": nothing else in it needs a backslash */
		put(&o, '"');
		puts_(&o, name);
		put(&o, '"');
	} else {
		put(&o, '\'');
		for (i = 0; i < len; i += m) {
			u = unit_at(name, i, len, &m, &esc);
			if (u == U_ESCAPE) {
				if (!in_esc)
					puts_(&o, "'$'");
				in_esc = true;
				put(&o, '\\');
				if (esc) {
					put(&o, esc);
				} else {
					unsigned char c = (unsigned char)name[i];

					put(&o, (char)('0' + (c >> 6)));
					put(&o, (char)('0' + ((c >> 3) & 7)));
					put(&o, (char)('0' + (c & 7)));
				}
				continue;
			}
			if (u == U_QUOTE) {
				puts_(&o, "'\\''");
				in_esc = false;
				continue;
			}
			if (in_esc)
				puts_(&o, "''");
			in_esc = false;
			for (size_t k = 0; k < m; k++)
				put(&o, name[i + k]);
		}
		put(&o, '\'');
	}
	out[o.len] = '\0';
	return out;
}
