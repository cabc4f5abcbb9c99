#!/usr/bin/env bash
# t_roundtrip.sh - put then get of 0 B, 1 B, 1 MiB and 256 MiB random files;
# every hash is checked against an independent sha256sum of the source, the
# stored copy under the root and the lines ferry prints (sha256sum -c must
# accept them); --json lines parse.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
W=$T/work
mkdir -p "$W/dl"
cd "$W" || exit 1

for size in 0 1 1048576 268435456; do
	src=src.$size
	head -c "$size" /dev/urandom >"$src"
	want=$(sha "$src")
	remote=rt/f.$size

	t0=$EPOCHREALTIME
	expect_exit 0 ferry_c put "$src" "$remote"
	t1=$EPOCHREALTIME
	expect_eq "$want  $remote" "$(cat "$OUT")" "put $size B prints 'HEX  REMOTE'"
	expect_eq "" "$(cat "$ERR")" "put $size B: nothing on stderr"
	expect_eq "$want" "$(sha "$ROOT/$remote" 2>/dev/null)" "put $size B: stored file has the source's hash"
	expect_true "put $size B: sha256sum -c accepts the put line (from the root)" \
		bash -c 'cd "$1" && sha256sum -c --strict "$2"' _ "$ROOT" "$OUT"

	rm -f "dl.$size"
	t2=$EPOCHREALTIME
	expect_exit 0 ferry_c get "$remote" "dl.$size"
	t3=$EPOCHREALTIME
	expect_eq "$want" "$(awk '{print $1}' "$OUT")" "get $size B prints the hash"
	expect_eq "dl.$size" "$(awk '{print $2}' "$OUT" | xargs -r basename)" "get $size B prints the local path"
	expect_eq "" "$(cat "$ERR")" "get $size B: nothing on stderr"
	expect_eq "$want" "$(sha "dl.$size" 2>/dev/null)" "get $size B: downloaded file has the source's hash"
	expect_true "get $size B: sha256sum -c accepts the get line" sha256sum -c --strict "$OUT"
	expect_eq "$size" "$(stat -c %s "dl.$size" 2>/dev/null)" "get $size B: size"
	if ((size >= 1048576)); then
		awk -v n="$size" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
			printf "info %d MiB: put %.2f s (%.0f MB/s), get %.2f s (%.0f MB/s)\n",
				n / 1048576, b - a, n / 1e6 / (b - a), d - c, n / 1e6 / (d - c) }'
	fi
	[[ $size == 268435456 ]] && rm -f "dl.$size" "$ROOT/$remote"
done

# A get never leaves its temporary file behind in the target directory.
expect_eq "dl.0 dl.1 dl.1048576" "$(ls -A | grep '^dl\.' | sort | xargs)" \
	"no stray files next to the downloads"

# get into the current directory by default.
(cd dl && ferry_c get rt/f.1 >"$OUT" 2>"$ERR")
expect_eq "0" "$?" "get with no LOCAL exits 0"
expect_eq "$(sha src.1)" "$(sha dl/f.1 2>/dev/null)" "get with no LOCAL writes ./BASENAME"

# put with REMOTE omitted: the basename at the root.
expect_exit 0 ferry_c put src.1
expect_eq "$(sha src.1)  src.1" "$(cat "$OUT")" "put without REMOTE prints the root path"
expect_eq "$(sha src.1)" "$(sha "$ROOT/src.1" 2>/dev/null)" "put without REMOTE stores at the root"

# --json: one object per file with op, local, remote, size, sha256, seconds.
expect_exit 0 ferry_c --json put --overwrite src.1048576 rt/json.bin
expect_one_line "$OUT" "put --json prints one line"
expect_true "put --json line parses as a JSON object" json_ok "$OUT"
expect_eq "put" "$(json_field "$OUT" op)" "put --json op"
expect_eq "$(sha src.1048576)" "$(json_field "$OUT" sha256)" "put --json sha256"
expect_eq "1048576" "$(json_field "$OUT" size)" "put --json size"
expect_eq "rt/json.bin" "$(json_field "$OUT" remote)" "put --json remote"
expect_grep '"local"' "$OUT" "put --json has local"
expect_grep '"seconds"' "$OUT" "put --json has seconds"

rm -f dl/json.bin
expect_exit 0 ferry_c --json get rt/json.bin dl/json.bin
expect_true "get --json line parses as a JSON object" json_ok "$OUT"
expect_eq "get" "$(json_field "$OUT" op)" "get --json op"
expect_eq "$(sha src.1048576)" "$(json_field "$OUT" sha256)" "get --json sha256"
expect_eq "rt/json.bin" "$(json_field "$OUT" remote)" "get --json remote"
expect_eq "$(sha src.1048576)" "$(sha dl/json.bin 2>/dev/null)" "get --json file content"

# Several files in one get: one JSON line each.
rm -f dl/f.0 dl/f.1
expect_exit 0 ferry_c --json get rt/f.0 rt/f.1 dl/
expect_eq 2 "$(grep -c . "$OUT")" "get --json of two files prints two lines"
expect_true "both --json lines parse" json_ok "$OUT"

expect_exit 0 ferry_c -q put --overwrite src.1 rt/q.bin
expect_eq "" "$(cat "$ERR")" "put -q: nothing on stderr"

# ---- sizes beyond 32 bits (a sparse file on the server) ------------------
if [[ -n $PROBE ]]; then
	N=$((4 * 1024 * 1024 * 1024 + 5))
	truncate -s "$N" "$ROOT/sparse.bin"
	expect_exit 0 ferry_c stat sparse.bin
	expect_grep "$N" "$OUT" "stat reports a size above 4 GiB"
	# openssl dgst uses the CPU's SHA extensions: 4 GiB in seconds.
	big_sha=$(openssl dgst -sha256 -r "$ROOT/sparse.bin" | cut -d' ' -f1)
	printf '%s\n' "send {\"op\":\"get\",\"path\":\"sparse.bin\",\"offset\":$((N - 10))}" \
		recv 'recvbody 10' recv "send {\"op\":\"get\",\"path\":\"sparse.bin\",\"offset\":$((N + 1))}" recv |
		PROBE_TIMEOUT=120 probe --timeout 100 >"$T/sparse.out"
	expect_grep "\"size\":$N" <(sed -n 1p "$T/sparse.out") "get ready carries a size above 4 GiB"
	expect_grep "\"offset\":$((N - 10))" <(sed -n 1p "$T/sparse.out") "get ready carries an offset above 4 GiB"
	expect_eq "BODY 10 $(head -c 10 /dev/zero | sha256sum | cut -d' ' -f1)" "$(sed -n 2p "$T/sparse.out")" "the last 10 bytes"
	expect_grep "\"sha256\":\"$big_sha\"" <(sed -n 3p "$T/sparse.out") "the hash covers all 4 GiB + 5 bytes"
	expect_grep '"code":"bad_request"' <(sed -n 4p "$T/sparse.out") "offset beyond a 4 GiB file: bad_request"
	rm -f "$ROOT/sparse.bin"
fi

server_alive
finish
