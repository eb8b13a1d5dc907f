#!/bin/sh
# t_accesslog.sh - one access log line per exchange, in both formats, with
# the request as the client sent it, the request id the backend got, and
# reopening after rotation; trusted proxies and request ids.
. "$(dirname "$0")/harness.sh"

nport=$(free_port)
ok "the backend starts" start_nginx nginx "$nport" "
	log_format rid \"\$request_uri \$http_x_request_id \$http_x_forwarded_for\";
	access_log $WORK/nginx/access.log rid;
	server { listen 127.0.0.1:$nport; location / { return 200 \"ok\n\"; } }"

port=$(free_port)
write_conf "$WORK/a.conf" "$port" "access_log = $WORK/access.log
trusted_proxies = 10.0.0.0/8"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$nport/|; s|^url = .*|url = https://localhost:$port/jira|" "$WORK/a.conf"
ok "starts with a combined access log" start_ssogw "$WORK/a.conf"
curl -sk -o /dev/null -A 'test-agent' -e 'https://ref.example/' "https://localhost:$port/jira/x?y=1"
ok "a line is written per request" wait_for at_least 1 "$WORK/access.log" .
line=$(tail -n 1 "$WORK/access.log")
ok "it shows the target the client sent (not the backend's)" sh -c "echo '$line' | grep -q '\"GET /jira/x?y=1 HTTP/1.1\" 200 3 '"
ok "it shows referer and user agent" sh -c "echo '$line' | grep -q '\"https://ref.example/\" \"test-agent\"'"
ok "it names the app" sh -c "echo '$line' | grep -q ' app=jira '"
rid=$(echo "$line" | sed -n 's/.* rid=\([0-9a-f]*\) .*/\1/p')
ok "its request id is the one the backend received" grep -q "^/x?y=1 $rid 127.0.0.1\$" "$WORK/nginx/access.log"
curl -sk -o /dev/null -H 'X-Request-Id: forged-id' -H 'X-Forwarded-For: 6.6.6.6' "https://localhost:$port/jira/y"
ok "an untrusted client's request id and X-Forwarded-For are replaced" \
	wait_for grep -q "^/y [0-9a-f]\{24\} 127.0.0.1\$" "$WORK/nginx/access.log"
curl -sk -o /dev/null -H 'Host: other.example' "https://localhost:$port/z"
ok "a refused request is logged with its status and no app" wait_for grep -q '"GET /z HTTP/1.1" 421 .* app=- ' "$WORK/access.log"
printf 'GET /jira/\001 HTTP/1.1\r\nHost: x\r\n\r\n' >"$WORK/bad"
timeout 5 openssl s_client -quiet -connect "127.0.0.1:$port" <"$WORK/bad" >/dev/null 2>&1
ok "a malformed head is logged as a 400 without a request line" wait_for grep -q '"-" 400 ' "$WORK/access.log"

mv "$WORK/access.log" "$WORK/access.log.1"
kill -USR1 "$SSOGW_PID"
curl -sk -o /dev/null "https://localhost:$port/jira/after"
ok "SIGUSR1 reopens the access log at its path" wait_for grep -q '/jira/after' "$WORK/access.log"
stop_ssogw TERM

sed -i "s|^access_log = .*|access_log = $WORK/access.json\naccess_log_format = json|" "$WORK/a.conf"
ok "starts with a JSON access log" start_ssogw "$WORK/a.conf"
curl -sk -o /dev/null "https://localhost:$port/jira/q%22uote?a=%5C"
ok "a JSON line is written" wait_for at_least 1 "$WORK/access.json" .
node -e '
	const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	const e = l[l.length - 1];
	process.exit(e.target === "/jira/q%22uote?a=%5C" && e.status === 200 && e.app === "jira" &&
		/^[0-9a-f]{24}$/.test(e.request_id) && e.aborted === false ? 0 : 1);' "$WORK/access.json"
ok "each JSON line parses, with target, status, app and request id" test $? -eq 0
stop_ssogw TERM
