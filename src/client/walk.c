/*
 * walk.c - the local tree walk of put -r (walk.h).
 *
 * Does: visit a directory tree depth first, each directory's names in
 * byte order, opening every directory relative to its parent with
 * O_NOFOLLOW | O_DIRECTORY and classifying every name with fstatat
 * (AT_SYMLINK_NOFOLLOW): regular files are returned, directories entered,
 * everything else (symlinks, FIFOs, sockets, devices) is returned as a
 * skip for the caller to warn about, and a directory that yielded nothing
 * is returned once, after its contents, as an empty directory.
 * Memory: the sorted names of the directories on the current path only.
 * Does not: open files or follow a symlink, ever: a tree that changes
 * during the walk cannot redirect it outside its top.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk.h"

struct level {
	int fd;
	char **names;
	size_t n, i;
	size_t path_len; /* of walk.path up to this directory */
	bool produced;   /* something below it was returned */
};

struct walk {
	struct level lv[WALK_DEPTH_MAX];
	unsigned depth; /* levels open */
	char path[WALK_PATH_MAX + 1]; /* relative to the top */
};

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(struct level *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->names[i]);
	free(v->names);
	v->names = NULL;
	v->n = v->i = 0;
}

/* Read and sort the names of directory fd (taken over on success). */
static int push(struct walk *w, int fd, size_t path_len)
{
	struct level *v = &w->lv[w->depth];
	struct dirent *de;
	char **nv;
	size_t cap = 0;
	DIR *d;
	int dfd, e = 0;

	dfd = dup(fd);
	if (dfd < 0)
		return errno;
	d = fdopendir(dfd);
	if (!d) {
		e = errno;
		close(dfd);
		return e;
	}
	memset(v, 0, sizeof(*v));
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			e = errno;
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (v->n == cap) {
			cap = cap ? 2 * cap : 32;
			nv = realloc(v->names, cap * sizeof(*nv));
			if (!nv) {
				e = ENOMEM;
				break;
			}
			v->names = nv;
		}
		v->names[v->n] = strdup(de->d_name);
		if (!v->names[v->n]) {
			e = ENOMEM;
			break;
		}
		v->n++;
	}
	closedir(d);
	if (e != 0) {
		free_names(v);
		return e;
	}
	if (v->n > 1)
		qsort(v->names, v->n, sizeof(*v->names), cmp);
	v->fd = fd;
	v->path_len = path_len;
	w->depth++;
	return 0;
}

static void pop(struct walk *w)
{
	struct level *v = &w->lv[--w->depth];

	free_names(v);
	close(v->fd);
	if (w->depth > 0 && v->produced)
		w->lv[w->depth - 1].produced = true;
}

int walk_open(int top_fd, struct walk **out)
{
	struct walk *w = calloc(1, sizeof(*w));
	int fd, e;

	*out = NULL;
	if (!w)
		return ENOMEM;
	fd = openat(top_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(w);
		return e;
	}
	e = push(w, fd, 0);
	if (e != 0) {
		close(fd);
		free(w);
		return e;
	}
	*out = w;
	return 0;
}

void walk_free(struct walk *w)
{
	if (!w)
		return;
	while (w->depth > 0)
		pop(w);
	free(w);
}

/* path + "/" + name into w->path at the level's length. */
static bool set_path(struct walk *w, size_t at, const char *name)
{
	size_t nl = strlen(name), need = at + (at ? 1 : 0) + nl;

	if (need > WALK_PATH_MAX)
		return false;
	if (at)
		w->path[at++] = '/';
	memcpy(w->path + at, name, nl + 1);
	return true;
}

int walk_next(struct walk *w, struct walk_item *it)
{
	struct level *v;
	struct stat st;
	const char *name;
	int fd;

	memset(it, 0, sizeof(*it));
	while (w->depth > 0) {
		v = &w->lv[w->depth - 1];
		if (v->i >= v->n) {
			bool empty = !v->produced;

			w->path[v->path_len] = '\0';
			if (empty) {
				/* returned once, then the level is left */
				v->produced = true;
				it->kind = WALK_EMPTY_DIR;
				it->rel = w->path;
				return 0;
			}
			if (w->depth == 1)
				return 1; /* the top: done */
			pop(w);
			continue;
		}
		name = v->names[v->i++];
		if (!set_path(w, v->path_len, name)) {
			it->kind = WALK_TOO_LONG;
			it->rel = name;
			v->produced = true;
			return 0;
		}
		it->rel = w->path;
		if (fstatat(v->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue; /* gone meanwhile */
			it->kind = WALK_ERROR;
			it->err = errno;
			v->produced = true;
			return 0;
		}
		if (S_ISREG(st.st_mode)) {
			it->kind = WALK_FILE;
			it->size = (uint64_t)st.st_size;
			v->produced = true;
			return 0;
		}
		if (!S_ISDIR(st.st_mode)) {
			it->kind = WALK_SKIP;
			it->what = S_ISLNK(st.st_mode)	   ? "symlink"
				   : S_ISFIFO(st.st_mode) ? "FIFO"
				   : S_ISSOCK(st.st_mode) ? "socket"
							  : "device";
			return 0;
		}
		if (w->depth >= WALK_DEPTH_MAX) {
			it->kind = WALK_TOO_DEEP;
			v->produced = true;
			return 0;
		}
		fd = openat(v->fd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && (it->err = push(w, fd, strlen(w->path))) != 0)
			close(fd);
		else if (fd < 0)
			it->err = errno;
		if (it->err != 0) {
			it->kind = WALK_ERROR;
			v->produced = true;
			return 0;
		}
	}
	return 1;
}
