/*
 * check_report.h - the results of `ferry check`, printed in the order of
 * the lines of the checksum files and worded as coreutils 9.1's
 * `sha256sum -c` words them: "NAME: OK", "NAME: FAILED", "NAME: FAILED
 * open or read" (or --json objects) on stdout, the reason a file could not
 * be read, --warn's line numbers and each file's WARNING summary on
 * stderr.
 *
 * The command (cmd_check.c) makes one item per outcome as it reads the
 * lines; an item is printed once it and every item before it are known
 * (a stat answers), so the output follows the file whatever the order of
 * the answers.  Single-threaded, like the engine.
 */
#ifndef FERRY_CLIENT_CHECK_REPORT_H
#define FERRY_CLIENT_CHECK_REPORT_H

#include <stdbool.h>

#include "ferry/limits.h"

enum check_mode { M_NORMAL, M_QUIET, M_STATUS, M_WARN };

struct check_opts {
	enum check_mode mode; /* --quiet, --status, --warn: the last wins */
	bool ignore_missing, strict, json;
	char rdir[FR_PATH_MAX + 1]; /* --remote-dir, as a protocol path */
};

/* One checksum file and its counters (sha256sum's per-file summary). */
struct cfile {
	const char *arg;  /* as given ("-": standard input) */
	const char *show; /* "standard input" or arg */
	unsigned long long bad, unreadable, mismatched;
	bool formatted, matched;
};

enum item_kind { I_CHECK, I_WARN_LINE, I_END, I_CANNOT_OPEN, I_READ_ERROR };
enum item_result { RES_OK, RES_FAILED, RES_UNREADABLE, RES_MISSING };

struct report;

/* One line's outcome (I_CHECK: an entry; the others are known at once). */
struct item {
	struct item *next;
	struct report *rep;
	enum item_kind kind;
	bool done;
	enum item_result result;
	struct cfile *cf;
	unsigned long long line; /* I_WARN_LINE */
	int err;                 /* I_CANNOT_OPEN: errno */
	char hex[65], got[65];   /* expected, and the server's */
	const char *why;         /* RES_UNREADABLE: the reason */
	char *why_buf;
	char *remote;            /* the path asked for, or NULL */
	char name[];             /* as the line named it (unescaped) */
};

struct report {
	const struct check_opts *o;
	struct item *head, *tail;
	unsigned pending; /* items not printed yet */
	bool all_ok;      /* every checksum file passed so far */
	bool oom;
};

void report_init(struct report *rep, const struct check_opts *o);

/* A new item at the end, for checksum file cf (name NULL: none).  NULL
 * when out of memory (rep->oom is set). */
struct item *report_add(struct report *rep, enum item_kind kind,
			struct cfile *cf, const char *name);

/* it could not be read (why is copied when copy is set); counted. */
void report_unreadable(struct item *it, const char *why, bool copy);

/* Print and free every item whose turn has come. */
void report_flush(struct report *rep);

/* Free what is left unprinted (after a failed connection). */
void report_clear(struct report *rep);

#endif
