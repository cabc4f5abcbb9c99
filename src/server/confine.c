/*
 * confine.c - --user and Landlock (see confine.h).
 *
 * SECURITY: both run once, on the main thread, after every file ferryd
 * needs was opened or loaded (root directory, certificate, key, CA, CRL,
 * ACL) and the sockets were bound, and before any worker thread exists.
 * Landlock rules are attached to directory file descriptors opened here,
 * so a later rename of a path does not widen them; the files below those
 * directories may be replaced in any way (see confine_landlock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <linux/landlock.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ferry/err.h"
#include "confine.h"

int confine_user_lookup(const char *user, struct confine_id *id, char *err,
			size_t errlen)
{
	struct passwd *pw;
	int n = CONFINE_MAX_GROUPS;

	memset(id, 0, sizeof(*id));
	if (!user)
		return FR_OK;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "--user '%s': %s", user,
			 errno ? strerror(errno) : "no such user");
		return FR_E_USAGE;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid() && pw->pw_gid == getegid())
			return FR_OK;
		snprintf(err, errlen, "--user '%s': only root can switch "
			 "users (start ferryd as root or drop --user)", user);
		return FR_E_USAGE;
	}
	if (getgrouplist(user, pw->pw_gid, id->groups, &n) < 0) {
		snprintf(err, errlen, "--user '%s': more than %d groups", user,
			 CONFINE_MAX_GROUPS);
		return FR_E_USAGE;
	}
	id->ngroups = n;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	id->change = true;
	return FR_OK;
}

int confine_user_apply(const struct confine_id *id, char *err, size_t errlen)
{
	if (!id->change)
		return FR_OK;
	if (setgroups((size_t)id->ngroups, id->groups) != 0 ||
	    setresgid(id->gid, id->gid, id->gid) != 0 ||
	    setresuid(id->uid, id->uid, id->uid) != 0) {
		snprintf(err, errlen, "--user: cannot switch: %s",
			 strerror(errno));
		return FR_E_INTERNAL;
	}
	/* SECURITY: prove it cannot be undone */
	if (id->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "--user: root could be regained");
		return FR_E_INTERNAL;
	}
	return FR_OK;
}

/* Rights newer than our kernel headers, by ABI version. */
#define LL_FS_REFER (1ULL << 13)    /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */

#define LL_FILE_READ LANDLOCK_ACCESS_FS_READ_FILE
#define LL_ALL_V1                                                              \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |          \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |          \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |      \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |          \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |          \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |        \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)
/* What the root needs: files and directories, never devices, sockets,
 * FIFOs, symlinks or execution. */
#define LL_ROOT_V1                                                             \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |        \
	 LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |         \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |        \
	 LANDLOCK_ACCESS_FS_MAKE_REG)

static int add_rule(int ruleset, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = access,
		.parent_fd = fd,
	};

	return (int)syscall(SYS_landlock_add_rule, ruleset,
			    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
}

/* The directory holding path ("." for a bare name) into dir. */
static void dir_of(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, n, ".");
	else if (slash == path)
		snprintf(dir, n, "/");
	else
		snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

/* Add dir to the n names in dirs unless it is there; false when full. */
static bool add_dir(char dirs[][CONFINE_DIR_MAX], size_t *n, size_t max,
		    const char *dir)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(dirs[i], dir) == 0)
			return true;
	if (*n >= max)
		return false;
	snprintf(dirs[(*n)++], CONFINE_DIR_MAX, "%s", dir);
	return true;
}

int confine_landlock(int root_fd, const char *const *files, size_t n,
		     char *msg, size_t msglen)
{
	struct landlock_ruleset_attr attr;
	uint64_t all = LL_ALL_V1, root = LL_ROOT_V1;
	int abi, ruleset = -1, fd, r = FR_E_INTERNAL;
	char dirs[2 * CONFINE_MAX_FILES][CONFINE_DIR_MAX], dir[CONFINE_DIR_MAX];
	char real[PATH_MAX], list[1024] = "", *wide = NULL;
	size_t i, nd = 0, len = 0;

	if (n > CONFINE_MAX_FILES) {
		snprintf(msg, msglen, "landlock: more than %d files",
			 CONFINE_MAX_FILES);
		return FR_E_INTERNAL;
	}
	/* SECURITY: read access to the directories that hold the files (as
	 * named, and where their symlinks lead), not to the files' inodes:
	 * a file renamed over another one, a swapped symlink (Kubernetes
	 * "..data", certbot's live/ -> archive/) or an edit in place are all
	 * readable on SIGHUP.  Everything else below those directories is
	 * readable too: keep ferryd's files in directories of their own. */
	for (i = 0; i < n; i++) {
		if (!files[i])
			continue;
		dir_of(files[i], dir, sizeof(dir));
		if (!add_dir(dirs, &nd, sizeof(dirs) / sizeof(dirs[0]), dir))
			break;
		if (realpath(files[i], real)) {
			dir_of(real, dir, sizeof(dir));
			(void)add_dir(dirs, &nd, sizeof(dirs) / sizeof(dirs[0]),
				      dir);
		}
	}
	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(msg, msglen, "landlock: not available (%s): "
			 "running without file-system confinement",
			 strerror(errno));
		return FR_AGAIN;
	}
	if (abi >= 2) {
		all |= LL_FS_REFER;
		root |= LL_FS_REFER;
	}
	if (abi >= 3) {
		all |= LL_FS_TRUNCATE;
		root |= LL_FS_TRUNCATE;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = all;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
			       sizeof(attr), 0);
	if (ruleset < 0) {
		snprintf(msg, msglen, "landlock: cannot create a ruleset: %s",
			 strerror(errno));
		goto out;
	}
	if (add_rule(ruleset, root_fd, root) != 0) {
		snprintf(msg, msglen, "landlock: cannot add the root: %s",
			 strerror(errno));
		goto out;
	}
	for (i = 0; i < nd; i++) {
		fd = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || add_rule(ruleset, fd, LL_FILE_READ) != 0) {
			snprintf(msg, msglen, "landlock: cannot add %s: %s",
				 dirs[i], strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
		len += (size_t)snprintf(list + len, len < sizeof(list)
				? sizeof(list) - len : 0, "%s%s",
				i ? ", " : "", dirs[i]);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
		/* "/" or "/etc": a whole tree becomes readable */
		if (!wide && strchr(dirs[i] + 1, '/') == NULL)
			wide = dirs[i];
	}
#ifdef FERRY_SANITIZED
	/* Test builds only: sanitizer runtimes read /proc/self (LeakSanitizer
	 * lists the threads at exit).  Release builds never get this rule. */
	fd = open("/proc", O_PATH | O_CLOEXEC);
	if (fd >= 0) {
		(void)add_rule(ruleset, fd,
			       LANDLOCK_ACCESS_FS_READ_FILE |
				       LANDLOCK_ACCESS_FS_READ_DIR);
		close(fd);
	}
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		snprintf(msg, msglen, "landlock: cannot restrict: %s",
			 strerror(errno));
		goto out;
	}
	snprintf(msg, msglen, "landlock: confined to the root (rw) and %zu "
		 "director%s of certificate, key, CA, CRL, ACL and config "
		 "files (read: %s), ABI %d%s%s%s", nd, nd == 1 ? "y" : "ies",
		 list, abi, wide ? "; warning: everything below " : "",
		 wide ? wide : "",
		 wide ? " is readable: keep ferryd's files in a directory "
			"of their own" : "");
	r = FR_OK;
out:
	if (ruleset >= 0)
		close(ruleset);
	return r;
}
