#!/usr/bin/env bash
# t_docs.sh - the manuals agree with the programs: every long option that
# `ferryd --help`, `ferry --help` / `ferry help CMD` and `ferry-certs
# --help` print is described in its man page (ferryd(8), ferry(1),
# ferry-certs(1)) and, for ferry, known to the bash completion; every
# command of ferry is in ferry(1) and the completion; every ferryd.conf key
# (what --dump-config prints) is in ferryd.conf(5) and in the flags table of
# docs/OPERATIONS.md.  When the client grows a flag, this test says where
# it is missing.
source "$(dirname "$0")/lib.sh" "$@"
[[ -f $BUILD/man/ferryd.8 ]] || skip "no man pages in $BUILD (configured with -DFERRY_MAN=OFF?)"
MAN=$T/man
cp -r "$BUILD/man" "$MAN"
COMP=$SRC/dist/ferry.bash

# The long options a help text defines: at the start of a line ("  --ca
# FILE", "  -s, --server") or in a usage line ("[--overwrite]"); not the
# ones its prose mentions.
longopts() {
	grep -oE -- '^[[:space:]]*(-[a-zA-Z], )?--[a-z][a-z0-9-]*|\[--[a-z][a-z0-9-]*' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}
# in_man PAGE OPT: OPT is described (bold) in the roff of PAGE (no pipe
# into grep -q: with pipefail its early exit would fail the pipeline)
in_man() {
	[[ -f $1.txt ]] || sed 's/\\-/-/g' "$1" >"$1.txt"
	grep -F "\\fB$2\\fR" "$1.txt" >/dev/null
}
not() { ! "$@"; }
check_page() { # PROG PAGE: every long option of PROG's help text (stdin) in PAGE
	local prog=$1 page=$2 o missing=""
	while read -r o; do
		in_man "$page" "$o" || missing+=" $o"
	done
	expect_eq "" "$missing" "$prog: every long option of --help is in $(basename "$page")"
}

# self-test of the check: it finds what is there and misses what is not
expect_true "self-test: --root is found in ferryd(8)" in_man "$MAN/ferryd.8" --root
expect_true "self-test: --no-such-option is missed" not in_man "$MAN/ferryd.8" --no-such-option

"$FERRYD_BIN" --help | longopts | check_page ferryd "$MAN/ferryd.8"
tools=$SRC/tools/ferry-certs
"$tools" --help | sed '/^example:/,$d' | longopts | check_page ferry-certs "$MAN/ferry-certs.1"

# ferry: the global help and each command's
cmds=$("$FERRY" --help | sed -n '/^COMMANDS/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
expect_true "ferry --help lists commands" test -n "$cmds"
{
	"$FERRY" --help
	for c in $cmds; do "$FERRY" help "$c"; done
} >"$T/ferry-help"
longopts <"$T/ferry-help" | check_page ferry "$MAN/ferry.1"
missing=""
for c in $cmds; do in_man "$MAN/ferry.1" "$c" || missing+=" $c"; done
expect_eq "" "$missing" "ferry: every command is in ferry(1)"
missing=""
for c in $cmds; do grep -qE "_ferry_commands=.*\\b$c\\b" "$COMP" || missing+=" $c"; done
expect_eq "" "$missing" "ferry: every command is in the bash completion"
missing=""
for o in $(longopts <"$T/ferry-help"); do grep -qE -- "(^|[ '=])$o([ '=]|$)" "$COMP" || missing+=" $o"; done
expect_eq "" "$missing" "ferry: every long option is in the bash completion"

# ferryd.conf(5) and OPERATIONS.md: every key of the file
printf 'root = /r\ncert = c\nkey = k\nca = a\n' >"$T/min.conf"
keys=$("$FERRYD_BIN" --config "$T/min.conf" --dump-config | sed -nE 's/^(# )?([a-z-]+) = .*/\2/p' | sort -u)
expect_true "--dump-config lists keys" test -n "$keys"
missing=""
for k in $keys; do in_man "$MAN/ferryd.conf.5" "$k" || missing+=" $k"; done
expect_eq "" "$missing" "every key is in ferryd.conf(5)"
missing=""
for k in $keys; do grep -qF "| \`--$k" "$SRC/docs/OPERATIONS.md" || missing+=" $k"; done
expect_eq "" "$missing" "every key is in the flags table of docs/OPERATIONS.md"

# the completion works: commands, and options of put (no server needed)
expect_eq "put" "$(bash -c 'source "$1"; COMP_WORDS=(ferry pu); COMP_CWORD=1; _ferry; echo "${COMPREPLY[*]}"' _ "$COMP")" "completion: a command"
expect_eq "--overwrite" "$(bash -c 'source "$1"; COMP_WORDS=(ferry put --ov); COMP_CWORD=2; _ferry; echo "${COMPREPLY[*]}"' _ "$COMP")" "completion: an option of put"
finish
