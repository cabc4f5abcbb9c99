/*
 * cmd_ls.c - "ferry ls [-l] [-R] [--json] [REMOTE]": list a remote
 * directory (default: the root).
 *
 * Names one per line (directories with a trailing '/'); -l adds the mode,
 * size and modification time; -R lists the whole tree, a section per
 * directory as ls -R prints it ("DIR:" then its entries, depth first);
 * --json prints one object per entry instead.  Servers send entries in
 * directory order (a huge directory costs them no memory): everything is
 * collected, then sorted bytewise per directory.  -R uses one recursive
 * listing on a protocol-2 server (one more for each directory too deep
 * for it) and one listing per directory on an older one, all pipelined
 * over one connection.  A REMOTE that is a file is shown as ls shows a
 * file operand.  Names are shown made safe for a terminal (out_term).
 * Does not: change anything, local or remote.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"

#include "cli.h"
#include "engine.h"
#include "output.h"
#include "xfer.h"

struct row {
	char *path;      /* below the listed directory ("a/b/name") */
	size_t name_off; /* where its last component starts */
	bool is_dir;
	uint64_t size;
	int64_t mtime;
	bool has_mode;
	unsigned mode;
};

struct ls {
	const struct cli *cli;
	struct engine *e;
	bool long_fmt, recursive, json;
	char top[FR_PATH_MAX + 1]; /* the listed directory */
	struct row *v;
	size_t n, cap;
	bool oom, is_file;
	struct row file; /* REMOTE is a file: its stat */
};

/* One listing: where its entries land below the top, and the stack of
 * directories their depths refer to. */
struct listing {
	struct ls *ls;
	char *rel; /* the listed directory, below the top ("" = the top) */
	unsigned depth;
	size_t len[FR_LIST_TREE_DEPTH + 1];
	char path[FR_PATH_MAX + 1]; /* the current directory, below top */
};

static int list_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc);

/* a + "/" + b, either may be empty. */
static bool join(char *out, size_t n, const char *a, const char *b)
{
	if (!*b)
		return (size_t)snprintf(out, n, "%s", a) < n;
	return cli_join(out, n, a, b);
}

static void fail(struct ls *ls, int rc)
{
	engine_status(ls->e, rc);
}

static void oom(struct ls *ls)
{
	if (!ls->oom)
		cli_say("ls: out of memory");
	ls->oom = true;
	fail(ls, FX_LOCAL);
	engine_stop(ls->e);
}

/* Queue the listing of rel (below the top). */
static void queue(struct ls *ls, const char *rel)
{
	char remote[FR_PATH_MAX + 2];
	struct listing *t = calloc(1, sizeof(*t));
	struct job *j = NULL;

	if (t && (t->rel = strdup(rel)) != NULL &&
	    cli_join(remote, sizeof remote, ls->top, rel))
		j = xlist_new("ls", rel[0] ? remote : ls->top, ls->recursive,
			      true, list_cb, t);
	if (!j) {
		if (t)
			free(t->rel);
		free(t);
		oom(ls);
		return;
	}
	t->ls = ls;
	engine_push(ls->e, j);
}

static bool add(struct ls *ls, const char *dir, const struct fr_entry *en)
{
	struct row *nv, *w;
	size_t dl = strlen(dir), nl = strlen(en->name);

	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? 2 * ls->cap : 256;
		nv = realloc(ls->v, ls->cap * sizeof(*nv));
		if (!nv)
			return false;
		ls->v = nv;
	}
	w = &ls->v[ls->n];
	w->path = malloc(dl + 1 + nl + 1);
	if (!w->path)
		return false;
	memcpy(w->path, dir, dl);
	w->name_off = dl ? dl + 1 : 0;
	if (dl)
		w->path[dl] = '/';
	memcpy(w->path + w->name_off, en->name, nl + 1);
	w->is_dir = en->is_dir;
	w->size = en->size;
	w->mtime = en->mtime;
	w->has_mode = en->has_mode;
	w->mode = en->mode;
	ls->n++;
	return true;
}

static int entries(struct listing *t, const struct fr_response *r)
{
	struct ls *ls = t->ls;
	bool rec = ls->recursive && engine_proto(ls->e) >= 2;
	char dir[FR_PATH_MAX + 2], sub[FR_PATH_MAX + 2];
	size_t i;

	/* SECURITY: each entry's place in the tree was checked for the
	 * whole frame (xmisc.c): its depth has a directory on the stack */
	for (i = 0; i < r->n_entries; i++) {
		const struct fr_entry *en = &r->entries[i];

		t->depth = en->depth;
		t->path[t->len[t->depth]] = '\0';
		if (!join(dir, sizeof dir, t->rel, t->path) ||
		    !join(sub, sizeof sub, dir, en->name) ||
		    strlen(sub) > FR_PATH_MAX) {
			cli_say("ls %s/%s: the path is too long", dir, en->name);
			fail(ls, FX_REFUSED);
			continue;
		}
		if (!add(ls, dir, en)) {
			oom(ls);
			return FX_LOCAL;
		}
		if (!en->is_dir || !ls->recursive)
			continue;
		if (!rec || en->truncated ||
		    en->depth + 1 >= FR_LIST_TREE_DEPTH) {
			queue(ls, sub); /* a listing of its own */
			continue;
		}
		/* its entries follow, one level deeper */
		if (!join(dir, sizeof dir, t->path, en->name))
			continue;
		t->depth = en->depth + 1;
		t->len[t->depth] = strlen(dir);
		memcpy(t->path, dir, t->len[t->depth] + 1);
	}
	return FX_OK;
}

/* REMOTE is a file: what stat says about it. */
static int file_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc)
{
	struct ls *ls = arg;
	char base[FR_NAME_MAX + 1];

	if (rc != FX_OK || !r || r->status != FR_ST_OK)
		return FX_OK;
	cli_basename(remote, base, sizeof base);
	ls->file.path = strdup(base);
	if (!ls->file.path) {
		oom(ls);
		return FX_LOCAL;
	}
	ls->is_file = true;
	ls->file.is_dir = r->is_dir;
	ls->file.size = r->size;
	ls->file.mtime = r->mtime;
	ls->file.has_mode = r->has_mode;
	ls->file.mode = r->mode;
	return FX_OK;
}

static int list_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc)
{
	struct listing *t = arg;
	struct ls *ls = t->ls;
	struct job *j;

	if (r && r->status == FR_ST_OK)
		return entries(t, r);
	if (r && r->err == FR_E_NOT_DIRECTORY && !t->rel[0]) {
		/* ls of a file shows the file */
		j = xstat_new("ls", remote, false, false, file_cb, ls);
		if (j)
			engine_push(ls->e, j);
		else
			oom(ls);
	} else if (r) {
		fail(ls, cli_refused(r, "ls", remote, NULL));
	} else if (rc != FX_OK) {
		fail(ls, rc);
	}
	/* the end of this listing (or its refusal) */
	free(t->rel);
	free(t);
	return FX_OK;
}

/* ---- output ------------------------------------------------------------ */

/* The parent of a row compared component by component ('/' before any
 * other byte), then its name: each directory's entries are contiguous and
 * sorted, directories in the order ls -R visits them. */
static int cmp_parent(const struct row *a, const struct row *b)
{
	size_t la = a->name_off ? a->name_off - 1 : 0;
	size_t lb = b->name_off ? b->name_off - 1 : 0, i;
	unsigned char ca, cb;

	for (i = 0; i < la && i < lb; i++) {
		ca = (unsigned char)(a->path[i] == '/' ? 0 : a->path[i]);
		cb = (unsigned char)(b->path[i] == '/' ? 0 : b->path[i]);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return la < lb ? -1 : la > lb ? 1 : 0;
}

static int by_path(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c = cmp_parent(a, b);

	return c ? c : strcmp(a->path + a->name_off, b->path + b->name_off);
}

static void mode_str(const struct row *e, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	out[0] = e->is_dir ? 'd' : '-';
	for (i = 0; i < 9; i++)
		out[1 + i] = !e->has_mode ? '?'
			     : e->mode & (0400u >> i) ? rwx[i] : '-';
	out[10] = '\0';
}

static void print_row(const struct ls *ls, const struct row *e)
{
	char when[64], size[32], mode[11], name[3 * FR_PATH_MAX + 1];
	struct jline j;

	if (ls->json) {
		jl_begin(&j, stdout);
		jl_str(&j, "name", e->path + e->name_off);
		jl_str(&j, "path", e->path);
		jl_str(&j, "type", e->is_dir ? "dir" : "file");
		jl_u64(&j, "size", e->size);
		jl_i64(&j, "mtime", e->mtime);
		if (e->has_mode)
			jl_u64(&j, "mode", e->mode);
		jl_end(&j);
		return;
	}
	out_term(name, sizeof name, e->path + e->name_off);
	if (!ls->long_fmt) {
		printf("%s%s\n", name, e->is_dir ? "/" : "");
		return;
	}
	if (e->is_dir)
		snprintf(size, sizeof size, "-");
	else
		snprintf(size, sizeof size, "%" PRIu64, e->size);
	mode_str(e, mode);
	printf("%s %16s  %s  %s%s\n", mode, size,
	       out_time(when, sizeof when, e->mtime, false), name,
	       e->is_dir ? "/" : "");
}

/* The rows whose parent is dir (a path below the top): [*lo, *hi). */
static void children(const struct ls *ls, const char *dir, size_t *lo,
		     size_t *hi)
{
	struct row key;
	char path[FR_PATH_MAX + 3];
	size_t a = 0, b = ls->n, m;

	snprintf(path, sizeof path, "%s%sx", dir, dir[0] ? "/" : "");
	key.path = path;
	key.name_off = strlen(path) - 1;
	while (a < b) { /* the first row whose parent is not before dir */
		m = (a + b) / 2;
		if (cmp_parent(&ls->v[m], &key) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	for (b = a; b < ls->n && cmp_parent(&ls->v[b], &key) == 0; b++)
		;
	*hi = b;
}

/* Whole paths component by component: the tree in pre-order. */
static int by_tree(const void *pa, const void *pb)
{
	const unsigned char *a = (const unsigned char *)((const struct row *)pa)->path;
	const unsigned char *b = (const unsigned char *)((const struct row *)pb)->path;

	int ka, kb;

	for (; *a && *a == *b; a++, b++)
		;
	/* the end, then '/', then every other byte */
	ka = *a == '/' ? 1 : *a ? *a + 1 : 0;
	kb = *b == '/' ? 1 : *b ? *b + 1 : 0;
	return ka < kb ? -1 : ka > kb;
}

/* ls -R: the section of dir, then those of its directories. */
static void section(const struct ls *ls, const char *dir, unsigned depth)
{
	char head[3 * (2 * FR_PATH_MAX + 2) + 1], full[2 * FR_PATH_MAX + 3];
	size_t lo, hi, i;

	if (ls->recursive) {
		if (!dir[0])
			snprintf(full, sizeof full, "%s", ls->top);
		else if (!join(full, sizeof full, ls->top, dir))
			return;
		printf("%s%s:\n", depth ? "\n" : "",
		       out_term(head, sizeof head, full[0] ? full : "/"));
	}
	children(ls, dir, &lo, &hi);
	for (i = lo; i < hi; i++)
		print_row(ls, &ls->v[i]);
	if (!ls->recursive || depth >= FR_MAX_PATH_DEPTH)
		return;
	for (i = lo; i < hi; i++)
		if (ls->v[i].is_dir)
			section(ls, ls->v[i].path, depth + 1);
}

int cmd_ls(const struct cli *cli, int argc, char **argv)
{
	struct ls ls;
	bool help, json;
	const struct cli_flag flags[] = {
		{"long", 'l', &ls.long_fmt},
		{"recursive", 'R', &ls.recursive},
		{"json", 0, &json},
		{NULL, 0, NULL},
	};
	size_t i;
	int first, rc;

	memset(&ls, 0, sizeof ls);
	ls.cli = cli;
	rc = cli_flags(argc, argv, flags, &help, &first);
	if (rc != FX_OK || help)
		return rc;
	ls.json = json || cli->json;
	if (argc - first > 1)
		return cli_usage("ls", "one REMOTE directory at most");
	/* no REMOTE: the root, or the shell's remote directory */
	rc = cli_remote("ls", argc - first == 1 ? argv[first] : "", ls.top,
			sizeof ls.top, NULL);
	if (rc != FX_OK)
		return rc;
	rc = engine_acquire(cli, 1, cli->retries, &ls.e);
	if (rc == FX_OK) {
		queue(&ls, "");
		rc = engine_run(ls.e);
	}
	if (rc == FX_OK && ls.is_file) {
		print_row(&ls, &ls.file);
	} else if (rc == FX_OK && ls.json) {
		/* objects carry their path: the tree in pre-order */
		if (ls.n > 1)
			qsort(ls.v, ls.n, sizeof(*ls.v), by_tree);
		for (i = 0; i < ls.n; i++)
			print_row(&ls, &ls.v[i]);
	} else if (rc == FX_OK) {
		if (ls.n > 1)
			qsort(ls.v, ls.n, sizeof(*ls.v), by_path);
		section(&ls, "", 0);
	}
	for (i = 0; i < ls.n; i++)
		free(ls.v[i].path);
	free(ls.v);
	free(ls.file.path);
	engine_release(cli, ls.e);
	return rc;
}
