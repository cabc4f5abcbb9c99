# lib.sh - shared helpers of the end-to-end tests (sourced, never run).
#
# Usage in a test:   source "$(dirname "$0")/lib.sh" "$@"
# with $1 the build directory holding ferryd, ferry and tests/fr_probe.
#
# It gives every test a private temporary directory ($T, removed on exit;
# FERRY_TEST_KEEP=1 keeps a failed test's and prints where it is),
# certificates made at test time (good ones with tools/ferry-certs, bad ones
# with openssl), servers on ephemeral loopback ports that are stopped and
# checked at exit, a client wrapper, assertions, and the closing
# "N passed, N failed" line.  Every wait is bounded.

set -u
set -o pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
	echo "usage: bash ${0##*/} BUILD_DIR" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRYD=$BUILD/ferryd
FERRY=$BUILD/ferry
FERRY_CERTS=$SRC/tools/ferry-certs
PROBE=
for p in "$BUILD/tests/fr_probe" "$BUILD/fr_probe"; do
	[[ -x $p ]] && PROBE=$p && break
done
FAULTPROXY=
for p in "$BUILD/tests/faultproxy" "$BUILD/faultproxy"; do
	[[ -x $p ]] && FAULTPROXY=$p && break
done
for b in "$FERRYD" "$FERRY"; do
	if [[ ! -x $b ]]; then
		echo "missing $b (build first)" >&2
		exit 1
	fi
done

# The client must never pick these up from the caller's environment.
unset FERRY_SERVER FERRY_CA FERRY_CERT FERRY_KEY

PASS=0
FAIL=0
FINISHED=
SERVER_PIDS=()
declare -A SERVER_LOG=()
T=$(mktemp -d "${TMPDIR:-/tmp}/ferry-e2e.XXXXXX")
# ferryd in a test never reads the machine's own /etc/ferry/ferryd.conf:
# $FERRYD is a wrapper that gives it an empty --config first (a --config of
# the test comes later and wins).  $FERRYD_BIN is the binary itself.
FERRYD_BIN=$FERRYD
mkdir -p "$T/etc"
: >"$T/etc/empty.conf"
printf '#!/bin/sh\nexec "%s" --config "%s" "$@"\n' "$FERRYD_BIN" "$T/etc/empty.conf" >"$T/etc/ferryd"
chmod +x "$T/etc/ferryd"
FERRYD=$T/etc/ferryd
OUT=$T/out # stdout of the last checked command
ERR=$T/err # stderr of the last checked command

# ---- reporting ---------------------------------------------------------

pass() {
	PASS=$((PASS + 1))
	printf 'ok   %s\n' "$*"
}

fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s\n' "$*"
}

# Show the captured output of the last command (after a failure).
show_last() {
	if [[ -s $OUT ]]; then
		echo "  --- stdout:"
		head -c 2000 "$OUT" | sed 's/^/  | /'
	fi
	if [[ -s $ERR ]]; then
		echo "  --- stderr:"
		head -c 2000 "$ERR" | sed 's/^/  | /'
	fi
}

# skip REASON: this test cannot run here at all: say why and exit 77, the
# code ctest counts as skipped (SKIP_RETURN_CODE), never as passed.
# tools/test.sh fails the run when a test skips (see its header).
skip() {
	echo "SKIP ${0##*/}: $*"
	FINISHED=1
	exit 77
}

# unavailable WHAT: one part of this test cannot run here (no IPv6 on lo,
# not root, no Landlock).  Said once; with FERRY_TEST_REQUIRE_ALL=1 (set by
# tools/test.sh, where everything must run) it is a failure instead.
unavailable() {
	if [[ ${FERRY_TEST_REQUIRE_ALL:-} == 1 ]]; then
		fail "must run here (FERRY_TEST_REQUIRE_ALL=1) but cannot: $*"
	else
		echo "SKIP (part of ${0##*/}): $*"
	fi
}

# expect_exit CODE CMD...: run CMD (stdout to $OUT, stderr to $ERR) and
# check its exit status.
expect_exit() {
	local want=$1 rc
	shift
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [[ $rc == "$want" ]]; then
		pass "exit $want: $*"
		return 0
	fi
	fail "exit $rc, wanted $want: $*"
	show_last
	return 1
}

# expect_eq WANT GOT DESC
expect_eq() {
	if [[ $1 == "$2" ]]; then
		pass "$3"
		return 0
	fi
	fail "$3: wanted '$1', got '$2'"
	return 1
}

# expect_grep PATTERN FILE DESC   (extended regex)
expect_grep() {
	if grep -Eq -- "$1" "$2"; then
		pass "$3"
		return 0
	fi
	fail "$3: /$1/ not in $(basename "$2")"
	tail -c 2000 "$2" | sed 's/^/  | /'
	return 1
}

# expect_no_grep PATTERN FILE DESC
expect_no_grep() {
	if ! grep -Eq -- "$1" "$2"; then
		pass "$3"
		return 0
	fi
	fail "$3: /$1/ found in $(basename "$2")"
	grep -E -- "$1" "$2" | head -5 | sed 's/^/  | /'
	return 1
}

# expect_true DESC CMD...: CMD must succeed (output discarded).
expect_true() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		pass "$desc"
		return 0
	fi
	fail "$desc"
	return 1
}

# expect_one_line FILE DESC: FILE holds exactly one non-empty line.
expect_one_line() {
	local n
	n=$(grep -c . "$1")
	if [[ $n == 1 ]]; then
		pass "$2"
		return 0
	fi
	fail "$2: $n lines"
	head -c 2000 "$1" | sed 's/^/  | /'
	return 1
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# json_ok FILE: every non-empty line of FILE is one JSON object.
json_ok() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    if line.strip():
        o = json.loads(line)
        assert isinstance(o, dict), line
        n += 1
assert n > 0
' "$1" 2>/dev/null
	else
		grep -q . "$1" && ! grep -Ev '^\{.*\}$' "$1" | grep -q .
	fi
}

# json_field FILE KEY: the value of KEY in the first line of FILE.
json_field() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        v = json.loads(line).get(sys.argv[2])
        print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))
        break
' "$1" "$2" 2>/dev/null
	else
		sed -n "1s/.*\"$2\":\\(\"\\([^\"]*\\)\"\\|\\([^,}]*\\)\\).*/\\2\\3/p" "$1"
	fi
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# ---- certificates ------------------------------------------------------

# make_pki: a CA, a server certificate for localhost/127.0.0.1/::1 and a
# client "alice" in $T/pki; the same names as variables.
make_pki() {
	PKI=$T/pki
	"$FERRY_CERTS" ca "$PKI" >/dev/null &&
		"$FERRY_CERTS" server "$PKI" localhost 127.0.0.1 ::1 >/dev/null &&
		"$FERRY_CERTS" client "$PKI" alice >/dev/null || {
		echo "ferry-certs failed" >&2
		exit 1
	}
	CA=$PKI/ca.crt
	SRV_CRT=$PKI/localhost.crt
	SRV_KEY=$PKI/localhost.key
	CLI_CRT=$PKI/alice.crt
	CLI_KEY=$PKI/alice.key
}

# make_dated_cert KIND NAME START END: a certificate signed by $PKI's CA
# with a chosen validity window (YYYYMMDDHHMMSSZ), made with `openssl ca`
# because `openssl x509` of OpenSSL 3.0 cannot set notBefore.  KIND is
# server or client.  Writes $PKI/NAME.crt and $PKI/NAME.key.
make_dated_cert() {
	local kind=$1 name=$2 start=$3 end=$4 db=$T/cadb.$2 eku san=""
	mkdir -p "$db"
	: >"$db/index.txt"
	openssl rand -hex 16 >"$db/serial"
	if [[ $kind == server ]]; then
		eku=serverAuth
		san="subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1"
	else
		eku=clientAuth
	fi
	cat >"$db/ca.cnf" <<EOF
[ ca ]
default_ca = tca
[ tca ]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = pol
unique_subject = no
[ pol ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = $name
[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $eku
$san
EOF
	(
		umask 077
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$PKI/$name.key" &&
			openssl req -new -key "$PKI/$name.key" -config "$db/ca.cnf" \
				-out "$db/req.csr" &&
			openssl ca -batch -notext -config "$db/ca.cnf" \
				-cert "$PKI/ca.crt" -keyfile "$PKI/ca.key" \
				-in "$db/req.csr" -out "$PKI/$name.crt" \
				-startdate "$start" -enddate "$end" \
				-extfile "$db/ca.cnf" -extensions ext
	) >"$db/log" 2>&1 || {
		echo "making the $name certificate failed:" >&2
		cat "$db/log" >&2
		exit 1
	}
}

# make_cn_cert FILE CN: a client certificate of $PKI's CA whose subject CN
# is exactly CN (any bytes openssl takes: '/', "..", control characters),
# as $PKI/FILE.crt and $PKI/FILE.key (mode 0600).
make_cn_cert() {
	local file=$1 cn=$2 subj
	# openssl -subj: '/' separates RDNs, so escape it (and '\' first)
	subj=${cn//\\/\\\\}
	subj=${subj//\//\\/}
	(
		umask 077
		printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\n' >"$T/cn.ext"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$PKI/$file.key" &&
			openssl req -new -key "$PKI/$file.key" -subj "/CN=$subj" \
				-out "$T/cn.csr" &&
			openssl x509 -req -in "$T/cn.csr" -CA "$PKI/ca.crt" \
				-CAkey "$PKI/ca.key" -CAcreateserial -days 2 -sha256 \
				-extfile "$T/cn.ext" -out "$PKI/$file.crt"
	) >"$T/cn.log" 2>&1 || {
		echo "making a certificate with CN '$cn' failed:" >&2
		cat "$T/cn.log" >&2
		exit 1
	}
}

# make_crl DIR OUT [CERT...]: a CRL signed by DIR's CA (DIR/ca.crt,
# DIR/ca.key) revoking each CERT (none: an empty CRL), valid for a day,
# written to OUT (PEM).
make_crl() {
	local dir=$1 out=$2 db
	shift 2
	db=$(mktemp -d "$T/crldb.XXXXXX")
	: >"$db/index.txt"
	echo 01 >"$db/crlnumber"
	cat >"$db/ca.cnf" <<EOC
[ ca ]
default_ca = tca
[ tca ]
database = $db/index.txt
crlnumber = $db/crlnumber
default_md = sha256
default_crl_days = 1
EOC
	(
		for c in "$@"; do
			openssl ca -batch -config "$db/ca.cnf" -cert "$dir/ca.crt" \
				-keyfile "$dir/ca.key" -revoke "$c" || exit 1
		done
		openssl ca -batch -config "$db/ca.cnf" -cert "$dir/ca.crt" \
			-keyfile "$dir/ca.key" -gencrl -out "$out"
	) >"$db/log" 2>&1 || {
		echo "making a CRL failed:" >&2
		cat "$db/log" >&2
		exit 1
	}
}

# spki_pin CERT: base64 SHA-256 of CERT's SubjectPublicKeyInfo.
spki_pin() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | base64
}

# make_bad_certs: deliberately bad certificates for the TLS tests.
#   $PKI2/ca.crt, $PKI2/mallory.{crt,key}: another CA and a client of it
#   $PKI2/localhost.{crt,key}: a server certificate from the other CA
#   $PKI/wrongname.{crt,key}: server certificate for other.example only
#   $PKI/expired.{crt,key} (client), $PKI/future.{crt,key} (client)
#   $PKI/expired-srv.{crt,key} (server)
make_bad_certs() {
	PKI2=$T/pki2
	"$FERRY_CERTS" ca "$PKI2" >/dev/null &&
		"$FERRY_CERTS" client "$PKI2" mallory >/dev/null &&
		"$FERRY_CERTS" server "$PKI2" localhost 127.0.0.1 ::1 >/dev/null &&
		"$FERRY_CERTS" server "$PKI" wrongname other.example >/dev/null || {
		echo "ferry-certs failed" >&2
		exit 1
	}
	make_dated_cert client expired 20200101000000Z 20200201000000Z
	make_dated_cert client future 20990101000000Z 20990201000000Z
	make_dated_cert server expired-srv 20200101000000Z 20200201000000Z
}

# ---- servers -----------------------------------------------------------

# start_server [FERRYD FLAGS...]: start ferryd on 127.0.0.1:0 (unless a
# --listen is given) with the good
# server certificate and root $ROOT (made if missing) unless the flags say
# otherwise; wait (bounded) for its port file.  Sets PORT, SRV (the -s
# value), SRV_PID and SRV_LOG.  Must run in the test's own shell (not in
# $(...)) so that the server is our child and `wait` sees its status.
SERVER_N=0
start_server() {
	SERVER_N=$((SERVER_N + 1))
	local pf=$T/port.$SERVER_N
	local -a base=(--port-file "$pf")
	local a have_root= have_cert= have_key= have_ca= have_listen=
	for a in "$@"; do
		case $a in
		--listen) have_listen=1 ;;
		--root) have_root=1 ;;
		--cert) have_cert=1 ;;
		--key) have_key=1 ;;
		--ca) have_ca=1 ;;
		esac
	done
	: "${ROOT:=$T/root}"
	mkdir -p "$ROOT"
	[[ -n $have_listen ]] || base+=(--listen 127.0.0.1:0)
	[[ -n $have_root ]] || base+=(--root "$ROOT")
	[[ -n $have_cert ]] || base+=(--cert "$SRV_CRT")
	[[ -n $have_key ]] || base+=(--key "$SRV_KEY")
	[[ -n $have_ca ]] || base+=(--ca "$CA")
	SRV_LOG=$T/ferryd.$SERVER_N.log
	"$FERRYD" "${base[@]}" --threads 4 "$@" >"$SRV_LOG" 2>&1 &
	SRV_PID=$!
	SERVER_PIDS+=("$SRV_PID")
	SERVER_LOG[$SRV_PID]=$SRV_LOG
	local deadline=$((SECONDS + 20))
	while [[ ! -s $pf ]] || ! grep -Eq '^[0-9]+$' "$pf"; do
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			wait "$SRV_PID"
			fail "ferryd exited with $? before listening: ${base[*]} $*"
			sed 's/^/  | /' "$SRV_LOG" | head -30
			unset 'SERVER_LOG[$SRV_PID]'
			finish
		fi
		if ((SECONDS >= deadline)); then
			fail "ferryd wrote no port file within 20 s"
			finish
		fi
		sleep 0.05
	done
	PORT=$(<"$pf")
	SRV=127.0.0.1:$PORT
}

# SANITIZER_RE: the first line of a sanitizer report in a log.
SANITIZER_RE='ERROR: (Address|Leak|Thread|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: .*Sanitizer'

# stop_server PID: SIGTERM, bounded wait (then SIGKILL), and check that it
# exited 0 (or by our signal) with a clean log.
stop_server() {
	local pid=$1 rc i log=${SERVER_LOG[$1]:-}
	[[ -n $log ]] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "ferryd (pid $pid) did not stop within 30 s of SIGTERM"
	else
		wait "$pid"
		rc=$?
		if [[ $rc == 0 || $rc == 143 ]]; then
			pass "ferryd (pid $pid) stopped on SIGTERM (exit $rc)"
		else
			fail "ferryd (pid $pid) exited with $rc after SIGTERM"
			tail -20 "$log" | sed 's/^/  | /'
		fi
	fi
	sanitizer_scan "$log"
	unset 'SERVER_LOG[$pid]'
}

# sanitizer_scan LOG: fail with the report when a ferryd log holds one;
# each log is scanned once (stop_server, then finish for the logs of
# servers a test stopped or watched die itself).
declare -A SCANNED=()
sanitizer_scan() {
	local log=$1
	[[ -f $log && -z ${SCANNED[$log]:-} ]] || return 0
	SCANNED[$log]=1
	if grep -Eq "$SANITIZER_RE" "$log"; then
		fail "sanitizer report in the ferryd log ($log)"
		grep -E -A40 "$SANITIZER_RE" "$log" | head -80 | sed 's/^/  | /'
	fi
}

# server_alive DESC: the current server still runs.
server_alive() {
	if kill -0 "$SRV_PID" 2>/dev/null; then
		pass "${1:-ferryd still running}"
	else
		fail "${1:-ferryd still running}: it died"
		tail -20 "$SRV_LOG" | sed 's/^/  | /'
	fi
}

# ---- clients -----------------------------------------------------------

# ferry_c ARGS...: the client against the current server as alice, bounded
# in time.  FERRY_TIMEOUT overrides the 120 s bound.
ferry_c() {
	timeout -k 5 "${FERRY_TIMEOUT:-120}" \
		"$FERRY" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" "$@"
}

# ferry_exec ARGS...: like ferry_c but replaces the calling (sub)shell, so
# that `ferry_exec ... &` makes $! the client itself (to kill it).
ferry_exec() {
	exec "$FERRY" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" "$@"
}

# probe_exec ARGS...: fr_probe replacing the calling (sub)shell (for &).
probe_exec() {
	exec "$PROBE" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" "$@"
}

# probe [FR_PROBE FLAGS...] < script: the raw client against the current
# server as alice.
probe() {
	[[ -n $PROBE ]] || {
		echo "fr_probe is not built" >&2
		return 2
	}
	timeout -k 5 "${PROBE_TIMEOUT:-60}" \
		"$PROBE" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" "$@"
}

# numbered PREFIX: sets NUMBERED to PREFIX.N, N counting up over the whole
# test, so no name is used twice (with $RANDOM a repeated number once made
# a test read a killed proxy's port file).  Not in $(...): the count
# must stay in the test's shell.
NUMBERED_N=0
numbered() {
	NUMBERED_N=$((NUMBERED_N + 1))
	NUMBERED=$1.$NUMBERED_N
}

# start_proxy ARGS...: tests/tools/faultproxy in front of the current
# server ($SRV); sets PROXY (HOST:PORT) and PROXY_PID.  Bounded: it exits
# by itself after --max-seconds (default 120).
start_proxy() {
	numbered "$T/proxy.port"
	local pf=$NUMBERED
	"$FAULTPROXY" --to "$SRV" --port-file "$pf" "$@" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	wait_until 10 test -s "$pf" || { fail "faultproxy did not start"; finish; }
	PROXY=127.0.0.1:$(<"$pf")
}

# ferry_p ARGS...: ferry_c through the proxy.
ferry_p() {
	timeout -k 5 "${FERRY_TIMEOUT:-120}" \
		"$FERRY" -s "$PROXY" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" "$@"
}

# ---- the end -----------------------------------------------------------

# finish: stop the servers, print the summary, exit 0 only if all passed.
finish() {
	local pid log
	FINISHED=1
	for pid in "${!SERVER_LOG[@]}"; do
		stop_server "$pid"
	done
	for log in "$T"/ferryd.*.log; do
		sanitizer_scan "$log"
	done
	if ((PASS + FAIL == 0)); then
		fail "no checks ran"
	fi
	echo "$PASS passed, $FAIL failed"
	((FAIL == 0)) && exit 0
	exit 1
}

on_exit() {
	local rc=$? pid
	if [[ -z $FINISHED ]]; then
		echo "FAIL test script aborted (exit $rc) before finishing"
		for pid in "${!SERVER_LOG[@]}"; do
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		done
		echo "$PASS passed, $((FAIL + 1)) failed"
		rc=1
	fi
	# Leftover children (clients a test put in the background).
	jobs -p | xargs -r kill -KILL 2>/dev/null
	if [[ $rc != 0 && -n ${FERRY_TEST_KEEP:-} ]]; then
		echo "kept the failed test's directory: $T"
	else
		rm -rf -- "$T"
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM
