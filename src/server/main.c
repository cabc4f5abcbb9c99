/*
 * main.c - start-up and shutdown of ferryd.
 *
 * Does: block the signals the reactor reads, parse the configuration, load
 * the TLS context, open the root, bind the listeners, write --port-file,
 * start the worker pool, run the reactor on this thread, and tear it all
 * down.  Exit status: 0 normal or graceful, 1 internal failure, 2 usage or
 * configuration error (one line on stderr).
 * Does not: serve connections itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
#include "pool.h"
#include "reactor.h"
#include "server.h"
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

static void drop_conn(struct pool_item *it)
{
	conn_free(conn_of_item(it));
}

int main(int argc, char **argv)
{
	struct confine_id id;
	struct config cfg;
	struct server srv;
	struct sweep *sweeper = NULL;
	char err[512];
	int lfds[FR_MAX_LISTENERS];
	uint16_t first_port = 0, port;
	size_t nl = 0, i;
	int r, unsupported, status = 2;
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
	r = config_parse(argc, argv, &cfg, err, sizeof(err));
	if (r == FR_AGAIN)
		return 0;
	if (r != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		return 2;
	}
	srv.cfg = &cfg;
	fr_log_set_format(cfg.log_format);
	if (addrlimit_new(cfg.max_conns_per_address, &srv.alim) != FR_OK) {
		fprintf(stderr, "ferryd: out of memory\n");
		goto out;
	}
	if (acl_new(cfg.acl, &srv.acl, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}

	if (server_tls_load(&cfg, &srv.tls, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err[0] ? err : "TLS set-up failed");
		goto out;
	}
	srv.root_fd = open(cfg.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srv.root_fd < 0) {
		fprintf(stderr, "ferryd: --root '%s': %s\n", cfg.root,
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
	}
	for (i = 0; i < cfg.n_listen; i++) {
		r = listener_open(cfg.listen[i], &lfds[nl], &port, &unsupported,
				  err, sizeof(err));
		if (r != FR_OK && cfg.listen_default && unsupported) {
			fr_log(FR_LOG_WARN, "skipping %s: %s", cfg.listen[i],
			       err);
			continue;
		}
		if (r != FR_OK) {
			fprintf(stderr, "ferryd: %s\n", err);
			goto out;
		}
		if (nl == 0)
			first_port = port;
		fr_log(FR_LOG_INFO, "listening on %s (port %u)", cfg.listen[i],
		       port);
		nl++;
	}
	if (nl == 0) {
		fprintf(stderr, "ferryd: no address to listen on\n");
		goto out;
	}
	if (cfg.port_file &&
	    write_port_file(cfg.port_file, first_port, err, sizeof(err)) !=
		    FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	{
		/* before confinement: the probe opens loopback sockets */
		char why[128];
		bool k = ktls_probe(why, sizeof(why));

		fr_log(FR_LOG_INFO, "kernel TLS: %s; %s", why,
		       k ? "not used by ferryd 0.1 (user-space TLS)"
			 : "user-space TLS");
	}
	if (confine_user_lookup(cfg.user, &id, err, sizeof(err)) != FR_OK) {
		fprintf(stderr, "ferryd: %s\n", err);
		goto out;
	}
	{
		/* before any thread: they inherit the restriction */
		const char *files[] = { cfg.cert, cfg.key, cfg.ca, cfg.crl,
					cfg.acl };

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
		fr_log(FR_LOG_INFO, "running as user %s (uid %lu)", cfg.user,
		       (unsigned long)id.uid);
	status = 1;
	if (pool_new((unsigned)cfg.threads, conn_work, &srv.pool) != FR_OK) {
		fprintf(stderr, "ferryd: cannot start worker threads\n");
		goto out;
	}
	if (reactor_new(&srv, &conn_reactor_ops, lfds, nl, &srv.reactor) !=
	    FR_OK) {
		fprintf(stderr, "ferryd: cannot start the event loop\n");
		goto out;
	}
	nl = 0; /* the reactor owns the listeners now */
	if (sweep_start(srv.root_fd, cfg.partial_ttl, &sweeper) != FR_OK) {
		fprintf(stderr, "ferryd: cannot start the sweep thread\n");
		goto out;
	}
	fr_log(FR_LOG_INFO,
	       "ferryd %s serving %s: %llu threads, max %llu connections, "
	       "TLS >= 1.%d",
	       FR_VERSION_STRING, cfg.root, (unsigned long long)cfg.threads,
	       (unsigned long long)cfg.max_conns, cfg.tls_min - 10);
	status = reactor_run(srv.reactor) == FR_OK ? 0 : 1;
out:
	/* workers first: they may still park or free connections */
	pool_free(srv.pool, drop_conn);
	sweep_stop(sweeper);
	reactor_free(srv.reactor);
	for (i = 0; i < nl; i++)
		close(lfds[i]);
	if (srv.root_fd >= 0)
		close(srv.root_fd);
	fr_tls_ctx_free(srv.tls);
	acl_free(srv.acl);
	addrlimit_free(srv.alim);
	return status;
}
