/*
 * complete.h - Tab completion of ferry shell, without the editor.
 *
 * Given the text left of the cursor, it finds what the word being typed
 * can become: a command name for the first word, then per operand what
 * the command's completion letters say (main.c's table, shell.c's
 * built-ins: R a remote path, L a local path, C a command; put is "LR":
 * local, then remote; get "RL").  Remote names come from the server
 * through a callback, and a listing serves again for
 * FR_SHELL_CACHE_SECONDS (complete_forget drops them all, after every
 * command: the command may have changed them).  Directories end in '/'.
 *
 * Does not: draw anything or talk to libedit (edit.c), or connect (the
 * callback does).
 */
#ifndef FERRY_CLIENT_COMPLETE_H
#define FERRY_CLIENT_COMPLETE_H

#include <stdbool.h>
#include <stddef.h>

/* Calls add(ctx, name, is_dir) for each entry of the remote directory dir
 * (a protocol path, "" the root).  0, or -1 when it cannot be listed. */
typedef int (*complete_lister)(void *arg, const char *dir,
			       void (*add)(void *ctx, const char *name,
					   bool is_dir),
			       void *ctx);

struct complete_src {
	complete_lister remote;
	void *arg;
	/* completion letters of a command name, NULL if not a command */
	const char *(*letters)(const char *cmd);
	/* the i-th command name (table and built-ins), NULL past the end */
	const char *(*command)(size_t i);
	/* resolve a remote directory as typed against the shell's remote
	 * directory, into out; false if it cannot be */
	bool (*resolve)(const char *typed, char *out, size_t n);
};

struct completion {
	size_t word_at;  /* where the word being typed starts in the line */
	char *replace;   /* the new text from word_at (quoted), or NULL */
	bool done;       /* one match: a blank follows (not for a dir/) */
	char **shown;    /* several matches and nothing to add: show these */
	size_t n_shown;
};

/* Complete line[0..cursor).  0 (also when nothing matches: replace
 * NULL, n_shown 0), or -1 when out of memory.  Free with
 * completion_free. */
int complete_line(const struct complete_src *src, const char *line,
		  size_t cursor, struct completion *out);
void completion_free(struct completion *c);

/* Forget every cached remote listing. */
void complete_forget(void);

#endif
