#!/usr/bin/env bash
# t_biglist.sh - a directory of 200,000 entries is listed in bounded
# memory: the server streams it (no sorting, no copy of the directory in
# memory), the client sorts what it prints.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server --threads 2
mkdir -p "$ROOT/huge"
(cd "$ROOT/huge" && seq -f 'n%06g' 1 200000 | xargs touch) || { fail "could not make 200,000 files"; finish; }

hwm() { sed -n 's/^VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$SRV_PID/status"; }
expect_exit 0 ferry_c whoami
before=$(hwm)
FERRY_TIMEOUT=300 expect_exit 0 ferry_c ls huge
expect_eq 200000 "$(grep -c . "$OUT")" "ls of 200,000 entries lists them all"
expect_true "the client prints them sorted" bash -c "awk '{print \$NF}' '$OUT' | LC_ALL=C sort -c"
after=$(hwm)
if grep -qa '__asan_init\|__tsan_init' "$FERRYD_BIN"; then
	pass "server memory not judged under a sanitizer (peak $before -> $after KiB)"
elif ((after - before < 8192)); then
	pass "the server's peak RSS grew by $((after - before)) KiB (< 8 MiB) for 200,000 entries"
else
	fail "the server's peak RSS grew by $((after - before)) KiB listing 200,000 entries"
fi
expect_exit 0 ferry_c stat huge/n100000
expect_grep 'size:  0' "$OUT" "the server still serves afterwards"
finish
