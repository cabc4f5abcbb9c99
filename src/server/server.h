/*
 * server.h - the process-wide context every part of ferryd shares.
 *
 * Filled once by main.c before any thread starts, read-only afterwards.
 */
#ifndef FERRYD_SERVER_H
#define FERRYD_SERVER_H

struct acl;
struct config;
struct fr_tls_ctx;
struct pool;
struct reactor;

struct server {
	const struct config *cfg;
	struct fr_tls_ctx *tls;
	int root_fd; /* the served directory; every storage call starts here */
	struct acl *acl; /* identities (--acl) and per-identity counts */
	struct pool *pool;
	struct reactor *reactor;
};

#endif
