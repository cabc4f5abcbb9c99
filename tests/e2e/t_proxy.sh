#!/usr/bin/env bash
# t_proxy.sh - the PROXY protocol (issue 11): faultproxy plays a trusted
# load balancer (it connects from 127.0.0.2 and sends v1/v2 headers, like
# HAProxy's send-proxy), ferryd trusts only --proxy-protocol-from
# 127.0.0.2/32.  The carried client address is the one logged; LOCAL
# health checks are silent; malformed headers, a header from an untrusted
# address, a missing header from a trusted one, a cut header and a header
# that never completes are each refused with one line.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
start_server --handshake-timeout 2 --proxy-protocol-from 127.0.0.2/32,::2/128 \
	--proxy-protocol-from 192.0.2.0/24
W=$T/work
mkdir -p "$W"
head -c 200000 /dev/urandom >"$W/f"
SIG=0d0a0d0a000d0a515549540a

# balancer ARGS...: a faultproxy from 127.0.0.2 in front of ferryd
balancer() { start_proxy --bind 127.0.0.2 "$@"; }
lines() { grep -c -- "$1" "$SRV_LOG"; }
# refused HEX WHY DESC: a balancer sending these header bytes is refused
# with one log line naming WHY, and the client fails to connect.
refused() {
	local before
	before=$(lines 'PROXY header refused')
	balancer --proxy "raw:$1"
	expect_exit 3 ferry_p ls
	expect_true "$3: one line" wait_until 5 bash -c '(( $(grep -c "PROXY header refused" "$1") == $2 + 1 ))' _ "$SRV_LOG" "$before"
	expect_grep "PROXY header refused: balancer=127\.0\.0\.2:[0-9]+: $2" "$SRV_LOG" "$3"
	kill "$PROXY_PID" 2>/dev/null
}

# ---- the carried address is the client's ---------------------------------
balancer --proxy v2 --proxy-src 203.0.113.7:4242
expect_exit 0 ferry_p put "$W/f" v2.bin
expect_grep 'req peer=203\.0\.113\.7:4242 id=alice op=put path=v2\.bin' "$SRV_LOG" "v2: the log shows the client's address"
expect_exit 0 ferry_p get v2.bin "$W/v2.got"
expect_eq "$(sha "$W/f")" "$(sha "$W/v2.got")" "v2: the file moved both ways"
kill "$PROXY_PID"
balancer --proxy v1 --proxy-src '[2001:db8::7]:5000'
expect_exit 0 ferry_p stat v2.bin
expect_grep 'req peer=\[2001:db8::7\]:5000 id=alice op=stat' "$SRV_LOG" "v1 TCP6: the log shows the IPv6 client"
kill "$PROXY_PID"
balancer --proxy v2 --proxy-src '[::ffff:198.51.100.9]:5001'
expect_exit 0 ferry_p stat v2.bin
expect_grep 'req peer=198\.51\.100\.9:5001 id=alice op=stat' "$SRV_LOG" "an IPv4-mapped IPv6 client is logged as IPv4"
kill "$PROXY_PID"
balancer --proxy v1
expect_exit 0 ferry_p stat v2.bin
expect_grep 'req peer=127\.0\.0\.1:[0-9]+ id=alice op=stat' "$SRV_LOG" "v1 TCP4 with the real client address"
expect_no_grep 'peer=127\.0\.0\.2' "$SRV_LOG" "the balancer's own address is never logged as a client's"
kill "$PROXY_PID"

# ---- health checks: v2 LOCAL ---------------------------------------------
balancer --proxy v2-local
warn0=$(grep -c ' warn ' "$SRV_LOG")
for i in 1 2 3; do
	exec 3<>"/dev/tcp/127.0.0.1/${PROXY##*:}" && exec 3>&-
done
sleep 1
expect_eq "$warn0" "$(grep -c ' warn ' "$SRV_LOG")" "3 health checks (LOCAL, connect and close) log nothing"
expect_exit 0 ferry_p stat v2.bin
expect_grep 'req peer=127\.0\.0\.2:[0-9]+ id=alice op=stat' "$SRV_LOG" "a LOCAL connection that speaks TLS is the balancer itself"
kill "$PROXY_PID"

# ---- refused ---------------------------------------------------------------
refused "${SIG%0a}0b211100" "bad signature" "a wrong v2 signature is refused"
refused "${SIG}111100" "v2: bad version" "v2 version 1 is refused"
refused "${SIG}231100" "v2: bad command" "an unknown v2 command is refused"
refused "${SIG}214100" "v2: bad address family" "an unknown v2 family is refused"
refused "${SIG}2112000c" "v2: not a stream" "a UDP v2 header is refused"
refused "${SIG}2111ffff" "v2: header longer than we accept" "an oversized v2 length is refused before its bytes"
refused "${SIG}2111000b" "v2: length too short" "a v2 length too short for IPv4 is refused"
refused "$(printf 'PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n' | od -An -tx1 | tr -d ' \n')" "v1: bad address" "a bad v1 address is refused"
refused "$(printf 'PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n' | od -An -tx1 | tr -d ' \n')" "v1: bad port" "a bad v1 port is refused"
# a trusted balancer that sends no header: the ClientHello is no header
before=$(lines 'PROXY header refused')
balancer
expect_exit 3 ferry_p ls
expect_grep 'PROXY header refused: balancer=127\.0\.0\.2:[0-9]+: bad signature' "$SRV_LOG" "a trusted address must send a header"
kill "$PROXY_PID"
# an untrusted address must not: refused like a bad handshake
start_proxy --proxy v2 --proxy-src 203.0.113.9:1
expect_exit 3 ferry_p ls
expect_grep 'handshake failed: peer=127\.0\.0\.1:[0-9]+: a PROXY protocol header from an address not in --proxy-protocol-from' \
	"$SRV_LOG" "a header from an untrusted address is refused"
expect_no_grep 'peer=203\.0\.113\.9' "$SRV_LOG" "and its address is not believed"
kill "$PROXY_PID"
expect_exit 0 ferry_c stat v2.bin
expect_grep 'req peer=127\.0\.0\.1:[0-9]+ id=alice op=stat' "$SRV_LOG" "an untrusted client without a header is served as before"

# ---- cut and never-finished headers ---------------------------------------
balancer --proxy "raw:${SIG}2111"
exec 3<>"/dev/tcp/127.0.0.1/${PROXY##*:}" && exec 3>&-
expect_true "a header cut by the balancer: one line" wait_until 5 grep -q 'PROXY header: balancer=127\.0\.0\.2:[0-9]*: closed after 14 byte' "$SRV_LOG"
exec 3<>"/dev/tcp/127.0.0.1/${PROXY##*:}"
sleep 3.5
exec 3>&-
expect_grep 'handshake timeout: peer=127\.0\.0\.2:[0-9]+ after 2 s \(no whole PROXY header\)' "$SRV_LOG" \
	"a header that never completes is cut by --handshake-timeout"
kill "$PROXY_PID"
server_alive
stop_server "$SRV_PID"

# ---- --max-conns-per-address counts the carried address -------------------
start_server --max-conns-per-address 2 --proxy-protocol-from 127.0.0.2/32
HOLDERS=()
hold() { # hold HOST:PORT: two idle connections for 4 s (background)
	timeout 20 "$PROBE" -s "$1" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" --hold 2 --seconds 4 >>"$T/hold.out" 2>&1 &
	HOLDERS+=($!)
}
hold "$SRV"
expect_true "127.0.0.1 holds 2 connections" wait_until 10 grep -q 'held 2' "$T/hold.out"
expect_exit 3 ferry_c stat ""
expect_grep 'busy: peer=127\.0\.0\.1:[0-9]+: over --max-conns-per-address=2, closed before TLS' "$SRV_LOG" \
	"a third connection from the same address is closed before TLS"
balancer --proxy v2 --proxy-src 203.0.113.50:1
P50=$PROXY
P50_PID=$PROXY_PID
hold "$P50"
expect_true "203.0.113.50 (through the balancer) holds 2 as well: the balancer's own address is not counted" \
	wait_until 10 bash -c '(( $(grep -c "held 2" "$1") == 2 ))' _ "$T/hold.out"
expect_exit 3 ferry_p stat ""
expect_grep 'busy: peer=203\.0\.113\.50:1: over --max-conns-per-address=2' "$SRV_LOG" "a third from 203.0.113.50 is refused"
balancer --proxy v2 --proxy-src 203.0.113.51:1
expect_exit 0 ferry_p stat ""
pass "203.0.113.51 through the same balancer is served"
kill "$PROXY_PID" "$P50_PID"
wait "${HOLDERS[@]}"
sleep 0.5
expect_exit 0 ferry_c stat ""
pass "once its connections closed, 127.0.0.1 is served again"
finish
