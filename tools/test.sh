#!/usr/bin/env bash
# test.sh - build ferry and run the whole test suite, three times:
#   build/       RelWithDebInfo (prefix /usr): unit, style, end-to-end and
#                integration tests (the .deb built, linted, installed, run
#                and purged; metrics checked with promtool; HAProxy and
#                GlusterFS, which install their own packages)
#   build-asan/  ASan + UBSan: the whole suite again but the integration tests
#   build-tsan/  TSan: the end-to-end tests (the worker pool under load)
#   build-fuzz/  clang + libFuzzer + ASan/UBSan: each fuzz target for
#                FERRY_FUZZ_SECONDS (default 20) from its seed corpus
# and tools/bench.sh --quick after the plain suite (log: build/bench-quick.log).
# Installs missing Debian packages first (apt-get, as root).  Exits non-zero
# if anything fails.  Run from anywhere; works from a fresh clone.
#
# Environment: FERRY_TEST_JOBS (default 2) build/test parallelism;
# FERRY_TEST_SKIP_SANITIZERS=1 runs only the plain build (quick local use).
#
# Skips: a test that cannot run exits 77 and ctest reports it "Skipped".
# Here everything must run (this script installs what the tests need and
# runs as root), so a skipped test fails the suite, and the e2e tests run
# with FERRY_TEST_REQUIRE_ALL=1, which turns a part they cannot run (no
# IPv6, no Landlock, not root) into a failure.  On a machine that truly
# lacks something, name the tests allowed to skip:
#   FERRY_TEST_ALLOW_SKIP="e2e.t_nospace e2e.t_sslscan" tools/test.sh
# and set FERRY_TEST_REQUIRE_ALL=0 to let the parts skip too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${FERRY_TEST_JOBS:-2}
# attr: t_sumcache's getfattr/setfattr; python3: t_shell drives ferry shell
# through a pseudo-terminal (its pty module)
PACKAGES=(build-essential cmake pkg-config libssl-dev libcjson-dev libcmocka-dev openssl ca-certificates
	libinih-dev libmicrohttpd-dev libedit-dev scdoc sslscan clang libclang-rt-14-dev
	attr python3)
FUZZ_SECONDS=${FERRY_FUZZ_SECONDS:-20}

say() { printf '\n==== %s\n' "$*"; }

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	say "installing ${missing[*]}"
	if [[ $(id -u) != 0 ]]; then
		echo "missing packages (${missing[*]}); run as root or install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build DIR [CMAKE ARGS...]
build() {
	local dir=$1
	shift
	say "configure $dir $*"
	mkdir -p "$dir"
	# FERRY_TESTS and FERRY_SANITIZE are always given: a cache left by
	# someone's own configure must not switch the suite off.
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRY_TESTS=ON \
		-DFERRY_SANITIZE= "$@" >"$dir/configure.log" 2>&1 || {
		cat "$dir/configure.log"
		return 1
	}
	say "build $dir"
	cmake --build "$dir" -j "$JOBS"
}

failed=()
export FERRY_TEST_REQUIRE_ALL=${FERRY_TEST_REQUIRE_ALL:-1}
# suite NAME DIR [CTEST ARGS...]: run ctest, keep going on failure; a
# skipped test not named in FERRY_TEST_ALLOW_SKIP is a failure.
suite() {
	local name=$1 dir=$2 t
	shift 2
	say "test $name"
	if ! (cd "$dir" && ctest --output-on-failure --no-tests=error -j "$JOBS" "$@") |
		tee "$dir/ctest.log"; then
		failed+=("$name")
	fi
	for t in $(sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+) \(Skipped\)$/\1/p' "$dir/ctest.log"); do
		if [[ " ${FERRY_TEST_ALLOW_SKIP:-} " != *" $t "* ]]; then
			echo "skipped, but must run here: $t (see FERRY_TEST_ALLOW_SKIP in tools/test.sh)"
			failed+=("$name: $t skipped")
		fi
	done
}

start=$SECONDS
install_packages

# prefix /usr: the .deb test (tests/integration/t_deb.sh) packages this
# build with CPack as it is, without building again
build build -DCMAKE_INSTALL_PREFIX=/usr
suite "plain (RelWithDebInfo)" build

# The benchmark at a tiny size, so it never rots: it fails only when broken
# (a peer does not start, bytes do not arrive), never for being slow.
say "benchmark smoke run (tools/bench.sh --quick)"
if ! "$ROOT/tools/bench.sh" --quick --build build >build/bench-quick.log 2>&1; then
	tail -20 build/bench-quick.log
	failed+=("tools/bench.sh --quick")
fi

if [[ ${FERRY_TEST_SKIP_SANITIZERS:-} != 1 ]]; then
	export ASAN_OPTIONS=detect_leaks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	build build-asan -DFERRY_SANITIZE=address,undefined
	suite "ASan+UBSan" build-asan -LE integration
	unset ASAN_OPTIONS UBSAN_OPTIONS

	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
	build build-tsan -DFERRY_SANITIZE=thread
	suite "TSan (e2e)" build-tsan -L e2e
	unset TSAN_OPTIONS
fi

# fuzz: each libFuzzer target for a bounded time (clang only)
fuzz() {
	local t corpus work
	if ! command -v clang >/dev/null 2>&1; then
		say "fuzz: clang not found, skipped"
		return 0
	fi
	say "configure build-fuzz (clang, libFuzzer)"
	mkdir -p build-fuzz
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRY_TESTS=ON \
		-DFERRY_FUZZ=ON -DFERRY_SANITIZE=address,undefined >build-fuzz/configure.log 2>&1 &&
		cmake --build build-fuzz -j "$JOBS" --target fuzz_frame fuzz_request fuzz_path fuzz_acl fuzz_proxy fuzz_sumfile || {
		failed+=("fuzz build")
		return 0
	}
	for t in frame request path acl proxy sumfile; do
		say "fuzz $t for ${FUZZ_SECONDS} s"
		corpus=tests/fuzz/corpus/$t
		work=$(mktemp -d)
		# new inputs go to a scratch dir; the committed corpus is read only
		if ! build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$FUZZ_SECONDS" -max_len=8192 \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=build-fuzz/crash-$t- "$work" "$corpus" 2>build-fuzz/fuzz-$t.log; then
			tail -40 build-fuzz/fuzz-$t.log
			failed+=("fuzz $t")
		fi
		grep -E '^stat::number_of_executed_units' build-fuzz/fuzz-$t.log | sed "s/^/  $t: /"
		rm -rf -- "$work"
	done
}
if [[ ${FERRY_TEST_SKIP_SANITIZERS:-} != 1 && ${FERRY_TEST_SKIP_FUZZ:-} != 1 ]]; then
	export ASAN_OPTIONS=detect_leaks=1
	fuzz
	unset ASAN_OPTIONS
fi

say "done in $((SECONDS - start)) s"
if ((${#failed[@]})); then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "all suites passed"
