#!/usr/bin/env bash
# t_drain.sh - graceful shutdown under load: SIGTERM while 10 (throttled)
# transfers run lets all of them finish within --drain-timeout, refuses new
# connections, exits 0; transfers cut by the drain deadline are held and
# `put --resume` continues them after a restart.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
start_server --drain-timeout 25
W=$T/work
mkdir -p "$W"

for ((i = 0; i < 10; i++)); do head -c 4000000 /dev/urandom >"$W/f$i"; done
start_proxy --rate 1500000 --faults 100
pids=()
for ((i = 0; i < 10; i++)); do
	ferry_p put --retries 0 "$W/f$i" "d/f$i" >"$W/out$i" 2>"$W/err$i" &
	pids+=($!)
done
# (each upload holds its part file open; its directory too, so count parts)
inflight() { (($(ls -l "/proc/$1/fd" 2>/dev/null | grep -c -- "-> $2/d/.ferry-part") >= 10)); }
if wait_until 20 inflight "$SRV_PID" "$ROOT"; then
	pass "10 uploads in flight"
else
	fail "the 10 uploads were not all in flight"
fi
t0=$SECONDS
kill -TERM "$SRV_PID"
expect_true "ferryd logs the drain" wait_until 5 grep -q 'draining' "$SRV_LOG"
expect_exit 3 ferry_c whoami
pass "a new connection during the drain is refused"
bad=0
for ((i = 0; i < 10; i++)); do
	wait "${pids[$i]}" || { bad=$((bad + 1)); echo "  | upload $i: $(cat "$W/err$i")"; }
	[[ $(sha "$ROOT/d/f$i" 2>/dev/null) == "$(sha "$W/f$i")" ]] || { bad=$((bad + 1)); echo "  | upload $i: content differs"; }
done
expect_eq 0 "$bad" "all 10 transfers finished whole after SIGTERM"
if wait_until 30 bash -c '! kill -0 "$1"' _ "$SRV_PID"; then
	wait "$SRV_PID"
	expect_eq 0 "$?" "ferryd exits 0 after draining"
	((SECONDS - t0 <= 25)) && pass "within --drain-timeout" || fail "the drain took $((SECONDS - t0)) s"
else
	fail "ferryd still running 30 s after SIGTERM"
fi
unset 'SERVER_LOG[$SRV_PID]'
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null

# ---- the drain deadline cuts transfers: they are resumable ---------------
start_server --drain-timeout 1
head -c 8000000 /dev/urandom >"$W/slow"
start_proxy --rate 1000000 --faults 100
ferry_p put --retries 0 "$W/slow" slow.bin >/dev/null 2>"$W/slow.err" &
client=$!
expect_true "a slow upload is in flight" wait_until 10 bash -c '[[ $(stat -c %s "$1"/.ferry-part.* 2>/dev/null | sort -n | tail -1) -gt 1000000 ]]' _ "$ROOT"
kill -TERM "$SRV_PID"
wait "$client"
expect_eq 3 "$?" "the upload cut by the drain deadline fails (exit 3)"
if wait_until 15 bash -c '! kill -0 "$1"' _ "$SRV_PID"; then
	wait "$SRV_PID"
	expect_eq 0 "$?" "ferryd exits 0 after the drain deadline"
else
	fail "ferryd still running after the drain deadline"
fi
unset 'SERVER_LOG[$SRV_PID]'
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
expect_true "nothing under the final name" test ! -e "$ROOT/slow.bin"
start_server
expect_exit 0 ferry_c put --resume "$W/slow" slow.bin
expect_eq "$(sha "$W/slow")" "$(sha "$ROOT/slow.bin")" "put --resume after the drain deadline: whole"
b=$(grep -E "op=put .*path=slow.bin .*result=ok" "$SRV_LOG" | sed -E 's/.* bytes=([0-9]+).*/\1/')
if [[ $b =~ ^[0-9]+$ ]] && ((b < 8000000)); then
	pass "it resumed (sent $b of 8000000 bytes)"
else
	fail "it did not resume (sent '$b' of 8000000 bytes)"
fi
finish
