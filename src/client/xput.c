/*
 * xput.c - the put job: one local file (or stdin) to one remote path.
 *
 * Does: open the source when a lane starts the job (a size snapshot), pick
 * how the body travels: right behind the request for files up to
 * FR_CLIENT_EAGER_MAX on a protocol-2 server (no round trip; the server
 * skips the body of a refusal), in chunks for a stream of unknown size
 * (stdin), or after "ready" for big files, resumed puts and protocol-1
 * servers (a refusal costs no transfer).  It hashes what it sends and
 * accepts the server's "ok" only with the same SHA-256 and size.
 * After a dropped connection: a resumed put (the server holds the bytes
 * it got, checked by their SHA-256 against ours); and when the whole body
 * had gone out, first a stat of the remote file (the "verify" phase): if
 * it has our size and SHA-256, the lost "ok" was the only loss and the
 * file is not sent again.  --skip-same starts every file in that phase:
 * the local file is hashed only when the remote one has its size, and a
 * remote copy with the same size and SHA-256 is not sent (its line says
 * so with --json).  --sha256 HEX travels in the request: the server
 * refuses (checksum_mismatch, nothing stored) a body that hashes to
 * anything else.
 * A file that changes size while it is sent fails (exit 5) and drops the
 * connection without close_notify, so the server never stores it.
 * Does not: walk directories (walk.c) or decide remote names (cmd_put.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/hash.h"
#include "ferry/limits.h"

#include "local.h"
#include "output.h"
#include "prefix.h"
#include "progress.h"
#include "xfer.h"

enum phase { PH_PUT, PH_VERIFY };

struct xput {
	struct job job;
	const struct xfer_opts *o;
	char *local, *rel, *remote;
	int top_fd;
	struct src src;
	struct fr_sha256 *h;
	char hex[FR_SHA256_HEX];
	enum phase phase;
	enum fr_body body;
	bool resume;     /* ask for a held part (and wait for "ready") */
	bool whole_sent; /* a previous attempt sent every byte: hex is set */
	bool afresh;     /* the server's part was not ours: next from 0 */
	bool reverified; /* "exists" after a lost answer: checked again */
	bool same_check; /* the verify phase is --skip-same's first look */
	bool local_hashed; /* hex holds the local file's hash (skip-same) */
	bool got_ready;
	uint64_t offset; /* where the body starts (ready's offset) */
	uint64_t left;   /* body bytes still to send */
	bool reported;
	double t0;
	/* resume: our own prefix hashed while the server hashes its part;
	 * --skip-same: the whole file */
	struct prefix pre;
};

static struct xput *X(struct job *j)
{
	return j->priv;
}

static void fail_local(struct xput *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail_local(struct xput *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_say("put %s: %s", x->local, msg);
	job_status(&x->job, FX_LOCAL);
	x->job.failed = true;
	x->reported = true;
}

static bool put_idle(struct job *j)
{
	struct xput *x = X(j);

	if (!x->resume || x->got_ready || x->src.stream ||
	    x->pre.pos >= x->src.size)
		return false;
	/* a read error shows again when "ready" settles the offset */
	return prefix_step(&x->pre, x->src.fd, x->src.size) == 0 &&
	       x->pre.pos < x->src.size;
}

static int open_source(struct xput *x)
{
	const char *what = NULL;
	int e;

	if (x->src.fd >= 0 || (x->src.stream && x->src.fd == 0))
		return 0;
	e = x->top_fd >= 0
		    ? src_open_below(&x->src, x->top_fd, x->rel, &what)
		    : src_open(&x->src, x->local, &what);
	if (e == EISDIR)
		fail_local(x, "%s", x->o->recursive
					    ? "is a directory"
					    : "is a directory (use -r to "
					      "upload a tree)");
	else if (e == EINVAL && what)
		fail_local(x, "is %s, not a regular file: not sent", what);
	else if (e == ELOOP && x->top_fd >= 0)
		fail_local(x, "%s", "became a symlink while the tree was "
				    "walked: not followed, not sent");
	else if (e != 0)
		fail_local(x, "%s", strerror(e));
	return e;
}

static int put_start(struct lane *l, struct job *j)
{
	struct xput *x = X(j);
	struct fr_put_req q;
	int rc;

	if (x->phase == PH_VERIFY) {
		if (x->same_check && open_source(x) != 0)
			return JN_DONE;
		if (!x->t0)
			x->t0 = cli_now();
		rc = fr_req_stat(&l->out, x->remote, true);
		return rc == FR_OK ? JN_FRAME : FR_E_INTERNAL;
	}
	if (open_source(x) != 0)
		return JN_DONE;
	if (x->src.stream && lane_proto(l) < 2) {
		cli_say("put %s: reading a stream of unknown size needs "
			"ferryd 0.2 or later (protocol 2); %s runs %s",
			x->remote, l->s.where, l->s.hello.server);
		job_status(j, FX_REFUSED);
		x->reported = true;
		return JN_DONE;
	}
	memset(&q, 0, sizeof q);
	q.path = x->remote;
	q.size = x->src.size;
	q.sha256 = x->o->sha256[0] ? x->o->sha256 : NULL;
	q.overwrite = x->o->overwrite;
	q.resume = x->resume && !x->src.stream;
	if (x->src.stream)
		x->body = FR_BODY_CHUNKED;
	else if (!q.resume && lane_proto(l) >= 2 &&
		 x->src.size <= FR_CLIENT_EAGER_MAX)
		x->body = FR_BODY_FOLLOWS;
	else
		x->body = FR_BODY_READY;
	q.body = x->body;
	if (x->o->preserve && lane_proto(l) >= 2) {
		q.has_mtime = true;
		q.mtime = x->src.mtime;
		q.has_mode = true;
		q.mode = x->src.mode;
	}
	rc = fr_req_put(&l->out, &q);
	if (rc != FR_OK) {
		cli_say("put %s: cannot build the request: %s", x->remote,
			fr_err_str(rc));
		job_status(j, FX_USAGE);
		x->reported = true;
		return JN_DONE;
	}
	j->weight = x->src.stream ? FR_IO_CHUNK : x->src.size;
	x->got_ready = false;
	x->offset = 0;
	x->left = x->src.size;
	if (!x->t0)
		x->t0 = cli_now();
	if (!x->src.stream)
		progress_expect(x->src.size);
	if (x->body == FR_BODY_READY) {
		prefix_reset(&x->pre);
		return JN_BODY;
	}
	fr_sha256_reset(x->h);
	if (!x->src.stream && src_seek(&x->src, 0) != 0) {
		fail_local(x, "%s", strerror(errno));
		return FR_E_LOCAL_IO;
	}
	j->sending = true;
	return JN_FRAME;
}

/* The file ended early or grew: the body cannot be completed honestly. */
static int changed_size(struct xput *x, int e)
{
	if (e == EFBIG || e == 0)
		fail_local(x, "%s", "the file changed size while it was being "
				    "sent; upload aborted (nothing was stored)");
	else
		fail_local(x, "reading: %s; upload aborted (nothing was "
			      "stored)", strerror(e));
	return FR_E_LOCAL_IO;
}

/* Every byte of a sized body is out: the file must end here. */
static int body_end(struct xput *x, bool *end)
{
	int e = src_check_end(&x->src);

	if (e != 0)
		return changed_size(x, e);
	fr_sha256_final_hex(x->h, x->hex);
	x->whole_sent = true;
	src_close(&x->src); /* reopened only for a retry */
	*end = true;
	return FR_OK;
}

static int put_body(struct lane *l, struct job *j, bool *end)
{
	struct xput *x = X(j);
	bool chunked = x->body == FR_BODY_CHUNKED;
	size_t room = LANE_OUT_MAX - fr_buf_len(&l->out), want, got;
	uint8_t *p;
	int e;

	*end = false;
	if (!chunked && x->left == 0)
		return body_end(x, end);
	want = room > FR_FRAME_HDR ? room - FR_FRAME_HDR : 0;
	if (want > FR_IO_CHUNK)
		want = FR_IO_CHUNK;
	if (!chunked && want > x->left)
		want = (size_t)x->left;
	if (want == 0)
		return FR_OK;
	if (fr_buf_reserve(&l->out, want + (chunked ? FR_FRAME_HDR : 0), &p))
		return FR_E_INTERNAL;
	e = src_read(&x->src, p + (chunked ? FR_FRAME_HDR : 0), want, &got);
	if (e != 0 || (!chunked && got == 0))
		return changed_size(x, e);
	if (chunked) {
		/* 4-byte big-endian length, then the bytes; 0 ends */
		p[0] = (uint8_t)(got >> 24);
		p[1] = (uint8_t)(got >> 16);
		p[2] = (uint8_t)(got >> 8);
		p[3] = (uint8_t)got;
		fr_buf_commit(&l->out, FR_FRAME_HDR + got);
		if (got == 0) {
			fr_sha256_final_hex(x->h, x->hex);
			*end = true;
			return FR_OK;
		}
		x->src.size += got; /* what the stream held so far */
	} else {
		fr_buf_commit(&l->out, got);
		x->left -= got;
	}
	fr_sha256_update(x->h, p + (chunked ? FR_FRAME_HDR : 0), got);
	progress_add(x->local, got);
	/* the answer may come before another call: end the body now */
	return !chunked && x->left == 0 ? body_end(x, end) : FR_OK;
}

/* "ready": settle the offset, check our prefix against the server's. */
static int on_ready(struct lane *l, struct xput *x, const struct fr_response *r)
{
	uint64_t k = r->has_offset ? r->offset : 0;
	char hex[FR_SHA256_HEX];
	int e;

	if (x->body != FR_BODY_READY || k > x->src.size ||
	    (k > 0 && (!x->resume || !r->has_prefix_sha256)))
		return sess_protocol(&l->s, "the server asked to resume at an "
					    "offset it may not use",
				     "starting an upload");
	x->got_ready = true;
	if (k > 0) {
		/* SECURITY: the held bytes count only if they are ours */
		e = prefix_to(&x->pre, x->src.fd, k);
		if (e == 0) {
			fr_sha256_peek_hex(x->h, hex);
			if (strcmp(hex, r->prefix_sha256) != 0)
				e = -1;
		}
		if (e != 0) {
			cli_say("put %s: the %llu bytes the server holds are "
				"not the start of %s; starting again from 0",
				x->remote, (unsigned long long)k, x->local);
			x->afresh = true;
			/* the server waits for our bytes: only a new
			 * connection can start over */
			l->err_printed = true;
			return FR_E_LOCAL_IO;
		}
		progress_skip(k);
	} else {
		fr_sha256_reset(x->h);
	}
	prefix_drop_snaps(&x->pre);
	if (src_seek(&x->src, k) != 0) {
		fail_local(x, "%s", strerror(errno));
		return FR_E_LOCAL_IO;
	}
	x->offset = k;
	x->left = x->src.size - k;
	return JN_BODY;
}

static int refused(struct lane *l, struct xput *x, const struct fr_response *r)
{
	int rc;

	/* the server may still have been storing what we sent on the
	 * connection that dropped when our stat asked: look once more */
	if (r->err == FR_E_EXISTS && x->whole_sent && x->job.tries > 0 &&
	    !x->reverified) {
		x->reverified = true;
		x->phase = PH_VERIFY;
		return JN_AGAIN;
	}
	if (r->err == FR_E_CHECKSUM_MISMATCH && x->o->sha256[0]) {
		cli_say("put %s: checksum mismatch: %s hashes to %s, not the "
			"expected %s; nothing was stored",
			x->remote, x->local, x->whole_sent ? x->hex : "?",
			x->o->sha256);
		job_status(&x->job, FX_CHECKSUM);
		x->reported = true;
		return JN_DONE;
	}
	rc = sess_refused(&l->s, r, "put", x->remote,
			  r->err == FR_E_IS_DIRECTORY
				  ? "end REMOTE with '/' to put into that "
				    "directory"
				  : NULL);
	/* busy: the server is full, or our own earlier attempt still holds
	 * the part while the server notices that its connection is gone;
	 * timeout: the server gave up on us.  Both close: try again. */
	if (r->err == FR_E_BUSY || r->err == FR_E_TIMEOUT) {
		l->err_printed = true;
		return r->err;
	}
	job_status(&x->job, rc);
	x->reported = true;
	return JN_DONE;
}

static void done_ok(struct xput *x, uint64_t size, bool skipped)
{
	out_transfer(engine_cli(x->job.e), "put", x->local, x->remote, size,
		     x->hex, cli_now() - x->t0, skipped);
	progress_file_done();
	x->reported = true;
}

/* --skip-same: the local file's SHA-256 into hex (read in full, once:
 * a retry does not read it again).  0 or an errno value. */
static int hash_local(struct xput *x)
{
	int e;

	if (x->local_hashed)
		return 0;
	prefix_reset(&x->pre);
	e = prefix_to(&x->pre, x->src.fd, x->src.size);
	if (e != 0)
		return e;
	fr_sha256_peek_hex(x->h, x->hex);
	prefix_drop_snaps(&x->pre);
	x->local_hashed = true;
	return 0;
}

/* The verify phase's stat: after a lost "ok", is our file there already?
 * With --skip-same (same_check), is the same file there already? */
static int verified(struct lane *l, struct xput *x, const struct fr_response *r)
{
	int e;

	if (r->status == FR_ST_OK && r->has_type && !r->is_dir &&
	    r->has_size && r->size == x->src.size && r->has_sha256) {
		if (x->same_check && (e = hash_local(x)) != 0) {
			if (e == EFBIG)
				fail_local(x, "%s", "the file changed size while "
						    "it was read: not sent");
			else
				fail_local(x, "reading: %s: not sent",
					   strerror(e));
			return JN_DONE;
		}
		if (strcmp(r->sha256, x->hex) == 0) {
			if (x->same_check && x->o->sha256[0] &&
			    strcmp(x->hex, x->o->sha256) != 0) {
				cli_say("put %s: checksum mismatch: %s hashes "
					"to %s, not the expected %s (the "
					"server has the same file); not sent",
					x->remote, x->local, x->hex,
					x->o->sha256);
				job_status(&x->job, FX_CHECKSUM);
				x->reported = true;
				return JN_DONE;
			}
			done_ok(x, r->size, x->same_check);
			return JN_DONE;
		}
	}
	if (r->status == FR_ST_ERROR && fr_err_closes(r->err))
		return refused(l, x, r);
	/* not there (or another file): send it; after a lost "ok" the
	 * server may hold what it got */
	x->phase = PH_PUT;
	if (!x->same_check)
		x->resume = true;
	x->same_check = false;
	return JN_AGAIN;
}

static int put_frame(struct lane *l, struct job *j, const struct fr_response *r)
{
	struct xput *x = X(j);
	uint64_t size;

	if (x->phase == PH_VERIFY)
		return verified(l, x, r);
	if (r->status == FR_ST_ERROR)
		return refused(l, x, r);
	if (r->status == FR_ST_READY) {
		if (x->got_ready)
			return sess_unexpected(&l->s, r, "a put body");
		return on_ready(l, x, r);
	}
	if (r->status != FR_ST_OK)
		return sess_unexpected(&l->s, r, "put");
	if (j->sending || (x->body == FR_BODY_READY && !x->got_ready))
		return sess_protocol(&l->s, "\"ok\" before the whole body "
					    "was sent",
				     "finishing an upload");
	if (!r->has_sha256)
		return sess_protocol(&l->s, "final answer without sha256",
				     "finishing an upload");
	size = x->src.size;
	if (r->has_size && r->size != size)
		return sess_protocol(&l->s, "the server stored another size",
				     "finishing an upload");
	if (strcmp(r->sha256, x->hex) != 0) {
		cli_say("put %s: checksum mismatch: we sent %s, the server "
			"stored %s (the remote file is suspect: put it again "
			"with --overwrite)",
			x->remote, x->hex, r->sha256);
		job_status(j, FX_CHECKSUM);
		x->reported = true;
		return JN_DONE;
	}
	done_ok(x, size, false);
	return JN_DONE;
}

static int put_raw(struct lane *l, struct job *j, const uint8_t *p, size_t n)
{
	(void)j;
	(void)p;
	(void)n;
	return sess_protocol(&l->s, "raw bytes in answer to a put", "reading");
}

static bool put_dropped(struct job *j)
{
	struct xput *x = X(j);

	if (x->src.stream) {
		cli_say("put %s: standard input cannot be read again after "
			"the connection dropped; nothing was stored",
			x->remote);
		return false;
	}
	/* every byte went out: the server may have stored it and its "ok"
	 * be what was lost (checked by a stat first) */
	if (x->whole_sent && x->phase == PH_PUT)
		x->phase = PH_VERIFY;
	x->resume = !x->afresh; /* after a foreign part: once from 0 */
	x->afresh = false;
	x->got_ready = false;
	return true;
}

static void put_free(struct job *j)
{
	struct xput *x = X(j);

	src_close(&x->src);
	prefix_cleanup(&x->pre);
	fr_sha256_free(x->h);
	free(x->local);
	free(x->rel);
	free(x->remote);
	free(x);
}

static const struct job_ops put_ops = {
	.cmd = "put",
	.start = put_start,
	.body = put_body,
	.frame = put_frame,
	.raw = put_raw,
	.dropped = put_dropped,
	.idle = put_idle,
	.free = put_free,
};

struct job *xput_new(const struct xfer_opts *o, const char *local,
		     int top_fd, const char *rel, const char *remote)
{
	struct xput *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->o = o;
	x->top_fd = top_fd;
	x->src.fd = -1;
	x->resume = o->resume;
	if (o->skip_same) {
		x->phase = PH_VERIFY;
		x->same_check = true;
	}
	x->local = strdup(local);
	x->rel = strdup(rel ? rel : "");
	x->remote = strdup(remote);
	x->h = fr_sha256_new();
	prefix_init(&x->pre, x->h);
	if (!x->local || !x->rel || !x->remote || !x->h) {
		x->job.priv = x;
		put_free(&x->job);
		return NULL;
	}
	x->job.ops = &put_ops;
	x->job.priv = x;
	x->job.what = x->remote;
	return &x->job;
}
