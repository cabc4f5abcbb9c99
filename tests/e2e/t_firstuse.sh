#!/usr/bin/env bash
# t_firstuse.sh - the first handshakes a fresh ferryd serves, all at once:
# 8 clients connect together to each of 12 new servers (4 workers each), so
# workers verify against certificates OpenSSL has not used yet.  OpenSSL
# fills a certificate's cached extensions on first use, and in 3.0 two
# threads may fill the same one at once; ferryd fills them when it loads a
# context.  Every client must succeed; under TSan a data race report in a
# server log fails the test (stop_server scans each log).
source "$(dirname "$0")/lib.sh" "$@"

make_pki
rounds=12 clients=8 bad=0
for ((r = 0; r < rounds; r++)); do
	start_server --threads 4
	pids=()
	for ((i = 0; i < clients; i++)); do
		ferry_c whoami >"$T/who.$r.$i" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < clients; i++)); do
		wait "${pids[$i]}" || { bad=$((bad + 1)); sed 's/^/  | /' "$T/who.$r.$i"; }
	done
	stop_server "$SRV_PID"
done
expect_eq 0 "$bad" "$((rounds * clients)) first handshakes on $rounds fresh servers succeeded"
finish
