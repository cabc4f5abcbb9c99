/*
 * main.c - the ferry command line: the command table, --help and help
 * COMMAND, and the way from argv to a command: global options (opts.c),
 * the config file and its profiles (profile.c), then the command, or the
 * commands of ferry shell / ferry -b (shell.c), which run through the
 * same table (cli_run).
 *
 * It does no network or file work itself; each command (cmd_*.c) does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/conf.h"
#include "ferry/limits.h"

#include "cli.h"
#include "opts.h"
#include "output.h"
#include "profile.h"
#include "progress.h"
#include "shell.h"

struct command {
	const char *name;
	int (*fn)(const struct cli *cli, int argc, char **argv);
	const char *usage;
	const char *help;
	/* Tab completion in ferry shell, one letter per operand, the last
	 * one repeating: R remote path, L local path, C command name; NULL
	 * or "": nothing to complete. */
	const char *complete;
};

static const struct command commands[] = {
    {"put", cmd_put,
     "put [-r] [-p] [--overwrite] [--resume] [--skip-same] [--sha256 HEX] "
     "[--retries N] [-j N] LOCAL... [REMOTE]",
     "Upload local files, and with -r (--recursive) directory trees.\n"
     "With one LOCAL and no REMOTE it goes to its basename at the root.\n"
     "When REMOTE ends in '/', is an existing directory (with -r) or\n"
     "several LOCALs are given, each LOCAL lands inside REMOTE under its\n"
     "own name; otherwise REMOTE becomes the copy (cp -r rules).  Missing\n"
     "remote directories are created, empty ones too.  In a tree only\n"
     "regular files and directories are copied: symlinks (never\n"
     "followed), FIFOs, sockets and devices are skipped with one warning\n"
     "each.  LOCAL '-' reads standard input (a stream of unknown size,\n"
     "sent as it is read, never spooled; it needs ferryd 0.2): give a\n"
     "REMOTE name.  An existing remote file is only replaced with\n"
     "--overwrite.  -p (--preserve) keeps the modification time and the\n"
     "executable bits (never setuid, setgid, sticky or ownership).\n"
     "Prints \"SHA256  REMOTE\" per file once the server has stored it\n"
     "and both sides agree on the hash; with several files they come as\n"
     "files complete.  A local file that changes size while it is sent\n"
     "fails with status 5 (nothing is stored).  A local failure on one\n"
     "file is reported and the others go on.  The server holds\n"
     "interrupted uploads for a while: --resume continues one (after\n"
     "checking that the bytes it holds are the start of LOCAL; otherwise\n"
     "it starts again from 0).  A dropped connection or a timeout is\n"
     "retried up to --retries N times (default 3, or the --retries\n"
     "before the command; backoff 0.5 s\n"
     "doubling), resuming where it stopped; a file whose answer was lost\n"
     "is recognised on the server by its SHA-256 and not sent again.\n"
     "-j N (--parallel N, 1 to 16) spreads the files over N connections.\n"
     "Standard input cannot be retried.\n"
     "--skip-same: a file whose remote copy already has the same size\n"
     "and SHA-256 is not sent again (the local file is read only when the\n"
     "sizes agree); its line is printed as for an upload (--json adds\n"
     "\"skipped\":true).  A rerun of an interrupted put -r --skip-same\n"
     "sends only what is missing; add --overwrite to replace what changed.\n"
     "--sha256 HEX (one file): the hash the file must have; otherwise the\n"
     "server stores nothing and ferry exits 4.", "LR"},
    {"get", cmd_get,
     "get [-r] [-p] [--overwrite] [--resume] [--sha256 HEX] [--retries N] "
     "[-j N] REMOTE... [LOCAL]",
     "Download remote files, and with -r (--recursive) directory trees.\n"
     "LOCAL defaults to the current directory; an existing directory (or\n"
     "a name ending in '/') receives LOCAL/basename, otherwise (one\n"
     "REMOTE) LOCAL becomes the copy; with several REMOTEs LOCAL must be\n"
     "a directory.  Every name a server sends is checked: nothing is\n"
     "ever written outside LOCAL, and no symlink inside it is followed.\n"
     "Data goes to a temporary file next to the target (nameless where\n"
     "the system allows) and is linked into place only after its SHA-256\n"
     "matched the server's, so no partial or corrupt file ever carries\n"
     "the final name.  An existing local file is not replaced without\n"
     "--overwrite (status 5).  LOCAL '-' writes the bytes to standard\n"
     "output as they arrive and the \"SHA256  -\" line to standard error;\n"
     "a mismatch still fails with status 4, but the bytes are already\n"
     "out: check the status before using them.  With --resume the\n"
     "partial file is .NAME.ferry-partial, kept when the download fails,\n"
     "and a later --resume run continues it (if the whole file's hash\n"
     "then differs, it is discarded and downloaded again from 0).\n"
     "-p (--preserve) sets the server's modification time and executable\n"
     "bits.  A local failure on one file (disk full, permissions) is\n"
     "reported and the others go on.  --retries N and -j N as for put.\n"
     "--sha256 HEX (one file): the hash the file must have; otherwise\n"
     "nothing is written and ferry exits 4.\n"
     "Prints \"SHA256  LOCAL\" per file, which sha256sum -c accepts.", "RL"},
    {"ls", cmd_ls, "ls [-l] [-R] [--json] [REMOTE]",
     "List a remote directory (default: the root), sorted by name, one\n"
     "name per line, directories with a trailing '/'.  -l (--long): mode,\n"
     "size, modification time and name.  -R (--recursive): the whole\n"
     "tree, a \"DIR:\" section per directory as ls -R prints it.  --json:\n"
     "one {\"name\",\"path\",\"type\",\"size\",\"mtime\",\"mode\"} object per\n"
     "entry (path: below REMOTE; with -R the tree in order).  A REMOTE\n"
     "that is a file is shown as that one entry.", "R"},
    {"stat", cmd_stat, "stat [--sha256] [--json] REMOTE",
     "Show the type, size, modification time and mode of a remote file or\n"
     "directory, and with --sha256 the server's SHA-256 of a file (from\n"
     "ferryd's SHA-256 cache when the file is unchanged).  --json: one\n"
     "object.", "R"},
    {"sum", cmd_sum, "sum REMOTE...",
     "Have the server compute the SHA-256 of remote files and print\n"
     "\"SHA256  REMOTE\" lines (sha256sum format).", "R"},
    {"check", cmd_check,
     "check [--remote-dir DIR] [--quiet] [--status] [--warn] "
     "[--ignore-missing] [--strict] [--json] [FILE...]",
     "Verify on the server the files a checksum file names (what\n"
     "sha256sum writes: \"HEX  NAME\", \"HEX *NAME\", \"SHA256 (NAME) = HEX\",\n"
     "escaped names, CRLF endings), with the server's SHA-256 and without\n"
     "downloading them; NAMEs are remote paths, relative to DIR with\n"
     "--remote-dir.  FILE '-' (or none) is standard input.  Output and\n"
     "exit status as 'sha256sum -c': \"NAME: OK\", \"NAME: FAILED\",\n"
     "\"NAME: FAILED open or read\" on stdout in the order of the lines, the\n"
     "reason and the WARNING summary on stderr; exit 0 only if every\n"
     "listed file matched, 1 otherwise, 3 if the connection failed.\n"
     "--quiet: no OK lines; --status: no output, only the exit status;\n"
     "--warn: a line for each improperly formatted line; --ignore-missing:\n"
     "nothing for files the server does not have; --strict: improperly\n"
     "formatted lines fail too.  --json: one object per file\n"
     "{\"file\",\"remote\",\"expected\",\"sha256\",\"result\",\"checksum_file\"}\n"
     "(result ok, failed or unreadable, with \"error\").", "L"},
    {"rm", cmd_rm, "rm [-r] REMOTE...",
     "Delete remote files, or empty remote directories; with -r\n"
     "(--recursive) whole trees, depth first: every file, then each\n"
     "directory once everything in it is gone.  A refusal is reported for\n"
     "its path and the rest goes on; the directories above it stay.  -r\n"
     "needs the l and d permissions and never takes the root itself (name\n"
     "what is in it).  Prints \"removed REMOTE\" per path.", "R"},
    {"mkdir", cmd_mkdir, "mkdir [-p] REMOTE...",
     "Make remote directories (needs ferryd 0.2), in the order given; with\n"
     "-p (--parents) missing parents too, and an existing directory is no\n"
     "error.  Prints \"created directory REMOTE\" for each one made.", "R"},
    {"mv", cmd_mv, "mv [--overwrite] SRC... DST",
     "Rename remote files or directories on the server (needs ferryd\n"
     "0.2), atomically, inside your root: into DST when it is an existing\n"
     "directory, ends in '/' or several SRCs are given, else SRC becomes\n"
     "DST.  An existing file DST is replaced only with --overwrite; a\n"
     "directory is never replaced.  Needs the w and d permissions.  Prints\n"
     "\"renamed SRC -> DST\" per path.", "R"},
    {"whoami", cmd_whoami, "whoami",
     "Show the identity the server gave our certificate, its permissions\n"
     "(r get/stat/sum/check, w put/mkdir, l ls, d rm; mv needs w and d),\n"
     "the server and the protocol version.", ""},
    {"config", cmd_config, "config",
     "Print the settings in force, one \"key = value\" line per setting\n"
     "of the config file, each with where it came from (a flag, the\n"
     "environment, FILE:LINE of the profile or of [default], built in),\n"
     "and exit without connecting.  'ferry --profile NAME config' shows a\n"
     "profile.", ""},
    {"shell", cmd_shell, "shell",
     "Open one session and read commands: every ferry command with its\n"
     "flags, and cd [REMOTE], pwd, lcd [LOCAL], lpwd, lls [ARGS], help\n"
     "[CMD], exit [N] or quit (or end of input).  Remote paths are\n"
     "relative to the remote directory that cd changes (the prompt shows\n"
     "it, with the server); '..' never leaves the root.  Words are split\n"
     "as by sh: quote names with spaces.  On a terminal: line editing and\n"
     "history (libedit; $XDG_STATE_HOME/ferry/history, mode 0600; a line\n"
     "that starts with a space is not kept) and Tab completion of\n"
     "commands, remote paths (listings cached for a few seconds) and\n"
     "local paths.  Ctrl-C stops the command in progress (no partial file\n"
     "is left on either side) and returns to the prompt.  The connections\n"
     "stay up between commands; one the server closed meanwhile is opened\n"
     "again by the next command.  A failing command prints its one line\n"
     "and the shell goes on; it exits with the status of the last\n"
     "command.  Not on a terminal, lines are read without a prompt.\n"
     "'ferry -b FILE' runs FILE this way but stops at the first failure\n"
     "(its status) unless the line starts with '-'.", ""},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool cli_cmd_help(const char *name, FILE *f)
{
	const struct command *c = find_command(name);

	if (!c)
		return false;
	fprintf(f,
	        "usage: ferry [GLOBAL OPTIONS] %s\n\n%s\n\n"
	        "See 'ferry --help' for the global options.\n",
	        c->usage, c->help);
	return true;
}

static void print_help(FILE *f)
{
	size_t i;

	fputs(
	    "NAME\n"
	    "    ferry - copy files to and from a ferryd server over mutual "
	    "TLS\n\n"
	    "SYNOPSIS\n"
	    "    ferry [-s HOST[:PORT] | -s PROFILE] [--profile NAME] "
	    "[--config FILE]\n"
	    "          [--ca FILE] [--cert FILE] [--key FILE] [--crl FILE]\n"
	    "          [--pin-sha256 BASE64] [--allow-open-key] [-j N] "
	    "[--retries N]\n"
	    "          [--json] [-q] COMMAND [ARGS...]\n"
	    "    ferry [OPTIONS] shell | ferry [OPTIONS] -b FILE\n"
	    "    ferry help COMMAND | ferry COMMAND --help\n"
	    "    ferry --help | --version\n\n"
	    "DESCRIPTION\n"
	    "    Every transfer is verified end to end: both sides hash the "
	    "bytes with\n"
	    "    SHA-256 and compare before a file is accepted.  All files of "
	    "one command\n"
	    "    travel over one connection (-j N: N connections), many "
	    "requests in flight\n"
	    "    at once, so a tree costs a few round trips, not one per "
	    "file.\n\n"
	    "COMMANDS\n",
	    f);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "    %s\n", commands[i].usage);
	fputs(
	    "\n    Remote paths are relative to the server's root; a leading "
	    "'/' is ignored\n"
	    "    and '/' alone is the root.  'ferry help COMMAND' tells more."
	    "\n\n",
	    f);
	opt_help(f);
	fputs(
	    "OUTPUT\n"
	    "    put and get print \"SHA256  PATH\" per file (put: the remote "
	    "path, get: the\n"
	    "    local path), which 'sha256sum -c' accepts.  With --json each "
	    "file is one\n"
	    "    line {\"op\",\"local\",\"remote\",\"size\",\"sha256\","
	    "\"seconds\"}.  A progress bar is\n"
	    "    drawn on stderr only when stderr is a terminal; otherwise "
	    "stderr stays\n"
	    "    silent unless something fails.\n\n"
	    "EXIT STATUS\n"
	    "    0  success\n"
	    "    1  the server refused or failed an operation (with several "
	    "files ferry\n"
	    "       goes on with the next one and exits 1 at the end)\n"
	    "    2  usage error (bad command line, config file or profile)\n"
	    "    3  connection, TLS or protocol failure (certificate "
	    "verification\n"
	    "       included, and a connection the server timed out); "
	    "ferry stops at once\n"
	    "    4  SHA-256 mismatch: the file was not accepted\n"
	    "    5  local I/O error, or an existing local file without "
	    "--overwrite\n"
	    "    130  interrupted by Ctrl-C (a command of ferry shell or "
	    "ferry -b)\n\n"
	    "EXAMPLES\n"
	    "    export FERRY_SERVER=files.example.org FERRY_CA=ca.crt\n"
	    "    export FERRY_CERT=alice.crt FERRY_KEY=alice.key\n"
	    "    ferry put build/app.tar.gz releases/\n"
	    "    ferry get releases/app.tar.gz /tmp/\n"
	    "    ferry ls releases\n"
	    "    ferry sum releases/app.tar.gz\n"
	    "    ferry -q get releases/app.tar.gz /tmp/ && ferry sum "
	    "releases/app.tar.gz\n"
	    "    ferry put -r dist/ releases/v1.4/\n"
	    "    ferry get -r releases/v1.4 ./out/ && (cd out && ...)\n"
	    "    ferry -j 4 put -r dataset/ lab/\n"
	    "    tar c build | ferry put - backups/build.tar\n"
	    "    ferry get backups/build.tar - | tar x\n"
	    "    ferry -s [::1]:9533 --json whoami\n"
	    "    ferry -s prod ls releases     # [profile prod] of the config "
	    "file\n"
	    "    ferry -s prod shell\n"
	    "    printf 'cd releases\\nput app.tar.gz\\n-rm old.tar.gz\\n' | "
	    "ferry -b -\n",
	    f);
}

int cli_run(const struct cli *cli, int argc, char **argv)
{
	const struct command *c = find_command(argv[0]);

	if (!c) {
		fprintf(stderr, "ferry: unknown command '%s'; see 'ferry "
				"--help'\n",
			argv[0]);
		return FX_USAGE;
	}
	return c->fn(cli, argc, argv);
}

bool cli_command_at(size_t i, const char **name, const char **usage,
		    const char **complete)
{
	if (i >= N_COMMANDS)
		return false;
	*name = commands[i].name;
	*usage = commands[i].usage;
	*complete = commands[i].complete ? commands[i].complete : "";
	return true;
}

int cmd_config(const struct cli *cli, int argc, char **argv)
{
	bool help;
	int rc = cli_cmd_no_operands(argc, argv, NULL, &help);

	if (rc != FX_OK || help)
		return rc;
	opt_show(cli->opts, stdout);
	return FX_OK;
}

/* "help" and "help COMMAND" (no config file needed). */
static int help_command(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stdout);
		return out_finish(FX_OK);
	}
	if (!cli_cmd_help(argv[1], stdout)) {
		fprintf(stderr, "ferry: no command '%s'; see 'ferry --help'\n",
			argv[1]);
		return FX_USAGE;
	}
	return out_finish(FX_OK);
}

static int run(struct cli *cli, int argc, char **argv)
{
	if (cli->batch) {
		if (argc > 0)
			return cli_usage("-b", "the commands come from %s: "
					       "give no command after -b FILE",
					 cli->batch);
		return shell_run(cli, cli->batch);
	}
	if (argc == 0) {
		fputs("ferry: no command given\nusage: ferry [OPTIONS] COMMAND "
		      "[ARGS...]; see 'ferry --help'\n",
		      stderr);
		return FX_USAGE;
	}
	if (!find_command(argv[0])) {
		fprintf(stderr,
			"ferry: unknown command '%s'; see 'ferry --help'\n",
			argv[0]);
		return FX_USAGE;
	}
	/* A vanished peer must be a write error we can report, not a silent
	 * death by SIGPIPE. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("ferry: signal");
		return FX_LOCAL;
	}
	return cli_run(cli, argc, argv);
}

int main(int argc, char **argv)
{
	struct opt_set set;
	struct fr_conf *conf = NULL;
	struct cli cli;
	bool done;
	int first, rc;

	rc = opt_parse(argc, argv, &set, &first, &done, print_help);
	if (rc != FX_OK || done)
		return rc != FX_OK ? rc : out_finish(FX_OK);
	if (first < argc && strcmp(argv[first], "help") == 0)
		return help_command(argc - first, argv + first);
	rc = profile_load(&set, &conf);
	if (rc != FX_OK)
		return rc;
	memset(&cli, 0, sizeof cli);
	opt_apply(&set, &cli);
	cli.opts = &set;
	cli.progress = !cli.quiet && isatty(STDERR_FILENO);
	progress_init(cli.progress);
	rc = run(&cli, argc - first, argv + first);
	rc = out_finish(rc);
	fr_conf_free(conf);
	return rc;
}
