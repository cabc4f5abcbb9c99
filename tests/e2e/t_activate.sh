#!/usr/bin/env bash
# t_activate.sh - systemd socket activation (dist/ferryd.socket): ferryd
# serves on the listening sockets it is passed (LISTEN_FDS, LISTEN_PID,
# fds 3, 4, ...) and ignores --listen; sockets meant for another process
# are not taken; a passed fd that is not a listening TCP socket stops it at
# start with one line.  tests/e2e/activate.py plays systemd's part.
source "$(dirname "$0")/lib.sh" "$@"
ACT=$(dirname "$0")/activate.py
command -v python3 >/dev/null || skip "python3 is not installed (tools/test.sh installs it)"
make_pki
W=$T/work
mkdir -p "$W"
head -c 300000 /dev/urandom >"$W/f.bin"

# ---- two sockets passed: both served, --listen ignored ------------------
v6=
python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && v6='[::1]:0'
REAL_FERRYD=$FERRYD
FERRYD_ACT=$T/ferryd-activated
printf '#!/bin/sh\nexec python3 "%s" --ports "%s" 127.0.0.1:0 %s -- "%s" "$@"\n' \
	"$ACT" "$T/ports" "${v6:-127.0.0.1:0}" "$REAL_FERRYD" >"$FERRYD_ACT"
chmod +x "$FERRYD_ACT"
FERRYD=$FERRYD_ACT
start_server
FERRYD=$REAL_FERRYD
mapfile -t P <"$T/ports"
expect_eq "${P[0]}" "$PORT" "the port file names the first passed socket"
expect_grep 'listening on fd 3 from the service manager \(socket activation\); --listen ignored' "$SRV_LOG" "fd 3 is taken, and the log says --listen is ignored"
expect_grep 'listening on fd 4 from the service manager' "$SRV_LOG" "fd 4 too"
expect_no_grep 'listening on 127\.0\.0\.1:0' "$SRV_LOG" "ferryd bound nothing of its own"
expect_exit 0 ferry_c put "$W/f.bin" act/f.bin
expect_exit 0 ferry_c get act/f.bin "$W/f.back"
expect_true "the file came back whole through the first socket" cmp "$W/f.bin" "$W/f.back"
second=127.0.0.1:${P[1]}
[[ -n $v6 ]] && second=[::1]:${P[1]}
expect_exit 0 ferry_c -s "$second" whoami
expect_grep '^identity: alice' "$OUT" "the second socket (${v6:+IPv6 }$second) is served too"
stop_server "$SRV_PID"

# ---- sockets meant for another process: not taken ------------------------
printf '#!/bin/sh\nexec python3 "%s" --foreign-pid 127.0.0.1:0 -- "%s" "$@"\n' \
	"$ACT" "$REAL_FERRYD" >"$FERRYD_ACT"
FERRYD=$FERRYD_ACT
start_server
FERRYD=$REAL_FERRYD
expect_no_grep 'socket activation' "$SRV_LOG" "LISTEN_PID of another process: no socket taken"
expect_grep 'listening on 127\.0\.0\.1:0 \(port [0-9]+\)' "$SRV_LOG" "ferryd binds --listen itself"
expect_exit 0 ferry_c whoami
stop_server "$SRV_PID"

# ---- fd 3 is not a socket: refused at start, in one line -----------------
mkdir -p "$T/root"
expect_exit 2 python3 "$ACT" --not-a-socket "$W/f.bin" 127.0.0.1:0 -- \
	"$REAL_FERRYD" --root "$T/root" --cert "$SRV_CRT" --key "$SRV_KEY" --ca "$CA"
expect_grep '^ferryd: socket activation: fd 3 is not a socket: check the \.socket unit$' "$ERR" "a file as fd 3: exit 2 naming the fd and what to check"
finish
