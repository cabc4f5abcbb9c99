#!/usr/bin/env bash
# t_deb.sh - the .deb as an operator gets it: built with CPack, lintian
# without errors, installed with `apt-get install ./ferry_*.deb`, its unit
# passes `systemd-analyze verify` and scores <= 2.0 in `systemd-analyze
# security`, the installed ferryd runs as the user ferry from the installed
# /etc/ferry/ferryd.conf (on loopback, flags only for the address) and moves
# a file both ways with the built client; the man pages and completion are
# where they belong; purge removes what the package made.
# Needs root and a machine where the package is not installed; installs
# lintian when missing.  RUN_SERIAL (tests/CMakeLists.txt): it writes /etc.
source "$(dirname "$0")/../e2e/lib.sh" "$@"

[[ $(id -u) == 0 ]] || skip "not root: cannot install a package"
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "no dpkg/apt-get"
if dpkg -s ferry >/dev/null 2>&1; then
	skip "the package ferry is installed on this machine already; not touching it"
fi
getent passwd ferry >/dev/null && skip "a user ferry exists already; not touching it"
APT=(apt-get -y -qq -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive
if ! command -v lintian >/dev/null; then
	"${APT[@]}" install --no-install-recommends lintian >"$T/apt.log" 2>&1 ||
		{ "${APT[@]}" update >/dev/null 2>&1 && "${APT[@]}" install --no-install-recommends lintian >"$T/apt.log" 2>&1; } ||
		skip "cannot install lintian ($(tail -1 "$T/apt.log"))"
fi

# ---- build ---------------------------------------------------------------
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
PB=$BUILD
if [[ $prefix != /usr ]]; then
	# this build installs elsewhere: a package build of its own (no tests)
	PB=$BUILD/deb-build
	cmake -S "$SRC" -B "$PB" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DFERRY_TESTS=OFF -DFERRY_SANITIZE= >"$T/deb-configure.log" 2>&1 &&
		cmake --build "$PB" -j "${FERRY_TEST_JOBS:-2}" >"$T/deb-build.log" 2>&1 ||
		{ fail "the package build failed"; tail -20 "$T/deb-build.log"; finish; }
fi
rm -rf "$PB/packages"
expect_true "cpack -G DEB" bash -c 'cd "$1" && cpack -G DEB >"$2" 2>&1' _ "$PB" "$T/cpack.log"
DEB=$(ls "$PB"/packages/ferry_*_*.deb 2>/dev/null | head -1)
expect_true "a ferry_VERSION-1_ARCH.deb" test -f "$DEB"
[[ -f $DEB ]] || finish
echo "info: $(basename "$DEB"), $(stat -c %s "$DEB") bytes"

# ---- lintian, control files ------------------------------------------------
lintian "$DEB" >"$T/lintian.out" 2>&1
sed 's/^/  lintian: /' "$T/lintian.out" | grep -v 'root privileges' | head -20
expect_no_grep '^E: ' "$T/lintian.out" "lintian: no errors"
echo "info: lintian: $(grep -c '^E: ' "$T/lintian.out") errors, $(grep -c '^W: ' "$T/lintian.out") warnings"
dpkg-deb -e "$DEB" "$T/control"
expect_eq "/etc/ferry/ferryd.conf" "$(cat "$T/control/conffiles")" "conffiles: /etc/ferry/ferryd.conf"
expect_grep '^Depends:.*adduser' "$T/control/control" "depends on adduser (postinst makes the user)"
expect_grep '^Depends:.*libmicrohttpd' "$T/control/control" "shared-library dependencies found"

# ---- install --------------------------------------------------------------
cleanup_pkg() { dpkg -s ferry >/dev/null 2>&1 && "${APT[@]}" purge ferry >/dev/null 2>&1; rm -rf /etc/ferry/pki; }
trap 'rc=$?; cleanup_pkg; (exit $rc); on_exit' EXIT
install_deb() { (cd "$(dirname "$DEB")" && "${APT[@]}" install "./$(basename "$DEB")") >"$T/install.log" 2>&1; }
expect_true "apt-get install ./$(basename "$DEB")" install_deb || { sed 's/^/  | /' "$T/install.log" | tail -20; finish; }
expect_no_grep 'Warning|warning' "$T/install.log" "the maintainer scripts print no warning"
expect_true "the user ferry exists" getent passwd ferry
expect_eq "ferry ferry 750" "$(stat -c '%U %G %a' /var/lib/ferry)" "/var/lib/ferry belongs to ferry, mode 0750"
for f in /usr/bin/ferry /usr/sbin/ferryd /usr/bin/ferry-certs /etc/ferry/ferryd.conf \
	/lib/systemd/system/ferryd.service /lib/systemd/system/ferryd.socket /usr/share/man/man1/ferry.1.gz /usr/share/man/man1/ferry-certs.1.gz \
	/usr/share/man/man5/ferryd.conf.5.gz /usr/share/man/man8/ferryd.8.gz \
	/usr/share/bash-completion/completions/ferry /usr/share/doc/ferry/copyright; do
	expect_true "installed: $f" test -e "$f"
done
expect_eq "$(build_ver=$("$FERRYD_BIN" --version) && echo "$build_ver")" "$(/usr/sbin/ferryd --version)" "the installed ferryd is this version"
if [[ -d /run/systemd/system ]]; then
	expect_true "systemd runs here: the unit is enabled" systemctl is-enabled ferryd.service
else
	expect_true "no systemd running: the unit is not enabled" test ! -e /etc/systemd/system/multi-user.target.wants/ferryd.service
fi

# ---- the unit ---------------------------------------------------------------
expect_exit 0 systemd-analyze verify /lib/systemd/system/ferryd.service
expect_exit 0 systemd-analyze verify /lib/systemd/system/ferryd.socket
expect_true "the socket unit is not enabled by the package" test ! -e /etc/systemd/system/sockets.target.wants/ferryd.socket
expect_exit 0 systemd-analyze security --offline=yes /lib/systemd/system/ferryd.service
score=$(sed -nE 's/.*Overall exposure level for ferryd.service: ([0-9.]+).*/\1/p' "$OUT")
echo "info: systemd-analyze security: $score"
expect_true "systemd-analyze security scores <= 2.0 (got $score)" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'

# ---- run it as ferry, from the installed config ----------------------------
"$FERRY_CERTS" ca "$T/ca" >/dev/null && "$FERRY_CERTS" client "$T/ca" alice >/dev/null &&
	/usr/bin/ferry-certs server "$T/ca" server localhost 127.0.0.1 >/dev/null ||
	{ fail "making certificates (with the installed ferry-certs too)"; finish; }
install -m 0644 "$T/ca/ca.crt" /etc/ferry/pki/ca.crt
install -m 0644 "$T/ca/server.crt" /etc/ferry/pki/server.crt
install -m 0600 -o ferry -g ferry "$T/ca/server.key" /etc/ferry/pki/server.key
expect_exit 0 runuser -u ferry -- /usr/sbin/ferryd --check-config
expect_grep 'configuration ok \(/etc/ferry/ferryd.conf\)' "$OUT" "--check-config as ferry: the installed config is ok"
RUN=$T/run
install -d -o ferry -g ferry "$RUN"
chmod 755 "$T"
runuser -u ferry -- /usr/sbin/ferryd --listen 127.0.0.1:0 --port-file "$RUN/port" >"$T/installed.log" 2>&1 &
IPID=$!
SERVER_PIDS+=("$IPID")
SERVER_LOG[$IPID]=$T/installed.log
expect_true "the installed ferryd listens" wait_until 20 test -s "$RUN/port"
SRV=127.0.0.1:$(cat "$RUN/port") SRV_PID=$IPID SRV_LOG=$T/installed.log
expect_grep 'settings from /etc/ferry/ferryd.conf' "$SRV_LOG" "it read /etc/ferry/ferryd.conf"
expect_grep 'serving /var/lib/ferry' "$SRV_LOG" "it serves /var/lib/ferry"
expect_eq "ferry ferryd" "$(ps -o user=,comm= --ppid "$IPID" | xargs)" "it runs as ferry (runuser's child)"
CA=$T/ca/ca.crt CLI_CRT=$T/ca/alice.crt CLI_KEY=$T/ca/alice.key
head -c 3000000 /dev/urandom >"$T/f"
expect_exit 0 ferry_c put "$T/f" deb/f.bin
expect_eq "$(sha "$T/f")" "$(sha /var/lib/ferry/deb/f.bin)" "the file arrived in /var/lib/ferry"
expect_eq ferry "$(stat -c %U /var/lib/ferry/deb/f.bin)" "owned by ferry"
expect_exit 0 ferry_c get deb/f.bin "$T/f.back"
expect_true "and came back whole" cmp "$T/f" "$T/f.back"
stop_server "$IPID"
rm -rf /var/lib/ferry/deb /etc/ferry/pki/*

# ---- purge --------------------------------------------------------------------
expect_true "apt-get purge ferry" "${APT[@]}" purge ferry
for f in /usr/bin/ferry /usr/sbin/ferryd /lib/systemd/system/ferryd.service /lib/systemd/system/ferryd.socket /etc/ferry /var/lib/ferry \
	/usr/share/ferry /usr/share/doc/ferry /usr/share/man/man8/ferryd.8.gz; do
	expect_true "purged: $f" test ! -e "$f"
done
expect_true "purged: the user ferry" bash -c '! getent passwd ferry'
expect_true "purged: the group ferry" bash -c '! getent group ferry'
finish
