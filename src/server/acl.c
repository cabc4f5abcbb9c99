/*
 * acl.c - identities, roots, permissions and per-identity connection counts
 * (see acl.h).
 *
 * The file is read at start-up and again on SIGHUP (acl_reload).  One
 * mutex guards both the rules and the connection counts; it is held only
 * to look up, swap or count (no I/O under it), and lookups copy what they
 * need before releasing it, so a reload never frees rules in use.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/aclfile.h"
#include "ferry/proto.h"
#include "acl.h"
#include "ops.h"
#include "store.h"

_Static_assert((int)PERM_R == (int)FR_PERM_R &&
		       (int)PERM_W == (int)FR_PERM_W &&
		       (int)PERM_L == (int)FR_PERM_L &&
		       (int)PERM_D == (int)FR_PERM_D,
	       "ops.h and aclfile.h agree on permission bits");

struct count {
	char *name;
	unsigned long n;
};

struct acl {
	bool enabled;
	struct fr_acl_file file;
	pthread_mutex_t lock; /* guards file, counts, n_counts, cap_counts */
	struct count *counts; /* identities with >= 1 connection */
	size_t n_counts, cap_counts;
};

/* Read the whole file (at most FR_ACL_FILE_MAX bytes). */
static int read_file(const char *path, char **text, size_t *len, char *err,
		     size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, r = FR_E_USAGE;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "--acl '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)FR_ACL_FILE_MAX) {
		snprintf(err, errlen, "--acl '%s': not a regular file of at "
			 "most %u bytes", path, FR_ACL_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "--acl '%s': out of memory", path);
		goto out;
	}
	/* bounded: the file may grow while we read, we take its first
	 * st_size bytes */
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "--acl '%s': %s", path,
				 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
	r = FR_OK;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Read and parse path into *file (zeroed first). */
static int load_rules(const char *path, struct fr_acl_file *file, char *err,
		      size_t errlen)
{
	char *text = NULL, why[400];
	size_t len = 0;
	int r;

	memset(file, 0, sizeof(*file));
	r = read_file(path, &text, &len, err, errlen);
	if (r == FR_OK) {
		r = fr_acl_parse(text, len, file, why, sizeof(why));
		if (r != FR_OK)
			snprintf(err, errlen, "--acl '%s': %s", path, why);
	}
	free(text);
	return r;
}

int acl_new(const char *path, struct acl **out, char *err, size_t errlen)
{
	struct acl *a;
	int r;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return FR_E_NOMEM;
	}
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		snprintf(err, errlen, "cannot create a mutex");
		return FR_E_INTERNAL;
	}
	if (path) {
		r = load_rules(path, &a->file, err, errlen);
		if (r != FR_OK) {
			acl_free(a);
			return r;
		}
		a->enabled = true;
	}
	*out = a;
	return FR_OK;
}

int acl_reload(struct acl *a, const char *path, char *err, size_t errlen)
{
	struct fr_acl_file fresh, old;
	int r;

	if (!acl_enabled(a) || !path)
		return FR_OK;
	r = load_rules(path, &fresh, err, errlen);
	if (r != FR_OK)
		return r;
	pthread_mutex_lock(&a->lock);
	old = a->file;
	a->file = fresh;
	pthread_mutex_unlock(&a->lock);
	fr_acl_file_cleanup(&old);
	return FR_OK;
}

void acl_free(struct acl *a)
{
	size_t i;

	if (!a)
		return;
	fr_acl_file_cleanup(&a->file);
	for (i = 0; i < a->n_counts; i++)
		free(a->counts[i].name);
	free(a->counts);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

bool acl_enabled(const struct acl *a)
{
	return a && a->enabled;
}

int acl_resolve(struct acl *a, int server_root, const char *identity,
		unsigned *perms, int *root_fd, bool *own, const char **why)
{
	const struct fr_acl_ident *e;
	char root[FR_PATH_MAX + 1];
	unsigned granted = 0;
	int r;

	*perms = 0;
	*root_fd = -1;
	*own = false;
	*why = NULL;
	if (!acl_enabled(a)) {
		*perms = PERM_ALL;
		*root_fd = server_root;
		return FR_OK;
	}
	/* copy under the lock: a SIGHUP may replace the rules meanwhile */
	pthread_mutex_lock(&a->lock);
	e = fr_acl_find(&a->file, identity);
	if (e) {
		snprintf(root, sizeof(root), "%s", e->root);
		granted = e->perms;
	}
	pthread_mutex_unlock(&a->lock);
	if (!e) {
		*why = "identity not in the ACL";
		return FR_E_FORBIDDEN;
	}
	/* SECURITY: the root comes from the file (checked by fr_path_check),
	 * never from the certificate; the walk refuses symlinks, so a link
	 * planted where a root should be is `forbidden`, not followed. */
	r = store_open_dir(server_root, root, true, root_fd);
	if (r != FR_OK) {
		*why = "cannot open the identity's root";
		return r;
	}
	*own = true;
	*perms = granted;
	return FR_OK;
}

bool acl_conn_enter(struct acl *a, const char *identity, unsigned long max)
{
	struct count *c = NULL, *grown;
	bool ok = false;
	size_t i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->n_counts; i++)
		if (strcmp(a->counts[i].name, identity) == 0)
			c = &a->counts[i];
	if (c) {
		if (c->n < max) {
			c->n++;
			ok = true;
		}
		goto out;
	}
	if (max == 0)
		goto out;
	if (a->n_counts == a->cap_counts) {
		size_t cap = a->cap_counts ? 2 * a->cap_counts : 16;

		grown = realloc(a->counts, cap * sizeof(*grown));
		if (!grown)
			goto out;
		a->counts = grown;
		a->cap_counts = cap;
	}
	c = &a->counts[a->n_counts];
	c->name = strdup(identity);
	if (!c->name)
		goto out;
	c->n = 1;
	a->n_counts++;
	ok = true;
out:
	pthread_mutex_unlock(&a->lock);
	return ok;
}

void acl_conn_leave(struct acl *a, const char *identity)
{
	size_t i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->n_counts; i++) {
		if (strcmp(a->counts[i].name, identity) != 0)
			continue;
		if (--a->counts[i].n == 0) {
			/* keep the table as small as the live identities */
			free(a->counts[i].name);
			a->counts[i] = a->counts[--a->n_counts];
		}
		break;
	}
	pthread_mutex_unlock(&a->lock);
}
