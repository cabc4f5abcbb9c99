#!/usr/bin/env bash
# t_parallel.sh - -j N spreads the files of one command over N
# connections; a connection that drops gives its files to the others; a
# put whose "ok" was lost with the connection is recognised on the retry
# (the server has the file with our SHA-256) and not sent again; many
# requests of every kind ride one connection at once.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
W=$T/work
mkdir -p "$W/many" && cd "$W" || exit 1
for i in $(seq -w 1 48); do head -c $((50000 + 10#$i * 4000)) /dev/urandom >"many/f$i"; done

count_conns() { grep -c "op=hello" "$SRV_LOG"; }

# ---- -j 4: four connections, every file once ------------------------------
before=$(count_conns)
expect_exit 0 ferry_c -j 4 put -r many par/
expect_eq 48 "$(grep -c . "$OUT")" "-j 4: one line per file"
expect_eq 4 "$(($(count_conns) - before))" "-j 4: four connections"
expect_eq "$(cd many && sha256sum f* | sort)" "$(cd "$ROOT/par/many" && sha256sum f* | sort)" "-j 4: every file intact"
expect_exit 0 ferry_c get -r --parallel 3 par/many back
expect_eq "$(cd many && sha256sum f* | sort)" "$(cd back && sha256sum f* | sort)" "get -r --parallel 3: every file intact"
expect_exit 2 ferry_c -j 17 put many/f01 x
expect_grep 'from 1 to 16' "$ERR" "-j above 16: a usage error saying the range"
expect_exit 2 ferry_c put -j 0 many/f01 x

# ---- a connection killed mid-way: its files go to the others ---------------
start_proxy --faults 1 --dir up --cut-after 700000
expect_exit 0 ferry_p -j 4 put -r many cut/
expect_grep 'faultproxy: cut conn 1' "$T/proxy.log" "the proxy cut the first connection"
expect_grep 'retrying in' "$ERR" "the client said it retried"
expect_eq 48 "$(grep -c . "$OUT")" "after the cut: still one line per file"
expect_eq "$(cd many && sha256sum f* | sort)" "$(cd "$ROOT/cut/many" && sha256sum f* | sort)" "after the cut: every file intact"
kill "$PROXY_PID" 2>/dev/null

# ---- the lost "ok": recognised, not sent again ----------------------------
lost() { # lost NAME SIZE: put through a proxy that mutes the answer
	head -c "$2" /dev/urandom >"$1"
	start_proxy --faults 1 --mute-down-after "$2"
	expect_exit 0 ferry_p put "$1" "lost/$1"
	expect_grep 'mute conn 1' "$T/proxy.log" "$1: the answer was lost with the connection"
	expect_eq "$(sha "$1")  lost/$1" "$(cat "$OUT")" "$1: success reported with the right SHA-256"
	expect_eq "$(sha "$1")" "$(sha "$ROOT/lost/$1")" "$1: stored"
	expect_eq 1 "$(grep -c "op=put path=lost/$1 .*result=ok" "$SRV_LOG")" "$1: stored once, not sent again"
	expect_grep "op=stat path=lost/$1 " "$SRV_LOG" "$1: the retry asked for the file's SHA-256 instead"
	kill "$PROXY_PID" 2>/dev/null
}
lost small.bin 300000   # its body follows the request (protocol 2)
lost large.bin 3000000  # its body waits for "ready"

# ---- deep pipelining: one connection, many requests in flight --------------
mkdir -p tiny
for i in $(seq 1 300); do echo "$i" >"tiny/t$i"; done
before=$(count_conns)
expect_exit 0 ferry_c put -r tiny tp/
expect_eq 1 "$(($(count_conns) - before))" "300 puts over one connection"
args=()
for i in $(seq 1 300); do args+=("tp/tiny/t$i"); done
mkdir -p tg
expect_exit 0 ferry_c get "${args[@]}" tg/
expect_eq 300 "$(ls tg | wc -l)" "get of 300 named files"
expect_exit 0 ferry_c sum "${args[@]}"
expect_eq "$(cd tiny && for i in $(seq 1 300); do sha256sum <"t$i" | sed "s|-|tp/tiny/t$i|"; done)" "$(cat "$OUT")" "sum of 300 files: in order"
expect_exit 0 ferry_c rm "${args[@]}"
expect_eq 300 "$(grep -c '^removed ' "$OUT")" "rm of 300 files"
expect_eq "" "$(ls "$ROOT/tp/tiny")" "all removed"
finish
