#!/bin/sh
# t_ws_session.sh - a WebSocket tunnel opened with a session lives no
# longer than the session: logout, idle and absolute expiry and eviction
# each close it with a close frame 1008 within 5 s (the delays are printed
# as TAP comments).  A tunnel on a public path is nobody's; an upgrade the
# backend refuses leaves the connection in HTTP mode, where the next
# request is authorized from scratch.  Against Node's "ws" echo server.
. "$(dirname "$0")/harness.sh"
NODE_DIR=$TOP/tests/integration/node

wsport=$(free_port)
node "$NODE_DIR/ws_echo.js" "$wsport" >"$WORK/ws.log" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
ok "the WebSocket server starts" wait_for listening "$wsport"
port=$(free_port)
base=https://localhost:$port

conf() { # SESSION-LINES
	make_cert
	cat >"$WORK/w.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 1s

[session]
$1

[app confluence]
url = $base
backend = http://127.0.0.1:$wsport
public = /public

[idp test]
type = test
EOC
}

# login USER [EXTRA-QUERY]: prints the session cookie of a new login.
login() {
	idp_login "$base/" "$WORK/$1.jar" "$1" "${2:-}"
}
# hold NAME PATH COOKIE: a WebSocket held open in the background.
hold() { ws_hold "$1" "wss://localhost:$port$2" "$3"; }
closed_within() { ws_closed_within "$@"; }

# --- logout ---
conf "idle_timeout = 1h"
ok "ssogw starts" start_ssogw "$WORK/w.conf"
cookie=$(login alice)
ok "alice has a session" test -n "$cookie"
ok "a WebSocket opens with her session" hold logout /editor "$cookie"
ok "a WebSocket on a public path opens too" hold public /public/ws "$cookie"
curl -sk -b "$cookie" "$base/ssogw/logout" -o "$WORK/page"
token=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$WORK/page")
t0=$(now_ms)
curl -sk -b "$cookie" -o /dev/null --data "csrf=$token" "$base/ssogw/logout"
ok "logout closes her tunnel with 1008 within 5 s" closed_within logout "$t0" 5000
ok "the close is logged" grep -q 'closing the WebSocket tunnel .* of user alice: the session ended' "$WORK/ssogw.log"
ok "the public tunnel is nobody's: still open" sh -c "sleep 1; ! grep -q '^closed' '$WORK/public.out'"
ok "a WebSocket with the ended session is refused" sh -c "! node '$NODE_DIR/ws_hold.js' 'wss://localhost:$port/editor' '$cookie' >'$WORK/refused.out' 2>&1 && grep -q 'refused 401' '$WORK/refused.out'"

# --- an IdP-initiated logout of one login (NameID + SessionIndex) ---
one=$(login alice "&nameid=alice@corp&session_index=S1")
two=$(login alice "&nameid=alice@corp&session_index=S2")
ok "a tunnel opens with alice's first login" hold slo1 /editor "$one"
ok "... and one with her second login" hold slo2 /editor "$two"
t0=$(now_ms)
ok "the IdP ends her first login (NameID + SessionIndex)" \
	test "$(curl -sk -o /dev/null -w '%{http_code}' "$base/ssogw/test-idp/logout?nameid=alice@corp&session_index=S1")" = 200
ok "... which closes that login's tunnel within 5 s" closed_within slo1 "$t0" 5000
ok "... and leaves the other login's tunnel open" sh -c "sleep 1; ! grep -q '^closed' '$WORK/slo2.out'"
t0=$(now_ms)
ok "the IdP ends every login of the NameID" \
	test "$(curl -sk -o /dev/null -w '%{http_code}' "$base/ssogw/test-idp/logout?nameid=alice@corp")" = 200
ok "... which closes the other tunnel within 5 s" closed_within slo2 "$t0" 5000

# --- eviction (max_sessions) ---
stop_ssogw TERM
conf "idle_timeout = 1h
max_sessions = 1"
ok "ssogw starts with max_sessions = 1" start_ssogw "$WORK/w.conf"
cookie=$(login alice)
ok "alice's tunnel opens" hold evict /editor "$cookie"
t0=$(now_ms)
login bob >/dev/null
ok "bob's login evicts alice's session, and her tunnel closes within 5 s" closed_within evict "$t0" 5000

# --- idle timeout ---
stop_ssogw TERM
conf "idle_timeout = 3s"
ok "ssogw starts with idle_timeout = 3s" start_ssogw "$WORK/w.conf"
t_login=$(now_ms)
cookie=$(login alice)
ok "alice's tunnel opens" hold idle /editor "$cookie"
# The session's clock has whole seconds: it ends 3 s after the second of
# its login, which began at t_login; measured from the earliest such end,
# the delay is an upper bound of the real one.
ok "the idle timeout closes her tunnel within 5 s of the session's end (traffic in the tunnel does not count as use)" \
	closed_within idle "$((t_login / 1000 * 1000 + 3000))" 5000

# --- absolute timeout ---
stop_ssogw TERM
conf "absolute_timeout = 3s"
ok "ssogw starts with absolute_timeout = 3s" start_ssogw "$WORK/w.conf"
t_login=$(now_ms)
cookie=$(login alice)
ok "alice's tunnel opens" hold absolute /editor "$cookie"
ok "the absolute timeout closes her tunnel within 5 s of the session's end" \
	closed_within absolute "$((t_login / 1000 * 1000 + 3000))" 5000
stop_ssogw TERM

# --- a refused upgrade ---
nport=$(free_port)
ok "an HTTP-only backend starts" start_nginx nginx "$nport" "
	server { listen 127.0.0.1:$nport; location / { return 200 \"plain\n\"; } }"
conf "idle_timeout = 1h"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$nport|" "$WORK/w.conf"
ok "ssogw starts in front of it" start_ssogw "$WORK/w.conf"
cookie=$(login alice)
printf 'GET /editor HTTP/1.1\r\nHost: localhost:%s\r\nCookie: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nGET /secret HTTP/1.1\r\nHost: localhost:%s\r\nConnection: close\r\n\r\n' \
	"$port" "$cookie" "$port" >"$WORK/req"
timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost <"$WORK/req" >"$WORK/resp" 2>/dev/null
ok "a refused upgrade gets the backend's answer" grep -q '^HTTP/1.1 200' "$WORK/resp"
ok "the next request on that connection, without the cookie, is authorized afresh: 401" \
	grep -q '^HTTP/1.1 401' "$WORK/resp"
stop_ssogw TERM
