/*
 * shell.c - ferry shell and ferry -b (shell.h): read a line, split it
 * (words.c), run a built-in or a command of the table on the session's
 * engine, and decide what a failure means.
 *
 * Does not: edit lines (edit.c), complete (complete.c), or know how a
 * command works (it only calls cli_run).
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry/limits.h"

#include "cli.h"
#include "complete.h"
#include "edit.h"
#include "engine.h"
#include "output.h"
#include "progress.h"
#include "shell.h"
#include "words.h"
#include "xfer.h"

extern char **environ;

struct shell {
	struct cli cli;      /* the session's copy, cli.shared set */
	struct edit *ed;     /* on a terminal, else NULL */
	FILE *in;            /* where lines come from */
	bool batch;          /* -b: stop at the first failure */
	bool quit;           /* exit or quit was given */
	int last;            /* status of the last command */
	char prev[FR_PATH_MAX + 2]; /* cd -: the directory before */
	struct complete_src src;    /* Tab's view of this session */
	char prompt[3 * FR_PATH_MAX + 600];
};

struct builtin {
	const char *name;
	int (*fn)(struct shell *sh, int argc, char **argv);
	const char *usage;
	const char *help;
	const char *complete; /* as in main.c's table */
};

static int b_cd(struct shell *sh, int argc, char **argv);
static int b_pwd(struct shell *sh, int argc, char **argv);
static int b_lcd(struct shell *sh, int argc, char **argv);
static int b_lpwd(struct shell *sh, int argc, char **argv);
static int b_lls(struct shell *sh, int argc, char **argv);
static int b_help(struct shell *sh, int argc, char **argv);
static int b_exit(struct shell *sh, int argc, char **argv);

static const struct builtin builtins[] = {
    {"cd", b_cd, "cd [REMOTE]",
     "change the remote directory (none: the root; '-': the one before)",
     "R"},
    {"pwd", b_pwd, "pwd", "print the remote directory", ""},
    {"lcd", b_lcd, "lcd [LOCAL]",
     "change the local directory (none: $HOME)", "L"},
    {"lpwd", b_lpwd, "lpwd", "print the local directory", ""},
    {"lls", b_lls, "lls [ARGS...]", "run ls(1) in the local directory",
     "L"},
    {"help", b_help, "help [CMD]", "the commands, or the help of CMD", "C"},
    {"exit", b_exit, "exit [N]",
     "leave (status N, else the last command's)", ""},
    {"quit", b_exit, "quit", "leave, as exit", ""},
};

#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

static const struct builtin *find_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < N_BUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

static void on_sigint(int sig)
{
	(void)sig;
	cli_interrupt();
}

/* ---- built-ins -------------------------------------------------------- */

static int stat_kind(void *arg, const char *remote,
		     const struct fr_response *r, int rc)
{
	int *kind = arg;

	(void)remote;
	if (rc == FX_OK && r && r->status == FR_ST_OK)
		*kind = r->is_dir ? 'd' : 'f';
	return FX_OK;
}

static int b_cd(struct shell *sh, int argc, char **argv)
{
	char path[FR_PATH_MAX + 1], safe[3 * FR_PATH_MAX + 1];
	const char *arg = argc > 1 ? argv[1] : "/";
	struct engine *e;
	struct job *j;
	int rc, kind = 0;

	if (argc > 2)
		return cli_usage("cd", "one REMOTE directory at most");
	if (strcmp(arg, "-") == 0)
		arg = sh->prev[0] ? sh->prev : "/";
	rc = cli_remote("cd", arg, path, sizeof path, NULL);
	if (rc != FX_OK)
		return rc;
	if (path[0]) {
		/* the server says whether it is a directory we may see */
		rc = engine_acquire(&sh->cli, 1, sh->cli.retries, &e);
		if (rc == FX_OK) {
			j = xstat_new("cd", path, false, false, stat_kind,
				      &kind);
			if (!j)
				return cli_usage("cd", "out of memory");
			engine_push(e, j);
			rc = engine_run(e);
		}
		engine_release(&sh->cli, e);
		if (rc != FX_OK)
			return rc;
		if (kind != 'd') {
			cli_say("cd %s: not a directory",
				out_term(safe, sizeof safe, path));
			return FX_REFUSED;
		}
	}
	snprintf(sh->prev, sizeof sh->prev, "/%s", cli_rdir());
	cli_set_rdir(path);
	return FX_OK;
}

static int b_pwd(struct shell *sh, int argc, char **argv)
{
	char safe[3 * FR_PATH_MAX + 1];

	(void)sh;
	(void)argv;
	if (argc > 1)
		return cli_usage("pwd", "no arguments expected");
	printf("/%s\n", out_term(safe, sizeof safe, cli_rdir()));
	return FX_OK;
}

static int b_lcd(struct shell *sh, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("HOME");

	(void)sh;
	if (argc > 2)
		return cli_usage("lcd", "one LOCAL directory at most");
	if (!dir)
		return cli_usage("lcd", "no directory given and no $HOME");
	if (chdir(dir) != 0) {
		cli_say("lcd %s: %s", dir, strerror(errno));
		return FX_LOCAL;
	}
	return FX_OK;
}

static int b_lpwd(struct shell *sh, int argc, char **argv)
{
	char cwd[4096];

	(void)sh;
	(void)argv;
	if (argc > 1)
		return cli_usage("lpwd", "no arguments expected");
	if (!getcwd(cwd, sizeof cwd)) {
		cli_say("lpwd: %s", strerror(errno));
		return FX_LOCAL;
	}
	printf("%s\n", cwd);
	return FX_OK;
}

static int b_lls(struct shell *sh, int argc, char **argv)
{
	posix_spawnattr_t at;
	sigset_t def;
	pid_t pid;
	int st = 0, e;

	(void)sh;
	argv[0] = "ls";
	(void)argc;
	fflush(stdout);
	/* ls gets the default SIGINT and SIGPIPE (ours are not for it) */
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	e = posix_spawnp(&pid, "ls", NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		cli_say("lls: cannot run ls: %s", strerror(e));
		return FX_LOCAL;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return FX_LOCAL;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT)
		return FX_INTERRUPTED;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? FX_OK : FX_LOCAL;
}

static int b_help(struct shell *sh, int argc, char **argv)
{
	const char *name, *usage, *comp;
	const struct builtin *b;
	size_t i;

	(void)sh;
	if (argc > 2)
		return cli_usage("help", "one command at most");
	if (argc == 2) {
		b = find_builtin(argv[1]);
		if (b) {
			printf("%s\n    %s\n", b->usage, b->help);
			return FX_OK;
		}
		if (cli_cmd_help(argv[1], stdout))
			return FX_OK;
		return cli_usage("help", "no command '%s'", argv[1]);
	}
	puts("Commands ('help CMD' or 'CMD --help' tells more):");
	for (i = 0; cli_command_at(i, &name, &usage, &comp); i++)
		if (strcmp(name, "shell") != 0)
			printf("    %s\n", usage);
	puts("Shell commands:");
	for (i = 0; i < N_BUILTINS; i++)
		printf("    %-15s %s\n", builtins[i].usage, builtins[i].help);
	puts("Remote paths are relative to the remote directory (cd, pwd);\n"
	     "a leading '/' starts at the root.  Quote names with blanks.");
	return FX_OK;
}

static int b_exit(struct shell *sh, int argc, char **argv)
{
	char *end;
	long v;

	if (argc > 2)
		return cli_usage(argv[0], "one status at most");
	if (argc == 2) {
		errno = 0;
		v = strtol(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || v < 0 || v > 255)
			return cli_usage(argv[0],
					 "a status from 0 to 255, not '%s'",
					 argv[1]);
		sh->last = (int)v;
	}
	sh->quit = true;
	return sh->last;
}

/* ---- completion callbacks --------------------------------------------- */

static const char *letters(const char *cmd)
{
	const char *name, *usage, *comp;
	const struct builtin *b = find_builtin(cmd);
	size_t i;

	if (b)
		return b->complete;
	for (i = 0; cli_command_at(i, &name, &usage, &comp); i++)
		if (strcmp(name, cmd) == 0)
			return comp;
	return NULL;
}

static const char *command_name(size_t i)
{
	const char *name, *usage, *comp;

	if (i < N_BUILTINS)
		return builtins[i].name;
	if (cli_command_at(i - N_BUILTINS, &name, &usage, &comp))
		return name;
	return NULL;
}

static bool resolve(const char *typed, char *out, size_t n)
{
	return cli_remote("complete", typed, out, n, NULL) == FX_OK;
}

struct lister {
	void (*add)(void *ctx, const char *name, bool is_dir);
	void *ctx;
};

static int list_cb(void *arg, const char *remote, const struct fr_response *r,
		   int rc)
{
	struct lister *ls = arg;
	size_t i;

	(void)remote;
	if (!r || rc != FX_OK || r->status != FR_ST_OK)
		return FX_OK;
	for (i = 0; i < r->n_entries; i++)
		ls->add(ls->ctx, r->entries[i].name, r->entries[i].is_dir);
	return FX_OK;
}

static int remote_list(void *arg, const char *dir,
		       void (*add)(void *ctx, const char *name, bool is_dir),
		       void *ctx)
{
	struct shell *sh = arg;
	struct lister ls = {add, ctx};
	struct engine *e;
	struct job *j;
	int rc;

	/* a Tab is a small command of its own: an earlier Ctrl-C (during
	 * another Tab's listing) is not for it */
	cli_interrupt_clear();
	rc = engine_acquire(&sh->cli, 1, 0, &e);
	if (rc == FX_OK) {
		/* quiet: a name that is no directory just completes nothing */
		j = xlist_new("ls", dir, false, true, list_cb, &ls);
		if (j) {
			engine_push(e, j);
			rc = engine_run(e);
		} else {
			rc = FX_LOCAL;
		}
	}
	engine_release(&sh->cli, e);
	return rc == FX_OK ? 0 : -1;
}

static const struct complete_src g_src = {remote_list, NULL, letters,
					  command_name, resolve};

static const char *prompt(void *arg)
{
	struct shell *sh = arg;
	char dir[3 * FR_PATH_MAX + 1], srv[3 * 256 + 1];

	snprintf(sh->prompt, sizeof sh->prompt, "ferry %s:/%s> ",
		 out_term(srv, sizeof srv, sh->cli.server ? sh->cli.server : ""),
		 out_term(dir, sizeof dir, cli_rdir()));
	return sh->prompt;
}

/* ---- one line --------------------------------------------------------- */

static int run_words(struct shell *sh, int argc, char **argv)
{
	const struct builtin *b = find_builtin(argv[0]);
	int i;

	if (b) {
		if (argc > 1 && strcmp(argv[1], "--help") == 0) {
			printf("%s\n    %s\n", b->usage, b->help);
			return FX_OK;
		}
		return b->fn(sh, argc, argv);
	}
	if (strcmp(argv[0], "shell") == 0)
		return cli_usage("shell", "this is ferry shell already");
	if (strcmp(argv[0], "put") == 0 && sh->in == stdin)
		for (i = 1; i < argc; i++)
			if (strcmp(argv[i], "-") == 0)
				return cli_usage("put",
						 "standard input holds the "
						 "shell's commands: put a "
						 "file, not '-'");
	return cli_run(&sh->cli, argc, argv);
}

/* Run one line; its status. */
static int run_line(struct shell *sh, const char *line)
{
	struct words w;
	const char *why;
	int rc;

	if (words_split(line, strlen(line), false, &w, &why) != 0) {
		if (!why)
			why = "out of memory";
		cli_say("%s", why);
		return FX_USAGE;
	}
	if (w.argc == 0) {
		words_free(&w);
		return FX_OK;
	}
	cli_interrupt_clear();
	progress_init(sh->cli.progress);
	rc = run_words(sh, w.argc, w.argv);
	rc = out_finish(rc);
	clearerr(stdout);
	if (rc == FX_INTERRUPTED || cli_interrupted()) {
		rc = FX_INTERRUPTED;
		progress_clear();
		if (sh->ed)
			fputc('\n', stderr); /* after the terminal's ^C */
		cli_say("%s: interrupted", w.argv[0]);
	}
	cli_interrupt_clear();
	complete_forget(); /* the command may have changed what is there */
	words_free(&w);
	return rc;
}

/* The next line, without its end of line; NULL at the end of input. */
static const char *next_line(struct shell *sh, char **buf, size_t *cap)
{
	const char *l;
	bool intr;
	ssize_t n;

	if (sh->ed) {
		while (!(l = edit_line(sh->ed, &intr))) {
			if (!intr)
				return NULL;
			cli_interrupt_clear(); /* that Ctrl-C was for the line */
		}
		return l;
	}
	for (;;) {
		errno = 0;
		n = getline(buf, cap, sh->in);
		if (n >= 0)
			break;
		if (errno == EINTR && !feof(sh->in)) {
			clearerr(sh->in);
			continue;
		}
		return NULL;
	}
	while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = '\0';
	return *buf;
}

static int loop(struct shell *sh)
{
	char *buf = NULL;
	const char *line, *p;
	size_t cap = 0;
	bool ignore;
	int rc;

	while (!sh->quit && (line = next_line(sh, &buf, &cap)) != NULL) {
		if (strlen(line) > FR_SHELL_LINE_MAX) {
			cli_say("a command line is at most %u bytes",
				FR_SHELL_LINE_MAX);
			rc = FX_USAGE;
			if (sh->batch) {
				sh->last = rc;
				break;
			}
			continue;
		}
		if (sh->ed)
			edit_remember(sh->ed, line);
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p || *p == '#')
			continue;
		/* sftp -b: a leading '-' means "its failure is fine" */
		ignore = *p == '-';
		rc = run_line(sh, p + (ignore ? 1 : 0));
		if (sh->quit)
			break;
		if (rc == FX_INTERRUPTED && sh->batch) {
			sh->last = rc;
			break;
		}
		sh->last = ignore && sh->batch ? FX_OK : rc;
		if (sh->batch && rc != FX_OK && !ignore)
			break;
	}
	free(buf);
	return sh->last;
}

int shell_run(const struct cli *cli, const char *batch)
{
	struct shell sh;
	struct sigaction sa;
	struct engine *e = NULL;
	int rc;

	memset(&sh, 0, sizeof sh);
	sh.cli = *cli;
	sh.batch = batch != NULL;
	sh.in = stdin;
	if (batch && strcmp(batch, "-") != 0) {
		sh.in = fopen(batch, "re");
		if (!sh.in) {
			fprintf(stderr, "ferry: -b %s: %s\n", batch,
				strerror(errno));
			return FX_USAGE;
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint; /* no SA_RESTART: waits end with EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("ferry: sigaction");
		rc = FX_LOCAL;
		goto out;
	}
	cli_set_rdir("");
	/* one session: connect now, so a wrong certificate or server ends
	 * the shell before its first prompt */
	sh.cli.shared = engine_new(&sh.cli, FR_CLIENT_MAX_LANES);
	if (!sh.cli.shared) {
		cli_say("out of memory");
		rc = FX_LOCAL;
		goto out;
	}
	rc = engine_acquire(&sh.cli, 1, sh.cli.retries, &e);
	if (rc != FX_OK)
		goto out;
	sh.src = g_src;
	sh.src.arg = &sh;
	if (!batch && isatty(STDIN_FILENO))
		sh.ed = edit_new(isatty(STDOUT_FILENO) ? stdout : stderr,
				 prompt, &sh, &sh.src);
	rc = loop(&sh);
	edit_free(sh.ed);
out:
	complete_forget();
	engine_free(sh.cli.shared);
	cli_set_rdir(NULL);
	if (sh.in && sh.in != stdin)
		fclose(sh.in);
	signal(SIGINT, SIG_DFL);
	return rc;
}

int cmd_shell(const struct cli *cli, int argc, char **argv)
{
	bool help;
	int rc = cli_cmd_no_operands(argc, argv, "ferry -b FILE runs a file",
				     &help);

	if (rc != FX_OK || help)
		return rc;
	return shell_run(cli, NULL);
}
