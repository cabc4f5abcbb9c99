/*
 * confine.h - ferryd's self-confinement after start-up: dropping root
 * privileges (--user) and Landlock.
 *
 * Does: switch uid/gid/groups to a named user; restrict the process with
 * Landlock so that, whatever a bug in a worker does, the file system it can
 * reach is the served root (read and write) and the directories of the
 * files it was started with (read).  Does not: decide what to confine (main.c passes the paths)
 * or log (it returns one line for the caller to log).
 */
#ifndef FERRYD_CONFINE_H
#define FERRYD_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONFINE_MAX_GROUPS 64

/* Who --user names, looked up while /etc is still readable. */
struct confine_id {
	bool change; /* false: nothing to do (no --user, or already them) */
	uid_t uid;
	gid_t gid;
	gid_t groups[CONFINE_MAX_GROUPS];
	int ngroups;
};

/*
 * Look user up (NULL: no change).  Not root: FR_OK when user is already who
 * we are, else FR_E_USAGE.  Errors: FR_E_USAGE with one line in err
 * (unknown user, too many groups, not permitted).
 */
int confine_user_lookup(const char *user, struct confine_id *id, char *err,
			size_t errlen);

/* Become id (groups, gid, then uid); FR_OK once root cannot be regained,
 * else FR_E_INTERNAL with one line in err.  Needs no file access, so it
 * may run after confine_landlock. */
int confine_user_apply(const struct confine_id *id, char *err, size_t errlen);

#define CONFINE_MAX_FILES 8
#define CONFINE_DIR_MAX 4096

/*
 * Restrict this thread and every thread it creates later (so call it before
 * starting any) with Landlock: rw below root_fd, read-only below the
 * directory of each of the n files (NULL entries are skipped; at most
 * CONFINE_MAX_FILES) and below the directory its symlinks resolve to, so
 * that a file replaced by rename, symlink swap or in place stays readable
 * for SIGHUP; nothing else.  Returns FR_OK (msg lists the directories and
 * the ABI, and warns when one is "/" or a top-level directory), FR_AGAIN
 * when the kernel has no Landlock (msg says so; the caller goes on
 * unconfined), or FR_E_INTERNAL (msg says why).
 */
int confine_landlock(int root_fd, const char *const *files, size_t n,
		     char *msg, size_t msglen);

#endif
