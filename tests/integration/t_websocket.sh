#!/bin/sh
# t_websocket.sh - the upgrade tunnel: WebSocket through ssogw to a real
# WebSocket server (Node's "ws"), closes from either side, the idle
# timeout, and upgrades that are refused or not passed on.
. "$(dirname "$0")/harness.sh"
NODE_DIR=$TOP/tests/integration/node

wsport=$(free_port)
node "$NODE_DIR/ws_echo.js" "$wsport" >"$WORK/ws.log" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
ok "the WebSocket server starts" wait_for listening "$wsport"

port=$(free_port)
write_conf "$WORK/ws.conf" "$port" "tunnel_idle_timeout = 1s
access_log = $WORK/access.log"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$wsport|; s|^url = .*|url = https://localhost:$port|" "$WORK/ws.conf"
ok "ssogw starts in front of it" start_ssogw "$WORK/ws.conf" -d
url=wss://localhost:$port/socket

client() {
	node "$NODE_DIR/ws_client.js" "$@"
}

client "$url" hello world >"$WORK/out" 2>&1
ok "messages go through the tunnel and back" test "$(cat "$WORK/out")" = "hello
world"
client "$url" headers >"$WORK/out" 2>&1
ok "the backend saw the upgrade" grep -q '"upgrade":"websocket"' "$WORK/out"
ok "the handshake carried X-Forwarded-For" grep -q '"x-forwarded-for":"127.0.0.1"' "$WORK/out"
ok "the handshake carried X-Forwarded-Proto https" grep -q '"x-forwarded-proto":"https"' "$WORK/out"
client "$url" big:4000000 >"$WORK/out" 2>&1
ok "4 MB of binary data come back unchanged" grep -qx 'big:4000000 ok' "$WORK/out"
client "$url" one bye >"$WORK/out" 2>&1
ok "a close from the server reaches the client" grep -qx 'closed 1000' "$WORK/out"
ok "the tunnel is logged with status 101" wait_for grep -q '"GET /socket HTTP/1.1" 101 ' "$WORK/access.log"

# Idle: nothing moves for tunnel_idle_timeout, the gateway closes the tunnel.
cat >"$WORK/idle.js" <<'EOS'
const WebSocket = require(process.argv[2] + '/node_modules/ws');
const ws = new WebSocket(process.argv[3], { rejectUnauthorized: false });
const t0 = Date.now();
ws.on('close', (code) => { console.log(`closed ${code} after ${Date.now() - t0}`); process.exit(0); });
ws.on('error', () => {});
setTimeout(() => { console.log('still open'); process.exit(1); }, 5000);
EOS
node "$WORK/idle.js" "$NODE_DIR" "$url" >"$WORK/out" 2>&1
ok "an idle tunnel is closed after tunnel_idle_timeout" grep -q '^closed 1006 after' "$WORK/out"
ok "the idle close is logged" wait_for contains "$WORK/ssogw.log" "ended: idle timeout"

# An upgrade the backend refuses leaves the connection in HTTP mode: the
# next request on it is answered normally.
stop_ssogw TERM
nport=$(free_port)
ok "an HTTP-only backend starts" start_nginx nginx "$nport" "
	server {
		listen 127.0.0.1:$nport;
		location / { return 200 \"upgrade=[\$http_upgrade] connection=[\$http_connection]\n\"; }
	}"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$nport|" "$WORK/ws.conf"
ok "ssogw starts in front of it" start_ssogw "$WORK/ws.conf"
printf 'GET /a HTTP/1.1\r\nHost: localhost:%s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nGET /b HTTP/1.1\r\nHost: localhost:%s\r\nConnection: close\r\n\r\n' "$port" "$port" >"$WORK/req"
timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost <"$WORK/req" >"$WORK/resp" 2>/dev/null
ok "a refused upgrade gets the backend's own answer" test "$(grep -c '^HTTP/1.1 200' "$WORK/resp")" -eq 2
ok "the backend saw the WebSocket upgrade asked for" grep -q 'upgrade=\[websocket\]' "$WORK/resp"
ok "the next request on that connection is plain HTTP again" grep -q 'upgrade=\[\] connection=\[\]' "$WORK/resp"
printf 'GET /c HTTP/1.1\r\nHost: localhost:%s\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n' "$port" >"$WORK/req"
timeout 5 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost <"$WORK/req" >"$WORK/resp" 2>/dev/null
ok "an h2c upgrade is not passed on" grep -q 'upgrade=\[\] connection=\[\]' "$WORK/resp"
stop_ssogw TERM
ok "ssogw stops with 0 after tunnels" test "$SSOGW_RC" -eq 0
