#!/usr/bin/env bash
# t_sslscan.sh - an outside scanner's view of ferryd's TLS policy (sslscan,
# a Debian package tools/test.sh installs): nothing below the minimum
# version, only ECDHE + AEAD suites for TLS 1.2, no renegotiation, no
# heartbleed; by default TLS 1.3 only.
source "$(dirname "$0")/lib.sh" "$@"

command -v sslscan >/dev/null 2>&1 || skip "sslscan is not installed (tools/test.sh installs it)"
make_pki
S=$T/scan.out
scan() {
	timeout 180 sslscan --no-colour --no-groups --certs="$CLI_CRT" --pk="$CLI_KEY" \
		"127.0.0.1:$PORT" >"$S" 2>&1
}

start_server
scan
expect_grep '^TLSv1\.3 +enabled' "$S" "default: TLS 1.3 enabled"
for v in 'SSLv2' 'SSLv3' 'TLSv1\.0' 'TLSv1\.1' 'TLSv1\.2'; do
	expect_grep "^$v +disabled" "$S" "default: $v disabled"
done
expect_no_grep '^(Preferred|Accepted) +TLSv1\.[0-2]' "$S" "default: no suite below TLS 1.3 accepted"
stop_server "$SRV_PID"

start_server --tls-min 1.2
scan
sed -n '/Supported Server Cipher/,/^$/p' "$S" | sed 's/^/  scan: /'
expect_grep '^TLSv1\.2 +enabled' "$S" "--tls-min 1.2: TLS 1.2 enabled"
for v in 'SSLv2' 'SSLv3' 'TLSv1\.0' 'TLSv1\.1'; do
	expect_grep "^$v +disabled" "$S" "--tls-min 1.2: $v disabled"
done
expect_grep '^(Preferred|Accepted) +TLSv1\.2 .*ECDHE-.*-GCM-' "$S" "--tls-min 1.2: ECDHE + AES-GCM accepted"
# every TLS 1.2 suite accepted must be on the ECDHE + AEAD allowlist
grep -E '^(Preferred|Accepted) +TLSv1\.2 ' "$S" |
	grep -Ev ' ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305) ' >"$T/weak" || true
expect_eq "" "$(cat "$T/weak")" "--tls-min 1.2: no suite outside ECDHE + AEAD (no CBC, RSA kx, SHA-1 MAC, RC4, DES, NULL)"
expect_grep 'Session renegotiation not supported' "$S" "no renegotiation"
expect_no_grep '^TLSv1\.[0-3] vulnerable to heartbleed' "$S" "not vulnerable to heartbleed"
expect_no_grep 'Compression enabled' "$S" "no TLS compression"
server_alive "ferryd survives the scan"
expect_exit 0 ferry_c whoami
stop_server "$SRV_PID"
finish
