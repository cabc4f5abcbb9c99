#!/usr/bin/env bash
# t_hostile.sh - a server never chooses where the client writes (the scp
# CVE-2019-6111 class).  A scripted hostile server (tests/tools/fr_fakesrv)
# sends every kind of bad name and bad tree shape to get -r: each is a
# protocol failure (exit 3) and nothing at all is written.  Then the real
# ferryd with symlinks planted inside LOCAL: no write lands through one.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
FAKE=
for p in "$BUILD/tests/fr_fakesrv" "$BUILD/fr_fakesrv"; do
	[[ -x $p ]] && FAKE=$p && break
done
[[ -n $FAKE ]] || { fail "fr_fakesrv is not built"; finish; }
W=$T/work
mkdir -p "$W"

# fake SCRIPT: start fr_fakesrv with SCRIPT (one connection); sets SRV.
fake() {
	numbered "$T/fake.port"
	local pf=$NUMBERED
	printf '%s\n' "$1" >"$T/script"
	"$FAKE" --cert "$SRV_CRT" --key "$SRV_KEY" --ca "$CA" --port-file "$pf" \
		--script "$T/script" --log "$T/fake.log" 2>"$T/fake.err" &
	FAKE_PID=$!
	wait_until 10 test -s "$pf" || { fail "fr_fakesrv did not start"; finish; }
	SRV=127.0.0.1:$(<"$pf")
}

# hostile DESC ENTRIES_JSON: a listing frame with these entries
hostile() {
	numbered "$W/dest" # a fresh directory for each case
	local desc=$1 entries=$2 dest=$NUMBERED
	mkdir -p "$dest"
	fake "hello 2
read
send {\"status\":\"ok\",\"entries\":[$entries],\"more\":false}
read
send {\"status\":\"error\",\"code\":\"not_found\",\"message\":\"x\"}"
	expect_exit 3 ferry_c get -r tree "$dest/"
	expect_eq "" "$(find "$dest" -mindepth 1 | head -3)" "$desc: nothing written"
	expect_grep 'protocol error' "$ERR" "$desc: a protocol error, said so"
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
}

f='"type":"file","size":1,"mtime":0'
good="{\"name\":\"ok.txt\",$f}"
hostile "empty name" "$good,{\"name\":\"\",$f}"
hostile "'.'" "$good,{\"name\":\".\",\"type\":\"dir\",\"size\":0,\"mtime\":0}"
hostile "'..'" "$good,{\"name\":\"..\",$f}"
hostile "a '/' in a name" "$good,{\"name\":\"../../etc/cron.d/x\",$f}"
hostile "an absolute name" "$good,{\"name\":\"/tmp/x\",$f}"
hostile "an escaped NUL" "$good,{\"name\":\"a\\u0000b\",$f}"
hostile "a control byte" "$good,{\"name\":\"a\\u0001b\",$f}"
hostile "a backslash" "$good,{\"name\":\"a\\\\b\",$f}"
hostile "over 255 bytes" "$good,{\"name\":\"$(printf 'n%.0s' {1..256})\",$f}"
hostile "a depth below a file" "$good,{\"name\":\"x\",$f,\"depth\":1}"
hostile "a first entry deep down" "{\"name\":\"x\",$f,\"depth\":3}"
hostile "a truncated file" "{\"name\":\"x\",$f,\"truncated\":true}"
hostile "a depth past the protocol's" "{\"name\":\"d\",\"type\":\"dir\",\"size\":0,\"mtime\":0,\"depth\":40}"

# invalid UTF-8 (raw 0xff inside the name), built byte by byte
dest=$W/dest.utf8
mkdir -p "$dest"
hex=$(printf '{"status":"ok","entries":[{"name":"a' | od -An -tx1 | tr -d ' \n')ff$(printf 'b",%s}],"more":false}' "$f" | od -An -tx1 | tr -d ' \n')
fake "hello 2
read
sendhex $hex"
expect_exit 3 ferry_c get -r tree "$dest/"
expect_eq "" "$(find "$dest" -mindepth 1 | head -3)" "invalid UTF-8: nothing written"
wait "$FAKE_PID" 2>/dev/null

# a listing that never ends: an empty frame that says more follow
dest=$W/dest.more
mkdir -p "$dest"
fake "hello 2
read
repeat 5
send {\"status\":\"ok\",\"entries\":[],\"more\":true}
end"
expect_exit 3 ferry_c get -r tree "$dest/"
expect_grep 'empty listing frame' "$ERR" "an endless 'more': refused at the first empty frame"
wait "$FAKE_PID" 2>/dev/null

# more than 1000 entries in one frame: refused before it is allocated
dest=$W/dest.big
mkdir -p "$dest"
many=$(for i in $(seq 1 1001); do printf '{"name":"f%d",%s},' "$i" "$f"; done)
fake "hello 2
read
send {\"status\":\"ok\",\"entries\":[${many%,}],\"more\":false}"
expect_exit 3 ferry_c get -r tree "$dest/"
expect_grep 'more than 1000 entries' "$ERR" "a frame of 1001 entries is refused"
expect_eq "" "$(find "$dest" -mindepth 1 | head -3)" "1001 entries: nothing written"
wait "$FAKE_PID" 2>/dev/null

# a server answering a version we do not speak
fake "hello 9"
expect_exit 3 ferry_c ls
expect_grep 'protocol version 9' "$ERR" "a server of version 9 is refused, with the number"
wait "$FAKE_PID" 2>/dev/null

# C1 controls and bidi overrides in a name: written (a legal name), never
# printed raw to a terminal
dest=$W/dest.bidi
mkdir -p "$dest"
fake "hello 2
read
send {\"status\":\"ok\",\"entries\":[{\"name\":\"evil\\u202etxt.exe\",$f},{\"name\":\"c1\\u009bx\",$f}],\"more\":false}
read
send {\"status\":\"ready\",\"size\":1,\"offset\":0}
raw 1
send {\"status\":\"ok\",\"sha256\":\"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\"}
read
send {\"status\":\"ready\",\"size\":1,\"offset\":0}
raw 1
send {\"status\":\"ok\",\"sha256\":\"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\"}"
if command -v script >/dev/null 2>&1; then
	SRVQ=$SRV
	script -qec "$FERRY -s $SRVQ --ca $CA --cert $CLI_CRT --key $CLI_KEY get -r tree $dest/" "$T/tty.log" >/dev/null 2>&1
	expect_true "the files with C1 and bidi names were written" test -f "$dest/tree/evil"$'\u202e'"txt.exe"
	if grep -q $'\u202e\|\xc2\x9b' "$T/tty.log"; then
		fail "a bidi override or C1 control reached the terminal"
	else
		pass "no bidi override or C1 control reached the terminal"
	fi
	expect_grep 'evil\\u202etxt.exe' "$T/tty.log" "the name is shown escaped"
else
	fail "script(1) is missing (util-linux): cannot check terminal output"
fi
wait "$FAKE_PID" 2>/dev/null

# ---- the real server, symlinks planted inside LOCAL ------------------------
start_server
mkdir -p "$ROOT/tree/sub" "$W/elsewhere"
echo secret >"$W/elsewhere/victim"
echo new >"$ROOT/tree/sub/f"
echo top >"$ROOT/tree/top"
mkdir -p "$W/l1/tree" && ln -s "$W/elsewhere" "$W/l1/tree/sub"
expect_exit 5 ferry_c get -r tree "$W/l1/"
expect_grep 'symlink or a file is in the way' "$ERR" "a symlinked directory inside LOCAL is not followed, and it says so"
expect_eq "" "$(ls "$W/elsewhere" | grep -v victim)" "nothing landed through the symlinked directory"
expect_true "the other files still arrived" test -f "$W/l1/tree/top"
mkdir -p "$W/l2" && ln -s "$W/elsewhere" "$W/l2/tree"
expect_exit 5 ferry_c get -r tree "$W/l2/"
expect_eq "" "$(ls "$W/elsewhere" | grep -v victim)" "a symlink standing where the copy goes is not followed"
mkdir -p "$W/l3/tree/sub" && ln -s "$W/elsewhere/victim" "$W/l3/tree/sub/f"
expect_exit 5 ferry_c get -r tree "$W/l3/"
expect_grep 'exists' "$ERR" "a symlink where a file goes: exists, without --overwrite"
expect_exit 0 ferry_c get -r --overwrite tree "$W/l3/"
expect_eq secret "$(cat "$W/elsewhere/victim")" "with --overwrite the symlink is replaced, its target untouched"
expect_true "and a regular file stands there now" test -f "$W/l3/tree/sub/f" -a ! -L "$W/l3/tree/sub/f"
finish
