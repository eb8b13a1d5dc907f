#!/bin/sh
# t_idp_choice.sh - an application with several identity providers (home-
# realm discovery), with two test-only IdPs (type = test) and the nginx
# echo backend: the chooser page and its sealed login state, the choice by
# button, by email address, by domain_hint and login_hint on any URL, and
# by idp= on <prefix>login; a login of one IdP is no use to an app that
# trusts only the other.
. "$(dirname "$0")/harness.sh"

bport=$(free_port)
ok "the backend starts" start_nginx_backend "$bport"
port=$(free_port)
base=https://localhost:$port
make_cert
cat >"$WORK/c.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 2s

[app jira]
url = $base
backend = http://127.0.0.1:$bport
idp = corp partner

[app wiki]
url = $base/wiki
backend = http://127.0.0.1:$bport
idp = partner

[idp corp]
type = test
display_name = Corp staff <&>
domains = corp.example, staff.corp.example

[idp partner]
type = test
domains = partner.example
EOC
ok "ssogw starts" start_ssogw "$WORK/c.conf"

# req JAR ARGS...: curl with the cookie jar; head and body to $WORK/h and
# $WORK/b; prints the status.
req() {
	jar=$1
	shift
	curl -sk --max-time 5 -c "$jar" -b "$jar" -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@"
}
location() { sed -n 's/^[Ll]ocation: //p' "$WORK/h" | tr -d '\r'; }
body_has() { grep -q -- "$1" "$WORK/b"; }
# The chooser's login reference, from the page.
page_ref() { sed -n 's/.*name="ref" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$WORK/b" | head -n 1; }
# finish JAR USER [URL]: completes the test IdP's login at URL, by default
# where the last redirect went.
finish() {
	s=$(req "$1" "${3:-$(location)}&user=$2")
	[ "$s" = 303 ] || { echo "# finish: $s $(cat "$WORK/b")" >&2; return 1; }
}
goes_to_idp() { location | grep -q "/ssogw/test-idp/login?ref=[A-Za-z0-9_-]\{22\}&force=0&idp=$1\$"; }

A=$WORK/a.jar
ok "a protected page of an app with two IdPs shows the chooser" \
	test "$(req "$A" -H 'Accept: text/html' "$base/browse/X-1")" = 200
ok "... a button per IdP, labelled by display_name (escaped) or the name" \
	sh -c "grep -q 'name=\"idp\" value=\"corp\">Corp staff &#60;&#38;&#62;<' '$WORK/b' &&
		grep -q 'name=\"idp\" value=\"partner\">partner<' '$WORK/b'"
ok "... and an email field, since the IdPs have domains" body_has 'name="email"'
ok "... with the login state sealed in a cookie" \
	grep -qi '^set-cookie: ssogw_session_login_[A-Za-z0-9_-]\{22\}=' "$WORK/h"
ref=$(page_ref)
ok "... whose reference the page carries" test ${#ref} -eq 22
ok "choosing partner goes to that IdP under the same reference" \
	sh -c "test \"\$(curl -sk --max-time 5 -c '$A' -b '$A' -D '$WORK/h' -o '$WORK/b' -w '%{http_code}' \
		'$base/ssogw/login/choose?ref=$ref&idp=partner')\" = 302 &&
		sed -n 's/^[Ll]ocation: //p' '$WORK/h' | grep -q 'ref=$ref&force=0&idp=partner'"
ok "... and the login finishes there" finish "$A" alice
ok "... back to the page first asked for" \
	sh -c "sed -n 's/^[Ll]ocation: //p' '$WORK/h' | grep -q '/browse/X-1'"
backend_mark
ok "the session opens the app" test "$(req "$A" "$base/echo/x")" = 200
ok "... as alice" body_has 'X-Remote-User: alice'
ok "a partner session opens the app that trusts only partner" \
	test "$(req "$A" "$base/wiki/echo/y")" = 200

B=$WORK/b.jar
req "$B" -H 'Accept: text/html' "$base/browse/X-2" >/dev/null
ref=$(page_ref)
ok "an email address of a corp domain picks corp (case does not matter)" \
	sh -c "test \"\$(curl -sk --max-time 5 -c '$B' -b '$B' -D '$WORK/h' -o '$WORK/b' -w '%{http_code}' \
		'$base/ssogw/login/choose?ref=$ref&email=Bob%40Staff.Corp.Example')\" = 302"
ok "... straight to corp" goes_to_idp corp
corp_url=$(location)
ok "the same reference cannot choose again" \
	test "$(req "$B" "$base/ssogw/login/choose?ref=$ref&idp=partner")" = 400
ok "... and says why" body_has 'already chosen'
ok "the corp login finishes" finish "$B" bob "$corp_url"
ok "a corp session does not open the app that trusts only partner" \
	test "$(req "$B" -H 'Accept: text/html' "$base/wiki/echo/y")" = 302
ok "... which sends it to partner, its only IdP, without a chooser" goes_to_idp partner

C=$WORK/c.jar
req "$C" -H 'Accept: text/html' "$base/browse/X-3" >/dev/null
ref=$(page_ref)
ok "an email address of an unknown domain shows the chooser again" \
	test "$(req "$C" "$base/ssogw/login/choose?ref=$ref&email=eve%40elsewhere.example")" = 200
ok "... saying so" body_has 'No sign-in is set up for that email'
ok "an IdP name the app does not have shows the chooser with 400" \
	test "$(req "$C" "$base/ssogw/login/choose?ref=$ref&idp=nobody")" = 400
ok "a chooser reference cannot finish a login at an IdP" \
	test "$(req "$C" "$base/ssogw/test-idp/login?ref=$ref&user=mallory")" = 400
ok "... since no IdP was chosen" body_has 'not chosen an identity provider'
ok "a reference without its cookie is refused" \
	test "$(req "$WORK/empty.jar" "$base/ssogw/login/choose?ref=$ref&idp=corp")" = 400

D=$WORK/d.jar
ok "domain_hint on a protected URL skips the chooser" \
	test "$(req "$D" -H 'Accept: text/html' "$base/browse/X-4?domain_hint=partner.example")" = 302
ok "... and goes to the IdP of that domain" goes_to_idp partner
ok "login_hint's domain does the same" \
	test "$(req "$D" -H 'Accept: text/html' "$base/browse/X-4?login_hint=carol%40corp.example")" = 302
ok "... to corp" goes_to_idp corp
ok "an unknown domain_hint shows the chooser" \
	test "$(req "$D" -H 'Accept: text/html' "$base/browse/X-4?domain_hint=nowhere.example")" = 200
ok "idp= on <prefix>login names the IdP" \
	test "$(req "$D" "$base/ssogw/login?idp=partner&return=/browse/X-5")" = 302
ok "... partner" goes_to_idp partner
ok "idp= on an application URL is the application's, not a choice" \
	test "$(req "$D" -H 'Accept: text/html' "$base/browse/X-6?idp=partner")" = 200
ok "an API client still gets 401, not the chooser" \
	test "$(req "$D" -H 'Accept: application/json' "$base/rest/api/2/x")" = 401
