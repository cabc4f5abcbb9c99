/*
 * op_put.c - the put operation: receive a body into a file.
 *
 * Does: check the size limit, start the upload (store.c: a part file in the
 * target directory named after the upload's key: identity, path, size and
 * the optional "sha256"), with "resume": true hash the bytes the part
 * already holds (one FR_IO_CHUNK per step) and acknowledge with "ready",
 * offset K and the prefix's SHA-256; then move exactly size-K body bytes
 * from TLS to the file in FR_IO_CHUNK writes while hashing them, verify
 * the optional "sha256", commit (mode and mtime of protocol 2, fsync,
 * rename, directory fsync) and only then answer "ok".
 * Protocol 2 adds two bodies that need no "ready" round trip: "follows"
 * (size bytes right after the header; a refusal is answered at once and
 * conn.c drops the bytes) and "chunked" (length-prefixed chunks of a body
 * of unknown size, e.g. stdin, written to a private temporary file that is
 * never held: an interrupted stream leaves nothing).
 * An upload cut by the peer, a timeout or the server's shutdown stays
 * held for a later resume (store_put_abort); one that failed on its own
 * (checksum, disk full, I/O) is discarded.
 * Does not: read a byte beyond the body: what follows belongs to the next
 * request.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/tls.h"
#include "config.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

/* The part id of this upload: the first STORE_PART_ID_HEX hex digits of
 * SHA-256(identity NUL path NUL size NUL sha256-or-empty). */
static int part_id(struct conn *c, char id[FR_SHA256_HEX])
{
	const struct fr_request *q = &c->req;
	struct fr_sha256 *h = fr_sha256_new();
	char size[24];
	int n;

	if (!h)
		return FR_E_INTERNAL;
	n = snprintf(size, sizeof(size), "%llu", (unsigned long long)q->size);
	fr_sha256_update(h, c->identity, strlen(c->identity) + 1);
	fr_sha256_update(h, q->path, strlen(q->path) + 1);
	fr_sha256_update(h, size, (size_t)n + 1);
	if (q->has_sha256)
		fr_sha256_update(h, q->sha256, strlen(q->sha256));
	fr_sha256_final_hex(h, id);
	fr_sha256_free(h);
	id[STORE_PART_ID_HEX] = '\0';
	return FR_OK;
}

/* The offset is settled: answer "ready" (not for a body that follows at
 * once) and expect the rest of the body. */
static int ready(struct conn *c)
{
	char prefix[FR_SHA256_HEX];
	uint64_t k = c->os.up.have;

	if (c->req.body == FR_BODY_READY) {
		if (c->req.resume)
			fr_sha256_peek_hex(c->sha, prefix);
		if (fr_resp_put_ready(&c->out, k,
				      c->req.resume ? prefix : NULL) != FR_OK)
			return FR_E_INTERNAL; /* held by cleanup */
	}
	c->body_left = c->os.chunked ? 1 : c->req.size - k;
	c->state = CS_BODY_IN;
	return FR_AGAIN;
}

int op_put_start(struct conn *c)
{
	const struct fr_request *q = &c->req;
	struct store_upload *u = &c->os.up;
	char id[FR_SHA256_HEX];
	int r;

	if (q->has_offset && q->offset > 0) {
		c->err_msg = "put takes no \"offset\": use \"resume\": true";
		return FR_E_BAD_REQUEST;
	}
	if (q->has_size && q->size > c->srv->cfg->max_file_size) {
		c->err_msg = "larger than --max-file-size";
		return FR_E_TOO_LARGE;
	}
	if (!c->sha)
		c->sha = fr_sha256_new();
	if (!c->sha)
		return FR_E_INTERNAL;
	fr_sha256_reset(c->sha);
	c->os.chunked = q->body == FR_BODY_CHUNKED;
	if (c->os.chunked) {
		/* a stream cannot be resumed: a private file, never held */
		r = store_put_begin(c->root_fd, q->path, q->overwrite, u);
	} else {
		r = part_id(c, id);
		if (r == FR_OK)
			r = store_put_begin_part(c->root_fd, q->path,
						 q->overwrite, id, q->resume,
						 u);
	}
	if (r == FR_E_BUSY)
		c->err_msg = "this upload is still in progress on another "
			     "connection";
	if (r != FR_OK)
		return r;
	if (!c->os.chunked && u->have > q->size) {
		/* cannot happen (the size is part of the key): start over */
		store_put_discard(u);
		store_put_abort(u);
		r = store_put_begin_part(c->root_fd, q->path, q->overwrite, id,
					 false, u);
		if (r != FR_OK)
			return r;
	}
	/* SECURITY: only the executable bits travel (never setuid, setgid,
	 * sticky or write access for others) */
	if (q->has_mode)
		u->mode = 0644 | (q->mode & 0111);
	u->has_mtime = q->has_mtime;
	u->mtime = q->mtime;
	c->os.pos = 0;
	c->os.chunk_left = 0;
	c->os.received = 0;
	if (u->have == 0)
		return ready(c);
	/* hash the held prefix in steps before answering */
	c->state = CS_BODY_OUT;
	return FR_AGAIN;
}

/* One step of hashing the held prefix (read back from the part file). */
static int hash_prefix(struct conn *c)
{
	uint64_t n = c->os.up.have - c->os.pos;
	ssize_t got;
	uint8_t *p;

	if (n > FR_IO_CHUNK)
		n = FR_IO_CHUNK;
	fr_buf_reset(&c->body);
	if (fr_buf_reserve(&c->body, (size_t)n, &p) != FR_OK)
		return FR_E_INTERNAL;
	do
		got = pread(c->os.up.fd, p, (size_t)n, (off_t)c->os.pos);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		store_put_discard(&c->os.up);
		return got < 0 ? fr_err_from_errno(errno) : FR_E_IO_ERROR;
	}
	fr_sha256_update(c->sha, p, (size_t)got);
	c->os.pos += (uint64_t)got;
	c->run_bytes += (size_t)got; /* hashing counts toward the fair share */
	return c->os.pos >= c->os.up.have ? ready(c) : FR_AGAIN;
}

static int save(struct conn *c, struct fr_buf *b, size_t n)
{
	int r = store_put_write(&c->os.up, fr_buf_data(b), n);

	if (r != FR_OK) {
		/* a full disk must get its space back at once */
		store_put_discard(&c->os.up);
		return r;
	}
	fr_sha256_update(c->sha, fr_buf_data(b), n);
	fr_buf_consume(b, n);
	c->bytes += n;
	return FR_OK;
}

/* Everything received is written before we wait, so a parked upload holds
 * no body bytes in memory. */
static int save_all(struct conn *c)
{
	return fr_buf_len(&c->body) ? save(c, &c->body, fr_buf_len(&c->body))
				    : FR_OK;
}

/*
 * Move the next *left body bytes from the peer into the file: first what
 * arrived together with the request frame (c->in), then exactly *left
 * from TLS.  FR_OK when *left is 0 and everything is written; FR_AGAIN
 * when the fair share is spent; FR_TLS_WANT_* to wait; or an error.
 */
static int pump(struct conn *c, uint64_t *left)
{
	size_t n, before;
	int r;

	n = fr_buf_len(&c->in);
	if (n > *left)
		n = (size_t)*left;
	if (n > 0) {
		r = save(c, &c->in, n);
		if (r != FR_OK)
			return r;
		*left -= n;
	}
	while (*left > 0) {
		if (conn_quantum_spent(c)) {
			r = save_all(c);
			return r == FR_OK ? FR_AGAIN : r;
		}
		n = FR_IO_CHUNK - fr_buf_len(&c->body);
		if (n > *left)
			n = (size_t)*left;
		if (n == 0) {
			r = save_all(c);
			if (r != FR_OK)
				return r;
			continue;
		}
		before = fr_buf_len(&c->body);
		/* SECURITY: never ask TLS for more than the body holds */
		r = conn_read(c, &c->body, n);
		if (r == FR_TLS_WANT_READ || r == FR_TLS_WANT_WRITE) {
			int w = save_all(c);

			return w == FR_OK ? r : w;
		}
		if (r == FR_E_CLOSED)
			r = FR_E_TRUNCATED; /* a body cut short is never EOF */
		if (r != FR_OK)
			return r;
		*left -= fr_buf_len(&c->body) - before;
	}
	return save_all(c);
}

/*
 * The 4-byte length of the next chunk, from c->in first, then exactly
 * what is missing from TLS (c->body is empty between chunks and holds
 * the partial header).  FR_OK with *len, FR_TLS_WANT_*, or an error.
 */
static int chunk_header(struct conn *c, uint32_t *len)
{
	size_t have = fr_buf_len(&c->body), n;
	int r;

	n = fr_buf_len(&c->in);
	if (n > FR_FRAME_HDR - have)
		n = FR_FRAME_HDR - have;
	if (n > 0) {
		if (fr_buf_append(&c->body, fr_buf_data(&c->in), n) != FR_OK)
			return FR_E_INTERNAL;
		fr_buf_consume(&c->in, n);
	}
	while (fr_buf_len(&c->body) < FR_FRAME_HDR) {
		r = conn_read(c, &c->body, FR_FRAME_HDR - fr_buf_len(&c->body));
		if (r == FR_E_CLOSED)
			r = FR_E_TRUNCATED;
		if (r != FR_OK)
			return r;
	}
	if (fr_buf_peek_u32(&c->body, len) != FR_OK)
		return FR_E_INTERNAL;
	fr_buf_reset(&c->body);
	return FR_OK;
}

/* A chunked body: chunk after chunk until the zero-length one, with
 * --max-file-size enforced as the bytes arrive. */
static int chunked(struct conn *c)
{
	struct op_state *os = &c->os;
	uint32_t len;
	int r;

	for (;;) {
		if (os->chunk_left > 0) {
			r = pump(c, &os->chunk_left);
			if (r != FR_OK)
				return r;
			continue;
		}
		r = chunk_header(c, &len);
		if (r != FR_OK)
			return r;
		if (len == 0)
			break;
		if (len > FR_CHUNK_MAX) {
			c->err_msg = "a chunk longer than the protocol's "
				     "1 MiB";
			store_put_discard(&os->up);
			return FR_E_BAD_REQUEST;
		}
		if (os->received + len > c->srv->cfg->max_file_size) {
			c->err_msg = "the stream grew larger than "
				     "--max-file-size";
			store_put_discard(&os->up);
			return FR_E_TOO_LARGE;
		}
		os->received += len;
		os->chunk_left = len;
	}
	c->body_left = 0;
	return FR_OK;
}

static int commit(struct conn *c)
{
	const struct fr_request *q = &c->req;
	char hex[FR_SHA256_HEX];
	uint64_t size = c->os.chunked ? c->os.received : q->size;
	int r;

	fr_sha256_final_hex(c->sha, hex);
	if (q->has_sha256 && strcmp(hex, q->sha256) != 0) {
		c->err_msg = "the body does not match \"sha256\"";
		store_put_discard(&c->os.up); /* cleanup drops the file */
		return FR_E_CHECKSUM_MISMATCH;
	}
	r = store_put_commit(&c->os.up, hex);
	if (r != FR_OK) {
		store_put_discard(&c->os.up);
		return r;
	}
	memcpy(c->sha256, hex, sizeof(hex));
	return fr_resp_put_ok(&c->out, q->path, size, hex) == FR_OK
		       ? FR_OK
		       : FR_E_INTERNAL;
}

int op_put_step(struct conn *c)
{
	int r;

	if (c->state == CS_BODY_OUT)
		return hash_prefix(c);
	r = c->os.chunked ? chunked(c) : pump(c, &c->body_left);
	if (r != FR_OK)
		return r;
	return commit(c);
}
