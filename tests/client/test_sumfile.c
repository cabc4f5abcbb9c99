/*
 * test_sumfile.c - unit tests of src/client/sumfile.c, linking only that
 * module: every line form of a checksum file as coreutils 9.1's
 * sha256sum -c reads it (text and binary mode, BSD tags, escaped names,
 * CRLF, comments, blank and garbage lines, the reversed-BSD decision kept
 * across lines, standard input's "-"), and names shown and quoted as it
 * shows and quotes them.  The expected values were taken from the real
 * sha256sum 9.1 (tests/e2e/t_check.sh compares the two end to end).
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sumfile.h"

#define H "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"
#define HU "87428FC522803D31065E7BCE3CF03FE475096631E5E07BBD7A0FDE60C4CF25C7"

static char buf[8192];

/* Parse text (len bytes, may hold NULs) with state st. */
static enum sumfile_kind parse_n(struct sumfile_state *st, const char *text,
				 size_t len, bool from_stdin,
				 struct sumfile_entry *e)
{
	memcpy(buf, text, len);
	memset(buf + len, 'Z', 8); /* the parser must not read past len */
	return sumfile_parse(st, buf, len, from_stdin, e);
}

/* One line with a fresh state: the name, or NULL when not an entry. */
static const char *one(const char *text)
{
	struct sumfile_state st;
	struct sumfile_entry e;

	sumfile_init(&st);
	if (parse_n(&st, text, strlen(text), false, &e) != SUMFILE_ENTRY)
		return NULL;
	assert_string_equal(e.hex, H);
	return e.name;
}

static enum sumfile_kind kind(const char *text)
{
	struct sumfile_state st;
	struct sumfile_entry e;

	sumfile_init(&st);
	return parse_n(&st, text, strlen(text), false, &e);
}

static void test_standard(void **state)
{
	(void)state;
	assert_string_equal(one(H "  a\n"), "a");
	assert_string_equal(one(H " *a\n"), "a");        /* binary mode */
	assert_string_equal(one(HU "  a\n"), "a");       /* upper case */
	assert_string_equal(one(H "  dir/with space \n"), "dir/with space ");
	assert_string_equal(one(H "  a"), "a");          /* no newline */
	assert_string_equal(one("  \t" H "  a\n"), "a"); /* leading blanks */
	assert_string_equal(one(H "  *a\n"), "*a");      /* text mode, '*' name */
	assert_string_equal(one(H "   a\n"), " a");      /* blanks are the name's */
	assert_string_equal(one(H "  -\n"), "-");        /* "-" from a file */
}

static void test_crlf_blank_comment(void **state)
{
	(void)state;
	assert_string_equal(one(H "  a\r\n"), "a");
	assert_string_equal(one(H "  a\r"), "a");
	assert_string_equal(one(H "  a\r\r\n"), "a\r"); /* only one CR */
	assert_int_equal(kind(""), SUMFILE_SKIP);
	assert_int_equal(kind("\n"), SUMFILE_SKIP);
	assert_int_equal(kind("\r\n"), SUMFILE_SKIP);
	assert_int_equal(kind("# " H "  a\n"), SUMFILE_SKIP);
	assert_int_equal(kind("#\n"), SUMFILE_SKIP);
	assert_int_equal(kind(" # comment\n"), SUMFILE_BAD); /* not column 1 */
	assert_int_equal(kind(" \n"), SUMFILE_BAD);
}

static void test_bsd(void **state)
{
	(void)state;
	assert_string_equal(one("SHA256 (a) = " H "\n"), "a");
	assert_string_equal(one("SHA256 (a)=" H "\n"), "a");
	assert_string_equal(one("SHA256(a)= " H "\n"), "a");
	assert_string_equal(one("SHA256 (a) \t=\t " HU "\r\n"), "a");
	assert_string_equal(one("SHA256 (x) y) = " H "\n"), "x) y");
	assert_string_equal(one("SHA256 ( sp ) = " H "\n"), " sp ");
	assert_int_equal(kind("SHA256 (a) = " H " junk\n"), SUMFILE_BAD);
	assert_int_equal(kind("SHA256 (a) = " H "0\n"), SUMFILE_BAD);
	assert_int_equal(kind("SHA256 a = " H "\n"), SUMFILE_BAD);
	assert_int_equal(kind("SHA256  (a) = " H "\n"), SUMFILE_BAD);
	assert_int_equal(kind("SHA256 (a) " H "\n"), SUMFILE_BAD);
	assert_int_equal(kind("MD5 (a) = " H "\n"), SUMFILE_BAD);
	assert_int_equal(kind("sha256 (a) = " H "\n"), SUMFILE_BAD);
	assert_int_equal(kind("SHA256 (a = " H "\n"), SUMFILE_BAD);
}

static void test_escaped(void **state)
{
	(void)state;
	assert_string_equal(one("\\" H "  a\\\\b\\nc\\rd\n"), "a\\b\nc\rd");
	assert_string_equal(one("\\" H "  plain\n"), "plain");
	assert_string_equal(one(H "  a\\x\n"), "a\\x"); /* not escaped: as is */
	assert_string_equal(one("\\SHA256 (a\\nb\\\\) = " H "\n"), "a\nb\\");
	assert_int_equal(kind("\\" H "  a\\x\n"), SUMFILE_BAD);
	assert_int_equal(kind("\\" H "  a\\\n"), SUMFILE_BAD);
	assert_int_equal(kind("\\SHA256 (a\\x) = " H "\n"), SUMFILE_BAD);
	assert_string_equal(one("  \\" H "  x\n"), "x");
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"junk\n",
		"8742  a\n",
		H "\n",
		H " \n",
		H "0  a\n",                         /* 65 digits */
		"87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c  a\n",
		"g7428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7  a\n",
		"\\\\" H "  a\n",
		"SHA256\n",
		"SHA256 (",
		"\\",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kind(bad[i]), SUMFILE_BAD);
}

/* "HEX NAME" (one blank): md5 -r's reversed BSD form, chosen by the first
 * entry of the run and then kept: the two forms never mix. */
static void test_reversed(void **state)
{
	struct sumfile_state st;
	struct sumfile_entry e;
	const char *l1 = H " a\n", *l2 = H "  b\n";

	(void)state;
	sumfile_init(&st);
	assert_int_equal(parse_n(&st, l1, strlen(l1), false, &e), SUMFILE_ENTRY);
	assert_string_equal(e.name, "a");
	assert_int_equal(parse_n(&st, l2, strlen(l2), false, &e), SUMFILE_ENTRY);
	assert_string_equal(e.name, " b"); /* the blank is the name's */
	sumfile_init(&st);
	assert_int_equal(parse_n(&st, l2, strlen(l2), false, &e), SUMFILE_ENTRY);
	assert_string_equal(e.name, "b");
	assert_int_equal(parse_n(&st, l1, strlen(l1), false, &e), SUMFILE_BAD);
	/* a BSD-tagged line decides nothing */
	sumfile_init(&st);
	l2 = "SHA256 (x) = " H "\n";
	assert_int_equal(parse_n(&st, l2, strlen(l2), false, &e), SUMFILE_ENTRY);
	assert_int_equal(parse_n(&st, l1, strlen(l1), false, &e), SUMFILE_ENTRY);
	/* two blanks and nothing else: a one-byte name in reversed form */
	sumfile_init(&st);
	l1 = H "  \n";
	assert_int_equal(parse_n(&st, l1, strlen(l1), false, &e), SUMFILE_ENTRY);
	assert_string_equal(e.name, " ");
	assert_string_equal(one(H "\tb\n"), "b");
}

static void test_stdin_and_nul(void **state)
{
	struct sumfile_state st;
	struct sumfile_entry e;
	static const char nul[] = H "  a\0b\n";

	(void)state;
	sumfile_init(&st);
	assert_int_equal(parse_n(&st, H "  -\n", 68, true, &e), SUMFILE_BAD);
	assert_int_equal(parse_n(&st, H "  a\n", 68, true, &e), SUMFILE_ENTRY);
	/* an unescaped name ends at a NUL, as a C string does */
	assert_int_equal(parse_n(&st, nul, sizeof(nul) - 1, false, &e),
			 SUMFILE_ENTRY);
	assert_string_equal(e.name, "a");
	assert_int_equal(parse_n(&st, "\\" H "  a\0b\n", 71, false, &e),
			 SUMFILE_BAD);
}

static void test_show(void **state)
{
	char out[256];

	(void)state;
	assert_string_equal(sumfile_show("a\\b", out, sizeof(out)), "a\\b");
	assert_string_equal(sumfile_show("c\rd", out, sizeof(out)), "c\rd");
	assert_string_equal(sumfile_show("n\nl", out, sizeof(out)), "\\n\\nl");
	assert_string_equal(sumfile_show("x\\y\nz\rw", out, sizeof(out)),
			    "\\x\\\\y\\nz\\rw");
	assert_string_equal(sumfile_show("abcdef", out, 4), "abc");
}

static const char *q(const char *name)
{
	static char out[512];

	return sumfile_quote(name, out, sizeof(out));
}

static void test_quote(void **state)
{
	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C"));
	assert_string_equal(q("plain.txt"), "plain.txt");
	assert_string_equal(q("a,b@c%d+e-f/g]_h"), "a,b@c%d+e-f/g]_h");
	assert_string_equal(q("sp ace"), "'sp ace'");
	assert_string_equal(q("it's"), "\"it's\"");
	assert_string_equal(q("it's a b"), "\"it's a b\"");
	assert_string_equal(q("'"), "\"'\"");
	assert_string_equal(q("it's a$b"), "'it'\\''s a$b'");
	assert_string_equal(q("it's\\x"), "'it'\\''s\\x'");
	assert_string_equal(q("it's{x"), "'it'\\''s{x'");
	assert_string_equal(q("co:lon"), "'co:lon'");
	assert_string_equal(q("dol$ar"), "'dol$ar'");
	assert_string_equal(q("~tilde"), "'~tilde'");
	assert_string_equal(q("mid~tilde"), "mid~tilde");
	assert_string_equal(q("#hash"), "'#hash'");
	assert_string_equal(q("mid#hash"), "mid#hash");
	assert_string_equal(q("eq=ual"), "'eq=ual'");
	assert_string_equal(q("{"), "'{'");
	assert_string_equal(q("brace{"), "brace{");
	assert_string_equal(q("a\"q"), "'a\"q'");
	assert_string_equal(q("back\\sl"), "'back\\sl'");
	assert_string_equal(q("[x]"), "'[x]'");
	assert_string_equal(q("a?b"), "'a?b'");
	assert_string_equal(q(""), "''");
	assert_string_equal(q("ta\tb"), "'ta'$'\\t''b'");
	assert_string_equal(q("it's\tx"), "'it'\\''s'$'\\t''x'");
	assert_string_equal(q("x\\y\nz\rw"), "'x\\y'$'\\n''z'$'\\r''w'");
	assert_string_equal(q("ctl\001x\177y"), "'ctl'$'\\001''x'$'\\177''y'");
	assert_string_equal(q("bad\xffutf"), "'bad'$'\\377''utf'");
	/* the C locale cannot print UTF-8 */
	assert_string_equal(q("\xc3\xbcn\xc3\xaf"),
			    "''$'\\303\\274''n'$'\\303\\257'");
	if (setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "en_US.UTF-8")) {
		assert_string_equal(q("\xc3\xbcn\xc3\xaf"), "\xc3\xbcn\xc3\xaf");
		assert_string_equal(q("\xc3\xa9'x"), "\"\xc3\xa9'x\"");
		assert_string_equal(q("bad\xffutf"), "'bad'$'\\377''utf'");
		assert_string_equal(q("\xc3"), "''$'\\303'");
	}
	setlocale(LC_CTYPE, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard),
		cmocka_unit_test(test_crlf_blank_comment),
		cmocka_unit_test(test_bsd),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_reversed),
		cmocka_unit_test(test_stdin_and_nul),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
