#!/usr/bin/env bash
# t_tree.sh - put -r and get -r: nested and empty directories, UTF-8,
# leading-dash and escaped names, skipped symlinks and FIFOs, cp -r
# semantics both ways, -p (mtime and executable bits), output that feeds
# sha256sum -c, and a directory refused without -r.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
W=$T/work
mkdir -p "$W" && cd "$W" || exit 1

# snapshot DIR: every file and directory below DIR, with sizes and hashes
snapshot() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf 'd %p\n' \) -o \
		\( -type f -printf 'f %p ' -exec sh -c 'sha256sum < "$1" | cut -c1-64' _ {} \; \) |
		LC_ALL=C sort)
}

mkdir -p src/a/b/c src/empty src/a/emptier "src/ünï cødé" src/-dash
head -c 100000 /dev/urandom >src/a/b/c/deep.bin
echo top >src/top.txt
: >src/zero
echo u >"src/ünï cødé/fïlé"
echo d >src/-dash/-f
echo bs >'src/back\slash'
printf 'nl\n' >"src/new
line"
ln -s top.txt src/link
ln -s /etc/passwd src/a/abs-link
mkfifo src/fifo
chmod 755 src/top.txt

# ---- put -r into a directory that does not exist: REMOTE/ ends in '/' ----
expect_exit 1 ferry_c put -r src releases/v1/
expect_grep 'skipping symlink src/link' "$ERR" "a symlink is skipped with a warning"
expect_grep 'skipping symlink src/a/abs-link' "$ERR" "a nested symlink too"
expect_grep 'skipping FIFO src/fifo' "$ERR" "a FIFO is skipped with a warning"
expect_eq 3 "$(grep -c skipping "$ERR")" "one warning line per skipped name"
expect_grep 'put src/back\\slash: not sent: .*backslash' "$ERR" "a name the server's rules refuse is not sent (backslash)"
expect_grep 'put src/new\\u000aline: not sent: .*control' "$ERR" "nor one with a newline, shown escaped"
expect_eq 5 "$(grep -c . "$ERR")" "one line per problem, nothing else"
mkdir -p want && cp -r src want/ && rm -f want/src/link want/src/a/abs-link want/src/fifo want/src/back* want/src/new*
expect_eq "$(snapshot want/src)" "$(snapshot "$ROOT/releases/v1/src")" "the tree arrived: files, empty directories, names"
expect_eq 5 "$(grep -c . "$OUT")" "one line per file sent (5 files)"
expect_grep "^$(sha src/a/b/c/deep.bin)  releases/v1/src/a/b/c/deep.bin\$" "$OUT" "the hash line names the remote path"
rm -f src/back* src/new*

# ---- the same operand onto an existing remote directory lands inside ----
expect_exit 0 ferry_c put -r src/a releases/v1
expect_true "into an existing directory: inside it, under its own name" test -f "$ROOT/releases/v1/a/b/c/deep.bin"
# ---- onto a missing name: the destination becomes the copy ----
expect_exit 0 ferry_c put -r src/ copy
expect_eq "$(snapshot want/src)" "$(snapshot "$ROOT/copy")" "a missing REMOTE becomes the copy"
# "." is the contents, as cp -r . DIR/ copies them
expect_exit 0 bash -c 'cd src/a && exec "$@"' _ "$FERRY" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" put -r . dot/
expect_true "put -r . DIR/: the contents land in DIR" test -f "$ROOT/dot/b/c/deep.bin" -a ! -e "$ROOT/dot/a"
# several sources land inside REMOTE
expect_exit 0 ferry_c put -r src/a src/top.txt two
expect_true "several sources land inside REMOTE" test -f "$ROOT/two/a/b/c/deep.bin" -a -f "$ROOT/two/top.txt"
# a directory onto a remote file is refused before anything is sent
expect_exit 1 ferry_c put -r src/a copy/top.txt
expect_grep 'is a file' "$ERR" "a tree onto a remote file says so"
# without -r a directory operand is refused with a hint
expect_exit 5 ferry_c put src/a x/
expect_grep 'is a directory \(use -r' "$ERR" "without -r: a one-line hint to use -r"
# existing files are refused one by one, the rest still goes
expect_exit 1 ferry_c put -r src releases/v1/
expect_grep 'exists' "$ERR" "re-putting a tree without --overwrite: exists"
expect_exit 0 ferry_c put -r --overwrite src releases/v1/

# ---- get -r back, every file verified, output fed to sha256sum -c ----------
expect_exit 0 ferry_c get -r releases/v1/src out
expect_eq "$(snapshot want/src)" "$(snapshot out)" "get -r: a missing LOCAL becomes the copy"
cp "$OUT" get.sums
expect_true "the output of a tree get feeds sha256sum -c unchanged" sha256sum -c --quiet get.sums
expect_eq 5 "$(grep -c . get.sums)" "one line per file"
# local names holding a backslash and a newline: escaped as sha256sum does
odd='odd\dir
x'
expect_exit 0 ferry_c get -r releases/v1/src "$odd"
expect_grep '^\\[0-9a-f]{64}  odd\\\\dir\\nx/top.txt$' "$OUT" "backslash and newline escaped, the line starts with '\\'"
cp "$OUT" odd.sums
expect_true "escaped lines feed sha256sum -c unchanged" sha256sum -c --quiet odd.sums
mkdir -p into
expect_exit 0 ferry_c get -r releases/v1/src into
expect_eq "$(snapshot want/src)" "$(snapshot into/src)" "get -r into an existing directory: LOCAL/base"
expect_exit 0 ferry_c get -r releases/v1/src new/er/
expect_true "get -r into a name ending in '/': made, then LOCAL/base" test -f new/er/src/top.txt
expect_exit 5 ferry_c get -r releases/v1/src into
expect_grep 'exists \(use --overwrite\)' "$ERR" "existing local files are not replaced"
expect_exit 0 ferry_c get -r --overwrite releases/v1/src into
# a file operand with -r is fetched as a file (cp -r semantics)
expect_exit 0 ferry_c get -r releases/v1/src/top.txt single.txt
expect_eq "$(sha src/top.txt)" "$(sha single.txt)" "get -r of a file gets the file"
# the root's contents go straight into LOCAL
mkdir -p rootcopy
expect_exit 0 ferry_c get -r / rootcopy/
expect_true "get -r / lands the root's contents in LOCAL" test -f rootcopy/releases/v1/src/top.txt
# a remote directory without -r
expect_exit 1 ferry_c get releases/v1/src x
expect_grep 'use -r' "$ERR" "get of a directory without -r hints at -r"
expect_exit 0 ferry_c --json get -r releases/v1/src jsonout
expect_true "--json: one object per file" json_ok "$OUT"
expect_eq 5 "$(grep -c '"op":"get"' "$OUT")" "--json: 5 objects"

# ---- -p: mtime and executable bits, both ways; never setuid ----------------
mkdir -p pdir
echo x >pdir/tool && chmod 4755 pdir/tool && touch -d '2001-02-03 04:05:06' pdir/tool
echo y >pdir/data && chmod 640 pdir/data && touch -d '2011-12-13 14:15:16' pdir/data
expect_exit 0 ferry_c put -rp pdir p/
expect_eq "$(stat -c %Y pdir/tool)" "$(stat -c %Y "$ROOT/p/pdir/tool")" "put -p: the mtime travels"
expect_eq 755 "$(stat -c %a "$ROOT/p/pdir/tool")" "put -p: the executable bits travel, setuid does not"
expect_eq 644 "$(stat -c %a "$ROOT/p/pdir/data")" "put -p: no executable bit, the server's default"
expect_exit 0 ferry_c put -r pdir q/
expect_eq 644 "$(stat -c %a "$ROOT/q/pdir/tool")" "put without -p: the server's defaults"
expect_true "put without -p: the mtime is the upload's" test "$(stat -c %Y "$ROOT/q/pdir/tool")" -gt 1000000000
umask 022
expect_exit 0 ferry_c get -rp p/pdir pback
expect_eq "$(stat -c %Y pdir/tool)" "$(stat -c %Y pback/tool)" "get -p: the mtime travels"
expect_eq "$(stat -c %Y pdir/data)" "$(stat -c %Y pback/data)" "get -p: every file's mtime"
expect_eq 755 "$(stat -c %a pback/tool)" "get -p: the executable bits travel"
expect_eq 644 "$(stat -c %a pback/data)" "get -p: no executable bit"
expect_exit 0 ferry_c get -r p/pdir nop
expect_eq 644 "$(stat -c %a nop/tool)" "get without -p: the umask's default"
expect_true "get without -p: the mtime is the download's" test "$(stat -c %Y nop/tool)" -gt "$(stat -c %Y pdir/tool)"

expect_eq "" "$(find "$ROOT" -name '.ferry-part.*' | head -1)" "no temporary files under the root"
expect_eq "" "$(find "$W" -name '*.ferry-tmp' -o -name '*.ferry-partial' | head -1)" "no temporary files left locally"
finish
