/*
 * complete.c - what Tab completes in ferry shell (complete.h).
 *
 * The word under the cursor is split by words.c's rules, its directory
 * part looked up (remote: through the lister, cached; local: opendir),
 * the names that start with the rest collected, and then: one match
 * replaces the word, several add their longest common prefix, or, when
 * that adds nothing, are returned to be shown.
 * Does not: print, or hold more than FR_SHELL_CACHE_ENTRIES names of one
 * remote directory.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/limits.h"

#include "cli.h"
#include "complete.h"
#include "words.h"

struct names {
	char **v;
	size_t n, cap;
	bool oom;
};

static void names_add(struct names *ns, const char *name, bool is_dir)
{
	size_t len = strlen(name);
	char **grown, *s;

	if (ns->oom || ns->n >= FR_SHELL_CACHE_ENTRIES)
		return;
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? 2 * ns->cap : 64;
		grown = realloc(ns->v, ns->cap * sizeof(*grown));
		if (!grown) {
			ns->oom = true;
			return;
		}
		ns->v = grown;
	}
	s = malloc(len + 2);
	if (!s) {
		ns->oom = true;
		return;
	}
	memcpy(s, name, len);
	s[len] = is_dir ? '/' : '\0';
	s[len + 1] = '\0';
	ns->v[ns->n++] = s;
}

static void names_free(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof *ns);
}

/* ---- the cache of remote listings ------------------------------------ */

#define CACHE_DIRS 8

static struct {
	char *dir;
	double at;
	struct names ns;
} g_cache[CACHE_DIRS];

void complete_forget(void)
{
	size_t i;

	for (i = 0; i < CACHE_DIRS; i++) {
		free(g_cache[i].dir);
		g_cache[i].dir = NULL;
		names_free(&g_cache[i].ns);
	}
}

static void add_cb(void *ctx, const char *name, bool is_dir)
{
	names_add(ctx, name, is_dir);
}

/* The names of remote dir: cached, or listed now. */
static const struct names *remote_names(const struct complete_src *src,
					const char *dir)
{
	double now = cli_now();
	size_t i, slot = 0;

	for (i = 0; i < CACHE_DIRS; i++) {
		if (g_cache[i].dir && strcmp(g_cache[i].dir, dir) == 0 &&
		    now - g_cache[i].at < FR_SHELL_CACHE_SECONDS)
			return &g_cache[i].ns;
		if (!g_cache[i].dir || g_cache[i].at < g_cache[slot].at)
			slot = i;
		if (!g_cache[slot].dir)
			break;
	}
	free(g_cache[slot].dir);
	names_free(&g_cache[slot].ns);
	g_cache[slot].dir = strdup(dir);
	if (!g_cache[slot].dir ||
	    src->remote(src->arg, dir, add_cb, &g_cache[slot].ns) != 0 ||
	    g_cache[slot].ns.oom) {
		free(g_cache[slot].dir);
		g_cache[slot].dir = NULL;
		names_free(&g_cache[slot].ns);
		return NULL;
	}
	g_cache[slot].at = now;
	return &g_cache[slot].ns;
}

/* ---- local and command names ------------------------------------------ */

static void local_names(const char *dir, bool hidden, struct names *ns)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(*dir ? dir : ".");

	if (!dp)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (d->d_name[0] == '.' && !hidden)
			continue;
		if (snprintf(path, sizeof path, "%s%s", dir, d->d_name) >=
		    (int)sizeof path)
			continue;
		names_add(ns, d->d_name,
			  stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	}
	closedir(dp);
}

/* Options of the commands that take a value (so it is no operand). */
static bool takes_value(const char *opt)
{
	static const char *const with[] = {"-j", "--parallel", "--retries",
					   "--sha256", "--remote-dir"};
	size_t i;

	for (i = 0; i < sizeof with / sizeof with[0]; i++)
		if (strcmp(opt, with[i]) == 0)
			return true;
	return false;
}

/* What operand w->argc-1 of the command is: 'R', 'L', 'C' or 0. */
static char kind_of(const struct complete_src *src, const struct words *w)
{
	const char *letters;
	size_t k = 0, len;
	int i;

	if (w->argc <= 1)
		return 'C';
	letters = src->letters(w->argv[0]);
	if (!letters || !*letters)
		return 0;
	if (w->argv[w->argc - 1][0] == '-')
		return 0; /* an option: not ours to guess */
	for (i = 1; i < w->argc - 1; i++) {
		if (strcmp(w->argv[i], "--") != 0 && w->argv[i][0] == '-') {
			if (takes_value(w->argv[i]))
				i++;
			continue;
		}
		k++;
	}
	len = strlen(letters);
	return letters[k < len ? k : len - 1];
}

/* ---- the common part --------------------------------------------------- */

static size_t common(char **v, size_t n)
{
	size_t len = strlen(v[0]), i, j;

	for (i = 1; i < n; i++) {
		for (j = 0; j < len && v[i][j] == v[0][j]; j++)
			;
		len = j;
	}
	return len;
}

int complete_line(const struct complete_src *src, const char *line,
		  size_t cursor, struct completion *out)
{
	struct names local = {0}, match = {0};
	const struct names *from = NULL;
	char dir[FR_PATH_MAX + 1], typed_dir[FR_PATH_MAX + 1], *cur, *slash;
	char word[3 * FR_PATH_MAX + 8];
	const char *why, *base, *name;
	struct words w;
	size_t i, blen, cl;
	char kind;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (words_split(line, cursor, true, &w, &why) != 0)
		return -1;
	out->word_at = w.last_at;
	cur = w.argv[w.argc - 1];
	kind = kind_of(src, &w);
	slash = strrchr(cur, '/');
	base = slash ? slash + 1 : cur;
	blen = strlen(base);
	snprintf(typed_dir, sizeof typed_dir, "%.*s",
		 slash ? (int)(slash - cur + 1) : 0, cur);
	if (kind == 'C') {
		for (i = 0; (name = src->command(i)) != NULL; i++)
			if (strncmp(name, cur, strlen(cur)) == 0)
				names_add(&match, name, false);
	} else if (kind == 'R') {
		if (src->resolve(typed_dir, dir, sizeof dir))
			from = remote_names(src, dir);
	} else if (kind == 'L') {
		local_names(typed_dir, base[0] == '.', &local);
		from = &local;
	}
	for (i = 0; from && i < from->n; i++) {
		if (strncmp(from->v[i], base, blen) != 0)
			continue;
		snprintf(word, sizeof word, "%s%s", typed_dir, from->v[i]);
		names_add(&match, word, false);
	}
	rc = match.oom ? -1 : 0;
	if (rc == 0 && match.n > 0) {
		cl = match.n == 1 ? strlen(match.v[0]) : common(match.v, match.n);
		if (match.n == 1 || cl > strlen(cur)) {
			char save = match.v[0][cl];

			match.v[0][cl] = '\0';
			out->replace = malloc(3 * cl + 8);
			if (!out->replace ||
			    !words_quote(match.v[0], w.quote, out->replace,
					 3 * cl + 8)) {
				rc = -1;
			} else if (w.quote) {
				/* the word started with its quote: keep it */
				memmove(out->replace + 1, out->replace,
					strlen(out->replace) + 1);
				out->replace[0] = w.quote;
			}
			match.v[0][cl] = save;
			out->done = match.n == 1 && match.v[0][cl - 1] != '/';
			if (out->done && w.quote && out->replace) {
				size_t rl = strlen(out->replace);
				char *r = realloc(out->replace, rl + 2);

				if (r) {
					r[rl] = w.quote;
					r[rl + 1] = '\0';
					out->replace = r;
				}
			}
		} else {
			/* nothing to add: show the names, without their
			 * directory part */
			out->shown = match.v;
			out->n_shown = match.n;
			for (i = 0; i < match.n; i++)
				memmove(match.v[i],
					match.v[i] + strlen(typed_dir),
					strlen(match.v[i]) -
					    strlen(typed_dir) + 1);
			match.v = NULL;
			match.n = 0;
		}
	}
	names_free(&match);
	names_free(&local);
	words_free(&w);
	return rc;
}

void completion_free(struct completion *c)
{
	size_t i;

	free(c->replace);
	for (i = 0; i < c->n_shown; i++)
		free(c->shown[i]);
	free(c->shown);
	memset(c, 0, sizeof *c);
}
