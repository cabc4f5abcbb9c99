#!/usr/bin/env bash
# t_sumcache.sh - ferryd's SHA-256 cache (user.ferry.sha256): written at
# commit, read by stat --sha256 / sum / get without reading the file,
# refreshed after a hash, and never trusted for a file changed behind ferryd's back
# (appended, edited in place with its mtime put back, touched, replaced by
# another inode carrying a copied entry), for a forged entry (a valid
# stamp under a made-up MAC), or under another server key; where the root
# has no user xattrs (a ramfs the test mounts), one start-up line and
# every hash computed.  Every hash is checked against sha256sum of the
# file as it is.
source "$(dirname "$0")/lib.sh" "$@"

command -v setfattr >/dev/null && command -v getfattr >/dev/null ||
	skip "setfattr/getfattr (Debian package attr) not installed"
make_pki
start_server
W=$T/work
mkdir -p "$W" && cd "$W" || exit 1
X=user.ferry.sha256

# from_of [OP]: where the server took the hash of the last stat (or OP) from
from_of() { grep "op=${1:-stat}" "$SRV_LOG" | tail -1 | sed -n 's/.* sha256_from=\([a-z]*\).*/\1/p'; }
# sum_is NAME DESC: ferry sum of NAME equals sha256sum of the root's copy
sum_is() {
	expect_exit 0 ferry_c sum "$1"
	expect_eq "$(sha "$ROOT/$1")  $1" "$(cat "$OUT")" "$2"
}

head -c 300000 /dev/urandom >big
expect_exit 0 ferry_c put big
expect_grep "^f1 $(sha big) 300000 $(stat -c %i "$ROOT/big") " <(getfattr --only-values -n $X "$ROOT/big" 2>/dev/null) \
	"the commit wrote the verified hash and a stamp of the stored file"
sum_is big "sum after put: the right hash"
expect_eq cache "$(from_of)" "sum of a file ferryd wrote: from the cache, not read"
sum_is big "a second sum: the same"
expect_eq cache "$(from_of)" "and still from the cache"

# ---- changed behind ferryd's back -----------------------------------------
echo more >>"$ROOT/big"
sum_is big "appended: the new hash"
expect_eq file "$(from_of)" "appended: hashed again (size changed)"
sum_is big "after the refresh: right"
expect_eq cache "$(from_of)" "the hash computed was recorded: next time from the cache"

# same size, mtime put back exactly: only the ctime can tell
m=$(stat -c %.9Y "$ROOT/big")
sleep 0.2
printf 'XXXX' | dd of="$ROOT/big" bs=1 seek=100 conv=notrunc status=none
touch -m -d "@$m" "$ROOT/big"
expect_eq "$m" "$(stat -c %.9Y "$ROOT/big")" "(the edit kept size and mtime to the nanosecond)"
sum_is big "edited in place, size and mtime kept: the new hash"
expect_eq file "$(from_of)" "edited in place: hashed again (ctime)"

sleep 0.2
touch "$ROOT/big"
sum_is big "touched: the same content, hashed again"
expect_eq file "$(from_of)" "touched: not trusted (mtime)"

# a replaced inode carrying a copy of the entry, size and mtime
head -c 300000 /dev/urandom >other
expect_exit 0 ferry_c put other
entry=$(getfattr --only-values -n $X "$ROOT/other" 2>/dev/null)
head -c 300000 /dev/urandom >"$ROOT/.tmp-other"
setfattr -n $X -v "$entry" "$ROOT/.tmp-other"
touch -r "$ROOT/other" "$ROOT/.tmp-other"
mv "$ROOT/.tmp-other" "$ROOT/other"
sum_is other "another inode with the old entry copied onto it: its own hash"
expect_eq file "$(from_of)" "a replaced inode: hashed again"

# forged: a stamp that fits the file as it will be, a MAC we made up
head -c 1000 /dev/urandom >"$ROOT/forged"
now=$(date +%s)
fake=$(printf 'f1 %064d %s %s %s %s.000000000 %s.000000000 %064d' 0 1000 \
	"$(stat -c %i "$ROOT/forged")" "$(stat -c %.9Y "$ROOT/forged")" $((now - 60)) $((now + 60)) 0)
setfattr -n $X -v "$fake" "$ROOT/forged"
sum_is forged "a forged entry with a fitting stamp: the file's real hash"
expect_eq file "$(from_of)" "a forged entry is not trusted (MAC)"
setfattr -n $X -v "garbage $(printf '%0300d' 0)" "$ROOT/forged" 2>/dev/null
sum_is forged "a garbage entry: the real hash"

# a file put there behind ferryd's back: hashed once, then cached
cp big "$ROOT/copied"
sum_is copied "a file ferryd did not write: hashed"
expect_eq file "$(from_of)" "(no entry yet)"
sum_is copied "and recorded"
expect_eq cache "$(from_of)" "then from the cache"

# ---- get: the hash from the cache, the bytes checked by the client --------
# get_is NAME DESC [ARGS]: ferry get of NAME arrives whole, with its hash
get_is() {
	local name=$1 desc=$2
	shift 2
	expect_exit 0 ferry_c get "$@" "$name" "$W/got.$name"
	expect_eq "$(sha "$ROOT/$name")  $W/got.$name" "$(cat "$OUT")" "$desc: the right hash"
	expect_true "$desc: the same bytes" cmp -s "$ROOT/$name" "$W/got.$name"
}
head -c 700000 /dev/urandom >dl
expect_exit 0 ferry_c put dl
get_is dl "get of a file ferryd wrote"
expect_eq cache "$(from_of get)" "get of a file ferryd wrote: its hash from the cache"
rm -f "$W/got.dl"
cp dl "$ROOT/dl2"
get_is dl2 "get of a file ferryd did not write"
expect_eq file "$(from_of get)" "(hashed as it was sent)"
rm -f "$W/got.dl2"
get_is dl2 "the next get"
expect_eq cache "$(from_of get)" "the hash a get computed was recorded: next time from the cache"
# resumed: the held prefix is not reread on the server
rm -f "$W/got.dl"
head -c 300000 "$ROOT/dl" >"$W/.got.dl.ferry-partial" # what an interrupted get keeps
get_is dl "a resumed get (300000 bytes held)" --resume
expect_grep 'op=get .*offset=300000' "$SRV_LOG" "(it resumed at 300000)"
expect_eq cache "$(from_of get)" "a resumed get: the hash from the cache, the prefix not reread"
# changed behind ferryd's back, size and mtime kept: hashed as sent
m=$(stat -c %.9Y "$ROOT/dl")
sleep 0.2
printf 'YYYY' | dd of="$ROOT/dl" bs=1 seek=5000 conv=notrunc status=none
touch -m -d "@$m" "$ROOT/dl"
rm -f "$W/got.dl"
get_is dl "get of a file edited in place behind ferryd's back"
expect_eq file "$(from_of get)" "edited in place: the entry is not trusted, the file hashed as sent"

# stat --sha256 and put --overwrite use the same entry
expect_exit 0 ferry_c put --overwrite other big
sum_is big "put --overwrite: the new file's hash"
expect_eq cache "$(from_of)" "put --overwrite wrote the new entry"

# ---- restarts: the same key keeps the cache, another key does not --------
stop_server "$SRV_PID"
start_server
sum_is big "after a restart with the same key"
expect_eq cache "$(from_of)" "entries survive a restart (same server key)"
stop_server "$SRV_PID"
"$FERRY_CERTS" server "$PKI" srv2 127.0.0.1 >/dev/null
start_server --cert "$PKI/srv2.crt" --key "$PKI/srv2.key"
sum_is big "under another server key"
expect_eq file "$(from_of)" "another server key: nothing trusted, hashed"
stop_server "$SRV_PID"

# ---- no user xattrs: a ramfs (mounted here, unmounted at the end) ---------
if [[ $(id -u) == 0 ]] && mkdir -p "$T/ramfs" && mount -t ramfs ferry-test "$T/ramfs" 2>/dev/null; then
	trap '_rc=$?; umount "$T/ramfs" 2>/dev/null; (exit $_rc); on_exit' EXIT
	ROOT=$T/ramfs
	start_server
	expect_eq 1 "$(grep -c 'no user xattrs on --root' "$SRV_LOG")" "no xattrs: one start-up line says the cache is off"
	expect_exit 0 ferry_c put big
	sum_is big "no xattrs: sum is right"
	expect_eq file "$(from_of)" "no xattrs: hashed"
	sum_is big "again"
	expect_eq file "$(from_of)" "no xattrs: hashed every time"
	stop_server "$SRV_PID"
	umount "$T/ramfs"
else
	unavailable "mounting a ramfs (no user xattrs) needs root"
fi
finish
