#!/usr/bin/env bash
# t_concurrent.sh - 32 clients at once, each moving its own file up and
# then down; every hash is verified against sha256sum of the source.
source "$(dirname "$0")/lib.sh" "$@"

N=32
make_pki
start_server --threads 4
W=$T/work
mkdir -p "$W/src" "$W/dl"
for ((i = 0; i < N; i++)); do
	# Distinct sizes around 1-3 MiB, one of them empty.
	head -c $(((i == 7) ? 0 : 1048576 + i * 65537)) /dev/urandom >"$W/src/f$i.bin"
done

# run_all CMD: start N clients, wait for all (each is bounded by ferry_c's
# timeout), then check every exit status.
run_all() {
	local what=$1 i bad=0
	local -a pids=()
	for ((i = 0; i < N; i++)); do
		if [[ $what == put ]]; then
			ferry_c put "$W/src/f$i.bin" "c/$i/f$i.bin" >"$W/put.$i.out" 2>"$W/put.$i.err" &
		else
			ferry_c get "c/$i/f$i.bin" "$W/dl/f$i.bin" >"$W/get.$i.out" 2>"$W/get.$i.err" &
		fi
		pids+=($!)
	done
	for ((i = 0; i < N; i++)); do
		if ! wait "${pids[$i]}"; then
			bad=$((bad + 1))
			echo "  client $i ($what) failed: $(head -c 300 "$W/$what.$i.err")"
		fi
	done
	expect_eq 0 "$bad" "$N concurrent ${what}s all exit 0"
}

t0=$SECONDS
run_all put
bad=0
for ((i = 0; i < N; i++)); do
	h=$(sha "$W/src/f$i.bin")
	[[ $(cat "$W/put.$i.out") == "$h  c/$i/f$i.bin" ]] || { bad=$((bad + 1)); echo "  put $i printed: $(cat "$W/put.$i.out")"; }
	[[ $(sha "$ROOT/c/$i/f$i.bin" 2>/dev/null) == "$h" ]] || { bad=$((bad + 1)); echo "  stored $i differs"; }
done
expect_eq 0 "$bad" "every concurrent put printed and stored the source's hash"

run_all get
bad=0
for ((i = 0; i < N; i++)); do
	h=$(sha "$W/src/f$i.bin")
	[[ $(awk '{print $1}' "$W/get.$i.out") == "$h" ]] || { bad=$((bad + 1)); echo "  get $i printed: $(cat "$W/get.$i.out")"; }
	[[ $(sha "$W/dl/f$i.bin" 2>/dev/null) == "$h" ]] || { bad=$((bad + 1)); echo "  downloaded $i differs"; }
done
expect_eq 0 "$bad" "every concurrent get printed and wrote the source's hash"
echo "info: $N puts and $N gets in $((SECONDS - t0)) s"

# Mixed: overwrite puts, gets and listings at the same time on one directory.
pids=()
for ((i = 0; i < N; i++)); do
	case $((i % 3)) in
	0) ferry_c put --overwrite "$W/src/f$i.bin" "mix/f$i.bin" >/dev/null 2>"$W/mix.$i.err" & ;;
	1) ferry_c get --overwrite "c/$i/f$i.bin" "$W/dl/f$i.bin" >/dev/null 2>"$W/mix.$i.err" & ;;
	2) ferry_c ls c >/dev/null 2>"$W/mix.$i.err" & ;;
	esac
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
expect_eq 0 "$bad" "$N mixed concurrent commands all exit 0"
expect_eq "" "$(find "$ROOT" -name '.ferry-part.*')" "no temporary files left"

# ---- races on one name -----------------------------------------------------
# Eight puts of different files to one new name without --overwrite: exactly
# one wins, the others get "exists", and the stored file is the winner's.
for ((i = 0; i < 8; i++)); do head -c $((200000 + i)) /dev/urandom >"$W/race.$i"; done
pids=()
for ((i = 0; i < 8; i++)); do
	ferry_c put "$W/race.$i" race/one.bin >"$W/race.$i.out" 2>"$W/race.$i.err" &
	pids+=($!)
done
won=0 lost=0 winner=
for ((i = 0; i < 8; i++)); do
	wait "${pids[$i]}"
	case $? in
	0) won=$((won + 1)) winner=$i ;;
	1) grep -q exist "$W/race.$i.err" && lost=$((lost + 1)) ;;
	esac
done
expect_eq "1 7" "$won $lost" "racing puts without --overwrite: one wins, seven get exists"
[[ -n $winner ]] && expect_eq "$(sha "$W/race.$winner")" "$(sha "$ROOT/race/one.bin")" "the stored file is the winner's"

# Eight racing puts with --overwrite: all succeed; the result is one whole
# file, never a mix.
pids=()
for ((i = 0; i < 8; i++)); do
	ferry_c put --overwrite "$W/race.$i" race/two.bin >/dev/null 2>&1 &
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
expect_eq 0 "$bad" "racing puts with --overwrite all succeed"
got=$(sha "$ROOT/race/two.bin")
match=0
for ((i = 0; i < 8; i++)); do [[ $(sha "$W/race.$i") == "$got" ]] && match=1; done
expect_eq 1 "$match" "the overwritten file is exactly one of the uploads"
expect_true "the losers left no temporary files" \
	wait_until 10 bash -c '[[ -z $(find "$1" -name ".ferry-part.*") ]]' _ "$ROOT"

# A get reads one consistent snapshot: replacing the file while it is being
# downloaded changes nothing for that download.
head -c 128M /dev/urandom >"$W/snapA"
head -c 1M /dev/urandom >"$W/snapB"
expect_exit 0 ferry_c put "$W/snapA" snap.bin
ferry_c get snap.bin "$W/snap.got" >"$W/snap.out" 2>"$W/snap.err" &
getter=$!
# Wait until the server has the file open for the download.
if wait_until 30 bash -c 'ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "-> $2/snap.bin$"' _ "$SRV_PID" "$ROOT"; then
	expect_exit 0 ferry_c put --overwrite "$W/snapB" snap.bin
	wait "$getter"
	expect_eq 0 "$?" "the download in flight succeeds despite the replacement"
	expect_eq "$(sha "$W/snapA")" "$(sha "$W/snap.got" 2>/dev/null)" "it delivers the old file whole"
	expect_eq "$(sha "$W/snapB")" "$(sha "$ROOT/snap.bin")" "the new file is in place"
else
	wait "$getter"
	echo "info: the 128 MiB download finished before it could be caught in flight; snapshot check skipped"
fi

server_alive
finish
