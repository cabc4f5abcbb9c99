#!/usr/bin/env bash
# t_shell.sh - ferry shell at a terminal, driven through a pseudo-terminal
# by ptyshell.py (python3's pty module; why not expect: see its header):
# the prompt with the server and the remote directory, cd, Tab completion
# of commands, remote paths (relative to the remote directory, directories
# with '/', two candidates listed) and local paths per operand (put: local
# then remote; get: remote then local), a failure that keeps the shell
# alive, Ctrl-C at the prompt, Ctrl-C in the middle of a get and of a put
# (no file left under its name on either side, no temporary file locally,
# and the shell goes on), Ctrl-D, exit N, the terminal already in raw mode
# whenever the prompt shows (a key a script sends at once is read by the
# editor), and the history file (mode 0600, loaded by the next shell, no
# line that starts with a blank).
# The server is reached through faultproxy --rate so that a transfer is
# slow enough to interrupt.
source "$(dirname "$0")/lib.sh" "$@"
command -v python3 >/dev/null || skip "python3 is not installed (tools/test.sh installs it)"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
start_server
W=$T/work
mkdir -p "$W/localdir" "$ROOT/shelldir"
echo remote >"$ROOT/shelldir/remote-file.txt"
echo a >"$ROOT/shelldir/two-a.txt"
echo b >"$ROOT/shelldir/two-b.txt"
echo local >"$W/local-only.txt"
head -c 32M /dev/zero >"$ROOT/big.bin"
mkdir -p "$T/src"
head -c 32M /dev/zero >"$T/src/upload.bin"
# every connection slowed to 2 MB/s: 32 MiB take 16 s, Ctrl-C comes at 1.5 s
start_proxy --rate 2000000 --faults 1000 --max-seconds 300

export XDG_STATE_HOME=$T/state
SHELL_ROOT=$ROOT SHELL_WORK=$W SHELL_BIG=big.bin SHELL_BIGLOCAL=$T/src/upload.bin \
	timeout -k 5 240 python3 "$SRC/tests/e2e/ptyshell.py" \
	"$FERRY" -s "$PROXY" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$T/pty.out" 2>&1
rc=$?
sed 's/^/  /' "$T/pty.out"
expect_eq 0 "$rc" "the pty driver ran to its end"
n_ok=$(grep -c '^ok ' "$T/pty.out")
n_fail=$(grep -c '^FAIL ' "$T/pty.out")
expect_eq 0 "$n_fail" "every check through the terminal passed ($n_ok)"
((n_ok >= 27)) && pass "the terminal checks ran ($n_ok)" || fail "only $n_ok terminal checks ran"

# the server holds the interrupted upload hidden, or nothing, never the name
expect_true "no up/big.bin on the server" test ! -e "$ROOT/up/big.bin"
expect_eq "" "$(find "$W" -name '*big*')" "no downloaded or temporary big file locally"
server_alive "ferryd survived the interrupted transfers"
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
finish
