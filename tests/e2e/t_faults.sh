#!/usr/bin/env bash
# t_faults.sh - transfers through tests/tools/faultproxy: connections cut
# after N bytes and stalled past the server's --stall-timeout are finished
# by `--retries` (resuming, with a matching SHA-256); a flipped byte is
# caught by TLS in either direction (never stored, never accepted); a slow
# (delayed, throttled) link still delivers the right bytes.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
start_server --stall-timeout 2
W=$T/work
mkdir -p "$W"
head -c 20000000 /dev/urandom >"$W/f"
F=$(sha "$W/f")
cp "$W/f" "$ROOT/down.bin"

stop_proxy() { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; }
# The server logged a put of PATH that resumed (bytes < size).
resumed_put() { grep -E "op=put .*path=$1 .*bytes=[0-9]+ " "$SRV_LOG" | grep -v 'result=ok' >/dev/null && grep -E "op=put .*path=$1 .*result=ok" "$SRV_LOG" | grep -vq "bytes=20000000 "; }

# ---- cuts ------------------------------------------------------------------
start_proxy --cut-after 3000000 --faults 3
expect_exit 0 ferry_p put --retries 5 "$W/f" cut-up.bin
expect_grep "^$F  cut-up.bin" "$OUT" "put through 3 cut connections: the right SHA-256"
expect_eq "$F" "$(sha "$ROOT/cut-up.bin")" "put through cuts: the stored file is whole"
expect_grep 'retrying in' "$ERR" "the client said it retried"
expect_true "the retries resumed instead of starting again" resumed_put cut-up.bin
stop_proxy

start_proxy --cut-after 3000000 --faults 3
expect_exit 0 ferry_p get --retries 5 down.bin "$W/cut-down.bin"
expect_eq "$F" "$(sha "$W/cut-down.bin")" "get through 3 cut connections: the file is whole"
expect_eq "" "$(ls -A "$W" | grep ferry-partial)" "and no partial file is left"
stop_proxy

start_proxy --cut-after 3000000 --faults 10
expect_exit 3 ferry_p put --retries 2 "$W/f" gives-up.bin
expect_true "retries exhausted: nothing under the final name" test ! -e "$ROOT/gives-up.bin"
expect_grep 'retrying in .*\(2 of 2\)' "$ERR" "the client tried exactly --retries times"
stop_proxy

# ---- stalls past the server's --stall-timeout ----------------------------
start_proxy --stall-after 2000000 --stall 4 --faults 1
expect_exit 0 ferry_p put --retries 5 "$W/f" stall-up.bin
expect_eq "$F" "$(sha "$ROOT/stall-up.bin")" "put through a stall: whole, after a retry"
stop_proxy

start_proxy --stall-after 2000000 --stall 4 --faults 1 --dir down
expect_exit 0 ferry_p get --retries 5 down.bin "$W/stall-down.bin"
expect_eq "$F" "$(sha "$W/stall-down.bin")" "get through a stall: whole, after a retry"
stop_proxy

# ---- a flipped byte ------------------------------------------------------
start_proxy --flip-at 5000000 --dir up --faults 1
expect_exit 3 ferry_p put --retries 0 "$W/f" flip-up.bin
expect_true "a flipped byte upstream is never stored" test ! -e "$ROOT/flip-up.bin"
expect_grep 'faultproxy: flip' "$T/proxy.log" "the proxy did flip a byte"
expect_exit 0 ferry_p put --resume "$W/f" flip-up.bin
expect_eq "$F" "$(sha "$ROOT/flip-up.bin")" "the next attempt stores the right bytes"
stop_proxy

start_proxy --flip-at 5000000 --dir down --faults 1
expect_exit 3 ferry_p get --retries 0 down.bin "$W/flip-down.bin"
expect_true "a flipped byte downstream is never accepted" test ! -e "$W/flip-down.bin"
expect_exit 0 ferry_p get --retries 2 down.bin "$W/flip-down.bin"
expect_eq "$F" "$(sha "$W/flip-down.bin")" "the next attempt delivers the right bytes"
stop_proxy

# ---- a slow link -----------------------------------------------------------
head -c 1500000 /dev/urandom >"$W/s"
start_proxy --delay 5 --rate 3000000 --faults 100
expect_exit 0 ferry_p put "$W/s" slow.bin
expect_eq "$(sha "$W/s")" "$(sha "$ROOT/slow.bin")" "put over a delayed, throttled link"
expect_exit 0 ferry_p get slow.bin "$W/slow.got"
expect_eq "$(sha "$W/s")" "$(sha "$W/slow.got")" "get over a delayed, throttled link"
stop_proxy

expect_exit 0 ferry_c ls
expect_no_grep 'ferry-part' "$OUT" "no temporary file is ever listed"
server_alive
finish
