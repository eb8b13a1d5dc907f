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
