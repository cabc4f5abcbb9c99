/*
 * cmd_put.c - "ferry put": plan uploads from the operands and run them.
 *
 * Does: settle where each LOCAL goes (cp -r rules: into REMOTE when it is
 * a directory, an existing one or one written with a trailing '/', else
 * REMOTE becomes the copy), and hand the engine one job per file as lanes
 * have room: plain operands in order, trees through a walk (walk.h) that
 * makes jobs as it goes, so a 100,000-file tree costs the memory of its
 * current path, not of the tree.  Empty directories become mkdir jobs;
 * symlinks, FIFOs, sockets and devices in a tree are skipped with one
 * warning each (the exit status does not change).
 * Does not: send anything itself (xput.c, xmisc.c do).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"

#include "cli.h"
#include "engine.h"
#include "output.h"
#include "walk.h"
#include "xfer.h"

#define MAX_TREES 256 /* tree operands of one command */

struct plan {
	const struct cli *cli;
	struct xfer_opts o;
	struct engine *e;
	char **ops;  /* the LOCAL operands */
	int n_ops, next;
	char rdir[FR_PATH_MAX + 1]; /* REMOTE, normalised */
	bool dir_mode;             /* each LOCAL lands inside rdir */
	/* the tree being walked */
	struct walk *w;
	int top_fd;
	char tree_local[PATH_MAX];
	char tree_remote[FR_PATH_MAX + 1];
	int fds[MAX_TREES]; /* tops stay open: retries reopen below them */
	int n_fds;
};

/* a + "/" + b (either may be empty) into out of n bytes. */
static bool join(char *out, size_t n, const char *a, const char *b)
{
	if (!*b)
		return (size_t)snprintf(out, n, "%s", a) < n;
	return cli_join(out, n, a, b);
}

static struct job *oom(struct plan *p)
{
	cli_say("put: out of memory");
	engine_status(p->e, FX_LOCAL);
	engine_stop(p->e);
	return NULL;
}

/* SECURITY and courtesy: a name the server's path rules refuse (control
 * characters, a backslash, invalid UTF-8) is not sent at all: the
 * server would answer invalid_path, and the exit status is the same. */
static bool sendable(struct plan *p, const char *local, const char *remote)
{
	const char *why = NULL;

	if (fr_path_check(remote, strlen(remote), &why) == FR_OK)
		return true;
	cli_say("put %s: not sent: a remote name cannot hold it (%s)", local,
		why ? why : "invalid path");
	engine_status(p->e, FX_REFUSED);
	return false;
}

/* The next job of the tree being walked, or NULL when it is done. */
static struct job *tree_next(struct plan *p)
{
	char remote[FR_PATH_MAX + 2], local[PATH_MAX + FR_PATH_MAX + 2];
	struct walk_item it;
	struct job *j;

	while (walk_next(p->w, &it) == 0) {
		if (!join(local, sizeof local, p->tree_local, it.rel) ||
		    !join(remote, sizeof remote, p->tree_remote, it.rel) ||
		    strlen(remote) > FR_PATH_MAX) {
			cli_say("put %s: the remote path would be longer than "
				"%u bytes: not sent",
				local, FR_PATH_MAX);
			engine_status(p->e, FX_USAGE);
			continue;
		}
		switch (it.kind) {
		case WALK_FILE:
			if (!sendable(p, local, remote))
				continue;
			j = xput_new(&p->o, local, p->top_fd, it.rel, remote);
			return j ? j : oom(p);
		case WALK_EMPTY_DIR:
			if (!remote[0] || !sendable(p, local, remote))
				continue; /* the root exists */
			j = xmkdir_new("put", remote, true, false);
			return j ? j : oom(p);
		case WALK_SKIP:
			cli_say("put: skipping %s %s (only regular files and "
				"directories are copied; symlinks are never "
				"followed)",
				it.what, local);
			continue;
		case WALK_TOO_DEEP:
			cli_say("put %s: more than %u directory levels: not "
				"sent",
				local, WALK_DEPTH_MAX);
			break;
		case WALK_TOO_LONG:
			cli_say("put %s/...: a path longer than %u bytes: not "
				"sent",
				p->tree_local, WALK_PATH_MAX);
			break;
		case WALK_ERROR:
		default:
			cli_say("put %s: %s: not sent", local,
				strerror(it.err ? it.err : EIO));
			break;
		}
		engine_status(p->e, FX_LOCAL);
	}
	walk_free(p->w);
	p->w = NULL;
	return NULL;
}

/* Start walking the directory operand arg (its remote name: remote). */
static void tree_begin(struct plan *p, const char *arg, const char *remote)
{
	size_t l;
	int fd, e;

	if (p->n_fds >= MAX_TREES) {
		cli_say("put %s: more than %u directory operands: not sent",
			arg, MAX_TREES);
		engine_status(p->e, FX_USAGE);
		return;
	}
	fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = fd < 0 ? errno : walk_open(fd, &p->w);
	if (e != 0) {
		cli_say("put %s: %s", arg, strerror(e));
		engine_status(p->e, FX_LOCAL);
		if (fd >= 0)
			close(fd);
		return;
	}
	p->fds[p->n_fds++] = fd;
	p->top_fd = fd;
	snprintf(p->tree_local, sizeof p->tree_local, "%s", arg);
	l = strlen(p->tree_local);
	while (l > 1 && p->tree_local[l - 1] == '/')
		p->tree_local[--l] = '\0';
	snprintf(p->tree_remote, sizeof p->tree_remote, "%s", remote);
}

/* The job of operand arg (or its tree). */
static struct job *operand(struct plan *p, const char *arg)
{
	char base[FR_NAME_MAX + 2], remote[FR_PATH_MAX + 2];
	struct stat st;
	struct job *j;

	if (p->dir_mode) {
		cli_basename(arg, base, sizeof base);
		if (strcmp(base, "..") == 0) {
			engine_status(p->e, cli_usage("put", "name the directory "
							     "'%s' leads to",
						      arg));
			return NULL;
		}
		/* "." (dist/.) is its contents, as cp -r . DIR/ copies them */
		if (strcmp(base, ".") == 0)
			snprintf(remote, sizeof remote, "%s", p->rdir);
		else if (!base[0] ||
			 !cli_join(remote, sizeof remote, p->rdir, base) ||
			 strlen(remote) > FR_PATH_MAX) {
			engine_status(p->e,
				      cli_usage("put", "cannot name a remote "
						       "file after '%s'",
						arg));
			return NULL;
		}
	} else {
		snprintf(remote, sizeof remote, "%s", p->rdir);
	}
	if (cli_remote_utf8("put", remote) != FX_OK) {
		engine_status(p->e, FX_USAGE);
		return NULL;
	}
	if (p->o.recursive && strcmp(arg, "-") != 0) {
		if (lstat(arg, &st) == 0 && S_ISLNK(st.st_mode) &&
		    arg[strlen(arg) - 1] != '/') {
			cli_say("put: skipping symlink %s (with -r symlinks are "
				"never followed; name its target, or end it "
				"with '/')",
				arg);
			return NULL;
		}
		if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
			tree_begin(p, arg, remote);
			return NULL;
		}
	}
	j = xput_new(&p->o, arg, -1, NULL, remote);
	return j ? j : oom(p);
}

static struct job *source_next(void *arg, struct engine *e, bool *more)
{
	struct plan *p = arg;
	struct job *j;

	(void)e;
	*more = false;
	while (!engine_stopping(p->e)) {
		if (p->w) {
			j = tree_next(p);
			if (j) {
				*more = true;
				return j;
			}
			continue;
		}
		if (p->next >= p->n_ops)
			return NULL;
		j = operand(p, p->ops[p->next++]);
		if (j) {
			*more = true;
			return j;
		}
	}
	return NULL;
}

/* What REMOTE is now (for the cp -r rule): 'd'irectory, 'f'ile, or 0. */
static int remote_kind_cb(void *arg, const char *remote,
			  const struct fr_response *r, int rc)
{
	int *kind = arg;

	(void)remote;
	if (rc == FX_OK && r && r->status == FR_ST_OK)
		*kind = r->is_dir ? 'd' : 'f';
	return FX_OK;
}

static int remote_kind(struct engine *e, const char *rpath, int *kind)
{
	struct job *j = xstat_new("put", rpath, false, true, remote_kind_cb,
				  kind);

	*kind = 0;
	if (!j)
		return FX_LOCAL;
	engine_push(e, j);
	return engine_run(e);
}

int cmd_put(const struct cli *cli, int argc, char **argv)
{
	struct job_source src = {source_next, NULL};
	struct plan p;
	struct stat st;
	bool help, slash = false;
	int first, rc, kind, i;

	memset(&p, 0, sizeof p);
	p.cli = cli;
	rc = cli_xfer_opts(argc, argv, &p.o, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("put", "no file to upload");
	p.ops = argv + first;
	p.n_ops = argc - first == 1 ? 1 : argc - first - 1;
	p.dir_mode = true; /* one LOCAL, no REMOTE: to its name at the root */
	if (argc - first == 1) {
		/* (or in the shell's remote directory) */
		rc = cli_remote("put", "", p.rdir, sizeof p.rdir, NULL);
		if (rc != FX_OK)
			return rc;
	} else {
		rc = cli_remote("put", argv[argc - 1], p.rdir, sizeof p.rdir,
				&slash);
		if (rc != FX_OK)
			return rc;
		p.dir_mode = slash || p.n_ops > 1 || p.rdir[0] == '\0';
	}
	for (i = 0; i < p.n_ops; i++) {
		if (strcmp(p.ops[i], "-") == 0 && (p.dir_mode || p.n_ops > 1))
			return cli_usage("put",
					 "standard input ('-') needs a remote "
					 "file name: ferry put - REMOTE");
		if (strcmp(p.ops[i], "-") == 0 && p.o.skip_same)
			return cli_usage("put", "--skip-same compares files: "
						"it cannot read standard input "
						"twice");
	}
	if (p.o.sha256[0] && (p.n_ops != 1 || p.o.recursive))
		return cli_usage("put", "--sha256 is the expected hash of one "
					"file: give one LOCAL, without -r");
	rc = engine_start_xfer(cli, &p.o, "put", &p.e);
	/* cp -r: one directory onto an existing remote directory lands
	 * inside it, else it becomes the copy */
	if (rc == FX_OK && p.o.recursive && !p.dir_mode &&
	    stat(p.ops[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = remote_kind(p.e, p.rdir, &kind);
		if (rc == FX_OK && kind == 'f') {
			cli_say("put %s: %s is a file: a directory cannot "
				"replace it",
				p.ops[0], p.rdir);
			rc = FX_REFUSED;
		}
		p.dir_mode = kind == 'd';
	}
	if (rc == FX_OK) {
		src.arg = &p;
		engine_set_source(p.e, &src);
		rc = engine_run(p.e);
	}
	walk_free(p.w);
	engine_release(cli, p.e);
	for (i = 0; i < p.n_fds; i++)
		close(p.fds[i]);
	return rc;
}
