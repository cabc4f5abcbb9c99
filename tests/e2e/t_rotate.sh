#!/usr/bin/env bash
# t_rotate.sh - certificate rotation under Landlock, the way deploy tools
# do it: every kind of file ferryd reloads on SIGHUP (certificate + key, CA,
# CRL, ACL, and the config file) replaced
#   1. by rename over the old name (certbot's copy, Ansible, sed -i, mv),
#   2. by a symlink swap: the Kubernetes "..data" layout of a mounted
#      Secret, and certbot's live/ -> archive/ links,
#   3. in place (cp over the file),
# each followed by SIGHUP and a check that new connections see the new
# file.  And what fails says which file, why (Landlock by name) and how to
# fix it, while the old files keep serving.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
"$FERRY_CERTS" server "$PKI" next localhost 127.0.0.1 >/dev/null &&
	"$FERRY_CERTS" client "$PKI" carol >/dev/null || { fail "ferry-certs failed"; finish; }
PKI2=$T/pki2
"$FERRY_CERTS" ca "$PKI2" >/dev/null && "$FERRY_CERTS" client "$PKI2" bob >/dev/null ||
	{ fail "ferry-certs failed"; finish; }
S=$T/src # the contents each step installs
mkdir -p "$S"
make_crl "$PKI" "$S/crl-a-empty.pem"
make_crl "$PKI2" "$S/crl-b-empty.pem"
make_crl "$PKI" "$S/crl-a-carol.pem" "$PKI/carol.crt"
cat "$S/crl-a-empty.pem" "$S/crl-b-empty.pem" >"$S/crl.1"
cat "$S/crl-a-carol.pem" "$S/crl-b-empty.pem" >"$S/crl.2"
cp "$CA" "$S/ca.1"
cat "$CA" "$PKI2/ca.crt" >"$S/ca.2"
cp "$SRV_CRT" "$S/crt.1"
cp "$SRV_KEY" "$S/key.1"
cp "$PKI/next.crt" "$S/crt.2"
cp "$PKI/next.key" "$S/key.2"
acl() { printf '{"identities": {"alice": {"root": "", "perms": "%s"}, "bob": {"root": "", "perms": "rwld"}, "carol": {"root": "", "perms": "rwld"}}}\n' "$1"; }
acl r >"$S/acl.1"
acl rwld >"$S/acl.2"
PIN1=$(spki_pin "$S/crt.1")
PIN2=$(spki_pin "$S/crt.2")

as() { # as NAME ARGS...: the client as alice, bob or carol of $PKI/$PKI2
	local who=$1 dir=$PKI
	shift
	[[ $who == bob ]] && dir=$PKI2
	timeout -k 5 60 "$FERRY" -s "$SRV" --ca "$CA" --cert "$dir/$who.crt" --key "$dir/$who.key" "$@"
}
reloads() { grep -c "$1" "$SRV_LOG"; }
hup_ok() { # DESC: SIGHUP, and the log says it reloaded
	local n
	n=$(reloads 'SIGHUP: reloaded')
	kill -HUP "$SRV_PID"
	expect_true "$1: SIGHUP reloads" wait_until 10 bash -c '(( $(grep -c "SIGHUP: reloaded" "$1") > $2 ))' _ "$SRV_LOG" "$n" ||
		grep 'reload failed' "$SRV_LOG" | tail -1 | sed 's/^/  | /'
}
hup_fail() { # REGEX DESC: SIGHUP fails, and the log line matches REGEX
	local n
	n=$(reloads 'reload failed')
	kill -HUP "$SRV_PID"
	if wait_until 10 bash -c '(( $(grep -c "reload failed" "$1") > $2 ))' _ "$SRV_LOG" "$n"; then
		grep 'reload failed' "$SRV_LOG" | tail -1 >"$T/lastfail"
		expect_grep "$1" "$T/lastfail" "$2"
	else
		fail "$2: the reload did not fail"
	fi
}
# checks of what new connections see after each step
serves_cert() { # N: the server presents crt.N (its key pinned)
	local pin=PIN$1
	expect_exit 0 as alice --pin-sha256 "${!pin}" whoami
}
alice_perms() { expect_exit 0 as alice whoami && expect_grep "perms: *$1\$" "$OUT" "alice has perms $1"; }

# rotate STYLE KIND N: install version N of KIND (crt+key, ca, crl, acl)
# into the layout of STYLE
rotate() {
	local style=$1 kind=$2 n=$3 f
	local -a names
	case $kind in
	cert) names=(crt key) ;;
	*) names=("$kind") ;;
	esac
	case $style in
	rename)
		for f in "${names[@]}"; do
			cp "$S/$f.$n" "$D/.$f.new"
			chmod 600 "$D/.$f.new"
			mv -f "$D/.$f.new" "$D/$f"
		done
		;;
	inplace)
		for f in "${names[@]}"; do cat "$S/$f.$n" >"$D/$f"; done
		;;
	k8s) # kubelet's AtomicWriter: a new timestamped dir, ..data swapped
		local new=..$(date +%s%N) old
		old=$(readlink "$D/..data")
		cp -a "$D/$old" "$D/$new"
		for f in "${names[@]}"; do cp "$S/$f.$n" "$D/$new/$f"; done
		ln -s "$new" "$D/..data_tmp"
		mv -T "$D/..data_tmp" "$D/..data"
		rm -rf -- "${D:?}/$old"
		;;
	esac
}

# layout STYLE: $D holding crt key ca crl acl (version 1) as STYLE keeps them
layout() {
	local f
	D=$T/$1
	mkdir -p "$D"
	if [[ $1 == k8s ]]; then
		mkdir "$D/..v1"
		for f in crt key ca crl acl; do
			cp "$S/$f.1" "$D/..v1/$f"
			ln -s "..data/$f" "$D/$f"
		done
		ln -s ..v1 "$D/..data"
	else
		for f in crt key ca crl acl; do cp "$S/$f.1" "$D/$f"; done
	fi
	chmod 600 "$D"/key "$D"/*/key 2>/dev/null
	return 0
}

for style in rename k8s inplace; do
	layout "$style"
	ROOT=$T/root-$style
	start_server --cert "$D/crt" --key "$D/key" --ca "$D/ca" --crl "$D/crl" --acl "$D/acl"
	if [[ $style == rename ]] && ! grep -q 'landlock: confined' "$SRV_LOG"; then
		skip "no Landlock in this kernel: rotation under Landlock cannot be tested"
	fi
	expect_grep "landlock: confined .*$D" "$SRV_LOG" "$style: Landlock lets ferryd read below $D"
	serves_cert 1
	alice_perms r
	expect_exit 3 as bob whoami

	rotate "$style" cert 2
	hup_ok "$style: certificate and key"
	serves_cert 2
	expect_exit 3 as alice --pin-sha256 "$PIN1" whoami

	expect_exit 0 as carol whoami
	rotate "$style" crl 2
	hup_ok "$style: CRL"
	expect_exit 3 as carol whoami
	# the server logs the refusal after the client has seen it: wait
	expect_true "$style: the revoked client is refused at the handshake" \
		wait_until 10 grep -q revoked "$SRV_LOG"

	rotate "$style" acl 2
	hup_ok "$style: ACL"
	alice_perms rwld

	rotate "$style" ca 2
	hup_ok "$style: CA"
	expect_exit 0 as bob whoami
	expect_grep 'bob' "$OUT" "$style: a client of the new CA is served"

	# again, the same way: a second rotation must work as well as the first
	rotate "$style" cert 1
	hup_ok "$style: certificate and key, once more"
	serves_cert 1
	server_alive "$style: ferryd serves on"
	if [[ $style == rename ]]; then # kept for the failures below
		RSRV=$SRV_PID RLOG=$SRV_LOG RADDR=$SRV
	else
		stop_server "$SRV_PID"
	fi
done

# ---- certbot: live/NAME.crt -> ../archive/NAMEn.crt -----------------------
# The links lead out of the configured directory: the directory they lead
# to is readable too.
LE=$T/letsencrypt
mkdir -p "$LE/live" "$LE/archive"
cp "$S/crt.1" "$LE/archive/srv1.crt"
cp "$S/key.1" "$LE/archive/srv1.key"
chmod 600 "$LE/archive/srv1.key"
ln -s ../archive/srv1.crt "$LE/live/srv.crt"
ln -s ../archive/srv1.key "$LE/live/srv.key"
ROOT=$T/root-certbot
start_server --cert "$LE/live/srv.crt" --key "$LE/live/srv.key"
serves_cert 1
cp "$S/crt.2" "$LE/archive/srv2.crt"
cp "$S/key.2" "$LE/archive/srv2.key"
chmod 600 "$LE/archive/srv2.key"
ln -s ../archive/srv2.crt "$LE/live/.t" && mv -T "$LE/live/.t" "$LE/live/srv.crt"
ln -s ../archive/srv2.key "$LE/live/.t" && mv -T "$LE/live/.t" "$LE/live/srv.key"
hup_ok "certbot: live/ links to a new archive/ file"
serves_cert 2
stop_server "$SRV_PID"
SRV_PID=$RSRV SRV_LOG=$RLOG SRV=$RADDR

# ---- failures: the file, the reason, the fix; the old files serve on ------
D=$T/rename
rm -f "$D/crl"
hup_fail "cannot read --crl $D/crl: No such file or directory: check the path" "a missing CRL is named"
serves_cert 1
cp "$S/crl.2" "$D/crl"
mkdir -p "$T/elsewhere"
cp "$S/crt.2" "$T/elsewhere/crt"
ln -sf "$T/elsewhere/crt" "$D/crt"
hup_fail "cannot read --cert $D/crt: denied by Landlock: .*restart ferryd" \
	"a file outside the directories ferryd started with: Landlock is named, and the fix"
serves_cert 1
cp "$S/crt.1" "$D/.crt.new" && mv -f "$D/.crt.new" "$D/crt"
printf '{"identities": {"alice": {"root": "", "perms": "rwq"}}}\n' >"$D/.acl.new"
mv -f "$D/.acl.new" "$D/acl"
hup_fail "--acl '$D/acl'.*perms" "a bad ACL names the file and the field"
alice_perms rwld
expect_exit 0 as bob whoami
rotate rename acl 2
hup_ok "a good ACL after a bad one"
server_alive
stop_server "$SRV_PID"

# ---- the config file, renamed over, on SIGHUP ------------------------------
CD=$T/confdir
mkdir -p "$CD"
printf 'max-file-size = 10\n' >"$CD/ferryd.conf"
ROOT=$T/root-conf
start_server --config "$CD/ferryd.conf"
head -c 100 /dev/urandom >"$T/f100"
expect_exit 1 ferry_c put "$T/f100" f100
printf 'max-file-size = 1000\nmetrics-listen = 127.0.0.1:0\n' >"$CD/.new" && mv -f "$CD/.new" "$CD/ferryd.conf"
hup_ok "the config file renamed over"
expect_grep 'SIGHUP: reloaded .*changed: max-file-size.*needs a restart to change \(old value kept\): metrics-listen' "$SRV_LOG" \
	"the log says what changed and what needs a restart"
expect_exit 0 ferry_c put "$T/f100" f100
printf 'max-file-size = 1000\nmetrics-listen = 127.0.0.1:0\nbogus = 1\n' >"$CD/ferryd.conf"
hup_fail "$CD/ferryd.conf:3: unknown key 'bogus'" "a broken config file: FILE:LINE in the log"
expect_exit 0 ferry_c put --overwrite "$T/f100" f100
finish
