/*
 * server.h - the process-wide context every part of ferryd shares.
 *
 * Filled by main.c before any thread starts.  Two fields change later, on
 * SIGHUP, on the reactor thread (reload.c): cfg, an atomic pointer to
 * immutable settings (workers load it per use; replaced settings are kept
 * until exit, so a pointer a worker loaded stays valid), and tls, read only
 * by the reactor thread (each connection holds its own reference to the
 * context it started with).
 */
#ifndef FERRYD_SERVER_H
#define FERRYD_SERVER_H

#include <stdatomic.h>
#include <stddef.h>

struct acl;
struct addrlimit;
struct config;
struct fr_tls_ctx;
struct metrics;
struct pool;
struct reactor;
struct sweep;

struct server {
	const struct config *_Atomic cfg;
	struct fr_tls_ctx *tls;
	int root_fd; /* the served directory; every storage call starts here */
	struct acl *acl; /* identities (--acl) and per-identity counts */
	struct addrlimit *alim; /* per-address counts */
	struct pool *pool;
	struct reactor *reactor;
	struct sweep *sweep;
	struct metrics *metrics; /* NULL without --metrics-listen */
};

/* A server TLS context from the files and flags in cfg; err gets one line
 * on failure.  FR_OK or an error (see fr_tls_ctx_new_server). */
int server_tls_load(const struct config *cfg, struct fr_tls_ctx **out,
		    char *err, size_t errlen);

/*
 * Can ferryd open path (the file of setting flag, e.g. "cert") for
 * reading?  FR_OK, or FR_E_USAGE with one line in err naming the file, the
 * reason and the fix: missing, not readable by our uid (chmod/chown), or
 * denied by Landlock (outside the directories ferryd started with:
 * restart).
 */
int server_file_check(const char *flag, const char *path, char *err,
		      size_t errlen);

/* SIGHUP: read the config file and the TLS and ACL files again; on
 * success new connections use them, on failure log why and keep the old
 * ones (reload.c). */
void server_reload(struct server *srv);

/* --check-config: print one line per problem on stderr; the number of
 * problems (check.c). */
int server_check(const struct config *cfg);

#endif
