/*
 * acl.h - who may do what: identities, their roots and permissions, and
 * how many connections each identity holds.
 *
 * Does: load and check the --acl file at start-up (the JSON itself is
 * parsed by fr_acl_parse in the core's aclfile.c), look
 * an identity up, open its root below --root (created on first use, with
 * the same no-symlink walk as every storage call), and count connections
 * per identity for --max-conns-per-identity.
 * Does not: check individual requests (conn.c compares the op table's
 * permission with the connection's) or touch files below a root.
 *
 * SECURITY: an identity (certificate CN) is only ever a lookup key; it is
 * never used as or in a path, so a CN holding '/', "..", NUL or control
 * characters cannot name a directory.  Without --acl every identity has
 * all permissions on the whole root (ferry 0.1).
 */
#ifndef FERRYD_ACL_H
#define FERRYD_ACL_H

#include <stdbool.h>
#include <stddef.h>

struct acl; /* opaque; one per process */

/* Load path (NULL: no ACL, everyone may do everything on the root).
 * FR_OK, or FR_E_USAGE with one line in err naming the file and the line
 * or field at fault. */
int acl_new(const char *path, struct acl **out, char *err, size_t errlen);
void acl_free(struct acl *a); /* NULL is a no-op */

/* SIGHUP: read path again.  On success new connections resolve against
 * the new rules (connections already made keep their root and perms); on
 * failure the old rules stay and err names the line or field.  FR_OK
 * without doing anything when no ACL is in force. */
int acl_reload(struct acl *a, const char *path, char *err, size_t errlen);

/* True when an ACL file is in force. */
bool acl_enabled(const struct acl *a);

/*
 * Resolve identity for a new connection: *perms (PERM_* bits) and *root_fd,
 * the directory every storage call of the connection starts from.  Without
 * an ACL: all permissions and *root_fd = server_root (borrowed, *own =
 * false).  With one: the identity's root opened below server_root (*own =
 * true, the caller closes it).  Returns FR_OK, FR_E_FORBIDDEN for an
 * identity not in the file (*why says so), or a storage error when the
 * root cannot be opened or created (*why says so).
 */
int acl_resolve(struct acl *a, int server_root, const char *identity,
		unsigned *perms, int *root_fd, bool *own, const char **why);

/* Count one more connection of identity; false (and nothing counted) when
 * it already holds max.  Thread-safe. */
bool acl_conn_enter(struct acl *a, const char *identity, unsigned long max);
/* The connection of identity counted by acl_conn_enter ended. */
void acl_conn_leave(struct acl *a, const char *identity);

#endif
