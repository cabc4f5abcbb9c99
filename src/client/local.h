/*
 * local.h - the client's local files: the counterpart of the server's
 * store.c.  Upload sources (a size snapshot taken at open, reads, stdin
 * streams) and download sinks (a temporary file next to the target,
 * committed under its final name only after its SHA-256 matched, never
 * replacing a file without --overwrite), plus the directory walks both
 * use below a tree's top directory.
 *
 * Every function returns 0 or an errno value (so the caller can say
 * strerror(e) in its one line); nothing here prints.  No symlink below a
 * tree's top is ever followed: directories are opened one component at a
 * time with O_NOFOLLOW, files with O_NOFOLLOW.
 */
#ifndef FERRY_CLIENT_LOCAL_H
#define FERRY_CLIENT_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ferry/limits.h"

/* ---- upload sources ------------------------------------------------- */

struct src {
	int fd;         /* -1: not open */
	bool stream;    /* not a regular file (stdin from a pipe): no size */
	uint64_t size;  /* regular files: the size at open time */
	int64_t mtime;
	unsigned mode;  /* permission bits */
};

/* Open path for reading (following symlinks: the user named it), or
 * standard input for "-".  EISDIR for a directory, EINVAL (with
 * *what set) for anything but a regular file or, for "-", a stream. */
int src_open(struct src *s, const char *path, const char **what);

/* Open rel ('/'-separated, below the directory top_fd) without following
 * any symlink: ELOOP when one is on the way or at the end. */
int src_open_below(struct src *s, int top_fd, const char *rel,
		   const char **what);

/* Read up to n bytes at the current position: *got 0 at the end. */
int src_read(struct src *s, void *p, size_t n, size_t *got);

/* The file must be at its end now (it did not grow): 0, EFBIG if it grew,
 * or a read error. */
int src_check_end(struct src *s);

int src_seek(struct src *s, uint64_t off);
void src_close(struct src *s);

/* ---- download sinks -------------------------------------------------- */

struct sink {
	int fd;          /* -1: not open */
	int dirfd;       /* the target's directory (ours, closed by us) */
	bool to_stdout;  /* "-": bytes go to standard output as they come */
	bool nameless;   /* an O_TMPFILE: nothing to remove on failure */
	bool partial;    /* the kept --resume file .NAME.ferry-partial */
	int slot;        /* registered for removal on a signal, or -1 */
	uint64_t have;   /* bytes written (or found in the partial) */
	char name[FR_NAME_MAX + 1];          /* the final name */
	char tmp[FR_NAME_MAX + 32];          /* the temporary name, or "" */
};

/* Remove registered temporary files when SIGINT, SIGTERM or SIGHUP ends
 * the process (then die of the signal).  0 or errno. */
int local_signals_install(void);

/* The directory that will hold target path (its last component is the
 * name): opened following symlinks, as the user gave it. */
int local_open_parent(const char *path, int *dirfd, char *name, size_t n);

/*
 * The directory rel below top_fd (rel "" is top itself), one component at
 * a time with O_NOFOLLOW, creating missing ones (mode 0777 & ~umask) when
 * create is set: ELOOP or ENOTDIR when a symlink or a file is in the way.
 * *dirfd is a new descriptor.
 */
int local_open_below(int top_fd, const char *rel, bool create, int *dirfd);

/* Does name exist in dirfd (as anything, a dangling symlink included)? */
bool local_exists(int dirfd, const char *name);

/*
 * Start a sink for name in dirfd (taken over).  Without resume: a fresh
 * temporary file nobody can predict (O_TMPFILE, else O_EXCL with a random
 * name), mode 0600.  With resume: .NAME.ferry-partial, reused if it is a
 * regular file of ours with one link, locked (EWOULDBLOCK: another ferry
 * is writing it), its length in k->have.
 */
int sink_open(struct sink *k, int dirfd, const char *name, bool resume);

/* A sink that writes to standard output. */
void sink_stdout(struct sink *k);

int sink_write(struct sink *k, const void *p, size_t n);

/* Empty the sink (a download that starts again from 0).  EINVAL for
 * stdout. */
int sink_restart(struct sink *k);

/* Read back bytes [from, to) of the sink into buf of n bytes per call,
 * for hashing a resumed prefix: calls fn(arg, p, len). */
int sink_hash_prefix(struct sink *k, uint64_t to, void *buf, size_t n,
		     void (*fn)(void *arg, const void *p, size_t len),
		     void *arg);

/*
 * Make the file visible under its name: mode, mtime when has_mtime, fsync,
 * then link or rename it into place (replacing an existing entry only
 * with overwrite: EEXIST otherwise) and fsync the directory.  On success
 * the sink is closed.
 */
int sink_commit(struct sink *k, bool overwrite, mode_t mode, bool has_mtime,
		int64_t mtime);

/* Close the sink; its temporary file is removed first unless keep (a
 * --resume partial with something in it). */
void sink_close(struct sink *k, bool keep);

#endif
