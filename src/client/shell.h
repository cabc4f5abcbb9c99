/*
 * shell.h - ferry shell and ferry -b FILE: one session, many commands.
 *
 * One engine for the whole session (cli->shared), so connections stay up
 * between commands; a remote directory (cli_set_rdir) that cd changes and
 * cli_remote resolves every remote operand against; the built-ins cd,
 * pwd, lcd, lpwd, lls, help, exit and quit; every other word goes to the
 * command table (cli_run).  SIGINT sets cli_interrupt: the engine stops
 * the command in progress and the shell goes on.
 *
 * Interactive (stdin a terminal, not -b): a prompt "ferry SERVER:/DIR> ",
 * libedit (edit.h), history, Tab completion; a failure prints its line
 * and the shell goes on; it exits with the last command's status.  On a
 * pipe or a file: the same without prompt and editing.  Batch (-b FILE,
 * '-' for stdin, as sftp -b): nothing echoed, blank lines and '#'
 * comments skipped, the first failing command ends the batch with its
 * status unless its line starts with '-'.
 */
#ifndef FERRY_CLIENT_SHELL_H
#define FERRY_CLIENT_SHELL_H

#include "cli.h"

/* Run the shell on cli (copied: the session's own state is added to the
 * copy); batch is -b's FILE or NULL.  Returns the exit status. */
int shell_run(const struct cli *cli, const char *batch);

#endif
