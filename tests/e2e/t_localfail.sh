#!/usr/bin/env bash
# t_localfail.sh - a local failure on one file of a multi-file get (the
# client's disk is full) is reported and the command goes on with the
# next files on the same connection; get --resume that hits it says that
# it kept a partial file, where, and how large.  The destination is a
# small tmpfs mounted by the test.
source "$(dirname "$0")/lib.sh" "$@"

MNT=$T/small
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=4m,mode=0755 tmpfs "$MNT" 2>"$T/mount.err"; then
	echo "SKIP t_localfail: cannot mount a tmpfs here ($(head -1 "$T/mount.err")); run as root with CAP_SYS_ADMIN"
	FINISHED=1
	exit 77
fi
trap 'rc=$?; umount -l "$MNT" 2>/dev/null; (exit $rc); on_exit' EXIT

make_pki
start_server
W=$T/work
mkdir -p "$W"
head -c 6000000 /dev/urandom >"$ROOT/big"
echo one >"$ROOT/a"
echo two >"$ROOT/b"

before=$(grep -c op=hello "$SRV_LOG")
expect_exit 5 ferry_c get big a b "$MNT/"
expect_grep "get big: writing $MNT/big: No space left on device" "$ERR" "the full disk is reported, naming the file"
expect_eq "$(sha "$ROOT/a")" "$(sha "$MNT/a")" "the next file still arrived"
expect_eq "$(sha "$ROOT/b")" "$(sha "$MNT/b")" "and the one after it"
expect_eq 2 "$(grep -c . "$OUT")" "a line for each file that arrived"
expect_eq 1 "$(($(grep -c op=hello "$SRV_LOG") - before))" "all of it over one connection"
expect_true "no partial file under the final name" test ! -e "$MNT/big"
expect_eq "" "$(find "$MNT" -name '*.ferry-*')" "no temporary file left"

rm -f "$MNT/a" "$MNT/b"
expect_exit 5 ferry_c get --resume big "$MNT/"
expect_grep "kept the partial download $MNT/\.big\.ferry-partial \([0-9]+ bytes\): free some space and run the same get --resume" "$ERR" "get --resume on a full disk: says what it kept, where, how large"
part=$(find "$MNT" -name '.big.ferry-partial')
expect_true "the partial is there" test -s "$part"
rm -f "$part"
finish
