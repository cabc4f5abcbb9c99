/*
 * xfer.h - the kinds of jobs the commands create (engine.h runs them):
 * xput.c (upload one file or stdin), xget.c (download one file or to
 * stdout), xmisc.c (list, stat, delete, mkdir, rename).
 *
 * Every constructor copies its strings; NULL means out of memory (the
 * caller says so).  Borrowed descriptors and options must outlive the
 * engine run.
 */
#ifndef FERRY_CLIENT_XFER_H
#define FERRY_CLIENT_XFER_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/proto.h"

#include "cli.h"
#include "engine.h"

/* Upload local (a path, or "-" for stdin) to remote.  With top_fd >= 0,
 * local is shown but the file opened is rel below top_fd, without
 * following any symlink (a tree walk); otherwise local is opened as
 * given. */
struct job *xput_new(const struct xfer_opts *o, const char *local,
		     int top_fd, const char *rel, const char *remote);

/* Download remote.  local is what the output line shows ("-": standard
 * output).  With top_fd >= 0 the file goes to rel below top_fd, whose
 * missing directories are created and where no symlink is ever followed
 * (a tree); otherwise local is the path as the user gave it.  size: the
 * size a listing announced (for the window), 0 if unknown. */
struct job *xget_new(const struct xfer_opts *o, const char *remote,
		     const char *local, int top_fd, const char *rel,
		     uint64_t size);

/* The answer of a stat, list, delete or mkdir, for the command: r is NULL
 * when the job failed before an answer (rc says how); for list, done is
 * called once per frame with r->entries and once more at the end with
 * r == NULL and rc FX_OK.  Returning an FX_* status other than FX_OK from
 * a list callback stops that listing. */
typedef int (*xmisc_done)(void *arg, const char *remote,
			  const struct fr_response *r, int rc);

/* stat (sum: want_sha256).  cmd names the command in messages.  A refusal
 * is reported (one line) unless quiet_refusal; done is called either
 * way. */
struct job *xstat_new(const char *cmd, const char *remote, bool want_sha256,
		      bool quiet_refusal, xmisc_done done, void *arg);

/* list (recursive when the lane speaks protocol 2 and recursive is set). */
struct job *xlist_new(const char *cmd, const char *remote, bool recursive,
		      bool quiet_refusal, xmisc_done done, void *arg);

/* delete; prints "removed REMOTE" (or its JSON) unless -q; done (may be
 * NULL) hears of the outcome as for stat (r NULL with FX_OK: removed by
 * an attempt whose answer was lost). */
struct job *xdelete_new(const char *remote, xmisc_done done, void *arg);

/* mkdir (protocol 2; with parents, an existing directory is fine).  With
 * say, prints "created directory REMOTE" when the server made it (--json:
 * {"op":"mkdir","remote","created"}); else nothing. */
struct job *xmkdir_new(const char *cmd, const char *remote, bool parents,
		       bool say);

/* rename from to to on the server (protocol 2), replacing a file only
 * with overwrite; prints "renamed FROM -> TO" (--json {"op":"mv","from",
 * "to"}) unless -q; done as for stat (may be NULL). */
struct job *xrename_new(const char *from, const char *to, bool overwrite,
			xmisc_done done, void *arg);

#endif
