#!/usr/bin/env bash
# t_metrics.sh - ferryd --metrics-listen: GET /metrics in the Prometheus
# text format (checked by promtool), scraped before and after transfers,
# refusals, handshake failures, an interrupted upload held and expired, and
# a reload: every counter moves by exactly what happened.  The endpoint is
# its own plain-HTTP listener: the TLS port never answers HTTP, the metrics
# port never speaks ferry, and no identity or path appears in it.
source "$(dirname "$0")/../e2e/lib.sh" "$@"
source "$(dirname "$0")/promtool.sh"
[[ -n $PROMTOOL ]] || skip "promtool is not available (apt-get download prometheus failed)"

make_pki
make_bad_certs
start_server --metrics-listen 127.0.0.1:0 --partial-ttl 4
MPORT=$(sed -nE 's/.*metrics on http:\/\/127\.0\.0\.1:0\/metrics \(port ([0-9]+)\).*/\1/p' "$SRV_LOG")
expect_true "the log names the metrics port" test -n "$MPORT"

# http PORT METHOD PATH: the whole HTTP/1.0 response on stdout
# (in a subshell that ignores SIGPIPE: the TLS port hangs up on HTTP)
http() {
	(
		trap '' PIPE
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf '%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" "$3" >&3
		timeout 10 cat <&3
	)
}
N=0
scrape() { # -> $T/scrape.N (the body), $M (its name)
	N=$((N + 1))
	M=$T/scrape.$N
	http "$MPORT" GET /metrics >"$M.http" || { fail "scrape $N"; return 1; }
	sed '1,/^\r$/d' "$M.http" >"$M"
}
# v NAME{LABELS}: the value in the last scrape (0 when absent)
v() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$M"; }
# moved BEFORE NAME{LABELS} WANT DESC: the counter grew by WANT since scrape BEFORE
moved() {
	local was now
	was=$(awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$T/scrape.$1")
	now=$(v "$2")
	expect_eq "$3" "$(awk -v a="$now" -v b="$was" 'BEGIN { printf "%d", a - b }')" "$4"
}

scrape
expect_grep '^HTTP/1\.[01] 200' "$M.http" "GET /metrics: 200"
expect_grep '^Content-Type: text/plain; version=0\.0\.4' "$M.http" "the Prometheus text content type"
"$PROMTOOL" check metrics <"$M" >"$T/lint" 2>&1
expect_eq 0 "$?" "promtool check metrics accepts the first scrape"
sed 's/^/  promtool: /' "$T/lint" | head -20
expect_grep '^ferryd_build_info\{version="[0-9.]+",protocol="[0-9]+"\} 1$' "$M" "ferryd_build_info{version}"
for m in ferryd_connections ferryd_connections_total ferryd_held_parts \
	process_start_time_seconds process_open_fds; do
	expect_grep "^$m [0-9.e+]+\$" "$M" "$m is there"
done
expect_grep '^ferryd_tls_handshake_failures_total\{reason="untrusted"\} 0$' "$M" "handshake failures by reason, from 0"
expect_grep '^ferryd_request_duration_seconds_bucket\{op="put",le="\+Inf"\} 0$' "$M" "a duration histogram per op"
expect_true "process_open_fds counts real descriptors" test "$(v process_open_fds)" -ge 5
expect_true "the certificate's expiry is in the future" test "$(v ferryd_tls_certificate_not_after_timestamp_seconds)" -gt "$(date +%s)"
B=$N

# ---- transfers: 1 MB up, 1 MB down, a list, a refusal --------------------
head -c 1000000 /dev/urandom >"$T/f"
expect_exit 0 ferry_c put "$T/f" m/f.bin
expect_exit 0 ferry_c get m/f.bin "$T/f.back"
expect_exit 0 ferry_c ls m
expect_exit 1 ferry_c put "$T/f" m/f.bin
expect_true "the clients' connections are gone" wait_until 10 bash -c \
	'exec 3<>/dev/tcp/127.0.0.1/'"$MPORT"'; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; grep -q "^ferryd_connections 0" <&3'
scrape
moved $B 'ferryd_requests_total{op="put",result="ok"}' 1 "one put ok"
moved $B 'ferryd_requests_total{op="put",result="exists"}' 1 "one put refused: result=exists"
moved $B 'ferryd_requests_total{op="get",result="ok"}' 1 "one get ok"
moved $B 'ferryd_requests_total{op="list",result="ok"}' 1 "one list ok"
moved $B 'ferryd_requests_total{op="hello",result="ok"}' 4 "four hellos (one per command)"
moved $B 'ferryd_transfer_bytes_total{direction="in"}' 1000000 "1000000 body bytes in"
moved $B 'ferryd_transfer_bytes_total{direction="out"}' 1000000 "1000000 body bytes out"
moved $B 'ferryd_connections_total' 4 "four connections"
moved $B 'ferryd_request_duration_seconds_count{op="put"}' 2 "two puts timed"
moved $B 'ferryd_request_duration_seconds_bucket{op="put",le="+Inf"}' 2 "in the +Inf bucket too"
expect_no_grep 'alice|f\.bin|127\.0\.0\.1' "$M" "no identity, path or peer in any label"
"$PROMTOOL" check metrics <"$M" >/dev/null 2>&1
expect_eq 0 "$?" "promtool check metrics after traffic"
B=$N

# ---- handshake failures by reason -----------------------------------------
CA0=$CA
CLI_CRT=$PKI2/mallory.crt CLI_KEY=$PKI2/mallory.key expect_exit 3 ferry_c whoami
CLI_CRT=$PKI/expired.crt CLI_KEY=$PKI/expired.key expect_exit 3 ferry_c whoami
timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" </dev/null >/dev/null 2>&1
http "$PORT" GET /metrics >"$T/tls-port.http" 2>/dev/null
expect_no_grep '^HTTP/' "$T/tls-port.http" "the TLS port never answers HTTP"
expect_no_grep 'ferryd_' "$T/tls-port.http" "nor shows metrics"
expect_true "the failures are counted" wait_until 10 bash -c \
	'exec 3<>/dev/tcp/127.0.0.1/'"$MPORT"'; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; grep -q "^ferryd_tls_handshake_failures_total{reason=\"not_tls\"} [1-9]" <&3'
scrape
moved $B 'ferryd_tls_handshake_failures_total{reason="untrusted"}' 1 "another CA's client: reason untrusted"
moved $B 'ferryd_tls_handshake_failures_total{reason="expired"}' 1 "an expired client certificate: reason expired"
moved $B 'ferryd_tls_handshake_failures_total{reason="no_certificate"}' 1 "no client certificate: reason no_certificate"
moved $B 'ferryd_tls_handshake_failures_total{reason="not_tls"}' 1 "plain HTTP on the TLS port: reason not_tls"
B=$N

# ---- the metrics port: only GET /metrics, and no ferry ----------------------
http "$MPORT" GET / >"$T/root.http"
expect_grep '^HTTP/1\.[01] 404' "$T/root.http" "GET / on the metrics port: 404"
http "$MPORT" POST /metrics >"$T/post.http"
expect_grep '^HTTP/1\.[01] 405' "$T/post.http" "POST /metrics: 405"
expect_exit 3 timeout 20 "$FERRY" -s "127.0.0.1:$MPORT" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" whoami

# ---- an interrupted upload: truncated, held, then expired -------------------
# (through a throttled proxy, so that it is surely under way when cut)
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }
head -c 20000000 /dev/zero >"$T/big"
start_proxy --rate 4000000 --faults 100
timeout -k 5 60 "$FERRY" -s "$PROXY" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" \
	put --retries 0 "$T/big" cut.bin >/dev/null 2>&1 &
c=$!
expect_true "the upload is under way" wait_until 20 bash -c \
	'ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $2/.ferry-part"' _ "$SRV_PID" "$ROOT"
sleep 0.5
kill -9 "$c" "$PROXY_PID"
wait "$c" "$PROXY_PID" 2>/dev/null
expect_true "the cut upload is counted as truncated" wait_until 10 bash -c \
	'exec 3<>/dev/tcp/127.0.0.1/'"$MPORT"'; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; grep -q "^ferryd_requests_total{op=\"put\",result=\"truncated\"} 1" <&3'
expect_true "the sweep reports it held" wait_until 10 bash -c \
	'exec 3<>/dev/tcp/127.0.0.1/'"$MPORT"'; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; grep -q "^ferryd_held_parts 1$" <&3'
scrape
expect_true "held bytes are counted" test "$(v ferryd_held_part_bytes)" -gt 0
expect_true "and expire after --partial-ttl" wait_until 20 bash -c \
	'exec 3<>/dev/tcp/127.0.0.1/'"$MPORT"'; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; grep -q "^ferryd_held_parts 0$" <&3'
rm -f "$T/big"

# ---- reloads --------------------------------------------------------------
B=$N
kill -HUP "$SRV_PID"
wait_until 10 grep -q 'SIGHUP: reloaded' "$SRV_LOG"
scrape
moved $B 'ferryd_config_reloads_total{result="ok"}' 1 "a reload is counted"
"$PROMTOOL" check metrics <"$M" >/dev/null 2>&1
expect_eq 0 "$?" "promtool check metrics at the end"
server_alive
finish
