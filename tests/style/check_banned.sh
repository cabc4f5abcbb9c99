#!/usr/bin/env bash
# Fails when project C sources call a banned function: unbounded string
# copies, formatting without a size, parsing without error checks, shells.
# Usage: check_banned.sh SOURCE_DIR
set -u
root=${1:?usage: check_banned.sh SOURCE_DIR}
banned='strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|system|popen|tmpnam|tempnam|mktemp|alloca|rand|srand'
hits=$(grep -nE "(^|[^_a-zA-Z0-9.>])($banned)[[:space:]]*\(" \
	"$root"/src/*/*.c "$root"/src/*/*.h "$root"/include/ferry/*.h 2>/dev/null |
	grep -vE '^\S+:[0-9]+:\s*(/?\*|//)')
if [ -n "$hits" ]; then
	echo "banned functions used (see tests/style/check_banned.sh):"
	echo "$hits"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "no banned functions in $(ls "$root"/src/*/*.c | wc -l) source files"
echo "1 passed, 0 failed"
