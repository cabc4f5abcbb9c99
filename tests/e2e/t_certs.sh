#!/usr/bin/env bash
# t_certs.sh - tools/ferry-certs, the certificate helper the quick start
# and the docs use: what it makes (modes, names, a chain that verifies), that
# it never overwrites, and that it works when its scratch directory
# ($TMPDIR) and the destination are on different file systems (it moves
# files into place with hard links, which cannot cross file systems).
source "$(dirname "$0")/lib.sh" "$@"

P=$T/pki
expect_exit 0 "$FERRY_CERTS" ca "$P"
expect_exit 0 "$FERRY_CERTS" server "$P" localhost 127.0.0.1
expect_exit 0 "$FERRY_CERTS" client "$P" alice
expect_eq "600 644 600 644 600 644" \
	"$(stat -c %a "$P/ca.key" "$P/ca.crt" "$P/localhost.key" "$P/localhost.crt" \
		"$P/alice.key" "$P/alice.crt" | tr '\n' ' ' | sed 's/ $//')" \
	"keys are 0600, certificates 0644"
expect_true "the server certificate verifies against the CA" \
	openssl verify -CAfile "$P/ca.crt" -purpose sslserver "$P/localhost.crt"
expect_true "the client certificate verifies against the CA" \
	openssl verify -CAfile "$P/ca.crt" -purpose sslclient "$P/alice.crt"
openssl x509 -in "$P/localhost.crt" -noout -ext subjectAltName >"$T/san" 2>&1
expect_grep 'DNS:localhost.*IP Address:127\.0\.0\.1' "$T/san" "the server certificate names localhost and 127.0.0.1"

before=$(sha "$P/alice.key")
expect_exit 1 "$FERRY_CERTS" client "$P" alice
expect_grep 'alice.key already exists; refusing to overwrite' "$ERR" "a second run refuses, naming the file"
expect_eq "$before" "$(sha "$P/alice.key")" "the existing key is unchanged"

# The scratch directory on another file system than the destination.
OTHER=
for d in /dev/shm /run /tmp /var/tmp; do
	if [[ -d $d && -w $d && $(stat -c %d "$d") != $(stat -c %d "$T") ]]; then
		OTHER=$d
		break
	fi
done
MNT=
if [[ -z $OTHER && $(id -u) == 0 ]]; then # make one: a tmpfs of our own
	mkdir -p "$T/tmpfs" && mount -t tmpfs -o size=4m ferry-t_certs "$T/tmpfs" 2>/dev/null &&
		MNT=$T/tmpfs OTHER=$MNT
fi
if [[ -z $OTHER ]]; then
	unavailable "no writable directory on a file system other than $T's, and no tmpfs could be mounted"
else
	W=$(mktemp -d "$OTHER/ferry-t_certs.XXXXXX")
	Q=$T/pki2
	expect_exit 0 env TMPDIR="$W" "$FERRY_CERTS" ca "$Q"
	expect_exit 0 env TMPDIR="$W" "$FERRY_CERTS" client "$Q" bob
	expect_true "with TMPDIR on $OTHER the pair verifies" \
		openssl verify -CAfile "$Q/ca.crt" "$Q/bob.crt"
	expect_eq "" "$(find "$Q" "$W" -name '.ferry-certs.*' -o -name 'ferry-certs.*')" \
		"no staging file or scratch directory is left behind"
	rm -rf -- "$W"
	[[ -z $MNT ]] || umount "$MNT"
fi
finish
