#!/bin/sh
# demo.sh - `make demo`: the whole SAML sign-in story on one machine, with
# real parts, on 127.0.0.1 only:
#
#   - a throwaway CA and a certificate for localhost and 127.0.0.1, and the
#     SP's own signing pair (made for every run);
#   - a real SAML IdP: Debian's SimpleSAMLphp under a private Apache, the one
#     the integration tests use (tests/integration/saml_idp.sh, sourced
#     here), with two users: alice/alicepw (jira-users, jira-administrators)
#     and bob/bobpw (jira-users); plus a start page for IdP-initiated login;
#   - a backend standing in for Jira: PHP's built-in server running
#     scripts/demo/backend.php, a page that shows what it received;
#   - ssogw in the foreground with debug logging, in front of it, with the
#     configuration written to the run directory (a worked example).
#
# It prints the URL to open, the users and what to try, then shows ssogw's
# log.  Ctrl-C (or SIGTERM, SIGHUP) stops everything it started, by the
# PIDs it recorded, and checks that nothing listens on its ports any more.
# Everything it writes is in the run directory, which each run starts
# afresh.
#
# Environment:
#   DEMO_DIR              run directory (default: build/demo in the tree)
#   DEMO_PORT             the gateway's HTTPS port (8443); the URL to open
#                         is https://localhost:DEMO_PORT/
#   DEMO_IDP_PORT         the IdP's HTTP port (8444)
#   DEMO_BACKEND_PORT     the backend's HTTP port (8445)
#   DEMO_STEP_UP_MAX_AGE  step_up_max_age of the demo app (30s)
#   DEMO_HEADLESS=1       for scripts and tests: ssogw's log stays in the
#                         run directory instead of the terminal; the
#                         file "ready" there appears once everything answers
#                         (shell assignments: the URLs and PIDs)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
SSOGW=$top/ssogw
PORT=${DEMO_PORT:-8443}
IDP_PORT=${DEMO_IDP_PORT:-8444}
BACKEND_PORT=${DEMO_BACKEND_PORT:-8445}
STEP_UP_MAX_AGE=${DEMO_STEP_UP_MAX_AGE:-30s}
HEADLESS=${DEMO_HEADLESS:-0}
RUN=${DEMO_DIR:-$top/build/demo}
MARK=.ssogw-demo # a run directory holds this file

say() { printf 'demo: %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

for p in "$PORT" "$IDP_PORT" "$BACKEND_PORT"; do
	case "$p" in
	'' | *[!0-9]*) die "ports are numbers: \"$p\" is not one" ;;
	esac
	if [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "port $p is out of range"; fi
done
if [ "$PORT" = "$IDP_PORT" ] || [ "$PORT" = "$BACKEND_PORT" ] || [ "$IDP_PORT" = "$BACKEND_PORT" ]; then
	die "DEMO_PORT, DEMO_IDP_PORT and DEMO_BACKEND_PORT must differ"
fi
[ -x "$SSOGW" ] || die "$SSOGW is not built: run make demo (or make) first"
for c in openssl curl php ss setsid /usr/sbin/apache2; do
	command -v "$c" >/dev/null 2>&1 || die "$c is missing: as root, run sh scripts/deps.sh demo"
done

# ---- the run directory: ours (marked) or new; a previous run's
# processes, if one was killed without its cleanup, are stopped first
# (only PIDs it recorded, and only if they still run from it).
case "$RUN" in /*) ;; *) RUN=$(pwd)/$RUN ;; esac
if [ -e "$RUN" ]; then
	[ -d "$RUN" ] || die "$RUN is not a directory"
	if [ -n "$(ls -A "$RUN")" ] && [ ! -e "$RUN/$MARK" ]; then
		die "$RUN is not empty and is not a demo run directory: choose another DEMO_DIR"
	fi
fi

# stop_group PGID: TERM to a whole process group (Apache's), up to 5 s for
# it to go, then KILL; the harness's stop_group, which saml_idp.sh uses,
# without the harness's bookkeeping.
stop_group() {
	kill -TERM "-$1" 2>/dev/null
	for _ in $(seq 1 50); do
		pgrep -g "$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	kill -KILL "-$1" 2>/dev/null
	return 0
}

# stop_pid PID: TERM to the process, up to 5 s for it to go, then KILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}

if [ -f "$RUN/pids" ]; then
	while read -r what pid; do
		case "$pid" in '' | *[!0-9]*) continue ;; esac
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN/" || continue
		say "stopping the $what (pid $pid) that a previous run left behind"
		if [ "$what" = IdP ]; then stop_group "$pid"; else stop_pid "$pid"; fi
	done <"$RUN/pids"
fi

# The ports: free, or a clear error.
for p in "$PORT" "$IDP_PORT" "$BACKEND_PORT"; do
	if ss -Htln "sport = :$p" | grep -q .; then
		who=$(ss -Htlnp "sport = :$p" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\).*/ by \1/p' | head -n 1)
		die "port $p is in use$who; stop that, or choose other ports:
  make demo DEMO_PORT=9443 DEMO_IDP_PORT=9444 DEMO_BACKEND_PORT=9445"
	fi
done

# As root, Apache runs the IdP's PHP as www-data, which must be able to get
# to the run directory: every folder above it searchable by others.  If the
# tree is private (say, a clone in /root), the run goes to a temporary
# folder instead, removed at the end.
TEMP_RUN=
reachable() {
	d=$1
	while [ "$d" != / ]; do
		[ -z "$(find "$d" -maxdepth 0 -perm -o+x 2>/dev/null)" ] && return 1
		d=$(dirname "$d")
	done
	return 0
}
rm -rf "$RUN"
mkdir -p "$RUN" || exit 1
if [ "$(id -u)" -eq 0 ] && ! reachable "$(dirname "$RUN")"; then
	rmdir "$RUN"
	say "www-data (Apache's user under root) cannot reach $RUN"
	RUN=$(mktemp -d "${TMPDIR:-/tmp}/ssogw-demo.XXXXXX") || exit 1
	TEMP_RUN=$RUN
	say "so this run uses $RUN, removed when it stops"
fi
: >"$RUN/$MARK"

# Paths as printed: relative to the tree when we run from its top (make demo).
show() {
	case "$1" in
	"$(pwd)"/*) echo "${1#"$(pwd)"/}" ;;
	*) echo "$1" ;;
	esac
}

SSOGW_SHOWN=$(show "$SSOGW")
case "$SSOGW_SHOWN" in /*) ;; *) SSOGW_SHOWN=./$SSOGW_SHOWN ;; esac

# ---- stopping, by recorded PID
GW_PID=
BACKEND_PID=
TAIL_PID=
# The IdP is the integration tests' own, tests/integration/saml_idp.sh:
# it needs WORK (its folder goes in WORK/idp), STARTED_PIDS, alive and
# stop_group (above) from their harness.  Its traps are replaced below.
# shellcheck disable=SC2034
WORK=$RUN
# shellcheck disable=SC2034
STARTED_PIDS=
alive() { kill -0 "$1" 2>/dev/null; }
# shellcheck source=tests/integration/saml_idp.sh
. "$top/tests/integration/saml_idp.sh"

STOPPED=
# shellcheck disable=SC2317 # run by the traps
demo_stop() {
	[ -n "$STOPPED" ] && return
	STOPPED=1
	trap '' INT TERM HUP
	if [ -n "$GW_PID" ]; then
		# Ctrl-C on the terminal reached ssogw too, which is then draining
		# (up to drain_timeout): let it finish rather than cut it short.
		for _ in 1 2 3 4 5; do
			grep -q 'no longer accepting' "$RUN/ssogw.log" && break
			sleep 0.1
		done
		if grep -q 'no longer accepting' "$RUN/ssogw.log"; then
			for _ in $(seq 1 40); do
				alive "$GW_PID" || break
				sleep 0.1
			done
		fi
		stop_pid "$GW_PID"
		wait "$GW_PID" 2>/dev/null
	fi
	[ -n "$TAIL_PID" ] && stop_pid "$TAIL_PID" && wait "$TAIL_PID" 2>/dev/null
	[ -n "$BACKEND_PID" ] && stop_pid "$BACKEND_PID" && wait "$BACKEND_PID" 2>/dev/null
	saml_idp_stop # Apache's whole process group, by its recorded leader
	left=
	for p in "$PORT" "$IDP_PORT" "$BACKEND_PORT"; do
		for _ in $(seq 1 30); do
			ss -Htln "sport = :$p" | grep -q . || break
			sleep 0.1
		done
		ss -Htln "sport = :$p" | grep -q . && left="$left $p"
	done
	rm -f "$RUN/pids" "$RUN/ready"
	if [ -n "$left" ]; then
		say "stopped, but something still listens on port(s)$left" >&2
	else
		say "stopped the gateway, the IdP and the backend; nothing listens on ports $PORT, $IDP_PORT, $BACKEND_PORT"
	fi
	if [ -n "$TEMP_RUN" ]; then
		rm -rf "$TEMP_RUN"
	else
		say "logs and configuration stay in $(show "$RUN") until the next run"
	fi
}
# After the cleanup, a signal ends the script the way it would have without
# it (make then says "Interrupt").
trap 'demo_stop' EXIT
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064
	trap "demo_stop; trap - $sig; kill -$sig \$\$" "$sig"
done
trap '' PIPE

record() { # WHAT PID
	echo "$1 $2" >>"$RUN/pids"
}

# ---- certificates: a throwaway CA, the gateway's certificate from it, and
# the SP's signing pair (which the IdP is told, so it checks signatures).
say "making a throwaway CA and certificates in $(show "$RUN")/tls"
tls=$RUN/tls
mkdir -p "$tls"
chmod 755 "$tls"
(
	umask 077
	cd "$tls" || exit 1
	cat >ext.cnf <<EOF
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	serial() { echo "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; }
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
		-subj "/O=ssogw demo/CN=ssogw demo CA (throwaway, $(date -u +%Y-%m-%dT%H:%MZ))" \
		-config ext.cnf -extensions ca -set_serial "$(serial)" -keyout ca.key -out ca.pem &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/O=ssogw demo/CN=localhost" -keyout localhost.key -out localhost.csr &&
		openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -set_serial "$(serial)" \
			-days 7 -extfile ext.cnf -extensions leaf -out localhost.pem &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/O=ssogw demo/CN=ssogw demo SP" \
			-keyout sp.key -out sp.pem
) >"$RUN/openssl.log" 2>&1 || die "openssl failed: see $RUN/openssl.log"
chmod 644 "$tls/ca.pem" "$tls/localhost.pem" "$tls/sp.pem" # the IdP (www-data) reads sp.pem
rm -f "$tls/localhost.csr" "$tls/ext.cnf" "$RUN/openssl.log"

URL=https://localhost:$PORT
SP_ENTITY=$URL/ssogw/saml/metadata
IDP_START=http://127.0.0.1:$IDP_PORT/

# ---- the backend
say "starting the backend (the stand-in for Jira) on 127.0.0.1:$BACKEND_PORT"
mkdir -p "$RUN/backend"
cp "$top/scripts/demo/backend.php" "$RUN/backend/backend.php"
DEMO_PREFIX=/ssogw/ DEMO_IDP_START=$IDP_START \
	php -n -d expose_php=0 -d display_errors=stderr -S "127.0.0.1:$BACKEND_PORT" \
	-t "$RUN/backend" "$RUN/backend/backend.php" </dev/null >"$RUN/backend/backend.log" 2>&1 &
BACKEND_PID=$!
record backend "$BACKEND_PID"
up=
for _ in $(seq 1 50); do
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$BACKEND_PORT/favicon.ico" && up=1 && break
	alive "$BACKEND_PID" || break
	sleep 0.1
done
[ -n "$up" ] || die "the backend did not start: see $RUN/backend/backend.log"

# ---- the IdP
say "starting the SAML IdP (SimpleSAMLphp under Apache) on 127.0.0.1:$IDP_PORT"
start_saml_idp "$IDP_PORT" "$SP_ENTITY" "$URL/ssogw/saml/acs" "$URL/ssogw/saml/slo" "$tls/sp.pem" ||
	die "the IdP did not start: see $SAML_IDP_DIR/log/"
record IdP "$SAML_IDP_PID"
# Its start page: an application list, as an IdP's portal has one; each
# entry is an IdP-initiated login (SimpleSAMLphp's SSOService.php with
# spentityid), its RelayState the page to land on.
IDP_INITIATED="$SAML_IDP_SSO_URL?spentityid="$(printf '%s' "$SP_ENTITY" | sed 's/:/%3A/g; s|/|%2F|g')
cat >"$SAML_IDP_DIR/htdocs/index.html" <<EOF
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo IdP: my applications</title>
<style>body { font-family: sans-serif; margin: 2em auto; max-width: 50em; padding: 0 1em; }
a.tile { display: inline-block; padding: 1em 2em; margin: .5em 1em .5em 0; border: 1px solid #888; border-radius: 6px; text-decoration: none; }</style>
</head>
<body>
<h1>My applications</h1>
<p>The start page of the demo IdP (SimpleSAMLphp), like the My Apps portal of
Entra ID or Keycloak's account console. A tile starts an <em>IdP-initiated</em>
login: the IdP signs you in and posts a Response to ssogw that no
AuthnRequest asked for (<code>allow_unsolicited = yes</code> in the demo's
[idp demo]).</p>
<p><a class="tile" href="$IDP_INITIATED">Demo Jira</a>
<a class="tile" href="$IDP_INITIATED&amp;RelayState=%2Fadmin%2F">Demo Jira: administration</a></p>
<p>Users: alice / alicepw (jira-users, jira-administrators), bob / bobpw (jira-users).</p>
<p><a href="/simplesaml/saml2/idp/metadata.php">The IdP's metadata</a> (what ssogw reads from
<code>metadata_url</code>) &middot; <a href="/simplesaml/saml2/idp/SingleLogoutService.php?ReturnTo=$IDP_START">Sign out
at the IdP</a> (single logout, IdP-initiated)</p>
</body>
</html>
EOF
chmod 644 "$SAML_IDP_DIR/htdocs/index.html"

# ---- the gateway's configuration
CONF=$RUN/ssogw.conf
# Started as root, ssogw drops to nobody once it has bound its port; the
# keys are readable by that group, so that a reload (SIGHUP) can read them.
drop=
if [ "$(id -u)" -eq 0 ]; then
	chgrp nogroup "$tls/localhost.key" "$tls/sp.key" && chmod 640 "$tls/localhost.key" "$tls/sp.key"
	drop="# Started as root: switch to this user once the port is bound.
user = nobody
group = nogroup
"
fi
cat >"$CONF" <<EOF
# ssogw.conf for \`make demo\`, written by scripts/demo.sh for this run.
# Everything is on 127.0.0.1; ssogw.conf(5) explains each directive.

[server]
listen = 127.0.0.1:$PORT
# A certificate for localhost and 127.0.0.1 from a throwaway CA (tls/ca.pem).
tls_certificate = $tls/localhost.pem
tls_key = $tls/localhost.key
${drop}workers = 2
drain_timeout = 2s
# One line per request, beside the debug log (make demo runs ssogw -f -d).
access_log = stderr

[app jira]
# The URL the browser opens, and the "Tomcat connector" behind it: here
# scripts/demo/backend.php under PHP's built-in server.
url = $URL
backend = http://127.0.0.1:$BACKEND_PORT
idp = demo
# Both demo users are in jira-users; anyone else the IdP knew would get 403.
allow_groups = jira-users
# How recent the sign-in must be on [rule] paths with step_up (5m by
# default; short here, so that the demo shows a step-up).
step_up_max_age = $STEP_UP_MAX_AGE
# The SP's own key: it signs the AuthnRequests and logout messages.  The
# IdP has its certificate, and checks them.
sp_certificate = $tls/sp.pem
sp_key = $tls/sp.key

# The admin area: members of jira-administrators only, and only with a
# recent sign-in (older than step_up_max_age: the IdP asks again).
[rule admin]
app = jira
path = /admin
allow_groups = jira-administrators
step_up = yes

[idp demo]
type = saml
# Everything about the IdP (entity ID, sign-on and logout URLs, signing
# certificate) comes from its metadata, fetched at start and kept fresh.
metadata_url = $SAML_IDP_METADATA_URL
# The user id the backend gets: the uid attribute (the NameID is the mail).
user_attribute = uid
# Signing out here signs out at the IdP too (SAML single logout).
single_logout = yes
sign_requests = yes
# Logins started at the IdP (its start page's tiles) are taken too.
allow_unsolicited = yes
EOF
"$SSOGW" -t -c "$CONF" >"$RUN/ssogw-t.log" 2>&1 || {
	cat "$RUN/ssogw-t.log" >&2
	die "the generated configuration does not pass ssogw -t"
}
rm -f "$RUN/ssogw-t.log"

# ---- the gateway
say "starting ssogw on 127.0.0.1:$PORT: $SSOGW_SHOWN -f -d -c $(show "$CONF")"
: >"$RUN/ssogw.log"
"$SSOGW" -f -d -c "$CONF" </dev/null 2>>"$RUN/ssogw.log" &
GW_PID=$!
record gateway "$GW_PID"
# Ready: it has started, read the IdP's metadata, and a browser asking for
# a page is sent to the IdP.
ready=
for _ in $(seq 1 100); do
	if grep -q "\[idp demo\]: metadata loaded" "$RUN/ssogw.log"; then
		loc=$(curl -sk --max-time 2 -o /dev/null -w '%{redirect_url}' -H 'Accept: text/html' "$URL/")
		case "$loc" in "$SAML_IDP_SSO_URL"\?*) ready=1 && break ;; esac
	fi
	alive "$GW_PID" || break
	sleep 0.1
done
if [ -z "$ready" ]; then
	tail -n 20 "$RUN/ssogw.log" >&2
	die "ssogw did not come up: see $RUN/ssogw.log"
fi

# Written whole, then renamed: a reader never sees half of it.
cat >"$RUN/ready.tmp" <<EOF
DEMO_URL='$URL/'
DEMO_IDP_BASE='$SAML_IDP_BASE'
DEMO_IDP_START='$IDP_START'
DEMO_IDP_INITIATED='$IDP_INITIATED'
DEMO_SP_ENTITY='$SP_ENTITY'
DEMO_CONF='$CONF'
DEMO_CA='$tls/ca.pem'
DEMO_GATEWAY_PID=$GW_PID
DEMO_IDP_PID=$SAML_IDP_PID
DEMO_BACKEND_PID=$BACKEND_PID
EOF
mv -f "$RUN/ready.tmp" "$RUN/ready"

r=$(show "$RUN")
cat <<EOF

========================================================================
 ssogw demo: a real SAML sign-in, on 127.0.0.1 only
========================================================================

 Open   $URL/

 in a browser on this machine.  It warns about the certificate: it comes
 from a CA made for this run ($r/tls/ca.pem), so accept it for
 this visit (Firefox: Advanced, Accept the Risk and Continue; Chrome:
 Advanced, Proceed to localhost).  Do not import that CA.

 Users at the IdP (SimpleSAMLphp, $IDP_START):
   alice / alicepw   groups jira-users, jira-administrators
   bob   / bobpw     groups jira-users

 What to try:
 1. Sign in (SP-initiated): open $URL/
    ssogw sends you to the IdP with a signed AuthnRequest; sign in as
    bob.  Back at the demo Jira page you see what the backend got from
    ssogw: X-Remote-User, X-Remote-Groups, Host, X-Forwarded-For ...
 2. The admin area as bob: $URL/admin/
    403, naming the group it needs: jira-administrators ([rule admin]).
 3. Sign out: $URL/ssogw/logout (or "Sign out" on the page)
    ssogw ends its session and the IdP's (single logout): the next sign-in
    asks for a password again.
 4. The admin area as alice: sign in as alice, then open /admin/ (link
    "Administration").  Once her sign-in is more than $STEP_UP_MAX_AGE old
    (step_up_max_age), the IdP asks for her password again first
    (step-up, ForceAuthn); then she is let in.
 5. IdP-initiated login: open the IdP's start page, $IDP_START
    and choose a tile; that is, SimpleSAMLphp's
    $IDP_INITIATED
 6. What an admin enters at Entra ID or Keycloak for this app:
    $SSOGW_SHOWN --sp-info jira -c $r/ssogw.conf

 The configuration, a worked example: $r/ssogw.conf
 Logs: $r/ssogw.log (this), $r/idp/log/, $r/backend/backend.log
 curl: curl --cacert $r/tls/ca.pem -H 'Accept: text/html' -i $URL/

 Ctrl-C stops the gateway, the IdP and the backend.
========================================================================
EOF

if [ "$HEADLESS" = 1 ]; then
	wait "$GW_PID"
else
	echo "ssogw's log (debug, and one access log line per request):"
	echo
	tail -n +1 -f "$RUN/ssogw.log" &
	TAIL_PID=$!
	record tail "$TAIL_PID"
	wait "$GW_PID"
fi
rc=$?
# Here only if ssogw ended by itself (Ctrl-C goes through the traps).
GW_PID=
say "ssogw exited (status $rc)"
exit 1
