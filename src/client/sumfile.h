/*
 * sumfile.h - checksum files (SHA256SUMS) read exactly as coreutils 9.1's
 * `sha256sum -c` reads them, and names reported exactly as it reports
 * them: the parser and the two printing rules of `ferry check`.
 *
 * Lines: "HEX  NAME" (text mode), "HEX *NAME" (binary mode), the BSD form
 * "SHA256 (NAME) = HEX" (spaces around '=' optional, "SHA256(" too), a
 * leading backslash meaning NAME is escaped (\\, \n, \r), the reversed
 * BSD form "HEX NAME" of `md5 -r` (decided by the first entry of the run:
 * a run does not mix it with the standard form), leading blanks, CRLF
 * endings, comment lines starting with '#', blank lines; hex digits in
 * either case.  Anything else is improperly formatted.
 *
 * Pure: no I/O, no allocation.  The caller reads lines (with their '\n')
 * and owns the buffer, which parsing modifies in place.
 */
#ifndef FERRY_CLIENT_SUMFILE_H
#define FERRY_CLIENT_SUMFILE_H

#include <stdbool.h>
#include <stddef.h>

/* What one run of `check` has decided across its files (sha256sum keeps
 * it for the whole invocation). */
struct sumfile_state {
	int bsd_reversed; /* -1 undecided, 0 standard lines, 1 reversed */
};

void sumfile_init(struct sumfile_state *st);

enum sumfile_kind {
	SUMFILE_SKIP,  /* blank line or comment: not counted at all */
	SUMFILE_ENTRY, /* a checksum line: e->hex, e->name */
	SUMFILE_BAD,   /* improperly formatted */
};

struct sumfile_entry {
	char hex[65];     /* the expected SHA-256, lowercased */
	const char *name; /* inside the line buffer, NUL-terminated, unescaped */
};

/*
 * Parse one line of len bytes as getline returns it (with its '\n', if
 * any; line[len] must be writable: the buffer holds len + 1 bytes at
 * least).  from_stdin: the checksum file is standard input, where a line
 * naming "-" is improperly formatted.
 */
enum sumfile_kind sumfile_parse(struct sumfile_state *st, char *line,
				size_t len, bool from_stdin,
				struct sumfile_entry *e);

/* Whether sha256sum -c prints name escaped: a leading '\' and then \\, \n
 * and \r for backslash, newline and carriage return (9.1 does so for
 * names holding a newline, and only for them). */
bool sumfile_needs_escape(const char *name);

/* name as the "NAME: OK" lines of `sha256sum -c` show it, into out
 * (truncated to fit n).  Returns out. */
char *sumfile_show(const char *name, char *out, size_t n);

/*
 * name quoted as sha256sum's diagnostics quote it (gnulib's quotef: shell
 * escape quoting, ':' quoted too): as it is when nothing in it is special
 * to a shell, else in single quotes with control characters and bytes
 * the current locale cannot print as $'\n' / $'\303' escapes, or in
 * double quotes when a single quote is its only problem.  Into out,
 * truncated to fit n.  Returns out.
 */
char *sumfile_quote(const char *name, char *out, size_t n);

#endif
