#!/usr/bin/env bash
# t_paths.sh - the path rules at the server (a table of hostile paths, each
# sent with every op through fr_probe) and symlinks planted inside the root
# that point outside: never followed, nothing outside read or changed.
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }

make_pki
start_server
mkdir -p "$ROOT/d"
echo inside >"$ROOT/d/f"

# Bad paths as JSON string bodies (escapes are JSON's, not the shell's).
long=$(printf 'a%.0s' {1..256})
deep=$(for i in {1..16}; do printf '%s/' "$(printf 'b%.0s' {1..255})"; done)
deep=${deep%/} # 16 x 255 + 15 = 4095 bytes: legal
bad_paths=(
	'..' '.' '../x' 'a/../b' 'a/..' './a' 'a/./b' 'a/.'
	'/abs' '/' 'a//b' 'a/' '//' 'd/f/'
	'a\\b' '\\' 'a\u0001b' 'a\nb' 'a\tb' 'a\u001fb' 'a\u007fb' 'a\u0000b' '\u0000'
	'.ferry-part.x' 'd/.ferry-part.x' '.ferry-part.x/y' '.ferry-part.'
	"$long" "d/$long" "${deep}x" "x/$deep"
	'../../../../etc/passwd' '/etc/passwd' 'd/../../x' 'x/../..' '/..' '../'
	'./' 'd/./' '..//x' '\\\\server\\share' 'C:\\windows' '..\\..\\x'
	'a\rb' '\u001b[31mred' 'd/f/\u0000' '.ferry-part.x/../y'
)
script=
n=0
for p in "${bad_paths[@]}"; do
	for op in stat list delete get; do
		script+="send {\"op\":\"$op\",\"path\":\"$p\"}"$'\n'recv$'\n'
		n=$((n + 1))
	done
	script+="send {\"op\":\"put\",\"path\":\"$p\",\"size\":1}"$'\n'recv$'\n'
	n=$((n + 1))
done
# The root itself is not a file.
for op in put get delete; do
	script+="send {\"op\":\"$op\",\"path\":\"\",\"size\":1}"$'\n'recv$'\n'
	n=$((n + 1))
done
P=$T/paths.out
printf '%s' "$script" | probe >"$P"
expect_true "at least 40 bad paths in the table (${#bad_paths[@]})" test "${#bad_paths[@]}" -ge 40
expect_eq "$n" "$(grep -c '"code":"invalid_path"' "$P")" "all $n hostile requests answered invalid_path"
if [[ $(grep -c '"code":"invalid_path"' "$P") != "$n" ]]; then
	paste -d' ' <(printf '%s' "$script" | grep '^send' ) "$P" | grep -v invalid_path | head -10 | sed 's/^/  | /'
fi
expect_eq "f" "$(ls -A "$ROOT/d" | xargs)" "nothing created by hostile puts (d/)"
expect_eq "d" "$(ls -A "$ROOT" | xargs)" "nothing created by hostile puts (root)"

# Good edge cases: a 255-byte component and a 4095-byte path work.
name255=$(printf 'c%.0s' {1..255})
probe >"$P" <<S
send {"op":"put","path":"$name255","size":1}
recv
body 1
recv
send {"op":"put","path":"$deep","size":2}
recv
body 2
recv
send {"op":"stat","path":"$deep"}
recv
send {"op":"list","path":""}
recv
send {"op":"stat","path":""}
recv
send {"op":"stat","path":"d/f"}
recv
send {"op":"stat","path":"caf\u00e9/\u2603"}
recv
S
expect_grep '"status":"ok"' <(sed -n 2p "$P") "put of a 255-byte name works"
expect_grep '"status":"ok"' <(sed -n 4p "$P") "put of a 4095-byte path works"
expect_grep '"size":2' <(sed -n 5p "$P") "stat of the 4095-byte path"
expect_grep '"entries"' <(sed -n 6p "$P") "list of the root works"
expect_grep '"type":"dir"' <(sed -n 7p "$P") "stat of the root is a directory"
expect_grep '"type":"file"' <(sed -n 8p "$P") "stat of d/f"
expect_grep '"code":"not_found"' <(sed -n 9p "$P") "valid UTF-8 names are fine (not_found, not invalid_path)"

# ---- names a client could never send, planted on disk -------------------
mkdir -p "$ROOT/odd"
: >"$ROOT/odd/good"
: >"$ROOT/odd/"$'new\nline'
: >"$ROOT/odd/"$'bad\xffutf8'
: >"$ROOT/odd/back\\slash"
: >"$ROOT/odd/.ferry-part.planted"
mkfifo "$ROOT/odd/fifo"
expect_exit 0 ferry_c ls odd
expect_eq "good" "$(awk '{print $NF}' "$OUT" | xargs)" "listings skip unaddressable names, temporary names and FIFOs"
probe >"$P" <<'S'
send {"op":"list","path":"odd"}
recv
send {"op":"get","path":"odd/fifo"}
recv
send {"op":"stat","path":"odd/fifo","sha256":true}
recv
send {"op":"put","path":"odd/fifo/x","size":1}
recv
send {"op":"stat","path":"odd/good"}
recv
S
expect_true "the list response is valid JSON" json_ok <(sed -n 1p "$P")
expect_grep '"code":"(forbidden|not_found|io_error)"' <(sed -n 2p "$P") "get of a FIFO is refused (and does not hang)"
expect_grep '"code":"(forbidden|not_found|io_error)"' <(sed -n 3p "$P") "stat --sha256 of a FIFO is refused"
expect_grep '"code":"(forbidden|not_directory)"' <(sed -n 4p "$P") "put below a FIFO is refused"
expect_grep '"status":"ok"' <(sed -n 5p "$P") "the connection still works"
rm -rf "$ROOT/odd"

# FR_MAX_PATH_DEPTH (128) components: the default and the ceiling of
# --max-path-depth.  A put that deep creates its 127 parents (a mkdir +
# fsync each: the bound on one request's cost); one more level is refused
# before anything is created; the ceiling cannot be raised.
deep=$(printf 'a/%.0s' {1..127})a
printf '%s\n' "send {\"op\":\"put\",\"path\":\"$deep\",\"size\":1}" recv 'body 1' recv \
	"send {\"op\":\"put\",\"path\":\"b/$deep\",\"size\":1}" recv \
	"send {\"op\":\"delete\",\"path\":\"$deep\"}" recv |
	PROBE_TIMEOUT=90 probe --timeout 60 >"$P"
expect_grep '"status":"ok"' <(sed -n 2p "$P") "put 128 levels deep"
expect_grep '"code":"invalid_path"' <(sed -n 3p "$P") "put 129 levels deep: invalid_path"
expect_grep '"status":"ok"' <(sed -n 4p "$P") "delete 128 levels deep"
expect_true "the refused put created nothing" test ! -e "$ROOT/b"
expect_exit 2 timeout 20 "$FERRYD" --root "$ROOT" --cert "$SRV_CRT" --key "$SRV_KEY" \
	--ca "$CA" --listen 127.0.0.1:0 --max-path-depth 129
expect_grep 'max-path-depth.*1\.\.128' "$ERR" "--max-path-depth cannot exceed 128"
rm -rf "$ROOT/a"

# A held part at the deepest level expires like any other: the sweep
# reaches every level a path can have.
SAVED_PID=$SRV_PID SAVED_SRV=$SRV SAVED_LOG=$SRV_LOG SAVED_ROOT=$ROOT
ROOT=$T/root-sweep
start_server --partial-ttl 2 --stall-timeout 1
# half the body, then silence: the stall timeout cuts it and holds the part
printf '%s\n' "send {\"op\":\"put\",\"path\":\"$deep\",\"size\":10}" recv 'body 5' recv |
	probe >"$P"
part_at_depth() { find "$ROOT" -mindepth 128 -name '.ferry-part.*' | grep -q .; }
expect_true "an upload cut 128 levels deep is held" wait_until 10 part_at_depth
expect_true "and the sweep removes it after --partial-ttl" wait_until 20 bash -c '! find "$1" -name ".ferry-part.*" | grep -q .' _ "$ROOT"
expect_grep 'removed 1 interrupted upload' "$SRV_LOG" "the sweep logs it"
stop_server "$SRV_PID"
SRV_PID=$SAVED_PID SRV=$SAVED_SRV SRV_LOG=$SAVED_LOG ROOT=$SAVED_ROOT

# ---- symlinks out of the root ------------------------------------------
OUTSIDE=$T/outside
mkdir -p "$OUTSIDE/sub"
echo "secret" >"$OUTSIDE/secret.txt"
echo "deep secret" >"$OUTSIDE/sub/s2.txt"
before=$(cd "$OUTSIDE" && find . -printf '%p %s %T@\n' | sort | sha256sum)
ln -s "$OUTSIDE" "$ROOT/link"
ln -s "$OUTSIDE/secret.txt" "$ROOT/flink"
ln -s ../../outside "$ROOT/d/rel"
ln -s f "$ROOT/d/inlink" # inside the root, but still a symlink
probe >"$P" <<'S'
send {"op":"get","path":"link/secret.txt"}
recv
send {"op":"get","path":"flink"}
recv
send {"op":"list","path":"link"}
recv
send {"op":"stat","path":"link/sub/s2.txt","sha256":true}
recv
send {"op":"put","path":"link/new.txt","size":1}
recv
send {"op":"put","path":"link/sub/new.txt","size":1}
recv
send {"op":"delete","path":"link/secret.txt"}
recv
send {"op":"get","path":"d/rel/secret.txt"}
recv
send {"op":"get","path":"d/inlink"}
recv
send {"op":"list","path":"d/rel"}
recv
S
i=0
for what in "get link/secret.txt" "get flink" "list link" "stat link/sub/s2.txt" \
	"put link/new.txt" "put link/sub/new.txt" "delete link/secret.txt" \
	"get d/rel/secret.txt" "get d/inlink (symlink inside the root)" "list d/rel"; do
	i=$((i + 1))
	l=$(sed -n "${i}p" "$P")
	if [[ $l == *'"code":"forbidden"'* ]]; then
		pass "symlink not followed: $what -> forbidden"
	else
		fail "symlink: $what: wanted forbidden, got: ${l:-<nothing>}"
	fi
done
expect_no_grep 'secret' "$P" "no byte or name from outside the root came back"

expect_exit 1 ferry_c get link/secret.txt "$T/got.txt"
expect_true "ferry get through a symlink wrote nothing" test ! -e "$T/got.txt"
echo "new" >"$T/new.txt"
expect_exit 1 ferry_c put "$T/new.txt" link/new.txt
expect_exit 1 ferry_c rm flink/x
expect_exit 0 ferry_c ls
expect_no_grep 'link' "$OUT" "listings omit symlinks"
expect_exit 0 ferry_c ls d
expect_no_grep 'rel|inlink' "$OUT" "listings omit symlinks (d/)"

# Replacing the symlink itself by a put --overwrite is fine; following it is not.
ferry_c put --overwrite "$T/new.txt" flink >/dev/null 2>&1
expect_eq "secret" "$(cat "$OUTSIDE/secret.txt")" "the symlink's target is unchanged"
after=$(cd "$OUTSIDE" && find . -printf '%p %s %T@\n' | sort | sha256sum)
expect_eq "$before" "$after" "nothing outside the root was created or changed"

# ---- a symlink swapped in during an upload ----------------------------------
# The upload holds its directory open (no path is resolved again), so a
# directory replaced by a symlink out of the root mid-body changes nothing
# outside: the file lands in the directory it started in, or nowhere.
mkdir -p "$ROOT/swap"
printf '%s\n' 'send {"op":"put","path":"swap/up.bin","size":200000}' recv 'body 100000' \
	'sleep 2' 'body 100000 random' recv | probe >"$P" 2>&1 &
up=$!
if wait_until 10 grep -q '"status":"ready"' "$P"; then
	mv "$ROOT/swap" "$ROOT/swap.moved" && ln -s "$OUTSIDE" "$ROOT/swap"
	pass "directory swapped for a symlink out of the root mid-upload"
else
	fail "the upload did not start: $(cat "$P")"
fi
wait "$up"
after=$(cd "$OUTSIDE" && find . -printf '%p %s %T@\n' | sort | sha256sum)
expect_eq "$before" "$after" "the swapped-in symlink was not followed (outside unchanged)"
expect_grep '"path":"swap/up.bin","size":200000' "$P" "the upload finished (ok)"
expect_eq 200000 "$(stat -c %s "$ROOT/swap.moved/up.bin" 2>/dev/null)" "it landed in the directory it started in"
expect_eq "" "$(find "$OUTSIDE" -name '.ferry-part.*')" "no temporary file outside the root"
printf '%s\n' 'send {"op":"put","path":"swap/again.bin","size":1}' recv | probe >"$P" 2>&1
expect_grep '"code":"forbidden"' "$P" "a new put through the swapped-in symlink is forbidden"

server_alive
finish
