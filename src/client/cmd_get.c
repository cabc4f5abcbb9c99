/*
 * cmd_get.c - "ferry get": plan downloads from the operands and run them.
 *
 * Does: settle where each REMOTE goes (cp -r rules, as put), then for a
 * plain get one job per file, and for get -r one listing per operand
 * (recursive on a protocol-2 server, one directory at a time on an older
 * one) whose entries become directories made at once and get jobs queued
 * behind them.  Below a tree's top nothing is ever followed: directories
 * are made and opened one component at a time with O_NOFOLLOW, so a
 * symlink planted in LOCAL stops the files below it instead of
 * redirecting them.
 * SECURITY: every name a listing brings is one valid path component
 * (response.c refuses the whole frame otherwise: exit 3, nothing written
 * for it), and the tree structure is checked by the listing job (xmisc.c:
 * an entry deeper than the directory it follows is a protocol failure): a
 * server never chooses where the client writes.
 * Does not: transfer anything itself (xget.c does).
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

#include "cli.h"
#include "engine.h"
#include "local.h"
#include "output.h"
#include "xfer.h"

/* The local top of one get -r operand: made when its listing shows a
 * directory (a file operand is fetched as a file instead). */
struct top {
	int fd;        /* -1 until made */
	char *parent;  /* into this existing directory ... */
	char *base;    /* ... under this name; parent NULL: base is the
			  path of the copy itself ("" parent and base: the
			  root's contents straight into LOCAL) */
	char *display; /* what output lines start with */
};

/* One listing of a tree: the remote directory it lists, where that lands
 * below the top, and the stack of directory names the depths of its
 * entries refer to. */
struct tree {
	struct tree *next; /* all trees of the command, freed at the end */
	struct plan *p;
	struct top *top;   /* shared by the listings of one operand */
	char *remote;      /* the listed directory */
	char *rel;         /* where it lands below the top ("" = the top) */
	unsigned depth;
	size_t len[FR_LIST_TREE_DEPTH]; /* of path at each depth */
	char path[FR_PATH_MAX + 1]; /* the current directory, below remote */
};

#define MAX_TOPS 256

struct plan {
	const struct cli *cli;
	struct xfer_opts o;
	struct engine *e;
	struct tree *trees;
	struct top tops[MAX_TOPS];
	size_t n_tops;
};

static bool join(char *out, size_t n, const char *a, const char *b)
{
	if (!*b)
		return (size_t)snprintf(out, n, "%s", a) < n;
	if (!*a)
		return (size_t)snprintf(out, n, "%s", b) < n;
	return cli_join(out, n, a, b);
}

static void fail(struct plan *p, int rc)
{
	engine_status(p->e, rc);
}

static struct tree *tree_new(struct plan *p, struct top *top,
			     const char *remote, const char *rel)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->p = p;
	t->top = top;
	t->remote = strdup(remote);
	t->rel = strdup(rel);
	if (!t->remote || !t->rel) {
		free(t->remote);
		free(t->rel);
		free(t);
		return NULL;
	}
	t->next = p->trees;
	p->trees = t;
	return t;
}

static int list_cb(void *arg, const char *remote,
		   const struct fr_response *r, int rc);

/* Queue the listing of remote directory remote, landing at rel. */
static void queue_list(struct plan *p, struct top *top, const char *remote,
		       const char *rel)
{
	struct tree *t = tree_new(p, top, remote, rel);
	struct job *j = t ? xlist_new("get", remote, true, true, list_cb, t)
			  : NULL;

	if (!j) {
		cli_say("get %s: out of memory", remote);
		fail(p, FX_LOCAL);
		engine_stop(p->e);
		return;
	}
	engine_push(p->e, j);
}

/* A local directory could not be made: say why in one line. */
static void cannot_make(struct plan *p, const char *remote, const char *local,
			int e)
{
	cli_say("get %s: cannot make %s: %s%s", remote, local, strerror(e),
		e == ELOOP || e == ENOTDIR ? " (a symlink or a file is in the "
					     "way: not followed)"
					   : "");
	fail(p, FX_LOCAL);
}

/* Make the top of an operand's copy (mode 0777 & ~umask, as mkdir
 * would), once its listing says the operand is a directory. */
static int make_top(struct plan *p, struct top *top, const char *remote)
{
	int pfd = -1, e = 0;

	if (top->fd >= 0)
		return 0;
	if (!top->parent) {
		if (mkdir(top->base, 0777) < 0 && errno != EEXIST)
			e = errno;
		else if ((top->fd = open(top->base, O_RDONLY | O_DIRECTORY |
							    O_CLOEXEC)) < 0)
			e = errno;
	} else if ((pfd = open(top->parent,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = errno;
	} else if (!top->base[0]) {
		top->fd = pfd;
		pfd = -1;
	} else if (mkdirat(pfd, top->base, 0777) < 0 && errno != EEXIST) {
		e = errno;
	} else if ((top->fd = openat(pfd, top->base,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC)) < 0) {
		/* SECURITY: not even the top is reached through a symlink
		 * that stands where the copy goes */
		e = errno;
	}
	if (pfd >= 0)
		close(pfd);
	if (e != 0)
		cannot_make(p, remote, top->display, e);
	return e;
}

/* One entry of a listing (its place in the tree was checked for the
 * whole frame before any of it arrived here: xmisc.c). */
static int entry(struct tree *t, const struct fr_entry *en, bool recursive)
{
	struct plan *p = t->p;
	char sub[FR_PATH_MAX + 1], rel[FR_PATH_MAX + 1];
	char remote[FR_PATH_MAX + 2], local[PATH_MAX + FR_PATH_MAX + 2];
	struct job *j;
	int dfd, e;

	t->depth = en->depth;
	t->path[t->len[t->depth]] = '\0';
	if (!join(sub, sizeof sub, t->path, en->name) ||
	    !join(rel, sizeof rel, t->rel, sub) ||
	    !join(remote, sizeof remote, t->remote, sub) ||
	    strlen(remote) > FR_PATH_MAX ||
	    !join(local, sizeof local, t->top->display, rel)) {
		cli_say("get %s/%s: the path is too long: not written",
			t->remote, en->name);
		fail(p, FX_LOCAL);
		return FX_OK;
	}
	if (!en->is_dir) {
		j = xget_new(&p->o, remote, local, t->top->fd, rel, en->size);
		if (!j) {
			cli_say("get %s: out of memory", remote);
			fail(p, FX_LOCAL);
			return FX_LOCAL;
		}
		engine_push(p->e, j);
		return FX_OK;
	}
	/* a directory: made now (empty ones too), nothing followed */
	e = local_open_below(t->top->fd, rel, true, &dfd);
	if (e != 0)
		cannot_make(p, remote, local, e);
	else
		close(dfd);
	if (!recursive || en->truncated) {
		queue_list(p, t->top, remote, rel);
		return FX_OK;
	}
	if (en->depth + 1 >= FR_LIST_TREE_DEPTH)
		return FX_OK; /* cannot happen: it came truncated */
	t->depth = en->depth + 1;
	t->len[t->depth] = strlen(sub);
	memcpy(t->path, sub, strlen(sub) + 1);
	return FX_OK;
}

static int list_cb(void *arg, const char *remote,
		   const struct fr_response *r, int rc)
{
	struct tree *t = arg;
	struct plan *p = t->p;
	struct job *j;
	size_t i;

	if (!r) {
		/* the end of the listing (an empty directory too) */
		if (rc == FX_OK)
			(void)make_top(p, t->top, remote);
		return FX_OK;
	}
	if (r->status == FR_ST_ERROR) {
		if (r->err == FR_E_NOT_DIRECTORY && !t->rel[0] &&
		    t->top->fd < 0) {
			/* the operand is a file: get it, as cp -r would */
			j = xget_new(&p->o, remote, t->top->display, -1, NULL,
				     0);
			if (j)
				engine_push(p->e, j);
			else
				fail(p, FX_LOCAL);
			return FX_OK;
		}
		fail(p, cli_refused(r, "get", remote, NULL));
		return FX_OK;
	}
	if (make_top(p, t->top, remote) != 0)
		return FX_LOCAL; /* stop this listing: nowhere to write */
	for (i = 0; i < r->n_entries; i++)
		if (entry(t, &r->entries[i], engine_proto(p->e) >= 2) != FX_OK)
			return FX_CONN;
	return FX_OK;
}

/* get -r of one operand rpath; local_is_dir: into LOCAL, else LOCAL is
 * the copy. */
static void plan_tree(struct plan *p, const char *rpath, const char *local,
		      bool local_is_dir)
{
	char base[FR_NAME_MAX + 1], display[PATH_MAX];
	struct top *top;

	if (p->n_tops >= MAX_TOPS) {
		fail(p, cli_usage("get", "more than %u REMOTE trees",
				  MAX_TOPS));
		return;
	}
	cli_basename(rpath, base, sizeof base);
	if (!local_is_dir)
		snprintf(display, sizeof display, "%s", local);
	else if (!base[0])
		snprintf(display, sizeof display, "%s",
			 local && *local ? local : ".");
	else if (!join(display, sizeof display, local ? local : "", base)) {
		fail(p, cli_usage("get", "local path too long"));
		return;
	}
	top = &p->tops[p->n_tops];
	top->fd = -1;
	top->display = strdup(display);
	top->base = strdup(local_is_dir ? base : display);
	top->parent = local_is_dir ? strdup(local && *local ? local : ".")
				   : NULL;
	if (!top->display || !top->base || (local_is_dir && !top->parent)) {
		free(top->display);
		free(top->base);
		free(top->parent);
		fail(p, cli_usage("get", "out of memory"));
		return;
	}
	p->n_tops++;
	queue_list(p, top, rpath, "");
}

/* mkdir -p path: 0 or errno. */
static int mkdir_p(const char *path)
{
	char p[PATH_MAX];
	size_t i, n;

	n = (size_t)snprintf(p, sizeof p, "%s", path);
	if (n >= sizeof p)
		return ENAMETOOLONG;
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			return errno;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

int cmd_get(const struct cli *cli, int argc, char **argv)
{
	struct plan p;
	struct stat st;
	struct tree *t, *tn;
	char rpath[FR_PATH_MAX + 1], base[FR_NAME_MAX + 1];
	char path[PATH_MAX];
	const char *local = NULL;
	bool help, local_is_dir = true;
	int first, nremote, i, rc, one;
	size_t k, ll;

	memset(&p, 0, sizeof p);
	p.cli = cli;
	rc = cli_xfer_opts(argc, argv, &p.o, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("get", "no file to download");
	nremote = argc - first == 1 ? 1 : argc - first - 1;
	if (p.o.skip_same)
		return cli_usage("get", "--skip-same is an option of put");
	if (p.o.sha256[0] && (nremote != 1 || p.o.recursive))
		return cli_usage("get", "--sha256 is the expected hash of one "
					"file: give one REMOTE, without -r");
	if (argc - first > 1) {
		local = argv[argc - 1];
		ll = strlen(local);
		if (ll == 0)
			return cli_usage("get", "empty LOCAL");
		local_is_dir = (local[ll - 1] == '/') ||
			       (stat(local, &st) == 0 && S_ISDIR(st.st_mode));
		if (strcmp(local, "-") == 0) {
			if (nremote > 1 || p.o.recursive)
				return cli_usage("get",
						 "standard output ('-') takes "
						 "one REMOTE file");
			local_is_dir = false;
		}
		if (!local_is_dir && nremote > 1)
			return cli_usage("get",
					 "with several REMOTEs, LOCAL ('%s') "
					 "must be an existing directory",
					 local);
	}
	/* "LOCAL/" names a directory: made if missing (with its parents) */
	if (local && local[strlen(local) - 1] == '/' &&
	    stat(local, &st) != 0) {
		rc = mkdir_p(local);
		if (rc != 0) {
			cli_say("get: cannot make %s: %s", local, strerror(rc));
			return FX_LOCAL;
		}
	}
	if (local_signals_install() != 0) {
		perror("ferry: sigaction");
		return FX_LOCAL;
	}
	rc = engine_start_xfer(cli, &p.o, "get", &p.e);
	for (i = first; rc == FX_OK && i < first + nremote; i++) {
		one = cli_remote("get", argv[i], rpath, sizeof rpath, NULL);
		if (one != FX_OK) {
			engine_status(p.e, one);
			continue;
		}
		if (p.o.recursive) {
			plan_tree(&p, rpath, local, local_is_dir);
			continue;
		}
		cli_basename(rpath, base, sizeof base);
		if (local_is_dir && !base[0]) {
			engine_status(p.e, cli_usage("get", "'/' is the root "
							    "directory, not a "
							    "file (use -r)"));
			continue;
		}
		if (local_is_dir ? !cli_join(path, sizeof path,
					     local ? local : "", base)
				 : (size_t)snprintf(path, sizeof path, "%s",
						    local) >= sizeof path) {
			engine_status(p.e,
				      cli_usage("get", "local path too long"));
			continue;
		}
		if (!engine_push_made(p.e, xget_new(&p.o, rpath, path, -1, NULL, 0),
				      "get"))
			break;
	}
	if (rc == FX_OK)
		rc = engine_run(p.e);
	engine_release(cli, p.e);
	for (t = p.trees; t; t = tn) {
		tn = t->next;
		free(t->remote);
		free(t->rel);
		free(t);
	}
	for (k = 0; k < p.n_tops; k++) {
		if (p.tops[k].fd >= 0)
			close(p.tops[k].fd);
		free(p.tops[k].parent);
		free(p.tops[k].base);
		free(p.tops[k].display);
	}
	return rc;
}
