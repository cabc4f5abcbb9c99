/*
 * server.h - the process-wide context every part of ferryd shares.
 *
 * Filled once by main.c before any thread starts, read-only afterwards,
 * except tls: replaced on SIGHUP (reload.c) by the reactor thread, the only
 * thread that reads it.
 */
#ifndef FERRYD_SERVER_H
#define FERRYD_SERVER_H

#include <stddef.h>

struct acl;
struct addrlimit;
struct config;
struct fr_tls_ctx;
struct pool;
struct reactor;

struct server {
	const struct config *cfg;
	struct fr_tls_ctx *tls;
	int root_fd; /* the served directory; every storage call starts here */
	struct acl *acl; /* identities (--acl) and per-identity counts */
	struct addrlimit *alim; /* per-address counts */
	struct pool *pool;
	struct reactor *reactor;
};

/* A server TLS context from the files and flags in cfg; err gets one line
 * on failure.  FR_OK or an error (see fr_tls_ctx_new_server). */
int server_tls_load(const struct config *cfg, struct fr_tls_ctx **out,
		    char *err, size_t errlen);

/* SIGHUP: load the certificate, key and CA again; on success new
 * connections use them, on failure log why and keep the old ones. */
void server_reload(struct server *srv);

#endif
