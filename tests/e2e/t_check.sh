#!/usr/bin/env bash
# t_check.sh - ferry check against the real sha256sum -c (coreutils 9.1),
# byte for byte: the same checksum files, run by sha256sum -c inside the
# server's own root and by ferry check --remote-dir over TLS, give the same
# stdout, the same stderr (with "sha256sum:" read as "ferry:") and the same
# exit status, for every line form (text and binary mode, BSD tags, CRLF,
# upper-case hex, comments, blank and garbage lines, escaped names, the
# reversed BSD form), names that need quoting, missing files, directories,
# mismatches, several checksum files and standard input, and every flag
# (--quiet, --status, --warn, --strict, --ignore-missing and their order).
# Then what sha256sum cannot do: --json, names no remote path can be, a
# protocol-1 server, one connection for 300 pipelined stats served from
# the SHA-256 cache.
source "$(dirname "$0")/lib.sh" "$@"
command -v sha256sum >/dev/null || skip "no sha256sum"
ver=$(sha256sum --version | sed -n 1p)
[[ $ver == *" 9.1" ]] || skip "the reference is coreutils 9.1's sha256sum, not '$ver'"
export LC_ALL=C.UTF-8

make_pki
start_server
L=$T/local S=$T/sums
mkdir -p "$L/sub dir" "$L/emptydir" "$S" && cd "$L" || exit 1
names=(a b "sp ace" "it's" "a\"q" "co:lon" "ünï" "-dash" "#hash" "sub dir/deep" "x=y" "dol\$ar" "a{b}" "{")
for n in "${names[@]}"; do head -c $((RANDOM % 5000 + 1)) /dev/urandom >"$n"; done
: >empty
expect_exit 0 ferry_c put -r "$L" r/
expect_exit 0 ferry_c sum r/local/a
R=$ROOT/r/local
Z=$(printf '%064d' 0)

# the checksum files
sha256sum -- "${names[@]}" empty >"$S/all"
sha256sum -b a b >"$S/binary"
sha256sum --tag a "sp ace" "ünï" >"$S/bsd"
{
	echo "# a comment"
	echo
	sha256sum a | tr a-f A-F | sed 's/  A$/  a/'
	printf '%s\r\n' "$(sha256sum b)"
	echo "junk line"
	echo "$Z  missing"
	echo "$Z  emptydir"
	echo "$Z  a"
	echo "   $(sha256sum "sp ace")"
	printf 'SHA256 (b)=%s\n' "$(sha b)"
	printf '\\%s  sub dir/deep\n' "$(sha 'sub dir/deep')"
	echo "$(sha a)  ./a"
	echo "$(sha 'sub dir/deep')  sub dir//deep"
	echo " # not a comment"
} >"$S/mixed"
printf '%s a\n%s  b\n' "$(sha a)" "$(sha b)" >"$S/reversed"
printf 'junk\n\nmore junk\n' >"$S/garbage"
: >"$S/empty"
printf '%s  missing1\n%s  missing2\n' "$Z" "$Z" >"$S/missing"
printf '%s  a\n%s  missing1\n' "$(sha a)" "$Z" >"$S/somemissing"

# same FLAGS... FILES: sha256sum -c in the server's root, ferry check
# over TLS; stdout, stderr and status must agree
same() {
	local desc=$1 want_out want_err want_rc got_rc
	shift
	(cd "$R" && sha256sum -c "$@" >"$T/want.out" 2>"$T/want.err" <"$T/stdin")
	want_rc=$?
	(cd "$R" && ferry_c check --remote-dir r/local "$@" >"$T/got.out" 2>"$T/got.err" <"$T/stdin")
	got_rc=$?
	sed -i 's/^sha256sum: /ferry: /' "$T/want.err"
	if cmp -s "$T/want.out" "$T/got.out" && cmp -s "$T/want.err" "$T/got.err" &&
		[[ $want_rc == "$got_rc" ]]; then
		pass "as sha256sum -c: $desc"
	else
		fail "as sha256sum -c: $desc (exit $got_rc, sha256sum $want_rc)"
		diff -u "$T/want.out" "$T/got.out" | head -20 | sed 's/^/  out| /'
		diff -u "$T/want.err" "$T/got.err" | head -20 | sed 's/^/  err| /'
	fi
}
: >"$T/stdin"
echo x >"$R/b" # a mismatch, on the server and in the reference alike
same "names that need quoting, an empty file, a mismatch" "$S/all"
same "binary mode" "$S/binary"
same "BSD tags" "$S/bsd"
same "every line form, missing, a directory, garbage" "$S/mixed"
same "reversed BSD form" "$S/reversed"
same "only garbage" "$S/garbage"
same "an empty checksum file" "$S/empty"
same "a checksum file that does not exist" "$S/nosuch"
same "several checksum files" "$S/bsd" "$S/nosuch" "$S/all" "$S/garbage"
for f in --quiet --status --warn --strict --ignore-missing; do
	same "$f" "$f" "$S/mixed"
done
same "--status then --warn: the last wins" --status --warn "$S/mixed"
same "--warn then --status" --warn --status "$S/mixed"
same "--quiet --strict on garbage" --quiet --strict "$S/mixed"
same "--ignore-missing, nothing verified" --ignore-missing "$S/missing"
same "--ignore-missing, one verified" --ignore-missing "$S/somemissing"
same "--ignore-missing --status" --ignore-missing --status "$S/missing"
same "--quiet after FILE" "$S/binary" --quiet
cp "$S/bsd" "$T/stdin"
same "standard input, no FILE"
same "standard input as '-', twice" - "$S/binary" -
printf '%s  -\n' "$(sha a)" >"$T/stdin"
same "'-' named on standard input is improperly formatted" -

# ---- what sha256sum has no counterpart for ----------------------------------
cd "$T" || exit 1
expect_exit 1 ferry_c --json check --remote-dir r/local "$S/mixed"
expect_true "--json: one object per line" json_ok "$OUT"
expect_eq 10 "$(grep -c . "$OUT")" "--json: one object per listed file"
expect_grep '^\{"file":"a","remote":"r/local/a","expected":"[0-9a-f]{64}","sha256":"[0-9a-f]{64}","result":"ok","checksum_file":"[^"]*mixed"\}$' "$OUT" "--json: an ok object"
expect_grep '"file":"missing".*"sha256":null,"result":"unreadable","error":"No such file or directory"' "$OUT" "--json: an unreadable object"
expect_grep '"file":"b",.*"result":"failed"' "$OUT" "--json: a mismatch"
expect_exit 1 ferry_c check --json --quiet --remote-dir r/local "$S/mixed"
expect_no_grep '"result":"ok"' "$OUT" "check --json --quiet: only what failed"
expect_exit 1 ferry_c check --json --status --remote-dir r/local "$S/mixed"
expect_eq "" "$(cat "$OUT")" "check --json --status: nothing on stdout"

# escaped names no remote file can have: missing, with the rule named
printf '\\%s  a\\\\b\n\\%s  a\\nb\n%s  ../escape\n' "$Z" "$Z" "$Z" >"$S/rules"
expect_exit 1 ferry_c check --remote-dir r/local "$S/rules"
expect_grep "^a\\\\b: FAILED open or read$" "$OUT" "an escaped backslash name: FAILED open or read"
expect_grep '^\\a\\nb: FAILED open or read$' "$OUT" "an escaped newline name: shown escaped"
expect_grep "^ferry: 'a\\\\b': No such file or directory \(a remote path cannot be that: path contains a backslash\)$" "$ERR" "the reason names the path rule"
expect_grep "^ferry: ../escape: No such file or directory \(a remote path cannot be that: path has a '.' or '..' component\)" "$ERR" "'..' cannot leave the remote directory"
expect_exit 1 ferry_c check --ignore-missing --remote-dir r/local "$S/rules"
expect_eq "" "$(cat "$OUT")" "--ignore-missing: names no remote file can have count as missing"
expect_grep 'no file was verified' "$ERR" "and nothing was verified"
expect_exit 2 ferry_c check --bogus "$S/all"
(cd "$L" && sha256sum a "sp ace") >"$S/good"
expect_exit 0 ferry_c check "$S/good" --remote-dir /r/local --quiet
expect_eq "" "$(cat "$OUT")" "--remote-dir with a leading '/', options after FILE"

# 300 entries: one connection, pipelined, answered from the cache
mkdir -p "$T/many" && for i in $(seq 1 300); do echo "$i" >"$T/many/f$i"; done
expect_exit 0 ferry_c -q put -r "$T/many" m/
(cd "$T/many" && sha256sum f*) >"$S/many"
hellos=$(grep -c 'op=hello' "$SRV_LOG")
expect_exit 0 ferry_c check --remote-dir m/many "$S/many"
expect_eq 300 "$(grep -c ': OK$' "$OUT")" "300 files checked"
expect_eq $((hellos + 1)) "$(grep -c 'op=hello' "$SRV_LOG")" "over one connection"
expect_eq 300 "$(grep 'op=stat path=m/many/' "$SRV_LOG" | grep -c 'sha256_from=cache')" "every hash from the server's cache (no file read)"
expect_eq "$(cd "$T/many" && sha256sum -c "$S/many")" "$(cat "$OUT")" "in the order of the checksum file"

# docs/CI.md's complete job, as written there (a key from a 0600 file)
mkdir -p "$T/ci/dist/sub" && cd "$T/ci" || exit 1
for f in dist/app.tar.gz dist/sub/notes.txt; do head -c 3000 /dev/urandom >"$f"; done
(
	set -euo pipefail
	umask 077
	keydir=$(mktemp -d "$T/ci/key.XXXXXX")
	cat "$CLI_KEY" >"$keydir/ci.key"
	export FERRY_SERVER=$SRV FERRY_CA=$CA FERRY_CERT=$CLI_CRT FERRY_KEY=$keydir/ci.key
	version=v1.4
	(cd dist && find . -type f -exec sha256sum {} +) >SHA256SUMS
	"$FERRY" -q put -r --skip-same --retries 5 dist/ "releases/$version/"
	"$FERRY" -q put --skip-same SHA256SUMS "releases/$version/"
	"$FERRY" check --quiet --remote-dir "releases/$version/dist" SHA256SUMS
	"$FERRY" -q put -r --skip-same --retries 5 dist/ "releases/$version/" # a rerun
) >"$OUT" 2>"$ERR"
expect_eq "0" "$?" "the job of docs/CI.md runs as written"
expect_eq "" "$(cat "$OUT" "$ERR")" "and says nothing when all is well"
echo tampered >>"$ROOT/releases/v1.4/dist/app.tar.gz"
expect_exit 1 ferry_c check --quiet --remote-dir releases/v1.4/dist SHA256SUMS
expect_eq "./app.tar.gz: FAILED" "$(cat "$OUT")" "a file changed on the server fails the check"
cd "$T" || exit 1

# a protocol-1 server: the same answers (without the cache)
stop_server "$SRV_PID"
start_server --protocol-max 1
: >"$T/stdin"
same "on a protocol-1 server" "$S/mixed"
finish
