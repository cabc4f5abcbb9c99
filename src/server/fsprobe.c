/*
 * fsprobe.c - the start-up probe of the root's file system (fsprobe.h).
 *
 * The decisions it feeds (store_caps) are taken once: a commit that knows
 * RENAME_NOREPLACE is missing goes straight to link() + unlink(), a file
 * system without exclusive locks gets private upload files only, one
 * without directory fsync is not asked for it.  Probing with real calls is
 * the only honest test: NFS, GlusterFS and CephFS answer EINVAL to the
 * rename flag whatever the kernel supports, and FUSE file systems differ
 * by server version and volume option.
 */
#define _GNU_SOURCE /* renameat2, F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ferry/err.h"
#include "ferry/limits.h"
#include "fsprobe.h"

/* The type /proc/self/mountinfo gives the mount holding root
 * ("fuse.glusterfs", "nfs4", "ceph"), or NULL. */
static const char *mount_type(int root, char *buf, size_t n)
{
	char line[4096], want[32];
	struct stat st;
	const char *res = NULL;
	FILE *f;

	if (fstat(root, &st) != 0 ||
	    !(f = fopen("/proc/self/mountinfo", "re")))
		return NULL;
	snprintf(want, sizeof(want), " %u:%u ", major(st.st_dev),
		 minor(st.st_dev));
	while (!res && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - "), *sp;

		if (!dash || !strstr(line, want) || strstr(line, want) > dash)
			continue;
		dash += 3;
		sp = strchr(dash, ' ');
		if (sp && (size_t)(sp - dash) < n) {
			memcpy(buf, dash, (size_t)(sp - dash));
			buf[sp - dash] = '\0';
			res = buf;
		}
	}
	fclose(f);
	return res;
}

static const char *fs_name(int root)
{
	static char type[64];
	static const struct {
		unsigned long magic;
		const char *name;
	} t[] = {
		{ 0xEF53, "ext2/3/4" },	   { 0x01021994, "tmpfs" },
		{ 0x58465342, "xfs" },	   { 0x9123683E, "btrfs" },
		{ 0x6969, "nfs" },	   { 0x65735546, "fuse" },
		{ 0x00C36400, "ceph" },	   { 0x794C7630, "overlayfs" },
		{ 0x2FC12FC1, "zfs" },	   { 0xFF534D42, "cifs" },
	};
	struct statfs sf;
	size_t i;

	/* start-up only, one thread: the static buffer is safe */
	if (mount_type(root, type, sizeof(type)))
		return type;
	if (fstatfs(root, &sf) != 0)
		return "unknown";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if ((unsigned long)sf.f_type == t[i].magic)
			return t[i].name;
	return "unknown";
}

/* yes, or "no (EINVAL)" */
static const char *verdict(bool ok, int e, char *buf, size_t n)
{
	if (ok)
		return "yes";
	snprintf(buf, n, "no (%s)", strerrorname_np(e) ? strerrorname_np(e)
						       : "?");
	return buf;
}

int fsprobe_run(int root, struct store_caps *caps, char *line, size_t n)
{
	char dir[64], b1[32], b2[32], b3[32], b4[32], b5[32];
	int e_rn = 0, e_ln = 0, e_lk = 0, e_xa = 0, e_ds = 0;
	unsigned char rnd[8];
	int d = -1, a = -1, a2 = -1, r = FR_OK;
	struct stat st;
	size_t i;

	*caps = (struct store_caps){ true, true, true, true, true };
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	i = (size_t)snprintf(dir, sizeof(dir), "%sprobe-", FR_RESERVED_PREFIX);
	for (size_t k = 0; k < sizeof(rnd) && i + 2 < sizeof(dir); k++)
		i += (size_t)snprintf(dir + i, sizeof(dir) - i, "%02x", rnd[k]);
	if (mkdirat(root, dir, 0700) != 0 ||
	    (d = openat(root, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC)) < 0) {
		snprintf(line, n, "cannot create a probe directory in --root: "
			 "%s", strerror(errno));
		r = fr_err_from_errno(errno);
		goto out;
	}
	a = openat(d, "a", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	close(openat(d, "b", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	if (a < 0 || write(a, "x", 1) != 1) {
		snprintf(line, n, "cannot write a probe file in --root: %s",
			 strerror(errno));
		r = fr_err_from_errno(errno);
		goto out;
	}
	/* the flag is refused with EINVAL where unsupported; a rename that
	 * replaced b anyway would be worse: count that as unsupported */
	errno = 0;
	caps->noreplace = renameat2(d, "a", d, "b", RENAME_NOREPLACE) != 0 &&
			  errno == EEXIST;
	e_rn = caps->noreplace ? 0 : errno ? errno : EINVAL;
	if (!caps->noreplace && faccessat(d, "a", F_OK, AT_SYMLINK_NOFOLLOW))
		(void)renameat(d, "b", d, "a"); /* put a back for the rest */
	errno = 0;
	caps->hardlinks = linkat(d, "a", d, "c", 0) == 0 &&
			  fstatat(d, "c", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			  st.st_nlink == 2;
	e_ln = caps->hardlinks ? 0 : errno ? errno : EMLINK;
	/* two open files of one process must exclude each other: what
	 * protects a part from two connections of this very server */
	errno = 0;
	a2 = openat(d, "a", O_RDWR | O_CLOEXEC);
	caps->locks = a2 >= 0 && store_lock(a) == 0 && store_lock(a2) != 0 &&
		      (errno == EAGAIN || errno == EACCES);
	e_lk = caps->locks ? 0 : errno ? errno : EBUSY;
	if (!caps->locks && a2 >= 0 && e_lk == EBUSY)
		e_lk = ENOLCK; /* both locks were granted: no exclusion */
	caps->xattrs = fsetxattr(a, "user.ferry.probe", "1", 1, 0) == 0;
	e_xa = caps->xattrs ? 0 : errno;
	caps->dir_fsync = fsync(d) == 0;
	e_ds = caps->dir_fsync ? 0 : errno;
	snprintf(line, n,
		 "file system of --root: %s; RENAME_NOREPLACE %s, hard links "
		 "%s, exclusive locks %s, xattrs %s, directory fsync %s: %s; %s; "
		 "%s",
		 fs_name(root), verdict(caps->noreplace, e_rn, b1, sizeof(b1)),
		 verdict(caps->hardlinks, e_ln, b2, sizeof(b2)),
		 verdict(caps->locks, e_lk, b3, sizeof(b3)),
		 verdict(caps->xattrs, e_xa, b4, sizeof(b4)),
		 verdict(caps->dir_fsync, e_ds, b5, sizeof(b5)),
		 caps->noreplace ? "new files are committed by renameat2"
		 : caps->hardlinks
			 ? "new files are committed by link() + unlink() "
			   "(as atomic; a crash between leaves a second name "
			   "that the next upload replaces)"
			 : "uploads without overwrite cannot be committed "
			   "atomically and fail (io_error)",
		 caps->locks ? "one writer per held upload (across instances "
			       "only if the locks are cluster-wide: "
			       "docs/SCALING.md)"
			     : "no exclusion: every upload gets a private file, "
			       "so interrupted uploads cannot be resumed",
		 !strcmp(fs_name(root), "tmpfs")
			 ? "tmpfs: nothing stored outlives a reboot"
		 : caps->dir_fsync ? "a stored name is durable when ok is sent"
				 : "no directory fsync: a stored name is as "
				   "durable as the file system makes it");
out:
	if (a >= 0)
		close(a);
	if (a2 >= 0)
		close(a2);
	if (d >= 0) {
		(void)unlinkat(d, "a", 0);
		(void)unlinkat(d, "b", 0);
		(void)unlinkat(d, "c", 0);
		close(d);
		(void)unlinkat(root, dir, AT_REMOVEDIR);
	}
	return r;
}
