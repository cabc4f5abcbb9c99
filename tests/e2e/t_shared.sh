#!/usr/bin/env bash
# t_shared.sh - commit and locking safety where the file system is shared
# or lacks features (issue 11), with the fault shim tests/tools/fsfault.c:
# a root without RENAME_NOREPLACE (the link() + unlink() commit), a crash
# between that link and the unlink (the part name left as a second link of
# the committed file must never be written to), a directory fsync that
# fails after the rename (still ok), and two ferryd instances on one root
# racing for one upload key (no splice, busy for a resume).
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }
SHIM=
for s in "$BUILD/tests/libfsfault.so" "$BUILD/libfsfault.so"; do
	[[ -f $s ]] && SHIM=$s && break
done
[[ -n $SHIM ]] || { fail "tests/tools/fsfault.c (libfsfault.so) not built"; finish; }

make_pki
W=$T/work
mkdir -p "$W"
P=$T/p.out
ASAN_SAVED=${ASAN_OPTIONS-}

# faulty RULES [MATCH] -- FERRYD FLAGS...: start_server under the shim.  A
# sanitizer runtime must come first in the library list; the shim is not
# instrumented, so ASan is told not to insist.
faulty() {
	local rules=$1 match=$2
	shift 2
	export LD_PRELOAD=$SHIM FERRY_FSFAULT=$rules FERRY_FSFAULT_MATCH=$match
	export ASAN_OPTIONS=${ASAN_SAVED:+$ASAN_SAVED:}verify_asan_link_order=0
	start_server "$@"
	unset LD_PRELOAD FERRY_FSFAULT FERRY_FSFAULT_MATCH
	if [[ -n $ASAN_SAVED ]]; then export ASAN_OPTIONS=$ASAN_SAVED; else unset ASAN_OPTIONS; fi
}
links() { stat -c %h "$1"; }
parts() { find "$ROOT" -name '.ferry-part.*' | wc -l; }
# killed PID: reap a server that the shim killed (SIGKILL is its doing).
killed() {
	local i
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1" 2>/dev/null
	local rc=$?
	unset 'SERVER_LOG[$1]'
	expect_eq 137 "$rc" "the shim killed ferryd at the chosen call (kill -9)"
}

# ---- a root without RENAME_NOREPLACE ---------------------------------------
faulty 'renameat2=EINVAL' ''
expect_grep 'RENAME_NOREPLACE no \(EINVAL\).*committed by link\(\) \+ unlink\(\)' "$SRV_LOG" \
	"the start-up probe sees no RENAME_NOREPLACE and says what ferryd does instead"
head -c 300000 /dev/urandom >"$W/a"
head -c 300000 /dev/urandom >"$W/a2"
expect_exit 0 ferry_c put "$W/a" a.bin
expect_eq "$(sha "$W/a")" "$(sha "$ROOT/a.bin")" "link() commit: the file is whole"
expect_eq 1 "$(links "$ROOT/a.bin")" "link() commit: one name left"
expect_eq 0 "$(parts)" "link() commit: no part left"
expect_exit 1 ferry_c put "$W/a2" a.bin
expect_grep 'exists' "$ERR" "link() commit refuses an existing name"
expect_eq "$(sha "$W/a")" "$(sha "$ROOT/a.bin")" "the existing file is untouched"
expect_exit 0 ferry_c put --overwrite "$W/a2" a.bin
expect_eq "$(sha "$W/a2")" "$(sha "$ROOT/a.bin")" "overwrite still replaces it"
# ferry mv there: a file by link() + unlink(), a directory by rename(2)
expect_exit 0 ferry_c put "$W/a" b.bin
expect_exit 1 ferry_c mv b.bin a.bin
expect_grep 'exists' "$ERR" "mv without RENAME_NOREPLACE still refuses an existing name"
expect_eq "$(sha "$W/a2")" "$(sha "$ROOT/a.bin")" "and leaves it alone"
expect_exit 0 ferry_c mv b.bin c.bin
expect_true "a file moves (one name left)" test ! -e "$ROOT/b.bin" -a "$(links "$ROOT/c.bin")" = 1
expect_exit 0 ferry_c mkdir -p dir1/sub dir2
expect_exit 0 ferry_c mv dir1 moved
expect_true "a directory moves" test -d "$ROOT/moved/sub" -a ! -e "$ROOT/dir1"
expect_exit 0 ferry_c mv moved dir2
expect_true "into an existing directory" test -d "$ROOT/dir2/moved/sub"
stop_server "$SRV_PID"

# ---- a crash between linkat and the unlink of the part name ---------------
N=1000000
head -c $N /dev/urandom >"$W/k"
faulty 'renameat2=EINVAL,linkat@1=die-after' '.ferry-part.'
dead=$SRV_PID
expect_exit 3 ferry_c put --retries 0 "$W/k" k.bin
killed "$dead"
expect_eq "$(sha "$W/k")" "$(sha "$ROOT/k.bin")" "after the crash the committed file is whole"
expect_eq 2 "$(links "$ROOT/k.bin")" "and the part name is still a second link of it (the fault happened)"
faulty 'renameat2=EINVAL' ''
# the same key: identity, path, size.  A resume must not see the
# committed bytes as a held upload, a new upload must not write into them.
printf '%s\n' "send {\"op\":\"put\",\"path\":\"k.bin\",\"size\":$N,\"overwrite\":true,\"resume\":true}" recv abort | probe >"$P"
expect_grep '"status":"ready","offset":0,' "$P" "a resume of that key starts at 0, not at the committed file's bytes"
printf '%s\n' "send {\"op\":\"put\",\"path\":\"k.bin\",\"size\":$N,\"overwrite\":true}" recv 'body 400000 random' 'sleep 0.3' abort | probe >"$P"
expect_grep '"status":"ready"' "$P" "an overwrite of that key cut after 400000 bytes"
sleep 0.5
expect_eq "$(sha "$W/k")" "$(sha "$ROOT/k.bin")" "the committed file is still whole (its second name was replaced, not written to)"
expect_eq 1 "$(links "$ROOT/k.bin")" "the committed file has one name again"
pf=$(find "$ROOT" -maxdepth 1 -name '.ferry-part.*')
expect_eq 400000 "$(stat -c %s "$pf" 2>/dev/null)" "the cut overwrite is held in a part of its own"
expect_exit 0 ferry_c put --overwrite --resume "$W/a" k.bin
expect_eq "$(sha "$W/a")" "$(sha "$ROOT/k.bin")" "a later overwrite of the path is whole"
stop_server "$SRV_PID"

# ---- a directory fsync that fails after the rename ------------------------
# fsync_dir #1 is the start-up probe's, #2 the commit's
faulty 'fsync_dir@2=EIO' ''
expect_exit 0 ferry_c put "$W/a" d.bin
expect_grep "$(sha "$W/a")  d.bin" "$OUT" "a failed directory fsync after the rename still answers ok"
expect_eq "$(sha "$W/a")" "$(sha "$ROOT/d.bin")" "and the file is in place"
expect_grep 'commit d.bin: directory fsync failed after the rename' "$SRV_LOG" "the failure is logged in one line"
stop_server "$SRV_PID"
faulty 'fsync_dir=EINVAL' ''
expect_grep 'directory fsync no \(EINVAL\)' "$SRV_LOG" "the probe sees directory fsync unsupported"
expect_exit 0 ferry_c put "$W/a" new/dir/e.bin
expect_eq "$(sha "$W/a")" "$(sha "$ROOT/new/dir/e.bin")" "uploads into new directories work without directory fsync"
stop_server "$SRV_PID"

# ---- two instances, one root, one key -------------------------------------
start_server
A=$SRV
start_server
B=$SRV
printf '%s\n' 'send {"op":"put","path":"s.bin","size":3000000}' recv 'body 1000000 random' 'sleep 3' abort |
	timeout 30 "$PROBE" -s "$A" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$T/a.out" &
holder=$!
expect_true "instance A holds the upload's part" wait_until 10 bash -c '[[ $(stat -c %s "$1"/.ferry-part.* 2>/dev/null | sort -n | tail -1) == 1000000 ]]' _ "$ROOT"
printf '%s\n' 'send {"op":"put","path":"s.bin","size":3000000,"resume":true}' recv abort |
	timeout 30 "$PROBE" -s "$B" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$P"
expect_grep '"code":"busy"' "$P" "instance B: a resume of the part A holds is busy"
head -c 3000000 /dev/urandom >"$W/s"
printf '%s\n' 'send {"op":"put","path":"s.bin","size":3000000,"overwrite":true}' recv "bodyfile $W/s" recv |
	timeout 30 "$PROBE" -s "$B" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$P"
expect_grep '"status":"ok"' <(sed -n 2p "$P") "instance B: a fresh upload of the same key completes"
expect_eq "$(sha "$W/s")" "$(sha "$ROOT/s.bin")" "and is whole: nothing of A's part spliced in"
wait "$holder"
printf '%s\n' 'send {"op":"put","path":"s.bin","size":3000000,"overwrite":true,"resume":true}' recv abort |
	timeout 30 "$PROBE" -s "$B" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$P"
expect_grep '"offset":1000000,' "$P" "once A let go, B resumes A's part where it stopped"
finish
