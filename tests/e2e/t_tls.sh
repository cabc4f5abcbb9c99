#!/usr/bin/env bash
# t_tls.sh - mutual TLS refusals and what the server tolerates: a client
# without a certificate, with one from another CA, expired or not yet valid;
# a server certificate from another CA, for another name, or expired; all
# refused with exit 3 and one line on stderr.  A plaintext client is
# disconnected and the server keeps serving.  ALPN and TLS version rules
# are checked with openssl s_client, and so are the TLS 1.2 policy (no
# SHA-1 signatures, tickets, compression or renegotiation), revocation
# (--crl on both sides), key pinning (--pin-sha256) and key files open to
# others (refused unless --allow-open-key).
source "$(dirname "$0")/lib.sh" "$@"

make_pki
make_bad_certs
start_server
GOOD_SRV=$SRV
GOOD_PORT=$PORT
GOOD_PID=$SRV_PID
GOOD_LOG=$SRV_LOG

# refused DESC ARGS...: ferry ARGS whoami exits 3 with one line on stderr
# that matches $WHY.
refused() {
	local desc=$1
	shift
	expect_exit 3 timeout 60 "$FERRY" "$@" whoami || return
	expect_one_line "$ERR" "$desc: one line on stderr"
	expect_grep "$WHY" "$ERR" "$desc: the message says why"
	expect_eq "" "$(cat "$OUT")" "$desc: nothing on stdout"
}

# Sanity: the good certificates work, by IP and by name.
expect_exit 0 ferry_c whoami
expect_grep alice "$OUT" "good client certificate accepted"
expect_exit 0 timeout 60 "$FERRY" -s "localhost:$PORT" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" whoami

# ---- the client's certificate ------------------------------------------
WHY='cert|certificate|handshake|alert|TLS'
refused "no client certificate" -s "$SRV" --ca "$CA"
refused "client certificate from another CA" -s "$SRV" --ca "$CA" \
	--cert "$PKI2/mallory.crt" --key "$PKI2/mallory.key"
refused "expired client certificate" -s "$SRV" --ca "$CA" \
	--cert "$PKI/expired.crt" --key "$PKI/expired.key"
refused "not yet valid client certificate" -s "$SRV" --ca "$CA" \
	--cert "$PKI/future.crt" --key "$PKI/future.key"
# A server certificate is not a client certificate (no clientAuth EKU).
refused "server certificate used as a client certificate" -s "$SRV" --ca "$CA" \
	--cert "$SRV_CRT" --key "$SRV_KEY"
# The refusal is at the TLS layer: the server never served a request for
# them.  Its log must not show mallory as an identity.
expect_no_grep 'mallory' "$SRV_LOG" "no request was served for mallory"

# ---- the server's certificate ------------------------------------------
WHY='trust|verif|issuer|--ca|certificate'
refused "server not trusted (client has another CA)" -s "$SRV" --ca "$PKI2/ca.crt" \
	--cert "$CLI_CRT" --key "$CLI_KEY"
expect_grep '--ca' "$ERR" "untrusted server: the message points at --ca"

start_server --cert "$PKI2/localhost.crt" --key "$PKI2/localhost.key"
refused "server certificate from another CA" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY"
stop_server "$SRV_PID"

start_server --cert "$PKI/expired-srv.crt" --key "$PKI/expired-srv.key"
WHY='expire|certificate|verif'
refused "expired server certificate" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY"
stop_server "$SRV_PID"

start_server --cert "$PKI/wrongname.crt" --key "$PKI/wrongname.key"
WHY='name|match|host|address|IP|certificate'
refused "server certificate for another name (-s 127.0.0.1)" -s "$SRV" --ca "$CA" \
	--cert "$CLI_CRT" --key "$CLI_KEY"
refused "server certificate for another name (-s localhost)" -s "localhost:$PORT" --ca "$CA" \
	--cert "$CLI_CRT" --key "$CLI_KEY"
stop_server "$SRV_PID"

# A server that is not there is a connection failure: exit 3 too.
expect_exit 3 timeout 60 "$FERRY" -s "127.0.0.1:1" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" whoami
expect_one_line "$ERR" "connection refused: one line on stderr"
expect_true "ferryd refuses to start with a missing certificate" \
	bash -c '! timeout 10 "$1" --root "$2" --cert /nonexistent --key "$3" --ca "$4" --listen 127.0.0.1:0' \
	_ "$FERRYD" "$T/root" "$SRV_KEY" "$CA"

# ---- plaintext and other junk ------------------------------------------
SRV=$GOOD_SRV
PORT=$GOOD_PORT
SRV_PID=$GOOD_PID
SRV_LOG=$GOOD_LOG
# plain FORMAT: send printf FORMAT's bytes (NULs allowed) in the clear.
plain() {
	local fd rc
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || return 2
	# The server may hang up before we are done writing: no SIGPIPE for
	# the test shell (only this subshell ignores it).
	# shellcheck disable=SC2059
	(
		trap '' PIPE
		printf "$1" >&"$fd"
	) 2>/dev/null
	# EOF or a reset (the server hung up on unread bytes) both count;
	# still open after 15 s does not.
	timeout 15 cat <&"$fd" >/dev/null 2>&1
	rc=$?
	exec {fd}>&-
	[[ $rc != 124 ]]
}
t0=$SECONDS
expect_true "a plaintext HTTP request is disconnected" plain 'GET / HTTP/1.0\r\n\r\n'
expect_true "a plaintext ferry frame is disconnected" plain '\0\0\0\x0e{"op":"hello"}'
expect_true "random bytes are disconnected" plain "X$(head -c 600 /dev/urandom | od -An -v -tx1 | tr -d ' \n' | sed 's/../\\x&/g')"
# Not by the handshake timeout (10 s): a non-TLS first byte ends it at once.
((SECONDS - t0 < 8)) && pass "plaintext clients are dropped at once" ||
	fail "dropping three plaintext clients took $((SECONDS - t0)) s"
server_alive "ferryd survives plaintext clients"
expect_exit 0 ferry_c whoami

# ---- ALPN and protocol versions (openssl s_client by hand) ----------------
HELLO='\0\0\0\x0e{"op":"hello"}' # a printf format: 14 bytes of JSON
s_client() {
	(
		# shellcheck disable=SC2059
		printf "$HELLO"
		sleep 1
	) | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -verify_return_error \
		-CAfile "$CA" -cert "$CLI_CRT" -key "$CLI_KEY" -servername localhost "$@" 2>&1
}
s_client >"$T/s.out"
expect_grep '"status":"ok"' "$T/s.out" "openssl s_client without ALPN is served"
s_client -alpn ferry/1 >"$T/s.out"
expect_grep '"status":"ok"' "$T/s.out" "s_client offering ferry/1 is served"
expect_grep 'ALPN protocol: ferry/1' "$T/s.out" "ALPN ferry/1 is selected"
s_client -alpn h2,http/1.1 >"$T/s.out"
expect_no_grep '"status":"ok"' "$T/s.out" "s_client offering only other ALPN protocols is refused"
s_client -tls1_2 >"$T/s.out"
expect_no_grep '"status":"ok"' "$T/s.out" "TLS 1.2 is refused by default"
# No resumption: every connection proves its client certificate again.
timeout 60 openssl s_client -connect "127.0.0.1:$PORT" -reconnect -CAfile "$CA" \
	-cert "$CLI_CRT" -key "$CLI_KEY" -servername localhost </dev/null >"$T/s.out" 2>&1
expect_no_grep '^Reused' "$T/s.out" "a reconnecting client never resumes a session"
expect_grep '^New, TLSv1\.3' "$T/s.out" "each reconnect is a full handshake"
s_client -cert "$PKI2/mallory.crt" -key "$PKI2/mallory.key" >"$T/s.out"
expect_no_grep '"status":"ok"' "$T/s.out" "s_client with a foreign certificate is refused"
stop_server "$SRV_PID"

start_server --tls-min 1.2
s_client -tls1_2 >"$T/s.out"
expect_grep '"status":"ok"' "$T/s.out" "--tls-min 1.2 allows TLS 1.2"
s_client -tls1_2 -cipher AES128-SHA >"$T/s.out"
expect_no_grep '"status":"ok"' "$T/s.out" "--tls-min 1.2 still refuses CBC / RSA key exchange"
s_client -tls1_2 -sigalgs ECDSA+SHA1:RSA+SHA1 >"$T/s.out"
expect_no_grep '"status":"ok"' "$T/s.out" "--tls-min 1.2 refuses a client offering only SHA-1 signatures"
s_client -tls1_2 -sess_out "$T/sess.pem" >"$T/s.out"
expect_no_grep 'TLS session ticket:' "$T/s.out" "TLS 1.2: no session ticket is issued"
expect_grep 'Compression: NONE' "$T/s.out" "TLS 1.2: no compression"
# renegotiation: s_client renegotiates on a line holding "R"
(printf 'R\n'; sleep 2) | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 \
	-CAfile "$CA" -cert "$CLI_CRT" -key "$CLI_KEY" -servername localhost >"$T/s.out" 2>&1
expect_grep 'error:.*no renegotiation' "$T/s.out" \
	"TLS 1.2: renegotiation is refused"
expect_grep 'handshake failed: peer=127\.0\.0\.1:[0-9]+: ' "$SRV_LOG" "each refused handshake is logged with the peer address"
stop_server "$SRV_PID"

# ---- revocation (--crl) ---------------------------------------------------
"$FERRY_CERTS" client "$PKI" bob >/dev/null || exit 1
make_crl "$PKI" "$T/revoked-bob.crl" "$PKI/bob.crt"
make_crl "$PKI" "$T/empty.crl"
make_crl "$PKI" "$T/revoked-srv.crl" "$SRV_CRT"
make_crl "$PKI2" "$T/pki2.crl"
start_server --crl "$T/revoked-bob.crl"
expect_exit 0 ferry_c whoami
WHY='revoked.*--cert'
refused "revoked client certificate" -s "$SRV" --ca "$CA" --cert "$PKI/bob.crt" --key "$PKI/bob.key"
expect_grep 'handshake failed: peer=127\.0\.0\.1:[0-9]+: .*revoked' "$SRV_LOG" "the server logs the revoked client with its address"
expect_no_grep 'id=bob' "$SRV_LOG" "no request was served for the revoked client"
stop_server "$SRV_PID"
expect_exit 2 timeout 20 "$FERRYD" --root "$T/root" --cert "$SRV_CRT" --key "$SRV_KEY" \
	--ca "$CA" --listen 127.0.0.1:0 --crl "$CA"
expect_grep 'CRL' "$ERR" "ferryd refuses a --crl file that holds no CRL"

SRV=$GOOD_SRV
start_server --crl "$T/empty.crl"
expect_exit 0 timeout 60 "$FERRY" -s "$SRV" --ca "$CA" --cert "$PKI/bob.crt" --key "$PKI/bob.key" \
	--crl "$T/empty.crl" whoami
WHY='revoked.*--crl'
refused "client --crl: revoked server certificate" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" \
	--key "$CLI_KEY" --crl "$T/revoked-srv.crl"
WHY='CRL.*--crl'
refused "client --crl of another CA: no CRL for the server's issuer" -s "$SRV" --ca "$CA" \
	--cert "$CLI_CRT" --key "$CLI_KEY" --crl "$T/pki2.crl"

# ---- key pinning (--pin-sha256) --------------------------------------------
PIN=$(spki_pin "$SRV_CRT")
expect_exit 0 ferry_c --pin-sha256 "$PIN" whoami
WHY='pin.*--pin-sha256'
refused "a valid chain with another key than the pinned one" -s "$SRV" --ca "$CA" \
	--cert "$CLI_CRT" --key "$CLI_KEY" --pin-sha256 "$(spki_pin "$PKI2/localhost.crt")"
expect_grep "${PIN//+/\\+}" "$ERR" "the pin mismatch names the server's actual pin"
for bad in 'abc' "${PIN%=}" "$PIN$PIN" '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!='; do
	expect_exit 2 ferry_c --pin-sha256 "$bad" whoami
	expect_grep 'pin-sha256' "$ERR" "malformed pin '$bad' is a usage error"
done
stop_server "$SRV_PID"

# ---- private keys open to others ------------------------------------------
cp "$CLI_KEY" "$T/open-cli.key"
chmod 644 "$T/open-cli.key"
expect_exit 2 ferry_c --key "$T/open-cli.key" whoami
expect_grep 'chmod 600.*--allow-open-key' "$ERR" "ferry refuses a world-readable key, saying what to do"
cp "$SRV_KEY" "$T/open-srv.key"
chmod 640 "$T/open-srv.key"
expect_exit 2 timeout 20 "$FERRYD" --root "$T/root" --cert "$SRV_CRT" --key "$T/open-srv.key" \
	--ca "$CA" --listen 127.0.0.1:0
expect_grep 'chmod 600.*--allow-open-key' "$ERR" "ferryd refuses a group-readable key"
start_server --key "$T/open-srv.key" --allow-open-key
expect_exit 0 timeout 60 "$FERRY" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$T/open-cli.key" \
	--allow-open-key whoami
stop_server "$SRV_PID"

finish
