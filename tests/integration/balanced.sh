# balanced.sh - the scenario of issue 11 behind HAProxy, sourced by
# t_haproxy.sh (one shared local root) and t_gluster.sh (two FUSE mounts of
# one GlusterFS volume); never run alone.
#
# Needs from the caller: lib.sh sourced, make_pki done, ROOT_A and ROOT_B
# (the roots of the two instances: one directory, or two mounts of one
# file system), and a function `same_root PATH` that prints PATH as seen in
# ROOT_A (the check reads files there).
#
# HAProxy 2.6 (mode tcp, balance leastconn, send-proxy-v2, health checks,
# connecting to ferryd from 127.0.0.2 so the balancer's address differs
# from the clients' 127.0.0.1) in front of two ferryd instances, each
# trusting only --proxy-protocol-from 127.0.0.2/32.  Then: 32 clients put
# and get through it, every file verifies, the logs name the clients'
# addresses; one instance is killed with kill -9 mid-upload and
# `ferry put --retries 5` finishes on the other by resuming the held part
# (offset > 0 in its log); the killed instance, restarted, is taken back by
# the health check.  Prints "info:" lines with the figures.

CLIENTS=32
FILE_MIB=8
W=$T/work
mkdir -p "$W"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- two instances ----------------------------------------------------------
# start_instance N ROOT PORT: ferryd number N on 127.0.0.1:PORT (0: any);
# sets PORT_N, PID_N, LOG_N.
start_instance() {
	local n=$1 root=$2 port=$3
	ROOT=$root start_server --root "$root" --listen "127.0.0.1:$port" --threads 2 \
		--proxy-protocol-from 127.0.0.2/32 --partial-ttl 3600
	printf -v "PORT_$n" %s "$PORT"
	printf -v "PID_$n" %s "$SRV_PID"
	printf -v "LOG_$n" %s "$SRV_LOG"
}
start_instance 1 "$ROOT_A" 0
start_instance 2 "$ROOT_B" 0
grep -h 'file system of --root' "$LOG_1" "$LOG_2" | sed 's/^[^ ]* info /info: probe: /' | sort -u

# ---- HAProxy -------------------------------------------------------------
HPORT=$(free_port)
HCFG=$T/haproxy.cfg
HLOG=$T/haproxy.log
HSOCK=$T/haproxy.sock
cat >"$HCFG" <<EOF
# the configuration docs/SCALING.md shows (ports and paths aside)
global
    log stderr format raw local0 info
    maxconn 4096
    stats socket $HSOCK mode 600 level admin

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 2s
    timeout client 5m
    timeout server 5m
    retries 3
    option redispatch

frontend ferry
    bind 127.0.0.1:$HPORT
    default_backend ferryd

backend ferryd
    balance leastconn
    default-server send-proxy-v2 check inter 500ms fall 2 rise 2 source 127.0.0.2
    server f1 127.0.0.1:$PORT_1
    server f2 127.0.0.1:$PORT_2
EOF
haproxy -c -f "$HCFG" >"$T/haproxy.check" 2>&1 || {
	fail "haproxy rejects the configuration"
	sed 's/^/  | /' "$T/haproxy.check"
	finish
}
haproxy -db -f "$HCFG" >"$HLOG" 2>&1 &
HPID=$!
stop_haproxy() {
	[[ -n ${HPID:-} ]] || return 0
	kill -TERM "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	HPID=
}

# state NAME: the health state HAProxy reports for server NAME (UP, DOWN...)
state() {
	python3 - "$HSOCK" "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
for line in data.decode().splitlines():
    f = line.split(",")
    if len(f) > 17 and f[0] == "ferryd" and f[1] == sys.argv[2]:
        print(f[17].split()[0])
PY
}
is_up() { [[ $(state "$1") == UP ]]; }
is_down() { [[ $(state "$1") == DOWN ]]; }
expect_true "HAProxy sees f1 up (health check through send-proxy-v2)" wait_until 20 is_up f1
expect_true "HAProxy sees f2 up" wait_until 10 is_up f2

# ferry_h ARGS...: the client through the balancer
ferry_h() {
	timeout -k 5 "${FERRY_TIMEOUT:-300}" \
		"$FERRY" -s "127.0.0.1:$HPORT" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" "$@"
}

# ---- 32 clients -----------------------------------------------------------
for ((i = 0; i < CLIENTS; i++)); do head -c $((FILE_MIB << 20)) /dev/urandom >"$W/f$i"; done
# the VM takes back free pages: touch the transfer's size once, untimed
head -c $((CLIENTS * FILE_MIB << 20)) /dev/zero >"$W/scratch" && rm -f "$W/scratch"
# many put|get: every client at once; prints how many failed
many() {
	local i p bad=0 pids=()
	for ((i = 0; i < CLIENTS; i++)); do
		if [[ $1 == put ]]; then
			ferry_h put "$W/f$i" "many/f$i"
		else
			ferry_h get "many/f$i" "$W/g$i"
		fi >"$W/$1$i.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	echo "$bad"
}
t0=$(date +%s.%N)
bad=$(many put)
t1=$(date +%s.%N)
expect_eq 0 "$bad" "$CLIENTS clients put a $FILE_MIB MiB file each through HAProxy"
bad=$(many get)
t2=$(date +%s.%N)
expect_eq 0 "$bad" "$CLIENTS clients get them back"
mism=0
for ((i = 0; i < CLIENTS; i++)); do
	[[ $(sha "$W/f$i") == "$(sha "$W/g$i")" && $(sha "$W/f$i") == "$(sha "$(same_root "many/f$i")")" ]] ||
		mism=$((mism + 1))
done
expect_eq 0 "$mism" "every file verifies: sent, stored and fetched bytes agree"
puts1=$(grep -c 'op=put path=many/.* result=ok' "$LOG_1")
puts2=$(grep -c 'op=put path=many/.* result=ok' "$LOG_2")
gets1=$(grep -c 'op=get path=many/.* result=ok' "$LOG_1")
gets2=$(grep -c 'op=get path=many/.* result=ok' "$LOG_2")
expect_eq $((2 * CLIENTS)) $((puts1 + puts2 + gets1 + gets2)) "the instances logged every transfer once"
if ((puts1 > 0 && puts2 > 0 && gets1 > 0 && gets2 > 0)); then
	pass "leastconn spread the load: puts $puts1/$puts2, gets $gets1/$gets2"
else
	fail "one instance got nothing: puts $puts1/$puts2, gets $gets1/$gets2"
fi
awk -v n=$CLIENTS -v m=$FILE_MIB -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	printf "info: balanced run: %d files of %d MiB: put %.2f s (%.1f MiB/s), get %.2f s (%.1f MiB/s)\n",
		n, m, b - a, n * m / (b - a), c - b, n * m / (c - b) }'
echo "info: per-instance split: f1 put $puts1 get $gets1, f2 put $puts2 get $gets2"
expect_no_grep 'peer=127\.0\.0\.2' "$LOG_1" "f1 logs no request from HAProxy's address"
expect_no_grep 'peer=127\.0\.0\.2' "$LOG_2" "f2 logs no request from HAProxy's address"
expect_grep 'req peer=127\.0\.0\.1:[0-9]+ id=alice op=put path=many/' "$LOG_1" "f1 logs the clients' addresses"
expect_no_grep 'handshake failed|PROXY header' "$LOG_1" "f1: health checks and clients caused no handshake or PROXY failures"
expect_no_grep 'handshake failed|PROXY header' "$LOG_2" "f2: neither"
rm -f "$W"/g*

# ---- kill -9 mid-upload, finished by the other instance -------------------
BIG_MIB=96
head -c $((BIG_MIB << 20)) /dev/urandom >"$W/big"
# a slow first link (5 MB/s) so the kill lands mid-upload; the retry's
# connection passes at full speed
SRV=127.0.0.1:$HPORT start_proxy --rate 5000000 --dir up --faults 1 --max-seconds 300
ferry_p put --retries 5 "$W/big" big.bin >"$W/big.out" 2>"$W/big.err" &
client=$!
# holder: the instance with the part open
holder() {
	local n pid
	for n in 1 2; do
		pid=PID_$n
		ls -l "/proc/${!pid}/fd" 2>/dev/null | grep -q 'ferry-part' && { echo $n; return 0; }
	done
	return 1
}
if wait_until 60 bash -c 'for p in "$@"; do ls -l /proc/$p/fd 2>/dev/null | grep -q ferry-part && exit 0; done; exit 1' _ "$PID_1" "$PID_2" &&
	sleep 4 && victim=$(holder); then
	vpid=PID_$victim
	vport=PORT_$victim
	vroot=ROOT_A
	((victim == 2)) && vroot=ROOT_B
	other=$((3 - victim))
	olog=LOG_$other
	kill -KILL "${!vpid}"
	wait "${!vpid}" 2>/dev/null
	unset 'SERVER_LOG[${!vpid}]'
	pass "killed f$victim (kill -9) while it held the upload"
	wait "$client"
	rc=$?
	expect_eq 0 "$rc" "ferry put --retries 5 through the balancer finished"
	sed 's/^/  | /' "$W/big.err" | grep -i 'retry\|resum' | head -3
	expect_eq "$(sha "$W/big")" "$(sha "$(same_root big.bin)")" "the stored file is whole"
	line=$(grep -E 'op=put path=big\.bin .*result=ok' "${!olog}" | tail -1)
	off=$(sed -nE 's/.* offset=([0-9]+) .*/\1/p' <<<"$line")
	if [[ $off =~ ^[0-9]+$ ]] && ((off > 0)); then
		pass "f$other finished it by resuming the held part at offset $off"
		echo "info: kill -9 of f$victim mid-upload: f$other resumed at $off of $((BIG_MIB << 20)) bytes"
	else
		fail "f$other did not resume the held part: '${line:-no put line}'"
	fi
	expect_true "HAProxy marked the killed f$victim down" wait_until 10 is_down "f$victim"
	# ---- the killed instance comes back ------------------------------
	start_instance "$victim" "${!vroot}" "${!vport}"
	expect_true "the health check takes the restarted f$victim back" wait_until 20 is_up "f$victim"
	nlog=LOG_$victim
	pids=()
	for ((i = 0; i < 8; i++)); do
		ferry_h put --overwrite "$W/f$i" "again/f$i" >/dev/null 2>"$W/again.$i.err" &
		pids+=($!)
	done
	bad=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { bad=$((bad + 1)); sed "s/^/  | f$i: /" "$W/again.$i.err"; }
	done
	expect_eq 0 "$bad" "8 more puts through the balancer" ||
		grep -h 'path=again/' "$LOG_1" "$LOG_2" | grep -v 'result=ok' | sed 's/^/  | /'
	n=$(grep -c 'op=put path=again/.* result=ok' "${!nlog}")
	if ((n > 0)); then pass "the restarted f$victim serves again ($n of 8)"; else fail "the restarted f$victim got no request"; fi
else
	fail "no instance ever held the upload's part"
	kill "$client" 2>/dev/null
fi
kill "$PROXY_PID" 2>/dev/null
expect_grep 'ferryd/f[12] is DOWN' "$HLOG" "HAProxy logged the killed instance going down"
stop_haproxy
