/*
 * fuzz_acl.c - libFuzzer entry for the ACL file parser (fr_acl_parse in
 * aclfile.c).
 *
 * An accepted file must yield entries that obey the documented rules:
 * sorted unique names without control characters, roots that pass the
 * path rules, permission bits within "rwld"; and every lookup of a listed
 * name must find it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"
#include "ferry/aclfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fr_acl_file f;
	char err[512];
	size_t i;
	int r;

	r = fr_acl_parse(data, size, &f, err, sizeof(err));
	if (r != FR_OK) {
		if (err[0] == '\0' || f.v != NULL || f.n != 0)
			abort();
		return 0;
	}
	for (i = 0; i < f.n; i++) {
		const struct fr_acl_ident *e = &f.v[i];

		if (e->perms & ~15u)
			abort();
		if (fr_path_check(e->root, strlen(e->root), NULL) != FR_OK)
			abort();
		if (e->name[0] == '\0' || strlen(e->name) > FR_IDENTITY_MAX)
			abort();
		if (i > 0 && strcmp(f.v[i - 1].name, e->name) >= 0)
			abort();
		if (fr_acl_find(&f, e->name) != e)
			abort();
	}
	fr_acl_file_cleanup(&f);
	return 0;
}
