/*
 * op_put.c - the put operation: receive a body into a file.
 *
 * Does: check the size limit, start the upload (store.c: temporary file in
 * the target directory), acknowledge with "ready", then move exactly
 * "size" body bytes from TLS to the file in FR_IO_CHUNK writes while
 * hashing them, verify the optional "sha256", commit (fsync + rename +
 * directory fsync) and only then answer "ok".
 * Does not: resume or append (reserved for a later protocol issue), or
 * read a byte beyond the body: what follows belongs to the next request.
 */
#include <string.h>

#include "ferry/err.h"
#include "ferry/tls.h"
#include "config.h"
#include "conn.h"
#include "ops.h"
#include "server.h"

int op_put_start(struct conn *c)
{
	const struct fr_request *q = &c->req;
	int r;

	if (q->resume || (q->has_offset && q->offset > 0)) {
		c->err_msg = "resume is not supported by this server";
		return FR_E_UNSUPPORTED;
	}
	if (q->size > c->srv->cfg->max_file_size) {
		c->err_msg = "larger than --max-file-size";
		return FR_E_TOO_LARGE;
	}
	if (!c->sha)
		c->sha = fr_sha256_new();
	if (!c->sha)
		return FR_E_INTERNAL;
	fr_sha256_reset(c->sha);
	r = store_put_begin(c->root_fd, q->path, q->overwrite,
			    &c->os.up);
	if (r != FR_OK)
		return r;
	if (fr_resp_ready(&c->out, false, 0, 0) != FR_OK)
		return FR_E_INTERNAL; /* the upload is discarded by cleanup */
	c->body_left = q->size;
	c->state = CS_BODY_IN;
	return FR_AGAIN;
}

static int save(struct conn *c, struct fr_buf *b, size_t n)
{
	int r = store_put_write(&c->os.up, fr_buf_data(b), n);

	if (r != FR_OK)
		return r;
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

static int commit(struct conn *c)
{
	const struct fr_request *q = &c->req;
	char hex[FR_SHA256_HEX];
	int r;

	fr_sha256_final_hex(c->sha, hex);
	if (q->has_sha256 && strcmp(hex, q->sha256) != 0) {
		c->err_msg = "the body does not match \"sha256\"";
		return FR_E_CHECKSUM_MISMATCH; /* cleanup drops the file */
	}
	r = store_put_commit(&c->os.up);
	if (r != FR_OK)
		return r;
	memcpy(c->sha256, hex, sizeof(hex));
	return fr_resp_put_ok(&c->out, q->path, q->size, hex) == FR_OK
		       ? FR_OK
		       : FR_E_INTERNAL;
}

int op_put_step(struct conn *c)
{
	size_t n, before;
	int r;

	/* body bytes that arrived together with the request frame */
	n = fr_buf_len(&c->in);
	if (n > c->body_left)
		n = (size_t)c->body_left;
	if (n > 0) {
		r = save(c, &c->in, n);
		if (r != FR_OK)
			return r;
		c->body_left -= n;
	}
	while (c->body_left > 0) {
		if (conn_quantum_spent(c)) {
			r = save_all(c);
			return r == FR_OK ? FR_AGAIN : r;
		}
		n = FR_IO_CHUNK - fr_buf_len(&c->body);
		if (n > c->body_left)
			n = (size_t)c->body_left;
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
		c->body_left -= fr_buf_len(&c->body) - before;
	}
	r = save_all(c);
	if (r != FR_OK)
		return r;
	return commit(c);
}
