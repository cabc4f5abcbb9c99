# packages.sh - sourced by the integration tests: install the Debian
# packages a test needs when they are missing (apt-get, as root), or fail
# with the reason.  Never run alone.

# need_packages CMD:PACKAGE...: each CMD must be on PATH (or in /usr/sbin);
# missing ones are installed from PACKAGE.
need_packages() {
	local want=() pair
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || [[ -x /usr/sbin/${pair%%:*} ]] ||
			want+=("${pair#*:}")
	done
	((${#want[@]} == 0)) && return 0
	if [[ $(id -u) != 0 ]]; then
		fail "missing ${want[*]}: run as root (the test installs them) or install them"
		finish
	fi
	echo "installing ${want[*]} (apt-get)"
	if ! { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
		--no-install-recommends "${want[@]}" >"$T/apt.log" 2>&1 ||
		{ apt-get update -qq >>"$T/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
				--no-install-recommends "${want[@]}" >>"$T/apt.log" 2>&1; }; }; then
		fail "could not install ${want[*]}: $(tail -1 "$T/apt.log")"
		finish
	fi
}
