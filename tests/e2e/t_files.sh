#!/usr/bin/env bash
# t_files.sh - the client's commands and the overwrite policy: put twice,
# --overwrite, get onto an existing file, put into a directory, several
# files, get into a directory, ls, stat, sum, rm, whoami, environment
# defaults and exit codes for usage and local errors.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
W=$T/work
mkdir -p "$W/dl"
cd "$W" || exit 1
echo "first version" >a.txt
echo "second version, longer" >b.txt
A=$(sha a.txt)
B=$(sha b.txt)

# ---- overwrite policy --------------------------------------------------
expect_exit 0 ferry_c put a.txt x/a.txt
expect_exit 1 ferry_c put b.txt x/a.txt
expect_grep 'exist' "$ERR" "second put names the problem (exists)"
expect_one_line "$ERR" "second put: one line on stderr"
expect_eq "" "$(cat "$OUT")" "refused put prints no hash line"
expect_eq "$A" "$(sha "$ROOT/x/a.txt")" "refused put kept the old content"
expect_exit 0 ferry_c put --overwrite b.txt x/a.txt
expect_eq "$B  x/a.txt" "$(cat "$OUT")" "put --overwrite prints the new hash"
expect_eq "$B" "$(sha "$ROOT/x/a.txt")" "put --overwrite replaced the content"

cp a.txt dl/a.txt
expect_exit_nonzero() {
	"$@" >"$OUT" 2>"$ERR"
	local rc=$?
	if ((rc != 0 && rc != 124 && rc != 137)); then
		pass "exit $rc (non-zero): $*"
	else
		fail "exit $rc, wanted a refusal: $*"
		show_last
	fi
}
expect_exit_nonzero ferry_c get x/a.txt dl/a.txt
expect_grep 'exist|overwrite' "$ERR" "get onto an existing file says why"
expect_eq "$A" "$(sha dl/a.txt)" "get without --overwrite left the local file alone"
expect_exit 0 ferry_c get --overwrite x/a.txt dl/a.txt
expect_eq "$B" "$(sha dl/a.txt)" "get --overwrite replaced the local file"
expect_eq "a.txt" "$(ls -A dl | xargs)" "no temporary file left in the download directory"

# ---- directories and several files -------------------------------------
expect_exit 0 ferry_c put a.txt releases/
expect_eq "$A  releases/a.txt" "$(cat "$OUT")" "put into 'releases/' keeps the basename"
expect_eq "$A" "$(sha "$ROOT/releases/a.txt")" "stored under releases/"

for i in 1 2 3; do head -c $((1000 * i)) /dev/urandom >"m$i.bin"; done
expect_exit 0 ferry_c put m1.bin m2.bin m3.bin multi
expect_eq 3 "$(grep -c . "$OUT")" "put of three files prints three lines"
expect_true "sha256sum -c accepts the three put lines from the root" \
	bash -c 'cd "$1" && sha256sum -c --strict "$2"' _ "$ROOT" "$OUT"
for i in 1 2 3; do
	expect_eq "$(sha m$i.bin)" "$(sha "$ROOT/multi/m$i.bin" 2>/dev/null)" "multi/m$i.bin stored"
done

mkdir -p dl/multi
expect_exit 0 ferry_c get multi/m1.bin multi/m2.bin multi/m3.bin dl/multi
expect_eq 3 "$(grep -c . "$OUT")" "get of three files prints three lines"
expect_true "sha256sum -c accepts the three get lines" sha256sum -c --strict "$OUT"
for i in 1 2 3; do
	expect_eq "$(sha m$i.bin)" "$(sha dl/multi/m$i.bin 2>/dev/null)" "dl/multi/m$i.bin fetched"
done

# ---- ls, stat, sum -----------------------------------------------------
expect_exit 0 ferry_c ls multi
for i in 1 2 3; do expect_grep "m$i\\.bin" "$OUT" "ls multi lists m$i.bin"; done
expect_exit 0 ferry_c ls
expect_grep 'multi' "$OUT" "ls of the root lists multi"
expect_grep 'releases' "$OUT" "ls of the root lists releases"
expect_no_grep 'ferry-part' "$OUT" "ls shows no temporary files"
expect_exit 0 ferry_c --json ls multi
expect_true "ls --json output parses" json_ok "$OUT"
expect_exit 1 ferry_c ls nosuchdir
expect_grep 'not.?found|no such' "$ERR" "ls of a missing directory says not found"

expect_exit 0 ferry_c stat multi/m2.bin
expect_grep '2000' "$OUT" "stat shows the size"
expect_grep 'file' "$OUT" "stat shows the type"
expect_exit 0 ferry_c stat multi
expect_grep 'dir' "$OUT" "stat of a directory says so"
expect_exit 1 ferry_c stat multi/none
expect_grep 'not.?found|no such' "$ERR" "stat of a missing file says not found"

expect_exit 0 ferry_c sum multi/m1.bin multi/m3.bin
expect_eq "$(sha m1.bin)  multi/m1.bin
$(sha m3.bin)  multi/m3.bin" "$(cat "$OUT")" "sum prints sha256sum lines"
expect_true "sha256sum -c accepts sum's lines from the root" \
	bash -c 'cd "$1" && sha256sum -c --strict "$2"' _ "$ROOT" "$OUT"
expect_exit 1 ferry_c sum multi/none

# ---- rm ----------------------------------------------------------------
expect_exit 1 ferry_c rm multi
expect_grep 'not.?empty' "$ERR" "rm of a non-empty directory says not empty"
expect_true "rm of a non-empty directory removed nothing" test -f "$ROOT/multi/m1.bin"
expect_exit 0 ferry_c rm multi/m1.bin multi/m2.bin multi/m3.bin
expect_true "rm removed the files" test ! -e "$ROOT/multi/m1.bin" -a ! -e "$ROOT/multi/m3.bin"
expect_exit 0 ferry_c rm multi
expect_true "rm removed the empty directory" test ! -e "$ROOT/multi"
expect_exit 1 ferry_c rm multi
expect_grep 'not.?found|no such' "$ERR" "rm of a missing path says not found"

# ---- wrong kinds -------------------------------------------------------
expect_exit 1 ferry_c get releases dl/rel
expect_grep 'director' "$ERR" "get of a directory says it is a directory"
expect_true "get of a directory created nothing locally" test ! -e dl/rel
expect_exit 1 ferry_c put a.txt releases/a.txt/below
expect_grep 'director' "$ERR" "put below a file says not a directory"
expect_exit 1 ferry_c get nothing/here dl/nothing
expect_true "failed get created nothing locally" test ! -e dl/nothing

# ---- whoami and the environment ----------------------------------------
expect_exit 0 ferry_c whoami
expect_grep 'alice' "$OUT" "whoami names the certificate's CN"
expect_exit 0 env FERRY_SERVER="$SRV" FERRY_CA="$CA" FERRY_CERT="$CLI_CRT" \
	FERRY_KEY="$CLI_KEY" timeout 60 "$FERRY" whoami
expect_grep 'alice' "$OUT" "FERRY_* environment defaults work"
expect_exit 0 env FERRY_SERVER=127.0.0.1:1 FERRY_CA=/nonexistent timeout 60 \
	"$FERRY" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" whoami
expect_grep 'alice' "$OUT" "flags win over the environment"

# ---- usage and local errors --------------------------------------------
expect_exit 2 ferry_c
expect_exit 2 ferry_c frobnicate
expect_exit 2 ferry_c put
expect_exit 2 ferry_c --no-such-flag whoami
expect_exit 0 "$FERRY" --help
expect_grep 'put' "$OUT" "ferry --help mentions put"
expect_exit 0 "$FERRY" --version
expect_exit 0 "$FERRY" help put
expect_exit 0 "$FERRYD" --help
expect_grep '--root' "$OUT" "ferryd --help mentions --root"
expect_exit 0 "$FERRYD" --version
expect_exit 5 ferry_c put "$W/does-not-exist" x/none
expect_true "put of a missing local file stored nothing" test ! -e "$ROOT/x/none"
expect_exit 3 timeout 60 "$FERRY" -s 127.0.0.1:1 --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" whoami
expect_one_line "$ERR" "connection refused: one line on stderr"

# ---- several files, one refused: the others still go --------------------
echo "fresh" >fresh.txt
expect_exit 1 ferry_c put a.txt fresh.txt releases/
expect_grep 'exist' "$ERR" "the refused file is named"
expect_eq "$(sha fresh.txt)  releases/fresh.txt" "$(cat "$OUT")" "the other file was still uploaded"
expect_exit 1 ferry_c get releases/none releases/fresh.txt dl/
expect_eq "$(sha fresh.txt)" "$(sha dl/fresh.txt 2>/dev/null)" "a missing file does not stop the others"
expect_exit 5 ferry_c get releases/fresh.txt dl/
expect_grep 'exist|overwrite' "$ERR" "get onto an existing local file: exit 5 with the reason"

# ---- long listings: more than one frame, sorted by bytes ------------------
mkdir -p "$ROOT/many"
(cd "$ROOT/many" && for i in $(seq 1 2500); do : >"n$i"; done && : >"B" && : >"a" && : >"_")
expect_exit 0 ferry_c ls many
expect_eq 2503 "$(grep -Ec '(n[0-9]+|B|a|_)$' "$OUT")" "ls lists all 2503 entries (several frames)"
expect_eq "$(cd "$ROOT/many" && ls -A | LC_ALL=C sort | xargs | sha256sum)" \
	"$(awk '{print $NF}' "$OUT" | xargs | sha256sum)" "ls is sorted by name, bytewise"
if [[ -n $PROBE ]]; then
	printf '%s\n' 'send {"op":"list","path":"many"}' recv recv recv recv |
		timeout 60 "$PROBE" -s "$SRV" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$T/list.out"
	expect_grep '"more":true' <(sed -n 1p "$T/list.out") "the first list frame says more"
	expect_grep '"more":false' <(sed -n 3p "$T/list.out") "the third list frame is the last"
	expect_eq 1000 "$(sed -n 1p "$T/list.out" | grep -o '"name"' | wc -l)" "at most 1000 entries per frame"
fi
rm -rf "$ROOT/many"

# ---- the request log -----------------------------------------------------
expect_grep "alice.*put.*x/a\.txt.*$B.*ok|alice.*put.*x/a\.txt.*ok.*$B" "$SRV_LOG" \
	"the server logs a put with identity, op, path, sha256 and result"
expect_grep '127\.0\.0\.1' "$SRV_LOG" "the log names the peer"
expect_grep 'not_empty' "$SRV_LOG" "the log records error results"

saved=("$SRV" "$SRV_PID" "$SRV_LOG" "$PORT")
start_server --log-format json
expect_exit 0 ferry_c put --overwrite a.txt json/a.txt
stop_server "$SRV_PID"
expect_true "--log-format json: every log line is a JSON object" json_ok "$SRV_LOG"
expect_grep "\"$A\"" "$SRV_LOG" "--log-format json: the put's sha256 is logged"
SRV=${saved[0]} SRV_PID=${saved[1]} SRV_LOG=${saved[2]} PORT=${saved[3]}

# ---- IPv6 loopback -------------------------------------------------------
if grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
	saved=("$SRV" "$SRV_PID" "$SRV_LOG" "$PORT")
	start_server --listen '[::1]:0'
	SRV="[::1]:$PORT"
	expect_exit 0 ferry_c whoami
	expect_grep alice "$OUT" "ferry -s [::1]:PORT works (certificate has IP:::1)"
	expect_exit 0 ferry_c put --overwrite a.txt v6.txt
	expect_eq "$A" "$(sha "$ROOT/v6.txt")" "put over IPv6"
	stop_server "$SRV_PID"
	SRV=${saved[0]} SRV_PID=${saved[1]} SRV_LOG=${saved[2]} PORT=${saved[3]}
else
	unavailable "no ::1 on lo: the IPv6 checks"
fi

# ---- names with spaces and non-ASCII letters ------------------------------
cp a.txt "my file ü.txt"
expect_exit 0 ferry_c put "my file ü.txt" "space dir/"
expect_eq "$A  space dir/my file ü.txt" "$(cat "$OUT")" "put prints a name with spaces and UTF-8 as is"
expect_eq "$A" "$(sha "$ROOT/space dir/my file ü.txt" 2>/dev/null)" "stored under the same name"
expect_exit 0 ferry_c get "space dir/my file ü.txt" dl/
expect_true "sha256sum -c accepts the get line with spaces" sha256sum -c --strict "$OUT"
expect_exit 5 ferry_c get "space dir/my file ü.txt" "$W/no/such/dir/x"
expect_true "get into a missing local directory creates nothing" test ! -e "$W/no"

# ---- SIGINT stops the server like SIGTERM --------------------------------
saved=("$SRV" "$SRV_PID" "$SRV_LOG" "$PORT")
start_server
kill -INT "$SRV_PID"
if wait_until 30 bash -c '! kill -0 "$1" 2>/dev/null' _ "$SRV_PID"; then
	wait "$SRV_PID"
	expect_eq 0 "$?" "ferryd exits 0 on SIGINT"
else
	fail "ferryd still running 30 s after SIGINT"
	kill -KILL "$SRV_PID"
	wait "$SRV_PID"
fi
unset 'SERVER_LOG[$SRV_PID]'
SRV=${saved[0]} SRV_PID=${saved[1]} SRV_LOG=${saved[2]} PORT=${saved[3]}

# ---- ferryd's own usage errors ---------------------------------------------
expect_true "ferryd without --root refuses to start" \
	bash -c '! timeout 10 "$1" --cert "$2" --key "$3" --ca "$4" --listen 127.0.0.1:0' _ "$FERRYD" "$SRV_CRT" "$SRV_KEY" "$CA"
expect_true "ferryd with an unknown flag refuses to start" \
	bash -c '! timeout 10 "$1" --root "$2" --cert "$3" --key "$4" --ca "$5" --listen 127.0.0.1:0 --frobnicate' _ "$FERRYD" "$ROOT" "$SRV_CRT" "$SRV_KEY" "$CA"
expect_true "ferryd with a missing root refuses to start" \
	bash -c '! timeout 10 "$1" --root "$2/none" --cert "$3" --key "$4" --ca "$5" --listen 127.0.0.1:0' _ "$FERRYD" "$T" "$SRV_CRT" "$SRV_KEY" "$CA"

server_alive "the first ferryd still serves"
expect_exit 0 ferry_c whoami

# Nothing in the root but what we put there.
expect_eq "" "$(find "$ROOT" -name '.ferry-part.*' | head -1)" "no temporary files under the root"

finish
