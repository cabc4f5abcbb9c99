#!/usr/bin/env bash
# bench.sh - ferry against raw TLS, scp and curl + nginx, on loopback.
#
#   tools/bench.sh [--size SIZE] [--runs N] [--quick] [--out FILE]
#                  [--build DIR] [--disk DIR] [--only sum]
#
# One command: installs what it needs (apt-get, as root), builds ferry if
# the build directory has no binaries, starts every peer itself on loopback
# ports with throwaway keys and certificates (ferryd, openssl s_server, a
# private sshd, nginx), stops each by its pid and removes everything it made.
# Every throughput case moves the same file (default 1 GiB of random bytes,
# page cache warm); each case is run --runs times (default 3), interleaved,
# and the median is reported with its ratio to the raw-TLS reference of the
# same run.  The table and the machine facts go to docs/BENCHMARKS.md (or
# --out FILE).  --quick: 8 MiB, 1 run, small scale counts, nothing written
# unless --out is given; tools/test.sh runs it so the script never rots.
# --only sum: just the SHA-256 part (tools/bench_sum.sh: ferry sum cached
# and not, against sha256sum), printed, written only with --out.
# The parts it sources: bench_sum.sh (SHA-256 cache), bench_trees.sh (trees,
# latency, -j, tree memory), bench_server.sh (concurrency, memory per
# connection, handshakes, ciphers).
#
# It times, it does not judge: no case fails for being slow, only for being
# broken (a peer that does not start, bytes that do not arrive intact).
# Destinations live on tmpfs (/dev/shm) except the on-disk row (--disk DIR,
# default /var/tmp).  Timings on a loaded machine are noisy: compare ratios
# within one run, not numbers across runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=1G
RUNS=3
QUICK=0
OUT=
BUILD=
DISK=/var/tmp
ONLY=

usage() {
	sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

while (($#)); do
	case $1 in
	--size) SIZE=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--out) OUT=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--disk) DISK=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	-h | --help) usage 0 ;;
	*) echo "bench.sh: unknown argument '$1'" >&2; usage ;;
	esac
done

# Scale counts: full and quick.
if ((QUICK)); then
	[[ $SIZE == 1G ]] && SIZE=8M
	RUNS=1
	N_SMALL=100 N_MED=10 N_DELAY=20 N_IDLE=200 HS_SECS=1
	N_PAR=8 PAR_MIB=1 N_MEM=1000
	CONC=(1 4 16)
else
	N_SMALL=2000 N_MED=200 N_DELAY=200 N_IDLE=10000 HS_SECS=5
	N_PAR=64 PAR_MIB=16 N_MEM=100000
	CONC=(1 4 16 64)
	[[ -z $OUT && -z $ONLY ]] && OUT=$ROOT/docs/BENCHMARKS.md
fi
[[ -z $ONLY || $ONLY == sum ]] || { echo "bench.sh: --only takes 'sum'" >&2; exit 2; }
DELAY_MS=10 # one way: 20 ms round trip

to_bytes() {
	local v=${1^^} m=1
	case $v in
	*K) m=1024; v=${v%K} ;;
	*M) m=$((1024 * 1024)); v=${v%M} ;;
	*G) m=$((1024 * 1024 * 1024)); v=${v%G} ;;
	esac
	[[ $v =~ ^[0-9]+$ ]] || { echo "bench.sh: bad size '$1'" >&2; exit 2; }
	echo $((v * m))
}
BYTES=$(to_bytes "$SIZE")
((BYTES >= 65536)) || { echo "bench.sh: --size must be >= 64K" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: bad --runs" >&2; exit 2; }

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

# ---- packages and build --------------------------------------------------

PACKAGES=(build-essential cmake pkg-config libssl-dev libcjson-dev
	libcmocka-dev openssl ca-certificates openssh-server openssh-client
	nginx curl)
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) == 0 ]]; then
		say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	else
		say "missing packages (${missing[*]}): cases needing them are skipped (run as root to install)"
	fi
fi
HAVE_SSH=0 HAVE_NGINX=0
if [[ -z $ONLY ]]; then
	[[ -x /usr/sbin/sshd ]] && command -v scp >/dev/null && HAVE_SSH=1
	command -v nginx >/dev/null && command -v curl >/dev/null && HAVE_NGINX=1
fi

if [[ -z $BUILD ]]; then
	BUILD=$ROOT/build
fi
if [[ ! -x $BUILD/ferryd || ! -x $BUILD/ferry || ! -x $BUILD/tests/fr_probe ||
	! -x $BUILD/tests/fr_delay ]]; then
	say "building ferry in $BUILD"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DFERRY_TESTS=ON >/dev/null
	cmake --build "$BUILD" -j "$(nproc)" >/dev/null
fi
FERRYD=$BUILD/ferryd
FERRY_BIN=$BUILD/ferry
PROBE=$BUILD/tests/fr_probe
DELAY=$BUILD/tests/fr_delay

# ---- scratch space, peers, cleanup ---------------------------------------

T=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")  # source files (disk)
S=$(mktemp -d /dev/shm/ferry-bench.XXXXXX)            # tmpfs destinations
D=$(mktemp -d "$DISK/ferry-bench-disk.XXXXXX")        # on-disk row
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	exec 9>&- 2>/dev/null || true
	rm -rf "$T" "$S" "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop PID: stop one peer we started, and forget it
stop() {
	local p=$1 i keep=()
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for i in "${PIDS[@]}"; do
		[[ $i == "$p" ]] || keep+=("$i")
	done
	PIDS=("${keep[@]}")
}


free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		listening "$p" || { echo "$p"; return; }
	done
}

# listening() never connects: s_server -naccept 1 would take a probe for
# its one client.
listening() {
	grep -qi ":$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp
}

wait_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		listening "$1" && return 0
		sleep 0.05
	done
	die "$2 did not start listening on port $1 (see $3)"
}

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.4f", b - a }'; }

# ---- the file and the certificates ---------------------------------------

say "making a $BYTES-byte random file"
SRC=$T/file.bin
head -c "$BYTES" /dev/urandom >"$SRC"
cat "$SRC" >/dev/null # page cache warm
SRC_SHA=$(sha256sum "$SRC" | cut -d' ' -f1)

C=$T/certs
mkdir -p "$C"
"$ROOT/tools/ferry-certs" ca "$C" >/dev/null
"$ROOT/tools/ferry-certs" server "$C" localhost 127.0.0.1 >/dev/null
"$ROOT/tools/ferry-certs" client "$C" bench >/dev/null
SCRT=$C/localhost.crt SKEY=$C/localhost.key CA=$C/ca.crt
CCRT=$C/bench.crt CKEY=$C/bench.key
SUITE=TLS_AES_128_GCM_SHA256

# ferryd ROOTDIR LOG [EXTRA ARGS]: start one; sets FPORT and FPID
start_ferryd() {
	local root=$1 log=$2
	shift 2
	rm -f "$T/port"
	"$FERRYD" --root "$root" --cert "$SCRT" --key "$SKEY" --ca "$CA" \
		--listen 127.0.0.1:0 --port-file "$T/port" "$@" 2>"$log" &
	FPID=$!
	PIDS+=("$FPID")
	local i
	for ((i = 0; i < 200; i++)); do
		[[ -s $T/port ]] && break
		sleep 0.05
	done
	[[ -s $T/port ]] || die "ferryd did not start (see $log)"
	FPORT=$(cat "$T/port")
}

FROOT=$S/ferry-root
mkdir -p "$FROOT" "$D/ferry-root" "$S/dl"
start_ferryd "$FROOT" "$T/ferryd.log"
FERRYD_MAIN=$FPID
FPORT_MAIN=$FPORT
FERRY=("$FERRY_BIN" -s "127.0.0.1:$FPORT" --ca "$CA" --cert "$CCRT" --key "$CKEY")
start_ferryd "$D/ferry-root" "$T/ferryd-disk.log"
FERRY_DISK=("$FERRY_BIN" -s "127.0.0.1:$FPORT" --ca "$CA" --cert "$CCRT" --key "$CKEY")
start_ferryd "$FROOT" "$T/ferryd-lat.log"
LAT_FPORT=$FPORT
LAT_PID=$FPID

# the held-open stdin of s_server: never at EOF, never blocking
mkfifo "$T/hold"
exec 9<>"$T/hold"

if ((HAVE_SSH)); then
	say "starting a private sshd"
	K=$T/ssh
	mkdir -p "$K"
	ssh-keygen -q -t ed25519 -N '' -f "$K/host" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$K/user" >/dev/null
	cp "$K/user.pub" "$K/authorized_keys"
	chmod 700 "$K"
	SSH_PORT=$(free_port)
	cat >"$K/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $K/host
PidFile $K/sshd.pid
AuthorizedKeysFile $K/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
Subsystem sftp internal-sftp
LogLevel ERROR
MaxStartups 100
MaxSessions 100
EOF
	[[ $(id -u) == 0 ]] && mkdir -p /run/sshd
	/usr/sbin/sshd -D -e -f "$K/sshd_config" 2>"$K/log" &
	PIDS+=($!)
	wait_port "$SSH_PORT" sshd "$K/log"
	SSH_OPTS=(-i "$K/user" -o StrictHostKeyChecking=no
		-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR
		-o Compression=no -c aes128-gcm@openssh.com)
	SSH=(ssh "${SSH_OPTS[@]}" -p "$SSH_PORT" 127.0.0.1)
	SCP=(scp -q "${SSH_OPTS[@]}" -P "$SSH_PORT")
	"${SSH[@]}" true || die "cannot log in to the private sshd (see $K/log)"
fi

if ((HAVE_NGINX)); then
	say "starting nginx"
	N=$T/nginx
	mkdir -p "$N" "$S/www" "$S/www-tmp"
	chmod 1777 "$S/www" "$S/www-tmp"
	NGINX_PORT=$(free_port)
	user_line=
	[[ $(id -u) == 0 ]] && user_line="user root;"
	cat >"$N/nginx.conf" <<EOF
$user_line
worker_processes auto;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $S/www-tmp;
    sendfile on;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $SCRT;
        ssl_certificate_key $SKEY;
        ssl_client_certificate $CA;
        ssl_verify_client on;
        ssl_protocols TLSv1.3;
        root $S/www;
        client_max_body_size 0;
        location / {
            dav_methods PUT;
            create_full_put_path on;
        }
    }
}
EOF
	nginx -e "$N/error.log" -p "$N" -c "$N/nginx.conf" -g 'daemon off;' &
	PIDS+=($!)
	wait_port "$NGINX_PORT" nginx "$N/error.log"
	CURL=(curl -sS --fail --cacert "$CA" --cert "$CCRT" --key "$CKEY"
		--tls13-ciphers "$SUITE")
	NGINX_URL=https://127.0.0.1:$NGINX_PORT
	cp "$SRC" "$S/www/file.bin"
fi

# ---- the cases -----------------------------------------------------------
# Each case is a function that moves the bytes once and checks they arrived
# (size or hash); the loop times it.

check_size() {
	local got
	got=$(stat -c %s "$1")
	[[ $got == "$2" ]] || die "$3: $got bytes arrived, $2 expected"
}

check_sha() { # OUTPUT-LINE CASE
	[[ ${1%% *} == "$SRC_SHA" ]] || die "$2: wrong sha256 '${1%% *}'"
}

prep_raw_tls() {
	local port
	port=$(free_port)
	RAW_PORT=$port
	# s_server prints the decrypted bytes on stdout; -naccept 1 ends it
	# when the connection closes, so its byte count is what arrived.
	/usr/bin/time -f '%U %S' -o "$T/s.cpu" \
		openssl s_server -quiet -naccept 1 -accept "127.0.0.1:$port" \
		-cert "$SCRT" -key "$SKEY" -CAfile "$CA" -Verify 1 \
		-ciphersuites "$SUITE" <&9 2>"$T/s_server.log" |
		wc -c >"$T/raw.count" &
	RAW_PID=$!
	PIDS+=("$RAW_PID")
	wait_port "$port" "openssl s_server" "$T/s_server.log"
}

case_raw_tls() {
	local cnt=$T/raw.count spid=$RAW_PID
	/usr/bin/time -f '%U %S' -o "$T/c.cpu" openssl s_client -quiet -no_ign_eof -nocommands \
		-connect "127.0.0.1:$RAW_PORT" -cert "$CCRT" -key "$CKEY" \
		-CAfile "$CA" -ciphersuites "$SUITE" <"$SRC" >/dev/null \
		2>"$T/s_client.log"
	wait "$spid"
	stop "$spid"
	[[ $(<"$cnt") == "$BYTES" ]] ||
		die "raw TLS: $(<"$cnt") bytes arrived, $BYTES expected"
	LAST_CPU=$(cat "$T/c.cpu" "$T/s.cpu" | awk '{ s += $1 + $2 } END { printf "%.2f", s }')
}

# CPU seconds (user + system) of a ferry client and of the main ferryd:
# unlike wall time, hardly affected by other load on the machine.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CPU_PID= # the ferryd a case talks to (default: the main one)
ferry_cpu() { # CMD... (stdout kept); sets LAST_CPU
	local t0 c pid=${CPU_PID:-$FERRYD_MAIN}
	t0=$(ticks "$pid")
	/usr/bin/time -f '%U %S' -o "$T/c.cpu" "$@"
	c=$(awk '{ print $1 + $2 }' "$T/c.cpu")
	LAST_CPU=$(awk -v c="$c" -v a="$t0" -v b="$(ticks "$pid")" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", c + (b - a) / hz }')
}

case_ferry_put() {
	local o
	ferry_cpu "${FERRY[@]}" put --overwrite "$SRC" up.bin >"$T/o"
	o=$(<"$T/o")
	check_sha "$o" "ferry put"
}
post_ferry_put() { rm -f "$FROOT/up.bin"; }

case_ferry_get() {
	local o
	ferry_cpu "${FERRY[@]}" get --overwrite src.bin "$S/dl/src.bin" >"$T/o"
	o=$(<"$T/o")
	check_sha "$o" "ferry get"
}
post_ferry_get() { rm -f "$S/dl/src.bin"; }

case_ferry_put_disk() {
	local o
	o=$("${FERRY_DISK[@]}" put --overwrite "$SRC" up.bin)
	check_sha "$o" "ferry put (disk)"
}
post_ferry_put_disk() { rm -f "$D/ferry-root/up.bin"; sync; }

case_dd_fsync() {
	dd if="$SRC" of="$D/dd.bin" bs=1M conv=fsync status=none
	check_size "$D/dd.bin" "$BYTES" "dd"
}
post_dd_fsync() { rm -f "$D/dd.bin"; sync; }

case_scp_up() {
	"${SCP[@]}" "$SRC" "127.0.0.1:$S/scp-up.bin"
	check_size "$S/scp-up.bin" "$BYTES" "scp up"
}
post_scp_up() { rm -f "$S/scp-up.bin"; }

case_scp_down() {
	"${SCP[@]}" "127.0.0.1:$FROOT/src.bin" "$S/scp-down.bin"
	check_size "$S/scp-down.bin" "$BYTES" "scp down"
}
post_scp_down() { rm -f "$S/scp-down.bin"; }

case_scp_hashed() {
	local a b
	a=$(sha256sum "$SRC" | cut -d' ' -f1)
	"${SCP[@]}" "$SRC" "127.0.0.1:$S/scp-h.bin"
	b=$("${SSH[@]}" sha256sum "$S/scp-h.bin" | cut -d' ' -f1)
	[[ $a == "$b" ]] || die "sha256sum + scp: hashes differ"
}
post_scp_hashed() { rm -f "$S/scp-h.bin"; }

case_curl_put() {
	"${CURL[@]}" -T "$SRC" -o /dev/null "$NGINX_URL/up.bin"
	check_size "$S/www/up.bin" "$BYTES" "curl PUT"
}
post_curl_put() { rm -f "$S/www/up.bin"; }

case_curl_get() {
	"${CURL[@]}" -o "$S/curl-get.bin" "$NGINX_URL/file.bin"
	check_size "$S/curl-get.bin" "$BYTES" "curl GET"
}
post_curl_get() { rm -f "$S/curl-get.bin"; }

# ---- results --------------------------------------------------------------
declare -A TIMES=() LABEL=() DIR=() AMOUNT=() UNIT=() CPU=()
ORDER=()

# define NAME LABEL DIRECTION AMOUNT UNIT(MiB|files)
define() {
	ORDER+=("$1")
	LABEL[$1]=$2 DIR[$1]=$3 AMOUNT[$1]=$4 UNIT[$1]=$5
	TIMES[$1]=
}

# timed NAME CMD...: run CMD once, add its wall time to NAME; functions
# prep_NAME and post_NAME, if there are, run before and after, untimed
# (removing a 1 GiB file takes a tmpfs ~0.1 s: no case pays for that).
declare -A SCRATCH=() SCRATCH_DIR=()
timed() {
	local name=$1 t0
	shift
	if declare -F "prep_$name" >/dev/null; then "prep_$name"; fi
	# this VM takes back free pages after a few seconds and re-touching
	# them costs ~2.5 s/GiB: write and delete a scratch file of the
	# transfer's size on its file system right before timing it
	if [[ -n ${SCRATCH[$name]:-} ]]; then
		head -c "${SCRATCH[$name]}" /dev/zero >"${SCRATCH_DIR[$name]:-$S}/.scratch"
		rm -f "${SCRATCH_DIR[$name]:-$S}/.scratch"
	fi
	LAST_CPU=
	t0=$(now)
	"$@"
	TIMES[$name]+="$(elapsed "$t0") "
	[[ -z $LAST_CPU ]] || CPU[$name]+="$LAST_CPU "
	if declare -F "post_$name" >/dev/null; then "post_$name"; fi
}

median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '
		{ v[NR] = $1 }
		END { if (NR == 0) print "nan"
		      else if (NR % 2) print v[(NR + 1) / 2]
		      else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

MIB=$(awk -v b="$BYTES" 'BEGIN { printf "%.0f", b / 1048576 }')
MIBF=$(awk -v b="$BYTES" 'BEGIN { printf "%.3f", b / 1048576 }')

# machine: the facts every report ends with
machine() {
	echo "## Machine"
	echo
	echo "- $(nproc) cores: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "- CPU flags: $(grep -o -w -E 'aes|sha_ni|avx|avx2|avx512f|vaes|vpclmulqdq' /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo "- kernel $(uname -r); kernel TLS module: $([[ -d /sys/module/tls ]] && echo loaded || echo absent)"
	echo "- $(openssl version)$( ((HAVE_SSH)) && echo "; $(ssh -V 2>&1)")$( ((HAVE_NGINX)) && echo "; $(nginx -v 2>&1 | sed 's/^nginx version: //'); $(curl --version | head -1 | cut -d' ' -f1-2)")"
	[[ -n $ONLY ]] || echo "- negotiated: ferry $CIPHER_FERRY; raw TLS and curl/nginx forced to $SUITE${CIPHER_NGINX:+ (nginx: $CIPHER_NGINX)}; ssh aes128-gcm@openssh.com"
	echo "- sources on $(df --output=source "$T" | tail -1), tmpfs destinations in /dev/shm; $RUNS run(s), interleaved; $(date -u +%Y-%m-%d)"
}

# write_report TEXT: to stdout, and to $OUT when there is one
write_report() {
	echo "$1"
	if [[ -n $OUT ]]; then
		{
			echo "# ferry benchmarks"
			echo
			echo "Written by \`tools/bench.sh$([[ $SIZE != 1G ]] && echo " --size $SIZE")$([[ $RUNS != 3 ]] && echo " --runs $RUNS")$(((QUICK)) && echo " --quick")$([[ -n $ONLY ]] && echo " --only $ONLY")\`; see docs/PERFORMANCE.md for"
			echo "what the numbers mean and how they were reached.  Both ends of every"
			echo "transfer run on this machine, over loopback: the client and the server"
			echo "share its cores."
			echo
			echo "$1"
		} >"$OUT"
		say "wrote $OUT"
	fi
}

if [[ $ONLY == sum ]]; then
	# shellcheck source=tools/bench_sum.sh
	source "$ROOT/tools/bench_sum.sh"
	write_report "$(report_sum; echo; machine)"
	exit 0
fi

define raw_tls "openssl s_client -> s_server (raw TLS 1.3)" up "$MIBF" MiB
define ferry_put "ferry put (tmpfs root)" up "$MIBF" MiB
define ferry_get "ferry get (tmpfs root)" down "$MIBF" MiB
if ((HAVE_SSH)); then
	define scp_up "scp -c aes128-gcm" up "$MIBF" MiB
	define scp_down "scp -c aes128-gcm" down "$MIBF" MiB
	define scp_hashed "sha256sum + scp + ssh sha256sum" up "$MIBF" MiB
fi
if ((HAVE_NGINX)); then
	define curl_put "curl PUT -> nginx dav (mTLS)" up "$MIBF" MiB
	define curl_get "curl GET <- nginx (mTLS)" down "$MIBF" MiB
fi
define ferry_put_disk "ferry put (root on disk, fsync)" up "$MIBF" MiB
define dd_fsync "dd bs=1M conv=fsync (same disk)" local "$MIBF" MiB

cp "$SRC" "$FROOT/src.bin"
for name in "${ORDER[@]}"; do
	SCRATCH[$name]=$BYTES
done
SCRATCH_DIR[ferry_put_disk]=$D SCRATCH_DIR[dd_fsync]=$D

say "throughput: $MIB MiB x $RUNS runs, interleaved"
for ((run = 1; run <= RUNS; run++)); do
	for name in "${ORDER[@]}"; do
		sync # nothing of the previous case left to write back
		timed "$name" "case_$name"
	done
	say "run $run/$RUNS done"
done

# ---- the SHA-256 cache: ferry sum against sha256sum (tools/bench_sum.sh) --

# shellcheck source=tools/bench_sum.sh
source "$ROOT/tools/bench_sum.sh"

# ---- scale: trees, latency, -j, memory (tools/bench_trees.sh) -------------

# shellcheck source=tools/bench_trees.sh
source "$ROOT/tools/bench_trees.sh"

# ---- concurrency, memory, handshakes, ciphers (tools/bench_server.sh) ----

# shellcheck source=tools/bench_server.sh
source "$ROOT/tools/bench_server.sh"

# ---- the report ----------------------------------------------------------

REF=$(median "${TIMES[raw_tls]}")
report() {
	local name m rate ratio n
	echo "## Throughput: one $MIB MiB file, median of $RUNS run(s)"
	echo
	echo "| tool | direction | median s | MiB/s | vs raw TLS | CPU s, both ends |"
	echo "|---|---|---:|---:|---:|---:|"
	for name in "${ORDER[@]}"; do
		m=$(median "${TIMES[$name]}")
		rate=$(awk -v a="${AMOUNT[$name]}" -v t="$m" 'BEGIN { printf "%.0f", a / t }')
		ratio=$(awk -v r="$REF" -v t="$m" 'BEGIN { printf "%.2f", r / t }')
		echo "| ${LABEL[$name]} | ${DIR[$name]} | $m | $rate | $ratio | $([[ -n ${CPU[$name]:-} ]] && median "${CPU[$name]}" || echo -) |"
	done
	echo
	echo "CPU s: user + system seconds of the client and the server processes"
	echo "(median), measured where both are ours to watch; on a loaded machine it"
	echo "shows the cost of a transfer better than its wall time."
	echo
	m=$(median "${TIMES[ferry_put_disk]}")
	n=$(median "${TIMES[dd_fsync]}")
	echo "On disk ($DISK): ferry put takes $(awk -v a="$m" -v b="$n" 'BEGIN { printf "%.2f", a / b }') x the time of dd conv=fsync."
	echo
	report_sum
	echo
	report_trees
	echo
	report_server
	echo
	echo "## Targets (issues 5 and 8), from this run"
	echo
	echo "| target | goal | measured | met |"
	echo "|---|---|---:|---|"
	local put get disk sm64 sm1 smf sms hs
	put=$(awk -v r="$REF" -v t="$(median "${TIMES[ferry_put]}")" 'BEGIN { printf "%.2f", r / t }')
	get=$(awk -v r="$REF" -v t="$(median "${TIMES[ferry_get]}")" 'BEGIN { printf "%.2f", r / t }')
	disk=$(awk -v a="$(median "${TIMES[ferry_put_disk]}")" -v b="$(median "${TIMES[dd_fsync]}")" 'BEGIN { printf "%.2f", a / b }')
	met() { awk -v v="$1" -v g="$3" "BEGIN { exit !(v $2 g) }" && echo yes || echo no; }
	echo "| ferry put vs raw TLS (tmpfs) | >= 0.9 | $put | $(met "$put" '>=' 0.9) |"
	echo "| ferry get vs raw TLS (tmpfs) | >= 0.9 | $get | $(met "$get" '>=' 0.9) |"
	echo "| ferry put on disk vs dd conv=fsync (time) | <= 1.15 | $disk | $(met "$disk" '<=' 1.15) |"
	local r
	for name in delay_put delay_get delay_named; do
		r=$(target_rate "$name")
		echo "| ${LABEL[$name]}, $N_DELAY x 4 KiB at 20 ms RTT, files/s | >= 400 | $r | $(met "$r" '>=' 400) |"
	done
	if ((HAVE_SSH)); then
		sm1=$(target_ratio small_put small_scp_up)
		echo "| $N_SMALL x 4 KiB put -r files/s vs scp -r | >= 3 | $sm1 | $(met "$sm1" '>=' 3) |"
		r=$(target_ratio small_put small_tar_up)
		echo "| $N_SMALL x 4 KiB put -r files/s vs tar \\| ssh | >= 1.5 | $r | $(met "$r" '>=' 1.5) |"
		r=$(target_ratio small_get small_tar_down)
		echo "| $N_SMALL x 4 KiB get -r files/s vs ssh tar \\| tar | >= 1.5 | $r | $(met "$r" '>=' 1.5) |"
		for name in delay_put delay_get; do
			r=$(target_ratio "$name" "$([[ $name == delay_put ]] && echo delay_tar_up || echo delay_tar_down)")
			echo "| ${LABEL[$name]} at 20 ms RTT vs tar over ssh (same RTT, files/s) | report | $r | - |"
		done
	fi
	echo "| ferry put 1 GiB vs raw TLS (engine cost on big files) | >= 1.0 | $put | $(met "$put" '>=' 1.0) |"
	echo "| ferry get 1 GiB vs raw TLS (engine cost on big files) | >= 1.0 | $get | $(met "$get" '>=' 1.0) |"
	local last=${CONC[${#CONC[@]} - 1]}
	sm64=$(awk -v o="$(median "${CONC_T[1]}")" -v t="$(median "${CONC_T[$last]}")" 'BEGIN { printf "%.2f", o / t }')
	echo "| $last clients aggregate vs 1 client | >= 0.9 | $sm64 | $(met "$sm64" '>=' 0.9) |"
	hs=$(awk -v a="$HS_FERRY_M" -v b="$HS_REF_M" 'BEGIN { printf "%.2f", a / b }')
	echo "| handshakes/s vs openssl s_time -new on s_server | >= 0.8 | $hs | $(met "$hs" '>=' 0.8) |"
	echo "| KiB per idle connection | <= 64 | $IDLE_KIB | $(met "$IDLE_KIB" '<=' 64) |"
	echo "| peak RSS of either side, MiB ($MIB MiB moved; flat in size) | <= 32 | $((RSS_MAX / 1024)) | $(met "$((RSS_MAX / 1024))" '<=' 32) |"
	echo
	machine
}

write_report "$(report)"
