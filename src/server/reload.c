/*
 * reload.c - SIGHUP: read the certificate, key, CA, CRL and ACL files again.
 *
 * Does: build a complete new TLS context from the configured files and,
 * only if that worked, make it the one new connections use.  Connections
 * already made keep the context they started with: each SSL holds a
 * reference to its SSL_CTX (OpenSSL counts them), so freeing our wrapper
 * of the old one frees it only when its last connection is gone.
 * The ACL (acl_reload) swaps its rules under its own lock; connections
 * already made keep the root and permissions they resolved at handshake.
 * Does not: change flags, listeners or the root (restart for those).
 *
 * Threads: called on the reactor thread, the only thread that reads
 * srv->tls (conn_open runs there too), so the swap needs no lock.
 */
#include "acl.h"
#include "config.h"
#include "ferry/err.h"
#include "ferry/log.h"
#include "ferry/tls.h"
#include "server.h"

int server_tls_load(const struct config *cfg, struct fr_tls_ctx **out,
                    char *err, size_t errlen)
{
	struct fr_tls_conf tc = {0};

	tc.cert = cfg->cert;
	tc.key = cfg->key;
	tc.ca = cfg->ca;
	tc.min_version = cfg->tls_min;
	tc.crl = cfg->crl;
	tc.allow_open_key = cfg->allow_open_key != 0;
	err[0] = '\0';
	return fr_tls_ctx_new_server(&tc, out, err, errlen);
}

void server_reload(struct server *srv)
{
	struct fr_tls_ctx *nctx = NULL;
	char err[512];

	/* All or nothing: the ACL is swapped only once the TLS files loaded,
	 * and the TLS context only once the ACL did. */
	if (server_tls_load(srv->cfg, &nctx, err, sizeof(err)) != FR_OK ||
	    acl_reload(srv->acl, srv->cfg->acl, err, sizeof(err)) != FR_OK) {
		fr_tls_ctx_free(nctx);
		fr_log(FR_LOG_WARN,
		       "SIGHUP: reload failed, keeping the previous "
		       "certificate, key, CA, CRL and ACL: %s",
		       err[0] ? err : "TLS set-up failed");
		return;
	}
	fr_tls_ctx_free(srv->tls); /* connections keep their own reference */
	srv->tls = nctx;
	fr_log(FR_LOG_INFO,
	       "SIGHUP: reloaded certificate, key, CA, CRL%s; new "
	       "connections use them",
	       acl_enabled(srv->acl) ? " and ACL" : "");
}
