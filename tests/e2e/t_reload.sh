#!/usr/bin/env bash
# t_reload.sh - SIGHUP re-reads the certificate, key, client CA and ACL: new
# connections use the new ones, a transfer in flight keeps its connection
# and finishes, and a bad new file keeps the old configuration and says
# why in the log.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
PKI2=$T/pki2
"$FERRY_CERTS" ca "$PKI2" >/dev/null &&
	"$FERRY_CERTS" server "$PKI2" localhost 127.0.0.1 ::1 >/dev/null &&
	"$FERRY_CERTS" client "$PKI2" bob >/dev/null || { fail "ferry-certs failed"; finish; }
LIVE=$T/live
mkdir -p "$LIVE"
cp "$SRV_CRT" "$LIVE/srv.crt"
cp "$SRV_KEY" "$LIVE/srv.key"
cp "$CA" "$LIVE/ca.crt"
start_server --cert "$LIVE/srv.crt" --key "$LIVE/srv.key" --ca "$LIVE/ca.crt"
W=$T/work
mkdir -p "$W"

# A slow upload (about 4 s through a throttled proxy) stays in flight
# across the reload.
head -c 12000000 /dev/urandom >"$W/f"
start_proxy --rate 3000000 --faults 100
ferry_p put --retries 0 "$W/f" inflight.bin >"$W/inflight.out" 2>"$W/inflight.err" &
client=$!
expect_true "the slow upload is in flight" wait_until 10 bash -c 'ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $2/"' _ "$SRV_PID" "$ROOT"

# New certificate, key and client CA, all from another CA.
cp "$PKI2/localhost.crt" "$LIVE/srv.crt"
cp "$PKI2/localhost.key" "$LIVE/srv.key"
cp "$PKI2/ca.crt" "$LIVE/ca.crt"
kill -HUP "$SRV_PID"
expect_true "ferryd says it reloaded" wait_until 10 grep -q 'SIGHUP: reloaded' "$SRV_LOG"

OLD_CA=$CA OLD_CRT=$CLI_CRT OLD_KEY=$CLI_KEY
CA=$PKI2/ca.crt CLI_CRT=$PKI2/bob.crt CLI_KEY=$PKI2/bob.key
expect_exit 0 ferry_c whoami
expect_grep 'bob' "$OUT" "a new connection gets the new certificate and CA"
CA=$OLD_CA
expect_exit 3 ferry_c whoami
expect_grep 'not trusted' "$ERR" "the old CA no longer verifies the server"
CA=$PKI2/ca.crt CLI_CRT=$OLD_CRT CLI_KEY=$OLD_KEY
expect_exit 3 ferry_c whoami
CLI_CRT=$PKI2/bob.crt CLI_KEY=$PKI2/bob.key
pass "a client of the old client CA is refused after the reload"

wait "$client"
expect_eq 0 "$?" "the upload in flight during the reload finished"
expect_eq "$(sha "$W/f")  inflight.bin" "$(cat "$W/inflight.out")" "with the right hash"
expect_eq "$(sha "$W/f")" "$(sha "$ROOT/inflight.bin")" "and the right content"
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null

# A bad file: the old (second) configuration stays.
echo "not a certificate" >"$LIVE/srv.crt"
kill -HUP "$SRV_PID"
expect_true "a failed reload is logged with the reason" wait_until 10 grep -q 'SIGHUP: reload failed, keeping the previous' "$SRV_LOG"
expect_grep 'reload failed.*srv.crt' "$SRV_LOG" "the log names the bad file"
expect_exit 0 ferry_c whoami
expect_grep 'bob' "$OUT" "after a failed reload the previous configuration serves"
# and a key that does not match the certificate
cp "$PKI2/localhost.crt" "$LIVE/srv.crt"
cp "$SRV_KEY" "$LIVE/srv.key"
kill -HUP "$SRV_PID"
expect_true "a mismatched key is refused too" wait_until 10 bash -c '(( $(grep -c "reload failed" "$1") >= 2 ))' _ "$SRV_LOG"
expect_exit 0 ferry_c whoami

# Under Landlock a certificate renamed into place is read (ferryd may read
# the directories of its files, not just the inodes it started with);
# tests/e2e/t_rotate.sh tries every way of replacing every kind of file.
if grep -q 'landlock: confined' "$SRV_LOG"; then
	n=$(grep -c 'SIGHUP: reloaded' "$SRV_LOG")
	cp "$PKI2/localhost.key" "$LIVE/srv.key"
	cp "$PKI2/localhost.crt" "$LIVE/new.crt"
	mv "$LIVE/new.crt" "$LIVE/srv.crt"
	kill -HUP "$SRV_PID"
	expect_true "a renamed-in file under Landlock is reloaded" \
		wait_until 10 bash -c '(( $(grep -c "SIGHUP: reloaded" "$1") > $2 ))' _ "$SRV_LOG" "$n"
	expect_exit 0 ferry_c whoami
else
	unavailable "no Landlock in this kernel: the renamed-file case"
fi
server_alive

# The ACL is re-read too (updated in place): new connections get the new
# permissions, and a malformed file keeps the previous rules.
CA=$OLD_CA CLI_CRT=$OLD_CRT CLI_KEY=$OLD_KEY
ACL=$T/acl.json
printf '{"identities": {"alice": {"root": "alice", "perms": "r"}}}\n' >"$ACL"
start_server --acl "$ACL"
expect_exit 0 ferry_c whoami
expect_grep 'perms: *r$' "$OUT" "before the reload alice may only read"
printf '{"identities": {"alice": {"root": "alice", "perms": "rwld"}}}\n' >"$ACL"
kill -HUP "$SRV_PID"
expect_true "ferryd says it reloaded the ACL" wait_until 10 grep -q 'SIGHUP: reloaded.*ACL' "$SRV_LOG"
expect_exit 0 ferry_c whoami
expect_grep 'perms: *rwld$' "$OUT" "after the reload alice has the new permissions"
expect_exit 0 ferry_c put "$W/f" after-acl-reload.bin
printf '{"identities": {"alice": {"root": "alice", "perms": "rwx"}}}\n' >"$ACL"
kill -HUP "$SRV_PID"
expect_true "a malformed ACL is refused at reload, naming the field" \
	wait_until 10 grep -q 'reload failed.*perms' "$SRV_LOG"
expect_exit 0 ferry_c whoami
expect_grep 'perms: *rwld$' "$OUT" "the previous ACL stays in force"
server_alive
finish
