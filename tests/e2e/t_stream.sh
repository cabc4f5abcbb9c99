#!/usr/bin/env bash
# t_stream.sh - put from standard input (size unknown, not spooled, in
# bounded memory, --max-file-size enforced as the bytes arrive, nothing
# left by a cut stream) and get to standard output (bytes on stdout, the
# hash line on stderr, still verified).
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server --max-file-size 50000000
W=$T/work
mkdir -p "$W/tree/sub" && cd "$W" || exit 1
head -c 3000000 /dev/urandom >tree/sub/blob
echo hi >tree/hi

# ---- tar | ferry put - ------------------------------------------------------
tar_put() { tar cf - tree | ferry_c put - backups/t.tar; }
expect_exit 0 tar_put
tar cf - tree >want.tar
expect_eq "$(sha want.tar)  backups/t.tar" "$(cat "$OUT")" "put -: the hash line of what was read"
expect_eq "$(sha want.tar)" "$(sha "$ROOT/backups/t.tar")" "put -: the stream stored whole"
expect_grep 'op=put path=backups/t.tar bytes=[0-9]+ .*result=ok' "$SRV_LOG" "the server logged the stream"
# a stream far larger than the client's buffers, never spooled: memory
# stays bounded (peak RSS of the client under 64 MiB for 40 MB)
big_put() {
	head -c 40000000 /dev/zero | /usr/bin/env time -f '%M' -o "$W/rss" \
		"$FERRY" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" put - zeros
}
if [[ -x /usr/bin/time ]]; then
	expect_exit 0 big_put
	rss=$(tail -1 "$W/rss")
	if ((rss < 65536)); then pass "put - of 40 MB: peak RSS ${rss} KiB"; else fail "put - of 40 MB: peak RSS ${rss} KiB"; fi
else
	expect_exit 0 big_put
fi
expect_eq "$(head -c 40000000 /dev/zero | sha256sum | cut -c1-64)" "$(sha "$ROOT/zeros")" "40 MB of stdin stored whole"
# from a regular file on stdin: a sized put, works like any file
expect_exit 0 ferry_c put - fromfile <want.tar
expect_eq "$(sha want.tar)" "$(sha "$ROOT/fromfile")" "put - < FILE: stored"
expect_exit 2 ferry_c put - dir/
expect_grep 'needs a remote file name' "$ERR" "put - without a file name: usage"
expect_exit 2 ferry_c put -
# an existing file is refused, as for any put
stdin_again() { echo x | ferry_c put - backups/t.tar; }
expect_exit 1 stdin_again
expect_grep 'exists' "$ERR" "put - onto an existing file: exists"
# --max-file-size enforced as the bytes arrive
too_big() { head -c 60000000 /dev/zero | ferry_c put - huge; }
expect_exit 1 too_big
expect_grep 'too_large' "$ERR" "a stream past --max-file-size: too_large"
expect_true "nothing stored for it" test ! -e "$ROOT/huge"
# a stream cut when the client dies: nothing under the name, nothing held
(head -c 2000000 /dev/urandom; sleep 4) | ferry_exec put - cut.bin 2>/dev/null &
client=$!
expect_true "the stream was in flight (a temporary file on the server)" \
	wait_until 10 bash -c "find '$ROOT' -name '.ferry-part.*' | grep -q ."
kill -KILL "$client" 2>/dev/null
wait_until 10 bash -c "! find '$ROOT' -name '.ferry-part.*' | grep -q ." 
expect_true "a cut stream stored nothing" test ! -e "$ROOT/cut.bin"
expect_eq "" "$(find "$ROOT" -name '.ferry-part.*')" "and left no part behind"

# ---- ferry get - | tar x --------------------------------------------------
mkdir -p untar
get_tar() { ferry_c get backups/t.tar - | tar xf - -C untar; }
expect_exit 0 get_tar
expect_eq "$(sha "$W/tree/sub/blob")" "$(sha untar/tree/sub/blob)" "get -: the bytes went to stdout"
expect_eq "$(sha want.tar)  -" "$(cat "$ERR")" "get -: the hash line on stderr"
get_q() { ferry_c -q get backups/t.tar - >/dev/null; }
expect_exit 0 get_q
expect_eq "" "$(cat "$ERR")" "get -q -: no hash line"
expect_exit 2 ferry_c get a b -
expect_exit 2 ferry_c get -r backups -

# ---- an old server cannot take a stream, and says which it is -------------
start_server --protocol-max 1
old() { echo x | ferry_c put - old.bin; }
expect_exit 1 old
expect_grep 'needs ferryd 0.2 or later \(protocol 2\); .* runs ferryd/' "$ERR" "a 0.1 server: one line naming the server"
expect_exit 0 ferry_c put - fromfile2 <want.tar
expect_eq "$(sha want.tar)" "$(sha "$ROOT/fromfile2")" "a 0.1 server still takes stdin from a regular file"
finish
