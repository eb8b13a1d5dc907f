#!/bin/sh
# saml_acs.sh - the SAML section of `make bench` (tests/bench/run.sh calls
# it; `sh tests/bench/saml_acs.sh` runs it alone): ACS validations per
# second on one core, ssogw beside Apache httpd with mod_auth_mellon, in
# the same run, with the same loader and the same kind of Response, as a
# ratio.
#
#   Responses  distinct signed Responses, made here by saml_acs/gen.py
#              (python3-lxml and python3-xmlsec, with the unit tests' test
#              IdP key tests/unit/data/saml/idp.key): IdP-initiated (no
#              InResponseTo), one bearer Assertion signed RSA-SHA256
#              (exclusive c14n, certificate in KeyInfo), NameID,
#              SessionIndex, uid, mail, displayName and 5 groups; unique
#              Response and Assertion IDs, so that neither replay cache
#              refuses one; Destination, Recipient and Audience those of
#              the peer; about 7 KiB a POST body.  One pool per peer, in
#              the work folder only.
#   peers      ssogw (./ssogw, workers = 1, [idp] allow_unsolicited = yes
#              and the IdP's certificate) at <prefix>saml/acs; Apache
#              httpd (mpm_event, one child of 16 threads) with mod_ssl and
#              Debian's mod_auth_mellon at /mellon/postResponse, its IdP
#              and SP given by metadata files made here: as installed, and
#              again with OpenSSL's default CA bundle out of its way
#              (SSL_CERT_FILE, SSL_CERT_DIR: empty; see below).  Both serve
#              TLS (the harness's P-256 certificate) on loopback, pinned
#              with taskset to CPU 1, one at a time; wrk runs on CPU 0.
#   loader     wrk, one thread, BENCH_SAML_CONNECTIONS (8) keep-alive
#              connections, with saml_acs/acs.lua: each Response POSTed
#              once; a validation is a 302/303 answer that sets the peer's
#              session cookie; the rate is those over the time from the
#              first request to the last answer.  A ssogw run posts
#              BENCH_SAML_RESPONSES (3000) Responses; a mellon run posts
#              for BENCH_SAML_SECONDS (5).  BENCH_SAML_ROUNDS (3) rounds,
#              each peer in turn; the figure is the median run.
#   checks     before measuring, each peer must accept a sample Response
#              (a redirect that sets its cookie) and refuse a copy of
#              another whose NameID was changed after signing; ssogw must
#              also refuse the sample posted again.  Otherwise the section
#              stops with the reason: a peer that refuses everything, or
#              accepts anything, is no yardstick.
#
# Why two mod_auth_mellon figures: mod_auth_mellon 0.18 builds its Lasso
# server object (SP metadata, SP key, IdP metadata) anew for every request
# to a <Location> that holds its settings, and xmlsec's OpenSSL key manager
# loads the system CA bundle each time (OpenSSL 3 decodes its ~140
# certificates, twice a request).  The first figure is mellon as installed;
# the second hides the bundle, which mellon does not need here (the IdP key
# comes from its metadata): the fastest mellon we know how to set up.
set -u
. "$(dirname "$0")/../integration/harness.sh"
PER_RUN=${BENCH_SAML_RESPONSES:-3000}
MAXSECS=${BENCH_SAML_SECONDS:-5}
CONNS=${BENCH_SAML_CONNECTIONS:-8}
ROUNDS=${BENCH_SAML_ROUNDS:-3}
HERE=$TOP/tests/bench/saml_acs
SAMLDATA=$TOP/tests/unit/data/saml
PY=/usr/bin/python3 # Debian's, where python3-lxml and python3-xmlsec are
APACHE=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
IDP_ID=https://idp.example.test/saml
MELLON_PID=

die() {
	echo "saml acs: $*" >&2
	exit 1
}

why=
"$PY" -c 'import lxml, xmlsec' 2>/dev/null || why="$why python3-lxml python3-xmlsec"
command -v wrk >/dev/null 2>&1 || why="$why wrk"
[ -x "$APACHE" ] || why="$why apache2"
[ -f "$MODS/mod_auth_mellon.so" ] || why="$why libapache2-mod-auth-mellon"
[ -z "$why" ] || die "not run: missing$why (scripts/deps.sh bench installs them)"
[ -x "$SSOGW_INSTALLED" ] || die "not run: no $SSOGW_INSTALLED (make all)"

# One core for the server, another for wrk, when there are two.
PIN_SERVER=
PIN_LOADER=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	PIN_SERVER="taskset -c 1"
	PIN_LOADER="taskset -c 0"
else
	echo "saml acs: fewer than 2 CPUs (or no taskset): server and loader share the machine" >&2
fi

# mellon_stop: Apache's process group, all of it (it was started with
# setsid); waits until none of it is left.
mellon_stop() {
	[ -n "$MELLON_PID" ] || return 0
	pg=$MELLON_PID
	MELLON_PID=
	stop_group "$pg"
}
trap 'mellon_stop; cleanup' EXIT
trap 'exit 1' HUP PIPE

make_cert
sport=$(free_port)
mport=$(free_port)
while [ "$mport" = "$sport" ]; do mport=$(free_port); done
S_BASE=https://localhost:$sport
M_BASE=https://localhost:$mport
S_ACS=/ssogw/saml/acs
M_ACS=/mellon/postResponse

# ---- the Responses, both pools at once (one python each).  In each pool,
# line 1 is a sample to accept and line 2 the source of the tampered one.
POOL=$((ROUNDS * PER_RUN + 2))
echo "saml acs: signing 2 x $POOL Responses ..." >&2
gen() { # OUT ACS AUDIENCE PREFIX
	"$PY" "$HERE/gen.py" "$SAMLDATA/idp.key" "$SAMLDATA/idp.crt" "$IDP_ID" "$2" "$3" "$4" \
		"$POOL" >"$1"
}
gen "$WORK/s.bodies" "$S_BASE$S_ACS" "$S_BASE/ssogw/saml/metadata" s &
g1=$!
gen "$WORK/m.bodies" "$M_BASE$M_ACS" "$M_BASE/mellon/metadata" m &
g2=$!
STARTED_PIDS="$STARTED_PIDS $g1 $g2"
wait "$g1" || die "gen.py failed"
wait "$g2" || die "gen.py failed"
for p in s m; do
	[ "$(wc -l <"$WORK/$p.bodies")" -eq "$POOL" ] || die "gen.py made too few Responses"
	sed -n 2p "$WORK/$p.bodies" | "$PY" "$HERE/gen.py" --tamper >"$WORK/$p.tampered"
done

# post PORT PATH BODY-FILE: "STATUS COOKIE-NAME" of one POST (COOKIE-NAME
# "-" when the answer sets none).
post() {
	code=$(curl -sk --max-time 30 -D "$WORK/post.head" -o /dev/null -w '%{http_code}' \
		-H "Host: localhost:$1" -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary "@$3" "https://127.0.0.1:$1$2")
	cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: *\([^=]*\)=.*/\1/p' "$WORK/post.head" | head -n 1)
	echo "$code ${cookie:--}"
}

# measure NAME PORT PATH BODIES FIRST COUNT SECONDS: one wrk run, posting
# COUNT lines of BODIES from FIRST on, for at most SECONDS; prints
# acs.lua's figures "ok other sent seconds rate next" (status 1 if none).
# wrk sleeps out its -d even when the script is done: it is interrupted
# then (SIGINT makes it report at once).
measure() {
	rm -f "$WORK/wrk.done"
	$PIN_LOADER wrk -t1 -c"$CONNS" -d"${7}s" --timeout 30s -H "Host: localhost:$2" \
		-s "$HERE/acs.lua" "https://127.0.0.1:$2$3" -- "$4" "$3" "$5" "$6" "$WORK/wrk.done" \
		>"$WORK/wrk-$1" 2>"$WORK/wrk-$1.err" &
	wpid=$!
	while alive "$wpid" && [ ! -e "$WORK/wrk.done" ]; do sleep 0.05; done
	kill -INT "$wpid" 2>/dev/null
	wait "$wpid"
	line=$(grep '^acs: ' "$WORK/wrk-$1")
	if [ -z "$line" ]; then
		echo "saml acs: $1: wrk gave no figure: $(head -c 500 "$WORK/wrk-$1.err")" >&2
		return 1
	fi
	echo "$line" | awk '{ print $3, $5, $7, $9, $11, $13 }'
}

# record NAME "ok other sent seconds rate next": adds the run's rate to
# NAME's list (in $WORK/NAME.rates) and says when the run is not valid.
record() {
	# shellcheck disable=SC2086 # the figures are words
	set -- "$1" $2
	echo "$6 $2" >>"$WORK/$1.rates"
	[ "$3" -eq 0 ] || echo "saml acs: $1: $3 answers were not sign-ins: the figure is not valid ($(head -n 3 "$WORK/wrk-$1.err" | tr '\n' ' '))" >&2
	[ "$2" -ge 20 ] || echo "saml acs: $1: only $2 sign-ins in a run: the figure means little" >&2
}

# ---- ssogw, running through every round.
cat >"$WORK/ssogw.conf" <<EOC
[server]
listen = 127.0.0.1:$sport
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
workers = 1
drain_timeout = 1s

[app jira]
url = $S_BASE
backend = http://127.0.0.1:9

[idp corp]
type = saml
entity_id = $IDP_ID
sso_url = $IDP_ID/sso
certificate = $SAMLDATA/idp.crt
allow_unsolicited = yes
user_attribute = uid
EOC
: >"$WORK/ssogw.log"
$PIN_SERVER "$SSOGW_INSTALLED" -f -c "$WORK/ssogw.conf" 2>>"$WORK/ssogw.log" &
SSOGW_PID=$!
STARTED_PIDS="$STARTED_PIDS $SSOGW_PID"
wait_for contains "$WORK/ssogw.log" " started (pid " ||
	die "ssogw did not start: $(tail -n 3 "$WORK/ssogw.log")"
sed -n 1p "$WORK/s.bodies" >"$WORK/s.sample"
got=$(post "$sport" "$S_ACS" "$WORK/s.sample")
[ "$got" = "303 ssogw_session" ] ||
	die "ssogw refused the sample Response ($got): $(tail -n 2 "$WORK/ssogw.log")"
got=$(post "$sport" "$S_ACS" "$WORK/s.sample")
case "$got" in 4*) ;; *) die "ssogw took the same Response twice ($got)" ;; esac
got=$(post "$sport" "$S_ACS" "$WORK/s.tampered")
case "$got" in 4*) ;; *) die "ssogw took a tampered Response ($got)" ;; esac

# ---- Apache httpd + mod_auth_mellon, started anew for each run.
MD=$WORK/mellon
mkdir -p "$MD/run" "$MD/log" "$MD/htdocs" "$MD/empty.d"
: >"$MD/empty.pem"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ssogw-bench-mellon-sp \
	-keyout "$MD/sp.key" -out "$MD/sp.crt" 2>/dev/null
cert_b64() { sed -e '/-----/d' "$1" | tr -d '\n\r '; }
cat >"$MD/sp-metadata.xml" <<EOF
<?xml version="1.0"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="$M_BASE/mellon/metadata">
  <SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>$(cert_b64 "$MD/sp.crt")</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="$M_BASE/mellon/logout"/>
    <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>
    <AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="$M_BASE$M_ACS"/>
  </SPSSODescriptor>
</EntityDescriptor>
EOF
cat >"$MD/idp-metadata.xml" <<EOF
<?xml version="1.0"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="$IDP_ID">
  <IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>$(cert_b64 "$SAMLDATA/idp.crt")</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
    <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="$IDP_ID/sso"/>
  </IDPSSODescriptor>
</EntityDescriptor>
EOF
user= # as root, Apache runs its children as www-data (it refuses root)
if [ "$(id -u)" -eq 0 ]; then
	user="User www-data
Group www-data"
	chmod 711 "$WORK"
	chmod -R a+rX "$MD"
fi
cat >"$MD/httpd.conf" <<EOF
ServerRoot "$MD"
ServerName localhost:$mport
Listen 127.0.0.1:$mport
PidFile $MD/run/httpd.pid
DefaultRuntimeDir $MD/run
Mutex file:$MD/run default
ErrorLog $MD/log/error.log
LogLevel warn
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule socache_shmcb_module $MODS/mod_socache_shmcb.so
LoadModule ssl_module $MODS/mod_ssl.so
LoadModule auth_mellon_module $MODS/mod_auth_mellon.so
$user
ServerLimit 1
StartServers 1
ThreadsPerChild 16
ThreadLimit 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
SSLEngine on
SSLCertificateFile $WORK/cert.pem
SSLCertificateKeyFile $WORK/key.pem
SSLSessionCache shmcb:$MD/run/ssl_scache(512000)
DocumentRoot $MD/htdocs
<Location />
	Require all granted
	MellonEnable info
	MellonEndpointPath /mellon
	MellonSPPrivateKeyFile $MD/sp.key
	MellonSPCertFile $MD/sp.crt
	MellonSPMetadataFile $MD/sp-metadata.xml
	MellonIdPMetadataFile $MD/idp-metadata.xml
	MellonSecureCookie On
	MellonDefaultLoginPath /
</Location>
EOF

# mellon_start [ENV=VALUE...]: Apache in a process group of its own
# (setsid; mellon_stop ends it), on CPU 1, with OpenSSL's default CA paths
# unless ENV says otherwise; waits until it answers.
mellon_start() {
	: >"$MD/log/error.log"
	# shellcheck disable=SC2086 # PIN_SERVER is a command and its arguments, or nothing
	env -u SSL_CERT_FILE -u SSL_CERT_DIR "$@" setsid $PIN_SERVER "$APACHE" -f "$MD/httpd.conf" \
		-DFOREGROUND </dev/null >>"$MD/log/stderr.log" 2>&1 &
	MELLON_PID=$!
	STARTED_PIDS="$STARTED_PIDS $MELLON_PID"
	for _ in $(seq 1 100); do
		code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 -H "Host: localhost:$mport" \
			"https://127.0.0.1:$mport/mellon/metadata")
		[ "$code" = 200 ] && return 0
		alive "$MELLON_PID" || break
		sleep 0.1
	done
	die "Apache with mod_auth_mellon did not start: $(tail -n 3 "$MD/log/stderr.log" "$MD/log/error.log")"
}

# mellon_run NAME [ENV=VALUE...]: Apache started, checked with the next
# unused Response (it must take it) and the tampered one (it must refuse
# it), one measured run with the Responses after that, stopped.
m_next=1
mellon_run() {
	name=$1
	shift
	mellon_start "$@"
	sed -n "${m_next}p" "$WORK/m.bodies" >"$WORK/m.sample"
	got=$(post "$mport" "$M_ACS" "$WORK/m.sample")
	[ "$got" = "303 mellon-cookie" ] ||
		die "mod_auth_mellon ($name) refused the sample Response ($got): $(grep -v ':warn\]' "$MD/log/error.log" | tail -n 2)"
	got=$(post "$mport" "$M_ACS" "$WORK/m.tampered")
	case "$got" in 4*) ;; *) die "mod_auth_mellon ($name) took a tampered Response ($got)" ;; esac
	[ "$m_next" -eq 1 ] && m_next=2 # line 2 is the tampered one's source
	m_next=$((m_next + 1))
	[ "$m_next" -lt "$POOL" ] || die "mod_auth_mellon used up its $POOL Responses: raise BENCH_SAML_RESPONSES"
	run=$(measure "$name" "$mport" "$M_ACS" "$WORK/m.bodies" "$m_next" $((POOL - m_next + 1)) "$MAXSECS") ||
		exit 1
	record "$name" "$run"
	m_next=$(echo "$run" | awk '{ print $6 }')
	mellon_stop
}

s_next=3
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	echo "saml acs: round $round of $ROUNDS ..." >&2
	run=$(measure ssogw "$sport" "$S_ACS" "$WORK/s.bodies" "$s_next" "$PER_RUN" 120) || exit 1
	record ssogw "$run"
	s_next=$(echo "$run" | awk '{ print $6 }')
	mellon_run mellon
	mellon_run mellon-nobundle SSL_CERT_FILE="$MD/empty.pem" SSL_CERT_DIR="$MD/empty.d"
done
stop_ssogw TERM

# median NAME: "median min max sign-ins" of NAME's runs.
median() {
	sort -n "$WORK/$1.rates" | awk '
		{ r[NR] = $1; n += $2 }
		END { printf "%.1f %.1f %.1f %d\n", r[int((NR + 1) / 2)], r[1], r[NR], n }'
}
s_med=$(median ssogw)
m_med=$(median mellon)
n_med=$(median mellon-nobundle)
mellon_version=$(dpkg-query -W -f='${Version}' libapache2-mod-auth-mellon 2>/dev/null || echo '?')
echo "bench: SAML ACS validations per second, one core each, wrk over TLS, $CONNS keep-alive connections"
echo "  a typical signed IdP-initiated Response (RSA-SHA256 assertion, 5 groups), each posted once;"
echo "  median of $ROUNDS runs (ssogw: $PER_RUN Responses a run; mod_auth_mellon: ${MAXSECS}s a run)"
printf '  %-46s %9s %9s %9s %9s\n' "" "valid/s" "min" "max" "sign-ins"
row() { # label "median min max sign-ins"
	echo "$2" | awk -v l="$1" '{ printf "  %-46s %9.1f %9.1f %9.1f %9d\n", l, $1, $2, $3, $4 }'
}
row "ssogw" "$s_med"
row "mod_auth_mellon $mellon_version, as installed" "$m_med"
row "mod_auth_mellon, system CA bundle hidden" "$n_med"
echo "$s_med $m_med $n_med" | awk '{
	printf "saml acs: ssogw %.0f/s, mod_auth_mellon %.0f/s (ratio %.2fx, target >= 3x)\n", $1, $5, $1 / $5
	printf "saml acs: ssogw %.0f/s, mod_auth_mellon without the CA bundle %.0f/s (ratio %.2fx, target >= 3x)\n", $1, $9, $1 / $9
}'
