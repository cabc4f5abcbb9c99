/*
 * words.h - a command line of ferry shell split into words, as sh splits
 * it without expanding anything: blanks separate words; '...' keeps
 * everything inside; "..." keeps everything but a backslash before " \ $
 * or `; outside quotes a backslash keeps the next character.  No
 * variables, no globs, no ~ (remote names are not the local shell's).
 *
 * The same rules split a line to run it and the line being typed for Tab
 * completion (which needs the word under the cursor and the quote still
 * open), and words_quote writes a name back so that it splits into itself.
 * Pure functions: no I/O, no libedit.
 */
#ifndef FERRY_CLIENT_WORDS_H
#define FERRY_CLIENT_WORDS_H

#include <stdbool.h>
#include <stddef.h>

struct words {
	int argc;
	char **argv;    /* argv[argc] == NULL; one allocation with the text */
	size_t last_at; /* partial: where the last word starts in the line */
	char quote;     /* partial: the quote open at the end, or 0 */
};

/*
 * Split the n bytes of line.  Complete (partial false): 0, or -1 with *why
 * for an unmatched quote or a trailing backslash.  Partial (the text left
 * of the cursor): the last word is the one being typed, "" after a blank,
 * and an open quote is fine.  -2: out of memory.  Free with words_free.
 */
int words_split(const char *line, size_t n, bool partial, struct words *w,
		const char **why);
void words_free(struct words *w);

/* name written so that it splits into itself: inside an open quote
 * (quote ' or ") what that quote needs, else a backslash before blanks and
 * the characters sh would take (the quote left open stays open).  false
 * when out (n bytes) is too small. */
bool words_quote(const char *name, char quote, char *out, size_t n);

#endif
