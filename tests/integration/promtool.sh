# promtool.sh - find promtool for the metrics test (sourced).
#
# promtool comes with Debian's prometheus package, which also brings a
# server that its maintainer scripts would start.  So the test does not
# install it: it downloads the package with apt-get and unpacks only
# usr/bin/promtool (a static binary) into $BUILD/tools-cache/, once.
# Sets PROMTOOL, or leaves it empty when that is not possible here.
PROMTOOL=$(command -v promtool || true)
if [[ -z $PROMTOOL ]]; then
	cache=$BUILD/tools-cache
	PROMTOOL=$cache/usr/bin/promtool
	if [[ ! -x $PROMTOOL ]]; then
		mkdir -p "$cache/deb"
		(
			cd "$cache/deb" &&
				{ apt-get download prometheus >/dev/null 2>&1 ||
					{ [[ $(id -u) == 0 ]] && apt-get update -qq >/dev/null 2>&1 &&
						apt-get download prometheus >/dev/null 2>&1; }; } &&
				dpkg-deb --fsys-tarfile prometheus_*.deb |
				tar -x -C "$cache" ./usr/bin/promtool
		) || true
		rm -rf "$cache/deb"
	fi
	[[ -x $PROMTOOL ]] || PROMTOOL=
fi
