/*
 * conf.h - ferry's configuration files: one reader for ferryd.conf and the
 * client's profiles (~/.config/ferry/config).
 *
 * The format, on top of libinih:
 *     # a comment: a whole line whose first non-blank character is '#'
 *     key = value          one a line; blanks around key and value dropped
 *     [section]            only when the caller allows sections
 * A value is everything after the first '=' to the end of the line (no
 * quoting; a '#' inside a value is part of it).  Keys are made of
 * [A-Za-z0-9_.-] (the programs use their long option names).  Lines end in
 * LF or CRLF.  What is refused, with "FILE:LINE: reason": a line that is
 * neither blank, a comment, a section nor "key = value" (also "key: value",
 * which libinih would take), an empty or oversized key, a section where
 * none is allowed, a NUL or control byte, a line over FR_CONF_LINE_MAX
 * bytes, a file over FR_CONF_FILE_MAX bytes or FR_CONF_MAX_ITEMS items.
 *
 * Does: read and check the syntax, keep every item with its section and
 * line in file order (so callers can apply "later wins", repeatable keys
 * and precedence between sections), resolve path values relative to the
 * file, format errors that name FILE:LINE.
 * Does not: know any key.  Each program's option table decides what a key
 * means, whether it may repeat and whether its value is valid.
 *
 * Not thread-safe (libinih keeps its options in globals): parse from one
 * thread at a time.  A loaded file is read-only and may be shared.
 */
#ifndef FERRY_CONF_H
#define FERRY_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* flags of fr_conf_load / fr_conf_parse */
#define FR_CONF_SECTIONS 1u /* "[name]" headers allowed (client profiles) */

struct fr_conf_item {
	const char *section; /* "" before any header, else the name inside [] */
	const char *key;
	const char *value;   /* may be "" */
	unsigned line;       /* 1-based */
};

struct fr_conf; /* opaque: one loaded file */

/*
 * Read and parse the file at path.  FR_OK with *out (free with
 * fr_conf_free); FR_E_NOT_FOUND when the file does not exist (err says so:
 * callers with a default path treat it as "no file"); FR_E_USAGE for any
 * other failure, with one line in err: "PATH: reason" for a file that
 * cannot be read, "PATH:LINE: reason" for a syntax error.
 */
int fr_conf_load(const char *path, unsigned flags, struct fr_conf **out,
		 char *err, size_t errlen);

/* The same from memory: name is the file name used in messages and for
 * fr_conf_path (its directory is the base of relative paths). */
int fr_conf_parse(const char *name, const char *text, size_t len,
		  unsigned flags, struct fr_conf **out, char *err,
		  size_t errlen);

void fr_conf_free(struct fr_conf *c); /* NULL is a no-op */

/* The file name as given to fr_conf_load / fr_conf_parse. */
const char *fr_conf_name(const struct fr_conf *c);

/* Items in file order; the pointers stay valid until fr_conf_free. */
size_t fr_conf_count(const struct fr_conf *c);
const struct fr_conf_item *fr_conf_get(const struct fr_conf *c, size_t i);

/* True when a "[section]" header of that name appears in the file (an
 * empty section too). */
bool fr_conf_has_section(const struct fr_conf *c, const char *section);

/* The distinct section names in the order of their first header, and
 * the line of that header (line may be NULL); NULL past the end. */
size_t fr_conf_n_sections(const struct fr_conf *c);
const char *fr_conf_section(const struct fr_conf *c, size_t i,
			    unsigned *line);

/* The number of lines of the file. */
unsigned fr_conf_lines(const struct fr_conf *c);

/*
 * A path value as the program should open it: an absolute path as it is,
 * "~/x" below $HOME, anything else relative to the directory of the file
 * (made absolute when the file name was relative).  The string is owned
 * by c.  FR_OK, FR_E_USAGE (value "" or $HOME unset: err names FILE:LINE)
 * or FR_E_NOMEM.
 */
int fr_conf_path(struct fr_conf *c, const struct fr_conf_item *it,
		 const char **out, char *err, size_t errlen);

/* "FILE:LINE: " followed by the formatted reason, into err. */
void fr_conf_error(const struct fr_conf *c, const struct fr_conf_item *it,
		   char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* yes/no, true/false, on/off, 1/0 (any case).  FR_OK or FR_E_USAGE. */
int fr_conf_bool(const char *value, bool *out);

#endif
