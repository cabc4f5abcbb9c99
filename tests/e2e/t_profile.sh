#!/usr/bin/env bash
# t_profile.sh - the client's config file: where it is found
# ($XDG_CONFIG_HOME/ferry/config, ~/.config/ferry/config, --config,
# FERRY_CONFIG), [default] and [profile NAME], --profile, FERRY_PROFILE and
# -s NAME (as ssh resolves a Host alias), the precedence flags >
# environment > profile > [default] (shown by `ferry config` and proven by
# real connections), relative paths relative to the file, and every error:
# exit 2 with FILE:LINE: and what is wrong.
source "$(dirname "$0")/lib.sh" "$@"

make_pki
start_server
W=$T/work
mkdir -p "$W" "$T/home/.config/ferry" "$T/xdg/ferry" "$T/cfg/sub"
cd "$W" || exit 1
echo data >"$ROOT/f.txt"
# a server that refuses everything we are: the wrong CA
make_bad_certs

# The config file, certificates given relative to it.
cp "$CA" "$CLI_CRT" "$CLI_KEY" "$T/cfg/sub/"
cat >"$T/cfg/config" <<EOF
# ferry profiles
[default]
ca = sub/ca.crt
cert = sub/alice.crt
key = sub/alice.key
server = 127.0.0.1:1
retries = 1

[profile good]
server = $SRV
parallel = 3

[profile wrongca]
server = $SRV
ca = $PKI2/ca.crt

[profile local]
EOF
chmod 600 "$T/cfg/config"
C=$T/cfg/config
F=$FERRY
# setting KEY in the output of `ferry config`: "value # origin"
setting() { sed -nE "s/^$1 = (.*)$/\\1/p" "$OUT"; }

# ---- where the file is ----------------------------------------------------
cp "$C" "$T/home/.config/ferry/config"
HOME=$T/home expect_exit 0 "$F" --profile good config
expect_eq "$SRV    # $T/home/.config/ferry/config:10" "$(setting server)" "~/.config/ferry/config is read by default"
expect_eq "$T/home/.config/ferry/sub/ca.crt    # $T/home/.config/ferry/config:3" "$(setting ca)" "a relative path is relative to the file"
printf '[profile x]\nserver = xdg.example:1\n' >"$T/xdg/ferry/config"
chmod 600 "$T/xdg/ferry/config"
HOME=$T/home XDG_CONFIG_HOME=$T/xdg expect_exit 0 "$F" --profile x config
expect_grep '^server = xdg\.example:1 ' "$OUT" "\$XDG_CONFIG_HOME/ferry/config comes first"
HOME=$T/home XDG_CONFIG_HOME=relative expect_exit 0 "$F" --profile good config
expect_grep "^server = $SRV " "$OUT" "a relative \$XDG_CONFIG_HOME is ignored (XDG spec)"
HOME=$T/home FERRY_CONFIG=$T/xdg/ferry/config expect_exit 0 "$F" --profile x config
expect_grep '^server = xdg' "$OUT" "FERRY_CONFIG names the file"
HOME=$T/home FERRY_CONFIG=$T/xdg/ferry/config expect_exit 0 "$F" --config "$C" --profile good config
expect_grep "^server = $SRV " "$OUT" "--config wins over FERRY_CONFIG"
HOME=$T/nohome expect_exit 0 "$F" -s "$SRV" config
expect_grep '^# ca is not set' "$OUT" "no file: nothing from it"

# ---- profiles and precedence, through real connections ---------------------
expect_exit 0 "$F" --config "$C" --profile good whoami
expect_grep '^identity: alice' "$OUT" "--profile: server from the profile, certificates from [default]"
expect_exit 0 "$F" --config "$C" -s good sum f.txt
expect_grep 'f\.txt$' "$OUT" "-s NAME selects [profile NAME] (as an ssh Host alias)"
FERRY_CONFIG=$C FERRY_PROFILE=good expect_exit 0 "$F" whoami
expect_grep '^identity: alice' "$OUT" "FERRY_PROFILE selects a profile"
expect_exit 3 "$F" --config "$C" --profile wrongca whoami
expect_grep 'certificate' "$ERR" "the profile's ca wins over [default]'s"
expect_exit 0 "$F" --config "$C" --profile wrongca --ca "$CA" whoami
expect_grep '^identity: alice' "$OUT" "a flag wins over the profile"
FERRY_CA=$CA expect_exit 0 "$F" --config "$C" --profile wrongca whoami
expect_grep '^identity: alice' "$OUT" "the environment wins over the profile"
FERRY_CA=$PKI2/ca.crt expect_exit 0 "$F" --config "$C" --profile good --ca "$CA" whoami
expect_grep '^identity: alice' "$OUT" "a flag wins over the environment"
FERRY_SERVER=127.0.0.1:1 expect_exit 3 "$F" --config "$C" --profile good --retries 0 whoami
expect_grep '127\.0\.0\.1:1' "$ERR" "FERRY_SERVER wins over the profile's server"
FERRY_SERVER=127.0.0.1:1 expect_exit 0 "$F" --config "$C" -s good whoami
expect_grep '^identity: alice' "$OUT" "-s NAME is a flag: it wins over FERRY_SERVER"
expect_exit 3 "$F" --config "$C" whoami
expect_grep '127\.0\.0\.1:1' "$ERR" "no profile: [default] applies"
FERRY_PROFILE=good expect_exit 0 "$F" --config "$C" -s "$SRV" config
expect_grep "^parallel = 3 " "$OUT" "-s HOST (no profile of that name) keeps FERRY_PROFILE's profile"
expect_grep "^server = $SRV    # --server" "$OUT" "... with the server of -s"
expect_exit 0 "$F" --config "$C" -s local config
expect_grep '^server = local    # --server' "$OUT" "a profile without server: -s NAME is the host (as ssh)"
expect_exit 0 "$F" --config "$C" --profile good -j 5 config
expect_grep '^parallel = 5    # --parallel' "$OUT" "config: -j shows as a flag"
expect_grep '^retries = 1    # .*config:7' "$OUT" "config: [default]'s line"
expect_exit 0 "$F" --config "$C" config
expect_grep '^parallel = 1    # built in' "$OUT" "config: a built-in default"
expect_exit 0 "$F" --config /dev/null config
expect_grep '^retries = 3    # built in' "$OUT" "config: the built-in retries (3)"
expect_exit 2 "$F" --config "$C" -s good --profile wrongca whoami
expect_grep 'name two profiles' "$ERR" "-s PROFILE and another --profile: refused"

# ---- every error: exit 2, FILE:LINE: what ----------------------------------
bad() { # DESC EXPECTED-REGEX TEXT [ARGS...]: the file TEXT is refused so
	local desc=$1 want=$2 text=$3
	shift 3
	printf '%b' "$text" >"$T/bad.conf"
	chmod 600 "$T/bad.conf"
	expect_exit 2 "$F" --config "$T/bad.conf" "$@" whoami &&
		expect_grep "^ferry: $T/bad\\.conf:$want" "$ERR" "$desc" &&
		expect_one_line "$ERR" "$desc: one line"
}
bad "unknown key" "3: unknown key 'sever' \\(the keys: server, ca," '[default]\nca = x\nsever = h\n'
bad "a flag that is no key" "2: unknown key 'profile'" '[profile a]\nprofile = b\n'
bad "bad number" "2: parallel: wants a number from 1 to 16, not '17'" '[default]\nparallel = 17\n'
bad "bad retries" "3: retries: wants a number from 0 to 100, not 'x'" '[default]\n\nretries = x\n'
bad "bad switch" "2: json: 'sure' is not yes or no" '[profile p]\njson = sure\n'
bad "bad server" "2: server: 'h:99999' is not HOST\\[:PORT\\]" '[default]\nserver = h:99999\n'
bad "bad pin" "2: pin-sha256: 'abc' is not the base64 of a SHA-256" '[default]\npin-sha256 = abc\n'
bad "empty path" "2: ca: an empty value" '[default]\nca =\n'
bad "a key before any section" "1: 'server' comes before any section" 'server = h\n'
bad "an unknown section" "2: \\[hosts\\]: the sections are \\[default\\] and \\[profile NAME\\]" '# x\n[hosts]\n'
bad "a profile without a name" "1: \\[profile \\]" '[profile ]\n'
bad "a key twice" "3: 'ca' again in \\[profile a\\] \\(first set on line 2\\)" '[profile a]\nca = x\nca = y\n'
bad "a syntax error (conf.c)" "2: expected 'key = value'" '[default]\nserver\n'
bad "an unknown profile" "2: no \\[profile nope\\] in this file \\(--profile\\); its profiles: a, b" '[profile a]\n[profile b]\n' --profile nope
FERRY_PROFILE=nope bad "an unknown FERRY_PROFILE" "1: no \\[profile nope\\] in this file \\(FERRY_PROFILE\\)" '[default]\n'
# a bad line in a profile nobody asked for is still an error (typos surface)
bad "a bad value in an unused profile" "5: parallel:" '[profile used]\nserver = h\n\n[profile other]\nparallel = 0\n' --profile used

expect_exit 2 "$F" --config "$T/missing.conf" whoami
expect_grep "missing\\.conf: No such file" "$ERR" "--config: a missing file is an error"
FERRY_CONFIG=$T/missing.conf expect_exit 2 "$F" whoami
HOME=$T/nohome expect_exit 2 "$F" --profile good whoami
expect_grep 'no config file' "$ERR" "--profile without any config file"
printf '[default]\n' >"$T/open.conf"
chmod 620 "$T/open.conf"
expect_exit 2 "$F" --config "$T/open.conf" whoami
expect_grep 'group or others may write it' "$ERR" "a config file others may write is refused"
if [[ $(id -u) == 0 ]] && id nobody >/dev/null 2>&1; then
	printf '[default]\n' >"$T/other.conf"
	chown nobody "$T/other.conf"
	chmod 644 "$T/other.conf"
	expect_exit 2 "$F" --config "$T/other.conf" whoami
	expect_grep 'owned by uid' "$ERR" "a config file of another user is refused"
else
	unavailable "a config file owned by another user (needs root and user nobody)"
fi
expect_exit 2 "$F" -j 0 whoami
expect_grep 'j/--parallel: wants a number from 1 to 16' "$ERR" "a flag's bad value: the same check"
FERRY_SERVER='[::1' expect_exit 2 "$F" whoami
expect_grep '^ferry: FERRY_SERVER: ' "$ERR" "an environment variable's bad value names it"
# the bash completion offers the profiles of the file after -s and --profile
got=$(FERRY_CONFIG=$C bash -c 'source "$1"; COMP_WORDS=(ferry -s w); COMP_CWORD=2; _ferry; echo "${COMPREPLY[*]}"' _ "$SRC/dist/ferry.bash")
expect_eq "wrongca" "$got" "bash completion: -s completes a profile name"
got=$(bash -c 'source "$1"; COMP_WORDS=(ferry --config "$2" --profile ""); COMP_CWORD=4; _ferry; echo "${COMPREPLY[*]}"' _ "$SRC/dist/ferry.bash" "$C")
expect_eq "good wrongca local" "$got" "bash completion: --profile lists the profiles of --config's file"
# help needs no config file, even a broken one
expect_exit 0 "$F" --config "$T/bad.conf" help put
finish
