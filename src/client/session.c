/*
 * session.c - one mutual-TLS connection of the ferry client.
 *
 * Connects (every address getaddrinfo gives, with a connect timeout),
 * handshakes through tls.h and says hello, waiting with poll (bounded by
 * FR_CLIENT_IO_TIMEOUT); after that the socket is driven non-blocking by
 * its lane.  Every transport failure becomes exactly one line on stderr
 * and an exit status here, so the job handlers only phrase the server's
 * own refusals.  It does not interpret requests beyond hello and never
 * opens local files.
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

	while ((r = poll(&pfd, 1, FR_CLIENT_IO_TIMEOUT * 1000)) < 0) {
		if (cli_interrupted())
			return FR_E_INTERRUPTED; /* Ctrl-C in ferry shell */
		if (errno != EINTR)
			return FR_E_TLS;
	}
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
		while (r < 0 && errno == EINTR && !cli_interrupted());
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
	if (cli_interrupted())
		return FX_INTERRUPTED; /* the shell says so */
	fprintf(stderr, "ferry: cannot connect to %s: %s: %s\n", s->where,
	        strerror(err),
	        err == ECONNREFUSED ? "is ferryd running? check -s"
	                            : "check -s and the network");
	return FX_CONN;
}

static int tls_start(struct session *s, struct fr_tls_ctx *ctx)
{
	int rc;

	rc = fr_tls_new(ctx, s->fd, s->host, &s->tls);
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
	if (cli_interrupted())
		return FX_INTERRUPTED;
	fprintf(stderr, "ferry: %s: %s%s\n", s->where, fr_tls_error(s->tls),
	        s->cli->cert ? ""
	                     : " (no client certificate given: --cert "
	                       "and --key, or FERRY_CERT and FERRY_KEY)");
	return FX_CONN;
}

/* Write all of out (blocking, for hello only). */
static int write_all(struct session *s, const uint8_t *p, size_t n)
{
	size_t w;
	int rc;

	while (n > 0) {
		rc = fr_tls_write(s->tls, p, n, &w);
		if (rc == FR_TLS_WANT_READ || rc == FR_TLS_WANT_WRITE) {
			rc = wait_fd(s->fd, rc);
			if (rc != FR_OK)
				return rc;
			continue;
		}
		if (rc != FR_OK)
			return rc;
		p += w;
		n -= w;
	}
	return FR_OK;
}

/* Read exactly n bytes (blocking, for hello only). */
static int read_exact(struct session *s, uint8_t *p, size_t n)
{
	size_t got;
	int rc;

	while (n > 0) {
		rc = fr_tls_read(s->tls, p, n, &got);
		if (rc == FR_TLS_WANT_READ || rc == FR_TLS_WANT_WRITE) {
			rc = wait_fd(s->fd, rc);
			if (rc != FR_OK)
				return rc;
			continue;
		}
		if (rc != FR_OK)
			return rc;
		p += got;
		n -= got;
	}
	return FR_OK;
}

/* The hello exchange: it also surfaces a TLS 1.3 rejection of our
 * certificate, which only arrives at our first read. */
static int hello_exchange(struct session *s)
{
	struct fr_buf b;
	uint8_t hdr[FR_FRAME_HDR], *body;
	uint32_t len;
	int rc;

	fr_buf_init(&b, FR_FRAME_HDR + FR_MAX_RESPONSE);
	rc = fr_req_hello(&b);
	if (rc == FR_OK)
		rc = write_all(s, fr_buf_data(&b), fr_buf_len(&b));
	fr_buf_reset(&b);
	if (rc == FR_OK)
		rc = read_exact(s, hdr, sizeof(hdr));
	if (rc == FR_OK) {
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		      (uint32_t)hdr[2] << 8 | hdr[3];
		/* SECURITY: the length is checked before the body is read */
		if (len == 0 || len > FR_MAX_RESPONSE) {
			s->why = "response frame length out of range";
			rc = FR_E_PROTOCOL;
		}
	}
	if (rc == FR_OK)
		rc = fr_buf_reserve(&b, len, &body);
	if (rc == FR_OK)
		rc = read_exact(s, body, len);
	if (rc == FR_OK &&
	    fr_response_parse(body, len, &s->hello, &s->why) != FR_OK)
		rc = FR_E_PROTOCOL;
	fr_buf_cleanup(&b);
	return rc;
}

static int say_hello(struct session *s)
{
	struct fr_response *r = &s->hello;
	int rc = hello_exchange(s);

	if (rc != FR_OK && cli_interrupted()) {
		s->dead = true;
		return FX_INTERRUPTED;
	}
	if (rc != FR_OK)
		return sess_lost(s, rc,
		                 s->cli->cert
		                     ? "waiting for the server's hello"
		                     : "waiting for the server's hello; "
		                       "no client certificate was given: "
		                       "use --cert and --key");
	if (r->status == FR_ST_ERROR)
		return sess_refused(s, r, "hello", NULL, NULL);
	if (r->status != FR_ST_OK) {
		(void)sess_unexpected(s, r, "hello");
		return FX_CONN;
	}
	/* the server settles on the lower version: never above ours */
	if (r->version < FR_PROTO_MIN || r->version > FR_PROTO_VERSION) {
		fprintf(stderr,
		        "ferry: %s (%s) answered protocol version %lld, this "
		        "ferry speaks %d to %d: upgrade the older one\n",
		        s->where, r->server[0] ? r->server : "?",
		        (long long)r->version, FR_PROTO_MIN, FR_PROTO_VERSION);
		s->dead = true;
		return FX_CONN;
	}
	s->proto = (unsigned)r->version;
	return FX_OK;
}

int sess_ctx_new(const struct cli *cli, struct fr_tls_ctx **out)
{
	struct fr_tls_conf conf;
	char err[512];
	int rc;

	*out = NULL;
	if (!cli->server || !*cli->server) {
		fprintf(stderr, "ferry: no server: give -s HOST[:PORT], set "
		                "FERRY_SERVER, or server = in the config "
		                "file\n");
		return FX_USAGE;
	}
	if (!cli->ca || !*cli->ca) {
		fprintf(stderr, "ferry: no CA file to verify the server with: "
		                "give --ca FILE, set FERRY_CA, or ca = in the "
		                "config file\n");
		return FX_USAGE;
	}
	if (!cli->cert != !cli->key) {
		fprintf(stderr,
		        "ferry: %s given without %s: the client "
		        "certificate needs both (--cert and --key, or "
		        "FERRY_CERT and FERRY_KEY)\n",
		        cli->cert ? "a certificate" : "a key",
		        cli->cert ? "its key" : "its certificate");
		return FX_USAGE;
	}
	memset(&conf, 0, sizeof conf);
	conf.cert = cli->cert;
	conf.key = cli->key;
	conf.ca = cli->ca;
	conf.crl = cli->crl;
	conf.pin_sha256 = cli->pin;
	conf.allow_open_key = cli->allow_open_key;
	err[0] = '\0';
	rc = fr_tls_ctx_new_client(&conf, out, err, sizeof err);
	if (rc != FR_OK) {
		fprintf(stderr, "ferry: %s\n", err[0] ? err : fr_err_str(rc));
		return rc == FR_E_USAGE ? FX_USAGE : FX_CONN;
	}
	return FX_OK;
}

int sess_open(struct session *s, const struct cli *cli,
              struct fr_tls_ctx *ctx)
{
	const char *why = "";
	int rc;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->cli = cli;
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
	rc = tcp_connect(s);
	if (rc == FX_OK)
		rc = tls_start(s, ctx);
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
	fr_response_cleanup(&s->hello);
	s->dead = true;
}

void sess_abort(struct session *s)
{
	/* SECURITY: no close_notify, so the server must treat an upload in
	 * progress as truncated and hold or discard it, never store it. */
	s->dead = true;
	fr_tls_free(s->tls);
	s->tls = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int sess_read(struct session *s, void *p, size_t n, size_t *got)
{
	*got = 0;
	if (s->dead || !s->tls)
		return FR_E_CLOSED;
	return fr_tls_read(s->tls, p, n, got);
}

int sess_write(struct session *s, const void *p, size_t n, size_t *wrote)
{
	*wrote = 0;
	if (s->dead || !s->tls)
		return FR_E_CLOSED;
	return fr_tls_write(s->tls, p, n, wrote);
}

int sess_lost(struct session *s, int err, const char *doing)
{
	s->dead = true;
	switch (err) {
	case FR_E_TLS:
		cli_say("%s: %s (while %s)", s->where,
		        s->tls ? fr_tls_error(s->tls) : "TLS failure", doing);
		break;
	case FR_E_TRUNCATED:
		cli_say("%s: connection cut off while %s (closed without TLS "
		        "close_notify)",
		        s->where, doing);
		break;
	case FR_E_CLOSED:
		cli_say("%s: the server closed the connection while %s",
		        s->where, doing);
		break;
	case FR_E_TIMEOUT:
		cli_say("%s: no answer from the server for %u s while %s: "
		        "check the network, or retry with --resume",
		        s->where, (unsigned)FR_CLIENT_IO_TIMEOUT, doing);
		break;
	case FR_E_PROTOCOL:
		cli_say("%s: protocol error while %s: %s", s->where, doing,
		        s->why ? s->why : "bad response");
		break;
	default:
		cli_say("%s: %s while %s", s->where, fr_err_str(err), doing);
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

int cli_refused(const struct fr_response *r, const char *cmd,
                const char *path, const char *hint)
{
	const char *code = r->code[0] ? r->code : "error";

	if (!hint)
		hint = default_hint(r->err);
	else if (!*hint)
		hint = NULL; /* the message says it all */
	cli_say("%s%s%s: %s%s%s%s%s%s", cmd, path ? " " : "",
	        path ? (*path ? path : "/") : "", code,
	        r->message[0] ? ": " : "", r->message, hint ? " (" : "",
	        hint ? hint : "", hint ? ")" : "");
	if (r->err == FR_E_CHECKSUM_MISMATCH)
		return FX_CHECKSUM;
	/* A timeout ends the connection: a connection failure, like a cut
	 * body, not a refusal of the operation. */
	if (r->err == FR_E_PROTOCOL || r->err == FR_E_TIMEOUT)
		return FX_CONN;
	return FX_REFUSED;
}

int sess_refused(struct session *s, const struct fr_response *r,
                 const char *cmd, const char *path, const char *hint)
{
	int rc = cli_refused(r, cmd, path, hint);

	if (rc == FX_CONN || fr_err_closes(r->err))
		s->dead = true;
	return rc;
}

int sess_unexpected(struct session *s, const struct fr_response *r,
                    const char *what)
{
	static const char *const names[] = {"?", "ready", "ok", "error"};
	unsigned st = (unsigned)r->status;

	cli_say("%s: protocol error: unexpected \"%s\" answer to %s",
	        s->where, names[st < 4 ? st : 0], what);
	s->dead = true;
	return FR_E_PROTOCOL;
}

int sess_protocol(struct session *s, const char *why, const char *doing)
{
	s->why = why;
	(void)sess_lost(s, FR_E_PROTOCOL, doing);
	return FR_E_PROTOCOL;
}
