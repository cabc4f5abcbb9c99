/*
 * aclfile.h - the parser of ferryd's --acl file (aclfile.c).
 *
 * It only turns the file's text into a typed table; the server's acl.c
 * resolves roots and counts connections.
 */
#ifndef FERRY_ACLFILE_H
#define FERRY_ACLFILE_H

#include <stddef.h>

/*
 * {"identities": {"alice": {"root": "home/alice", "perms": "rwld"}, ...}}
 * The same strict scanner as for requests applies (no duplicate keys, no escaped NUL, valid UTF-8, no
 * trailing bytes), plus: no unknown field, every root passes
 * fr_path_check and is not reserved ("" is the whole --root), perms is a
 * subset of "rwld" with no letter twice, identity names are 1 to
 * FR_IDENTITY_MAX bytes without control characters.
 */
enum { FR_PERM_R = 1, FR_PERM_W = 2, FR_PERM_L = 4, FR_PERM_D = 8 };

struct fr_acl_ident {
	char *name;     /* certificate CN, matched byte for byte */
	char *root;     /* relative to --root, checked by fr_path_check */
	unsigned perms; /* FR_PERM_* bits */
};

struct fr_acl_file {
	struct fr_acl_ident *v; /* sorted by name; owned */
	size_t n;
};

/* Parse an ACL file's text.  FR_OK, or FR_E_USAGE / FR_E_NOMEM with one
 * line in err naming the line (syntax) or the field (meaning) at fault.
 * *out is zeroed first; free it with fr_acl_file_cleanup. */
int fr_acl_parse(const void *text, size_t len, struct fr_acl_file *out,
		 char *err, size_t errlen);

/* The entry for identity, or NULL (borrowed from f). */
const struct fr_acl_ident *fr_acl_find(const struct fr_acl_file *f,
				       const char *identity);

void fr_acl_file_cleanup(struct fr_acl_file *f); /* NULL is a no-op */

#endif
