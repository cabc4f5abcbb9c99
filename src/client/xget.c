/*
 * xget.c - the get job: one remote file to one local file (or stdout).
 *
 * Does: refuse an existing target without --overwrite before asking; ask
 * from the offset it already holds (a kept --resume partial, or what an
 * attempt cut by a dropped connection wrote); on "ready" open the sink (a
 * temporary file next to the target, local.h), write and hash the body,
 * and on "ok" commit the file under its name only when our SHA-256 is the
 * server's (with -p: the server's mtime and executable bits).  A partial
 * whose file changed on the server is discarded and the download starts
 * again from 0, once.  A local failure (disk full, no permission) is
 * reported and the rest of the body is read and dropped, so the other
 * files of the command go on on the same connection.
 * To stdout ("-") the bytes go out as they come; the hash is still
 * checked and a mismatch still fails (exit 4), after the fact.  With
 * --sha256 HEX the file must also hash to HEX, or nothing is written
 * (exit 4).
 * Does not: list trees (cmd_get.c) or create the tree's top directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/hash.h"
#include "ferry/limits.h"

#include "local.h"
#include "output.h"
#include "progress.h"
#include "xfer.h"

struct xget {
	struct job job;
	const struct xfer_opts *o;
	char *remote, *local, *rel;
	int top_fd; /* a tree: rel below it; -1: local as given */
	struct sink *k; /* NULL until the file is opened (memory: a queued
			   job keeps only its names) */
	bool discard;   /* a local failure: drop the rest of the body */
	bool restarted; /* started again from 0 once already */
	bool got_ready;
	uint64_t asked; /* the offset we asked for */
	uint64_t size;
	bool has_meta;
	int64_t mtime;
	unsigned mode;
	struct fr_sha256 *h;
	double t0;
	mode_t umask;
};

static struct xget *X(struct job *j)
{
	return j->priv;
}

static bool to_stdout(const struct xget *x)
{
	return x->top_fd < 0 && strcmp(x->local, "-") == 0;
}

static void local_fail(struct xget *x, const char *what, int e)
{
	cli_say("get %s: %s %s: %s", x->remote, what, x->local, strerror(e));
	job_status(&x->job, FX_LOCAL);
}

/* The directory that will hold the file, and the file's name. */
static int target_dir(struct xget *x, bool create, int *dirfd, char *name,
		      size_t n)
{
	const char *slash, *base;
	char dir[FR_PATH_MAX + 1];

	if (x->top_fd < 0)
		return local_open_parent(x->local, dirfd, name, n);
	slash = strrchr(x->rel, '/');
	base = slash ? slash + 1 : x->rel;
	if (strlen(base) >= n || (slash && (size_t)(slash - x->rel) >= sizeof dir))
		return ENAMETOOLONG;
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - x->rel) : 0,
		 x->rel);
	snprintf(name, n, "%s", base);
	return local_open_below(x->top_fd, dir, create, dirfd);
}

static void hash_cb(void *arg, const void *p, size_t n)
{
	fr_sha256_update(arg, p, n);
}

/* Open the sink (resume: the partial, hashed so far).  0 or errno. */
static int open_sink(struct xget *x, bool resume)
{
	char name[FR_NAME_MAX + 1];
	unsigned char *buf;
	int dirfd, e;

	x->k = calloc(1, sizeof(*x->k));
	if (!x->k)
		return ENOMEM;
	if (to_stdout(x)) {
		sink_stdout(x->k);
		return 0;
	}
	e = target_dir(x, true, &dirfd, name, sizeof name);
	if (e == 0)
		e = sink_open(x->k, dirfd, name, resume);
	else
		dirfd = -1;
	if (e != 0) {
		if (dirfd >= 0)
			close(dirfd);
		free(x->k);
		x->k = NULL;
		return e;
	}
	fr_sha256_reset(x->h);
	if (x->k->have == 0)
		return 0;
	buf = malloc(FR_IO_CHUNK);
	if (!buf)
		return ENOMEM;
	e = sink_hash_prefix(x->k, x->k->have, buf, FR_IO_CHUNK, hash_cb,
			     x->h);
	free(buf);
	return e;
}

static int get_start(struct lane *l, struct job *j)
{
	struct xget *x = X(j);
	char name[FR_NAME_MAX + 1];
	int dirfd, e, rc;

	if (!x->h && !(x->h = fr_sha256_new())) {
		local_fail(x, "hashing", ENOMEM);
		return JN_DONE;
	}
	if (!x->k && !to_stdout(x) && !x->o->overwrite &&
	    target_dir(x, false, &dirfd, name, sizeof name) == 0) {
		bool there = local_exists(dirfd, name);

		close(dirfd);
		if (there) {
			cli_say("get %s: %s exists (use --overwrite)",
				x->remote, x->local);
			job_status(j, FX_LOCAL);
			return JN_DONE;
		}
	}
	if (!x->k && x->o->resume && !to_stdout(x)) {
		e = open_sink(x, true);
		if (e == EWOULDBLOCK) {
			cli_say("get %s: another ferry is downloading to %s "
				"(wait for it to finish)",
				x->remote, x->local);
			job_status(j, FX_LOCAL);
			return JN_DONE;
		}
		if (e != 0) {
			local_fail(x, "cannot keep a partial download of", e);
			return JN_DONE;
		}
	}
	x->asked = x->k ? x->k->have : 0;
	rc = fr_req_get(&l->out, x->remote, x->asked);
	if (rc != FR_OK) {
		cli_say("get %s: cannot build the request: %s", x->remote,
			fr_err_str(rc));
		job_status(j, FX_USAGE);
		return JN_DONE;
	}
	x->got_ready = false;
	x->discard = false;
	if (!x->t0)
		x->t0 = cli_now();
	return JN_FRAME;
}

static int on_ready(struct lane *l, struct xget *x, const struct fr_response *r)
{
	int e;

	if (!r->has_size || (r->has_offset ? r->offset : 0) != x->asked ||
	    r->size < x->asked)
		return sess_protocol(&l->s,
				     r->has_size ? "the server started at "
						   "another offset"
						 : "\"ready\" without a size",
				     "starting a download");
	x->got_ready = true;
	x->size = r->size;
	x->has_meta = r->has_mtime && r->has_mode;
	x->mtime = r->mtime;
	x->mode = r->mode;
	if (!x->k) {
		e = open_sink(x, false);
		if (e != 0) {
			local_fail(x, "cannot create a temporary file for", e);
			x->discard = true;
		}
	}
	progress_expect(x->size);
	progress_skip(x->asked);
	x->job.raw_left = x->size - x->asked;
	return x->job.raw_left > 0 ? JN_RAW : JN_FRAME;
}

static int get_raw(struct lane *l, struct job *j, const uint8_t *p, size_t n)
{
	struct xget *x = X(j);
	int e;

	(void)l;
	progress_add(x->local, n);
	if (x->discard)
		return FR_OK;
	fr_sha256_update(x->h, p, n);
	e = sink_write(x->k, p, n);
	if (e != 0) {
		local_fail(x, "writing", e);
		if (x->o->resume && x->k->partial && x->k->have > 0) {
			const char *slash = strrchr(x->local, '/');

			cli_say("get %s: kept the partial download %.*s%s "
				"(%llu bytes): free some space and run the "
				"same get --resume to go on",
				x->remote, slash ? (int)(slash - x->local + 1) : 0,
				x->local, x->k->tmp,
				(unsigned long long)x->k->have);
		}
		x->discard = true;
	}
	return FR_OK;
}

/* Start again from 0 on the next lane: the partial was stale. */
static int restart(struct xget *x)
{
	x->restarted = true;
	if (x->k && sink_restart(x->k) != 0) {
		local_fail(x, "emptying the partial download of", errno);
		return JN_DONE;
	}
	fr_sha256_reset(x->h);
	return JN_AGAIN;
}

static int on_ok(struct lane *l, struct xget *x, const struct fr_response *r)
{
	const struct cli *cli = engine_cli(x->job.e);
	char hex[FR_SHA256_HEX];
	mode_t mode;
	int e;

	if (!x->got_ready || x->job.raw_left > 0)
		return sess_protocol(&l->s, "\"ok\" before the whole body",
				     "finishing a download");
	if (!r->has_sha256)
		return sess_protocol(&l->s, "final answer without sha256",
				     "finishing a download");
	if (x->discard)
		return JN_DONE; /* reported when it failed */
	fr_sha256_final_hex(x->h, hex);
	if (strcmp(hex, r->sha256) != 0 && x->asked > 0 && !x->restarted &&
	    !to_stdout(x)) {
		cli_say("get %s: the file changed on the server since the "
			"partial download (SHA-256 %s, the server has %s); "
			"discarding it and downloading again from 0",
			x->remote, hex, r->sha256);
		return restart(x);
	}
	if (strcmp(hex, r->sha256) != 0) {
		cli_say("get %s: checksum mismatch: received %s, the server "
			"has %s; %s",
			x->remote, hex, r->sha256,
			to_stdout(x) ? "the bytes already written to standard "
				       "output are not the file"
				     : "nothing was written (try again)");
		job_status(&x->job, FX_CHECKSUM);
		if (x->k->partial)
			(void)sink_restart(x->k); /* junk: never resumed */
		return JN_DONE;
	}
	if (x->o->sha256[0] && strcmp(hex, x->o->sha256) != 0) {
		cli_say("get %s: checksum mismatch: the file hashes to %s, not "
			"the expected %s; %s",
			x->remote, hex, x->o->sha256,
			to_stdout(x) ? "the bytes already written to standard "
				       "output are not the file you expected"
				     : "nothing was written");
		job_status(&x->job, FX_CHECKSUM);
		if (x->k->partial)
			(void)sink_restart(x->k); /* never resumed into */
		return JN_DONE;
	}
	if (to_stdout(x)) {
		if (!cli->quiet) {
			progress_clear();
			fprintf(stderr, "%s  -\n", hex);
		}
		progress_file_done();
		return JN_DONE;
	}
	mode = 0666;
	if (x->o->preserve && x->has_meta)
		mode |= x->mode & 0111;
	e = sink_commit(x->k, x->o->overwrite, mode & ~x->umask,
			x->o->preserve && x->has_meta, x->mtime);
	if (e == EEXIST) {
		cli_say("get %s: %s exists (use --overwrite)", x->remote,
			x->local);
		job_status(&x->job, FX_LOCAL);
		return JN_DONE;
	}
	if (e != 0) {
		local_fail(x, "storing", e);
		return JN_DONE;
	}
	free(x->k); /* committed and closed */
	x->k = NULL;
	out_transfer(cli, "get", x->local, x->remote, x->size, hex,
		     cli_now() - x->t0, false);
	progress_file_done();
	return JN_DONE;
}

static int get_frame(struct lane *l, struct job *j, const struct fr_response *r)
{
	struct xget *x = X(j);
	int rc;

	if (r->status == FR_ST_ERROR) {
		if (x->got_ready)
			return sess_unexpected(&l->s, r, "a get body");
		if (r->err == FR_E_BAD_REQUEST && x->asked > 0 &&
		    !x->restarted) {
			/* our partial is longer than the file is now (the
			 * server closes after bad_request: the next lane
			 * asks again) */
			cli_say("get %s: the partial download %s is longer "
				"than the remote file; starting again from 0",
				x->remote, x->local);
			l->err_printed = true;
			rc = restart(x);
			return rc == JN_AGAIN ? JN_AGAIN : rc;
		}
		rc = sess_refused(&l->s, r, "get", x->remote,
				  r->err == FR_E_IS_DIRECTORY
					  ? "use -r to download a tree"
					  : NULL);
		if (r->err == FR_E_BUSY || r->err == FR_E_TIMEOUT) {
			l->err_printed = true;
			return r->err;
		}
		job_status(j, rc);
		return JN_DONE;
	}
	if (r->status == FR_ST_READY && !x->got_ready)
		return on_ready(l, x, r);
	if (r->status == FR_ST_OK)
		return on_ok(l, x, r);
	return sess_unexpected(&l->s, r, "get");
}

static int get_body(struct lane *l, struct job *j, bool *end)
{
	(void)l;
	(void)j;
	*end = true;
	return FR_OK;
}

static void drop_sink(struct xget *x)
{
	sink_close(x->k, x->o->resume);
	free(x->k);
	x->k = NULL;
}

static bool get_dropped(struct job *j)
{
	struct xget *x = X(j);

	/* what the sink holds is hashed already: ask from there */
	x->got_ready = false;
	if (x->discard && x->k && !to_stdout(x))
		drop_sink(x);
	return true;
}

static void get_free(struct job *j)
{
	struct xget *x = X(j);

	if (x->k)
		drop_sink(x); /* a --resume partial stays */
	fr_sha256_free(x->h);
	free(x);
}

static const struct job_ops get_ops = {
	.cmd = "get",
	.start = get_start,
	.body = get_body,
	.frame = get_frame,
	.raw = get_raw,
	.dropped = get_dropped,
	.free = get_free,
};

struct job *xget_new(const struct xfer_opts *o, const char *remote,
		     const char *local, int top_fd, const char *rel,
		     uint64_t size)
{
	size_t lr = strlen(remote) + 1, ll = strlen(local) + 1;
	size_t lt = rel ? strlen(rel) + 1 : 1;
	struct xget *x;

	/* one block: a get -r queues a job per file of the tree */
	x = calloc(1, sizeof(*x) + lr + ll + lt);
	if (!x)
		return NULL;
	x->remote = (char *)(x + 1);
	x->local = x->remote + lr;
	x->rel = x->local + ll;
	memcpy(x->remote, remote, lr);
	memcpy(x->local, local, ll);
	memcpy(x->rel, rel ? rel : "", lt);
	x->o = o;
	x->top_fd = top_fd;
	x->umask = cli_umask();
	x->job.priv = x;
	x->job.ops = &get_ops;
	x->job.what = x->remote;
	x->job.weight = size;
	return &x->job;
}
