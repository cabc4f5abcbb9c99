# bench_trees.sh - the many-files part of tools/bench.sh (sourced by it,
# never run alone): trees of small files on loopback and through a 20 ms
# round trip, put -r and get -r against tar | ssh and scp -r, -j 1/4/8 for
# big files, and the client's peak RSS for a large tree.  It uses the
# peers, helpers and variables bench.sh set up (FERRY_BIN, CA, CCRT, CKEY,
# FPORT_MAIN, LAT_FPORT, SSH_*, T, S, FROOT, define, timed, median ...)
# and fills TIMES, SCALE, PAR and the notes the report prints.

mk_tree() { # DIR COUNT BYTES
	mkdir -p "$1"
	head -c $(($2 * $3)) /dev/urandom | split -b "$3" -a 5 -d - "$1/f"
}

say "making trees: $N_SMALL x 4 KiB, $N_MED x 1 MiB, $N_DELAY x 4 KiB, $N_PAR x $PAR_MIB MiB"
mk_tree "$T/small" "$N_SMALL" 4096
mk_tree "$T/med" "$N_MED" 1048576
mk_tree "$T/delay" "$N_DELAY" 4096
mk_tree "$T/par" "$N_PAR" $((PAR_MIB * 1048576))
# what the get cases fetch, already on the server (untimed)
mkdir -p "$FROOT/trees"
cp -r "$T/small" "$T/delay" "$T/par" "$FROOT/trees/"

FERRYC=("$FERRY_BIN" --ca "$CA" --cert "$CCRT" --key "$CKEY")

# Counting the lines ferry printed proves every file arrived verified.
need_lines() { # GOT WANT WHAT
	[[ $1 == "$2" ]] || die "$3: $1 of $2 files"
}

# run_ferry PORT ARGS...: ferry against the server on PORT, its CPU and
# that server's counted (LAST_CPU), its output lines in $T/lines
run_ferry() {
	local port=$1
	shift
	CPU_PID=$FERRYD_MAIN
	[[ $port == "$DELAY_PORT" ]] && CPU_PID=$LAT_PID
	ferry_cpu "${FERRYC[@]}" -s "127.0.0.1:$port" "$@" >"$T/lines"
	CPU_PID=
}
tree_put() { # TREE PORT [FERRY OPTS...]
	local tree=$1 port=$2
	shift 2
	rm -rf "${FROOT:?}/up-$tree"
	run_ferry "$port" "$@" put -r "$T/$tree" "up-$tree"
	need_lines "$(wc -l <"$T/lines")" "$(ls "$T/$tree" | wc -l)" "ferry put -r of $tree"
}
tree_get() { # TREE PORT [FERRY OPTS...]
	local tree=$1 port=$2
	shift 2
	rm -rf "${S:?}/get-$tree"
	run_ferry "$port" "$@" get -r "trees/$tree" "$S/get-$tree"
	need_lines "$(wc -l <"$T/lines")" "$(ls "$T/$tree" | wc -l)" "ferry get -r of $tree"
}
named_get() { # TREE PORT: get of every file by name, one command
	local tree=$1 port=$2 names=()
	rm -rf "${S:?}/named-$tree"
	mkdir -p "$S/named-$tree"
	mapfile -t names < <(cd "$T/$tree" && ls | sed "s|^|trees/$tree/|")
	run_ferry "$port" get "${names[@]}" "$S/named-$tree/"
	need_lines "$(wc -l <"$T/lines")" "${#names[@]}" "ferry get of named files"
}
tree_scp_up() { # TREE SSH-PORT
	rm -rf "${S:?}/scp-$1"
	scp -q -r "${SSH_OPTS[@]}" -P "$2" "$T/$1" "127.0.0.1:$S/scp-$1"
	[[ $(ls "$S/scp-$1" | wc -l) == $(ls "$T/$1" | wc -l) ]] ||
		die "scp -r of $1 incomplete"
}
tree_scp_down() { # TREE SSH-PORT
	rm -rf "${S:?}/scpd-$1"
	scp -q -r "${SSH_OPTS[@]}" -P "$2" "127.0.0.1:$T/$1" "$S/scpd-$1"
	[[ $(ls "$S/scpd-$1" | wc -l) == $(ls "$T/$1" | wc -l) ]] ||
		die "scp -r down of $1 incomplete"
}
tree_tar_up() { # TREE SSH-PORT
	rm -rf "${S:?}/tar-$1"
	mkdir -p "$S/tar-$1"
	tar -C "$T" -cf - "$1" |
		ssh "${SSH_OPTS[@]}" -p "$2" 127.0.0.1 tar -C "$S/tar-$1" -xf -
	[[ $(ls "$S/tar-$1/$1" | wc -l) == $(ls "$T/$1" | wc -l) ]] ||
		die "tar | ssh of $1 incomplete"
}
tree_tar_down() { # TREE SSH-PORT
	rm -rf "${S:?}/tard-$1"
	mkdir -p "$S/tard-$1"
	ssh "${SSH_OPTS[@]}" -p "$2" 127.0.0.1 tar -C "$T" -cf - "$1" |
		tar -C "$S/tard-$1" -xf -
	[[ $(ls "$S/tard-$1/$1" | wc -l) == $(ls "$T/$1" | wc -l) ]] ||
		die "ssh tar | tar of $1 incomplete"
}

DELAY_PORT=$(free_port)
"$DELAY" --listen "127.0.0.1:$DELAY_PORT" --to "127.0.0.1:$LAT_FPORT" \
	--delay-ms "$DELAY_MS" 2>"$T/delay.log" &
PIDS+=($!)
wait_port "$DELAY_PORT" fr_delay "$T/delay.log"
if ((HAVE_SSH)); then
	SSH_DELAY_PORT=$(free_port)
	"$DELAY" --listen "127.0.0.1:$SSH_DELAY_PORT" --to "127.0.0.1:$SSH_PORT" \
		--delay-ms "$DELAY_MS" 2>"$T/delay-ssh.log" &
	PIDS+=($!)
	wait_port "$SSH_DELAY_PORT" fr_delay "$T/delay-ssh.log"
fi

# sdefine NAME LABEL WHAT COUNT UNIT GROUP: a scale case, reported in its
# group's table with its ratio to the group's first case
SCALE=()
declare -A GROUP=()
sdefine() {
	define "$1" "$2" "$3" "$4" "$5"
	GROUP[$1]=$6
	SCALE+=("$1")
	ORDER=("${ORDER[@]:0:${#ORDER[@]}-1}")
}
sdefine small_put "ferry put -r" "$N_SMALL x 4 KiB, loopback" "$N_SMALL" files small
sdefine small_get "ferry get -r" "$N_SMALL x 4 KiB, loopback" "$N_SMALL" files small
sdefine med_put "ferry put -r" "$N_MED x 1 MiB, loopback" "$N_MED" files med
sdefine delay_put "ferry put -r" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
sdefine delay_get "ferry get -r" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
sdefine delay_named "ferry get of $N_DELAY named files" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
if ((HAVE_SSH)); then
	sdefine small_tar_up "tar | ssh (up)" "$N_SMALL x 4 KiB, loopback" "$N_SMALL" files small
	sdefine small_tar_down "ssh tar | tar (down)" "$N_SMALL x 4 KiB, loopback" "$N_SMALL" files small
	sdefine small_scp_up "scp -r (up)" "$N_SMALL x 4 KiB, loopback" "$N_SMALL" files small
	sdefine med_tar_up "tar | ssh (up)" "$N_MED x 1 MiB, loopback" "$N_MED" files med
	sdefine med_scp_up "scp -r (up)" "$N_MED x 1 MiB, loopback" "$N_MED" files med
	sdefine delay_tar_up "tar | ssh (up)" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
	sdefine delay_tar_down "ssh tar | tar (down)" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
	sdefine delay_scp_up "scp -r (up)" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
	sdefine delay_scp_down "scp -r (down)" "$N_DELAY x 4 KiB, 20 ms RTT" "$N_DELAY" files delay
fi
PAR=()
for j in 1 4 8; do
	sdefine "par_put_$j" "ferry -j $j put -r" "$N_PAR x $PAR_MIB MiB, loopback" $((N_PAR * PAR_MIB)) MiB par
	sdefine "par_get_$j" "ferry -j $j get -r" "$N_PAR x $PAR_MIB MiB, loopback" $((N_PAR * PAR_MIB)) MiB par
	PAR+=("par_put_$j" "par_get_$j")
done

# bytes each case moves, for the scratch file written before it
for name in "${SCALE[@]}"; do
	case $name in
	small_*) SCRATCH[$name]=$((N_SMALL * 4096)) ;;
	med_*) SCRATCH[$name]=$((N_MED * 1048576)) ;;
	delay_*) SCRATCH[$name]=$((N_DELAY * 4096)) ;;
	par_*) SCRATCH[$name]=$((N_PAR * PAR_MIB * 1048576)) ;;
	esac
done

say "scale: trees x $RUNS runs, interleaved"
for ((run = 1; run <= RUNS; run++)); do
	timed small_put tree_put small "$FPORT_MAIN"
	timed small_get tree_get small "$FPORT_MAIN"
	timed med_put tree_put med "$FPORT_MAIN"
	timed delay_put tree_put delay "$DELAY_PORT"
	timed delay_get tree_get delay "$DELAY_PORT"
	timed delay_named named_get delay "$DELAY_PORT"
	if ((HAVE_SSH)); then
		timed small_tar_up tree_tar_up small "$SSH_PORT"
		timed small_tar_down tree_tar_down small "$SSH_PORT"
		timed small_scp_up tree_scp_up small "$SSH_PORT"
		timed med_tar_up tree_tar_up med "$SSH_PORT"
		timed med_scp_up tree_scp_up med "$SSH_PORT"
		timed delay_tar_up tree_tar_up delay "$SSH_DELAY_PORT"
		timed delay_tar_down tree_tar_down delay "$SSH_DELAY_PORT"
		timed delay_scp_up tree_scp_up delay "$SSH_DELAY_PORT"
		timed delay_scp_down tree_scp_down delay "$SSH_DELAY_PORT"
	fi
	for j in 1 4 8; do
		timed "par_put_$j" tree_put par "$FPORT_MAIN" -j "$j"
		timed "par_get_$j" tree_get par "$FPORT_MAIN" -j "$j"
	done
	say "scale run $run/$RUNS done"
done
rm -rf "${S:?}"/get-* "${S:?}"/named-* "${S:?}"/scp* "${S:?}"/tar* "${FROOT:?}"/up-*

# ---- the client's memory for a big tree (once) ----------------------------
say "memory: put -r and get -r of $N_MEM files"
mkdir -p "$T/mem"
(cd "$T/mem" && for ((d = 0; d < N_MEM / 1000; d++)); do
	mkdir "d$d" && (cd "d$d" && seq -f 'f%04g' 1 1000 | xargs touch)
done)
/usr/bin/time -f %M -o "$T/mem.put" "${FERRYC[@]}" -s "127.0.0.1:$FPORT_MAIN" \
	-q put -r "$T/mem" mem || die "put -r of $N_MEM files failed"
/usr/bin/time -f %M -o "$T/mem.get" "${FERRYC[@]}" -s "127.0.0.1:$FPORT_MAIN" \
	-q get -r mem "$S/mem" || die "get -r of $N_MEM files failed"
[[ $(find "$S/mem" -type f | wc -l) == "$N_MEM" ]] || die "get -r of $N_MEM files incomplete"
MEM_PUT=$(tail -1 "$T/mem.put")
MEM_GET=$(tail -1 "$T/mem.get")
MEM_NOTE="peak RSS of ferry for a $N_MEM-file tree: put -r $((MEM_PUT / 1024)) MiB, get -r $((MEM_GET / 1024)) MiB"
rm -rf "${S:?}/mem" "${FROOT:?}/mem" "$T/mem"

# report_trees: the tables of this part
report_trees() {
	local g name m base rate ratio first
	echo "## Many files, median of $RUNS run(s)"
	echo
	echo "Every ferry case verifies every file (SHA-256 both ends); tar and scp"
	echo "verify nothing.  20 ms RTT: tests/tools/fr_delay adds $DELAY_MS ms each"
	echo "way, in front of ferryd and of sshd alike.  Ratios: against the first"
	echo "row of the same group."
	for g in small med delay par; do
		echo
		echo "| tool | what | median s | rate | vs first row | CPU s, both ends |"
		echo "|---|---|---:|---:|---:|---:|"
		first=
		for name in "${SCALE[@]}"; do
			[[ ${GROUP[$name]} == "$g" ]] || continue
			m=$(median "${TIMES[$name]}")
			[[ -n $first ]] || first=$m
			rate=$(awk -v a="${AMOUNT[$name]}" -v t="$m" 'BEGIN { printf "%.0f", a / t }')
			ratio=$(awk -v b="$first" -v t="$m" 'BEGIN { printf "%.2f", b / t }')
			echo "| ${LABEL[$name]//|/\\|} | ${DIR[$name]} | $m | $rate ${UNIT[$name]}/s | $ratio | $([[ -n ${CPU[$name]:-} ]] && median "${CPU[$name]}" || echo -) |"
		done
	done
	echo
	echo "- $MEM_NOTE"
}

# target_rate NAME: files (or MiB) per second of a case
target_rate() {
	awk -v a="${AMOUNT[$1]}" -v t="$(median "${TIMES[$1]}")" 'BEGIN { printf "%.0f", a / t }'
}
target_ratio() { # A B: rate of A / rate of B
	awk -v a="$(median "${TIMES[$2]}")" -v b="$(median "${TIMES[$1]}")" 'BEGIN { printf "%.2f", a / b }'
}
