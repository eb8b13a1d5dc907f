#!/bin/sh
# deps.sh STEP - makes sure the Debian 12 packages that STEP needs are
# installed.  STEP is build (compile), check (build and run every test), demo
# or bench.  As root it installs what is missing with apt-get; otherwise it
# prints the one apt-get line to run and fails.  Nothing else is downloaded.
set -eu

build="gcc make autoconf automake pkg-config
  libevent-dev libssl-dev libxml2-dev libxmlsec1-dev libjansson-dev libcjose-dev
  libcurl4-openssl-dev libcmocka-dev libhiredis-dev libinih-dev libhttp-parser-dev zlib1g-dev"
# check: clang for the second compiler pass and libFuzzer, clang-format for the style
# check, openssl and curl for test certificates and requests, ssl-cert for
# the snake-oil pair the sample configuration names, iproute2 for `ss`,
# systemd for systemd-analyze, nginx with its echo module as the backend
# that the proxy tests talk to, redis-server for the shared session store,
# xmlsec1 to regenerate the SAML fixtures, and Apache with mod_php, php-xml
# and simplesamlphp as the real SAML IdP of the integration tests.
check="$build clang clang-format libclang-rt-14-dev openssl curl ssl-cert iproute2 procps systemd
  nginx libnginx-mod-http-echo redis-server xmlsec1 apache2 libapache2-mod-php php-xml php-cli simplesamlphp"
# demo: the check list's real IdP (Apache, mod_php, php-xml, simplesamlphp),
# php-cli for the stand-in backend (PHP's built-in server), openssl for its
# throwaway CA, curl, and iproute2 and procps for its port and process checks.
demo="$build openssl curl iproute2 procps apache2 libapache2-mod-php php-xml php-cli simplesamlphp"
bench="$build openssl curl nginx wrk redis-server apache2 libapache2-mod-auth-mellon python3-lxml python3-xmlsec"

case "${1:-}" in
build) want=$build ;;
check) want=$check ;;
demo) want=$demo ;;
bench) want=$bench ;;
*)
	echo "usage: $0 build|check|demo|bench" >&2
	exit 2
	;;
esac

missing=
for p in $want; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "ssogw needs these Debian packages; as root, run:" >&2
		echo "  apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Servers we install (nginx, ...) are started by our tests on loopback,
	# never by their packages on every interface: policy-rc.d says no.
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	rc=0
	apt-get update -q && apt-get install -y -q --no-install-recommends $missing || rc=$?
	[ -z "$policy" ] || rm -f "$policy"
	[ "$rc" -eq 0 ] || exit "$rc"
fi

# The WebSocket tests use Node.js peers built on the "ws" module (pinned in
# tests/integration/node/package.json), from the npm registry; the bench's
# idle-connection row uses Node.js too.
if [ "$1" = check ] || [ "$1" = bench ]; then
	node_dir=$(cd "$(dirname "$0")/../tests/integration/node" && pwd)
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "as root, run: apt-get install -y nodejs npm" >&2
			exit 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
	fi
	if [ ! -d "$node_dir/node_modules/ws" ]; then
		echo "deps: npm install in $node_dir"
		(cd "$node_dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
	fi
fi

# The sample configuration uses Debian's snake-oil certificate, which the
# ssl-cert package only creates on a full install.  (The demo makes its own.)
if [ "$1" != build ] && [ "$1" != demo ] && [ ! -e /etc/ssl/certs/ssl-cert-snakeoil.pem ]; then
	if [ "$(id -u)" -eq 0 ]; then
		make-ssl-cert generate-default-snakeoil
	else
		echo "as root, run: make-ssl-cert generate-default-snakeoil" >&2
		exit 1
	fi
fi
