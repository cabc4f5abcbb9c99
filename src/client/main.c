/*
 * main.c - the ferry command line: global options and their environment
 * defaults, --help / --version / help COMMAND, and dispatch through the
 * command table.
 *
 * It does no network or file work itself; each command (cmd_*.c) does.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/limits.h"

#include "cli.h"
#include "output.h"
#include "progress.h"

struct command {
	const char *name;
	int (*fn)(const struct cli *cli, int argc, char **argv);
	const char *usage;
	const char *help;
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
     "retried up to --retries N times (default 3, backoff 0.5 s\n"
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
     "server stores nothing and ferry exits 4."},
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
     "Prints \"SHA256  LOCAL\" per file, which sha256sum -c accepts."},
    {"ls", cmd_ls, "ls [-l] [-R] [--json] [REMOTE]",
     "List a remote directory (default: the root), sorted by name, one\n"
     "name per line, directories with a trailing '/'.  -l (--long): mode,\n"
     "size, modification time and name.  -R (--recursive): the whole\n"
     "tree, a \"DIR:\" section per directory as ls -R prints it.  --json:\n"
     "one {\"name\",\"path\",\"type\",\"size\",\"mtime\",\"mode\"} object per\n"
     "entry (path: below REMOTE; with -R the tree in order).  A REMOTE\n"
     "that is a file is shown as that one entry."},
    {"stat", cmd_stat, "stat [--sha256] [--json] REMOTE",
     "Show the type, size, modification time and mode of a remote file or\n"
     "directory, and with --sha256 the server's SHA-256 of a file (from\n"
     "ferryd's SHA-256 cache when the file is unchanged).  --json: one\n"
     "object."},
    {"sum", cmd_sum, "sum REMOTE...",
     "Have the server compute the SHA-256 of remote files and print\n"
     "\"SHA256  REMOTE\" lines (sha256sum format)."},
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
     "(result ok, failed or unreadable, with \"error\")."},
    {"rm", cmd_rm, "rm [-r] REMOTE...",
     "Delete remote files, or empty remote directories; with -r\n"
     "(--recursive) whole trees, depth first: every file, then each\n"
     "directory once everything in it is gone.  A refusal is reported for\n"
     "its path and the rest goes on; the directories above it stay.  -r\n"
     "needs the l and d permissions and never takes the root itself (name\n"
     "what is in it).  Prints \"removed REMOTE\" per path."},
    {"mkdir", cmd_mkdir, "mkdir [-p] REMOTE...",
     "Make remote directories (needs ferryd 0.2), in the order given; with\n"
     "-p (--parents) missing parents too, and an existing directory is no\n"
     "error.  Prints \"created directory REMOTE\" for each one made."},
    {"mv", cmd_mv, "mv [--overwrite] SRC... DST",
     "Rename remote files or directories on the server (needs ferryd\n"
     "0.2), atomically, inside your root: into DST when it is an existing\n"
     "directory, ends in '/' or several SRCs are given, else SRC becomes\n"
     "DST.  An existing file DST is replaced only with --overwrite; a\n"
     "directory is never replaced.  Needs the w and d permissions.  Prints\n"
     "\"renamed SRC -> DST\" per path."},
    {"whoami", cmd_whoami, "whoami",
     "Show the identity the server gave our certificate, its permissions\n"
     "(r get/stat/sum/check, w put/mkdir, l ls, d rm; mv needs w and d),\n"
     "the server and the protocol version."},
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
	    "    ferry [-s HOST[:PORT]] [--ca FILE] [--cert FILE] [--key FILE]"
	    "\n          [--crl FILE] [--pin-sha256 BASE64] [--allow-open-key]"
	    "\n          [-j N] [--json] [-q] COMMAND [ARGS...]\n"
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
	    "\n\n"
	    "OPTIONS (before the command)\n"
	    "    -s, --server HOST[:PORT]  server to use (default port 9533; "
	    "IPv6 as [::1]:9533)\n"
	    "    --ca FILE      CA certificate(s) the server certificate must "
	    "chain to\n"
	    "    --cert FILE    our client certificate (PEM)\n"
	    "    --key FILE     its private key (PEM); refused when group or "
	    "others can read it\n"
	    "    --allow-open-key  use --key even if group or others can "
	    "read it\n"
	    "    --crl FILE     CRL(s) of the server's CA: a revoked server "
	    "certificate is refused\n"
	    "    --pin-sha256 BASE64\n"
	    "                   accept only a server key whose "
	    "SubjectPublicKeyInfo has this\n"
	    "                   SHA-256 (as curl --pinnedpubkey), even with a "
	    "valid chain\n"
	    "    -j, --parallel N  spread the files of put and get over N "
	    "connections (1-16)\n"
	    "    --json         one JSON object per line on stdout instead of "
	    "text\n"
	    "    -q, --quiet    no progress bar, and no success lines for "
	    "put, get, rm, mkdir, mv\n"
	    "                   (errors are still printed on stderr)\n"
	    "    -h, --help     this help\n"
	    "    -V, --version  print the version\n"
	    "    Options take their value as '--ca FILE' or '--ca=FILE'.\n\n"
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
	    "ENVIRONMENT\n"
	    "    FERRY_SERVER, FERRY_CA, FERRY_CERT, FERRY_KEY\n"
	    "                   defaults for -s, --ca, --cert and --key; the "
	    "flags win\n\n"
	    "EXIT STATUS\n"
	    "    0  success\n"
	    "    1  the server refused or failed an operation (with several "
	    "files ferry\n"
	    "       goes on with the next one and exits 1 at the end)\n"
	    "    2  usage error (bad command line or configuration)\n"
	    "    3  connection, TLS or protocol failure (certificate "
	    "verification\n"
	    "       included, and a connection the server timed out); "
	    "ferry stops at once\n"
	    "    4  SHA-256 mismatch: the file was not accepted\n"
	    "    5  local I/O error, or an existing local file without "
	    "--overwrite\n\n"
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
	    "    ferry -s [::1]:9533 --json whoami\n",
	    f);
}

static const char *env_or(const char *flag, const char *env)
{
	const char *v;

	if (flag)
		return flag;
	v = getenv(env);
	return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", required_argument, NULL, 's'},
	    {"ca", required_argument, NULL, 'a'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'J' + 256},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"crl", required_argument, NULL, 'C'},
	    {"pin-sha256", required_argument, NULL, 'P'},
	    {"allow-open-key", no_argument, NULL, 'O'},
	    {"parallel", required_argument, NULL, 'J'},
	    {NULL, 0, NULL, 0},
	};
	struct cli cli;
	const struct command *cmd;
	const char *server = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	int c, rc;

	memset(&cli, 0, sizeof cli);
	opterr = 0;
	/* '+': stop at the command; its own options are parsed later. */
	cli.parallel = 1;
	while ((c = getopt_long(argc, argv, "+s:qhVj:", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
		case 'j':
			/* -j / --parallel */
			if (cli_parallel("ferry", optarg, &cli.parallel) !=
			    FX_OK)
				return FX_USAGE;
			break;
		case 's':
			server = optarg;
			break;
		case 'a':
			ca = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'J' + 256: /* --json */
			cli.json = true;
			break;
		case 'C':
			cli.crl = optarg;
			break;
		case 'P':
			cli.pin = optarg;
			break;
		case 'O':
			cli.allow_open_key = true;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'h':
			print_help(stdout);
			return out_finish(FX_OK);
		case 'V':
			printf("ferry %s (protocol %d)\n", FR_VERSION_STRING,
			       FR_PROTO_VERSION);
			return out_finish(FX_OK);
		default: {
			const char *arg = argv[optind - 1];

			if (strncmp(arg, "--", 2) == 0)
				fprintf(stderr, "ferry: %s option '%s'\n",
				        optopt ? "missing value for"
				               : "unknown",
				        arg);
			else if (optopt == 's' || optopt == 'j')
				fprintf(stderr,
				        "ferry: missing value for option '-%c'\n",
				        optopt);
			else
				fprintf(stderr, "ferry: unknown option '-%c'\n",
				        optopt);
			fputs("usage: ferry [OPTIONS] COMMAND [ARGS...]; see "
			      "'ferry --help'\n",
			      stderr);
			return FX_USAGE;
		}
		}
	}
	if (optind >= argc) {
		fputs("ferry: no command given\nusage: ferry [OPTIONS] COMMAND "
		      "[ARGS...]; see 'ferry --help'\n",
		      stderr);
		return FX_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			print_help(stdout);
			return out_finish(FX_OK);
		}
		if (!cli_cmd_help(argv[optind + 1], stdout)) {
			fprintf(stderr,
			        "ferry: no command '%s'; see 'ferry "
			        "--help'\n",
			        argv[optind + 1]);
			return FX_USAGE;
		}
		return out_finish(FX_OK);
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr,
		        "ferry: unknown command '%s'; see 'ferry "
		        "--help'\n",
		        argv[optind]);
		return FX_USAGE;
	}

	cli.server = env_or(server, "FERRY_SERVER");
	cli.ca = env_or(ca, "FERRY_CA");
	cli.cert = env_or(cert, "FERRY_CERT");
	cli.key = env_or(key, "FERRY_KEY");
	cli.progress = !cli.quiet && isatty(STDERR_FILENO);
	progress_init(cli.progress);

	/* A vanished peer must be a write error we can report, not a silent
	 * death by SIGPIPE. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("ferry: signal");
		return FX_LOCAL;
	}
	rc = cmd->fn(&cli, argc - optind, argv + optind);
	return out_finish(rc);
}
