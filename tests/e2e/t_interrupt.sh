#!/usr/bin/env bash
# t_interrupt.sh - uploads that do not finish: the connection dropped
# mid-body (abortive close, close_notify, a client killed with SIGKILL)
# leaves nothing under the final name, keeps an old file's content, and
# leaves no visible temporary file (interrupted uploads are held as hidden
# .ferry-part.* files for a resume, see t_resume.sh); a server told to stop (SIGTERM) lets a
# transfer in flight finish and exits 0.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }

make_pki
start_server
W=$T/work
mkdir -p "$W"

# files_are LIST DESC: every non-directory below the root (hidden ones
# included, held parts .ferry-part.* excluded), sorted, waiting up to 15 s for the server to clean up.
# Directories do not count: a put may create the parents first.
files() { (cd "$ROOT" && find . -mindepth 1 ! -type d ! -name '.ferry-part.*' -printf '%P\n' | sort | xargs); }
files_are() {
	if wait_until 15 bash -c '[[ "$(cd "$1" && find . -mindepth 1 ! -type d ! -name ".ferry-part.*" -printf "%P\n" | sort | xargs)" == "$2" ]]' _ "$ROOT" "$1"; then
		pass "$2"
	else
		fail "$2: the root holds '$(files)', wanted '$1'"
	fi
}

# A transfer of this server is in flight: it holds a file below the root.
inflight() { ls -l "/proc/$SRV_PID/fd" 2>/dev/null | grep -q -- "-> $ROOT/"; }
no_open_files() {
	if wait_until 15 bash -c '! ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $2/"' _ "$SRV_PID" "$ROOT"; then
		pass "$1"
	else
		fail "$1: ferryd still holds $(ls -l "/proc/$SRV_PID/fd" | grep -- "-> $ROOT/" | head -3)"
	fi
}

P=$T/p.out
# ---- fr_probe drops the connection mid-body ----------------------------
printf '%s\n' 'send {"op":"put","path":"up/a.bin","size":10000000}' recv \
	'body 3000000 random' 'sleep 0.3' abort | probe >"$P"
expect_grep '"status":"ready"' "$P" "put accepted before the abortive close"
files_are "" "abortive close mid-body: no file, no temporary file"

printf '%s\n' 'send {"op":"put","path":"up/b.bin","size":10000000}' recv \
	'body 5000000 random' close | probe >"$P"
files_are "" "close_notify mid-body is not end of file: no file, no temporary file"

printf '%s\n' 'send {"op":"put","path":"up/c.bin","size":1000}' recv 'body 999' abort | probe >"$P"
files_are "" "one byte short: nothing stored"

printf '%s\n' 'send {"op":"put","path":"up/d.bin","size":0}' recv recv | probe >"$P"
expect_grep '"status":"ok"' "$P" "a 0-byte put needs no body"

echo "precious old content" >"$W/old.txt"
expect_exit 0 ferry_c put "$W/old.txt" keep.txt
printf '%s\n' 'send {"op":"put","path":"keep.txt","size":2000000,"overwrite":true}' recv \
	'body 1000000 random' abort | probe >"$P"
expect_grep '"status":"ready"' "$P" "overwrite accepted before the abortive close"
files_are "keep.txt up/d.bin" "interrupted overwrite: no temporary file"
expect_eq "precious old content" "$(cat "$ROOT/keep.txt")" "interrupted overwrite kept the old content"
no_open_files "ferryd closed every file of the dropped uploads"

expect_exit 0 ferry_c ls
expect_no_grep 'ferry-part|b\.bin|a\.bin' "$OUT" "ls shows no partial uploads"
expect_exit 1 ferry_c stat up/a.bin

# ---- the client is killed mid-upload ----------------------------------
truncate -s 512M "$W/big.bin"
ferry_exec put "$W/big.bin" big.bin >"$W/kill.out" 2>&1 &
client=$!
if wait_until 60 inflight; then
	kill -KILL "$client"
	wait "$client" 2>/dev/null
	if [[ -e $ROOT/big.bin ]]; then
		fail "the killed upload is under its final name (or finished before the kill)"
	else
		pass "killed client: nothing under the final name"
	fi
	no_open_files "killed client: ferryd let go of the temporary file"
	files_are "keep.txt up/d.bin" "killed client: no temporary file"
else
	fail "the 512 MiB upload never showed up as in flight"
	kill -KILL "$client" 2>/dev/null
	wait "$client" 2>/dev/null
fi
server_alive "ferryd survives a killed client"
expect_exit 0 ferry_c whoami

# ---- a download whose client is killed -------------------------------------
head -c 256M /dev/zero >"$ROOT/zeros.bin"
ferry_exec get zeros.bin "$W/zeros.bin" >/dev/null 2>&1 &
client=$!
sleep 0.3
kill -KILL "$client" 2>/dev/null
wait "$client" 2>/dev/null
rm -f "$ROOT/zeros.bin"
server_alive "ferryd survives a client killed mid-download"
expect_exit 0 ferry_c whoami

# ---- a client paused past --stall-timeout ---------------------------------
# The server gives up on the stalled transfer; the resumed client (told not
# to retry: t_faults.sh covers retries) must see a failure (the connection ended without close_notify), exit 3, and leave no
# file behind: neither the final name nor its temporary download file.
FIRST_PID=$SRV_PID FIRST_SRV=$SRV FIRST_LOG=$SRV_LOG
ROOT=$T/root2
start_server --stall-timeout 1
head -c 256M /dev/zero >"$ROOT/stall.bin"
mkdir -p "$W/stall"
ferry_exec get --retries 0 stall.bin "$W/stall/stall.bin" >"$W/stall.out" 2>"$W/stall.err" &
client=$!
if wait_until 30 bash -c 'ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $2/stall.bin$"' _ "$SRV_PID" "$ROOT"; then
	kill -STOP "$client"
	sleep 4
	kill -CONT "$client"
	wait "$client"
	expect_eq 3 "$?" "a get cut off by the server's stall timeout exits 3"
	expect_one_line "$W/stall.err" "the cut-off get says why in one line"
	expect_eq "" "$(ls -A "$W/stall")" "the cut-off get left no file, temporary or final"
	expect_eq "" "$(cat "$W/stall.out")" "the cut-off get printed no hash line"
else
	kill -CONT "$client" 2>/dev/null
	wait "$client"
	fail "the 256 MiB download never showed up as in flight"
fi
# (Also keeps the next in-flight check from seeing this download's file.)
no_open_files "ferryd let go of the cut-off download's file"
rm -f "$ROOT/stall.bin"

ferry_exec put --retries 0 "$W/big.bin" stalled-put.bin >"$W/stall.out" 2>"$W/stall.err" &
client=$!
if wait_until 60 inflight; then
	kill -STOP "$client"
	sleep 4
	kill -CONT "$client"
	wait "$client"
	rc=$?
	# The server may still deliver its "timeout" error frame (exit 1, the
	# server failed the operation) or just drop the connection (exit 3).
	if [[ $rc == 1 || $rc == 3 ]]; then
		pass "a put cut off by the server's stall timeout fails (exit $rc)"
	else
		fail "a put cut off by the server's stall timeout exited $rc"
		sed 's/^/  | /' "$W/stall.err"
	fi
	expect_one_line "$W/stall.err" "the cut-off put says why in one line"
	files_are "" "the cut-off put stored nothing"
else
	kill -CONT "$client" 2>/dev/null
	wait "$client"
	fail "the 512 MiB upload never showed up as in flight"
fi
stop_server "$SRV_PID"
SRV_PID=$FIRST_PID SRV=$FIRST_SRV SRV_LOG=$FIRST_LOG
ROOT=$T/root

# ---- SIGTERM lets a transfer in flight finish -------------------------------
no_open_files "ferryd holds no file before the drain test"
want=$(sha "$W/big.bin")
ferry_c put "$W/big.bin" drain.bin >"$W/drain.out" 2>"$W/drain.err" &
client=$!
if wait_until 60 inflight; then
	kill -TERM "$SRV_PID"
	pass "SIGTERM sent while a 512 MiB upload is in flight"
	wait "$client"
	rc=$?
	expect_eq 0 "$rc" "the upload in flight finished after SIGTERM" || sed "s/^/  | /" "$W/drain.err"
	expect_eq "$want  drain.bin" "$(cat "$W/drain.out")" "its hash line"
	expect_eq "$want" "$(sha "$ROOT/drain.bin" 2>/dev/null)" "its content"
	if wait_until 30 bash -c '! kill -0 "$1"' _ "$SRV_PID"; then
		wait "$SRV_PID"
		expect_eq 0 "$?" "ferryd exits 0 after draining"
	else
		fail "ferryd still running 30 s after SIGTERM"
	fi
	if grep -Eq "$SANITIZER_RE" "$SRV_LOG"; then
		fail "sanitizer report in $SRV_LOG"
		grep -E -A20 "$SANITIZER_RE" "$SRV_LOG" | head -40
	fi
	unset 'SERVER_LOG[$SRV_PID]'
else
	fail "the drain upload never showed up as in flight"
	wait "$client"
fi

finish
