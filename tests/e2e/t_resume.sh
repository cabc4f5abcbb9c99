#!/usr/bin/env bash
# t_resume.sh - resumed uploads and downloads (issue 4): the put "resume"
# protocol (offset, prefix_sha256, resume false discards, a mismatch
# discards, racing uploads of one key), held parts are invisible and
# expire after --partial-ttl, kill -9 of the server or of the client mid
# transfer followed by --resume, and a download resumed after the file
# changed on the server.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }

make_pki
start_server
W=$T/work
mkdir -p "$W"
P=$T/p.out

parts() { find "$ROOT" -name '.ferry-part.*' | wc -l; }
# part DIR PATH SIZE [SHA256]: where the server holds alice's upload (the
# key hash of docs/PROTOCOL.md).
part() {
	local id
	id=$(printf 'alice\0%s\0%s\0%s' "$2" "$3" "${4:-}" | sha256sum | cut -c1-32)
	echo "$ROOT/$1/.ferry-part.$id"
}
# The "bytes" this server logged for the last request on PATH.
logged_bytes() { grep -E "op=put .*path=$1 " "$SRV_LOG" | tail -1 | sed -E 's/.* bytes=([0-9]+).*/\1/'; }

# ---- the protocol, with fr_probe -------------------------------------------
head -c 1000 /dev/urandom >"$W/all"
head -c 400 "$W/all" >"$W/a"
tail -c 600 "$W/all" >"$W/b"
printf '%s\n' 'send {"op":"put","path":"d/x.bin","size":1000}' recv "bodyfile $W/a" 'sleep 0.3' abort | probe >"$P"
expect_true "an interrupted upload is held as one part" wait_until 10 bash -c '[[ $(find "$1" -name ".ferry-part.*" | wc -l) == 1 ]]' _ "$ROOT"
expect_exit 0 ferry_c ls d
expect_no_grep 'ferry-part|x\.bin' "$OUT" "the held part is not listed"
expect_exit 1 ferry_c stat d/x.bin
printf '%s\n' 'send {"op":"put","path":"d/x.bin","size":1000,"resume":true}' recv "bodyfile $W/b" recv | probe >"$P"
expect_grep "\"offset\":400,\"prefix_sha256\":\"$(sha "$W/a")\"" <(sed -n 1p "$P") "resume: ready with offset 400 and the prefix hash"
expect_grep "\"status\":\"ok\".*\"sha256\":\"$(sha "$W/all")\"" <(sed -n 2p "$P") "resume: ok with the hash of the whole file"
expect_eq "$(sha "$W/all")" "$(sha "$ROOT/d/x.bin")" "resume: the stored file is whole"
expect_eq 0 "$(parts)" "resume: the part became the file"

printf '%s\n' 'send {"op":"put","path":"d/y.bin","size":1000,"resume":true}' recv abort | probe >"$P"
expect_grep '"offset":0,"prefix_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"' "$P" "resume without a held part: offset 0, hash of nothing"

printf '%s\n' 'send {"op":"put","path":"d/z.bin","size":1000}' recv "bodyfile $W/a" 'sleep 0.3' abort | probe >"$P"
printf '%s\n' 'send {"op":"put","path":"d/z.bin","size":1000}' recv 'sleep 0.3' abort | probe >"$P"
expect_grep '"status":"ready","offset":0}' "$P" "resume false: offset 0"
printf '%s\n' 'send {"op":"put","path":"d/z.bin","size":1000,"resume":true}' recv 'sleep 0.3' abort | probe >"$P"
expect_grep '"offset":0,' "$P" "resume false discarded the held part"

printf '%s\n' 'send {"op":"put","path":"d/w.bin","size":1000}' recv "bodyfile $W/a" 'sleep 0.3' abort | probe >"$P"
printf '%s\n' 'send {"op":"put","path":"d/w.bin","size":1000,"offset":400}' recv | probe >"$P"
expect_grep '"code":"bad_request"' "$P" "put with an offset: bad_request"
# the key includes the sha256: a different one does not see the part
printf '%s\n' "send {\"op\":\"put\",\"path\":\"d/w.bin\",\"size\":1000,\"resume\":true,\"sha256\":\"$(sha "$W/all")\"}" recv abort | probe >"$P"
expect_grep '"offset":0,' "$P" "another sha256 is another upload"
printf '%s\n' "send {\"op\":\"put\",\"path\":\"d/w.bin\",\"size\":1000,\"resume\":true}" recv "bodyfile $W/b" recv | probe >"$P"
expect_grep '"offset":400,' <(sed -n 1p "$P") "the same key still resumes"
# a checksum mismatch discards the part
printf '%s\n' "send {\"op\":\"put\",\"path\":\"d/v.bin\",\"size\":1000,\"sha256\":\"$(sha "$W/a")\"}" recv "bodyfile $W/a" 'sleep 0.3' abort | probe >"$P"
printf '%s\n' "send {\"op\":\"put\",\"path\":\"d/v.bin\",\"size\":1000,\"resume\":true,\"sha256\":\"$(sha "$W/a")\"}" recv "bodyfile $W/b" recv | probe >"$P"
expect_grep '"code":"checksum_mismatch"' "$P" "resumed body with the wrong hash: checksum_mismatch"
expect_true "a mismatch leaves no part" test ! -e "$(part d d/v.bin 1000 "$(sha "$W/a")")"
expect_true "nothing under the final name" test ! -e "$ROOT/d/v.bin"

# Two uploads of one key at once: a resume of it is `busy` (the client
# retries), a fresh one gets a private file and leaves the first's part
# untouched; exactly one result, whole.
head -c 3000000 /dev/urandom >"$W/k"
printf '%s\n' 'send {"op":"put","path":"d/k.bin","size":3000000,"overwrite":true}' recv "body 1000000 random" 'sleep 2' abort | probe >"$T/k1.out" &
k1=$!
expect_true "the first upload holds its part" wait_until 10 test -s "$(part d d/k.bin 3000000)"
printf '%s\n' 'send {"op":"put","path":"d/k.bin","size":3000000,"overwrite":true,"resume":true}' recv | probe >"$P"
expect_grep '"code":"busy"' "$P" "resuming an upload that is still running: busy"
printf '%s\n' 'send {"op":"put","path":"d/k.bin","size":3000000,"overwrite":true}' recv "bodyfile $W/k" recv | probe >"$P"
wait "$k1"
expect_grep '"offset":0' <(sed -n 1p "$P") "a racing fresh upload of a held key starts at 0"
expect_grep '"status":"ok"' <(sed -n 2p "$P") "the racing upload completes"
expect_eq "$(sha "$W/k")" "$(sha "$ROOT/d/k.bin")" "the racing upload is whole"
expect_true "the first upload's part survived the race" wait_until 10 test -s "$(part d d/k.bin 3000000)"
printf '%s\n' 'send {"op":"put","path":"d/k.bin","size":3000000,"overwrite":true,"resume":true}' recv abort | probe >"$P"
expect_grep '"offset":1000000' "$P" "and it is still resumable where it stopped"

# Same-size overwrites race on one key (identity, path, size): each ends
# whole, the result is exactly one of them, and gets during the race see
# the whole old or the whole new file.
for x in A B O; do head -c 64000000 /dev/urandom >"$W/race$x"; done
expect_exit 0 ferry_c put "$W/raceO" race.bin
ferry_c put --overwrite "$W/raceA" race.bin >/dev/null 2>"$W/rA.err" &
pa=$!
ferry_c put --overwrite "$W/raceB" race.bin >/dev/null 2>"$W/rB.err" &
pb=$!
okget=0 badget=0
for ((i = 0; i < 3; i++)); do
	if ferry_c get --overwrite race.bin "$W/race.got.$i" >/dev/null 2>&1; then
		g=$(sha "$W/race.got.$i")
		if [[ $g == "$(sha "$W/raceA")" || $g == "$(sha "$W/raceB")" || $g == "$(sha "$W/raceO")" ]]; then
			okget=$((okget + 1))
		else
			badget=$((badget + 1))
		fi
	fi
done
wait "$pa"
ra=$?
wait "$pb"
rb=$?
expect_eq "0 0" "$ra $rb" "two same-size overwrites of one path both succeed"
got=$(sha "$ROOT/race.bin")
if [[ $got == "$(sha "$W/raceA")" || $got == "$(sha "$W/raceB")" ]]; then
	pass "the result is exactly one of them, whole"
else
	fail "the result is neither upload"
fi
expect_eq 0 "$badget" "gets during the race saw whole files only ($okget whole)"
expect_eq "" "$(find "$ROOT" -maxdepth 1 -name '.ferry-part.*')" "the race left no part behind"
rm -f "$W"/race* "$ROOT/race.bin"

# ---- ferry put --resume after kill -9 of the server -----------------------
N=$((256 * 1024 * 1024))
head -c $N /dev/urandom >"$W/big"
echo "old content" >"$ROOT/big.bin"
FERRY_TIMEOUT=60 ferry_exec put --overwrite --retries 0 "$W/big" big.bin >/dev/null 2>"$W/kill.err" &
client=$!
if wait_until 30 bash -c '[[ $(stat -c %s "$1"/.ferry-part.* 2>/dev/null | sort -n | tail -1) -gt 50000000 ]]' _ "$ROOT"; then
	kill -KILL "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null
	unset 'SERVER_LOG[$SRV_PID]'
	wait "$client"
	expect_eq 3 "$?" "the client of a killed server exits 3"
	expect_eq "old content" "$(cat "$ROOT/big.bin")" "kill -9 mid-upload: the old content is intact"
	start_server
	expect_exit 0 ferry_c ls
	expect_no_grep 'ferry-part' "$OUT" "after the restart no temporary file is visible"
	expect_exit 0 ferry_c put --overwrite --resume "$W/big" big.bin
	expect_grep "$(sha "$W/big")  big.bin" "$OUT" "put --resume prints the right SHA-256"
	expect_eq "$(sha "$W/big")" "$(sha "$ROOT/big.bin")" "put --resume after kill -9: the stored file is whole"
	b=$(logged_bytes big.bin)
	if [[ $b =~ ^[0-9]+$ ]] && ((b > 0 && b < N)); then
		pass "put --resume continued from offset $((N - b)) (sent $b of $N bytes)"
	else
		fail "put --resume did not continue from a nonzero offset (sent '$b' of $N)"
	fi
else
	kill -KILL "$client" 2>/dev/null
	wait "$client" 2>/dev/null
	fail "the 256 MiB upload never got 50 MB into its part"
fi

# ---- a client killed mid-upload, then --resume -----------------------------
ferry_exec put --retries 0 "$W/big" killed.bin >/dev/null 2>&1 &
client=$!
if wait_until 30 bash -c '[[ $(stat -c %s "$1"/.ferry-part.* 2>/dev/null | sort -n | tail -1) -gt 50000000 ]]' _ "$ROOT"; then
	kill -KILL "$client"
	wait "$client" 2>/dev/null
	expect_true "killed client: nothing under the final name" test ! -e "$ROOT/killed.bin"
	server_alive "ferryd survives the killed client"
	expect_exit 0 ferry_c put --resume "$W/big" killed.bin
	expect_eq "$(sha "$W/big")" "$(sha "$ROOT/killed.bin")" "put --resume after a killed client: whole file"
	b=$(logged_bytes killed.bin)
	if [[ $b =~ ^[0-9]+$ ]] && ((b > 0 && b < N)); then
		pass "the resumed put sent only $b of $N bytes"
	else
		fail "the resumed put sent '$b' of $N bytes"
	fi
else
	kill -KILL "$client" 2>/dev/null
	wait "$client" 2>/dev/null
	fail "the killed upload never got 50 MB into its part"
fi

# ---- a client killed mid-download, then --resume ---------------------------
mkdir -p "$W/dl"
ferry_exec get --resume --retries 0 big.bin "$W/dl/big.bin" >/dev/null 2>&1 &
client=$!
if wait_until 30 bash -c '[[ $(stat -c %s "$1/.big.bin.ferry-partial" 2>/dev/null || echo 0) -gt 50000000 ]]' _ "$W/dl"; then
	kill -KILL "$client"
	wait "$client" 2>/dev/null
	expect_true "killed download: nothing under the final name" test ! -e "$W/dl/big.bin"
	have=$(stat -c %s "$W/dl/.big.bin.ferry-partial")
	expect_exit 0 ferry_c get --resume big.bin "$W/dl/big.bin"
	expect_grep "$(sha "$W/big")  $W/dl/big.bin" "$OUT" "get --resume prints the right SHA-256"
	expect_eq "$(sha "$W/big")" "$(sha "$W/dl/big.bin")" "get --resume: the file is whole"
	expect_eq "" "$(ls -A "$W/dl" | grep -v '^big.bin$')" "get --resume left no partial file"
	pass "get --resume continued from a partial of $have bytes"
else
	kill -KILL "$client" 2>/dev/null
	wait "$client" 2>/dev/null
	fail "the download never got 50 MB into its partial file"
fi

# A partial that is not the start of the file (it changed on the server):
# the client says so and downloads again from 0, once.
head -c 1000000 /dev/urandom >"$ROOT/changed.bin"
head -c 1000 /dev/urandom >"$W/dl/.changed.bin.ferry-partial"
expect_exit 0 ferry_c get --resume changed.bin "$W/dl/changed.bin"
expect_grep 'changed on the server.*again from 0' "$ERR" "a stale partial is discarded, and the client says so"
expect_eq "$(sha "$ROOT/changed.bin")" "$(sha "$W/dl/changed.bin")" "the download from 0 is whole"
# Without --resume a leftover partial is ignored (started afresh).
head -c 1000 /dev/urandom >"$W/dl/.changed2.ferry-partial"
cp "$ROOT/changed.bin" "$ROOT/changed2"
expect_exit 0 ferry_c get changed2 "$W/dl/changed2"
expect_eq "$(sha "$ROOT/changed2")" "$(sha "$W/dl/changed2")" "without --resume a stale partial is ignored"
expect_no_grep 'changed on the server' "$ERR" "and needs no restart"

# A local file that changed since the held part: the client notices the
# prefix hash differs and starts again from 0.
head -c 2000000 /dev/urandom >"$W/m"
printf '%s\n' 'send {"op":"put","path":"m.bin","size":2000000}' recv "body 500000 random" 'sleep 0.3' abort | probe >"$P"
sleep 0.5
expect_exit 0 ferry_c put --resume "$W/m" m.bin
expect_grep 'not the start of .*starting again from 0' "$ERR" "put --resume: a foreign prefix is refused, and the client says so"
expect_eq "$(sha "$W/m")" "$(sha "$ROOT/m.bin")" "and the upload from 0 is whole"

rm -f "$ROOT/big.bin" "$ROOT/killed.bin" "$W/dl/big.bin"

expect_eq "" "$(find "$ROOT" -name '.ferry-part.*' -size 0)" "no empty parts are held"

# ---- expiry ---------------------------------------------------------------
stop_server "$SRV_PID"
start_server --partial-ttl 1
printf '%s\n' 'send {"op":"put","path":"e/old.bin","size":1000}' recv "bodyfile $W/a" 'sleep 0.3' abort | probe >"$P"
expect_true "a held part expires after --partial-ttl" wait_until 15 bash -c '[[ $(find "$1" -name ".ferry-part.*" | wc -l) == 0 ]]' _ "$ROOT"
expect_grep 'removed [0-9]+ interrupted upload' "$SRV_LOG" "the sweep says what it removed"
server_alive

finish
