/*
 * listing.c - the streaming directory reader (see listing.h).
 *
 * Does: keep a stack of open directories, each read with getdents64 into
 * its own LEVEL_BUF bytes, and hand out one filtered entry per call, depth
 * first: a directory entry is followed by its contents.  Memory: one
 * struct listing plus LEVEL_BUF per open level, whatever the directory
 * sizes.
 * Does not: sort, allocate per entry, or follow a symlink.
 *
 * SECURITY: subdirectories are opened with openat(O_DIRECTORY |
 * O_NOFOLLOW) relative to the directory that listed them, so a symlink
 * planted anywhere in the tree is neither followed nor listed; names that
 * a client could not address (reserved, control characters, invalid
 * UTF-8, ".", "..") are never sent.
 */
#define _GNU_SOURCE /* getdents64 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/path.h"
#include "listing.h"
#include "store.h"

#define LEVEL_BUF 4096

struct level {
	int fd;
	size_t pos, len; /* unread bytes of buf */
	char buf[LEVEL_BUF];
};

struct listing {
	unsigned levels; /* most levels to open (1: flat) */
	unsigned n;      /* levels open now */
	int pending;     /* the directory the last entry named, to enter
			    next (opened already, so that one that cannot be
			    opened is reported as truncated); -1 if none */
	struct level *lv[FR_LIST_TREE_DEPTH];
};

static int push(struct listing *l, int fd)
{
	struct level *v = malloc(sizeof(*v));

	if (!v) {
		close(fd);
		return FR_E_INTERNAL;
	}
	v->fd = fd;
	v->pos = v->len = 0;
	l->lv[l->n++] = v;
	return FR_OK;
}

static void pop(struct listing *l)
{
	struct level *v = l->lv[--l->n];

	close(v->fd);
	free(v);
	l->lv[l->n] = NULL;
}

int listing_open(int root, const char *path, unsigned levels,
		 struct listing **out)
{
	struct listing *l;
	int fd, r;

	*out = NULL;
	if (levels < 1 || levels > FR_LIST_TREE_DEPTH)
		return FR_E_INTERNAL;
	r = store_open_dir(root, path, false, &fd);
	if (r != FR_OK)
		return r;
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return FR_E_INTERNAL;
	}
	l->levels = levels;
	l->pending = -1;
	r = push(l, fd);
	if (r != FR_OK) {
		free(l);
		return r;
	}
	*out = l;
	return FR_OK;
}

void listing_free(struct listing *l)
{
	if (!l)
		return;
	while (l->n > 0)
		pop(l);
	if (l->pending >= 0)
		close(l->pending);
	free(l);
}

/* The next raw name of the top level, or NULL at its end.  *err is set on
 * a read error. */
static const struct dirent64 *next_raw(struct level *v, int *err)
{
	const struct dirent64 *d;
	ssize_t n;

	*err = FR_OK;
	if (v->pos >= v->len) {
		do
			n = getdents64(v->fd, v->buf, sizeof(v->buf));
		while (n < 0 && errno == EINTR);
		if (n < 0)
			*err = fr_err_from_errno(errno);
		if (n <= 0)
			return NULL;
		v->pos = 0;
		v->len = (size_t)n;
	}
	d = (const struct dirent64 *)(const void *)(v->buf + v->pos);
	/* the kernel's records; a broken length is a bug, never input */
	if (d->d_reclen == 0 || d->d_reclen > v->len - v->pos)
		abort();
	v->pos += d->d_reclen;
	return d;
}

int listing_next(struct listing *l, struct listing_entry *e,
		 unsigned budget, bool *end)
{
	const struct dirent64 *d;
	struct stat sb;
	size_t nl;
	int err;

	*end = false;
	if (l->pending >= 0) {
		err = push(l, l->pending); /* closes it on failure */
		l->pending = -1;
		if (err != FR_OK)
			return err;
	}
	while (l->n > 0) {
		struct level *v = l->lv[l->n - 1];

		if (budget-- == 0)
			return FR_AGAIN;
		d = next_raw(v, &err);
		if (!d) {
			if (err != FR_OK)
				return err;
			pop(l);
			continue;
		}
		nl = strnlen(d->d_name, FR_NAME_MAX + 1);
		/* SECURITY: only names a client could address are shown
		 * (the path rules also drop "", "." and "..") */
		if (nl == 0 || nl > FR_NAME_MAX ||
		    fr_path_check(d->d_name, nl, NULL) != FR_OK ||
		    fr_name_is_reserved(d->d_name))
			continue;
		if (fstatat(v->fd, d->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* vanished meanwhile */
		if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
			continue;
		memset(e, 0, sizeof(*e));
		memcpy(e->name, d->d_name, nl + 1);
		e->is_dir = S_ISDIR(sb.st_mode);
		e->size = e->is_dir ? 0 : (uint64_t)sb.st_size;
		e->mtime = (int64_t)sb.st_mtime;
		e->mode = (unsigned)sb.st_mode & 0777;
		e->depth = l->n - 1;
		if (e->is_dir && l->levels > 1) {
			if (l->n < l->levels)
				l->pending = openat(v->fd, e->name,
						    O_RDONLY | O_DIRECTORY |
							    O_NOFOLLOW |
							    O_CLOEXEC);
			e->truncated = l->pending < 0;
		}
		return FR_OK;
	}
	*end = true;
	return FR_OK;
}
