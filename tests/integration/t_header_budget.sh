#!/bin/sh
# t_header_budget.sh - the head sent to a backend must fit its limit
# (backend_max_header_size, Tomcat's maxHttpHeaderSize): past it the client
# gets a 431 that says why, and the backend gets nothing.
. "$(dirname "$0")/harness.sh"

nport=$(free_port)
ok "the backend starts" start_nginx nginx "$nport" "
	log_format uri \"\$request_uri\";
	access_log $WORK/nginx/access.log uri;
	large_client_header_buffers 4 64k;
	server { listen 127.0.0.1:$nport; location / { return 200 \"ok\\n\"; } }"
port=$(free_port)
write_conf "$WORK/h.conf" "$port" "max_header_size = 64k"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$nport\nbackend_max_header_size = 2k|; s|^url = .*|url = https://localhost:$port|" "$WORK/h.conf"
ok "ssogw starts" start_ssogw "$WORK/h.conf"

cookie() { head -c "$1" /dev/zero | tr '\0' 'c'; }
code() { # PATH BYTES-OF-COOKIE
	curl -sk --max-time 5 -o "$WORK/body" -w '%{http_code}' -H "Cookie: c=$(cookie "$2")" \
		"https://localhost:$port$1"
}
ok "a head that fits reaches the backend" test "$(code /fits 1200)" = 200
ok "... and the backend got it" wait_for grep -qx /fits "$WORK/nginx/access.log"
ok "a head past backend_max_header_size gets 431" test "$(code /toolarge 2100)" = 431
ok "the page says how large and what the limit is" grep -q "at most 2048" "$WORK/body"
ok "nothing reached the backend" sh -c "! grep -q toolarge '$WORK/nginx/access.log'"
ok "the forwarding fields count too: a head that fit from the client may not" \
	test "$(code /edge 1860)" = 431
stop_ssogw TERM

# A user in 300 IdP groups: the group list is what breaks the backend's
# limit, the page says so, and groups_include / groups_max let her in.
# The gateway's own cookies do not grow with the groups.
bport=$(free_port)
ok "the echo backend starts" start_nginx_backend "$bport"
groups=$(seq 1 300 | sed 's/^/corp-department-group-number-/' | paste -sd, -)
budget_conf() { # EXTRA-APP-LINES
	cat >"$WORK/g.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
max_request_line = 64k
max_header_size = 64k

[app jira]
url = https://localhost:$port
backend = http://127.0.0.1:$bport
$1

[idp test]
type = test
EOC
}
login_many() { # prints the status of the protected page after a login with 300 groups
	jar=$WORK/g.jar
	rm -f "$jar"
	loc=$(curl -sk --max-time 10 -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' -H 'Accept: text/html' "https://localhost:$port/")
	# curl drops jar cookies from requests whose head passes 8 KB: send
	# the login-state cookie as a plain field.
	ck=$(awk '$6 ~ /_login_/ { print $6 "=" $7 }' "$jar")
	curl -sk --max-time 10 -c "$jar" -H "Cookie: $ck" -D "$WORK/login.h" -o /dev/null "$loc&user=carol&groups=$groups"
	curl -sk --max-time 10 -b "$jar" -o "$WORK/body" -w '%{http_code}' "https://localhost:$port/echo"
}
budget_conf ""
ok "ssogw starts" start_ssogw "$WORK/g.conf"
ok "a user in 300 groups gets 431 at the default 8 KiB budget" test "$(login_many)" = 431
ok "... and the page says the group list is too long" grep -q 'group list is too long' "$WORK/body"
ok "... while the gateway's cookies stay under 1 KiB" \
	test "$(grep -i '^set-cookie' "$WORK/login.h" | wc -c)" -lt 1024
stop_ssogw TERM
budget_conf "groups_max = 20"
ok "ssogw starts with groups_max = 20" start_ssogw "$WORK/g.conf"
ok "with groups_max she gets in" test "$(login_many)" = 200
ok "... and the backend got her first 20 groups" \
	sh -c "test \$(sed -n 's/^X-Remote-Groups: //p' '$WORK/body' | tr ',' '\n' | grep -c .) -eq 20"
stop_ssogw TERM
budget_conf "groups_include = -(7|42)\$"
ok "ssogw starts with groups_include" start_ssogw "$WORK/g.conf"
ok "with groups_include she gets in" test "$(login_many)" = 200
ok "... and the backend got only the matching groups" \
	grep -q "^X-Remote-Groups: corp-department-group-number-7,corp-department-group-number-42.\?\$" "$WORK/body"
stop_ssogw TERM
