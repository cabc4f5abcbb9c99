# bench_sum.sh - the SHA-256 cache part of tools/bench.sh (sourced by it,
# never run alone; `tools/bench.sh --only sum` runs just this part): ferry
# sum of a file of SIZE that ferry put wrote (its cache entry made at the
# commit), first call and second call; the same bytes copied into the root
# behind ferryd's back (no entry: its first sum reads the file, the second
# is answered from the entry the first one recorded); next to sha256sum of
# the same file (and openssl dgst, whose SHA-256 code ferryd uses).  Every case checks the hash, and the server's log says
# where each answer came from (a cached answer that was not, or the
# other way round, stops the benchmark: it is then broken, not slow).
# Uses what bench.sh set up: FERRY, FROOT, SRC, SRC_SHA, T, define, timed,
# median, ferry_cpu, SCRATCH, TIMES, CPU, LABEL; fills SUMS and the table
# report_sum prints.

SUMS=()
sumdefine() { # NAME LABEL
	define "$1" "$2" local "$MIBF" MiB
	ORDER=("${ORDER[@]:0:${#ORDER[@]}-1}")
	SUMS+=("$1")
	SCRATCH[$1]=$BYTES
}
sumdefine sum_sha256sum "sha256sum of the file (the server's copy, page cache warm)"
sumdefine sum_openssl "openssl dgst -sha256 of it (ferryd's SHA-256 code)"
sumdefine sum_first "ferry sum, first call after ferry put"
sumdefine sum_second "ferry sum, second call"
sumdefine sum_cold "ferry sum of a copy ferryd did not write, first call"
sumdefine sum_warm "ferry sum of that copy, second call"

# sum_from WANT CASE: the last stat's hash came from WANT (cache|file)
sum_from() {
	local got
	got=$(grep 'op=stat' "$T/ferryd.log" | tail -1 | sed -n 's/.* sha256_from=\([a-z]*\).*/\1/p')
	[[ $got == "$1" ]] || die "$2: the server took the hash from '$got', not from the $1"
}
sum_case() { # REMOTE WANT CASE
	local o
	ferry_cpu "${FERRY[@]}" sum "$1" >"$T/o"
	o=$(<"$T/o")
	check_sha "$o" "$3"
	sum_from "$2" "$3"
}
case_sum_sha256sum() {
	/usr/bin/time -f '%U %S' -o "$T/c.cpu" sha256sum "$FROOT/sum.bin" >"$T/o"
	check_sha "$(<"$T/o")" "sha256sum"
	LAST_CPU=$(awk '{ printf "%.2f", $1 + $2 }' "$T/c.cpu")
}
case_sum_openssl() {
	/usr/bin/time -f '%U %S' -o "$T/c.cpu" openssl dgst -sha256 -r "$FROOT/sum.bin" >"$T/o"
	check_sha "$(<"$T/o")" "openssl dgst"
	LAST_CPU=$(awk '{ printf "%.2f", $1 + $2 }' "$T/c.cpu")
}
prep_sum_first() { "${FERRY[@]}" -q put --overwrite "$SRC" sum.bin || die "put sum.bin failed"; }
case_sum_first() { sum_case sum.bin cache "ferry sum, first call"; }
case_sum_second() { sum_case sum.bin cache "ferry sum, second call"; }
prep_sum_cold() {
	cp "$SRC" "$FROOT/.cold.tmp" && mv "$FROOT/.cold.tmp" "$FROOT/cold.bin"
}
case_sum_cold() { sum_case cold.bin file "ferry sum of a copy, first call"; }
case_sum_warm() { sum_case cold.bin cache "ferry sum of a copy, second call"; }

say "sum: $MIB MiB, ferry sum (cached and not) against sha256sum x $RUNS runs, interleaved"
"${FERRY[@]}" -q put --overwrite "$SRC" sum.bin || die "put sum.bin failed"
for ((run = 1; run <= RUNS; run++)); do
	for name in "${SUMS[@]}"; do
		timed "$name" "case_$name"
	done
	say "sum run $run/$RUNS done"
done
rm -f "$FROOT/sum.bin" "$FROOT/cold.bin"

report_sum() {
	local name m c ref refc
	ref=$(median "${TIMES[sum_sha256sum]}")
	refc=$(median "${CPU[sum_sha256sum]}")
	echo "## SHA-256 of one $MIB MiB file on the server, median of $RUNS run(s)"
	echo
	echo "| case | median s | vs sha256sum | CPU s, both ends | vs sha256sum |"
	echo "|---|---:|---:|---:|---:|"
	for name in "${SUMS[@]}"; do
		m=$(median "${TIMES[$name]}")
		c=$(median "${CPU[$name]}")
		echo "| ${LABEL[$name]} | $m | $(awk -v r="$ref" -v t="$m" 'BEGIN { printf "%.3f", t / r }') | $c | $(awk -v r="$refc" -v t="$c" 'BEGIN { printf (r > 0 ? "%.3f" : "-"), t / r }') |"
	done
	echo
	echo "Wall time includes the connection (TCP, TLS 1.3, hello): a cached"
	echo "answer costs that and one stat. The first call after ferry put is"
	echo "already cached: ferryd recorded the hash it verified at the commit"
	echo "(user.ferry.sha256, docs/OPERATIONS.md); a file put there behind its"
	echo "back is read once, then answered from the entry that read recorded."
}
