#!/usr/bin/env bash
# t_remote.sh - remote file management: ferry mkdir [-p], mv [--overwrite]
# (atomic rename on the server, refusals, never across identities'
# roots), rm -r (depth first, a refusal reported once and the directories
# above it kept, held uploads removed with their directory, a tree deeper
# than one listing reaches, the root refused, the l and d permissions),
# ls -l / -R / --json (ls -R compared with GNU ls -1Rp of the server's
# root), stat --sha256; the rename op on the wire (its path rules, its
# permissions, protocol 1); the same commands on a protocol-1 server.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
"$FERRY_CERTS" client "$PKI" bob >/dev/null
"$FERRY_CERTS" client "$PKI" ro >/dev/null
cat >"$T/acl.json" <<'JSON'
{
  "identities": {
    "alice": {"root": "alice", "perms": "rwld"},
    "bob":   {"root": "bob", "perms": "rwld"},
    "ro":    {"root": "alice", "perms": "rwl"}
  }
}
JSON
start_server --acl "$T/acl.json"
A=$ROOT/alice
W=$T/work
mkdir -p "$W" && cd "$W" || exit 1
ferry_as() {
	local who=$1
	shift
	timeout -k 5 60 "$FERRY" -s "$SRV" --ca "$CA" --cert "$PKI/$who.crt" \
		--key "$PKI/$who.key" "$@"
}
P=$T/probe.out
H='send {"op":"hello","version":2}
recv'

# ---- mkdir ---------------------------------------------------------------
expect_exit 0 ferry_c mkdir d d/e
expect_eq $'created directory d\ncreated directory d/e' "$(cat "$OUT")" "mkdir d d/e: in order, one line each"
expect_true "both exist" test -d "$A/d/e"
expect_exit 1 ferry_c mkdir d
expect_grep 'mkdir d: exists: .*\(mkdir -p accepts an existing directory\)' "$ERR" "mkdir of an existing directory: exists, with the hint"
expect_exit 0 ferry_c mkdir -p d/e/f/g d
expect_eq "created directory d/e/f/g" "$(cat "$OUT")" "mkdir -p: made what was missing, nothing said of what was there"
expect_exit 1 ferry_c mkdir nope/x
expect_grep 'not_found' "$ERR" "mkdir without -p: the parent must exist"
echo x >"$W/file"
expect_exit 0 ferry_c put "$W/file" file
expect_exit 1 ferry_c mkdir -p file
expect_grep 'exists.*a file has that name' "$ERR" "mkdir -p of a file: exists"
expect_exit 1 ferry_c mkdir -p file/sub
expect_grep 'not_directory' "$ERR" "mkdir -p below a file: not_directory"
expect_exit 1 ferry_c mkdir /
expect_exit 0 ferry_c mkdir -p /
expect_exit 0 ferry_c --json mkdir -p d j
expect_eq '{"op":"mkdir","remote":"d","created":false}' "$(sed -n 1p "$OUT")" "--json: created false for an existing one"
expect_eq '{"op":"mkdir","remote":"j","created":true}' "$(sed -n 2p "$OUT")" "--json: created true"

# ---- mv --------------------------------------------------------------------
echo one >one && echo two >two
expect_exit 0 ferry_c put one two d/
expect_exit 0 ferry_c mv d/one d/uno
expect_eq "renamed d/one -> d/uno" "$(cat "$OUT")" "mv: one line"
expect_true "renamed on the server" test -f "$A/d/uno" -a ! -e "$A/d/one"
ino=$(stat -c %i "$A/d/uno")
expect_exit 1 ferry_c mv d/uno d/two
expect_grep 'mv d/uno: exists' "$ERR" "mv onto an existing file: exists"
expect_eq one "$(cat "$A/d/uno")" "and both files are as they were"
expect_eq two "$(cat "$A/d/two")" "(the other too)"
expect_exit 0 ferry_c mv --overwrite d/uno d/two
expect_eq one "$(cat "$A/d/two")" "mv --overwrite replaces the file"
expect_eq "$ino" "$(stat -c %i "$A/d/two")" "by a rename (the same inode), not a copy"
expect_exit 0 ferry_c mv d/two j
expect_true "mv into an existing directory: DIR/name" test -f "$A/j/two"
expect_exit 0 ferry_c mv j d/e/f/g/
expect_true "a directory moves whole" test -f "$A/d/e/f/g/j/two"
expect_exit 1 ferry_c mv d d/e/inside
expect_grep 'mv d: invalid_path: a directory cannot move into itself$' "$ERR" "mv of a directory into itself: refused"
expect_exit 1 ferry_c mv nosuch x
expect_grep 'not_found' "$ERR" "mv of a missing SRC: not_found"
expect_exit 1 ferry_c mv file nodir/x
expect_grep 'not_found' "$ERR" "mv to a missing parent: not_found (nothing created)"
expect_exit 1 ferry_c mv file d/e d/missing/
expect_grep 'd/missing is not a directory' "$ERR" "several SRCs need an existing directory"
expect_exit 0 ferry_c mv file d/e/f/g/j/two d/
expect_true "mv of several SRCs into a directory" test -f "$A/d/file" -a -f "$A/d/two"
# roots: bob cannot reach alice's files, nor move his own out
echo bob >bobf && expect_exit 0 ferry_as bob put bobf b
expect_exit 1 ferry_as bob mv b ../alice/stolen
expect_grep 'invalid_path' "$ERR" "mv never leaves the identity's root"
expect_true "nothing reached alice's root" test ! -e "$A/stolen" -a -f "$ROOT/bob/b"
expect_exit 1 ferry_as ro mv d/file d/f2
expect_grep 'forbidden' "$ERR" "mv needs d as well as w"
expect_true "and did nothing" test -f "$A/d/file"

# the op on the wire: "to" obeys the path rules, a directory is never replaced
printf '%s\nsend {"op":"rename","path":"d/file","to":"../x"}\nrecv\nsend {"op":"rename","path":"d/file","to":"/abs"}\nrecv\nsend {"op":"rename","path":"d/file","to":".ferry-part.0123"}\nrecv\nsend {"op":"rename","path":"d/file","to":"d/e","overwrite":true}\nrecv\n' "$H" | probe >"$P"
expect_grep '"code":"invalid_path"' <(sed -n 2p "$P") "to with ..: invalid_path"
expect_grep '"code":"invalid_path"' <(sed -n 3p "$P") "an absolute to: invalid_path"
expect_grep '"code":"invalid_path"' <(sed -n 4p "$P") "a reserved to: invalid_path"
expect_grep '"code":"is_directory"' <(sed -n 5p "$P") "a directory is never replaced, even with overwrite"
expect_true "(nothing moved)" test -f "$A/d/file" -a -d "$A/d/e/f"
expect_exit 0 ferry_c put "$W/one" file2
printf '%s\nsend {"op":"rename","path":"d","to":"file2","overwrite":true}\nrecv\nsend {"op":"rename","path":"d/file","to":""}\nrecv\n' "$H" | probe >"$P"
expect_grep '"code":"exists"' <(sed -n 2p "$P") "a directory never replaces a file"
expect_grep '"code":"invalid_path"' <(sed -n 3p "$P") "the root is never a target"
printf '%s\nsend {"op":"rename","path":"d/file","to":7}\nrecv\n' "$H" | probe >"$P"
expect_grep '"code":"bad_request"' <(sed -n 2p "$P") "a to that is not a string: bad_request"
printf 'send {"op":"rename","path":"d/file","to":"d/x"}\nrecv\n' | probe >"$P"
expect_grep '"code":"unsupported"' "$P" "no rename at protocol 1"
expect_grep 'op=rename path=d/uno to=d/two .*result=ok' "$SRV_LOG" "the log names both paths"

# ---- ls -l / -R / --json ---------------------------------------------------
mkdir -p tree/a/b tree/c "tree/sp ace" tree/a-b
for f in tree/a/x tree/a/b/y tree/top "tree/sp ace/z" tree/a-b/w; do head -c $((RANDOM % 900 + 1)) /dev/urandom >"$f"; done
chmod 755 tree/top
expect_exit 0 ferry_c -q put -rp tree t/
expect_exit 0 ferry_c ls -R t/tree
expect_eq "$(cd "$A" && LC_ALL=C ls -1Rp t/tree)" "$(cat "$OUT")" "ls -R is GNU ls -1Rp of the server's root"
expect_exit 0 ferry_c ls t/tree
expect_eq "$(cd "$A/t/tree" && LC_ALL=C ls -1p)" "$(cat "$OUT")" "ls: names, directories with '/'"
expect_exit 0 ferry_c ls -l t/tree
expect_grep "^-rwxr-xr-x +$(stat -c %s tree/top)  [0-9-]+ [0-9:]+  top\$" "$OUT" "ls -l: mode, size, time, name"
expect_grep '^drwxr-xr-x +-  .*  a/$' "$OUT" "ls -l: a directory"
expect_exit 0 ferry_c ls -lR t
expect_eq 7 "$(grep -c ':$' "$OUT")" "ls -lR: a section per directory"
expect_exit 0 ferry_c ls --json -R t/tree
expect_true "ls --json: one object per line" json_ok "$OUT"
expect_eq 10 "$(grep -c . "$OUT")" "one object per entry of the tree"
expect_grep '^\{"name":"y","path":"a/b/y","type":"file","size":[0-9]+,"mtime":[0-9]+,"mode":420\}$' "$OUT" "an object with its path below REMOTE"
expect_exit 0 ferry_c ls -l t/tree/top
expect_grep '  top$' "$OUT" "ls of a file shows the file"
expect_exit 1 ferry_c ls nosuch
# a tree deeper than one recursive listing reaches (32 levels)
deep=deep; for i in $(seq 1 40); do deep+=/d$i; done
mkdir -p "$deep" && echo bottom >"$deep/f"
expect_exit 0 ferry_c -q put -r deep t/
expect_exit 0 ferry_c ls -R t/deep
expect_grep '^t/deep(/d[0-9]+){40}:$' "$OUT" "ls -R goes below the 32 levels of one listing"
expect_grep '^f$' "$OUT" "down to the last file"

# ---- stat --sha256 ----------------------------------------------------------
expect_exit 0 ferry_c stat --sha256 t/tree/top
expect_grep "^sha256: $(sha tree/top)\$" "$OUT" "stat --sha256: the hash"
expect_exit 0 ferry_c stat --json --sha256 t/tree/top
expect_eq "$(sha tree/top)" "$(json_field "$OUT" sha256)" "stat --json --sha256"

# ---- rm -r -----------------------------------------------------------------
expect_exit 0 ferry_c rm -r t/tree
expect_eq 11 "$(grep -c '^removed ' "$OUT")" "rm -r: one line per path removed"
expect_true "the tree is gone" test ! -e "$A/t/tree"
last_dir=$(grep -n '^removed t/tree$' "$OUT" | cut -d: -f1)
expect_eq 11 "$last_dir" "the top directory last: depth first"
expect_exit 0 ferry_c rm -r t/deep
expect_true "a tree deeper than one listing: gone" test ! -e "$A/t/deep"
# a held upload inside is removed with its directory; a symlink keeps one
mkdir -p "$A/h/inner" "$A/k/keep" "$A/k/free"
head -c 100 /dev/urandom >"$A/h/inner/.ferry-part.0123456789abcdef0123456789abcdef"
echo f >"$A/k/keep/f" && ln -s /etc/passwd "$A/k/keep/link" && echo g >"$A/k/free/g"
expect_exit 0 ferry_c rm -r h
expect_true "a held upload does not keep its directory" test ! -e "$A/h"
expect_exit 1 ferry_c rm -r k
expect_grep '^ferry: rm k/keep: not_empty: .*symlinks' "$ERR" "what the server does not list: one refusal, for its directory"
expect_one_line "$ERR" "and only that one (not its parent)"
expect_true "its parent stays, the rest is gone" test -d "$A/k" -a ! -e "$A/k/free" -a ! -e "$A/k/keep/f" -a -L "$A/k/keep/link"
expect_exit 0 ferry_c put "$W/one" lone
expect_exit 0 ferry_c rm -r lone
expect_true "rm -r of a file removes the file" test ! -e "$A/lone"
expect_exit 2 ferry_c rm -r /
expect_grep 'refusing to remove the root' "$ERR" "rm -r / is refused"
expect_exit 1 ferry_c rm -r nosuch
expect_grep 'rm nosuch: not_found' "$ERR" "rm -r of a missing path"
expect_exit 1 ferry_as ro rm -r d
expect_grep 'rm -r: ro may not delete on .* \(its permissions: rwl\)' "$ERR" "rm -r without d: one line at once"
expect_true "nothing was removed" test -d "$A/d/e/f/g"
expect_exit 1 ferry_c rm d
expect_grep 'not_empty.*use rm -r' "$ERR" "rm of a non-empty directory hints at -r"

# ---- a protocol-1 server ----------------------------------------------------
stop_server "$SRV_PID"
start_server --protocol-max 1
mkdir -p "$ROOT/v1/a/b" && echo 1 >"$ROOT/v1/a/b/x" && echo 2 >"$ROOT/v1/y"
expect_exit 0 ferry_c ls -R v1
expect_eq "$(cd "$ROOT" && LC_ALL=C ls -1Rp v1)" "$(cat "$OUT")" "ls -R on protocol 1 (a listing per directory)"
expect_exit 0 ferry_c rm -r v1
expect_true "rm -r on protocol 1" test ! -e "$ROOT/v1"
expect_exit 1 ferry_c mkdir x
expect_grep 'mkdir: making directories needs ferryd 0.2 or later \(protocol 2\); 127.0.0.1:[0-9]+ runs ferryd/' "$ERR" "mkdir on protocol 1: one line naming the server"
expect_one_line "$ERR" "(one line)"
echo z >"$ROOT/z"
expect_exit 1 ferry_c mv z zz
expect_grep 'mv: renaming on the server needs ferryd 0.2' "$ERR" "mv on protocol 1: one line naming the server"
expect_true "nothing renamed" test -f "$ROOT/z"
finish
