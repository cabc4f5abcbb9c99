/*
 * edit.c - libedit behind edit.h: the editor, Tab, the history file.
 *
 * The only file of ferry that includes <histedit.h>.  Signals stay ours:
 * libedit's own handling is off (EL_SIGNAL 0), so SIGINT (the shell's
 * handler, without SA_RESTART) makes its read fail with EINTR, which is
 * how Ctrl-C at the prompt throws the line away.
 * Does not: run commands or decide what completes (complete.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "ferry/limits.h"

#include "cli.h"
#include "edit.h"

struct edit {
	EditLine *el;
	History *h;
	FILE *out;
	const char *(*prompt)(void *arg);
	void *arg;
	const struct complete_src *src;
	char path[4096];  /* the history file, "" when none */
	bool warned;      /* it could not be written: said once */
	char *line;       /* the last line returned */
};

bool edit_history_path(char *out, size_t n)
{
	return cli_xdg_path("XDG_STATE_HOME", ".local/state", "ferry/history",
			    out, n);
}

static char *prompt_cb(EditLine *el)
{
	struct edit *ed = NULL;

	el_get(el, EL_CLIENTDATA, &ed);
	return (char *)ed->prompt(ed->arg);
}

/* Names in columns under the line, then the line again. */
static void show(struct edit *ed, char **v, size_t n)
{
	size_t i, w = 1, cols, len;

	for (i = 0; i < n; i++) {
		len = strlen(v[i]);
		if (len + 2 > w)
			w = len + 2;
	}
	cols = w < 80 ? 80 / w : 1;
	fputc('\n', ed->out);
	for (i = 0; i < n; i++)
		fprintf(ed->out, "%-*s%s", (int)w, v[i],
			(i + 1) % cols == 0 || i + 1 == n ? "\n" : "");
}

static unsigned char complete_cb(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	struct edit *ed = NULL;
	struct completion c;
	size_t cursor = (size_t)(li->cursor - li->buffer);
	unsigned char r = CC_ERROR;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &ed);
	if (complete_line(ed->src, li->buffer, cursor, &c) != 0)
		return CC_ERROR;
	if (c.replace) {
		el_deletestr(el, (int)(cursor - c.word_at));
		if (el_insertstr(el, c.replace) == 0 &&
		    (!c.done || el_insertstr(el, " ") == 0))
			r = CC_REFRESH;
	} else if (c.n_shown) {
		show(ed, c.shown, c.n_shown);
		r = CC_REDISPLAY;
	}
	completion_free(&c);
	return r;
}

/* mkdir -p of the history file's directory, 0700 for what we make. */
static void make_dirs(const char *path)
{
	char d[4096];
	size_t i;

	snprintf(d, sizeof d, "%s", path);
	for (i = 1; d[i]; i++) {
		if (d[i] != '/')
			continue;
		d[i] = '\0';
		(void)mkdir(d, 0700);
		d[i] = '/';
	}
}

struct edit *edit_new(FILE *out, const char *(*prompt)(void *arg),
		      void *arg, const struct complete_src *src)
{
	struct edit *ed = calloc(1, sizeof(*ed));
	HistEvent ev;

	if (!ed)
		return NULL;
	ed->out = out;
	ed->prompt = prompt;
	ed->arg = arg;
	ed->src = src;
	ed->el = el_init("ferry", stdin, out, stderr);
	ed->h = history_init();
	if (!ed->el || !ed->h) {
		edit_free(ed);
		return NULL;
	}
	history(ed->h, &ev, H_SETSIZE, (int)FR_SHELL_HISTORY);
	history(ed->h, &ev, H_SETUNIQUE, 1);
	el_set(ed->el, EL_CLIENTDATA, ed);
	el_set(ed->el, EL_EDITOR, "emacs");
	el_set(ed->el, EL_SIGNAL, 0);
	el_set(ed->el, EL_PROMPT, prompt_cb);
	el_set(ed->el, EL_HIST, history, ed->h);
	/* el_wset: the narrow EL_ADDFN copies the names to wide strings that
	 * libedit never frees; static wide ones are kept as they are */
	el_wset(ed->el, EL_ADDFN, L"ferry-complete", L"complete a word",
		complete_cb);
	el_set(ed->el, EL_BIND, "^I", "ferry-complete", NULL);
	if (edit_history_path(ed->path, sizeof ed->path))
		(void)history(ed->h, &ev, H_LOAD, ed->path); /* may be new */
	return ed;
}

void edit_free(struct edit *ed)
{
	if (!ed)
		return;
	if (ed->el)
		el_end(ed->el);
	if (ed->h)
		history_end(ed->h);
	free(ed->line);
	free(ed);
}

const char *edit_line(struct edit *ed, bool *interrupted)
{
	const char *l;
	size_t n;
	int count = 0;

	*interrupted = false;
	/* the terminal in raw mode before the prompt shows: el_gets prints
	 * it first and switches only when it reads the first key, so a key
	 * sent the moment the prompt appears (a script driving the shell
	 * through expect) would meet the cooked line discipline, where a Ctrl-D on
	 * the empty line becomes a NUL byte and is lost */
	el_set(ed->el, EL_PREP_TERM, 1);
	errno = 0;
	l = el_gets(ed->el, &count);
	if (!l) {
		if (count < 0 && errno == EINTR) {
			*interrupted = true;
			fputc('\n', ed->out);
			el_reset(ed->el);
		}
		return NULL;
	}
	n = strlen(l);
	while (n > 0 && (l[n - 1] == '\n' || l[n - 1] == '\r'))
		n--;
	free(ed->line);
	ed->line = strndup(l, n);
	return ed->line ? ed->line : "";
}

/* SECURITY: command lines name servers and files: the history is ours
 * alone (0600), written whole to a new file and renamed over the old, so
 * a second shell or a full disk never leaves half a history. */
static int save(struct edit *ed)
{
	char tmp[4200];
	HistEvent ev;
	FILE *f;
	int fd, e;

	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", ed->path,
		     (long)getpid()) >= (int)sizeof tmp)
		return ENAMETOOLONG;
	make_dirs(ed->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return errno;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		unlink(tmp);
		return e;
	}
	if (history(ed->h, &ev, H_SAVE_FP, f) < 0 || fflush(f) != 0 ||
	    fchmod(fd, 0600) != 0) {
		e = errno ? errno : EIO;
		fclose(f);
		unlink(tmp);
		return e;
	}
	if (fclose(f) != 0 || rename(tmp, ed->path) != 0) {
		e = errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

void edit_remember(struct edit *ed, const char *line)
{
	HistEvent ev;
	int e;

	if (!*line || line[0] == ' ' || line[0] == '\t')
		return;
	history(ed->h, &ev, H_ENTER, line);
	if (!ed->path[0])
		return;
	e = save(ed);
	if (e && !ed->warned) {
		ed->warned = true;
		fprintf(stderr, "ferry: cannot write the history %s: %s\n",
			ed->path, strerror(e));
	}
}
