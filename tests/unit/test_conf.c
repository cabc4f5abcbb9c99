/*
 * test_conf.c - unit tests of src/core/conf.c (the configuration file
 * reader shared by ferryd.conf and the client's profiles): items, sections
 * and line numbers; every syntax error named FILE:LINE; relative paths;
 * booleans; input placed before an unreadable page (guard.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/conf.h"
#include "ferry/err.h"
#include "ferry/limits.h"
#include "guard.h"

static char err[512];

/* Parse text (placed right before an unreadable page). */
static int parse(const char *name, const char *text, unsigned flags,
		 struct fr_conf **c)
{
	struct guard g;
	size_t n = strlen(text);
	uint8_t *p = guard_put(&g, text, n);
	int r = fr_conf_parse(name, (const char *)p, n, flags, c, err,
			      sizeof(err));

	guard_free(&g);
	return r;
}

static void test_items(void **state)
{
	struct fr_conf *c = NULL;
	const struct fr_conf_item *it;

	(void)state;
	assert_int_equal(parse("/etc/ferry/ferryd.conf",
			       "# ferryd.conf\n"
			       "\n"
			       "root = /srv/ferry\n"
			       "   listen=127.0.0.1:9533   \r\n"
			       "listen = [::1]:9533\n"
			       "\t# indented comment\n"
			       "pin-sha256 = abc=def#not-a-comment\n"
			       "empty =\n"
			       "last = no newline",
			       0, &c),
			 FR_OK);
	assert_int_equal(fr_conf_count(c), 6);
	it = fr_conf_get(c, 0);
	assert_string_equal(it->section, "");
	assert_string_equal(it->key, "root");
	assert_string_equal(it->value, "/srv/ferry");
	assert_int_equal(it->line, 3);
	it = fr_conf_get(c, 1);
	assert_string_equal(it->key, "listen");
	assert_string_equal(it->value, "127.0.0.1:9533");
	assert_int_equal(it->line, 4);
	it = fr_conf_get(c, 2);
	assert_string_equal(it->value, "[::1]:9533");
	assert_int_equal(it->line, 5);
	it = fr_conf_get(c, 3);
	assert_string_equal(it->value, "abc=def#not-a-comment");
	assert_int_equal(it->line, 7);
	assert_string_equal(fr_conf_get(c, 4)->value, "");
	assert_string_equal(fr_conf_get(c, 5)->value, "no newline");
	assert_int_equal(fr_conf_get(c, 5)->line, 9);
	assert_null(fr_conf_get(c, 6));
	assert_string_equal(fr_conf_name(c), "/etc/ferry/ferryd.conf");
	fr_conf_free(c);

	/* an empty file and a file of comments are fine */
	assert_int_equal(parse("e", "", 0, &c), FR_OK);
	assert_int_equal(fr_conf_count(c), 0);
	fr_conf_free(c);
	assert_int_equal(parse("e", "#\n# x = 1\n\n", 0, &c), FR_OK);
	assert_int_equal(fr_conf_count(c), 0);
	fr_conf_free(c);
	fr_conf_free(NULL);
}

static void test_sections(void **state)
{
	struct fr_conf *c = NULL;

	(void)state;
	assert_int_equal(parse("/home/a/.config/ferry/config",
			       "server = top\n"
			       "[default]\n"
			       "server = files.example.org\n"
			       "[profile prod]\n"
			       "server = prod.example.org:9533\n"
			       "ca = ca.crt\n"
			       "[ profile  ci ]\n",
			       FR_CONF_SECTIONS, &c),
			 FR_OK);
	assert_int_equal(fr_conf_count(c), 4);
	assert_string_equal(fr_conf_get(c, 0)->section, "");
	assert_string_equal(fr_conf_get(c, 1)->section, "default");
	assert_string_equal(fr_conf_get(c, 2)->section, "profile prod");
	assert_int_equal(fr_conf_get(c, 2)->line, 5);
	assert_true(fr_conf_has_section(c, "default"));
	assert_true(fr_conf_has_section(c, "profile prod"));
	assert_false(fr_conf_has_section(c, "profile nope"));
	/* every header, empty ones too, once, with its first line */
	{
		unsigned line = 0;

		assert_true(fr_conf_has_section(c, " profile  ci "));
		assert_int_equal(fr_conf_n_sections(c), 3);
		assert_string_equal(fr_conf_section(c, 0, &line), "default");
		assert_int_equal(line, 2);
		assert_string_equal(fr_conf_section(c, 1, &line),
				    "profile prod");
		assert_int_equal(line, 4);
		assert_string_equal(fr_conf_section(c, 2, &line),
				    " profile  ci ");
		assert_int_equal(line, 7);
		assert_null(fr_conf_section(c, 3, &line));
		assert_int_equal(fr_conf_lines(c), 7);
	}
	fr_conf_free(c);
}

/* Each bad input fails with "NAME:LINE: ..." naming the right line. */
static void test_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned flags;
		const char *want; /* "f:LINE: reason" prefix */
	} t[] = {
		{ "a = 1\nno equals sign\n", 0, "f:2: expected 'key = value'" },
		{ "root: /srv\n", 0, "f:1: expected 'key = value'" },
		{ "x = 1\n\n= value\n", 0, "f:3: no key before '='" },
		{ "bad key = 1\n", 0, "f:1: 'bad key' is not a key" },
		{ "k\xc3\xa9y = 1\n", 0, "f:1: 'k" },
		{ "[default]\nroot = x\n", 0, "f:1: sections ([...]) are not used" },
		{ "a = 1\n[default\n", FR_CONF_SECTIONS, "f:2: a section header is '[name]'" },
		{ "[]\n", FR_CONF_SECTIONS, "f:1: a section header is '[name]'" },
		{ "[a]b]\n", FR_CONF_SECTIONS, "f:1: a section name has at most" },
		{ "a = 1\nb = x\x01y\n", 0, "f:2: control character 0x01" },
		{ "a = 1\x7f\n", 0, "f:1: control character 0x7f" },
		{ "; semicolon comment\n", 0, "f:1: expected 'key = value'" },
		{ "a = 1\n  continued\n", 0, "f:2: expected 'key = value'" },
	};
	struct fr_conf *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = (struct fr_conf *)1;
		assert_int_equal(parse("f", t[i].text, t[i].flags, &c),
				 FR_E_USAGE);
		assert_null(c);
		if (strncmp(err, t[i].want, strlen(t[i].want)) != 0)
			fail_msg("case %zu: got '%s', wanted '%s...'", i, err,
				 t[i].want);
	}
}

static void test_limits(void **state)
{
	size_t n = FR_CONF_LINE_MAX + 16, i;
	char *big = malloc(FR_CONF_FILE_MAX + 64), key[FR_CONF_KEY_MAX + 8];
	struct fr_conf *c = NULL;
	int len;

	(void)state;
	assert_non_null(big);
	/* a line of exactly the limit is fine, one byte more is not */
	len = snprintf(big, n, "k = ");
	memset(big + len, 'v', FR_CONF_LINE_MAX - 2 - (size_t)len);
	big[FR_CONF_LINE_MAX - 2] = '\0';
	assert_int_equal(parse("f", big, 0, &c), FR_OK);
	assert_int_equal(strlen(fr_conf_get(c, 0)->value),
			 FR_CONF_LINE_MAX - 2 - (size_t)len);
	fr_conf_free(c);
	memcpy(big, "a = 1\n", 6);
	memset(big + 6, 'v', FR_CONF_LINE_MAX);
	big[6 + FR_CONF_LINE_MAX] = '\0';
	memcpy(big + 6, "k = ", 4);
	assert_int_equal(parse("f", big, 0, &c), FR_E_USAGE);
	assert_non_null(strstr(err, "f:2: line longer than"));

	/* keys: FR_CONF_KEY_MAX characters at most */
	memset(key, 'k', FR_CONF_KEY_MAX);
	snprintf(key + FR_CONF_KEY_MAX, 8, " = 1");
	assert_int_equal(parse("f", key, 0, &c), FR_OK);
	fr_conf_free(c);
	memset(key, 'k', FR_CONF_KEY_MAX + 1);
	snprintf(key + FR_CONF_KEY_MAX + 1, 7, " = 1");
	assert_int_equal(parse("f", key, 0, &c), FR_E_USAGE);
	assert_non_null(strstr(err, "key longer than"));

	/* FR_CONF_MAX_ITEMS settings at most */
	for (i = 0, len = 0; i <= FR_CONF_MAX_ITEMS; i++)
		len += snprintf(big + len, 16, "k = %zu\n", i % 10);
	assert_int_equal(parse("f", big, 0, &c), FR_E_USAGE);
	assert_non_null(strstr(err, "more than"));

	/* a file over FR_CONF_FILE_MAX bytes, before any line is read */
	memset(big, '#', FR_CONF_FILE_MAX + 1);
	big[FR_CONF_FILE_MAX + 1] = '\0';
	assert_int_equal(parse("f", big, 0, &c), FR_E_USAGE);
	assert_non_null(strstr(err, "larger than"));
	free(big);
}

static void test_nul(void **state)
{
	static const char text[] = "a = 1\nb = x\0y\n";
	struct fr_conf *c = NULL;

	(void)state;
	assert_int_equal(fr_conf_parse("f", text, sizeof(text) - 1, 0, &c,
				       err, sizeof(err)),
			 FR_E_USAGE);
	assert_string_equal(err, "f:2: NUL byte in the file");
}

static void test_paths(void **state)
{
	struct fr_conf *c = NULL;
	const char *p;
	char cwd[4096], want[4200];

	(void)state;
	assert_int_equal(parse("/etc/ferry/ferryd.conf",
			       "cert = pki/server.crt\n"
			       "key = /abs/server.key\n"
			       "ca = ~/ca.crt\n"
			       "crl =\n",
			       0, &c),
			 FR_OK);
	assert_int_equal(fr_conf_path(c, fr_conf_get(c, 0), &p, err,
				      sizeof(err)), FR_OK);
	assert_string_equal(p, "/etc/ferry/pki/server.crt");
	assert_int_equal(fr_conf_path(c, fr_conf_get(c, 1), &p, err,
				      sizeof(err)), FR_OK);
	assert_string_equal(p, "/abs/server.key");
	setenv("HOME", "/home/alice", 1);
	assert_int_equal(fr_conf_path(c, fr_conf_get(c, 2), &p, err,
				      sizeof(err)), FR_OK);
	assert_string_equal(p, "/home/alice/ca.crt");
	assert_int_equal(fr_conf_path(c, fr_conf_get(c, 3), &p, err,
				      sizeof(err)), FR_E_USAGE);
	assert_string_equal(err, "/etc/ferry/ferryd.conf:4: crl: a path is needed");
	fr_conf_free(c);

	/* a relative file name: paths relative to its directory, absolute */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(parse("conf/ferryd.conf", "cert = a.crt\n", 0, &c),
			 FR_OK);
	assert_int_equal(fr_conf_path(c, fr_conf_get(c, 0), &p, err,
				      sizeof(err)), FR_OK);
	snprintf(want, sizeof(want), "%s/conf/a.crt", cwd);
	assert_string_equal(p, want);
	fr_conf_free(c);
	assert_int_equal(parse("ferryd.conf", "cert = a.crt\n", 0, &c), FR_OK);
	assert_int_equal(fr_conf_path(c, fr_conf_get(c, 0), &p, err,
				      sizeof(err)), FR_OK);
	snprintf(want, sizeof(want), "%s/a.crt", cwd);
	assert_string_equal(p, want);
	fr_conf_error(c, fr_conf_get(c, 0), err, sizeof(err), "bad %s", "x");
	assert_string_equal(err, "ferryd.conf:1: bad x");
	fr_conf_free(c);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/ferry-conf.XXXXXX", path[128];
	struct fr_conf *c = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ferryd.conf", dir);
	assert_int_equal(fr_conf_load(path, 0, &c, err, sizeof(err)),
			 FR_E_NOT_FOUND);
	assert_null(c);
	assert_non_null(strstr(err, "No such file"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("root = /srv\nthreads = 4\n", f);
	fclose(f);
	assert_int_equal(fr_conf_load(path, 0, &c, err, sizeof(err)), FR_OK);
	assert_int_equal(fr_conf_count(c), 2);
	fr_conf_free(c);
	/* a directory is not a file */
	assert_int_equal(fr_conf_load(dir, 0, &c, err, sizeof(err)),
			 FR_E_USAGE);
	assert_non_null(strstr(err, dir));
	unlink(path);
	rmdir(dir);
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "on", "1" };
	static const char *const no[] = { "no", "False", "off", "0" };
	static const char *const bad[] = { "", "y", "2", "yes please", "nope" };
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(fr_conf_bool(yes[i], &b), FR_OK);
		assert_true(b);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_int_equal(fr_conf_bool(no[i], &b), FR_OK);
		assert_false(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fr_conf_bool(bad[i], &b), FR_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),  cmocka_unit_test(test_sections),
		cmocka_unit_test(test_errors), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_nul),    cmocka_unit_test(test_paths),
		cmocka_unit_test(test_load),   cmocka_unit_test(test_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
