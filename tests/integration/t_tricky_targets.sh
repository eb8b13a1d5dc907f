#!/bin/sh
# t_tricky_targets.sh - no spelling of a request target reaches a protected
# or step-up path without the login that path requires.  Every target below
# names /secure/admin (a [rule] for group jira-administrators with step-up)
# the way Tomcat would map it, or is one that Tomcat refuses.  Each is sent
# raw (no client-side cleaning) three times: without a session (302 to the
# login, or 400), as alice who is not an administrator (403 or 400), and as
# bob who is (the backend then receives the target byte for byte).  The backend
# must receive nothing in the first two rounds.
. "$(dirname "$0")/harness.sh"

bport=$(free_port)
ok "the backend starts" start_nginx_backend "$bport"
port=$(free_port)
make_cert
cat >"$WORK/t.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem

[app jira]
url = https://localhost:$port
backend = http://127.0.0.1:$bport
public = /public /s

[rule admin]
app = jira
path = /secure/admin
allow_groups = jira-administrators
step_up = yes

[idp test]
type = test
EOC
ok "ssogw starts" start_ssogw "$WORK/t.conf"

alice=$(idp_login "https://localhost:$port/" "$WORK/alice.jar" alice "&groups=jira-users")
bob=$(idp_login "https://localhost:$port/" "$WORK/bob.jar" bob "&groups=jira-users,jira-administrators")
ok "alice and bob sign in" test -n "$alice" -a -n "$bob"

# status TARGET [COOKIE]: sends GET TARGET raw; prints the status code.
status() {
	if [ -n "${2:-}" ]; then
		printf 'GET %s HTTP/1.1\r\nHost: localhost:%s\r\nAccept: text/html\r\nCookie: %s\r\nConnection: close\r\n\r\n' \
			"$1" "$port" "$2" >"$WORK/req"
	else
		printf 'GET %s HTTP/1.1\r\nHost: localhost:%s\r\nAccept: text/html\r\nConnection: close\r\n\r\n' \
			"$1" "$port" >"$WORK/req"
	fi
	tls_raw "$port" "$WORK/req" "$WORK/resp"
	status_line "$WORK/resp" | cut -d' ' -f2
}

targets='/secure/admin
/secure/admin/ViewUsers.jspa
/secure/admin;x=y/ViewUsers.jspa
/secure;jsessionid=ABC/admin/ViewUsers.jspa
/;/secure/admin/x
/secure/./admin/x
/./secure/admin/x
/s/../secure/admin/x
/public/../secure/admin/x
/public/..;/secure/admin/x
/public/%2e%2e/secure/admin/x
/public/.%2e/secure/admin/x
/public/%2E%2E/secure/admin/x
//secure/admin/x
/secure//admin/x
///secure///admin///x
/secure/admin/%2e/x
/secure/admin/x/..
/secure/admin/x/../../admin/y
/%73ecure/admin/x
/secure/%61dmin/x
/secure/adm%69n/x
/secure/admin?x=/public
/secure/admin/..;jsessionid=1/admin/x
/public/%2e%2e%2fsecure/admin/x
/public%2f..%2fsecure/admin/x
/secure/admin%2fx
/secure%5cadmin/x
/secure\admin/x
/..;/secure/admin/x
/%2e%2e/secure/admin/x
/../secure/admin/x
/secure/admin/%00x
/secure/admin/%c0%ae%c0%ae/x
/secure/admin/%ff/x
/secure/admin/%zz/x'
count=$(printf '%s\n' "$targets" | wc -l)
echo "# $count targets"

anon_bad= alice_bad= bob_bad=
backend_mark
for t in $targets; do
	s=$(status "$t")
	case "$s" in 302 | 401 | 400) ;; *) anon_bad="$anon_bad $t=$s" ;; esac
	s=$(status "$t" "$alice")
	case "$s" in 403 | 400) ;; *) alice_bad="$alice_bad $t=$s" ;; esac
done
[ -z "$anon_bad" ] || echo "# without a session:$anon_bad"
[ -z "$alice_bad" ] || echo "# as alice:$alice_bad"
ok "without a session, every target is sent to the login (302) or refused (400)" test -z "$anon_bad"
ok "as alice (no administrator), every target gets 403 or 400" test -z "$alice_bad"
ok "the backend received none of them" backend_got_nothing

passed=0
for t in $targets; do
	backend_mark
	s=$(status "$t" "$bob")
	case "$s" in
	200)
		passed=$((passed + 1))
		got=$(backend_since | cut -d' ' -f2)
		[ "$got" = "$t" ] || bob_bad="$bob_bad $t->$got"
		;;
	400) backend_got_nothing >/dev/null 2>&1 || bob_bad="$bob_bad $t(400-but-forwarded)" ;;
	*) bob_bad="$bob_bad $t=$s" ;;
	esac
done
echo "# bob reached the backend with $passed targets; the rest got 400"
[ -z "$bob_bad" ] || echo "# as bob:$bob_bad"
ok "as bob (administrator), each target is either refused (400) or forwarded byte for byte" \
	test -z "$bob_bad"
ok "most targets are Tomcat-valid and reach the backend for bob" test "$passed" -ge 20
stop_ssogw TERM
