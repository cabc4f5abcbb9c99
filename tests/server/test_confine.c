/*
 * test_confine.c - Landlock self-confinement (src/server/confine.c) does
 * what docs/SECURITY.md says: after confine_landlock the process can read
 * and write below its root, read below the directories of the files it
 * was given (also a file renamed into such a directory after the
 * confinement, and one its symlink leads to) and nothing else (no file
 * outside, no write to the given directories, no FIFOs or symlinks in the
 * root).  Each case runs in a child process, since confinement cannot
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
static char root[256], given[256], outside[256], pki[256], linked[256],
	target_dir[256];
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
		const char *files[] = { given, NULL, linked };
		char msg[256];
		int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int r = confine_landlock(rfd, files, 3, msg, sizeof(msg));

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
	/* another file in its directory (what a rotation renames in) is
	 * readable too, but the directory cannot be written */
	snprintf(p, sizeof(p), "%s/sibling.pem", pki);
	if ((fd = open(p, O_RDONLY)) < 0)
		return 12;
	close(fd);
	snprintf(p, sizeof(p), "%s/new.pem", pki);
	if (!denied(open(p, O_WRONLY | O_CREAT, 0600)))
		return 13;
	/* where a symlink leads: readable */
	if ((fd = open(linked, O_RDONLY)) < 0)
		return 14;
	close(fd);
	snprintf(p, sizeof(p), "%s/other.pem", target_dir);
	if ((fd = open(p, O_RDONLY)) < 0)
		return 15;
	close(fd);
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
	snprintf(outside, sizeof(outside), "%s/outside.txt", base);
	snprintf(pki, sizeof(pki), "%s/pki", base);
	snprintf(given, sizeof(given), "%s/pki/given.pem", base);
	snprintf(linked, sizeof(linked), "%s/links/link.pem", base);
	snprintf(target_dir, sizeof(target_dir), "%s/archive", base);
	if (mkdir(root, 0700) != 0 || mkdir(pki, 0700) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/links", base);
	if (mkdir(p, 0700) != 0 || mkdir(target_dir, 0700) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/archive/cert1.pem", base);
	put_file(p);
	if (symlink("../archive/cert1.pem", linked) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/archive/other.pem", base);
	put_file(p);
	snprintf(p, sizeof(p), "%s/pki/sibling.pem", base);
	put_file(p);
	snprintf(p, sizeof(p), "%s/in.txt", root);
	put_file(p);
	put_file(given);
	put_file(outside);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		static const char *const rm[] = {
			"root/in.txt", "pki/given.pem", "pki/sibling.pem",
			"outside.txt", "links/link.pem", "archive/cert1.pem",
			"archive/other.pem", "root", "pki", "links", "archive", "",
		};
		size_t i;

		for (i = 0; i < sizeof(rm) / sizeof(rm[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", base, rm[i]);
			if (unlink(p) != 0)
				rmdir(p);
		}
	}
	if (rc == 0 && landlock_missing) {
		printf("SKIP test_confine: no Landlock in this kernel\n");
		return 77;
	}
	return rc;
}
