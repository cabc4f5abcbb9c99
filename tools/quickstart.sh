#!/usr/bin/env bash
# quickstart.sh - ferry in five minutes on this machine.
#
# Installs missing Debian packages (as root), builds into build/, makes
# development certificates under certs/dev/ (a CA, a server certificate for
# localhost / 127.0.0.1 / ::1 and a client "dev"; reused when present),
# starts ferryd on 127.0.0.1:9533 serving tmp/quickstart-root/, uploads and
# downloads a sample file showing both SHA-256 lines, prints the commands
# to try from another terminal, and keeps the server in the foreground
# (Ctrl-C stops it).  Safe to run again.
#
#   tools/quickstart.sh           the tour, then serve until Ctrl-C
#   tools/quickstart.sh --check   the tour, then stop (a smoke test)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ADDR=127.0.0.1
PORT=9533
CERTS=$ROOT/certs/dev
SERVE_DIR=$ROOT/tmp/quickstart-root
WORK=$ROOT/tmp/quickstart
PACKAGES=(build-essential cmake pkg-config libssl-dev libcjson-dev libcmocka-dev openssl ca-certificates
	libinih-dev libmicrohttpd-dev libedit-dev scdoc)
check_only=
case ${1:-} in
--check) check_only=1 ;;
"") ;;
-h | --help)
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() {
	printf '$ %s\n' "$*"
	"$@"
}

# ---- 1. packages ---------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
	step "installing ${missing[*]}"
	if [[ $(id -u) != 0 ]]; then
		echo "missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- 2. build ------------------------------------------------------------
step "building into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
FERRYD=$ROOT/build/ferryd
FERRY=$ROOT/build/ferry

# ---- 3. certificates -----------------------------------------------------
step "development certificates in certs/dev/ (git-ignored)"
[[ -e $CERTS/ca.key ]] || tools/ferry-certs ca "$CERTS"
[[ -e $CERTS/localhost.key ]] || tools/ferry-certs server "$CERTS" localhost 127.0.0.1 ::1
[[ -e $CERTS/dev.key ]] || tools/ferry-certs client "$CERTS" dev
ls -l "$CERTS"

# ---- 4. server -----------------------------------------------------------
if (exec 3<>"/dev/tcp/$ADDR/$PORT") 2>/dev/null; then
	echo "something already listens on $ADDR:$PORT (another quickstart?); stop it first" >&2
	exit 1
fi
mkdir -p "$SERVE_DIR" "$WORK"
rm -f "$WORK/port"
step "starting ferryd on $ADDR:$PORT serving tmp/quickstart-root/"
SERVER_CMD=("$FERRYD" --root "$SERVE_DIR" --cert "$CERTS/localhost.crt"
	--key "$CERTS/localhost.key" --ca "$CERTS/ca.crt"
	--listen "$ADDR:$PORT" --port-file "$WORK/port")
printf '$ %s\n' "${SERVER_CMD[*]#$ROOT/}"
"${SERVER_CMD[@]}" &
server=$!
stop_server() {
	kill -TERM "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
for ((i = 0; i < 100; i++)); do
	[[ -s $WORK/port ]] && break
	kill -0 "$server" 2>/dev/null || {
		echo "ferryd did not start (see above)" >&2
		exit 1
	}
	sleep 0.1
done
[[ -s $WORK/port ]] || {
	echo "ferryd did not start listening within 10 s" >&2
	exit 1
}

# ---- 5. a round trip -----------------------------------------------------
export FERRY_SERVER=localhost:$PORT
export FERRY_CA=$CERTS/ca.crt FERRY_CERT=$CERTS/dev.crt FERRY_KEY=$CERTS/dev.key
sample=$WORK/sample.bin
back=$WORK/sample.back.bin
{
	echo "ferry quickstart sample, $(date -u +%FT%TZ)"
	head -c 1048576 /dev/urandom
} >"$sample"
rm -f "$back"
cd "$WORK"
step "uploading and downloading a 1 MiB sample"
show sha256sum sample.bin
show "$FERRY" put --overwrite sample.bin quickstart/
show "$FERRY" get --overwrite quickstart/sample.bin sample.back.bin
show sha256sum sample.back.bin
show "$FERRY" ls quickstart
show "$FERRY" whoami
if [[ $(sha256sum <sample.bin) != "$(sha256sum <sample.back.bin)" ]]; then
	echo "the round trip changed the file!" >&2
	exit 1
fi
cd "$ROOT"

if [[ -n $check_only ]]; then
	step "quickstart check passed"
	exit 0
fi

# ---- 6. keep serving -----------------------------------------------------
cat <<EOF

$(printf '\033[1m')ferryd is running in the foreground; Ctrl-C stops it.$(printf '\033[0m')
From another terminal:

  export PATH="$ROOT/build:\$PATH"
  export FERRY_SERVER=$FERRY_SERVER
  export FERRY_CA=$FERRY_CA
  export FERRY_CERT=$FERRY_CERT
  export FERRY_KEY=$FERRY_KEY

  ferry whoami
  ferry put README.md docs/             # prints "SHA256  docs/README.md"
  ferry ls docs
  ferry get docs/README.md /tmp/        # prints "SHA256  /tmp/README.md"
  ferry sum docs/README.md              # the server's SHA-256
  ferry stat docs/README.md
  ferry rm docs/README.md
  ferry help put

Files land in tmp/quickstart-root/.  Server log lines follow.


EOF
trap - EXIT
# Ctrl-C reaches only this script (background jobs of a script ignore
# SIGINT), so pass it on as SIGTERM: ferryd finishes transfers and exits 0.
trap 'kill -TERM "$server" 2>/dev/null' INT TERM
rc=0
while kill -0 "$server" 2>/dev/null; do
	wait "$server" && rc=0 || rc=$?
done
echo "ferryd stopped (exit $rc)"
# 143 is ferryd's status when SIGTERM killed it before its handler ran.
[[ $rc == 0 || $rc == 143 ]]
