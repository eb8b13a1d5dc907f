#!/bin/sh
# t_redis_session.sh - two ssogw instances behind one (imagined) load
# balancer share logins through a real redis-server: a login started on
# one and finished on the other, the session honoured by both, a logout on
# one ending it (and a WebSocket tunnel) on the other, a restart of an
# instance keeping it; with Redis down, requests that need a session get a
# clear 503 while public paths still work, and both recover when it is
# back, without a restart.
. "$(dirname "$0")/harness.sh"
NODE_DIR=$TOP/tests/integration/node

if ! command -v redis-server >/dev/null; then
	skip "sessions shared through Redis" "redis-server is not installed"
	exit 0
fi
rport=$(free_port)
start_redis() {
	redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$WORK" >>"$WORK/redis.log" 2>&1 &
	REDIS_PID=$!
	STARTED_PIDS="$STARTED_PIDS $REDIS_PID"
	wait_for listening "$rport"
}
ok "redis-server starts" start_redis
bport=$(free_port)
ok "the backend starts" start_nginx_backend "$bport"
wsport=$(free_port)
node "$NODE_DIR/ws_echo.js" "$wsport" >"$WORK/ws.log" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
ok "the WebSocket server starts" wait_for listening "$wsport"
head -c 48 /dev/urandom >"$WORK/session.key"
make_cert

conf() { # NAME PORT
	cat >"$WORK/$1.conf" <<EOC
[server]
listen = 127.0.0.1:$2
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 1s

[session]
store = redis://127.0.0.1:$rport/2
store_timeout = 1s
session_key_file = $WORK/session.key

[app jira]
url = https://localhost:$2
backend = http://127.0.0.1:$bport
public = /public

[app wiki]
url = https://localhost:$2/wiki
backend = http://127.0.0.1:$wsport

[idp test]
type = test
EOC
}
pa=$(free_port)
pb=$(free_port)
conf a "$pa"
conf b "$pb"
# start NAME PORT: an instance with its own log; sets <NAME>_PID.
start() {
	"$SSOGW" -f -c "$WORK/$1.conf" 2>>"$WORK/$1.log" &
	eval "${1}_PID=$!"
	STARTED_PIDS="$STARTED_PIDS $!"
	wait_for listening "$2"
}
ok "instance a starts" start a "$pa"
ok "instance b starts" start b "$pb"

J=$WORK/jar # curl keeps cookies per host, not per port: one browser
req() { # URL [CURL-ARGS...]: prints the status; body in $WORK/b
	u=$1
	shift
	curl -sk --max-time 5 -c "$J" -b "$J" -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' "$@" "$u"
}
location() { sed -n 's/^[Ll]ocation: //p' "$WORK/h" | tr -d '\r'; }

ok "a login starts on instance a" test "$(req "https://localhost:$pa/browse/S-1" -H 'Accept: text/html')" = 302
idp=$(location | sed "s/localhost:$pa/localhost:$pb/")
ok "... and finishes on instance b (the login state is a sealed cookie)" \
	test "$(req "$idp&user=alice&groups=jira-users")" = 303
ok "instance b lets alice in" test "$(req "https://localhost:$pb/browse/S-1")" = 200
ok "... with her identity" grep -q '^X-Remote-User: alice' "$WORK/b"
ok "instance a lets her in with the same cookie" test "$(req "https://localhost:$pa/browse/S-2")" = 200
ok "... with her identity" grep -q '^X-Remote-User: alice' "$WORK/b"
ok "the session lives in Redis (database 2), keyed by a hash" \
	sh -c "redis-cli -p $rport -n 2 --scan --pattern 'ssogw:s:*' | grep -q '^ssogw:s:[0-9a-f]\{64\}\$'"
ok "... with a TTL" sh -c "test \$(redis-cli -p $rport -n 2 ttl \$(redis-cli -p $rport -n 2 --scan --pattern 'ssogw:s:*' | head -n 1)) -gt 0"

stop_a() { kill -TERM "$a_PID"; wait "$a_PID"; }
stop_a
ok "instance a restarts" start a "$pa"
ok "the session survived the restart of instance a" test "$(req "https://localhost:$pa/browse/S-3")" = 200

# A tunnel on a, the logout on b.
cookie=$(awk '$6 == "ssogw_session" { print "ssogw_session=" $7 }' "$J")
node "$NODE_DIR/ws_hold.js" "wss://localhost:$pa/wiki/editor" "$cookie" >"$WORK/ws.out" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
ok "alice opens a WebSocket on instance a" wait_for grep -q '^open' "$WORK/ws.out"
req "https://localhost:$pb/ssogw/logout" >/dev/null
token=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$WORK/b")
t0=$(date +%s%3N)
ok "she signs out on instance b" test "$(req "https://localhost:$pb/ssogw/logout" --data "csrf=$token")" = 200
ok "instance a no longer knows the session" test "$(req "https://localhost:$pa/browse/S-4")" = 401
ok "... and closed her tunnel with 1008 within 5 s of the logout on b" sh -c "
	for i in \$(seq 1 60); do grep -q '^closed' '$WORK/ws.out' && break; sleep 0.1; done
	set -- \$(grep '^closed' '$WORK/ws.out')
	echo \"# closed with \$2 after \$((\$4 - $t0)) ms\"
	test \"\$2\" = 1008 && test \$((\$4 - $t0)) -le 5000"

# Redis goes away.
signs_in() { idp_login "$@" >/dev/null; }
ok "alice signs in again" signs_in "https://localhost:$pa/browse/S-5" "$J" alice
kill -TERM "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
ok "with Redis down, a request that needs the session gets 503" \
	test "$(req "https://localhost:$pa/browse/S-6" -H 'Accept: text/html')" = 503
ok "... with a page that says why" grep -q 'session store cannot be reached' "$WORK/b"
ok "... and nothing reached the backend for it" sh -c "! grep -q 'S-6' '$NGX_LOG'"
ok "a public path still works" test "$(req "https://localhost:$pa/public/x")" = 200
ok "the outage is logged once, as a warning" sh -c "test \$(grep -c 'unreachable' '$WORK/a.log') -ge 1"
ok "redis-server comes back" start_redis
sleep 1.2 # past the fail-fast second after the outage
ok "once Redis is back, a new login works without restarting ssogw" \
	signs_in "https://localhost:$pa/browse/S-7" "$J" bob
ok "... and both instances honour it" sh -c "
	test \"\$(curl -sk -b '$J' -o /dev/null -w '%{http_code}' 'https://localhost:$pa/browse/S-8')\" = 200 &&
	test \"\$(curl -sk -b '$J' -o /dev/null -w '%{http_code}' 'https://localhost:$pb/browse/S-8')\" = 200"
ok "the recovery is logged" grep -q 'reachable again' "$WORK/a.log"
