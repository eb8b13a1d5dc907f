#!/bin/sh
# t_session.sh - sessions, identity and authorization through ssogw, with
# the test-only IdP (type = test) and the memory store, against the nginx
# echo backend (which answers with the request head it received):
# login redirect vs 401 by request kind, the session cookie, identity
# fields (and spoofed ones stripped), the gateway's cookies kept from the
# backend, public and pass-through paths, allow lists and path rules, the
# 403 page, step-up, logout with CSRF, a form POST kept across a login and
# replayed, the identity JWT and its JWKS, and sessions across a restart.
. "$(dirname "$0")/harness.sh"

bport=$(free_port)
ok "the backend starts" start_nginx_backend "$bport"
port=$(free_port)
base=https://localhost:$port
head -c 48 /dev/urandom >"$WORK/session.key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/jwt.pem" 2>/dev/null
mkdir -p "$WORK/state"
write_session_conf() { # FILE EXTRA-APP-LINES
	make_cert
	cat >"$1" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 2s
access_log = $WORK/access.log
signing_key_file = $WORK/jwt.pem

[session]
session_key_file = $WORK/session.key
state_dir = $WORK/state

[app jira]
url = $base
backend = http://127.0.0.1:$bport
public = /public /static/*.css
passthrough = /rest/api
step_up_max_age = 2s
preserve_post_max = 1k
identity_jwt_header = X-Remote-JWT
${2:-}

[rule admin]
app = jira
path = /secure/admin /echo/admin
allow_groups = jira-administrators
step_up = yes

[idp test]
type = test
EOC
}
write_session_conf "$WORK/s.conf"
ok "ssogw starts" start_ssogw "$WORK/s.conf"

# req JAR ARGS...: curl with the cookie jar; the head and body go to
# $WORK/h and $WORK/b, and the status is printed.
req() {
	jar=$1
	shift
	curl -sk --max-time 5 -c "$jar" -b "$jar" -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@"
}
location() { sed -n 's/^[Ll]ocation: //p' "$WORK/h" | tr -d '\r'; }
# login JAR USER GROUPS [PATH]: the whole test-IdP round trip from PATH.
login() {
	s=$(req "$1" -H 'Accept: text/html' "$base${4:-/}")
	[ "$s" = 302 ] || { echo "# start: $s" >&2; return 1; }
	s=$(req "$1" "$(location)&user=$2&groups=$3&name=Test%20User&email=$2@example.test")
	[ "$s" = 303 ] || { echo "# finish: $s $(cat "$WORK/b")" >&2; return 1; }
}
body_has() { grep -qi -- "$1" "$WORK/b"; }
body_lacks() { ! grep -qi -- "$1" "$WORK/b"; }

# --- without a session ---
A=$WORK/alice.jar
ok "a browser page request without a session is redirected to the login" \
	test "$(req "$A" -H 'Accept: text/html,application/xhtml+xml' "$base/browse/X-1")" = 302
ok "... to the IdP (test) with a login reference" \
	sh -c "sed -n 's/^[Ll]ocation: //p' '$WORK/h' | grep -q '/ssogw/test-idp/login?ref=[A-Za-z0-9_-]\{22\}&force=0'"
ok "... with a sealed login-state cookie: SameSite=None, Secure, HttpOnly" \
	grep -qi '^set-cookie: ssogw_session_login_[A-Za-z0-9_-]*=[A-Za-z0-9_-]*; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=600' "$WORK/h"
backend_mark
ok "an XHR gets 401 with a JSON body, not a redirect" \
	test "$(req "$WORK/x.jar" -H 'Accept: text/html' -H 'X-Requested-With: XMLHttpRequest' "$base/browse/X-1")" = 401
ok "... naming the login URL" body_has '"login_url":"https://localhost:[0-9]*/ssogw/login?return=/browse/X-1"'
ok "an Accept: application/json client gets 401" \
	test "$(req "$WORK/x.jar" -H 'Accept: application/json' "$base/rest/other")" = 401
ok "a non-GET API call gets 401" \
	test "$(req "$WORK/x.jar" -X DELETE -H 'Accept: text/html' "$base/browse/X-1")" = 401
ok "a client with no Accept (curl) gets 401" test "$(req "$WORK/x.jar" "$base/browse/X-1")" = 401
ok "the backend received none of them" backend_got_nothing

# --- the login ---
ok "alice signs in through the test IdP" login "$A" alice "jira-users,devs" /browse/X-1
ok "... and is sent back to where she was going" test "$(location)" = /browse/X-1
ok "... with the session cookie: Path=/, Secure, HttpOnly, SameSite=Lax" \
	grep -qi '^set-cookie: ssogw_session=[A-Za-z0-9_-]\{43\}; Path=/; Secure; HttpOnly; SameSite=Lax' "$WORK/h"
ok "... and the login-state cookie cleared" grep -qi '^set-cookie: ssogw_session_login_.*Max-Age=0' "$WORK/h"
ok "the gateway's cookies together stay under 1 KiB" \
	test "$(grep -i '^set-cookie' "$WORK/h" | wc -c)" -lt 1024

ok "alice opens a protected page" test "$(req "$A" -H 'Accept: text/html' "$base/browse/X-1")" = 200
ok "the backend got her user id" body_has '^X-Remote-User: alice'
ok "... her email" body_has '^X-Remote-Email: alice@example.test'
ok "... her name" body_has '^X-Remote-Name: Test User'
ok "... her groups" body_has '^X-Remote-Groups: jira-users,devs'
ok "... an identity JWT" body_has '^X-Remote-JWT: [A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*'
ok "... and no gateway cookie" body_lacks 'ssogw_session'

ok "spoofed identity fields in every spelling never reach the backend" \
	test "$(req "$A" -H 'X-Remote-User: mallory' -H 'X_Remote_User: mallory' \
		-H 'x-remote-groups: jira-administrators' -H 'X-REMOTE_EMAIL: m@evil' \
		-H 'X-Remote-Anything: mallory' -H 'X-Remote-JWT: forged' "$base/browse/X-2")" = 200
ok "... the backend saw alice and only alice" sh -c "
	test \$(grep -ci 'mallory\|forged\|m@evil' '$WORK/b') -eq 0 &&
	test \$(grep -ci '^X-Remote-User:' '$WORK/b') -eq 1 &&
	test \$(grep -ci '^X-Remote-Groups: jira-users,devs' '$WORK/b') -eq 1"
ok "other cookies pass, the gateway's go" \
	sh -c "test \$(curl -sk -b '$A' -b 'JSESSIONID=abc; seraph=x' '$base/browse/X-3' | grep -c 'ssogw_session') -eq 0 &&
	       curl -sk -b '$A' -b 'JSESSIONID=abc' '$base/browse/X-3' | grep -q 'JSESSIONID=abc'"

# --- public and pass-through paths ---
ok "a public path needs no session" test "$(req "$WORK/n.jar" "$base/public/status")" = 200
ok "... and carries no identity, even spoofed" \
	sh -c "test \$(curl -sk -H 'X-Remote-User: mallory' '$base/public/status' | grep -ci 'x-remote') -eq 0"
ok "a public glob (/static/*.css) needs no session" test "$(req "$WORK/n.jar" "$base/static/a/b.css")" = 200
ok "a public prefix ends at a segment: /publicity is protected" \
	test "$(req "$WORK/n.jar" "$base/publicity")" = 401
ok "a pass-through path with a Bearer token goes to the backend untouched" \
	test "$(req "$WORK/n.jar" -H 'Authorization: Bearer pat-123' "$base/rest/api/2/issue")" = 200
ok "... the backend got the Authorization field and no identity" \
	sh -c "grep -q '^Authorization: Bearer pat-123' '$WORK/b' && ! grep -qi '^x-remote' '$WORK/b'"
ok "a pass-through path with Basic credentials also passes" \
	test "$(req "$WORK/n.jar" -u 'bot:secret' "$base/rest/api/2/search")" = 200
ok "a pass-through path without Authorization is protected" \
	test "$(req "$WORK/n.jar" "$base/rest/api/2/issue")" = 401
ok "a tricky target cannot dodge a rule: /public/../secure/admin is protected" \
	test "$(req "$WORK/n.jar" --path-as-is "$base/public/%2e%2e/secure/admin")" = 401

# --- rules, 403, step-up ---
ok "alice (not an administrator) gets 403 on the admin area" \
	test "$(req "$A" -H 'Accept: text/html' "$base/secure/admin/ViewUsers.jspa")" = 403
ok "... the page names the group and the user" sh -c "grep -q 'jira-administrators' '$WORK/b' && grep -q 'alice' '$WORK/b'"
ok "... and the log has a line for it" wait_for grep -q 'denied to user alice: needs membership in group jira-administrators' "$WORK/ssogw.log"
ok "path parameters do not dodge the rule" \
	test "$(req "$A" -H 'Accept: text/html' "$base/secure/admin;x=y/ViewUsers.jspa")" = 403
B=$WORK/bob.jar
ok "bob, an administrator, signs in" login "$B" bob "jira-users,jira-administrators"
ok "... and enters the admin area while his login is fresh" \
	test "$(req "$B" -H 'Accept: text/html' "$base/secure/admin/ViewUsers.jspa")" = 200
sleep 3
ok "past step_up_max_age the admin area asks for a forced login" \
	test "$(req "$B" -H 'Accept: text/html' "$base/secure/admin/ViewUsers.jspa")" = 302
ok "... force=1 goes to the IdP" sh -c "sed -n 's/^[Ll]ocation: //p' '$WORK/h' | grep -q 'force=1'"
ok "... an API call there gets 401 instead" \
	test "$(req "$B" -H 'Accept: application/json' "$base/secure/admin/ViewUsers.jspa")" = 401
ok "... other pages stay open" test "$(req "$B" -H 'Accept: text/html' "$base/browse/X-1")" = 200
ok "bob signs in again (step-up)" login "$B" bob "jira-users,jira-administrators" /secure/admin/ViewUsers.jspa
ok "... and is back in the admin area" \
	test "$(req "$B" -H 'Accept: text/html' "$base/secure/admin/ViewUsers.jspa")" = 200

# --- the login state ---
T=$WORK/tamper.jar
req "$T" -H 'Accept: text/html' "$base/browse/T" >/dev/null
loc=$(location)
sed -i 's/\(ssogw_session_login_[A-Za-z0-9_-]*\t\)A/\1B/; s/\(ssogw_session_login_[A-Za-z0-9_-]*\t\)[^AB]/\1A/' "$T"
ok "a tampered login-state cookie is refused with 400" test "$(req "$T" "$loc&user=eve")" = 400
ok "a login reference without its cookie is refused with 400" \
	test "$(req "$WORK/empty.jar" "$loc&user=eve")" = 400

# --- a form POST kept across a login ---
P=$WORK/post.jar
backend_mark
ok "a form POST without a session is kept and sent to the login" \
	test "$(req "$P" -H 'Accept: text/html' --data 'summary=hello+world&project=TEST' "$base/echo/CreateIssue.jspa")" = 302
ok "... nothing reached the backend yet" backend_got_nothing
s=$(req "$P" "$(location)&user=carol&groups=jira-users")
ok "after the login, a page replays the form" test "$s" = 200
ok "... posting its reference to the replay endpoint" body_has 'action="https://localhost:[0-9]*/ssogw/post-replay"'
ref=$(sed -n 's/.*name="ref" value="\([A-Za-z0-9_.-]*\)".*/\1/p' "$WORK/b")
ok "... under a script nonce (CSP)" grep -qi '^content-security-policy: .*script-src .nonce-' "$WORK/h"
ok "the replay reaches the backend as the original POST" \
	test "$(req "$P" --data "ref=$ref" "$base/ssogw/post-replay")" = 200
ok "... with the original body and carol's identity" \
	sh -c "grep -q 'summary=hello+world&project=TEST' '$WORK/b' && grep -q '^X-Remote-User: carol' '$WORK/b'"
ok "... and the original target and method" backend_got 1 '^POST /echo/CreateIssue.jspa HTTP/1.1 cl=32 '
ok "a replay from another browser's session is refused (the reference is bound to the login)" \
	test "$(req "$A" --data "ref=$ref" "$base/ssogw/post-replay")" = 403
ok "a second replay of the same form is refused" \
	test "$(req "$P" --data "ref=$ref" "$base/ssogw/post-replay")" = 400
echo "attachment-content-4711" >"$WORK/attach.txt"
M=$WORK/multi.jar
backend_mark
ok "a multipart form POST (with a file) without a session is kept" \
	test "$(req "$M" -H 'Accept: text/html' -F 'summary=multi part' -F "file=@$WORK/attach.txt" "$base/echo/Attach.jspa")" = 302
req "$M" "$(location)&user=dave&groups=jira-users" >/dev/null
ref=$(sed -n 's/.*name="ref" value="\([A-Za-z0-9_.-]*\)".*/\1/p' "$WORK/b")
ok "after the login the multipart POST is replayed" \
	test "$(req "$M" --data "ref=$ref" "$base/ssogw/post-replay")" = 200
ok "... with its boundary, fields and file intact" sh -c "
	grep -q '^Content-Type: multipart/form-data; boundary=' '$WORK/b' &&
	grep -q 'name=\"summary\"' '$WORK/b' && grep -q 'multi part' '$WORK/b' &&
	grep -q 'attachment-content-4711' '$WORK/b'"
ok "... as one POST to the original target" backend_got 1 '^POST /echo/Attach.jspa HTTP/1.1 '
# A kept POST whose replay itself needs a step-up is kept again, not lost.
E=$WORK/erin.jar
backend_mark
ok "a form POST to a step-up area without a session is kept" \
	test "$(req "$E" -H 'Accept: text/html' --data 'setting=secret+value' "$base/echo/admin/Save")" = 302
req "$E" "$(location)&user=erin&groups=jira-administrators" >/dev/null
ref=$(sed -n 's/.*name="ref" value="\([A-Za-z0-9_.-]*\)".*/\1/p' "$WORK/b")
sleep 3 # past step_up_max_age: the replay finds the login too old
ok "a replay past step_up_max_age asks for a forced login" \
	test "$(req "$E" --data "ref=$ref" "$base/ssogw/post-replay")" = 302
ok "... force=1, and the form is kept again" sh -c "sed -n 's/^[Ll]ocation: //p' '$WORK/h' | grep -q 'force=1'"
req "$E" "$(location)&user=erin&groups=jira-administrators" >/dev/null
ref=$(sed -n 's/.*name="ref" value="\([A-Za-z0-9_.-]*\)".*/\1/p' "$WORK/b")
ok "after the forced login the form is replayed" test "$(req "$E" --data "ref=$ref" "$base/ssogw/post-replay")" = 200
ok "... with its original body" grep -q 'setting=secret+value' "$WORK/b"
ok "... once, to the original target" backend_got 1 '^POST /echo/admin/Save HTTP/1.1 '
big=$(head -c 2000 /dev/zero | tr '\0' 'a')
ok "a form larger than preserve_post_max gets a clear page instead" \
	test "$(req "$WORK/big.jar" -H 'Accept: text/html' --data "text=$big" "$base/echo/CreateIssue.jspa")" = 413
ok "... saying what to do" body_has 'send the form once more'

# --- JWKS ---
ok "the JWKS is served under the prefix" test "$(req "$WORK/n.jar" "$base/ssogw/jwks.json")" = 200
ok "... with the public key only" sh -c "grep -q '\"kty\":\"EC\"' '$WORK/b' && grep -q '\"kid\"' '$WORK/b' && ! grep -q '\"d\"' '$WORK/b'"

# --- the access log names the user ---
ok "the access log names the signed-in user" wait_for grep -q '^127.0.0.1 - alice \[' "$WORK/access.log"

# --- across a restart ---
ok "alice's session works before the restart" test "$(req "$A" -H 'Accept: text/html' "$base/browse/R")" = 200
stop_ssogw TERM
ok "on stop the sessions are written to the state file" test -s "$WORK/state/sessions.state"
ok "... readable by the daemon's user only" test "$(stat -c %a "$WORK/state/sessions.state")" = 600
ok "... and sealed: no user name in it" sh -c "! grep -q alice '$WORK/state/sessions.state'"
ok "ssogw starts again" start_ssogw "$WORK/s.conf"
ok "... and restored the sessions" grep -q 'restored [1-9][0-9]* sessions' "$WORK/ssogw.log"
ok "alice's session survived the restart" test "$(req "$A" -H 'Accept: text/html' "$base/browse/R")" = 200
ok "... with her identity" body_has '^X-Remote-User: alice'
kill -HUP "$SSOGW_PID"
wait_for grep -q 'configuration reloaded' "$WORK/ssogw.log"
ok "a reload (SIGHUP) keeps the sessions" test "$(req "$A" -H 'Accept: text/html' "$base/browse/R")" = 200
stop_ssogw TERM
printf 'garbage' | dd of="$WORK/state/sessions.state" bs=1 seek=40 conv=notrunc 2>/dev/null
ok "with a corrupt state file ssogw still starts" start_ssogw "$WORK/s.conf"
ok "... and says why the sessions are gone" grep -q 'session state not restored' "$WORK/ssogw.log"
ok "... alice must sign in again" test "$(req "$A" "$base/browse/R")" = 401

# --- logout ---
ok "alice signs in again" login "$A" alice "jira-users"
ok "the logout page asks to confirm, with a CSRF token" \
	test "$(req "$A" "$base/ssogw/logout")" = 200
token=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$WORK/b")
ok "... the token is there" test -n "$token"
ok "a logout POST without the token is refused" test "$(req "$A" --data 'x=1' "$base/ssogw/logout")" = 403
ok "... and the session still works" test "$(req "$A" -H 'Accept: text/html' "$base/browse/L")" = 200
old=$(awk '$6 == "ssogw_session" { print $7 }' "$A")
ok "a logout POST with the token ends the session" \
	test "$(req "$A" --data "csrf=$token&return=/bye" "$base/ssogw/logout")" = 303
ok "... goes to the (checked) return URL" test "$(location)" = /bye
ok "... and clears the cookie" grep -qi '^set-cookie: ssogw_session=; .*Max-Age=0' "$WORK/h"
ok "the old session cookie no longer works" \
	test "$(curl -sk -o /dev/null -w '%{http_code}' -b "ssogw_session=$old" "$base/browse/L")" = 401
ok "a foreign return URL is not followed" sh -c "
	login '$A' alice jira-users >/dev/null 2>&1
	curl -sk -c '$A' -b '$A' '$base/ssogw/logout' -o '$WORK/b'
	t=\$(sed -n 's/.*name=\"csrf\" value=\"\([A-Za-z0-9_-]*\)\".*/\1/p' '$WORK/b')
	test \"\$(curl -sk -b '$A' -o /dev/null -w '%{http_code}' --data \"csrf=\$t&return=https://evil.example/\" '$base/ssogw/logout')\" = 200"
stop_ssogw TERM
