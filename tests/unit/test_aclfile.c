/*
 * test_aclfile.c - unit tests of src/core/aclfile.c, the --acl file parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/err.h"
#include "ferry/frame.h"
#include "ferry/limits.h"
#include "ferry/path.h"
#include "ferry/aclfile.h"

#include "guard.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* ---- ACL file ------------------------------------------------------------ */

static void test_acl_good(void **state)
{
	static const char text[] =
		"{\"identities\": {\n"
		"  \"alice\": {\"root\": \"home/alice\", \"perms\": \"rwld\"},\n"
		"  \"ci-bot\": {\"perms\": \"wr\", \"root\": \"artifacts\"},\n"
		"  \"../../etc\": {\"root\": \"\", \"perms\": \"\"}\n"
		"}}";
	struct fr_acl_file f;
	const struct fr_acl_ident *e;
	char err[256];

	(void)state;
	assert_int_equal(fr_acl_parse(text, strlen(text), &f, err, sizeof(err)),
			 FR_OK);
	assert_int_equal(f.n, 3);
	e = fr_acl_find(&f, "alice");
	assert_non_null(e);
	assert_string_equal(e->root, "home/alice");
	assert_int_equal(e->perms, FR_PERM_R | FR_PERM_W | FR_PERM_L | FR_PERM_D);
	e = fr_acl_find(&f, "ci-bot");
	assert_non_null(e);
	assert_int_equal(e->perms, FR_PERM_R | FR_PERM_W);
	e = fr_acl_find(&f, "../../etc");
	assert_non_null(e);
	assert_string_equal(e->root, "");
	assert_int_equal(e->perms, 0);
	assert_null(fr_acl_find(&f, "bob"));
	assert_null(fr_acl_find(&f, "alic"));
	assert_null(fr_acl_find(&f, "ALICE"));
	fr_acl_file_cleanup(&f);
	fr_acl_file_cleanup(&f); /* idempotent */
}

static void test_acl_bad(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* substring of the error */
	} cases[] = {
		{ "", "line 1" },
		{ "{\n\"identities\": {\n\"a\": {\"root\": \"x\",}\n}}", "line 3" },
		{ "{\"identities\":{}} x", "line 1" },
		{ "{\"identities\":{}}\n\n{}", "line 3" },
		{ "[]", "line 1" },
		{ "{\"identities\":[]}", "identities" },
		{ "{}", "identities" },
		{ "{\"identities\":{},\"identities\":{}}", "twice" },
		{ "{\"identities\":{},\"x\":1}", "unknown top-level" },
		{ "{\"identities\":{\"a\":1}}", "\"a\": not an object" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"rwx\"}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"rr\"}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":1}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\"}}}", "a\".perms" },
		{ "{\"identities\":{\"a\":{\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"../x\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"/x\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"x/\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\".ferry-part.1\",\"perms\":\"r\"}}}", "a\".root" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"r\",\"root\":\"y\"}}}", "twice" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"r\",\"admin\":true}}}", "unknown field" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\",\"perms\":\"r\"},\"a\":{\"root\":\"y\",\"perms\":\"r\"}}}", "twice" },
		{ "{\"identities\":{\"\":{\"root\":\"x\",\"perms\":\"r\"}}}", "identities[0]" },
		{ "{\"identities\":{\"a\\u0001\":{\"root\":\"x\",\"perms\":\"r\"}}}", "control" },
		{ "{\"identities\":{\"a\\u0000b\":{\"root\":\"x\",\"perms\":\"r\"}}}", "NUL" },
		{ "{\"identities\":{\"a\":{\"root\":\"x\\u0000\",\"perms\":\"r\"}}}", "NUL" },
		{ "{\"identities\":{\"\xff\":{\"root\":\"x\",\"perms\":\"r\"}}}", "line 1" },
	};
	struct fr_acl_file f;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = fr_acl_parse(cases[i].text, strlen(cases[i].text), &f,
				     err, sizeof(err));

		if (r == FR_OK || strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu (%s): r=%d err='%s', wanted '%s'", i,
				 cases[i].text, r, err, cases[i].want);
		assert_null(f.v);
		assert_int_equal(f.n, 0);
	}
}

static void test_acl_truncated(void **state)
{
	static const char text[] =
		"{\"identities\":{\"alice\":{\"root\":\"a\",\"perms\":\"rw\"}}}";
	struct fr_acl_file f;
	char err[256];
	size_t n;

	(void)state;
	/* every proper prefix is refused, without reading past it */
	for (n = 0; n < sizeof(text) - 1; n++) {
		char *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, text, n);
		assert_int_not_equal(fr_acl_parse(copy, n, &f, err, sizeof(err)),
				     FR_OK);
		free(copy);
	}
	assert_int_equal(fr_acl_parse(text, n, &f, err, sizeof(err)), FR_OK);
	fr_acl_file_cleanup(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_good),
		cmocka_unit_test(test_acl_bad),
		cmocka_unit_test(test_acl_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
