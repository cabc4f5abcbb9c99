/*
 * check.c - ferryd --check-config (as sshd -t, nginx -t).
 *
 * Does: with the settings already parsed, load and cross-check everything
 * ferryd would use, without binding or changing anything: the root is a
 * directory we can write, every file can be read (saying why not), the
 * CA and CRL load, the certificate and key load and match (and the key is
 * not open to others), the certificate is not expired, the ACL parses, the
 * user exists, the metrics address is not a TLS one, the port file's
 * directory exists.  One line per problem on stderr; a line on stdout
 * when all is well.
 * Does not: bind sockets, create the root, or start anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "config.h"
#include "confine.h"
#include "ferry/err.h"
#include "ferry/tls.h"
#include "server.h"

/* Warn (without failing) when the certificate expires sooner. */
#define CHECK_EXPIRY_WARN_DAYS 14

static int problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int problem(const char *fmt, ...)
{
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ferryd: %s\n", line);
	return 1;
}

static int check_root(const struct config *cfg)
{
	struct stat st;

	if (stat(cfg->root, &st) != 0)
		return problem("--root %s: %s", cfg->root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return problem("--root %s: not a directory", cfg->root);
	/* as the user ferryd runs as: with --user, root can write anyway */
	if (!cfg->user &&
	    faccessat(AT_FDCWD, cfg->root, W_OK | X_OK, AT_EACCESS) != 0)
		return problem("--root %s: not writable by uid %lu (%s): "
			       "chown it to the user ferryd runs as",
			       cfg->root, (unsigned long)geteuid(),
			       strerror(errno));
	return 0;
}

/* The TLS files: the CA and CRL on their own, then certificate and key
 * (verified against the CA when it loaded), so that independent problems
 * are each reported. */
static int check_tls(const struct config *cfg)
{
	const char *flag[] = { "cert", "key", "ca", "crl" };
	const char *path[] = { cfg->cert, cfg->key, cfg->ca, cfg->crl };
	struct fr_tls_conf tc = {0};
	struct fr_tls_ctx *ctx = NULL;
	char err[1024];
	int n = 0, unreadable = 0;
	bool ca_ok = false;
	int64_t until;
	size_t i;

	for (i = 0; i < 4; i++) {
		if (path[i] &&
		    server_file_check(flag[i], path[i], err, sizeof(err)) != FR_OK) {
			n += problem("%s", err);
			unreadable |= 1 << i;
		}
	}
	if (!(unreadable & 12)) {
		tc.ca = cfg->ca;
		tc.crl = cfg->crl;
		if (fr_tls_ctx_new_client(&tc, &ctx, err, sizeof(err)) != FR_OK)
			n += problem("%s", err);
		else
			ca_ok = true;
		fr_tls_ctx_free(ctx);
		ctx = NULL;
	}
	if (unreadable & 3)
		return n;
	memset(&tc, 0, sizeof(tc));
	tc.cert = cfg->cert;
	tc.key = cfg->key;
	/* without a usable CA, the certificate itself stands in for it: the
	 * point here is the certificate and the key */
	tc.ca = ca_ok ? cfg->ca : cfg->cert;
	tc.min_version = cfg->tls_min;
	tc.allow_open_key = cfg->allow_open_key;
	if (fr_tls_ctx_new_server(&tc, &ctx, err, sizeof(err)) != FR_OK)
		return n + problem("%s", err);
	if (fr_tls_ctx_not_after(ctx, &until) == FR_OK) {
		time_t now = time(NULL);

		if (until < (int64_t)now)
			n += problem("--cert %s: expired %lld days ago",
				     cfg->cert,
				     (long long)(now - until) / 86400);
		else if (until - (int64_t)now < CHECK_EXPIRY_WARN_DAYS * 86400)
			fprintf(stderr, "ferryd: warning: --cert %s expires in "
				"%lld day(s)\n", cfg->cert,
				(long long)(until - now) / 86400);
	}
	fr_tls_ctx_free(ctx);
	return n;
}

static int check_others(const struct config *cfg)
{
	struct confine_id id;
	struct acl *acl = NULL;
	char err[1024], dir[4096];
	const char *slash;
	int n = 0;
	size_t i;

	if (cfg->acl) {
		if (server_file_check("acl", cfg->acl, err, sizeof(err)) != FR_OK ||
		    acl_new(cfg->acl, &acl, err, sizeof(err)) != FR_OK)
			n += problem("%s", err);
		acl_free(acl);
	}
	if (confine_user_lookup(cfg->user, &id, err, sizeof(err)) != FR_OK)
		n += problem("%s", err);
	for (i = 0; cfg->metrics_listen && i < cfg->n_listen; i++)
		if (strcmp(cfg->metrics_listen, cfg->listen[i]) == 0)
			n += problem("--metrics-listen %s is also a --listen "
				     "address: give the metrics a port of "
				     "their own", cfg->metrics_listen);
	if (cfg->port_file) {
		slash = strrchr(cfg->port_file, '/');
		snprintf(dir, sizeof(dir), "%.*s",
			 slash ? (int)(slash - cfg->port_file + (slash ==
				 cfg->port_file)) : 1,
			 slash ? cfg->port_file : ".");
		if (access(dir, W_OK | X_OK) != 0)
			n += problem("--port-file %s: directory %s: %s",
				     cfg->port_file, dir, strerror(errno));
	}
	return n;
}

int server_check(const struct config *cfg)
{
	int n = check_root(cfg) + check_tls(cfg) + check_others(cfg);

	if (n == 0)
		printf("ferryd: configuration ok (%s)\n",
		       cfg->config_file ? cfg->config_file
					: "command line, no config file");
	return n;
}
