#!/usr/bin/env bash
# t_errors.sh - every error code the server can produce, through fr_probe
# (raw frames): bad_request (and the close after it), unsupported (and the
# connection staying usable), invalid_path, not_found, exists,
# is_directory, not_directory, not_empty, too_large, checksum_mismatch,
# busy, timeout; plus pipelining and the ready/ok shapes.  forbidden is in
# t_paths.sh (symlinks).
source "$(dirname "$0")/lib.sh" "$@"
[[ -n $PROBE ]] || { fail "fr_probe not built"; finish; }

make_pki
start_server
mkdir -p "$ROOT/dir/sub"
echo hello >"$ROOT/file.txt"
printf 'twelve bytes' >"$ROOT/dir/f12"
Z10=01d448afd928065458cf670b60f5a594d735af0172c8d67f22a81680132681ca # 10 zero bytes

# line N FILE: the Nth output line of a probe run.
line() { sed -n "${1}p" "$2"; }

# code_is N FILE CODE DESC: line N is an error frame with CODE.
code_is() {
	local l
	l=$(line "$1" "$2")
	if [[ $l == *'"status":"error"'* && $l == *"\"code\":\"$3\""* ]]; then
		pass "$4"
	else
		fail "$4: wanted error $3, got: ${l:-<nothing>}"
	fi
}

# closed N FILE DESC: line N says the server closed the connection.
closed() {
	local l
	l=$(line "$1" "$2")
	if [[ $l == EOF* || $l == TRUNCATED* ]]; then
		pass "$3"
	else
		fail "$3: wanted the connection closed, got: ${l:-<nothing>}"
	fi
}

# has N FILE DESC STRING...: line N contains every STRING.
has() {
	local l s
	l=$(line "$1" "$2")
	for s in "${@:4}"; do
		if [[ $l != *"$s"* ]]; then
			fail "$3: '$s' not in: ${l:-<nothing>}"
			return 1
		fi
	done
	pass "$3"
}

# okline N FILE DESC: line N is an ok frame.
okline() {
	local l
	l=$(line "$1" "$2")
	if [[ $l == *'"status":"ok"'* ]]; then
		pass "$3"
	else
		fail "$3: wanted ok, got: ${l:-<nothing>}"
	fi
}

P=$T/p.out

# ---- bad_request: each closes the connection ----------------------------
badreq() {
	local desc=$1
	shift
	printf '%s\n' "$@" recv recv | probe >"$P" 2>"$T/p.err"
	code_is 1 "$P" bad_request "bad_request: $desc"
	closed 2 "$P" "bad_request closes the connection: $desc"
}
badreq "not JSON" 'send hello there'
badreq "a JSON array" 'send []'
badreq "a JSON string" 'send "op"'
badreq "no op" 'send {"path":"file.txt"}'
badreq "op not a string" 'send {"op":1,"path":"file.txt"}'
badreq "trailing bytes" 'send {"op":"stat","path":"file.txt"}x'
badreq "two objects" 'send {"op":"stat","path":"file.txt"}{}'
badreq "duplicate op" 'send {"op":"stat","op":"stat","path":"file.txt"}'
badreq "duplicate path" 'send {"op":"stat","path":"file.txt","path":"dir"}'
badreq "escaped NUL outside path" 'send {"op":"stat\u0000","path":"file.txt"}'
badreq "raw control character" 'sendhex 7b226f70223a2273746174222c2270617468223a2266696c6501227d'
badreq "invalid UTF-8" 'sendhex 7b226f70223a2273746174222c2270617468223a2266ff227d'
badreq "path of the wrong type" 'send {"op":"stat","path":7}'
badreq "put without size" 'send {"op":"put","path":"new.bin"}'
badreq "negative size" 'send {"op":"put","path":"new.bin","size":-1}'
badreq "fractional size" 'send {"op":"put","path":"new.bin","size":1.5}'
badreq "size as a string" 'send {"op":"put","path":"new.bin","size":"10"}'
badreq "uppercase sha256" "send {\"op\":\"put\",\"path\":\"new.bin\",\"size\":10,\"sha256\":\"${Z10^^}\"}"
badreq "short sha256" 'send {"op":"put","path":"new.bin","size":10,"sha256":"abc"}'
badreq "overwrite not a bool" 'send {"op":"put","path":"new.bin","size":1,"overwrite":"yes"}'
badreq "get offset beyond the end" 'send {"op":"get","path":"file.txt","offset":7}'
badreq "negative offset" 'send {"op":"get","path":"file.txt","offset":-1}'
badreq "too deeply nested" "send {\"op\":\"stat\",\"path\":\"file.txt\",\"x\":$(printf '[%.0s' {1..40})$(printf ']%.0s' {1..40})}"
expect_true "no new.bin after all those bad puts" test ! -e "$ROOT/new.bin"

# Bad frame lengths: refused from the length alone, before any body.
printf '%s\n' 'raw 00000000' recv recv | probe >"$P"
code_is 1 "$P" bad_request "bad_request: frame length 0"
closed 2 "$P" "frame length 0 closes the connection"
printf '%s\n' 'raw 00010001' recv recv | probe >"$P"
code_is 1 "$P" bad_request "bad_request: frame length 65537, sent without its body"
closed 2 "$P" "frame length 65537 closes the connection"
printf '%s\n' 'raw ffffffff' recv recv | probe >"$P"
code_is 1 "$P" bad_request "bad_request: frame length 2^32-1"

# The largest legal request (65536 bytes) is read whole: padding is an
# unknown field, which is ignored.
pre='{"op":"stat","path":"file.txt","pad":"'
suf='"}'
big=$pre$(head -c $((65536 - ${#pre} - ${#suf})) /dev/zero | tr '\0' a)$suf
expect_eq 65536 "${#big}" "test request is exactly 65536 bytes"
printf 'send %s\nrecv\n' "$big" | probe >"$P"
okline 1 "$P" "a 65536-byte request is accepted"
printf 'send %s\nrecv\nrecv\n' "${big/\"pad\":\"/\"pad\":\"a}" | probe >"$P"
code_is 1 "$P" bad_request "bad_request: a 65537-byte request"
closed 2 "$P" "a 65537-byte request closes the connection"

# ---- unsupported keeps the connection -----------------------------------
probe >"$P" <<'S'
send {"op":"frobnicate","path":"x"}
recv
send {"op":"hello","version":1,"client":"fr_probe"}
recv
S
code_is 1 "$P" unsupported "unsupported: unknown op"
okline 2 "$P" "connection usable after unsupported"
expect_grep '"identity":"alice"' "$P" "hello names the client's CN"
expect_grep '"version":1' "$P" "hello answers version 1"

# ---- the ordinary errors, all on one connection ---------------------------
probe >"$P" <<'S'
send {"op":"get","path":""}
recv
send {"op":"get","path":"missing.txt"}
recv
send {"op":"stat","path":"missing/deeper"}
recv
send {"op":"delete","path":"missing.txt"}
recv
send {"op":"list","path":"missing"}
recv
send {"op":"put","path":"file.txt","size":3}
recv
send {"op":"put","path":"file.txt","size":3,"overwrite":false}
recv
send {"op":"get","path":"dir"}
recv
send {"op":"put","path":"dir","size":3}
recv
send {"op":"put","path":"dir","size":3,"overwrite":true}
recv
send {"op":"put","path":"file.txt/below","size":3}
recv
send {"op":"list","path":"file.txt"}
recv
send {"op":"delete","path":"dir"}
recv
send {"op":"put","path":"big.bin","size":9007199254740992}
recv
send {"op":"put","path":"big.bin","size":1e300}
recv
send {"op":"stat","path":"file.txt"}
recv
S
code_is 1 "$P" invalid_path "invalid_path: get of the root"
code_is 2 "$P" not_found "not_found: get"
code_is 3 "$P" not_found "not_found: stat below a missing directory"
code_is 4 "$P" not_found "not_found: delete"
code_is 5 "$P" not_found "not_found: list"
code_is 6 "$P" exists "exists: put onto a file"
code_is 7 "$P" exists "exists: put onto a file with overwrite false"
code_is 8 "$P" is_directory "is_directory: get of a directory"
code_is 9 "$P" is_directory "is_directory: put onto a directory"
code_is 10 "$P" is_directory "is_directory: put --overwrite onto a directory"
code_is 11 "$P" not_directory "not_directory: put below a file"
code_is 12 "$P" not_directory "not_directory: list of a file"
code_is 13 "$P" not_empty "not_empty: delete of a non-empty directory"
code_is 14 "$P" too_large "too_large: size 2^53"
code_is 15 "$P" too_large "too_large: size 1e300"
okline 16 "$P" "connection still usable after thirteen errors"
expect_eq "hello" "$(cat "$ROOT/file.txt")" "file.txt untouched"
expect_true "dir untouched" test -d "$ROOT/dir/sub" -a -f "$ROOT/dir/f12"
expect_true "no big.bin" test ! -e "$ROOT/big.bin"

# ---- put/get shapes, pipelining, checksum_mismatch -------------------------
probe >"$P" <<S
send {"op":"put","path":"z/ten.bin","size":10,"sha256":"$Z10"}
recv
body 10
recv
send {"op":"get","path":"z/ten.bin"}
recv
recvbody 10
recv
send {"op":"get","path":"z/ten.bin","offset":4}
recv
recvbody 6
recv
send {"op":"stat","path":"z/ten.bin","sha256":true}
send {"op":"stat","path":"z"}
recv
recv
send {"op":"put","path":"z/bad.bin","size":10,"sha256":"$(printf '0%.0s' {1..64})"}
recv
body 10
recv
send {"op":"stat","path":"z/bad.bin"}
recv
S
has 1 "$P" "put: ready with offset 0" '"status":"ready"' '"offset":0'
okline 2 "$P" "put: ok after the body"
expect_grep "\"sha256\":\"$Z10\"" <(line 2 "$P") "put ok carries the hash"
expect_grep '"size":10' <(line 2 "$P") "put ok carries the size"
expect_grep '"path":"z/ten.bin"' <(line 2 "$P") "put ok carries the path"
has 3 "$P" "get: ready with size and offset" '"status":"ready"' '"size":10' '"offset":0'
expect_eq "BODY 10 $Z10" "$(line 4 "$P")" "get: the body"
expect_grep "\"sha256\":\"$Z10\"" <(line 5 "$P") "get ok carries the hash"
expect_grep '"offset":4' <(line 6 "$P") "get with offset: ready says offset 4"
expect_eq "BODY 6 $(head -c 6 /dev/zero | sha256sum | cut -d' ' -f1)" "$(line 7 "$P")" "get with offset: the last 6 bytes"
expect_grep "\"sha256\":\"$Z10\"" <(line 8 "$P") "get with offset: the hash covers all bytes"
has 9 "$P" "pipelined stat 1 (file, sha256) answered first" '"type":"file"' "\"sha256\":\"$Z10\"" '"size":10'
expect_grep '"type":"dir"' <(line 10 "$P") "pipelined stat 2 (dir) answered second"
expect_grep '"status":"ready"' <(line 11 "$P") "put with a wrong sha256: ready"
code_is 12 "$P" checksum_mismatch "checksum_mismatch: wrong sha256"
code_is 13 "$P" not_found "checksum_mismatch stored nothing (and the connection stays usable)"
expect_true "no z/bad.bin on disk" test ! -e "$ROOT/z/bad.bin"
expect_eq "" "$(ls -A "$ROOT/z" | grep -v '^ten.bin$')" "no temporary file left in z/"

# ---- too_large with --max-file-size ---------------------------------------
start_server --max-file-size 1000
probe >"$P" <<'S'
send {"op":"put","path":"limit/a","size":1001}
recv
send {"op":"put","path":"limit/b","size":1000}
recv
body 1000
recv
S
code_is 1 "$P" too_large "too_large: 1001 bytes over --max-file-size 1000"
expect_grep '"status":"ready"' <(line 2 "$P") "exactly --max-file-size is accepted"
okline 3 "$P" "1000-byte put completes"
expect_true "limit/a not stored" test ! -e "$ROOT/limit/a"
expect_eq 1000 "$(stat -c %s "$ROOT/limit/b" 2>/dev/null)" "limit/b stored"
head -c 1001 /dev/urandom >"$T/1001.bin"
expect_exit 1 ferry_c put "$T/1001.bin" limit/c
expect_grep 'large' "$ERR" "ferry reports too_large"
stop_server "$SRV_PID"

# ---- sizes that break naive parsers -----------------------------------------
# At --max-file-size 2^31-1 a size just above INT_MAX must be too_large: a
# parser trusting cJSON's valueint (saturated at INT_MAX) would accept it.
start_server --max-file-size 2147483647
# size_is SIZE CODE DESC: put with that "size" (raw JSON text) answers CODE.
size_is() {
	printf 'send {"op":"put","path":"sz.bin","size":%s}\nrecv\n' "$1" | probe >"$P" 2>&1
	code_is 1 "$P" "$2" "$3"
}
size_is 2147483648 too_large "size 2^31 (INT_MAX + 1, valueint saturates) is too_large"
size_is 4294967296 too_large "size 2^32 is too_large"
size_is 9007199254740991 too_large "size 2^53-1 above --max-file-size is too_large"
size_is 9007199254740992 too_large "size 2^53 is too_large"
size_is 18446744073709551616 too_large "size 2^64 is too_large"
size_is 1e400 bad_request "size 1e400 (infinity as a double) is bad_request"
size_is -1e400 bad_request "size -1e400 is bad_request"
size_is -0.5 bad_request "size -0.5 is bad_request"
size_is 2147483647.5 bad_request "size INT_MAX + 0.5 is bad_request"
size_is true bad_request "size true is bad_request"
size_is null bad_request "size null is bad_request"
size_is '[1]' bad_request "size [1] is bad_request"
size_is '{"n":1}' bad_request "size {} is bad_request"
size_is '"2147483648"' bad_request "size as a numeric string is bad_request"
size_is 0x10 bad_request "size 0x10 (not JSON) is bad_request"
size_is 010 bad_request "size 010 (leading zero, not JSON) is bad_request"
size_is NaN bad_request "size NaN (not JSON) is bad_request"
printf 'send {"op":"put","path":"sz.bin","size":2147483647}\nrecv\n' | probe >"$P" 2>&1
expect_grep '"status":"ready"' "$P" "size INT_MAX itself is accepted at --max-file-size 2^31-1"
expect_true "no sz.bin after the refused sizes" test ! -e "$ROOT/sz.bin"

# ---- JSON shapes --------------------------------------------------------------
nest=$(printf '{"a":%.0s' {1..40})1$(printf '}%.0s' {1..40})
badreq "40 nested objects" "send {\"op\":\"stat\",\"path\":\"\",\"x\":$nest}"
badreq "65000 open brackets" "send {\"op\":\"stat\",\"x\":$(head -c 65000 /dev/zero | tr '\0' '[')"
badreq "lone surrogate escape" 'send {"op":"stat","path":"\ud800"}'
badreq "overlong UTF-8 encoding of '.'" 'sendhex 7b226f70223a2273746174222c2270617468223a22c0ae227d'
badreq "UTF-8 surrogate bytes" 'sendhex 7b226f70223a2273746174222c2270617468223a22eda080227d'
badreq "escaped NUL in a key" 'send {"op":"stat","path":"","x\u0000":1}'
badreq "raw NUL inside a string" 'sendhex 7b226f70223a2273746174222c2270617468223a220061227d'
badreq "single quotes" "send {'op':'stat','path':''}"
badreq "comment" 'send {"op":"stat","path":""}/* x */'
badreq "NUL byte after the object" 'sendhex 7b226f70223a2268656c6c6f227d00'
long=$(head -c 65000 /dev/zero | tr '\0' 'p')
printf 'send {"op":"stat","path":"%s"}\nrecv\nsend {"op":"hello","version":1}\nrecv\n' "$long" | probe >"$P" 2>&1
code_is 1 "$P" invalid_path "a 65000-byte path string is invalid_path"
okline 2 "$P" "the connection stays usable after it"
key=$(head -c 60000 /dev/zero | tr '\0' 'k')
printf 'send {"%s":1,"op":"hello","version":1}\nrecv\n' "$key" | probe >"$P" 2>&1
okline 1 "$P" "a 60000-byte unknown key is ignored"
server_alive "ferryd survives the malformed requests"
stop_server "$SRV_PID"

# ---- busy at --max-conns --------------------------------------------------
start_server --max-conns 1
HOLD=$T/hold.out
printf '%s\n' 'send {"op":"hello","version":1}' recv 'sleep 6' |
	probe >"$HOLD" 2>&1 &
holder=$!
if wait_until 15 grep -q '"status":"ok"' "$HOLD"; then
	pass "first connection is served"
	echo recv | PROBE_TIMEOUT=20 probe >"$P" 2>&1
	if grep -q '"code":"busy"' "$P"; then
		pass "busy: second connection at --max-conns 1"
	else
		fail "busy: second connection at --max-conns 1 got: $(head -c 300 "$P")"
	fi
	expect_exit 1 ferry_c whoami
	expect_grep 'busy' "$ERR" "ferry reports busy"
else
	fail "first connection was not served: $(cat "$HOLD")"
fi
wait "$holder"
# Once the first one is gone, the slot is free again.
expect_true "after the holder left, a new client is served" \
	wait_until 10 ferry_c whoami
stop_server "$SRV_PID"

# ---- timeouts ---------------------------------------------------------------
start_server --idle-timeout 1 --stall-timeout 1 --handshake-timeout 2
t0=$SECONDS
printf '%s\n' 'send {"op":"hello","version":1}' recv recv recv | PROBE_TIMEOUT=30 probe --timeout 10 >"$P"
okline 1 "$P" "hello before going idle"
code_is 2 "$P" timeout "timeout: idle connection (--idle-timeout 1)"
closed 3 "$P" "idle timeout closes the connection"
((SECONDS - t0 <= 8)) && pass "idle timeout came in time" || fail "idle timeout took $((SECONDS - t0)) s"

printf '%s\n' 'send {"op":"put","path":"stall.bin","size":100}' recv 'body 10' recv recv |
	PROBE_TIMEOUT=30 probe --timeout 10 >"$P"
expect_grep '"status":"ready"' <(line 1 "$P") "stalled put: ready"
l=$(line 2 "$P")
if [[ $l == *'"code":"timeout"'* || $l == EOF* || $l == TRUNCATED* ]]; then
	pass "stall timeout ends a stalled body (got ${l:0:60})"
else
	fail "stall timeout: got ${l:-<nothing>}"
fi
expect_true "stalled put stored nothing" wait_until 5 test ! -e "$ROOT/stall.bin"

# A TCP connection that never starts TLS is closed after --handshake-timeout.
t0=$EPOCHREALTIME
if exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; then
	timeout 15 cat <&"$fd" >/dev/null
	rc=$?
	exec {fd}>&-
	if [[ $rc != 124 ]]; then
		pass "handshake timeout closes a silent TCP connection"
	else
		fail "silent TCP connection still open after 15 s (--handshake-timeout 2)"
	fi
else
	fail "cannot connect to 127.0.0.1:$PORT"
fi
server_alive "ferryd still serving after the timeouts"
expect_exit 0 ferry_c whoami

finish
