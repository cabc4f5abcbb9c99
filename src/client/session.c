/*
 * session.c - one blocking mutual-TLS connection of the ferry client.
 *
 * Connects (every address getaddrinfo gives, with a connect timeout),
 * handshakes through tls.h, says hello, and moves frames and raw body bytes.
 * Every transport failure becomes exactly one line on stderr and an exit
 * status here, so the commands only phrase the server's own refusals.
 * It does not interpret requests beyond hello and never opens local files.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ferry/addr.h"
#include "ferry/err.h"
#include "ferry/limits.h"

#include "session.h"

#define CONNECT_TIMEOUT_MS 10000

/* Wait until a TLS call that asked for it can go on.  The socket is
 * non-blocking, so this is the one place the client waits for the server:
 * a server or network that goes silent for FR_CLIENT_IO_TIMEOUT seconds
 * is a timeout (and, with --retries, a reason to reconnect and resume). */
static int wait_fd(int fd, int want)
{
	struct pollfd pfd = {
	    .fd = fd, .events = want == FR_TLS_WANT_WRITE ? POLLOUT : POLLIN};
	int r;

	while ((r = poll(&pfd, 1, FR_CLIENT_IO_TIMEOUT * 1000)) < 0)
		if (errno != EINTR)
			return FR_E_TLS;
	return r == 0 ? FR_E_TIMEOUT : FR_OK;
}

static int connect_one(const struct addrinfo *ai, int *out, int *err)
{
	struct pollfd pfd;
	socklen_t len = sizeof *err;
	int fd, one = 1, r;

	*out = -1;
	fd = socket(ai->ai_family,
	            ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	            ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			*err = r == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0) {
			*err = errno;
			goto fail;
		}
		if (*err != 0)
			goto fail;
	}
	/* Requests are small frames answered one at a time: no Nagle delay.
	 * Failure only costs latency. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*out = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

static int tcp_connect(struct session *s)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%u", (unsigned)s->port);
	rc = getaddrinfo(s->host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "ferry: cannot resolve %s: %s: check -s\n",
		        s->host,
		        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return FX_CONN;
	}
	for (ai = res; ai; ai = ai->ai_next)
		if (connect_one(ai, &s->fd, &err) == 0)
			break;
	freeaddrinfo(res);
	if (s->fd >= 0)
		return FX_OK;
	fprintf(stderr, "ferry: cannot connect to %s: %s: %s\n", s->where,
	        strerror(err),
	        err == ECONNREFUSED ? "is ferryd running? check -s"
	                            : "check -s and the network");
	return FX_CONN;
}

static int tls_start(struct session *s)
{
	int rc;

	rc = fr_tls_new(s->ctx, s->fd, s->host, &s->tls);
	if (rc != FR_OK) {
		fprintf(stderr, "ferry: %s: cannot set up TLS: %s\n", s->where,
		        fr_err_str(rc));
		return FX_CONN;
	}
	while ((rc = fr_tls_handshake(s->tls)) == FR_TLS_WANT_READ ||
	       rc == FR_TLS_WANT_WRITE)
		if (wait_fd(s->fd, rc) != FR_OK)
			break;
	if (rc == FR_OK)
		return FX_OK;
	s->dead = true;
	fprintf(stderr, "ferry: %s: %s%s\n", s->where, fr_tls_error(s->tls),
	        s->cli->cert ? ""
	                     : " (no client certificate given: --cert "
	                       "and --key, or FERRY_CERT and FERRY_KEY)");
	return FX_CONN;
}

static int say_hello(struct session *s)
{
	struct fr_response *r = &s->hello;
	int rc;

	rc = sess_send(s, fr_req_hello(sess_req(s)), "hello", "hello");
	if (rc != FX_OK)
		return rc;
	rc = sess_recv_raw(s, r);
	if (rc != FR_OK)
		return sess_lost(s, rc,
		                 s->cli->cert
		                     ? "waiting for the server's hello"
		                     : "waiting for the server's hello; "
		                       "no client certificate was given: "
		                       "use --cert and --key");

	if (r->status == FR_ST_ERROR)
		return sess_refused(s, r, "hello", NULL, NULL);
	if (r->status != FR_ST_OK)
		return sess_unexpected(s, r, "hello");
	if (r->version != FR_PROTO_VERSION) {
		fprintf(stderr,
		        "ferry: %s speaks protocol version %lld, this ferry "
		        "speaks %d: upgrade the older one\n",
		        s->where, (long long)r->version, FR_PROTO_VERSION);
		s->dead = true;
		return FX_CONN;
	}
	return FX_OK;
}

int sess_open(struct session *s, const struct cli *cli)
{
	struct fr_tls_conf conf;
	char err[512];
	const char *why = "";
	int rc;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->cli = cli;
	fr_buf_init(&s->out, FR_FRAME_HDR + FR_MAX_REQUEST);
	fr_buf_init(&s->in, FR_MAX_RESPONSE);

	if (!cli->server || !*cli->server) {
		fprintf(stderr, "ferry: no server: give -s HOST[:PORT] or set "
		                "FERRY_SERVER\n");
		rc = FX_USAGE;
		goto out;
	}
	if (fr_hostport_parse(cli->server, FR_DEFAULT_PORT, s->host,
	                      sizeof s->host, &s->port, &why) != FR_OK ||
	    s->port == 0) {
		fprintf(stderr,
		        "ferry: bad server address '%s': %s: check -s "
		        "or FERRY_SERVER\n",
		        cli->server, s->port == 0 && !*why ? "port 0" : why);
		rc = FX_USAGE;
		goto out;
	}
	snprintf(s->where, sizeof s->where,
	         strchr(s->host, ':') ? "[%s]:%u" : "%s:%u", s->host,
	         (unsigned)s->port);
	if (!cli->ca || !*cli->ca) {
		fprintf(stderr, "ferry: no CA file to verify the server with: "
		                "give --ca FILE or set FERRY_CA\n");
		rc = FX_USAGE;
		goto out;
	}
	if (!cli->cert != !cli->key) {
		fprintf(stderr,
		        "ferry: %s given without %s: the client "
		        "certificate needs both (--cert and --key, or "
		        "FERRY_CERT and FERRY_KEY)\n",
		        cli->cert ? "a certificate" : "a key",
		        cli->cert ? "its key" : "its certificate");
		rc = FX_USAGE;
		goto out;
	}
	memset(&conf, 0, sizeof conf);
	conf.cert = cli->cert;
	conf.key = cli->key;
	conf.ca = cli->ca;
	conf.min_version = 0;
	conf.crl = cli->crl;
	conf.pin_sha256 = cli->pin;
	conf.allow_open_key = cli->allow_open_key;
	err[0] = '\0';
	rc = fr_tls_ctx_new_client(&conf, &s->ctx, err, sizeof err);
	if (rc != FR_OK) {
		fprintf(stderr, "ferry: %s\n", err[0] ? err : fr_err_str(rc));
		rc = rc == FR_E_USAGE ? FX_USAGE : FX_CONN;
		goto out;
	}
	rc = tcp_connect(s);
	if (rc == FX_OK)
		rc = tls_start(s);
	if (rc == FX_OK)
		rc = say_hello(s);
out:
	if (rc != FX_OK)
		sess_close(s);
	return rc;
}

void sess_close(struct session *s)
{
	if (s->tls && !s->dead)
		fr_tls_close(s->tls);
	fr_tls_free(s->tls);
	s->tls = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	fr_tls_ctx_free(s->ctx);
	s->ctx = NULL;
	fr_response_cleanup(&s->hello);
	fr_buf_cleanup(&s->out);
	fr_buf_cleanup(&s->in);
	s->dead = true;
}

void sess_abort(struct session *s)
{
	/* SECURITY: no close_notify, so the server must treat the upload as
	 * truncated and discard it rather than store a short file. */
	s->dead = true;
	fr_tls_free(s->tls);
	s->tls = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

struct fr_buf *sess_req(struct session *s)
{
	fr_buf_reset(&s->out);
	return &s->out;
}

int sess_write_body(struct session *s, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t wrote;
	int rc;

	if (s->dead || !s->tls)
		return FR_E_CLOSED;
	while (n > 0) {
		rc = fr_tls_write(s->tls, c, n, &wrote);
		if (rc == FR_TLS_WANT_READ || rc == FR_TLS_WANT_WRITE) {
			rc = wait_fd(s->fd, rc);
			if (rc != FR_OK)
				return rc;
			continue;
		}
		if (rc != FR_OK)
			return rc;
		c += wrote;
		n -= wrote;
	}
	return FR_OK;
}

int sess_read_body(struct session *s, void *p, size_t n, size_t *got)
{
	int rc;

	*got = 0;
	if (s->dead || !s->tls)
		return FR_E_CLOSED;
	for (;;) {
		rc = fr_tls_read(s->tls, p, n, got);
		if (rc != FR_TLS_WANT_READ && rc != FR_TLS_WANT_WRITE)
			break;
		rc = wait_fd(s->fd, rc);
		if (rc != FR_OK)
			return rc;
	}
	if (rc == FR_OK && *got == 0)
		return FR_E_TLS; /* the contract promises *got > 0 */
	return rc;
}

static int read_exact(struct session *s, void *p, size_t n)
{
	unsigned char *c = p;
	size_t got;
	int rc;

	while (n > 0) {
		rc = sess_read_body(s, c, n, &got);
		if (rc != FR_OK)
			return rc;
		c += got;
		n -= got;
	}
	return FR_OK;
}

int sess_send(struct session *s, int build_rc, const char *cmd,
              const char *what)
{
	int rc;

	if (build_rc != FR_OK) {
		fprintf(stderr, "ferry: %s %s: cannot build the request: %s\n",
		        cmd, what, fr_err_str(build_rc));
		return FX_USAGE;
	}
	rc = sess_write_body(s, fr_buf_data(&s->out), fr_buf_len(&s->out));
	fr_buf_reset(&s->out);
	if (rc != FR_OK) {
		char doing[300];

		snprintf(doing, sizeof doing, "sending the %s request", cmd);
		return sess_lost(s, rc, doing);
	}
	return FX_OK;
}

int sess_recv_raw(struct session *s, struct fr_response *r)
{
	unsigned char hdr[FR_FRAME_HDR];
	uint8_t *body;
	uint32_t len;
	int rc;

	memset(r, 0, sizeof *r);
	s->why = NULL;
	rc = read_exact(s, hdr, sizeof hdr);
	if (rc != FR_OK)
		return rc;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	      (uint32_t)hdr[2] << 8 | hdr[3];
	/* SECURITY: the length is checked before any body byte is awaited. */
	if (len == 0 || len > FR_MAX_RESPONSE) {
		s->why = "response frame length out of range";
		return FR_E_PROTOCOL;
	}
	fr_buf_reset(&s->in);
	rc = fr_buf_reserve(&s->in, len, &body);
	if (rc != FR_OK)
		return rc;
	rc = read_exact(s, body, len);
	if (rc != FR_OK)
		return rc;
	fr_buf_commit(&s->in, len);
	rc = fr_response_parse(fr_buf_data(&s->in), len, r, &s->why);
	fr_buf_reset(&s->in);
	if (rc != FR_OK)
		return FR_E_PROTOCOL;
	if (r->status == FR_ST_ERROR && fr_err_closes(r->err))
		s->dead = true;
	return FR_OK;
}

int sess_recv(struct session *s, struct fr_response *r)
{
	int rc = sess_recv_raw(s, r);

	if (rc == FR_OK)
		return FX_OK;
	return sess_lost(s, rc, "reading the server's answer");
}

int sess_lost(struct session *s, int err, const char *doing)
{
	s->dead = true;
	switch (err) {
	case FR_E_TLS:
		fprintf(stderr, "ferry: %s: %s (while %s)\n", s->where,
		        s->tls ? fr_tls_error(s->tls) : "TLS failure", doing);
		break;
	case FR_E_TRUNCATED:
		fprintf(stderr,
		        "ferry: %s: connection cut off while %s "
		        "(closed without TLS close_notify)\n",
		        s->where, doing);
		break;
	case FR_E_CLOSED:
		fprintf(stderr,
		        "ferry: %s: the server closed the connection "
		        "while %s\n",
		        s->where, doing);
		break;
	case FR_E_TIMEOUT:
		fprintf(stderr,
		        "ferry: %s: no answer from the server for %u s while %s: "
		        "check the network, or retry with --resume\n",
		        s->where, (unsigned)FR_CLIENT_IO_TIMEOUT, doing);
		break;
	case FR_E_PROTOCOL:
		fprintf(stderr, "ferry: %s: protocol error while %s: %s\n",
		        s->where, doing, s->why ? s->why : "bad response");
		break;
	default:
		fprintf(stderr, "ferry: %s: %s while %s\n", s->where,
		        fr_err_str(err), doing);
		break;
	}
	return FX_CONN;
}

static const char *default_hint(int err)
{
	switch (err) {
	case FR_E_BAD_REQUEST:
		return "the server closed the connection; this is a bug in "
		       "ferry or ferryd, please report it";
	case FR_E_UNSUPPORTED:
		return "the server does not support this; upgrade ferryd";
	case FR_E_INVALID_PATH:
		return "remote paths are '/'-separated, without empty, '.' "
		       "or '..' components";
	case FR_E_FORBIDDEN:
		return "see your permissions with 'ferry whoami'";
	case FR_E_NOT_FOUND:
		return "see 'ferry ls'";
	case FR_E_EXISTS:
		return "use --overwrite";
	case FR_E_NOT_DIRECTORY:
		return "a parent of the path is a file";
	case FR_E_NOT_EMPTY:
		return "remove what it contains first";
	case FR_E_TOO_LARGE:
		return "the server's --max-file-size is lower";
	case FR_E_NO_SPACE:
		return "the server's disk is full";
	case FR_E_CHECKSUM_MISMATCH:
		return "the data changed in transit; try again";
	case FR_E_BUSY:
		return "the server is at its connection limit; try again later";
	case FR_E_TIMEOUT:
		return "the server timed out the connection; check the network";
	case FR_E_IO_ERROR:
	case FR_E_INTERNAL:
		return "see the server's log";
	default:
		return NULL;
	}
}

int sess_refused(struct session *s, const struct fr_response *r,
                 const char *cmd, const char *path, const char *hint)
{
	const char *code = r->code[0] ? r->code : "error";

	if (!hint)
		hint = default_hint(r->err);
	fprintf(stderr, "ferry: %s%s%s: %s%s%s%s%s%s\n", cmd, path ? " " : "",
	        path ? (*path ? path : "/") : "", code,
	        r->message[0] ? ": " : "", r->message, hint ? " (" : "",
	        hint ? hint : "", hint ? ")" : "");
	if (r->err == FR_E_CHECKSUM_MISMATCH)
		return FX_CHECKSUM;
	/* A timeout ends the connection: a connection failure, like a cut
	 * body, not a refusal of the operation. */
	if (r->err == FR_E_PROTOCOL || r->err == FR_E_TIMEOUT) {
		s->dead = true;
		return FX_CONN;
	}
	return FX_REFUSED;
}

int sess_unexpected(struct session *s, const struct fr_response *r,
                    const char *what)
{
	static const char *const names[] = {"?", "ready", "ok", "error"};
	unsigned st = (unsigned)r->status;

	fprintf(stderr,
	        "ferry: %s: protocol error: unexpected \"%s\" answer "
	        "to %s\n",
	        s->where, names[st < 4 ? st : 0], what);
	s->dead = true;
	return FX_CONN;
}

int sess_recv_final(struct session *s, struct fr_response *r,
                    const char *cmd, const char *path, const char *doing)
{
	char what[32];
	int rc = sess_recv(s, r);

	if (rc != FX_OK)
		return rc;
	if (r->status == FR_ST_ERROR)
		return sess_refused(s, r, cmd, path, NULL);
	if (r->status != FR_ST_OK) {
		snprintf(what, sizeof what, "the end of a %s", cmd);
		return sess_unexpected(s, r, what);
	}
	if (!r->has_sha256) {
		s->why = "final answer without sha256";
		return sess_lost(s, FR_E_PROTOCOL, doing);
	}
	return FX_OK;
}
