/*
 * xmisc.c - the jobs without a body: list, stat, delete, mkdir and rename.
 *
 * Does: send the request and check the answer's shape (every field the
 * command will read is present and in range); list frames are handed to
 * the command as they come, with the listing's own limits enforced (no
 * empty frame before the last, at most FR_CLIENT_LIST_MAX entries, no
 * depths in a flat listing).  A listing cut by a dropped connection is
 * asked again and the entries already delivered are skipped.
 * A delete asked again after a dropped connection that finds nothing
 * there was done by the attempt whose answer was lost: it counts as
 * removed.  mkdir and rename need protocol 2: on an older server they
 * fail with one line naming it.
 * Does not: print results (the command's callback does), except the
 * "removed", "renamed" and (when asked) "created directory" lines and
 * the refusals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "output.h"
#include "progress.h"
#include "xfer.h"

enum kind { K_STAT, K_LIST, K_DELETE, K_MKDIR, K_RENAME };

struct xmisc {
	struct job job;
	enum kind kind;
	const char *cmd;
	char *remote;
	char *to;   /* rename: the new name */
	bool flag;  /* stat: sha256; list: recursive; mkdir: parents;
		       rename: overwrite */
	bool say;   /* mkdir: print "created directory" */
	bool quiet; /* refusals are the callback's to report */
	bool recursive; /* this attempt's listing is recursive */
	bool stopped;   /* the callback wants no more entries */
	uint64_t seen;  /* list entries delivered, over all attempts */
	uint64_t count; /* list entries of this attempt */
	unsigned depth; /* recursive list: the depth the next entry may have */
	xmisc_done done;
	void *arg;
};

static struct xmisc *X(struct job *j)
{
	return j->priv;
}

static int misc_start(struct lane *l, struct job *j)
{
	struct xmisc *x = X(j);
	int rc;

	switch (x->kind) {
	case K_STAT:
		rc = fr_req_stat(&l->out, x->remote, x->flag);
		break;
	case K_LIST:
		x->recursive = x->flag && lane_proto(l) >= 2;
		x->count = 0;
		x->depth = 0;
		rc = fr_req_list(&l->out, x->remote, x->recursive);
		break;
	case K_DELETE:
		rc = fr_req_delete(&l->out, x->remote);
		break;
	case K_MKDIR:
	case K_RENAME:
		if (lane_proto(l) < 2) {
			cli_say("%s %s: %s needs ferryd 0.2 or later (protocol "
				"2); %s runs %s",
				x->cmd, x->remote,
				x->kind == K_MKDIR
					? "creating a directory of its own"
					: "renaming on the server",
				l->s.where, l->s.hello.server);
			job_status(j, FX_REFUSED);
			return JN_DONE;
		}
		rc = x->kind == K_MKDIR
			     ? fr_req_mkdir(&l->out, x->remote, x->flag)
			     : fr_req_rename(&l->out, x->remote, x->to,
					     x->flag);
		break;
	default:
		rc = FR_E_INTERNAL;
		break;
	}
	if (rc != FR_OK) {
		cli_say("%s %s: cannot build the request: %s", x->cmd,
			x->remote, fr_err_str(rc));
		job_status(j, FX_USAGE);
		if (x->done)
			(void)x->done(x->arg, x->remote, NULL, FX_USAGE);
		return JN_DONE;
	}
	return JN_FRAME;
}

static void print_removed(const struct cli *cli, const struct xmisc *x)
{
	struct jline jl;

	if (cli->quiet)
		return;
	progress_clear();
	if (cli->json) {
		jl_begin(&jl, stdout);
		jl_str(&jl, "op", "rm");
		jl_str(&jl, "remote", x->remote);
		jl_end(&jl);
	} else {
		printf("removed %s\n", x->remote);
		fflush(stdout);
	}
}

/* What to do about a refusal, where the code's default hint would be
 * wrong for this kind of job (NULL: the default). */
static const char *hint(const struct xmisc *x, const struct fr_response *r)
{
	if (x->kind == K_DELETE && r->err == FR_E_NOT_EMPTY)
		/* rm -r's deletes have a callback; plain rm's do not */
		return x->done ? "it holds what the server does not list: "
				 "symlinks, special files or an upload in "
				 "progress"
			       : "use rm -r to delete a tree";
	if (x->kind == K_MKDIR && r->err == FR_E_EXISTS)
		return x->flag ? "a file has that name"
			       : "mkdir -p accepts an existing directory";
	if (x->kind == K_RENAME && r->err == FR_E_INVALID_PATH &&
	    r->message[0])
		return ""; /* the server says why */
	return NULL;
}

static int refused(struct lane *l, struct xmisc *x, const struct fr_response *r)
{
	int rc = FX_REFUSED;

	if (x->kind == K_DELETE && r->err == FR_E_NOT_FOUND &&
	    x->job.tries > 0) {
		/* the attempt whose answer the dropped connection lost */
		print_removed(engine_cli(x->job.e), x);
		if (x->done)
			(void)x->done(x->arg, x->remote, NULL, FX_OK);
		return JN_DONE;
	}

	if (!x->quiet)
		rc = sess_refused(&l->s, r, x->cmd, x->remote, hint(x, r));
	if (r->err == FR_E_BUSY || r->err == FR_E_TIMEOUT) {
		if (x->quiet)
			(void)sess_refused(&l->s, r, x->cmd, x->remote, NULL);
		l->err_printed = true;
		return r->err;
	}
	if (!x->quiet)
		job_status(&x->job, rc);
	if (x->done)
		(void)x->done(x->arg, x->remote, r, rc);
	return JN_DONE;
}

/* SECURITY: a recursive listing's shape, for the whole frame before any
 * of it reaches the command: an entry belongs to the directory listed
 * last at the depth above it, so no entry can claim a parent it does not
 * have (where get -r would write it, what rm -r would delete). */
static bool shape_ok(struct xmisc *x, const struct fr_response *r)
{
	unsigned depth = x->depth;
	size_t i;

	for (i = 0; i < r->n_entries; i++) {
		const struct fr_entry *en = &r->entries[i];

		if (en->depth > depth)
			return false;
		depth = en->depth + (en->is_dir && !en->truncated);
	}
	x->depth = depth;
	return true;
}

static int list_frame(struct lane *l, struct xmisc *x,
		      const struct fr_response *r)
{
	struct fr_response part;
	uint64_t skip = 0;
	size_t i;

	if (!r->has_entries)
		return sess_protocol(&l->s, "listing without entries",
				     "listing");
	if (r->n_entries == 0 && r->more)
		return sess_protocol(&l->s, "an empty listing frame that "
					    "says more follow",
				     "listing");
	x->count += r->n_entries;
	if (x->count > FR_CLIENT_LIST_MAX)
		return sess_protocol(&l->s, "a listing of more than 10 "
					    "million entries",
				     "listing");
	for (i = 0; i < r->n_entries && !x->recursive; i++)
		if (r->entries[i].depth > 0 || r->entries[i].truncated)
			return sess_protocol(&l->s, "a tree in a flat listing",
					     "listing");
	if (x->recursive && !shape_ok(x, r))
		return sess_protocol(&l->s, "an entry deeper than the directory "
					    "it follows",
				     "listing");
	if (x->done && !x->stopped) {
		/* a listing asked again: skip what was delivered */
		if (x->count - r->n_entries < x->seen)
			skip = x->seen - (x->count - r->n_entries);
		if (skip < r->n_entries) {
			part = *r;
			part.entries = r->entries + skip;
			part.n_entries = r->n_entries - (size_t)skip;
			x->seen += part.n_entries;
			if (x->done(x->arg, x->remote, &part, FX_OK) != FX_OK)
				x->stopped = true;
		}
	}
	if (r->more)
		return JN_FRAME;
	if (x->done && !x->stopped)
		(void)x->done(x->arg, x->remote, NULL, FX_OK);
	return JN_DONE;
}

static int misc_frame(struct lane *l, struct job *j, const struct fr_response *r)
{
	struct xmisc *x = X(j);
	const struct cli *cli = engine_cli(j->e);
	struct jline jl;

	if (r->status == FR_ST_ERROR)
		return refused(l, x, r);
	if (r->status != FR_ST_OK)
		return sess_unexpected(&l->s, r, x->cmd);
	switch (x->kind) {
	case K_LIST:
		return list_frame(l, x, r);
	case K_STAT:
		if (!r->has_type || !r->has_size || !r->has_mtime ||
		    (x->flag && !r->is_dir && !r->has_sha256))
			return sess_protocol(&l->s, "stat answer without type, "
						    "size, mtime or sha256",
					     "reading a stat answer");
		break;
	case K_DELETE:
		print_removed(cli, x);
		break;
	case K_RENAME:
		if (cli->quiet)
			break;
		progress_clear();
		if (cli->json) {
			jl_begin(&jl, stdout);
			jl_str(&jl, "op", "mv");
			jl_str(&jl, "from", x->remote);
			jl_str(&jl, "to", x->to);
			jl_end(&jl);
		} else {
			printf("renamed %s -> %s\n", x->remote, x->to);
			fflush(stdout);
		}
		break;
	case K_MKDIR:
		if (!x->say || cli->quiet)
			break;
		if (cli->json) {
			jl_begin(&jl, stdout);
			jl_str(&jl, "op", "mkdir");
			jl_str(&jl, "remote", x->remote);
			jl_bool(&jl, "created", !r->has_created || r->created);
			jl_end(&jl);
		} else if (!r->has_created || r->created) {
			progress_clear();
			printf("created directory %s\n", x->remote);
			fflush(stdout);
		}
		break;
	default:
		break;
	}
	if (x->done)
		(void)x->done(x->arg, x->remote, r, FX_OK);
	return JN_DONE;
}

static int misc_raw(struct lane *l, struct job *j, const uint8_t *p, size_t n)
{
	(void)j;
	(void)p;
	(void)n;
	return sess_protocol(&l->s, "raw bytes where a frame belongs",
			     "reading");
}

static int misc_body(struct lane *l, struct job *j, bool *end)
{
	(void)l;
	(void)j;
	*end = true;
	return FR_OK;
}

static bool misc_dropped(struct job *j)
{
	(void)j;
	return true; /* asked again; a listing skips what it delivered */
}

static void misc_free(struct job *j)
{
	struct xmisc *x = X(j);

	free(x->remote);
	free(x->to);
	free(x);
}

static const struct job_ops misc_ops[] = {
	[K_STAT] = {"stat", misc_start, misc_body, misc_frame, misc_raw,
		    misc_dropped, NULL, misc_free},
	[K_LIST] = {"ls", misc_start, misc_body, misc_frame, misc_raw,
		    misc_dropped, NULL, misc_free},
	[K_DELETE] = {"rm", misc_start, misc_body, misc_frame, misc_raw,
		      misc_dropped, NULL, misc_free},
	[K_MKDIR] = {"mkdir", misc_start, misc_body, misc_frame, misc_raw,
		     misc_dropped, NULL, misc_free},
	[K_RENAME] = {"mv", misc_start, misc_body, misc_frame, misc_raw,
		      misc_dropped, NULL, misc_free},
};

static struct job *misc_new(enum kind kind, const char *cmd,
			    const char *remote, bool flag, bool quiet,
			    xmisc_done done, void *arg)
{
	struct xmisc *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->remote = strdup(remote);
	if (!x->remote) {
		free(x);
		return NULL;
	}
	x->kind = kind;
	x->cmd = cmd;
	x->flag = flag;
	x->quiet = quiet;
	x->done = done;
	x->arg = arg;
	x->job.ops = &misc_ops[kind];
	x->job.priv = x;
	x->job.what = x->remote;
	return &x->job;
}

struct job *xstat_new(const char *cmd, const char *remote, bool want_sha256,
		      bool quiet_refusal, xmisc_done done, void *arg)
{
	return misc_new(K_STAT, cmd, remote, want_sha256, quiet_refusal, done,
			arg);
}

struct job *xlist_new(const char *cmd, const char *remote, bool recursive,
		      bool quiet_refusal, xmisc_done done, void *arg)
{
	return misc_new(K_LIST, cmd, remote, recursive, quiet_refusal, done,
			arg);
}

struct job *xdelete_new(const char *remote, xmisc_done done, void *arg)
{
	return misc_new(K_DELETE, "rm", remote, false, false, done, arg);
}

struct job *xmkdir_new(const char *cmd, const char *remote, bool parents,
		       bool say)
{
	struct job *j = misc_new(K_MKDIR, cmd, remote, parents, false, NULL,
				 NULL);

	if (j)
		X(j)->say = say;
	return j;
}

struct job *xrename_new(const char *from, const char *to, bool overwrite,
			xmisc_done done, void *arg)
{
	struct job *j = misc_new(K_RENAME, "mv", from, overwrite, false, done,
				 arg);

	if (j && !(X(j)->to = strdup(to))) {
		misc_free(j);
		return NULL;
	}
	return j;
}
