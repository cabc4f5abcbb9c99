#!/usr/bin/env bash
# t_acl.sh - ferryd --acl: identities confined to their own root with their
# own permissions, unknown identities refused every request (and logged),
# hostile certificate CNs ('/', "..", control characters) that cannot
# escape, symlinks planted where a root should be, malformed ACL files
# stopping the server at start with the line or field at fault; and the
# per-identity limits --max-conns-per-identity, --max-path-depth and
# --max-list-entries.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
for who in bob carol dave; do
	"$FERRY_CERTS" client "$PKI" "$who" >/dev/null || exit 1
done
make_cn_cert dotdot '../../../../etc'
make_cn_cert slashy 'a/../../b'
make_cn_cert ctrl $'evil\nname\x01'
make_cn_cert abs '/etc'

# ferry_as NAME ARGS...: the client with $PKI/NAME.crt.
ferry_as() {
	local who=$1
	shift
	timeout -k 5 60 "$FERRY" -s "$SRV" --ca "$CA" --cert "$PKI/$who.crt" \
		--key "$PKI/$who.key" "$@"
}

ROOT=$T/root
OUTSIDE=$T/outside
mkdir -p "$ROOT/pub" "$OUTSIDE"
echo "public" >"$ROOT/pub/readme.txt"
echo "secret" >"$OUTSIDE/secret.txt"
ln -s "$OUTSIDE" "$ROOT/link"
ACL=$T/acl.json
cat >"$ACL" <<'JSON'
{
  "identities": {
    "alice": {"root": "home/alice", "perms": "rwld"},
    "bob":   {"root": "pub", "perms": "rl"},
    "carol": {"root": "", "perms": "l"},
    "../../../../etc": {"root": "jail/dotdot", "perms": "rwld"},
    "a/../../b": {"root": "jail/slashy", "perms": "rwl"},
    "/etc": {"root": "link", "perms": "rwld"}
  }
}
JSON
head -c 1000 /dev/urandom >"$T/f.bin"
[[ ! -e $ROOT/home ]] && pass "alice's root does not exist before her first connection" ||
	fail "home exists already"
start_server --acl "$ACL"

# ---- permissions and roots ---------------------------------------------------
expect_exit 0 ferry_as alice --json whoami
expect_eq rwld "$(json_field "$OUT" perms)" "hello reports alice's perms (rwld)"
expect_true "alice's root was created on first use" test -d "$ROOT/home/alice"
expect_exit 0 ferry_as alice put "$T/f.bin" docs/f.bin
expect_true "alice's upload lands below her root" cmp "$T/f.bin" "$ROOT/home/alice/docs/f.bin"
expect_exit 0 ferry_as alice ls
expect_grep 'docs/' "$OUT" "alice's '' is her own root"
expect_no_grep 'pub|home' "$OUT" "alice cannot see the rest of --root"
expect_exit 1 ferry_as alice get ../pub/readme.txt "$T/x"
expect_exit 0 ferry_as alice rm docs/f.bin

expect_exit 0 ferry_as bob --json whoami
expect_eq rl "$(json_field "$OUT" perms)" "hello reports bob's perms (rl)"
expect_exit 0 ferry_as bob get readme.txt "$T/bob-readme.txt"
expect_true "bob reads his root (pub)" cmp "$ROOT/pub/readme.txt" "$T/bob-readme.txt"
expect_exit 1 ferry_as bob put "$T/f.bin" up.bin
expect_grep 'forbidden|not permitted' "$ERR" "bob (rl) may not put"
expect_true "nothing stored for bob's refused put" test ! -e "$ROOT/pub/up.bin"
expect_exit 1 ferry_as bob rm readme.txt
expect_true "bob (rl) may not delete" test -e "$ROOT/pub/readme.txt"

expect_exit 0 ferry_as carol ls
expect_grep 'pub/' "$OUT" "carol (root \"\") lists the whole --root"
expect_exit 1 ferry_as carol get pub/readme.txt "$T/carol.txt"
expect_grep 'forbidden|not permitted' "$ERR" "carol (l) may not get"
expect_exit 1 ferry_as carol sum pub/readme.txt
expect_grep 'forbidden|not permitted' "$ERR" "carol (l) may not hash (r)"
expect_exit 1 ferry_as carol stat pub/readme.txt
expect_grep 'forbidden|not permitted' "$ERR" "carol (l) may not stat (stat needs r)"
expect_exit 0 ferry_as bob stat readme.txt
expect_exit 0 ferry_as bob sum readme.txt

# ---- unknown identities ---------------------------------------------------------
expect_exit 1 ferry_as dave whoami
expect_grep 'forbidden' "$ERR" "an identity not in the ACL is refused hello"
expect_exit 1 ferry_as dave ls
expect_grep "acl: .*identity='dave'.*not in the ACL" "$SRV_LOG" "the log names the unknown identity"
P=$T/p.out
printf '%s\n' 'send {"op":"stat","path":""}' recv 'send {"op":"nosuchop"}' recv \
	'send {"op":"get","path":"pub/readme.txt"}' recv |
	probe --cert "$PKI/dave.crt" --key "$PKI/dave.key" --no-hello >"$P" 2>&1
n=$(grep -c '"code":"forbidden"' "$P")
expect_eq 3 "$n" "an unknown identity gets forbidden for every request (stat, unknown op, get)"

# ---- hostile CNs --------------------------------------------------------------------
expect_exit 0 ferry_as dotdot --json whoami
expect_eq '../../../../etc' "$(json_field "$OUT" identity)" "a CN of ../../../../etc is only a name"
expect_exit 0 ferry_as dotdot put "$T/f.bin" passwd
expect_true "CN ../../../../etc: the file lands in its ACL root" test -f "$ROOT/jail/dotdot/passwd"
expect_exit 0 ferry_as slashy put "$T/f.bin" x.bin
expect_true "CN a/../../b: the file lands in its ACL root" test -f "$ROOT/jail/slashy/x.bin"
expect_true "nothing was written outside --root" test -z "$(find "$T" -maxdepth 2 \( -name passwd -o -name x.bin \) -not -path "$ROOT/*")"
expect_exit 1 ferry_as ctrl whoami
expect_grep 'forbidden' "$ERR" "a CN with control characters matches nothing"
expect_grep "identity='evil\?name\?'" "$SRV_LOG" "its control characters are escaped in the log"
expect_exit 1 ferry_as abs ls
expect_grep 'forbidden' "$ERR" "a root that is a symlink out of --root is refused"
expect_no_grep 'secret' "$OUT" "the symlinked directory was not listed"
expect_true "the symlink's target is untouched" test "$(ls "$OUTSIDE")" = secret.txt
# requests cannot climb out of an identity root either
for bad in .. ../pub ../../etc/passwd '/etc/passwd' 'a/../../x'; do
	printf 'send {"op":"stat","path":"%s"}\nrecv\n' "$bad" |
		probe --cert "$PKI/alice.crt" --key "$PKI/alice.key" >"$P" 2>&1
	expect_grep '"code":"invalid_path"' "$P" "alice: stat '$bad' is invalid_path"
done
server_alive
stop_server "$SRV_PID"

# ---- malformed ACL files stop the server at start --------------------------------------
# bad_acl DESC PATTERN CONTENT: ferryd --acl with CONTENT exits 2 with one
# line on stderr matching PATTERN.
bad_acl() {
	printf '%s' "$3" >"$T/bad.json"
	expect_exit 2 timeout 20 "$FERRYD" --root "$ROOT" --cert "$SRV_CRT" --key "$SRV_KEY" \
		--ca "$CA" --listen 127.0.0.1:0 --acl "$T/bad.json" || return
	expect_one_line "$ERR" "$1: one line"
	expect_grep "$2" "$ERR" "$1: names the fault"
}
bad_acl "syntax error on line 3" 'line 3' $'{\n "identities": {\n  "alice": {"root": "a", "perms": "r",}\n }\n}'
bad_acl "trailing bytes" 'line 1' '{"identities":{}} x'
bad_acl "unknown permission" 'alice.*perms' '{"identities":{"alice":{"root":"a","perms":"rwx"}}}'
bad_acl "permission twice" 'alice.*perms' '{"identities":{"alice":{"root":"a","perms":"rr"}}}'
bad_acl "root climbing out" 'alice.*root' '{"identities":{"alice":{"root":"../up","perms":"r"}}}'
bad_acl "absolute root" 'alice.*root' '{"identities":{"alice":{"root":"/etc","perms":"r"}}}'
bad_acl "reserved root" 'alice.*root' '{"identities":{"alice":{"root":".ferry-part.x","perms":"r"}}}'
bad_acl "root of the wrong type" 'alice.*root' '{"identities":{"alice":{"root":1,"perms":"r"}}}'
bad_acl "missing perms" 'alice.*perms' '{"identities":{"alice":{"root":"a"}}}'
bad_acl "unknown field" 'alice.*unknown field' '{"identities":{"alice":{"root":"a","perms":"r","admin":true}}}'
bad_acl "duplicate identity" 'twice' '{"identities":{"alice":{"root":"a","perms":"r"},"alice":{"root":"b","perms":"rwld"}}}'
bad_acl "no identities" 'identities' '{"users":{}}'
bad_acl "identities not an object" 'identities' '{"identities":[]}'
bad_acl "escaped NUL in a name" 'NUL' '{"identities":{"al\u0000ice":{"root":"a","perms":"r"}}}'
bad_acl "empty identity" 'identities\[0\]' '{"identities":{"":{"root":"a","perms":"r"}}}'
bad_acl "empty file" 'line 1' ''
expect_exit 2 timeout 20 "$FERRYD" --root "$ROOT" --cert "$SRV_CRT" --key "$SRV_KEY" \
	--ca "$CA" --listen 127.0.0.1:0 --acl "$T/nonexistent.json"
expect_grep 'nonexistent.json' "$ERR" "a missing ACL file is named"

# ---- limits ------------------------------------------------------------------------------
ROOT=$T/root2
start_server --max-conns-per-identity 2 --max-path-depth 3 --max-list-entries 10
HOLD=$T/hold.out
probe --hold 2 --seconds 8 >"$HOLD" 2>&1 &
holder=$!
if wait_until 15 grep -q 'held 2' "$HOLD"; then
	expect_exit 1 ferry_c whoami
	expect_grep 'busy' "$ERR" "a third connection of alice at --max-conns-per-identity 2 is busy"
	expect_grep 'busy: .*identity=alice.*--max-conns-per-identity=2' "$SRV_LOG" "the log says which limit"
	expect_exit 0 ferry_as bob whoami
else
	fail "the holder did not get its 2 connections: $(cat "$HOLD")"
fi
wait "$holder"
expect_true "once alice's connections are gone she is served again" wait_until 10 ferry_c whoami

expect_exit 0 ferry_c put "$T/f.bin" a/b/c
expect_exit 1 ferry_c put "$T/f.bin" a/b/c/d
expect_grep 'invalid_path|invalid path|depth' "$ERR" "a path of 4 components at --max-path-depth 3 is refused"
expect_grep 'op=put path=a/b/c/d .*invalid_path.*max-path-depth' "$SRV_LOG" "the log line says --max-path-depth"
expect_true "nothing half-done for the deep path" test ! -e "$ROOT/a/b/c/d"
mkdir -p "$ROOT/many"
for i in $(seq -w 1 25); do : >"$ROOT/many/f$i"; done
printf '%s\n' 'send {"op":"list","path":"many"}' recv recv recv | probe >"$P" 2>&1
n=$(grep -c '"entries"' "$P")
expect_eq 3 "$n" "25 entries at --max-list-entries 10 take 3 frames"
expect_grep '"more":false' "$P" "the last frame has more=false"
expect_exit 0 ferry_c ls many
expect_eq 25 "$(grep -c . "$OUT")" "ferry ls joins the frames (25 entries)"
stop_server "$SRV_PID"
finish
