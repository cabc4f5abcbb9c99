#!/usr/bin/env bash
# t_verify.sh - expected hashes and skipped files: put --sha256 and
# get --sha256 both ways (a mismatch exits 4 and stores / writes nothing,
# for a small file, a big one that waits for "ready", and stdin),
# put --skip-same (one file and -r: what the server has is not sent, its
# line is printed as for an upload, --json says "skipped":true; a changed
# file is refused without --overwrite and sent with it; a rerun of an
# interrupted put -r --skip-same sends only what is missing), and both on
# a protocol-1 server.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }

make_pki
start_server
W=$T/work
mkdir -p "$W" && cd "$W" || exit 1
ZERO=$(printf '%064d' 0)
head -c 5000 /dev/urandom >small
head -c 3000000 /dev/urandom >big
nothing_held() { ! find "$ROOT" -name '.ferry-part.*' | grep -q .; }
puts() { grep -c "op=put .*result=ok" "$SRV_LOG"; }

# ---- put --sha256 ------------------------------------------------------------
expect_exit 0 ferry_c put --sha256 "$(sha small)" small s1
expect_eq "$(sha small)  s1" "$(cat "$OUT")" "put --sha256 with the right hash: stored, the usual line"
expect_exit 0 ferry_c put --sha256 "$(sha small | tr a-f A-F)" small s2
expect_true "the expected hash may be given in upper case" test -f "$ROOT/s2"
for f in small big; do
	expect_exit 4 ferry_c put --sha256 "$ZERO" "$f" "bad-$f"
	expect_grep "put bad-$f: checksum mismatch: $f hashes to $(sha $f), not the expected $ZERO; nothing was stored" "$ERR" "put --sha256 mismatch ($f): one line with both hashes"
	expect_one_line "$ERR" "and only that line ($f)"
	expect_true "a mismatch stores nothing ($f)" test ! -e "$ROOT/bad-$f"
	expect_true "and holds nothing ($f)" nothing_held
done
expect_exit 4 ferry_c put --sha256 "$ZERO" - stdin <small
expect_true "a mismatch on standard input stores nothing" test ! -e "$ROOT/stdin"
expect_exit 0 ferry_c put --sha256 "$(sha small)" - stdin <small
expect_eq "$(sha small)" "$(sha "$ROOT/stdin")" "the right hash on standard input: stored"
expect_exit 2 ferry_c put --sha256 "$ZERO" small big two/
expect_grep 'one LOCAL' "$ERR" "--sha256 with two files: usage error"
expect_exit 2 ferry_c put -r --sha256 "$ZERO" "$W" r
expect_exit 2 ferry_c put --sha256 1234 small x
expect_grep "64 hex digits, not '1234'" "$ERR" "a malformed --sha256 is a usage error"

# ---- get --sha256 ------------------------------------------------------------
expect_exit 0 ferry_c put big b
expect_exit 0 ferry_c get --sha256 "$(sha big)" b got
expect_eq "$(sha big)" "$(sha got)" "get --sha256 with the right hash: written"
expect_exit 4 ferry_c get --sha256 "$ZERO" b got2
expect_grep "get b: checksum mismatch: the file hashes to $(sha big), not the expected $ZERO; nothing was written" "$ERR" "get --sha256 mismatch: one line"
expect_true "nothing written" test ! -e got2
expect_eq "" "$(ls -A | grep -v -x -e small -e big -e got)" "no temporary file left"
expect_exit 4 ferry_c get --resume --sha256 "$ZERO" b got3
expect_eq "" "$(ls -A | grep -e got3)" "get --resume --sha256 mismatch: no partial kept either"
expect_exit 4 ferry_c get --sha256 "$ZERO" b -
expect_grep 'already written to standard output' "$ERR" "to stdout: the mismatch still exits 4, and says the bytes are out"
expect_exit 2 ferry_c get --sha256 "$ZERO" b s1 out/
expect_exit 2 ferry_c get --skip-same b x

# ---- put --skip-same -------------------------------------------------------
mkdir -p tree/a/b tree/c
for i in 1 2 3 4 5 6; do head -c $((i * 70000)) /dev/urandom >"tree/a/f$i"; done
head -c 2500000 /dev/urandom >tree/a/b/big
echo c >tree/c/one
expect_exit 0 ferry_c put -r tree up/
cp "$OUT" first.out
n=$(puts)
expect_exit 0 ferry_c put -r --skip-same tree up/
expect_eq "$(sort first.out)" "$(sort "$OUT")" "a rerun with --skip-same prints every file's line, as an upload"
expect_eq "$n" "$(puts)" "and sends nothing (no put reached the server)"
expect_exit 0 ferry_c --json put -r --skip-same tree up/
expect_eq 8 "$(grep -c '"skipped":true' "$OUT")" "--json: every skipped file says \"skipped\":true"
expect_true "--json lines parse" json_ok "$OUT"
# one file changed (same size), one new
head -c 70000 /dev/urandom >tree/a/f1
echo new >tree/c/two
expect_exit 1 ferry_c put -r --skip-same tree up/
expect_grep 'put up/tree/a/f1: exists' "$ERR" "a changed file is refused without --overwrite"
expect_one_line "$ERR" "and only it"
expect_eq "$(sha tree/c/two)" "$(sha "$ROOT/up/tree/c/two")" "the new file was sent"
n=$(puts)
expect_exit 0 ferry_c --json put -r --skip-same --overwrite tree up/
expect_eq $((n + 1)) "$(puts)" "--skip-same --overwrite sends only the changed file"
expect_eq 1 "$(grep -vc '"skipped":true' "$OUT")" "one line without \"skipped\": the changed file"
expect_eq "$(sha tree/a/f1)" "$(sha "$ROOT/up/tree/a/f1")" "and it is the new content"
# --skip-same and --sha256 together: the server's copy must also be the expected file
expect_exit 4 ferry_c put --skip-same --sha256 "$ZERO" tree/c/one up/tree/c/one
expect_grep 'not the expected' "$ERR" "a skipped file still has to match --sha256"
expect_exit 2 ferry_c put --skip-same - x </dev/null

# an interrupted put -r --skip-same: the rerun sends only what is missing
mkdir -p many
for i in $(seq 1 40); do head -c 100000 /dev/urandom >"many/f$i"; done
# (throttled, so that the server has read what went through when the cut
# comes: a reset discards what it had not read yet)
start_proxy --rate 3000000 --cut-after 2000000 --faults 1
expect_exit 3 ferry_p put -r --skip-same --retries 0 many m/
sleep 0.5 # the server finishes what it had received whole
stored=$(find "$ROOT/m" -type f ! -name '.ferry-part.*' | wc -l)
expect_true "the cut left some files stored, not all ($stored of 40)" test "$stored" -gt 0 -a "$stored" -lt 40
n=$(puts)
expect_exit 0 ferry_c put -r --skip-same many m/
expect_eq 40 "$(grep -c . "$OUT")" "the rerun prints all 40 lines"
expect_eq $((n + 40 - stored)) "$(puts)" "and sent only the $((40 - stored)) missing files"
expect_eq "$(cd many && sha256sum f* | sort)" "$(cd "$ROOT/m/many" && sha256sum f* | sort)" "the tree is complete"
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null

# ---- a protocol-1 server: both still work ------------------------------------
stop_server "$SRV_PID"
start_server --protocol-max 1
expect_exit 0 ferry_c put -r --skip-same tree up/
expect_grep "^$(sha tree/a/b/big)  up/tree/a/b/big\$" "$OUT" "--skip-same on a protocol-1 server"
expect_no_grep 'op=put' "$SRV_LOG" "nothing sent to the protocol-1 server"
expect_exit 4 ferry_c put --sha256 "$ZERO" small v1bad
expect_true "put --sha256 mismatch on protocol 1: nothing stored" test ! -e "$ROOT/v1bad"
expect_exit 4 ferry_c get --sha256 "$ZERO" b v1got
expect_true "get --sha256 mismatch on protocol 1: nothing written" test ! -e v1got
finish
