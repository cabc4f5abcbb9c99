/*
 * main.c - start-up and shutdown of ferryd.
 *
 * Does: block the signals the reactor reads, load the settings (or print
 * them, or check them: --dump-config, --check-config), load the TLS
 * context, open the root, bind the listeners and the metrics socket, write
 * --port-file, confine the process, start the worker pool, the sweep and
 * the metrics threads, tell systemd READY=1, run the reactor on this
 * thread, and tear it all down.  Exit status: 0 normal or graceful, 1
 * internal failure (or a --check-config problem), 2 usage or configuration
 * error (one line on stderr).
 * Does not: serve connections itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/log.h"
#include "ferry/tls.h"
#include "acl.h"
#include "addrlimit.h"
#include "config.h"
#include "confine.h"
#include "conn.h"
#include "fsprobe.h"
#include "ktls.h"
#include "listener.h"
#include "metrics.h"
#include "notify.h"
#include "pool.h"
#include "reactor.h"
#include "server.h"
#include "sumcache.h"
#include "sweep.h"

/* Write "PORT\n" to path atomically (temporary name, then rename). */
static int write_port_file(const char *path, uint16_t port, char *err,
			   size_t errlen)
{
	char tmp[4096], line[16];
	int fd = -1, n, r = FR_E_USAGE;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "--port-file: path too long");
		return r;
	}
	n = snprintf(line, sizeof(line), "%u\n", port);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) != 0 ||
	    close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "--port-file '%s': %s", path,
			 strerror(errno));
		(void)unlink(tmp);
		return r;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "--port-file '%s': %s", path,
			 strerror(errno));
		(void)unlink(tmp);
		return r;
	}
	return FR_OK;
}

/* The SHA-256 cache's MAC key, from the server's own private key (the
 * same key next start: entries survive restarts; another key: they are
 * all hashed again, never trusted).  FR_OK with the cache on. */
static int cache_key(const struct server *srv)
{
	unsigned char key[32];
	int r = fr_tls_ctx_secret(srv->tls, "ferryd sha256 cache v1", key);

	if (r == FR_OK)
		sumcache_init(key);
	explicit_bzero(key, sizeof(key));
	return r;
}

static void drop_conn(struct pool_item *it)
{
	conn_free(conn_of_item(it));
}

/* The listeners into lfds: the sockets systemd passed (socket activation),
 * or those of cfg; *nl of them, the first one's port. */
static int open_listeners(const struct config *cfg, int *lfds, size_t *nl,
			  uint16_t *first_port, char *err, size_t errlen)
{
	uint16_t port;
	int r, unsupported;
	size_t i;

	r = listener_inherited(lfds, FR_MAX_LISTENERS, nl, first_port, err,
			       errlen);
	if (r != FR_OK || *nl > 0) {
		for (i = 0; i < *nl; i++)
			fr_log(FR_LOG_INFO, "listening on fd %d from the "
			       "service manager (socket activation)%s", lfds[i],
			       cfg->listen_default ? "" : "; --listen ignored");
		return r;
	}
	for (i = 0; i < cfg->n_listen; i++) {
		r = listener_open(cfg->listen[i], &lfds[*nl], &port,
				  &unsupported, err, errlen);
		if (r != FR_OK && cfg->listen_default && unsupported) {
			fr_log(FR_LOG_WARN, "skipping %s: %s", cfg->listen[i],
			       err);
			continue;
		}
		if (r != FR_OK)
			return r;
		if (*nl == 0)
			*first_port = port;
		fr_log(FR_LOG_INFO, "listening on %s (port %u)",
		       cfg->listen[i], port);
		(*nl)++;
	}
	if (*nl == 0) {
		snprintf(err, errlen, "no address to listen on");
		return FR_E_USAGE;
	}
	return FR_OK;
}

/* Did the command line ask for --check-config (whose failures exit 1)? */
static bool wants_check(int argc, char **argv)
{
	int a;

	for (a = 1; a < argc; a++)
		if (strcmp(argv[a], "--check-config") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct confine_id id;
	struct config *cfg = NULL;
	struct server srv;
	char err[1024], status_line[256];
	int lfds[FR_MAX_LISTENERS];
	uint16_t first_port = 0, mport = 0;
	size_t nl = 0, i;
	int r, status = 2;
	sigset_t set;

	memset(&srv, 0, sizeof(srv));
	srv.root_fd = -1;
	/* before any thread exists, so every thread inherits the mask and
	 * only the reactor's signalfd sees these */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "ferryd: cannot set up signals\n");
		return 1;
	}
	r = config_load(argc, argv, &cfg, err, sizeof(err));
	if (r == FR_AGAIN)
		return 0;
	if (r != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		return wants_check(argc, argv) ? 1 : 2;
	}
	if (cfg->mode == CONFIG_DUMP) {
		config_dump(cfg);
		config_free(cfg);
		return 0;
	}
	if (cfg->mode == CONFIG_CHECK) {
		r = server_check(cfg);
		config_free(cfg);
		return r == 0 ? 0 : 1;
	}
	srv.cfg = cfg;
	fr_log_set_format(cfg->log_format);
	if (notify_init(err, sizeof(err)) != FR_AGAIN)
		fr_log(FR_LOG_INFO, "%s", err);
	if (addrlimit_new(cfg->max_conns_per_address, &srv.alim) != FR_OK) {
		fprintf(stderr, "ferryd: out of memory\n");
		goto out;
	}
	if (acl_new(cfg->acl, &srv.acl, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	if (server_tls_load(cfg, &srv.tls, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err[0] ? err : "TLS set-up failed");
		goto out;
	}
	metrics_reloaded(NULL, true, srv.tls);
	srv.root_fd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srv.root_fd < 0) {
		fprintf(stderr, "ferryd: --root '%s': %s\n", cfg->root,
			strerror(errno));
		goto out;
	}
	{
		/* decide once what the file system allows (store.h) */
		struct store_caps caps;
		char line[1024];

		r = fsprobe_run(srv.root_fd, &caps, line, sizeof(line));
		fr_log(r == FR_OK ? FR_LOG_INFO : FR_LOG_WARN, "%s%s", line,
		       r == FR_OK ? "" : "; assuming a local file system");
		store_set_caps(&caps);
		if (!caps.xattrs)
			fr_log(FR_LOG_WARN, "no user xattrs on --root: the "
			       "SHA-256 cache is off, every sum, stat --sha256 "
			       "and check reads the whole file");
		else if (cache_key(&srv) != FR_OK)
			fr_log(FR_LOG_WARN, "no key for the SHA-256 cache: it "
			       "is off, every sum reads the whole file");
	}
	if (open_listeners(cfg, lfds, &nl, &first_port, err, sizeof(err)) !=
	    FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	/* SECURITY: its own socket, never the TLS port's; bound before
	 * confinement and the switch of user (a low port may need root) */
	if (cfg->metrics_listen) {
		if (metrics_new(cfg->metrics_listen, &srv.metrics, &mport, err,
				sizeof(err)) != FR_OK) {
			fprintf(stderr, "ferryd: %s\n", err);
			goto out;
		}
		fr_log(FR_LOG_INFO, "metrics on http://%s/metrics (port %u)",
		       cfg->metrics_listen, mport);
	}
	if (cfg->port_file &&
	    write_port_file(cfg->port_file, first_port, err, sizeof(err)) !=
		    FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	{
		/* before confinement: the probe opens loopback sockets */
		char why[128];
		bool k = ktls_probe(why, sizeof(why));

		fr_log(FR_LOG_INFO, "kernel TLS: %s; %s", why,
		       k ? "not used by ferryd " FR_VERSION_STRING
			     " (user-space TLS)"
			 : "user-space TLS");
	}
	if (confine_user_lookup(cfg->user, &id, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	{
		/* before any thread: they inherit the restriction.  The
		 * config file too: SIGHUP reads it again. */
		const char *files[] = { cfg->cert, cfg->key, cfg->ca, cfg->crl,
					cfg->acl, cfg->config_file };

		r = confine_landlock(srv.root_fd, files,
				     sizeof(files) / sizeof(files[0]), err,
				     sizeof(err));
		if (r == FR_E_INTERNAL) {
			fprintf(stderr, "ferryd: %s\n", err);
			goto out;
		}
		fr_log(r == FR_OK ? FR_LOG_INFO : FR_LOG_WARN, "%s", err);
	}
	/* Landlock first (as root it can still open the files it names),
	 * then the user: switching needs no file access. */
	if (confine_user_apply(&id, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	if (id.change)
		fr_log(FR_LOG_INFO, "running as user %s (uid %lu)", cfg->user,
		       (unsigned long)id.uid);
	status = 1;
	if (pool_new((unsigned)cfg->threads, conn_work, &srv.pool) != FR_OK) {
		fprintf(stderr, "ferryd: cannot start worker threads\n");
		goto out;
	}
	if (reactor_new(&srv, &conn_reactor_ops, lfds, nl, &srv.reactor) !=
	    FR_OK) {
		fprintf(stderr, "ferryd: cannot start the event loop\n");
		goto out;
	}
	nl = 0; /* the reactor owns the listeners now */
	if (sweep_start(srv.root_fd, cfg->partial_ttl, &srv.sweep) != FR_OK) {
		fprintf(stderr, "ferryd: cannot start the sweep thread\n");
		goto out;
	}
	if (srv.metrics && metrics_start(srv.metrics, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	fr_log(FR_LOG_INFO,
	       "ferryd %s serving %s: %llu threads, max %llu connections, "
	       "TLS >= 1.%d, settings from %s",
	       FR_VERSION_STRING, cfg->root, (unsigned long long)cfg->threads,
	       (unsigned long long)cfg->max_conns, cfg->tls_min - 10,
	       cfg->config_file ? cfg->config_file : "the command line");
	snprintf(status_line, sizeof(status_line), "serving %s on port %u",
		 cfg->root, first_port);
	notify_ready(status_line);
	status = reactor_run(srv.reactor) == FR_OK ? 0 : 1;
out:
	/* workers first: they may still park or free connections */
	pool_free(srv.pool, drop_conn);
	sweep_stop(srv.sweep);
	metrics_free(srv.metrics);
	reactor_free(srv.reactor);
	for (i = 0; i < nl; i++)
		close(lfds[i]);
	if (srv.root_fd >= 0)
		close(srv.root_fd);
	fr_tls_ctx_free(srv.tls);
	acl_free(srv.acl);
	addrlimit_free(srv.alim);
	notify_close();
	/* the settings in use and, chained to them, the ones they replaced */
	config_free(srv.cfg ? (struct config *)srv.cfg : cfg);
	return status;
}
