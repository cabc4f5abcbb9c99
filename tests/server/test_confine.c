/*
 * test_confine.c - Landlock self-confinement (src/server/confine.c) does
 * what docs/SECURITY.md says: after confine_landlock the process can read
 * and write below its root, read the files it was given and nothing else
 * (no file outside, no write to the given files, no FIFOs or symlinks in
 * the root).  Each case runs in a child process, since confinement cannot
 * be undone.  Where the kernel has no Landlock it exits 77 (skipped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/err.h"
#include "confine.h"

static char base[] = "/tmp/ferry-confine.XXXXXX";
static char root[256], given[256], outside[256];
static int landlock_missing; /* main exits 77 (ctest: skipped) */

static void put_file(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

/* Run check() confined in a child; its exit status is what it returns. */
static int confined(int (*check)(void))
{
	pid_t pid = fork();
	int st = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		const char *files[] = { given, NULL };
		char msg[256];
		int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = confine_landlock(rfd, files, 2, msg, sizeof(msg));

		if (r == FR_AGAIN)
			_exit(77);
		if (r != FR_OK)
			_exit(99);
		_exit(check());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int denied(int r) { return r < 0 && errno == EACCES; }

static int check_all(void)
{
	char p[512];
	int fd;

	/* inside the root: read, write, create, remove */
	snprintf(p, sizeof(p), "%s/in.txt", root);
	if ((fd = open(p, O_RDWR)) < 0)
		return 1;
	close(fd);
	snprintf(p, sizeof(p), "%s/newdir", root);
	if (mkdir(p, 0700) != 0 || rmdir(p) != 0)
		return 2;
	snprintf(p, sizeof(p), "%s/new.txt", root);
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) < 0)
		return 3;
	close(fd);
	if (unlink(p) != 0)
		return 4;
	/* the given file: read only */
	if ((fd = open(given, O_RDONLY)) < 0)
		return 5;
	close(fd);
	if (!denied(open(given, O_WRONLY)))
		return 6;
	/* anything else: nothing */
	if (!denied(open(outside, O_RDONLY)))
		return 7;
	if (!denied(open("/etc/passwd", O_RDONLY)))
		return 8;
	snprintf(p, sizeof(p), "%s/escape.txt", base);
	if (!denied(open(p, O_WRONLY | O_CREAT, 0600)))
		return 9;
	/* in the root, still no FIFOs or symlinks */
	snprintf(p, sizeof(p), "%s/fifo", root);
	if (!denied(mkfifo(p, 0600)))
		return 10;
	snprintf(p, sizeof(p), "%s/link", root);
	if (!denied(symlink("/etc/passwd", p)))
		return 11;
	return 0;
}

static void test_landlock(void **state)
{
	int r;

	(void)state;
	r = confined(check_all);
	if (r == 77) {
		landlock_missing = 1;
		skip();
	}
	assert_int_equal(r, 0);
}

static void test_user_unknown(void **state)
{
	char err[256];

	(void)state;
	struct confine_id id;

	assert_int_equal(confine_user_lookup("no-such-user-ferry", &id, err,
					     sizeof(err)),
			 FR_E_USAGE);
	assert_non_null(strstr(err, "no-such-user-ferry"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_landlock),
		cmocka_unit_test(test_user_unknown),
	};
	char p[512];
	int rc;

	if (!mkdtemp(base))
		return 1;
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(given, sizeof(given), "%s/given.pem", base);
	snprintf(outside, sizeof(outside), "%s/outside.txt", base);
	if (mkdir(root, 0700) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/in.txt", root);
	put_file(p);
	put_file(given);
	put_file(outside);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(p);
	unlink(given);
	unlink(outside);
	rmdir(root);
	rmdir(base);
	if (rc == 0 && landlock_missing) {
		printf("SKIP test_confine: no Landlock in this kernel\n");
		return 77;
	}
	return rc;
}
