# bench_server.sh - the server-side part of tools/bench.sh (sourced by it
# after the throughput and tree cases, never run alone): N concurrent
# clients sharing SIZE bytes, ferryd's memory per idle connection and during
# a transfer, full mTLS handshakes per second against openssl s_server, and
# the negotiated cipher suites.  Uses what bench.sh set up (FERRY, FERRYD,
# FERRY_BIN, PROBE, FROOT, SRC, S, T, the certificates, CONC, N_IDLE,
# HS_SECS, SUITE, RUNS, now, elapsed, median, start_ferryd, stop, say, die);
# sets CONC_T, IDLE_KIB, RSS_MAX, HS_REF_M, HS_FERRY_M, CIPHER_FERRY and
# CIPHER_NGINX, and report_server prints its tables.

# ---- concurrency: N clients at once, SIZE bytes in total -------------------

declare -A CONC_T=() CONC_SPREAD=()
say "concurrency: ${CONC[*]} clients x $RUNS runs"
for n in "${CONC[@]}"; do
	per=$((BYTES / n))
	head -c "$per" "$SRC" >"$T/conc.$n"
done
for ((run = 1; run <= RUNS; run++)); do
	for n in "${CONC[@]}"; do
		rm -rf "$S/conc" "${FROOT:?}/conc"
		mkdir -p "$S/conc"
		# the VM's free pages: touch as many as the clients will fill
		head -c "$BYTES" /dev/zero >"$FROOT/.scratch"
		rm -f "$FROOT/.scratch"
		t0=$(now)
		cpids=()
		for ((i = 0; i < n; i++)); do
			(
				c0=$(now)
				"${FERRY[@]}" -q put --overwrite "$T/conc.$n" "conc/$n.$i" \
					>/dev/null
				elapsed "$c0" >"$S/conc/t.$i"
			) &
			cpids+=($!)
		done
		for p in "${cpids[@]}"; do
			wait "$p" || die "concurrency $n: a client failed"
		done
		CONC_T[$n]+="$(elapsed "$t0") "
		CONC_SPREAD[$n]+="$(cat "$S/conc"/t.* | sort -g | awk '
			NR == 1 { lo = $1 } { hi = $1 }
			END { printf "%.2f", (lo > 0 ? hi / lo : 0) }') "
	done
done
rm -rf "${FROOT:?}/conc" "$S/conc"

# ---- memory: idle connections after the handshake ------------------------

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
say "memory: $N_IDLE idle connections"
ulimit -n $((N_IDLE + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
IDLE_NOTE=
IDLE_ARGS=(--max-conns $((N_IDLE + 16)) --idle-timeout 600 --handshake-timeout 60)
# all connections come from one identity: lift the per-identity cap too
"$FERRYD" --help 2>&1 | grep -q -- --max-conns-per-identity &&
	IDLE_ARGS+=(--max-conns-per-identity $((N_IDLE + 16)))
start_ferryd "$FROOT" "$T/ferryd-idle.log" "${IDLE_ARGS[@]}"
IDLE_PID=$FPID
rss0=$(rss_kib "$IDLE_PID")
"$PROBE" -s "127.0.0.1:$FPORT" --ca "$CA" --cert "$CCRT" --key "$CKEY" \
	--hold "$N_IDLE" --seconds 600 --no-hello >"$T/hold.out" 2>&1 &
HOLD_PID=$!
PIDS+=("$HOLD_PID")
for ((i = 0; i < 6000; i++)); do
	grep -q held "$T/hold.out" 2>/dev/null && break
	kill -0 "$HOLD_PID" 2>/dev/null || break
	sleep 0.1
done
if grep -q "held $N_IDLE" "$T/hold.out"; then
	sleep 1
	# the client cannot tell a connection the server refused (busy) from
	# one it holds: count the server's sockets
	socks=$(find "/proc/$IDLE_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	((socks >= N_IDLE)) ||
		die "ferryd holds $socks sockets, not $N_IDLE connections (see $T/ferryd-idle.log)"
	rss1=$(rss_kib "$IDLE_PID")
	IDLE_PER=$(awk -v a="$rss0" -v b="$rss1" -v n="$N_IDLE" \
		'BEGIN { printf "%.1f", (b - a) / n }')
	IDLE_KIB=$IDLE_PER
	IDLE_NOTE="ferryd RSS $((rss0 / 1024)) MiB -> $((rss1 / 1024)) MiB with $N_IDLE idle connections: $IDLE_PER KiB each"
else
	die "could not hold $N_IDLE connections: $(tail -1 "$T/hold.out")"
fi
stop "$HOLD_PID"
stop "$IDLE_PID"

# RSS of both sides during a transfer (flat in file size)
say "memory: RSS during a $MIB MiB put and get"
peak_rss() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
start_ferryd "$FROOT" "$T/ferryd-rss.log"
RSS_PID=$FPID
FERRY_RSS=("$FERRY_BIN" -s "127.0.0.1:$FPORT" --ca "$CA" --cert "$CCRT" --key "$CKEY")
cput=$( { /usr/bin/time -f %M "${FERRY_RSS[@]}" put --overwrite "$SRC" rss.bin >/dev/null; } 2>&1 | tail -1)
cget=$( { /usr/bin/time -f %M "${FERRY_RSS[@]}" get --overwrite rss.bin "$S/dl/rss.bin" >/dev/null; } 2>&1 | tail -1)
srss=$(peak_rss "$RSS_PID")
rm -f "$S/dl/rss.bin" "$FROOT/rss.bin"
stop "$RSS_PID"
RSS_MAX=$(printf '%s\n' "$cput" "$cget" "$srss" | sort -n | tail -1)
RSS_NOTE="peak RSS moving $MIB MiB: ferry put $((cput / 1024)) MiB, ferry get $((cget / 1024)) MiB, ferryd $((srss / 1024)) MiB"

# ---- handshakes: full mTLS handshakes per second -------------------------

hs_rate() { # PORT -> handshakes/s measured by openssl s_time -new
	local t0 out n
	t0=$(now)
	out=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$HS_SECS" \
		-cert "$CCRT" -key "$CKEY" -CAfile "$CA" 2>&1 </dev/null)
	n=$(sed -n 's/^\([0-9][0-9]*\) connections in [0-9.]*s;.*/\1/p' <<<"$out" | head -1)
	[[ -n $n ]] || die "s_time failed: $(tail -2 <<<"$out")"
	awk -v n="$n" -v e="$(elapsed "$t0")" 'BEGIN { printf "%.0f", n / e }'
}
say "handshakes: openssl s_time -new against s_server and ferryd"
HS_PORT=$(free_port)
openssl s_server -quiet -accept "127.0.0.1:$HS_PORT" -cert "$SCRT" \
	-key "$SKEY" -CAfile "$CA" -Verify 1 -ciphersuites "$SUITE" <&9 \
	>/dev/null 2>"$T/s_server-hs.log" &
HS_PID=$!
PIDS+=("$HS_PID")
wait_port "$HS_PORT" "openssl s_server" "$T/s_server-hs.log"
HS_REF=() HS_FERRY=()
for ((run = 1; run <= RUNS; run++)); do
	HS_REF+=("$(hs_rate "$HS_PORT")")
	HS_FERRY+=("$(hs_rate "$FPORT_MAIN")")
done
stop "$HS_PID"
HS_REF_M=$(median "${HS_REF[*]}")
HS_FERRY_M=$(median "${HS_FERRY[*]}")

# ---- negotiated parameters -----------------------------------------------

cipher_of() { # PORT [EXTRA s_client ARGS]
	openssl s_client -brief -connect "127.0.0.1:$1" -cert "$CCRT" \
		-key "$CKEY" -CAfile "$CA" "${@:2}" </dev/null 2>&1 |
		sed -n 's/^Ciphersuite: //p' | head -1
}
CIPHER_FERRY=$(cipher_of "$FPORT_MAIN")
CIPHER_NGINX=
((HAVE_NGINX)) && CIPHER_NGINX=$(cipher_of "$NGINX_PORT" -ciphersuites "$SUITE")

# the tables of this part, in the report (markdown on stdout)
report_server() {
	local n m one
	echo "## Concurrent clients, $MIB MiB in total, median of $RUNS run(s)"
	echo
	echo "| clients | MiB each | median s | aggregate MiB/s | vs 1 client | max/min client time |"
	echo "|---:|---:|---:|---:|---:|---:|"
	one=$(median "${CONC_T[1]}")
	for n in "${CONC[@]}"; do
		m=$(median "${CONC_T[$n]}")
		echo "| $n | $(awk -v b="$BYTES" -v n="$n" 'BEGIN { printf "%.2f", b / n / 1048576 }') | $m | $(awk -v a="$MIBF" -v t="$m" 'BEGIN { printf "%.0f", a / t }') | $(awk -v o="$one" -v t="$m" 'BEGIN { printf "%.2f", o / t }') | $(median "${CONC_SPREAD[$n]}") |"
	done
	echo
	echo "## Memory and handshakes"
	echo
	echo "- $IDLE_NOTE"
	echo "- $RSS_NOTE"
	echo "- full mTLS handshakes/s (openssl s_time -new, ECDSA P-256, $SUITE): openssl s_server $HS_REF_M, ferryd $HS_FERRY_M ($(awk -v a="$HS_FERRY_M" -v b="$HS_REF_M" 'BEGIN { printf "%.2f", a / b }') x)"
}
