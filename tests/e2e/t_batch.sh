#!/usr/bin/env bash
# t_batch.sh - ferry -b FILE (as sftp -b) and ferry shell on a pipe: one
# session, nothing echoed, blank lines and '#' comments skipped, the first
# failing command ends a batch with its own status unless its line starts
# with '-', a failure on a pipe keeps the shell going (exit: the last
# status), remote paths relative to cd's directory ('..' never above the
# root), and a connection the server closed between two commands (its
# idle timeout, a restart) opened again by the next one, quietly, with the
# remote directory kept.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server --idle-timeout 1
W=$T/work
mkdir -p "$W" "$ROOT/d/e"
echo one >"$W/one.txt"
echo two >"$W/two.txt"
echo deep >"$ROOT/d/e/deep.txt"
cd "$W" || exit 1

# ---- batch: a '-' line, then an aborting failure -----------------------
cat >"$T/b1" <<'EOF'
# a comment, then a blank line

cd d
put one.txt
-rm no-such-file
   # an indented comment
stat no-such-file
put two.txt
EOF
expect_exit 1 ferry_c -b "$T/b1"
expect_eq "$(sha "$W/one.txt")  d/one.txt" "$(cat "$OUT")" "batch: put ran in the remote directory, nothing echoed"
expect_true "batch: the put before the failure is on the server" test -f "$ROOT/d/one.txt"
expect_true "batch: the command after the failure did not run" test ! -e "$ROOT/d/two.txt"
expect_grep 'rm d/no-such-file: not_found' "$ERR" "batch: the ignored '-' failure still says why"
expect_grep 'stat d/no-such-file: not_found' "$ERR" "batch: the aborting failure says why"
expect_eq 2 "$(grep -c . "$ERR")" "batch: one line per failure on stderr"

# the batch from stdin, all good: exit 0
printf 'cd d/e\nsum deep.txt\ncd ..\nsum e/deep.txt\ncd ../../..\nsum d/e/deep.txt\n' >"$T/b2"
expect_exit 0 ferry_c -b - <"$T/b2"
expect_eq 3 "$(grep -c "^$(sha "$ROOT/d/e/deep.txt")  d/e/deep.txt$" "$OUT")" "batch from stdin: relative, '..' and above-the-root paths resolve to the same file"

# check's names are relative to the remote directory too (and to
# --remote-dir, itself relative to it)
echo "$(sha "$ROOT/d/e/deep.txt")  deep.txt" >"$T/SUMS"
printf 'cd d/e\ncheck %s\ncd ..\ncheck --remote-dir e %s\n' "$T/SUMS" "$T/SUMS" >"$T/b2c"
expect_exit 0 ferry_c -b "$T/b2c"
expect_eq "deep.txt: OK
deep.txt: OK" "$(cat "$OUT")" "batch: check after cd, and with --remote-dir relative to it"

# the status of the failing command: a local error is 5, a usage error 2
printf 'get d/e/deep.txt\nget d/e/deep.txt\nwhoami\n' >"$T/b3"
expect_exit 5 ferry_c -b "$T/b3"
expect_no_grep identity "$OUT" "batch: stopped at the local failure (5)"
rm -f "$W/deep.txt"
printf 'whoami\nnosuchcommand\nwhoami\n' >"$T/b4"
expect_exit 2 ferry_c -b "$T/b4"
expect_eq 1 "$(grep -c '^identity' "$OUT")" "batch: an unknown command stops it (2)"
printf 'cd d\nput "unterminated\nwhoami\n' >"$T/b5"
expect_exit 2 ferry_c -b "$T/b5"
expect_grep 'unmatched' "$ERR" "batch: an unmatched quote is a usage error"
printf 'cd d\nexit 4\nwhoami\n' >"$T/b6"
expect_exit 4 ferry_c -b "$T/b6"
expect_eq "" "$(cat "$OUT")" "batch: exit N ends it with N"
printf 'cd d/e/deep.txt\n' >"$T/b7"
expect_exit 1 ferry_c -b "$T/b7"
expect_grep 'not a directory' "$ERR" "cd into a file is refused"
expect_exit 2 ferry_c -b "$T/no-such-batch"
expect_grep 'no-such-batch' "$ERR" "a missing batch file is named"
expect_exit 2 ferry_c -b "$T/b2" whoami
expect_exit 0 ferry_c -b /dev/null

# ---- the shell on a pipe: no prompt, failures do not stop it -----------
printf 'cd d\nstat nope\nput two.txt\npwd\nls\n' | ferry_c shell >"$OUT" 2>"$ERR"
expect_eq 0 "$?" "shell on a pipe: the last command's status (ls: 0)"
expect_true "shell on a pipe: went on after the failure" test -f "$ROOT/d/two.txt"
expect_grep '^/d$' "$OUT" "shell on a pipe: pwd"
expect_no_grep 'ferry .*> ' "$OUT" "shell on a pipe: no prompt"
expect_one_line "$ERR" "shell on a pipe: one line for the failure"
printf 'whoami\nstat nope\n' | ferry_c shell >"$OUT" 2>"$ERR"
expect_eq 1 "$?" "shell on a pipe: exits with the last command's status (1)"
printf 'put "a file with spaces.txt" "d/x y.txt"\n' >"$T/b8"
printf 'x\n' >"$W/a file with spaces.txt"
expect_exit 0 ferry_c -b "$T/b8"
expect_true "quoted words keep their blanks" test -f "$ROOT/d/x y.txt"
expect_exit 0 ferry_c -b - <<<'help'
expect_grep '^    cd \[REMOTE\]' "$OUT" "help lists the shell's commands"
expect_grep '^    put ' "$OUT" "help lists ferry's commands"
expect_exit 0 ferry_c -b - <<<'help put'
expect_grep 'usage: ferry .*put' "$OUT" "help CMD is the command's help"

# ---- reconnection between commands --------------------------------------
# the server's idle timeout (1 s) closes the connection between two lines
{
	echo 'cd d/e'
	sleep 2.5
	echo 'ls'
	sleep 2.5
	echo 'sum deep.txt'
} | ferry_c shell >"$OUT" 2>"$ERR"
expect_eq 0 "$?" "after the idle timeout: the next commands work"
expect_grep '^deep\.txt$' "$OUT" "after the idle timeout: ls in the remote directory"
expect_grep "  d/e/deep.txt$" "$OUT" "after the idle timeout: the remote directory was kept"
expect_eq "" "$(cat "$ERR")" "after the idle timeout: nothing said on stderr"
expect_grep 'timeout.*idle' "$SRV_LOG" "the server did time the session out"

# a restart of the server between two commands (same port)
# (the commands come from a subshell that waits for the restart: no
# descriptor of the pipe is left to the new server)
{
	echo 'cd d/e'
	echo 'pwd'
	wait_until 60 test -e "$T/restarted"
	echo 'sum deep.txt'
} | ferry_c shell >"$T/restart.out" 2>"$T/restart.err" &
client=$!
wait_until 10 grep -q '^/d/e$' "$T/restart.out" || fail "the shell did not start"
OLD_PID=$SRV_PID
stop_server "$OLD_PID"
start_server --listen "127.0.0.1:$PORT" --idle-timeout 60
touch "$T/restarted"
wait "$client"
expect_eq 0 "$?" "after a server restart: the next command works"
expect_grep "  d/e/deep.txt$" "$T/restart.out" "after a server restart: the remote directory was kept"
expect_eq "" "$(cat "$T/restart.err")" "after a server restart: nothing said on stderr"
finish
