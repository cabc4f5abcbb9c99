#!/usr/bin/env bash
# t_idle.sh - idle connections cost memory, not threads: 200 connections
# left idle after the handshake (plus 50 TCP connections that never start
# TLS, 20 that stop in the middle of a request frame and 20 uploads that
# stall in the middle of their body) do not delay another client's 64 MiB
# transfer by more than a small factor.  The server runs with only 2 worker threads, so a design that
# parks a thread on an idle peer cannot pass.  A behaviour check, not a
# benchmark: the bound is 3x the unloaded time plus 1 s.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }

make_pki
# --min-rate 0: this test keeps stalled peers on purpose (t_trickle.sh cuts them)
start_server --threads 2 --handshake-timeout 60 --idle-timeout 120 --stall-timeout 120 --min-rate 0
W=$T/work
mkdir -p "$W"
head -c 64M /dev/urandom >"$W/big.bin"
want=$(sha "$W/big.bin")

# transfer: put then get the 64 MiB file; prints the seconds taken.
transfer() {
	local t0=$EPOCHREALTIME rc
	ferry_c put --overwrite "$W/big.bin" big.bin >"$W/t.out" 2>"$W/t.err" &&
		ferry_c get --overwrite big.bin "$W/back.bin" >>"$W/t.out" 2>>"$W/t.err"
	rc=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }'
	return "$rc"
}

# Unloaded: the best of two runs.
t1=$(transfer) || fail "unloaded transfer failed: $(cat "$W/t.err")"
t2=$(transfer) || fail "unloaded transfer failed: $(cat "$W/t.err")"
base=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (a < b) ? a : b }')
expect_eq "$want" "$(sha "$W/back.bin")" "unloaded round trip intact"

# 200 idle TLS connections (handshake and a hello, then silence).
HOLD=$T/hold.out
probe_exec --hold 200 --seconds 60 --timeout 30 >"$HOLD" 2>&1 &
holder=$!
if wait_until 60 grep -q '^held 200$' "$HOLD"; then
	pass "200 connections completed their handshake and hello"
else
	fail "the 200 idle connections were not all established: $(head -c 300 "$HOLD")"
fi
# 50 TCP connections that never send a ClientHello.
raw_fds=()
for ((i = 0; i < 50; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && raw_fds+=("$fd")
done
expect_eq 50 "${#raw_fds[@]}" "50 silent TCP connections open"

# 20 connections stopped in the middle of a request frame, 20 uploads
# stalled in the middle of their body.
stalled=()
for ((i = 0; i < 20; i++)); do
	printf '%s\n' 'raw 0000002a7b226f70' 'sleep 60' >"$T/half.$i"
	probe_exec --timeout 90 <"$T/half.$i" >"$T/half.$i.out" 2>&1 &
	stalled+=($!)
	printf '%s\n' "send {\"op\":\"put\",\"path\":\"stall/$i\",\"size\":1000000}" recv \
		'body 1000' 'sleep 60' >"$T/stall.$i"
	probe_exec --timeout 90 <"$T/stall.$i" >"$T/stall.$i.out" 2>&1 &
	stalled+=($!)
done
if wait_until 60 bash -c '(($(cat "$1"/stall.*.out 2>/dev/null | grep -c "\"status\":\"ready\"") == 20))' _ "$T"; then
	pass "20 uploads accepted and stalled mid-body"
else
	fail "not all 20 stalled uploads got ready: $(cat "$T"/stall.*.out | sort | uniq -c | head -5)"
fi

loaded=$(transfer)
rc=$?
expect_eq 0 "$rc" "transfer with 290 idle or stalled connections succeeds"
expect_eq "$want" "$(sha "$W/back.bin")" "loaded round trip intact"
expect_true "the idle connections were still held during the transfer" kill -0 "$holder"
echo "info: 64 MiB put+get: unloaded ${base} s, with 290 idle or stalled connections ${loaded} s"
if awk -v b="$base" -v l="$loaded" 'BEGIN { exit !(l <= 3 * b + 1) }'; then
	pass "idle connections do not delay a transfer (${loaded} s <= 3 x ${base} s + 1 s)"
else
	fail "a transfer took ${loaded} s with idle connections, ${base} s without"
fi

# A new connection is still accepted and served quickly while all are held.
t0=$EPOCHREALTIME
expect_exit 0 ferry_c whoami
awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 5) }' &&
	pass "a new client is served promptly" || fail "whoami took more than 5 s"

for p in "${stalled[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${stalled[@]}"; do wait "$p" 2>/dev/null; done
# (their bytes are held as hidden .ferry-part.* files for a resume)
expect_true "the stalled uploads stored nothing under a visible name" \
	wait_until 15 bash -c '[[ -z $(find "$1" -mindepth 1 ! -type d ! -name ".ferry-part.*" 2>/dev/null) ]]' _ "$ROOT/stall"
server_alive

# Idle connections are no transfers in flight: SIGTERM does not wait for
# them (nor for the silent TCP connections) to go away.
if kill -0 "$holder" 2>/dev/null; then
	t0=$SECONDS
	kill -TERM "$SRV_PID"
	if wait_until 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$SRV_PID"; then
		wait "$SRV_PID"
		expect_eq 0 "$?" "ferryd exits 0 on SIGTERM with 250 idle connections"
		pass "and it did not wait for them ($((SECONDS - t0)) s)"
	else
		fail "ferryd still running 10 s after SIGTERM with only idle connections"
		stop_server "$SRV_PID"
	fi
	unset 'SERVER_LOG[$SRV_PID]'
fi
for fd in "${raw_fds[@]}"; do exec {fd}>&-; done
kill -TERM "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
finish
