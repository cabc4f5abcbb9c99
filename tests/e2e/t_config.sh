#!/usr/bin/env bash
# t_config.sh - ferryd.conf and the option table: every setting from the
# file, flags over the file, relative paths, repeatable listen; every
# mistake exits 2 naming FILE:LINE and the reason; --dump-config prints
# what is in force (and reads back the same); --check-config cross-checks
# without binding, one line per problem, exit 0 or 1.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
C=$T/conf
mkdir -p "$C/pki" "$T/root"
cp "$SRV_CRT" "$C/pki/srv.crt"
cp "$SRV_KEY" "$C/pki/srv.key"
cp "$CA" "$C/pki/ca.crt"
CONF=$C/ferryd.conf
cat >"$CONF" <<EOC
# ferryd.conf for t_config
root = $T/root
cert = pki/srv.crt
key  = pki/srv.key
ca   = pki/ca.crt
listen = 127.0.0.1:0
max-file-size = 1000
idle-timeout = 7
EOC

# ---- a server from the file alone (relative paths: next to the file) --
start_server --config "$CONF"
expect_grep 'settings from .*/conf/ferryd.conf' "$SRV_LOG" "the start-up line names the config file"
head -c 1001 /dev/urandom >"$T/big"
head -c 1000 /dev/urandom >"$T/ok"
expect_exit 1 ferry_c put "$T/big" big
expect_grep 'too_large' "$ERR" "max-file-size from the file is in force"
expect_exit 0 ferry_c put "$T/ok" ok
stop_server "$SRV_PID"
# a flag overrides the file
start_server --config "$CONF" --max-file-size 2000
expect_exit 0 ferry_c put "$T/big" big
stop_server "$SRV_PID"

# ---- --dump-config -----------------------------------------------------
expect_exit 0 "$FERRYD" --config "$CONF" --max-conns 77 --dump-config
cp "$OUT" "$T/dump1"
expect_grep "^root = $T/root\$" "$T/dump1" "dump: root from the file"
expect_grep "^cert = $C/pki/srv.crt\$" "$T/dump1" "dump: a relative path resolved next to the file"
expect_grep '^max-conns = 77$' "$T/dump1" "dump: a flag over the default"
expect_grep '^idle-timeout = 7$' "$T/dump1" "dump: a file setting"
expect_grep '^stall-timeout = 30$' "$T/dump1" "dump: a default"
expect_grep '^# crl = $' "$T/dump1" "dump: unset settings commented out"
expect_grep '^listen = 127\.0\.0\.1:0$' "$T/dump1" "dump: listen"
expect_no_grep '^(config|check-config|dump-config|help|version) ' "$T/dump1" "dump: no command-line-only keys"
# what it prints is a config file that gives the same settings
grep -v '^#' "$T/dump1" >"$C/dumped.conf"
expect_exit 0 "$FERRYD" --config "$C/dumped.conf" --dump-config
expect_eq "$(grep -v '^#' "$T/dump1")" "$(grep -v '^#' "$OUT")" "the dump reads back as the same settings"

# listen: the file's list replaces the default, flags replace the file's
printf 'listen = 127.0.0.1:1\nlisten = [::1]:2\n' >"$C/l.conf"
cat "$CONF" | grep -v '^listen' >>"$C/l.conf"
expect_exit 0 "$FERRYD" --config "$C/l.conf" --dump-config
expect_eq "listen = 127.0.0.1:1 listen = [::1]:2" "$(grep '^listen' "$OUT" | xargs)" "listen repeats in the file"
expect_exit 0 "$FERRYD" --config "$C/l.conf" --listen 127.0.0.1:3 --dump-config
expect_eq "listen = 127.0.0.1:3" "$(grep '^listen' "$OUT" | xargs)" "--listen replaces the file's list"

# ---- mistakes: exit 2, FILE:LINE: reason --------------------------------
bad() { # LINE REGEX DESC: a config file line that must be refused
	local line=$1 re=$2 desc=$3
	{ echo "root = $T/root"; echo "# comment"; printf '%s\n' "$line"; } >"$C/bad.conf"
	expect_exit 2 "$FERRYD" --config "$C/bad.conf" --cert "$SRV_CRT" --key "$SRV_KEY" --ca "$CA"
	expect_grep "^ferryd: $C/bad.conf:3: $re" "$ERR" "$desc"
	expect_one_line "$ERR" "$desc: one line"
}
bad 'frobnicate = 1' "unknown key 'frobnicate'" "unknown key"
bad 'threads = lots' "threads: 'lots' is not an integer in 1\.\.[0-9]+" "bad number"
bad 'threads = 0' "threads: '0' is not an integer" "number out of range"
bad 'tls-min = 1.1' "tls-min: invalid value '1.1'" "bad choice"
bad 'allow-open-key = maybe' "allow-open-key: 'maybe' is not yes or no" "bad boolean"
bad 'root = /srv/other' "'root' is already set on line 1" "a setting given twice"
bad 'listen = 1.2.3.4:99999' "listen: '1.2.3.4:99999': port must be" "bad address"
bad 'metrics-listen = localhost' "metrics-listen: 'localhost'" "metrics-listen without a port"
bad 'config = /etc/x' "'config' is a command-line option only" "a command-line-only key"
bad 'root /srv' "expected 'key = value'" "no '='"
bad 'root: /srv' "expected 'key = value'" "':' is not a separator"
bad '[server]' "sections \(\[...\]\) are not used" "a section"
bad 'cert =' "cert: invalid value ''" "an empty value"
expect_exit 2 "$FERRYD" --config "$T/no-such.conf"
expect_grep "^ferryd: $T/no-such.conf: No such file or directory" "$ERR" "a missing --config file"
expect_exit 2 "$FERRYD" --config "$T" --root "$T/root"
expect_grep "^ferryd: $T: Is a directory" "$ERR" "a directory as --config"
grep -v '^cert' "$CONF" >"$C/nocert.conf"
expect_exit 2 "$FERRYD" --config "$C/nocert.conf"
expect_grep "missing cert: give --cert FILE or 'cert = FILE' in $C/nocert.conf" "$ERR" "a missing required setting names flag and file"
expect_exit 2 "$FERRYD" --config "$CONF" --threads
expect_grep '^ferryd: --threads needs a value' "$ERR" "a flag without its value"
# without --config, the default file is read only if it exists
expect_exit 2 "$FERRYD_BIN" --root "$T/root"
expect_grep "missing cert: .* in /etc/ferry/ferryd.conf" "$ERR" "the default file is named in the hint"

# ---- --check-config ------------------------------------------------------
expect_exit 0 "$FERRYD" --config "$CONF" --check-config
expect_grep "^ferryd: configuration ok \($CONF\)" "$OUT" "check: a good configuration"
# it does not bind: the port in use by another server is no problem
start_server --config "$CONF"
expect_exit 0 "$FERRYD" --config "$CONF" --listen "127.0.0.1:$PORT" --check-config
stop_server "$SRV_PID"

"$FERRY_CERTS" ca "$T/pki3" >/dev/null && "$FERRY_CERTS" server "$T/pki3" other >/dev/null ||
	{ fail "ferry-certs failed"; finish; }
check_bad() { # DESC REGEX [FLAGS...]: --check-config exits 1 with REGEX
	local desc=$1 re=$2
	shift 2
	expect_exit 1 "$FERRYD" --config "$CONF" --check-config "$@"
	expect_grep "$re" "$ERR" "check: $desc"
}
check_bad "a key that does not match the certificate" "private key $T/pki3/other.key does not match certificate $C/pki/srv.crt" --key "$T/pki3/other.key"
check_bad "a missing CA" "cannot read --ca $T/missing-ca.crt: No such file" --ca "$T/missing-ca.crt"
printf '{"identities": {"alice": {"root": "a", "perms": "rwx"}}}\n' >"$C/acl.json"
check_bad "a bad ACL" "--acl '$C/acl.json'.*perms" --acl "$C/acl.json"
check_bad "a root that is a file" "--root $T/ok: not a directory" --root "$T/ok"
check_bad "a root that does not exist" "--root $T/nope: No such file" --root "$T/nope"
printf 'not a certificate\n' >"$C/junk.crt"
check_bad "a certificate that is not PEM" "cannot load certificate $C/junk.crt" --cert "$C/junk.crt"
check_bad "a CRL that is not a CRL" "cannot load CRL file $C/junk.crt" --crl "$C/junk.crt"
check_bad "an unknown user" "--user 'no-such-user-ferry'" --user no-such-user-ferry
check_bad "metrics on the TLS address" "metrics-listen 127.0.0.1:0 is also a --listen" --metrics-listen 127.0.0.1:0
chmod 0644 "$C/pki/srv.key"
check_bad "a key readable by others" "accessible by group or others" 
chmod 0600 "$C/pki/srv.key"
# several problems at once: one line each
expect_exit 1 "$FERRYD" --config "$CONF" --check-config --key "$T/pki3/other.key" --ca "$T/missing-ca.crt" --root "$T/ok"
expect_eq 3 "$(grep -c '^ferryd: ' "$ERR")" "check: three problems, three lines"
# a config file error under --check-config exits 1 too (not 2)
expect_exit 1 "$FERRYD" --config "$C/bad.conf" --check-config
make_dated_cert server expired-srv 20200101000000Z 20200201000000Z
check_bad "an expired certificate" "--cert $PKI/expired-srv.crt: expired [0-9]+ days ago" --cert "$PKI/expired-srv.crt" --key "$PKI/expired-srv.key"
finish
