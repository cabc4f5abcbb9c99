#!/usr/bin/env bash
# t_haproxy.sh - two ferryd instances on one shared root behind HAProxy 2.6
# (issue 11; the scenario is balanced.sh): 32 clients, client addresses in
# the logs, kill -9 mid-upload resumed by the other instance, the
# restarted instance taken back by the health check.  Label integration:
# plain build only.  Installs haproxy when it is missing.
source "$(dirname "$0")/../e2e/lib.sh" "$@"
source "$(dirname "$0")/packages.sh"
[[ -n $FAULTPROXY ]] || { fail "faultproxy not built"; finish; }
need_packages haproxy:haproxy python3:python3

make_pki
ROOT_A=$T/root
ROOT_B=$T/root
same_root() { echo "$ROOT_A/$1"; }
source "$(dirname "$0")/balanced.sh"
finish
