/*
 * test_output.c - unit tests of src/client/output.c: what ferry shows of
 * names it did not choose (out_term: control characters, C1 controls,
 * bidirectional overrides, bytes that are not UTF-8) and the sha256sum
 * line format that `sha256sum -c` must accept (out_sum_line).  It links
 * output.c alone; the progress bar is stubbed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"
#include "progress.h"

void progress_clear(void)
{
}

static void term_is(const char *in, const char *want)
{
	char buf[256];

	out_term(buf, sizeof buf, in);
	if (strcmp(buf, want) != 0)
		fail_msg("out_term(\"%s\") = \"%s\", want \"%s\"", in, buf, want);
}

static void test_term(void **state)
{
	(void)state;
	term_is("plain name.txt", "plain name.txt");
	term_is("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	term_is("a\x01" "b", "a\\u0001b");
	term_is("a\nb\rc\x1b[31m", "a\\u000ab\\u000dc\\u001b[31m");
	term_is("del\x7f", "del\\u007f");
	term_is("c1\xc2\x9b" "x\xc2\x80\xc2\x9f", "c1\\u009bx\\u0080\\u009f");
	term_is("evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe");
	term_is("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d");
	term_is("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069");
	term_is("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");
	term_is("\xe2\x80\x8d ok", "\xe2\x80\x8d ok"); /* a joiner is harmless */
	term_is("bad\xff\xfe", "bad\\xff\\xfe");
	term_is("cut\xe2\x82", "cut\\xe2\\x82");
	term_is("over\xc0\xaf", "over\\xc0\\xaf"); /* overlong '/' */
}

static void test_term_truncates(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Z', sizeof buf);
	out_term(buf, sizeof buf, "abcdefghijk");
	assert_string_equal(buf, "abcdefg");
	out_term(buf, sizeof buf, "ab\x01xyz");
	assert_string_equal(buf, "ab"); /* an escape never splits */
	out_term(buf, 1, "abc");
	assert_string_equal(buf, "");
}

static void sum_is(const char *path, const char *want)
{
	char got[512];
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	out_sum_line(f, "ab", path);
	rewind(f);
	n = fread(got, 1, sizeof got - 1, f);
	got[n] = '\0';
	fclose(f);
	if (strcmp(got, want) != 0)
		fail_msg("out_sum_line(\"%s\") = \"%s\"", path, got);
}

static void test_sum_line(void **state)
{
	(void)state;
	sum_is("a/b", "ab  a/b\n");
	sum_is("a\\b", "\\ab  a\\\\b\n");
	sum_is("a\nb", "\\ab  a\\nb\n");
	sum_is("a\rb", "\\ab  a\\rb\n");
	sum_is("evil\xe2\x80\xae", "ab  evil\xe2\x80\xae\n"); /* not a terminal: exact */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_term_truncates),
		cmocka_unit_test(test_sum_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
