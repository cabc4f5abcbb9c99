#!/usr/bin/env bash
# t_exhaust.sh - resource exhaustion: 1000 TCP connections that never
# finish the TLS handshake (half silent, half stopped inside a ClientHello),
# 1000 connections idle after the handshake, and a client reading a
# download at 1 byte per second do not delay another client's transfer by
# more than a small factor (3x + 1 s), on 2 worker threads; the server's
# RSS stays bounded.  Prints the RSS figures and the bytes per idle
# connection (the figure in docs/ARCHITECTURE.md).
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }
command -v python3 >/dev/null 2>&1 || { fail "python3 is needed for the slow reader"; finish; }
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= 4096)) || { fail "need 4096 file descriptors, have $(ulimit -n)"; finish; }

make_pki
# --min-rate 0: this test keeps slow peers on purpose (t_trickle.sh cuts them)
start_server --threads 2 --max-conns 3000 --handshake-timeout 300 --idle-timeout 300 \
	--stall-timeout 300 --min-rate 0
W=$T/work
mkdir -p "$W"
head -c 32M /dev/urandom >"$W/big.bin"
want=$(sha "$W/big.bin")
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SRV_PID/status"; } # KiB

transfer() {
	local t0=$EPOCHREALTIME rc
	ferry_c put --overwrite "$W/big.bin" big.bin >"$W/t.out" 2>"$W/t.err" &&
		ferry_c get --overwrite big.bin "$W/back.bin" >>"$W/t.out" 2>>"$W/t.err"
	rc=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }'
	return "$rc"
}
t1=$(transfer) || fail "unloaded transfer failed: $(cat "$W/t.err")"
t2=$(transfer) || fail "unloaded transfer failed: $(cat "$W/t.err")"
base=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print (a < b) ? a : b }')
rss0=$(rss)

# ---- 1000 idle after the handshake -----------------------------------------
HOLD=$T/hold.out
probe_exec --hold 1000 --seconds 240 --timeout 120 >"$HOLD" 2>&1 &
holder=$!
if wait_until 120 grep -q '^held 1000$' "$HOLD"; then
	pass "1000 connections completed their handshake and a hello"
else
	fail "the 1000 idle connections were not all established: $(head -c 300 "$HOLD")"
fi
sleep 1
rss1=$(rss)
per_idle=$(((rss1 - rss0) * 1024 / 1000))

# ---- 1000 that never finish the handshake ------------------------------------
raw_fds=()
for ((i = 0; i < 1000; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || break
	raw_fds+=("$fd")
	# every other one stops inside a ClientHello record (5-byte header
	# announcing 512 bytes, then 3 of them)
	((i % 2)) && printf '\x16\x03\x01\x02\x00\x01\x00\x01' >&"$fd"
done
expect_eq 1000 "${#raw_fds[@]}" "1000 connections left in the handshake"
sleep 1
rss2=$(rss)
per_hs=$(((rss2 - rss1) * 1024 / 1000))

# ---- a download read at 1 byte per second ------------------------------------
SLOW=$T/slow.out
python3 - "$PORT" "$CA" "$CLI_CRT" "$CLI_KEY" >"$SLOW" 2>&1 <<'PY' &
import json, socket, ssl, struct, sys, time
port, ca, crt, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(crt, key)
ctx.set_alpn_protocols(["ferry/1"])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
t = ctx.wrap_socket(s, server_hostname="localhost")
req = json.dumps({"op": "get", "path": "big.bin"}).encode()
t.sendall(struct.pack(">I", len(req)) + req)
n = 0
print("reading", flush=True)
for _ in range(600):
    b = t.recv(1)
    if not b:
        break
    n += len(b)
    time.sleep(1)
print("read", n, flush=True)
PY
slow=$!
if wait_until 20 grep -q reading "$SLOW"; then
	pass "a slow reader started a download"
else
	fail "the slow reader did not start: $(cat "$SLOW")"
fi
sleep 2

loaded=$(transfer)
rc=$?
expect_eq 0 "$rc" "transfer with 2000 idle or half-open connections and a slow reader succeeds"
expect_eq "$want" "$(sha "$W/back.bin")" "loaded round trip intact"
expect_true "the slow reader is still reading" kill -0 "$slow"
expect_true "the idle connections are still held" kill -0 "$holder"
rss3=$(rss)
echo "info: 32 MiB put+get: unloaded ${base} s, loaded ${loaded} s"
echo "info: ferryd RSS: ${rss0} KiB at rest, ${rss1} KiB with 1000 idle, ${rss2} KiB with 1000 more in the handshake, ${rss3} KiB after the loaded transfer"
echo "info: ~${per_idle} bytes per idle connection after the handshake, ~${per_hs} bytes per connection in the handshake"
if awk -v b="$base" -v l="$loaded" 'BEGIN { exit !(l <= 3 * b + 1) }'; then
	pass "no delay beyond 3x + 1 s (${loaded} s vs ${base} s)"
else
	fail "a transfer took ${loaded} s under load, ${base} s without"
fi
# Sanitizer builds pay redzones and quarantine on every allocation: the
# memory bounds are for real builds, 16 times looser under sanitizers.
scale=1
grep -Eq '^FERRY_SANITIZE:STRING=.+' "$BUILD/CMakeCache.txt" 2>/dev/null && scale=16
((rss3 < 512 * 1024 * scale)) && pass "server RSS bounded (${rss3} KiB < $((512 * scale)) MiB)" ||
	fail "server RSS ${rss3} KiB with 2000 connections"
((per_idle < 64 * 1024 * scale)) && pass "an idle connection costs < $((64 * scale)) KiB (${per_idle} B)" ||
	fail "an idle connection costs ${per_idle} B"

t0=$EPOCHREALTIME
expect_exit 0 ferry_c whoami
awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 5) }' &&
	pass "a new client is served promptly" || fail "whoami took more than 5 s"
kill -KILL "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
for fd in "${raw_fds[@]}"; do exec {fd}>&-; done
kill -TERM "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
server_alive
finish
