/*
 * words.c - sh-like word splitting and quoting for ferry shell (words.h).
 *
 * Does not: expand anything, read input, or know any command.
 */
#include <stdlib.h>
#include <string.h>

#include "words.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int words_split(const char *line, size_t n, bool partial, struct words *w,
		const char **why)
{
	size_t i = 0, max = n / 2 + 2, o = 0;
	char *text, **argv, q = 0;
	bool in_word = false;

	memset(w, 0, sizeof *w);
	*why = NULL;
	/* at most n/2+1 words; the text never grows when unquoted */
	argv = malloc(max * sizeof(*argv) + n + max);
	if (!argv)
		return -2;
	text = (char *)(argv + max);
	while (i < n) {
		char c = line[i];

		if (!q && blank(c)) {
			if (in_word) {
				text[o++] = '\0';
				in_word = false;
			}
			i++;
			continue;
		}
		if (!in_word) {
			argv[w->argc++] = text + o;
			w->last_at = i;
			in_word = true;
		}
		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else
				text[o++] = c;
			i++;
		} else if (c == '\\' && q == '"') {
			if (i + 1 < n && strchr("\"\\$`", line[i + 1])) {
				text[o++] = line[i + 1];
				i += 2;
			} else {
				text[o++] = c;
				i++;
			}
		} else if (c == '\\') {
			if (i + 1 >= n) {
				if (!partial) {
					*why = "a backslash at the end of the "
					       "line";
					free(argv);
					memset(w, 0, sizeof *w);
					return -1;
				}
				i++;
				continue;
			}
			text[o++] = line[i + 1];
			i += 2;
		} else if (c == '"' && q == '"') {
			q = 0;
			i++;
		} else if (!q && (c == '\'' || c == '"')) {
			q = c;
			i++;
		} else {
			text[o++] = c;
			i++;
		}
	}
	if (q && !partial) {
		*why = q == '\'' ? "unmatched ' (single quote)"
				 : "unmatched \" (double quote)";
		free(argv);
		memset(w, 0, sizeof *w);
		return -1;
	}
	if (in_word)
		text[o++] = '\0';
	if (partial && !in_word) { /* the cursor starts a new word */
		argv[w->argc++] = text + o;
		text[o++] = '\0';
		w->last_at = n;
	}
	argv[w->argc] = NULL;
	w->argv = argv;
	w->quote = q;
	return 0;
}

void words_free(struct words *w)
{
	free(w->argv);
	memset(w, 0, sizeof *w);
}

bool words_quote(const char *name, char quote, char *out, size_t n)
{
	size_t o = 0;
	const char *p;

	for (p = name; *p; p++) {
		bool esc;

		if (quote == '\'') {
			/* a ' ends the quote: close, escape it, reopen */
			if (*p == '\'') {
				if (o + 4 >= n)
					return false;
				memcpy(out + o, "'\\''", 4);
				o += 4;
				continue;
			}
			esc = false;
		} else if (quote == '"') {
			esc = strchr("\"\\$`", *p) != NULL;
		} else {
			esc = strchr(" \t\n\r\\'\"$`&|;<>()*?[]#~{}!", *p) !=
			      NULL;
		}
		if (o + 2 + (esc ? 1 : 0) > n)
			return false;
		if (esc)
			out[o++] = '\\';
		out[o++] = *p;
	}
	if (o >= n)
		return false;
	out[o] = '\0';
	return true;
}
