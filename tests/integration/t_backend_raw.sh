#!/bin/sh
# t_backend_raw.sh - backends that answer in unusual but legal (or broken)
# ways, from a raw-socket Node server: bodies that end with the connection,
# truncated bodies, heads that are not HTTP, interim responses.
. "$(dirname "$0")/harness.sh"

bport=$(free_port)
node "$TOP/tests/integration/node/raw_backend.js" "$bport" >"$WORK/raw.log" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
ok "the raw backend starts" wait_for listening "$bport"
port=$(free_port)
write_conf "$WORK/r.conf" "$port"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$bport|; s|^url = .*|url = https://localhost:$port|" "$WORK/r.conf"
ok "ssogw starts" start_ssogw "$WORK/r.conf"

fetch() { # PATH [CURL-ARGS]: status code; body in $WORK/body, head in $WORK/head
	p=$1
	shift
	rm -f "$WORK/body" "$WORK/head"
	: >"$WORK/body"
	curl -sk --max-time 20 -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' "$@" \
		"https://localhost:$port$p"
}

ok "a body that ends with the backend's connection arrives (3 MB)" \
	test "$(fetch /close/3000000 --limit-rate 2M)" = 200
ok "... whole" test "$(wc -c <"$WORK/body")" -eq 3000000
ok "... re-chunked for an HTTP/1.1 client" grep -qi '^Transfer-Encoding: chunked' "$WORK/head"
ok "... and close-delimited for an HTTP/1.0 one" test "$(fetch /close/100000 --http1.0)" = 200
ok "... whole too" test "$(wc -c <"$WORK/body")" -eq 100000
ok "... without chunks" sh -c "! grep -qi '^Transfer-Encoding' '$WORK/head'"

fetch /short/2000 >"$WORK/code"
ok "a body cut short by the backend reaches the client as far as it came" \
	test "$(wc -c <"$WORK/body")" -eq 1000
ok "... with the Content-Length that shows it is short (no false end)" \
	grep -qi '^Content-Length: 2000' "$WORK/head"
ok "a response head that is not HTTP gets 502" test "$(fetch /garbage)" = 502
ok "the 502 is logged with the reason" wait_for contains "$WORK/ssogw.log" "invalid response from backend"
ok "103 Early Hints then 200: the 200 arrives" test "$(fetch /hints)" = 200
ok "the 103 is passed on to an HTTP/1.1 client" grep -q '^HTTP/1.1 103' "$WORK/head"
ok "an unasked 100 Continue is dropped, the 200 arrives" test "$(fetch /interim100)" = 200
ok "... and no 100 reaches the client" sh -c "! grep -q '^HTTP/1.1 100' '$WORK/head'"
stop_ssogw TERM
ok "stops with 0" test "$SSOGW_RC" -eq 0
