/*
 * cmd_rm.c - "ferry rm [-r] REMOTE...": delete remote files or empty
 * directories, and with -r whole trees, the requests pipelined over one
 * connection, going on with the next path after a refusal.
 *
 * rm -r lists each operand (recursively on a protocol-2 server, one
 * directory at a time on an older one, as get -r does) and deletes depth
 * first: every file as its entry arrives, a directory once everything in
 * it was deleted (its delete is asked for when the last answer about its
 * contents came, so the order holds whatever the answers' order).  A
 * refusal is reported for its path, once; the directories above it are
 * then left alone, silently (they could not be emptied).  It needs the l
 * and d permissions and says so at once when the identity lacks one.
 * An operand that is a file is deleted as a file; the root itself is
 * never a target (name what is in it).
 *
 * Never touches local files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "xfer.h"

/* What cmd_rm allocates is on one list, so that what a stopped engine
 * never calls back about is still freed at the end. */
struct obj {
	struct obj *prev, *next;
};

/* A remote directory waiting to be deleted: pending counts what must be
 * answered first (its listing, its files' and subdirectories' deletes). */
struct node {
	struct obj o;
	struct node *parent;
	struct rm *rm;
	unsigned long pending;
	bool failed; /* something inside could not be deleted */
	char path[];
};

/* One listing: the directory it lists and the stack of directories its
 * entries' depths refer to. */
struct tree {
	struct obj o;
	struct node *top; /* the listed directory */
	unsigned depth;
	struct node *stack[FR_LIST_TREE_DEPTH + 1]; /* [0] = top */
};

struct rm {
	struct engine *e;
	struct obj all; /* list head */
	bool oom;
};

static void *obj_new(struct rm *rm, size_t size)
{
	struct obj *o = calloc(1, size);

	if (o) {
		o->next = rm->all.next;
		o->prev = &rm->all;
		rm->all.next->prev = o;
		rm->all.next = o;
	}
	return o;
}

static void obj_free(void *p)
{
	struct obj *o = p;

	if (!o)
		return;
	o->prev->next = o->next;
	o->next->prev = o->prev;
	free(o);
}

static void oom(struct rm *rm)
{
	if (!rm->oom)
		cli_say("rm: out of memory");
	rm->oom = true;
	engine_status(rm->e, FX_LOCAL);
	engine_stop(rm->e);
}

static struct node *node_new(struct rm *rm, struct node *parent,
			     const char *path)
{
	size_t n = strlen(path) + 1;
	struct node *d = obj_new(rm, sizeof(*d) + n);

	if (!d) {
		oom(rm);
		return NULL;
	}
	memcpy(d->path, path, n);
	d->rm = rm;
	d->parent = parent;
	d->pending = 1; /* what made it: its listing, or its entry's part */
	if (parent)
		parent->pending++;
	return d;
}

static void release(struct node *d);

/* The answer to a directory's own delete. */
static int dir_deleted(void *arg, const char *remote,
		       const struct fr_response *r, int rc)
{
	struct node *d = arg, *p = d->parent;

	(void)remote;
	if (p && (rc != FX_OK || (r && r->status != FR_ST_OK)))
		p->failed = true;
	obj_free(d);
	release(p);
	return FX_OK;
}

/* One thing d waited for is done: when nothing is left, delete d (or,
 * when something inside it stayed, tell its parent it stays too). */
static void release(struct node *d)
{
	struct node *p;
	struct job *j;

	if (!d || --d->pending > 0)
		return;
	p = d->parent;
	if (d->failed || d->rm->oom) {
		if (p)
			p->failed = true;
		obj_free(d);
		release(p);
		return;
	}
	j = xdelete_new(d->path, dir_deleted, d);
	if (!j) {
		oom(d->rm);
		obj_free(d);
		release(p);
		return;
	}
	engine_push(d->rm->e, j);
}

/* The answer to a file's delete, in directory d. */
static int file_deleted(void *arg, const char *remote,
			const struct fr_response *r, int rc)
{
	struct node *d = arg;

	(void)remote;
	if (rc != FX_OK || (r && r->status != FR_ST_OK))
		d->failed = true;
	release(d);
	return FX_OK;
}

static int list_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc);

/* List directory d on its own (its own node pending stays taken). */
static void list(struct rm *rm, struct node *d)
{
	struct tree *t = obj_new(rm, sizeof(*t));
	struct job *j = t ? xlist_new("rm", d->path, true, true, list_cb, t)
			  : NULL;

	if (!j) {
		obj_free(t);
		oom(rm);
		d->failed = true;
		release(d);
		return;
	}
	t->top = d;
	t->stack[0] = d;
	engine_push(rm->e, j);
}

/* Entries of the listing up to depth `depth` stay open: the deeper
 * directories of the stack are complete. */
static void close_to(struct tree *t, unsigned depth)
{
	while (t->depth > depth) {
		release(t->stack[t->depth]);
		t->stack[t->depth--] = NULL;
	}
}

static void entry(struct tree *t, const struct fr_entry *en, bool recursive)
{
	struct node *dir, *d;
	struct rm *rm = t->top->rm;
	char path[FR_PATH_MAX + 2];
	struct job *j;

	close_to(t, en->depth);
	dir = t->stack[t->depth];
	if (!cli_join(path, sizeof path, dir->path, en->name) ||
	    strlen(path) > FR_PATH_MAX) {
		cli_say("rm %s/%s: the path is too long", dir->path, en->name);
		engine_status(rm->e, FX_REFUSED);
		dir->failed = true;
		return;
	}
	if (!en->is_dir) {
		j = xdelete_new(path, file_deleted, dir);
		if (!j) {
			oom(rm);
			return;
		}
		dir->pending++;
		engine_push(rm->e, j);
		return;
	}
	d = node_new(rm, dir, path);
	if (!d)
		return;
	if (!recursive || en->truncated || en->depth + 1 >= FR_LIST_TREE_DEPTH) {
		list(rm, d); /* its contents come in a listing of its own */
		return;
	}
	t->stack[++t->depth] = d; /* its entries follow */
}

static int list_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc)
{
	struct tree *t = arg;
	struct rm *rm = t->top->rm;
	bool recursive = engine_proto(rm->e) >= 2;
	struct node *top = t->top;
	size_t i;
	struct job *j;

	if (!r || r->status == FR_ST_ERROR) {
		if (r && r->err == FR_E_NOT_DIRECTORY && !top->parent) {
			/* the operand is a file: delete it as one */
			j = xdelete_new(remote, NULL, NULL);
			if (j)
				engine_push(rm->e, j);
			else
				oom(rm);
		} else if (r) {
			engine_status(rm->e, cli_refused(r, "rm", remote, NULL));
		}
		/* the end of the listing; after a refusal (or a file
		 * operand) top is not deleted as a directory */
		if (r || rc != FX_OK)
			top->failed = true;
		close_to(t, 0);
		obj_free(t);
		release(top);
		return FX_OK;
	}
	/* SECURITY: each entry's place in the tree was checked for the
	 * whole frame (xmisc.c): its depth has a directory on the stack */
	for (i = 0; i < r->n_entries && !rm->oom; i++)
		entry(t, &r->entries[i], recursive);
	return rm->oom ? FX_LOCAL : FX_OK;
}

/* rm -r of one operand. */
static void tree(struct rm *rm, const char *rpath)
{
	struct node *top;

	if (!rpath[0]) {
		engine_status(rm->e,
			      cli_usage("rm", "refusing to remove the root "
					      "directory: name what is in it"));
		return;
	}
	top = node_new(rm, NULL, rpath);
	if (top)
		list(rm, top);
}

/* -r needs l and d: say so once instead of once per path. */
static int perms_ok(struct engine *e)
{
	const struct session *s = engine_session(e);

	if (strchr(s->hello.perms, 'l') && strchr(s->hello.perms, 'd'))
		return FX_OK;
	cli_say("rm -r: %s may not %s on %s (its permissions: %s)",
		s->hello.identity,
		strchr(s->hello.perms, 'd') ? "list directories" : "delete",
		s->where, s->hello.perms[0] ? s->hello.perms : "none");
	return FX_REFUSED;
}

int cmd_rm(const struct cli *cli, int argc, char **argv)
{
	char rpath[FR_PATH_MAX + 1];
	bool recursive, help;
	const struct cli_flag flags[] = {
		{"recursive", 'r', &recursive},
		{NULL, 0, NULL},
	};
	struct rm rm;
	int first, i, rc, one;

	memset(&rm, 0, sizeof(rm));
	rm.all.prev = rm.all.next = &rm.all;
	rc = cli_flags(argc, argv, flags, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	if (argc - first < 1)
		return cli_usage("rm", "no REMOTE path given");
	rc = engine_acquire(cli, 1, cli->retries, &rm.e);
	if (rc == FX_OK && recursive)
		rc = perms_ok(rm.e);
	for (i = first; rc == FX_OK && i < argc; i++) {
		one = cli_remote("rm", argv[i], rpath, sizeof rpath, NULL);
		if (one != FX_OK) {
			engine_status(rm.e, one);
			continue;
		}
		if (recursive) {
			tree(&rm, rpath);
			continue;
		}
		if (!engine_push_made(rm.e, xdelete_new(rpath, NULL, NULL), "rm"))
			break;
	}
	if (rc == FX_OK)
		rc = engine_run(rm.e);
	engine_release(cli, rm.e);
	/* what a stopped engine never called back about */
	while (rm.all.next != &rm.all)
		obj_free(rm.all.next);
	return rc;
}
