/*
 * reload.c - SIGHUP: read the config file, the certificate, key, CA, CRL
 * and ACL again, and say why when a file cannot be read.
 *
 * Does: re-read the settings (config_reload: what needs a restart keeps
 * its old value and is logged), check that every file can be opened and
 * say why not (missing, permissions, Landlock), build a complete new TLS
 * context from files that did not change while being read, re-read the
 * ACL, and only if all of that worked make them what new connections use
 * (settings, TLS context, ACL rules, log format, sweep TTL).  Tells systemd
 * RELOADING=1 ... READY=1 around it.
 * Does not: change listeners, the root, threads or the user (restart).
 *
 * Lifetimes: connections already made keep the TLS context they started
 * with (each holds a reference: fr_tls_ctx_free here drops only ours) and
 * the root and permissions they resolved at handshake.  Replaced settings
 * are kept (cfg->older) until exit: workers may still read them.
 * Threads: runs on the reactor thread, the only one that reads srv->tls
 * (conn_open runs there too), so that swap needs no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "config.h"
#include "ferry/err.h"
#include "ferry/log.h"
#include "ferry/tls.h"
#include "metrics.h"
#include "notify.h"
#include "server.h"
#include "sweep.h"

/* A file that changes while we read it is read again, this many times at
 * most, RELOAD_SETTLE_MS apart (an edit in place half done). */
#define RELOAD_TRIES 3
#define RELOAD_SETTLE_MS 50

int server_tls_load(const struct config *cfg, struct fr_tls_ctx **out,
		    char *err, size_t errlen)
{
	struct fr_tls_conf tc = {0};

	tc.cert = cfg->cert;
	tc.key = cfg->key;
	tc.ca = cfg->ca;
	tc.min_version = cfg->tls_min;
	tc.crl = cfg->crl;
	tc.allow_open_key = cfg->allow_open_key;
	err[0] = '\0';
	return fr_tls_ctx_new_server(&tc, out, err, errlen);
}

int server_file_check(const char *flag, const char *path, char *err,
		      size_t errlen)
{
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return FR_OK;
	}
	e = errno;
	/* SECURITY: Landlock refuses the open, not the permission check:
	 * when the file's mode lets us read it, the denial is Landlock's */
	if (e == EACCES && faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0)
		snprintf(err, errlen, "cannot read --%s %s: denied by "
			 "Landlock: ferryd may read only below the "
			 "directories of the files it started with (its "
			 "'landlock:' log line): restart ferryd to use a file "
			 "in another directory", flag, path);
	else if (e == EACCES)
		snprintf(err, errlen, "cannot read --%s %s: %s: make it "
			 "readable by uid %lu, the user ferryd runs as", flag,
			 path, strerror(e), (unsigned long)geteuid());
	else if (e == ENOENT)
		snprintf(err, errlen, "cannot read --%s %s: %s: check the "
			 "path (and where its symlinks lead)", flag, path,
			 strerror(e));
	else
		snprintf(err, errlen, "cannot read --%s %s: %s", flag, path,
			 strerror(e));
	return FR_E_USAGE;
}

/* The files a reload reads, with their flags. */
static size_t files_of(const struct config *cfg, const char *flag[5],
		       const char *path[5])
{
	const char *f[] = { "cert", "key", "ca", "crl", "acl" };
	const char *p[] = { cfg->cert, cfg->key, cfg->ca, cfg->crl, cfg->acl };
	size_t i, n = 0;

	for (i = 0; i < 5; i++) {
		if (!p[i])
			continue;
		flag[n] = f[i];
		path[n++] = p[i];
	}
	return n;
}

/* What identifies one version of a file. */
struct stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static void stamp_files(const char *const *path, size_t n, struct stamp *s)
{
	struct stat st;
	size_t i;

	memset(s, 0, n * sizeof(*s));
	for (i = 0; i < n; i++) {
		if (stat(path[i], &st) != 0)
			continue;
		s[i].dev = st.st_dev;
		s[i].ino = st.st_ino;
		s[i].size = st.st_size;
		s[i].mtime = st.st_mtim;
	}
}

/* The settings each reload differs in, for its log line. */
struct changes {
	char applied[512], restart[512];
};

static void add_name(char *list, size_t n, const char *name)
{
	size_t len = strlen(list);

	snprintf(list + len, n - len, "%s%s", len ? ", " : "", name);
}

static void on_change(void *arg, const char *name, bool applied)
{
	struct changes *ch = arg;

	if (applied)
		add_name(ch->applied, sizeof(ch->applied), name);
	else
		add_name(ch->restart, sizeof(ch->restart), name);
}

/* Build the TLS context and re-read the ACL from files that did not
 * change meanwhile.  FR_OK with *ctx, or an error in err. */
static int load_files(struct server *srv, const struct config *cfg,
		      struct fr_tls_ctx **ctx, char *err, size_t errlen)
{
	const char *flag[5], *path[5];
	struct stamp before[5], after[5];
	size_t n = files_of(cfg, flag, path), i;
	struct timespec pause = { 0, RELOAD_SETTLE_MS * 1000000L };
	int tries, r = FR_E_USAGE;

	*ctx = NULL;
	for (i = 0; i < n; i++)
		if (server_file_check(flag[i], path[i], err, errlen) != FR_OK)
			return FR_E_USAGE;
	for (tries = 0; tries < RELOAD_TRIES; tries++) {
		if (tries)
			nanosleep(&pause, NULL);
		stamp_files(path, n, before);
		fr_tls_ctx_free(*ctx);
		*ctx = NULL;
		r = server_tls_load(cfg, ctx, err, errlen);
		stamp_files(path, n, after);
		if (memcmp(before, after, n * sizeof(before[0])) == 0)
			break;
		snprintf(err, errlen, "a file changed while being read "
			 "(%d times): replace files with rename, not in "
			 "place", RELOAD_TRIES);
		r = FR_E_USAGE;
	}
	if (r == FR_OK)
		r = acl_reload(srv->acl, cfg->acl, err, errlen);
	if (r != FR_OK) {
		fr_tls_ctx_free(*ctx);
		*ctx = NULL;
	}
	return r;
}

void server_reload(struct server *srv)
{
	struct config *old = (struct config *)srv->cfg, *cfg = NULL;
	struct fr_tls_ctx *ctx = NULL;
	struct changes ch;
	char err[1024];

	notify_reloading();
	memset(&ch, 0, sizeof(ch));
	err[0] = '\0';
	if (config_reload(old, &cfg, on_change, &ch, err, sizeof(err)) !=
	    FR_OK)
		goto fail;
	/* SECURITY: turning the ACL on or off changes who may do what for
	 * every identity at once: a restart, not a lost line in a file */
	if ((old->acl == NULL) != (cfg->acl == NULL)) {
		cfg->acl = old->acl;
		add_name(ch.restart, sizeof(ch.restart), "acl (on/off)");
	}
	if (load_files(srv, cfg, &ctx, err, sizeof(err)) != FR_OK)
		goto fail;
	cfg->older = old;
	srv->cfg = cfg;
	fr_tls_ctx_free(srv->tls); /* connections keep their own reference */
	srv->tls = ctx;
	fr_log_set_format(cfg->log_format);
	sweep_set_ttl(srv->sweep, cfg->partial_ttl);
	metrics_reloaded(srv->metrics, true, ctx);
	fr_log(FR_LOG_INFO,
	       "SIGHUP: reloaded %s; certificate, key, CA%s%s read again; "
	       "new connections use them%s%s%s%s%s",
	       cfg->config_file ? cfg->config_file : "(no config file)",
	       cfg->crl ? ", CRL" : "", cfg->acl ? ", ACL" : "",
	       ch.applied[0] ? "; changed: " : "", ch.applied,
	       ch.restart[0] ? "; needs a restart to change (old value "
			       "kept): " : "", ch.restart, "");
	notify_ready("serving (reloaded)");
	return;
fail:
	config_free(cfg);
	metrics_reloaded(srv->metrics, false, NULL);
	fr_log(FR_LOG_WARN,
	       "SIGHUP: reload failed, keeping the previous settings, "
	       "certificate, key, CA, CRL and ACL: %s",
	       err[0] ? err : "TLS set-up failed");
	notify_ready("serving (last reload failed, see the log)");
}
