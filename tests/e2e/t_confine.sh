#!/usr/bin/env bash
# t_confine.sh - ferryd confines itself after start-up: Landlock (logged in
# one line; tests/server/test_confine.c proves what it denies), no new
# privileges, and with --user (when started as root) the worker threads run
# as that user; unknown users and --user without root are refused at start.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
expect_grep 'landlock: (confined to the root|not available)' "$SRV_LOG" "one log line about Landlock"
if grep -q 'landlock: confined' "$SRV_LOG"; then
	expect_grep '^NoNewPrivs:[[:space:]]+1' "/proc/$SRV_PID/status" "confined: no_new_privs is set"
fi
head -c 100000 /dev/urandom >"$T/f.bin"
expect_exit 0 ferry_c put "$T/f.bin" a/b/f.bin
expect_exit 0 ferry_c get a/b/f.bin "$T/back.bin"
expect_true "put and get work under confinement" cmp "$T/f.bin" "$T/back.bin"
expect_exit 0 ferry_c rm a/b/f.bin
stop_server "$SRV_PID"

expect_exit 2 timeout 20 "$FERRYD" --root "$T/root" --cert "$SRV_CRT" --key "$SRV_KEY" \
	--ca "$CA" --listen 127.0.0.1:0 --user no-such-user-ferry
expect_grep "no-such-user-ferry" "$ERR" "an unknown --user is refused at start"

if [[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1; then
	ROOT=$T/root-nobody
	mkdir -p "$ROOT"
	chown nobody "$ROOT"
	start_server --user nobody
	expect_grep 'running as user nobody' "$SRV_LOG" "the switch is logged"
	expect_grep "^Uid:[[:space:]]+$(id -u nobody)[[:space:]]+$(id -u nobody)[[:space:]]+$(id -u nobody)" \
		"/proc/$SRV_PID/status" "--user nobody: real, effective and saved uid are nobody's"
	expect_grep '^Groups:[[:space:]]*('"$(id -g nobody)"')?[[:space:]]*$' "/proc/$SRV_PID/status" \
		"--user nobody: no supplementary groups of root are kept"
	expect_exit 0 ferry_c put "$T/f.bin" f.bin
	expect_eq nobody "$(stat -c %U "$ROOT/f.bin")" "files are written as nobody"
	stop_server "$SRV_PID"
else
	unavailable "not root (or no user nobody): the --user privilege drop"
	expect_exit 2 timeout 20 "$FERRYD" --root "$T/root" --cert "$SRV_CRT" --key "$SRV_KEY" \
		--ca "$CA" --listen 127.0.0.1:0 --user root
	expect_grep 'only root' "$ERR" "--user without root is refused"
fi
finish
