#!/usr/bin/env bash
# t_oldserver.sh - a 0.2 client against a server that speaks only
# protocol 1 (ferryd --protocol-max 1 answers hello as ferryd 0.1 did and
# ignores every version-2 field): what 0.1 could do still works, by
# falling back (puts wait for "ready", trees are listed one directory at a
# time), and what needs 0.2 fails with one line naming the server.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server --protocol-max 1
W=$T/work
mkdir -p "$W/tree/a/b" "$W/tree/empty" && cd "$W" || exit 1
for i in 1 2 3; do head -c $((i * 300000)) /dev/urandom >"tree/a/f$i"; done
echo deep >tree/a/b/deep
echo top >tree/top

expect_exit 0 ferry_c whoami
expect_grep '^protocol: 1$' "$OUT" "hello settled on protocol 1"
# files, many at once, pipelined the 0.1 way
expect_exit 0 ferry_c put tree/a/f1 tree/a/f2 tree/a/f3 tree/top files/
expect_eq 4 "$(grep -c . "$OUT")" "a multi-file put works"
expect_eq "$(sha tree/a/f3)" "$(sha "$ROOT/files/f3")" "and stores the files"
expect_grep 'op=put .*result=ok' "$SRV_LOG" "logged"
# a tree: files go, the empty directory cannot (no mkdir in protocol 1)
expect_exit 1 ferry_c put -r tree t/
expect_grep 'put t/tree/empty: creating a directory of its own needs ferryd 0.2 or later \(protocol 2\); .* runs ferryd/' "$ERR" "an empty directory: one line naming the server"
expect_eq 1 "$(grep -c . "$ERR")" "and nothing else fails"
expect_eq "$(sha tree/a/b/deep)" "$(sha "$ROOT/t/tree/a/b/deep")" "the tree's files arrived"
# get -r falls back to listing one directory at a time
expect_exit 0 ferry_c get -r t/tree back
expect_eq 5 "$(grep -c . "$OUT")" "get -r from a 0.1 server: every file"
expect_eq "$(cd tree && find . -type f -exec sha256sum {} + | sort)" \
	"$(cd back && find . -type f -exec sha256sum {} + | sort)" "get -r from a 0.1 server: the tree"
expect_exit 0 ferry_c get files/f1 files/f2 g/
expect_eq "$(sha tree/a/f2)" "$(sha g/f2)" "a multi-file get works"
expect_exit 0 ferry_c ls files
expect_eq 4 "$(grep -c . "$OUT")" "ls works"
# what needs protocol 2: one line naming the server, nothing sent
expect_exit 1 ferry_c put -p tree/top p/top
expect_grep 'put -p: keeping modification times and executable bits needs ferryd 0.2 or later \(protocol 2\); 127.0.0.1:[0-9]+ runs ferryd/[0-9.]+, which speaks protocol 1' "$ERR" "put -p: names the server's version"
expect_true "put -p sent nothing" test ! -e "$ROOT/p/top"
expect_exit 1 ferry_c get -p files/f1 x
expect_grep 'get -p: .* needs ferryd 0.2' "$ERR" "get -p: names the server's version"
# a 0.1 server still answers unknown ops with unsupported
P=$T/probe.out
printf 'send {"op":"hello","version":2}\nrecv\nsend {"op":"mkdir","path":"m"}\nrecv\nsend {"op":"put","path":"c","body":"chunked"}\nrecv\n' | probe >"$P"
expect_grep '"version":1' <(sed -n 1p "$P") "a version-2 hello gets version 1"
expect_grep '"code":"unsupported"' <(sed -n 2p "$P") "mkdir is unsupported at protocol 1"
expect_grep '"code":"bad_request"' <(sed -n 3p "$P") "a put without size is bad_request at protocol 1"
finish
