#!/usr/bin/env bash
# t_proto2.sh - protocol 2 on the wire, through the raw frame client:
# hello settles the version; a put whose body follows its header needs no
# "ready", and a refused one has its body skipped with the connection kept;
# chunked bodies of unknown size; mtime and mode; mkdir; the recursive
# listing's depths and truncation; version-1 connections unchanged.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server --max-file-size 3000000
P=$T/probe.out
H='send {"op":"hello","version":2}
recv'

# ---- hello -------------------------------------------------------------
printf 'send {"op":"hello","version":7}\nrecv\n' | probe >"$P"
expect_grep '"version":2' "$P" "a newer client: the server settles on its own version"
printf 'send {"op":"hello"}\nrecv\n' | probe >"$P"
expect_grep '"version":1' "$P" "no version: protocol 1"

# ---- bodies that follow at once ----------------------------------------
printf '%s\nsend {"op":"put","path":"f/a","size":5,"body":"follows"}\nraw 6869686968\nrecv\n' "$H" | probe >"$P"
expect_grep '^\{"status":"ok","path":"f/a","size":5' <(sed -n 2p "$P") "a put whose body follows: one answer, ok"
expect_eq "hihih" "$(cat "$ROOT/f/a")" "stored"
# refusals before the body: answered, the body skipped, the connection kept
printf '%s\nsend {"op":"put","path":"f/a","size":70000,"body":"follows"}\nbody 70000\nrecv\nsend {"op":"put","path":"../x","size":3,"body":"follows"}\nbody 3\nrecv\nsend {"op":"put","path":"big","size":4000000,"body":"follows"}\nbody 4000000\nrecv\nsend {"op":"stat","path":"f/a"}\nrecv\n' "$H" | probe >"$P"
expect_grep '"code":"exists"' <(sed -n 2p "$P") "exists, with the body on its way"
expect_grep '"code":"invalid_path"' <(sed -n 3p "$P") "invalid_path, with the body on its way"
expect_grep '"code":"too_large"' <(sed -n 4p "$P") "too_large, with the body on its way"
expect_grep '"status":"ok","type":"file","size":5' <(sed -n 5p "$P") "the connection is still in step after three skipped bodies"
expect_grep 'op=put path=f/a .*result=exists' "$SRV_LOG" "the refusal is logged"
# at protocol 1 a body that follows is not understood (as in 0.1)
printf 'send {"op":"put","path":"v1","size":2,"body":"follows"}\nrecv\n' | probe >"$P"
expect_grep '"status":"ready","offset":0}' "$P" "protocol 1 ignores \"body\": it answers ready"

# ---- chunked bodies ----------------------------------------------------
printf '%s\nsend {"op":"put","path":"c/s","body":"chunked"}\nraw 00000003616263\nraw 000000026465\nraw 00000000\nrecv\nsend {"op":"stat","path":"c/s"}\nrecv\n' "$H" | probe >"$P"
expect_grep "\"status\":\"ok\",\"path\":\"c/s\",\"size\":5,\"sha256\":\"$(printf abcde | sha256sum | cut -c1-64)\"" <(sed -n 2p "$P") "chunked: the size and hash of all chunks"
expect_eq abcde "$(cat "$ROOT/c/s")" "chunked: stored"
printf '%s\nsend {"op":"put","path":"c/t","body":"chunked","sha256":"%s"}\nraw 00000001ff\nraw 00000000\nrecv\n' "$H" "$(printf x | sha256sum | cut -c1-64)" | probe >"$P"
expect_grep '"code":"checksum_mismatch"' "$P" "chunked with the wrong sha256: checksum_mismatch"
expect_true "and nothing stored" test ! -e "$ROOT/c/t"
printf '%s\nsend {"op":"put","path":"c/u","body":"chunked"}\nraw 00100001\nrecv\n' "$H" | probe >"$P"
expect_grep '"code":"bad_request"' "$P" "a chunk over 1 MiB: bad_request"
printf '%s\nsend {"op":"put","path":"c/v","body":"chunked"}\nraw 000f4240\nbody 1000000\nraw 000f4240\nbody 1000000\nraw 000f4240\nbody 1000000\nraw 000f4240\nbody 1000000\nrecv\n' "$H" | probe >"$P"
expect_grep '"code":"too_large"' "$P" "a stream past --max-file-size: too_large as it arrives"
expect_true "nothing stored" test ! -e "$ROOT/c/v"
expect_eq "" "$(find "$ROOT" -name '.ferry-part.*')" "chunked uploads leave no part behind"

# ---- mtime and mode ----------------------------------------------------
printf '%s\nsend {"op":"put","path":"m/x","size":1,"body":"follows","mtime":981173106,"mode":511}\nraw 78\nrecv\nsend {"op":"get","path":"m/x"}\nrecv\nrecvbody 1\nrecv\n' "$H" | probe >"$P"
expect_eq 981173106 "$(stat -c %Y "$ROOT/m/x")" "put mtime: stored"
expect_eq 755 "$(stat -c %a "$ROOT/m/x")" "put mode 0777: only the executable bits travel (0755)"
expect_grep '"mtime":981173106,"mode":493' <(sed -n 3p "$P") "get ready carries mtime and mode at protocol 2"
printf 'send {"op":"get","path":"m/x"}\nrecv\n' | probe >"$P"
expect_no_grep 'mode' "$P" "and not at protocol 1"

# ---- mkdir ------------------------------------------------------------
printf '%s\nsend {"op":"mkdir","path":"d1"}\nrecv\nsend {"op":"mkdir","path":"d1"}\nrecv\nsend {"op":"mkdir","path":"d2/x/y","parents":true}\nrecv\nsend {"op":"mkdir","path":"d2/x","parents":true}\nrecv\nsend {"op":"mkdir","path":"d3/x"}\nrecv\nsend {"op":"mkdir","path":"f/a/z","parents":true}\nrecv\nsend {"op":"mkdir","path":""}\nrecv\n' "$H" | probe >"$P"
expect_grep '^\{"status":"ok","created":true\}$' <(sed -n 2p "$P") "mkdir: made"
expect_grep '"code":"exists"' <(sed -n 3p "$P") "mkdir of an existing directory: exists"
expect_grep '"status":"ok"' <(sed -n 4p "$P") "mkdir parents"
expect_grep '^\{"status":"ok","created":false\}$' <(sed -n 5p "$P") "mkdir parents of an existing directory: ok, not made"
expect_grep '"code":"not_found"' <(sed -n 6p "$P") "mkdir without parents below a missing one: not_found"
expect_grep '"code":"not_directory"' <(sed -n 7p "$P") "mkdir below a file: not_directory"
expect_grep '"code":"invalid_path"' <(sed -n 8p "$P") "mkdir of the root: invalid_path"
expect_true "the directories exist" test -d "$ROOT/d1" -a -d "$ROOT/d2/x/y"

# ---- recursive listing: depth first, depths, truncated below 32 levels --
deep=$ROOT/t
for i in $(seq 1 40); do deep=$deep/l$i; done
mkdir -p "$deep" && echo z >"$deep/z"
echo a >"$ROOT/t/top"
printf '%s\nsend {"op":"list","path":"t","recursive":true}\nrecv\n' "$H" | probe >"$P"
expect_grep '\{"name":"l1","type":"dir","size":0,"mtime":[0-9]+,"mode":[0-9]+\}' "$P" "depth 0 entries carry no depth, but a mode"
expect_grep '"name":"l2",[^}]*"depth":1' "$P" "entries below carry their depth"
expect_grep '"name":"l32",[^}]*"depth":31,"truncated":true' "$P" "the 32nd level comes truncated"
expect_no_grep '"name":"l33"' "$P" "nothing below it"
printf '%s\nsend {"op":"list","path":"t"}\nrecv\n' "$H" | probe >"$P"
expect_no_grep 'depth' "$P" "a flat listing has no depths"
finish
