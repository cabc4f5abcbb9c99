/*
 * edit.h - the line editor of ferry shell on a terminal: libedit (BSD
 * licence) with emacs keys, the prompt, Tab bound to complete.c, and the
 * history file.
 *
 * History: $XDG_STATE_HOME/ferry/history (default
 * ~/.local/state/ferry/history), FR_SHELL_HISTORY lines in libedit's own
 * format, no line twice in a row, no line that starts with a blank;
 * written after every command through a temporary file renamed into
 * place, mode 0600 (command lines name files and servers), its directory
 * made 0700 when missing.
 *
 * Does not: run commands, or read anything but the terminal.
 */
#ifndef FERRY_CLIENT_EDIT_H
#define FERRY_CLIENT_EDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "complete.h"

struct edit;

/* An editor on stdin, drawing on out; prompt() gives the prompt before
 * each line.  NULL when libedit cannot start (the shell then reads lines
 * without editing). */
struct edit *edit_new(FILE *out, const char *(*prompt)(void *arg),
		      void *arg, const struct complete_src *src);
void edit_free(struct edit *ed); /* saves nothing; NULL is a no-op */

/* The next line without its newline (owned by ed until the next call),
 * or NULL at the end of input (Ctrl-D).  *interrupted: Ctrl-C threw the
 * line away (NULL is returned; ask again). */
const char *edit_line(struct edit *ed, bool *interrupted);

/* Keep line in the history and write the history file (a failure to
 * write it is said once). */
void edit_remember(struct edit *ed, const char *line);

/* The history file's path into out; false when $HOME is not set. */
bool edit_history_path(char *out, size_t n);

#endif
