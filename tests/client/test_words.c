/*
 * test_words.c - unit tests of the shell's line handling without a
 * terminal or a server: words.c (sh-like splitting, quoting that splits
 * back into the same word, unmatched quotes, the partial line of Tab) and
 * complete.c (what Tab completes per operand, with a fake remote lister:
 * commands, remote and local paths, directories with '/', the common
 * prefix, the cache), and cli_remote's resolution in the shell's remote
 * directory ('.', '..', never above the root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "complete.h"
#include "words.h"

/* cli.c's help of a command lives in main.c's table: none here. */
bool cli_cmd_help(const char *name, FILE *f)
{
	(void)name;
	(void)f;
	return false;
}

static void split_ok(const char *line, int argc, const char *const *want)
{
	struct words w;
	const char *why;
	int i;

	assert_int_equal(words_split(line, strlen(line), false, &w, &why), 0);
	assert_int_equal(w.argc, argc);
	for (i = 0; i < argc; i++)
		assert_string_equal(w.argv[i], want[i]);
	assert_null(w.argv[argc]);
	words_free(&w);
}

static void test_split(void **state)
{
	struct words w;
	const char *why;

	(void)state;
	split_ok("", 0, NULL);
	split_ok("   \t ", 0, NULL);
	split_ok("put a b", 3, (const char *const[]){"put", "a", "b"});
	split_ok("  ls\t 'x y'  ", 2, (const char *const[]){"ls", "x y"});
	split_ok("get \"a \\\"q\\\" \\n\" c\\ d", 3,
		 (const char *const[]){"get", "a \"q\" \\n", "c d"});
	split_ok("x'a'\"b\"c ''", 2, (const char *const[]){"xabc", ""});
	split_ok("'$HOME' *", 2, (const char *const[]){"$HOME", "*"});
	assert_int_equal(words_split("put 'a", 6, false, &w, &why), -1);
	assert_non_null(strstr(why, "single quote"));
	assert_int_equal(words_split("put \"a", 6, false, &w, &why), -1);
	assert_non_null(strstr(why, "double quote"));
	assert_int_equal(words_split("put a\\", 6, false, &w, &why), -1);

	/* partial: the word under the cursor, an open quote */
	assert_int_equal(words_split("get 'my fi", 10, true, &w, &why), 0);
	assert_int_equal(w.argc, 2);
	assert_string_equal(w.argv[1], "my fi");
	assert_int_equal(w.last_at, 4);
	assert_int_equal(w.quote, '\'');
	words_free(&w);
	assert_int_equal(words_split("get ", 4, true, &w, &why), 0);
	assert_int_equal(w.argc, 2);
	assert_string_equal(w.argv[1], "");
	assert_int_equal(w.last_at, 4);
	words_free(&w);
}

static void test_quote(void **state)
{
	static const char *const names[] = {
	    "plain", "a b", "it's", "q\"uote", "back\\slash", "$x `y` *?[]",
	    "tab\there", "",
	};
	char q[256], line[300];
	struct words w;
	const char *why;
	size_t i, k;
	const char quotes[] = {0, '\'', '"'};

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (k = 0; k < 3; k++) {
			assert_true(words_quote(names[i], quotes[k], q,
						sizeof q));
			snprintf(line, sizeof line, "%s%s%s",
				 quotes[k] ? (char[]){quotes[k], 0} : "", q,
				 quotes[k] ? (char[]){quotes[k], 0} : "");
			assert_int_equal(words_split(line, strlen(line), false,
						     &w, &why),
					 0);
			if (names[i][0] || quotes[k]) {
				assert_int_equal(w.argc, 1);
				assert_string_equal(w.argv[0], names[i]);
			}
			words_free(&w);
		}
	}
	assert_false(words_quote("a b", 0, q, 3));
}

/* ---- completion with a fake server ---------------------------------- */

static int n_listed;

static int fake_remote(void *arg, const char *dir,
		       void (*add)(void *ctx, const char *name, bool is_dir),
		       void *ctx)
{
	(void)arg;
	n_listed++;
	if (strcmp(dir, "") == 0) {
		add(ctx, "releases", true);
		add(ctx, "readme.txt", false);
		add(ctx, "my file", false);
	} else if (strcmp(dir, "releases") == 0) {
		add(ctx, "v1.0", true);
		add(ctx, "v1.1", true);
	} else {
		return -1;
	}
	return 0;
}

static const char *fake_letters(const char *cmd)
{
	if (!strcmp(cmd, "put"))
		return "LR";
	if (!strcmp(cmd, "get"))
		return "RL";
	if (!strcmp(cmd, "cd") || !strcmp(cmd, "ls"))
		return "R";
	if (!strcmp(cmd, "whoami"))
		return "";
	return NULL;
}

static const char *fake_command(size_t i)
{
	static const char *const c[] = {"cd", "get", "ls", "put", "pwd",
					"whoami"};

	return i < sizeof c / sizeof c[0] ? c[i] : NULL;
}

static bool fake_resolve(const char *typed, char *out, size_t n)
{
	return cli_remote("complete", typed, out, n, NULL) == FX_OK;
}

static const struct complete_src src = {fake_remote, NULL, fake_letters,
					fake_command, fake_resolve};

/* The line after Tab: line[0..word_at) + replace. */
static char *after(const char *line, const struct completion *c)
{
	static char out[512];

	snprintf(out, sizeof out, "%.*s%s%s", (int)c->word_at, line,
		 c->replace ? c->replace : "", c->done ? " " : "");
	return out;
}

static void tab(const char *line, const char *want)
{
	struct completion c;

	assert_int_equal(complete_line(&src, line, strlen(line), &c), 0);
	if (want) {
		assert_non_null(c.replace);
		assert_string_equal(after(line, &c), want);
	} else {
		assert_null(c.replace);
	}
	completion_free(&c);
}

static void test_complete(void **state)
{
	struct completion c;

	(void)state;
	cli_set_rdir("");
	tab("wh", "whoami ");
	tab("p", NULL); /* put, pwd: nothing in common to add */
	assert_int_equal(complete_line(&src, "p", 1, &c), 0);
	assert_int_equal(c.n_shown, 2);
	assert_string_equal(c.shown[0], "put");
	completion_free(&c);
	tab("cd rel", "cd releases/");
	tab("cd releases/v", "cd releases/v1.");
	tab("get read", "get readme.txt ");
	tab("get my", "get my\\ file ");
	tab("get 'my", "get 'my file' ");
	tab("whoami x", NULL);
	tab("ls --x", NULL);
	tab("nosuch x", NULL);

	/* per operand: put is local then remote, get remote then local */
	assert_int_equal(mkdir("tw-local.d", 0700) == 0 || access("tw-local.d", F_OK) == 0, 1);
	tab("put tw-loc", "put tw-local.d/");
	tab("put tw-local.d rel", "put tw-local.d releases/");
	tab("put -j 2 tw-loc", "put -j 2 tw-local.d/");
	tab("get readme.txt tw-lo", "get readme.txt tw-local.d/");
	tab("get rel", "get releases/");
	rmdir("tw-local.d");

	/* in a remote directory, relative names and '..' */
	cli_set_rdir("releases");
	tab("cd v1.1", "cd v1.1/");
	tab("cd ../rea", "cd ../readme.txt ");
	tab("cd /rel", "cd /releases/");

	/* a listing is cached until complete_forget */
	complete_forget();
	n_listed = 0;
	tab("cd v", "cd v1.");
	tab("cd v", "cd v1.");
	assert_int_equal(n_listed, 1);
	complete_forget();
	tab("cd v", "cd v1.");
	assert_int_equal(n_listed, 2);
	complete_forget();
	cli_set_rdir(NULL);
}

static void remote_is(const char *arg, const char *want, bool want_slash)
{
	char out[256];
	bool slash = false;

	assert_int_equal(cli_remote("t", arg, out, sizeof out, &slash), FX_OK);
	assert_string_equal(out, want);
	assert_int_equal(slash, want_slash);
}

static void test_rdir(void **state)
{
	(void)state;
	/* outside the shell: as ever, nothing resolved */
	cli_set_rdir(NULL);
	remote_is("/a/../b/", "a/../b", true);
	remote_is("", "", false);
	cli_set_rdir("a/b");
	remote_is("c", "a/b/c", false);
	remote_is("c/", "a/b/c", true);
	remote_is("", "a/b", true);
	remote_is(".", "a/b", true);
	remote_is("..", "a", true);
	remote_is("../../..", "", true);
	remote_is("../../../x", "x", false);
	remote_is("/x//y/./z", "x/y/z", false);
	remote_is("/", "", true);
	remote_is("c/..", "a/b", true);
	cli_set_rdir(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_quote),
	    cmocka_unit_test(test_complete),
	    cmocka_unit_test(test_rdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
