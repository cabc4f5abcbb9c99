/*
 * aclfile.c - the parser of ferryd's --acl file (see aclfile.h): strict
 * JSON through json.c, then the meaning of every field.  acl.c in the
 * server gives the result its effect.  It does no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/aclfile.h"
#include "ferry/err.h"
#include "ferry/limits.h"
#include "ferry/path.h"
#include "json.h"

/* ---- ACL file (ferryd --acl) -------------------------------------------- */

/* 1-based line of byte offset at in text. */
static size_t line_of(const unsigned char *text, size_t len, size_t at)
{
	size_t line = 1;
	for (size_t i = 0; i < at && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static int cmp_ident(const void *a, const void *b)
{
	return strcmp(((const struct fr_acl_ident *)a)->name,
		      ((const struct fr_acl_ident *)b)->name);
}

/* "rwld" in any order, each letter at most once; -1 otherwise. */
static int parse_perms(const char *s, unsigned *out)
{
	static const char letters[] = "rwld";
	unsigned bits = 0;
	for (; *s; s++) {
		const char *l = strchr(letters, *s);
		if (*s == '\0' || l == NULL)
			return -1;
		unsigned bit = 1u << (l - letters);
		if (bits & bit)
			return -1;
		bits |= bit;
	}
	*out = bits;
	return 0;
}

/* SECURITY: an identity name is matched byte for byte against a
 * certificate CN and never used as a path; still, refuse names no sane CA
 * issues (control characters) so that a look-alike CN cannot match. */
static bool ident_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > FR_IDENTITY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

#define ACL_FAIL(...)                                                          \
	do {                                                                   \
		snprintf(err, errlen, __VA_ARGS__);                            \
		goto out;                                                      \
	} while (0)

int fr_acl_parse(const void *text, size_t len, struct fr_acl_file *out,
		 char *err, size_t errlen)
{
	const unsigned char *t = text;
	struct fr_acl_ident *v = NULL;
	cJSON *root = NULL;
	const cJSON *ids, *id, *f;
	unsigned nul = 0;
	size_t at = 0, n = 0, k = 0;
	int rc = FR_E_USAGE;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (len > FR_ACL_FILE_MAX)
		ACL_FAIL("larger than %u bytes", FR_ACL_FILE_MAX);
	if (json_scan_at(text, len, FR_JSON_DEPTH_MAX, &nul, &at))
		ACL_FAIL("line %zu: not one valid JSON object (strict RFC 8259, "
			 "UTF-8, no trailing bytes)", line_of(t, len, at));
	if (nul)
		ACL_FAIL("an escaped NUL (\\u0000) in a string");
	root = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
	if (root == NULL || !cJSON_IsObject(root))
		ACL_FAIL("not a JSON object");
	if (json_has_duplicate_keys(root))
		ACL_FAIL("a top-level key appears twice");
	for (f = root->child; f; f = f->next)
		if (strcmp(f->string, "identities") != 0)
			ACL_FAIL("unknown top-level field \"%.64s\" (only "
				 "\"identities\")", f->string);
	ids = cJSON_GetObjectItemCaseSensitive(root, "identities");
	if (!cJSON_IsObject(ids))
		ACL_FAIL("\"identities\": missing or not an object");
	if (json_has_duplicate_keys(ids))
		ACL_FAIL("\"identities\": an identity appears twice");
	for (id = ids->child; id; id = id->next)
		n++;
	if (n > FR_ACL_MAX_IDENTITIES)
		ACL_FAIL("\"identities\": more than %u entries",
			 FR_ACL_MAX_IDENTITIES);
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL) {
		rc = FR_E_NOMEM;
		ACL_FAIL("out of memory");
	}
	for (id = ids->child; id; id = id->next, k++) {
		const char *name = id->string;
		const cJSON *r = NULL, *p = NULL;
		const char *why = NULL;
		if (!ident_name_ok(name))
			ACL_FAIL("identities[%zu]: the identity name is empty, "
				 "longer than %u bytes or holds control "
				 "characters", k, FR_IDENTITY_MAX);
		if (!cJSON_IsObject(id))
			ACL_FAIL("identities.\"%s\": not an object", name);
		if (json_has_duplicate_keys(id))
			ACL_FAIL("identities.\"%s\": a field appears twice",
				 name);
		for (f = id->child; f; f = f->next) {
			if (strcmp(f->string, "root") == 0)
				r = f;
			else if (strcmp(f->string, "perms") == 0)
				p = f;
			else
				ACL_FAIL("identities.\"%s\": unknown field "
					 "\"%.64s\" (only \"root\" and "
					 "\"perms\")", name, f->string);
		}
		if (!cJSON_IsString(r))
			ACL_FAIL("identities.\"%s\".root: missing or not a "
				 "string", name);
		if (fr_path_check(r->valuestring, strlen(r->valuestring),
				  &why) != FR_OK ||
		    fr_path_is_reserved(r->valuestring))
			ACL_FAIL("identities.\"%s\".root: \"%.200s\" is not a "
				 "valid relative path (%s)", name,
				 r->valuestring, why ? why : "reserved name");
		if (!cJSON_IsString(p) ||
		    parse_perms(p->valuestring, &v[k].perms))
			ACL_FAIL("identities.\"%s\".perms: expected a string of "
				 "the letters r, w, l, d (each at most once)",
				 name);
		v[k].name = strdup(name);
		v[k].root = strdup(r->valuestring);
		if (!v[k].name || !v[k].root) {
			k++;
			rc = FR_E_NOMEM;
			ACL_FAIL("out of memory");
		}
	}
	qsort(v, n, sizeof(*v), cmp_ident);
	out->v = v;
	out->n = n;
	v = NULL;
	rc = FR_OK;
out:
	if (v) {
		struct fr_acl_file tmp = {.v = v, .n = n};
		fr_acl_file_cleanup(&tmp);
	}
	cJSON_Delete(root);
	return rc;
}

const struct fr_acl_ident *fr_acl_find(const struct fr_acl_file *f,
				       const char *identity)
{
	struct fr_acl_ident key = {.name = (char *)identity};
	if (f->n == 0)
		return NULL;
	return bsearch(&key, f->v, f->n, sizeof(*f->v), cmp_ident);
}

void fr_acl_file_cleanup(struct fr_acl_file *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].root);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}