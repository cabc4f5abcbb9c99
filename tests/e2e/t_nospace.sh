#!/usr/bin/env bash
# t_nospace.sh - a full disk: the root on a small tmpfs mounted by the test
# (skipped, saying so, where mount is not permitted).  A put that does not
# fit gets `no_space` (exit 1), nothing appears under the final name, an
# existing file keeps its content, the space is released at once (no part
# is held), and the server keeps serving.
source "$(dirname "$0")/lib.sh" "$@"

MNT=$T/small
mkdir -p "$MNT"
mount -t tmpfs -o size=16m,mode=0755 tmpfs "$MNT" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs here ($(head -1 "$T/mount.err")); run as root with CAP_SYS_ADMIN to test ENOSPC"
trap 'rc=$?; umount -l "$MNT" 2>/dev/null; (exit $rc); on_exit' EXIT

make_pki
ROOT=$MNT
start_server
W=$T/work
mkdir -p "$W"
used() { df --output=used -B1 "$MNT" | tail -1 | tr -d ' '; }

head -c 1000000 /dev/urandom >"$W/keep"
expect_exit 0 ferry_c put "$W/keep" keep.bin
before=$(used)
head -c 30000000 /dev/urandom >"$W/big"

expect_exit 1 ferry_c put --overwrite "$W/big" keep.bin
expect_grep 'no_space' "$ERR" "an overwrite that does not fit: no_space"
expect_one_line "$ERR" "the failure is one line"
expect_eq "$(sha "$W/keep")" "$(sha "$MNT/keep.bin")" "the existing file is intact"

expect_exit 1 ferry_c put --resume "$W/big" new.bin
expect_grep 'no_space' "$ERR" "a new file that does not fit: no_space"
expect_true "nothing under the final name" test ! -e "$MNT/new.bin"
expect_eq "" "$(find "$MNT" -name '.ferry-part.*')" "no part is held after no_space"
expect_true "the space is released" wait_until 10 bash -c '(( $(df --output=used -B1 "$1" | tail -1) <= $2 + 65536 ))' _ "$MNT" "$before"

head -c 100000 /dev/urandom >"$W/small"
expect_exit 0 ferry_c put "$W/small" small.bin
expect_eq "$(sha "$W/small")" "$(sha "$MNT/small.bin")" "the server keeps serving after no_space"
expect_exit 0 ferry_c get keep.bin "$W/keep.got"
expect_eq "$(sha "$W/keep")" "$(sha "$W/keep.got")" "and the old file downloads whole"
server_alive
finish
