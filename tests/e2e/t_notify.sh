#!/usr/bin/env bash
# t_notify.sh - ferryd speaks systemd's notification protocol (Type=notify)
# to a socket the test owns (tests/tools/notify_sink): READY=1 once it
# listens, RELOADING=1 with MONOTONIC_USEC and then READY=1 around a SIGHUP
# (a failed reload too), STOPPING=1 when it drains; an unusable
# NOTIFY_SOCKET is logged and ferryd serves anyway.  The sink stamps each
# datagram with its arrival on CLOCK_MONOTONIC (" @MONO=USEC").
source "$(dirname "$0")/lib.sh" "$@"
SINK=
for p in "$BUILD/tests/notify_sink" "$BUILD/notify_sink"; do
	[[ -x $p ]] && SINK=$p && break
done
[[ -n $SINK ]] || { fail "notify_sink not built"; finish; }

make_pki
N=$T/notify.log
: >"$N"
"$SINK" --socket "$T/notify.sock" --out "$N" --max-seconds 120 &
sink=$!
expect_true "the test's notify socket is up" wait_until 10 test -S "$T/notify.sock"

CONF=$T/conf/ferryd.conf
mkdir -p "$T/conf"
printf 'idle-timeout = 60\n' >"$CONF"
export NOTIFY_SOCKET=$T/notify.sock
start_server --config "$CONF"
unset NOTIFY_SOCKET
expect_true "READY=1 arrives" wait_until 10 grep -q '^READY=1' "$N"
expect_grep '^READY=1 STATUS=serving .* on port '"$PORT"' @MONO' "$N" "READY=1 carries a STATUS with the port"
expect_exit 0 ferry_c whoami
expect_eq 1 "$(grep -c . "$N")" "one datagram so far"
expect_grep 'systemd notifications to ' "$SRV_LOG" "ferryd logs where it notifies"

# a reload: RELOADING=1 with the monotonic clock, then READY=1
kill -HUP "$SRV_PID"
expect_true "READY=1 again after SIGHUP" wait_until 10 bash -c '(( $(grep -c "^READY=1" "$1") == 2 ))' _ "$N"
expect_grep '^RELOADING=1 MONOTONIC_USEC=[0-9]+ ' "$N" "RELOADING=1 with MONOTONIC_USEC"
usec=$(sed -nE 's/^RELOADING=1 MONOTONIC_USEC=([0-9]+) .*/\1/p' "$N" | head -1)
now=$(sed -nE 's/^RELOADING=1 .* @MONO=([0-9]+)$/\1/p' "$N" | head -1)
expect_true "MONOTONIC_USEC is CLOCK_MONOTONIC of the moment it was sent (within 5 s)" \
	test $((now - usec)) -lt 5000000 -a $((now - usec)) -ge 0
expect_eq "RELOADING READY" "$(sed -n '2,3p' "$N" | cut -d= -f1 | xargs)" "RELOADING=1 comes before READY=1"

# a failed reload still ends in READY=1, with a status that says so
printf 'idle-timeout = soon\n' >"$CONF"
kill -HUP "$SRV_PID"
expect_true "READY=1 after a failed reload" wait_until 10 bash -c '(( $(grep -c "^READY=1" "$1") == 3 ))' _ "$N"
expect_grep '^READY=1 STATUS=serving \(last reload failed' "$N" "its STATUS says the reload failed"
expect_grep 'reload failed.*ferryd.conf:1: idle-timeout' "$SRV_LOG" "and the log says where"
expect_exit 0 ferry_c whoami

# drain: STOPPING=1
stop_server "$SRV_PID"
expect_true "STOPPING=1 when draining" wait_until 10 grep -q '^STOPPING=1' "$N"
expect_eq STOPPING "$(tail -1 "$N" | cut -d= -f1)" "STOPPING=1 is the last word"

# no socket there, or a relative name: logged, and ferryd serves anyway
export NOTIFY_SOCKET=$T/nobody-listens.sock
start_server
unset NOTIFY_SOCKET
expect_grep 'NOTIFY_SOCKET .*nobody-listens.sock.*no notifications' "$SRV_LOG" "a dead NOTIFY_SOCKET is logged"
expect_exit 0 ferry_c whoami
stop_server "$SRV_PID"
export NOTIFY_SOCKET=relative.sock
start_server
unset NOTIFY_SOCKET
expect_grep "NOTIFY_SOCKET 'relative.sock': not an absolute path" "$SRV_LOG" "a relative NOTIFY_SOCKET is refused"
expect_exit 0 ferry_c whoami
stop_server "$SRV_PID"

kill "$sink" 2>/dev/null
wait "$sink" 2>/dev/null
finish
