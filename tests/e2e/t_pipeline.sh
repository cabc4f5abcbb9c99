#!/usr/bin/env bash
# t_pipeline.sh - a multi-file put pipelines its requests (the next put
# request leaves before the previous "ok" is read): refusals, local errors and
# checksums of the files around them must come out exactly as without
# pipelining, each on its own file, in order, over one connection.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
W=$T/work
mkdir -p "$W/sub"
cd "$W" || exit 1
for i in 1 2 3 4 5 6; do
	head -c $((i * 70000)) /dev/urandom >"f$i"
done
: >empty

# f2 will be refused (exists), sub is a directory, missing does not exist:
# every other file must still arrive intact, and the hash lines be in order.
expect_exit 0 ferry_c put f2 p/
expect_exit 1 ferry_c put f1 f2 sub f3 missing empty f4 f5 f6 p/
want=
for f in f1 f3 empty f4 f5 f6; do
	want+="$(sha "$f")  p/$f"$'\n'
	expect_eq "$(sha "$f")" "$(sha "$ROOT/p/$f")" "pipelined put stored $f intact"
done
expect_eq "${want%$'\n'}" "$(cat "$OUT")" "hash lines of the stored files, in order"
expect_grep 'p/f2: exists' "$ERR" "the refused file is named"
expect_grep 'put sub: is a directory' "$ERR" "the directory is named"
expect_grep 'put missing: No such file' "$ERR" "the missing file is named"
expect_eq 3 "$(wc -l <"$ERR")" "one line per problem"

# 300 small files over one connection: all there, one hash line each.
mkdir -p many
head -c $((300 * 1000)) /dev/urandom | split -b 1000 -a 3 -d - many/m
put_many() { ferry_c put many/* m/; }
expect_exit 0 put_many
expect_eq 300 "$(wc -l <"$OUT")" "300 hash lines"
expect_eq 300 "$(find "$ROOT/m" -type f | wc -l)" "300 files stored"
expect_eq "$(cd many && cat m* | sha256sum)" "$(cd "$ROOT/m" && cat m* | sha256sum)" "300 files intact"

expect_eq "" "$(find "$ROOT" -name '.ferry-part.*' | head -1)" "no temporary files under the root"
finish
