#!/bin/sh
# t_demo.sh - `make demo` (scripts/demo.sh) run headless (DEMO_HEADLESS=1),
# on free ports, its run directory inside this test's folder: it starts the
# real IdP, the backend and ssogw, and prints what to open; bob and alice
# sign in with curl through the IdP's own login form; the backend's page
# shows the request line, Host, X-Forwarded-* and the identity fields, all
# HTML-escaped; bob gets the 403 page naming jira-administrators on the
# admin path, alice gets in after a step-up; the IdP's start page logs in
# (IdP-initiated); the sign-out goes through the IdP's single logout.  Then
# SIGINT (Ctrl-C) stops it: no port left open, no process left, nothing
# written outside its run directory; a second run in a row works too, and
# a port already taken is refused with a clear error.
# shellcheck source=tests/integration/harness.sh
. "$(dirname "$0")/harness.sh"
# shellcheck source=tests/integration/saml_idp.sh
. "$(dirname "$0")/saml_idp.sh"

if ! saml_idp_available; then
	skip "make demo, headless" "$SAML_IDP_WHY"
	exit 0
fi

RUN=$WORK/demo
# As root the IdP's PHP runs as www-data, which must get through $WORK.
[ "$(id -u)" -eq 0 ] && chmod 711 "$WORK"
gport=$(free_port)
iport=$(free_port)
while [ "$iport" = "$gport" ]; do iport=$(free_port); done
bport=$(free_port)
while [ "$bport" = "$gport" ] || [ "$bport" = "$iport" ]; do bport=$(free_port); done
url=https://localhost:$gport
DEMO_PID=

# What exists outside the run directory before the demo runs: the names in
# /tmp, /var/tmp and $HOME, and a time mark for where Apache, PHP and
# SimpleSAMLphp write by default.
names_in() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
		grep -v '^ssogw-test\.\|^cc[A-Za-z0-9]\{6\}\.' | sort
}
for d in /tmp /var/tmp "$HOME"; do names_in "$d"; done >"$WORK/names.before"
touch "$WORK/t0"

# start_demo LOG: the demo in the background, as `make demo` would run it
# but headless; SIGINT reaches it as Ctrl-C would (a background job of a
# script would ignore it).  Waits for its ready file.
start_demo() {
	DEMO_DIR=$RUN DEMO_PORT=$gport DEMO_IDP_PORT=$iport DEMO_BACKEND_PORT=$bport \
		DEMO_HEADLESS=1 DEMO_STEP_UP_MAX_AGE=3s \
		env --default-signal=INT sh "$TOP/scripts/demo.sh" >"$1" 2>&1 &
	DEMO_PID=$!
	for _ in $(seq 1 600); do
		# shellcheck disable=SC1091
		[ -f "$RUN/ready" ] && . "$RUN/ready" && return 0
		alive "$DEMO_PID" || break
		sleep 0.1
	done
	sed 's/^/# /' "$1" >&2
	return 1
}
# stop_demo SIGNAL: signals the demo and waits for it; sets DEMO_RC.
stop_demo() {
	kill "-$1" "$DEMO_PID" 2>/dev/null
	wait "$DEMO_PID" 2>/dev/null
	DEMO_RC=$?
	DEMO_PID=
}
# On a failure, stop it the same way before the harness removes $WORK.
trap '[ -n "$DEMO_PID" ] && stop_demo INT; cleanup' EXIT

ok "the demo starts, headless" start_demo "$WORK/demo1.out"
# The IdP helpers of saml_idp.sh, pointed at the demo's IdP.
# shellcheck disable=SC2034
SAML_IDP_DIR=$WORK/flow
SAML_IDP_BASE=$DEMO_IDP_BASE
SAML_IDP_SSO_URL=$DEMO_IDP_BASE/saml2/idp/SSOService.php
SAML_IDP_SLO_URL=$DEMO_IDP_BASE/saml2/idp/SingleLogoutService.php
# shellcheck disable=SC2034
SAML_IDP_METADATA_URL=$DEMO_IDP_BASE/saml2/idp/metadata.php
mkdir -p "$SAML_IDP_DIR"

out=$WORK/demo1.out
ok "it prints the URL to open" grep -q "^ Open   $url/\$" "$out"
ok "... with the certificate warning to expect" grep -q 'warns about the certificate' "$out"
ok "... both users with their passwords" \
	sh -c "grep -q 'alice / alicepw' '$out' && grep -q 'bob   / bobpw' '$out'"
ok "... what to try: sign in, the admin area, sign out" \
	sh -c "grep -q 'Sign in (SP-initiated)' '$out' && grep -qF '$url/admin/' '$out' && grep -qF '$url/ssogw/logout' '$out'"
ok "... the IdP's start page and its IdP-initiated link" \
	sh -c "grep -qF '$DEMO_IDP_START' '$out' && grep -qF '$DEMO_IDP_INITIATED' '$out'"
ok "... and ssogw --sp-info" grep -q -- '--sp-info jira -c ' "$out"
only_loopback() { # PORT...: each listened on, on 127.0.0.1 only
	for p in "$@"; do
		l=$(ss -Htln "sport = :$p" | awk '{ print $4 }')
		if [ -z "$l" ] || echo "$l" | grep -qv "^127\.0\.0\.1:$p\$"; then
			echo "# port $p: ${l:-nothing listens}" >&2
			return 1
		fi
	done
}
ok "the gateway, the IdP and the backend listen, on 127.0.0.1 only" only_loopback "$gport" "$iport" "$bport"
ok "the gateway's certificate is from the demo's CA, for localhost and 127.0.0.1" \
	sh -c "curl -s --max-time 5 --cacert '$DEMO_CA' -o /dev/null '$url/ssogw/saml/metadata' &&
		curl -s --max-time 5 --cacert '$DEMO_CA' -o /dev/null 'https://127.0.0.1:$gport/'"
ok "ssogw runs in the foreground with debug logging, on the demo's configuration" \
	sh -c "tr '\\0' ' ' </proc/$DEMO_GATEWAY_PID/cmdline | grep -qF -- '-f -d -c $DEMO_CONF'"
ok "the configuration it wrote passes ssogw -t" sh -c "'$SSOGW_INSTALLED' -t -c '$DEMO_CONF' >/dev/null"
ok "... with the admin rule, step-up, single logout and IdP-initiated logins" sh -c "
	grep -q '^\[rule admin\]' '$DEMO_CONF' && grep -q '^allow_groups = jira-administrators' '$DEMO_CONF' &&
	grep -q '^step_up = yes' '$DEMO_CONF' && grep -q '^single_logout = yes' '$DEMO_CONF' &&
	grep -q '^allow_unsolicited = yes' '$DEMO_CONF'"

# get JAR URL [CURL-ARGS...]: a browser's GET; the head and page go to
# $WORK/h and $WORK/b; prints "STATUS LOCATION".
get() {
	jar=$1
	u=$2
	shift 2
	curl -s --cacert "$DEMO_CA" --max-time 10 -c "$jar" -b "$jar" -D "$WORK/h" -o "$WORK/b" \
		-w '%{http_code} %{redirect_url}' -H 'Accept: text/html' "$@" "$u"
}
# row NAME VALUE: the backend's page shows NAME with VALUE (HTML-escaped).
row() {
	grep -qF "<tr><th>$1</th><td><code>$2</code></td></tr>" "$WORK/b" && return 0
	echo "# no row \"$1: $2\" in the page; it has: $(grep -F "<tr><th>$1</th>" "$WORK/b")" >&2
	return 1
}
# rows NAME VALUE ...: row for each pair.
rows() {
	while [ "$#" -ge 2 ]; do
		row "$1" "$2" || return 1
		shift 2
	done
}

# ---- bob: SP-initiated sign-in, what the backend sees, the 403 page
B=$WORK/bob.jar
ok "bob signs in through the IdP's login form (SP-initiated); back at the start page" \
	test "$(saml_idp_login "$B" "$url/" bob bobpw)" = "303 $url/"
ok "the backend's page opens for him" test "$(get "$B" "$url/" -H 'X-Demo: <b>"quoted" & more</b>' \
	-H 'X-Remote-User: mallory')" = "200 "
ok "... it shows the request line" row Request 'GET / HTTP/1.1'
ok "... the Host he asked for" row Host "localhost:$gport"
ok "... X-Forwarded-For, -Proto and -Host" \
	rows X-Forwarded-For 127.0.0.1 X-Forwarded-Proto https X-Forwarded-Host "localhost:$gport"
ok "... his identity: X-Remote-User (uid), not the one he sent himself" row X-Remote-User bob
ok "... X-Remote-Email, X-Remote-Name and X-Remote-Groups" \
	rows X-Remote-Email bob@example.test X-Remote-Name 'Bob Example' X-Remote-Groups jira-users
ok "... every value HTML-escaped" sh -c "
	grep -qF '&lt;b&gt;&quot;quoted&quot; &amp; more&lt;/b&gt;' '$WORK/b' && ! grep -qF '<b>\"quoted' '$WORK/b'"
ok "bob gets 403 on the admin path" test "$(get "$B" "$url/admin/")" = "403 "
ok "... a page naming the group he needs" grep -q 'jira-administrators' "$WORK/b"
ok "... and the backend never saw that request" sh -c "! grep -q 'GET /admin' '$RUN/backend/backend.log'"

# ---- alice: signs in, then the admin path asks for a new sign-in (step-up)
A=$WORK/alice.jar
ok "alice signs in at a page" test "$(saml_idp_login "$A" "$url/browse/DEMO-1" alice alicepw)" = "303 $url/browse/DEMO-1"
get "$A" "$url/browse/DEMO-1" >/dev/null
ok "... the backend gets her with both groups" row X-Remote-Groups 'jira-users,jira-administrators'
sleep 4 # past the demo's step_up_max_age (3s here)
loc=$(get "$A" "$url/admin/" | sed -n 's/^302 //p')
ok "the admin path sends her to the IdP again" sh -c "case '$loc' in '$SAML_IDP_SSO_URL?'*) exit 0 ;; esac; exit 1"
ok "... with a signed AuthnRequest that forces a new authentication" sh -c "
	saml_req=\$(php -r 'parse_str(parse_url(\$argv[1], PHP_URL_QUERY), \$p); echo gzinflate(base64_decode(\$p[\"SAMLRequest\"]));' -- '$loc') &&
	echo \"\$saml_req\" | grep -q 'ForceAuthn=\"true\"' && case '$loc' in *'&Signature='*) exit 0 ;; esac; exit 1"
saml_idp_follow "$A" "$loc" >/dev/null
ok "... where the IdP asks for her password, though it has a session for her" \
	grep -q 'name="password"' "$SAML_IDP_DIR/flow/page"
ok "she signs in again and lands on the admin path" \
	test "$(saml_idp_login "$A" "$url/admin/" alice alicepw)" = "303 $url/admin/"
ok "... which lets her in" test "$(get "$A" "$url/admin/")" = "200 "
ok "... the backend's admin page, for alice" \
	sh -c "grep -q '<h1>Administration</h1>' '$WORK/b'" && row X-Remote-User alice
ok "the step-up is in ssogw's log" grep -q 'user alice signed in to \[app jira\] through \[idp demo\] (step-up)' "$RUN/ssogw.log"

# ---- IdP-initiated: a tile on the IdP's start page
C=$WORK/carol.jar
curl -s --max-time 10 -o "$WORK/start.html" "$DEMO_IDP_START"
tile=$(sed -n 's/.*<a class="tile" href="\([^"]*\)">Demo Jira<\/a>.*/\1/p' "$WORK/start.html" | sed 's/&amp;/\&/g')
ok "the IdP's start page has a tile for the demo app" test "$tile" = "$DEMO_IDP_INITIATED"
saml_idp_login_response "$C" "$tile" bob bobpw >/dev/null
ok "its IdP-initiated login (bob) is taken by the ACS" test "$(saml_idp_post_to_sp "$C")" = "303 $url/"
ok "... and the backend gets bob" sh -c "test \"\$(curl -s --cacert '$DEMO_CA' --max-time 10 -b '$C' -o '$WORK/b' -w '%{http_code}' -H 'Accept: text/html' '$url/')\" = 200 &&
	grep -qF '<tr><th>X-Remote-User</th><td><code>bob</code>' '$WORK/b'"

# ---- alice signs out: the gateway's session, then the IdP's (single logout)
get "$A" "$url/ssogw/logout" >/dev/null
csrf=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$WORK/b")
ok "the sign-out page has a form with a CSRF token" test -n "$csrf"
slo=$(get "$A" "$url/ssogw/logout" --data "csrf=$csrf" | sed -n 's/^302 //p')
ok "posting it sends her to the IdP's logout with a signed LogoutRequest" \
	sh -c "case '$slo' in '$SAML_IDP_SLO_URL?SAMLRequest='*'&Signature='*) exit 0 ;; esac; exit 1"
back=$(saml_idp_follow "$A" "$slo")
ok "the IdP ends its session and answers at ssogw's SLO URL" \
	sh -c "case '$back' in '$url/ssogw/saml/slo?SAMLResponse='*) exit 0 ;; esac; exit 1"
st=$(get "$A" "$back")
ok "... which takes the LogoutResponse: signed out, here and at the IdP" \
	sh -c "test '$st' = '200 ' && grep -q 'signed out, here and at the identity provider' '$WORK/b'"
loc=$(get "$A" "$url/" | sed -n 's/^302 //p')
ok "her session is gone: the start page sends her to the IdP" \
	sh -c "case '$loc' in '$SAML_IDP_SSO_URL?'*) exit 0 ;; esac; exit 1"
saml_idp_follow "$A" "$loc" >/dev/null
ok "... which asks for her password: its session is gone too" grep -q 'name="password"' "$SAML_IDP_DIR/flow/page"
ok "the sign-out and the single logout are in ssogw's log" sh -c "
	grep -q 'session of alice ended by sign-out on \[app jira\]' '$RUN/ssogw.log' &&
	grep -q 'user alice goes on to sign out at \[idp demo\]' '$RUN/ssogw.log'"

"$SSOGW_INSTALLED" --sp-info jira -c "$DEMO_CONF" >"$WORK/spinfo" 2>&1
ok "ssogw --sp-info prints the Entity ID and Reply URL to enter at the IdP" sh -c "
	grep -q 'Identifier (Entity ID) *$url/ssogw/saml/metadata' '$WORK/spinfo' &&
	grep -q 'Reply URL (ACS, POST) *$url/ssogw/saml/acs' '$WORK/spinfo'"

# ---- Ctrl-C
pids="$DEMO_GATEWAY_PID $DEMO_BACKEND_PID"
pgroup=$DEMO_IDP_PID
stop_demo INT
ok "SIGINT (Ctrl-C) stops the demo" test "$DEMO_RC" = 130
ok "... it says nothing listens on its ports any more" \
	grep -q "nothing listens on ports $gport, $iport, $bport" "$WORK/demo1.out"
nothing_listens() {
	for p in "$gport" "$iport" "$bport"; do
		if ss -Htln "sport = :$p" | grep -q .; then
			echo "# port $p: $(ss -Htlnp "sport = :$p")" >&2
			return 1
		fi
	done
}
ok "nothing listens on the gateway's, the IdP's or the backend's port" nothing_listens
none_left() {
	for p in $pids; do alive "$p" && echo "# pid $p is left" >&2 && return 1; done
	pgrep -g "$pgroup" >/dev/null && echo "# Apache's group $pgroup is left" >&2 && return 1
	return 0
}
ok "no process it started is left (gateway, backend, Apache's group)" none_left

# ---- again, in a row
ok "a second run in a row starts" start_demo "$WORK/demo2.out"
D=$WORK/dave.jar
ok "... and a sign-in works" test "$(saml_idp_login "$D" "$url/" alice alicepw)" = "303 $url/"
pids="$DEMO_GATEWAY_PID $DEMO_BACKEND_PID"
pgroup=$DEMO_IDP_PID
stop_demo TERM
ok "SIGTERM stops it too" test "$DEMO_RC" = 143
ok "... leaving no port open" nothing_listens
ok "... and no process" none_left

# ---- a port already taken
php -n -S "127.0.0.1:$iport" -t "$WORK" >/dev/null 2>&1 &
blocker=$!
STARTED_PIDS="$STARTED_PIDS $blocker"
wait_for listening "$iport"
DEMO_DIR=$RUN DEMO_PORT=$gport DEMO_IDP_PORT=$iport DEMO_BACKEND_PORT=$bport DEMO_HEADLESS=1 \
	sh "$TOP/scripts/demo.sh" >"$WORK/demo3.out" 2>&1
rc=$?
ok "with the IdP's port taken, the demo refuses to start" test "$rc" = 1
ok "... saying which port, and how to choose others" sh -c "
	grep -q 'port $iport is in use' '$WORK/demo3.out' && grep -q 'DEMO_IDP_PORT=' '$WORK/demo3.out'"
kill "$blocker"
wait "$blocker" 2>/dev/null
ok "... and starts nothing" nothing_listens

# ---- nothing written outside the run directory
for d in /tmp /var/tmp "$HOME"; do names_in "$d"; done >"$WORK/names.after"
outside() {
	new=$(comm -13 "$WORK/names.before" "$WORK/names.after")
	new="$new$(find /var/lib/php /var/cache/simplesamlphp /var/lib/simplesamlphp /var/log/simplesamlphp \
		/var/log/apache2 /etc/apache2 /etc/simplesamlphp -newer "$WORK/t0" 2>/dev/null)"
	# New files in the source tree outside build/ (tests/run/ is make check's).
	new="$new$(cd "$TOP" && find . -newer "$WORK/t0" -type f -not -path './build/*' -not -path './.git/*' \
		-not -path './tests/run/*' | while read -r f; do
		git ls-files --error-unmatch "$f" >/dev/null 2>&1 || echo "$f"
	done)"
	[ -z "$new" ] && return 0
	echo "# written outside the run directory: $new" >&2
	return 1
}
ok "nothing was written outside the run directory and the build tree" outside
ok "the run directory keeps the configuration and the logs" \
	sh -c "test -s '$RUN/ssogw.conf' && test -s '$RUN/ssogw.log' && test -d '$RUN/idp/log'"
