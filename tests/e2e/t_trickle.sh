#!/usr/bin/env bash
# t_trickle.sh - slow clients facing the internet (issue 11): a request
# frame sent one byte per TLS record, a frame that trickles steadily but
# never ends, a body slower than --min-rate, a download nobody reads; each
# is cut with `timeout` (or closed mid-body) in bounded time, and a
# download whose whole body was queued is closed, never followed by an
# error frame.  Fast transfers under the same limits are untouched.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
W=$T/work
mkdir -p "$W"
P=$T/p.out

# ---- --min-rate 20000 B/s over 2 s windows --------------------------------
start_server --min-rate 20000 --min-rate-window 2 --stall-timeout 60 --idle-timeout 60
head -c 5000000 /dev/urandom >"$W/fast"
expect_exit 0 ferry_c put "$W/fast" fast.bin
expect_exit 0 ferry_c get fast.bin "$W/fast.got"
expect_eq "$(sha "$W/fast")" "$(sha "$W/fast.got")" "a fast transfer is not cut by --min-rate"

# one byte per TLS record, 0.25 s apart: every byte is progress, yet
# 4 B/s is far below the rate
t0=$SECONDS
printf '%s\n' 'trickle 0.25 {"op":"stat","path":"fast.bin"}' recv | probe --timeout 20 >"$P"
took=$((SECONDS - t0))
expect_grep 'timeout: peer=127\.0\.0\.1:[0-9]+ identity=alice slower than --min-rate over --min-rate-window \(2 s\)' \
	"$SRV_LOG" "a frame trickled one byte per record is cut by --min-rate"
if ((took <= 8)); then pass "cut after ${took} s (the whole frame would take 11 s)"; else fail "cut only after ${took} s"; fi

# a body through a link slower than the rate: closed mid-body, held
start_proxy --rate 4000 --dir up
head -c 2000000 /dev/urandom >"$W/slow"
t0=$SECONDS
expect_exit 3 ferry_p put --retries 0 "$W/slow" slow.bin
took=$((SECONDS - t0))
expect_grep 'op=put path=slow\.bin .*result=timeout msg="slower than --min-rate' "$SRV_LOG" \
	"a body at 4000 B/s is cut by --min-rate 20000"
if ((took <= 15)); then pass "the slow upload ended after ${took} s (it needed 500 s)"; else fail "the slow upload took ${took} s"; fi
expect_true "nothing stored under the final name" test ! -e "$ROOT/slow.bin"
kill "$PROXY_PID"

# a download whose reader stops: once body bytes are queued the server can
# only close (the reader sees a truncation, never bytes then an error)
head -c 16000000 /dev/urandom >"$ROOT/q.bin"
printf '%s\n' 'send {"op":"get","path":"q.bin"}' recv 'sleep 5' 'recvbody 16000000' recv |
	probe --rcvbuf 4096 --timeout 20 >"$P"
expect_grep '"status":"ready","size":16000000' <(sed -n 1p "$P") "get: ready"
expect_grep '^(EOF|TRUNCATED) after [0-9]+$|^ERROR' <(sed -n 2p "$P") "the unread download is cut, not completed"
expect_no_grep '"code":"timeout"' "$P" "no error frame after body bytes"
expect_grep 'op=get path=q\.bin .*result=timeout msg="slower than --min-rate' "$SRV_LOG" \
	"a reader that stops is cut by --min-rate (--stall-timeout is 60 s)"
stop_server "$SRV_PID"

# ---- --request-timeout: a steady trickle that never ends ------------------
start_server --min-rate 0 --request-timeout 2 --stall-timeout 60 --idle-timeout 60
t0=$SECONDS
printf '%s\n' 'trickle 0.1 {"op":"stat","path":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}' recv |
	probe --timeout 20 >"$P"
took=$((SECONDS - t0))
expect_grep 'identity=alice request frame not complete within --request-timeout \(2 s\)' "$SRV_LOG" \
	"a frame trickling 10 bytes a second is cut by --request-timeout"
if ((took <= 6)); then pass "cut after ${took} s (the frame would take 9 s; --stall-timeout is 60)"; else fail "cut only after ${took} s"; fi
server_alive
finish
