#!/bin/sh
# t_limits.sh - the bounds on what a client can make ssogw hold: request
# line, header block and header count limits; the head deadline against
# slowloris (TLS handshake included); idle keep-alive and body timeouts.
# Memory while bodies stream is t_streaming.sh.
. "$(dirname "$0")/harness.sh"

port=$(free_port)
nport=$(free_port)
write_conf "$WORK/l.conf" "$port" "workers = 1
max_request_line = 1k
max_header_size = 4k
max_headers = 10
client_timeout = 2s
keepalive_timeout = 1s"
cat >>"$WORK/l.conf" <<EOC

[app local]
public = /
url = https://localhost:$port
backend = http://127.0.0.1:$nport
EOC
H="Host: localhost:$port"

ok "nginx starts" start_nginx_backend "$nport"
ok "ssogw starts" start_ssogw "$WORK/l.conf"

# send NAME FILE: FILE's bytes over TLS; answer in $WORK/NAME.resp,
# "yes"/"no" (closed by ssogw) in $WORK/NAME.closed.
send_file() {
	backend_mark
	tls_raw "$port" "$2" "$WORK/$1.resp" 5
	[ $? -ne 124 ] && echo yes >"$WORK/$1.closed" || echo no >"$WORK/$1.closed"
}
closed() {
	same_text yes "$(cat "$WORK/$1.closed")"
}
# pad N: N bytes of 'a'.
pad() {
	head -c "$1" /dev/zero | tr '\0' a
}
# dribble NAME SECONDS-BETWEEN PIECE...: sends the pieces over one TLS
# connection with a pause between them, then keeps it open (up to 5 s)
# until ssogw closes it; saves the answer, and the milliseconds from
# connecting until ssogw closed the connection in $WORK/NAME.ms.
dribble() {
	name=$1 gap=$2
	shift 2
	backend_mark
	rm -f "$WORK/$name.done"
	t0=$(now_ms)
	{
		for piece in "$@"; do
			[ -e "$WORK/$name.done" ] && exit 0
			printf "$piece"
			sleep "$gap"
		done
		for _ in $(seq 1 50); do
			[ -e "$WORK/$name.done" ] && exit 0
			sleep 0.1
		done
	} | {
		timeout 12 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost \
			>"$WORK/$name.resp" 2>/dev/null
		echo $(($(now_ms) - t0)) >"$WORK/$name.ms"
		touch "$WORK/$name.done"
	}
}
# took NAME MIN MAX: the dribbled connection ended after MIN..MAX ms.
took() {
	ms=$(cat "$WORK/$1.ms")
	[ "$ms" -ge "$2" ] && [ "$ms" -le "$3" ] && return 0
	echo "# took $ms ms, wanted $2..$3" >&2
	return 1
}

# ---- request line: max_request_line = 1k ----
# "GET " + target + " HTTP/1.1" is 13 bytes around the target.
printf 'GET /echo?%s HTTP/1.1\r\n%s\r\nConnection: close\r\n\r\n' "$(pad $((1024 - 19)))" "$H" >"$WORK/line_max"
send_file line_max "$WORK/line_max"
ok "a request line of exactly max_request_line: 200" status_is 200 "$WORK/line_max.resp"
printf 'GET /echo?%s HTTP/1.1\r\n%s\r\n\r\n' "$(pad $((1025 - 19)))" "$H" >"$WORK/line_over"
send_file line_over "$WORK/line_over"
ok "a request line one byte over max_request_line: 414" status_is 414 "$WORK/line_over.resp"
ok "414: connection closed" closed line_over
ok "414: nothing reached the backend" backend_got_nothing
printf 'GET /echo?%s' "$(pad 4000)" >"$WORK/line_endless"
send_file line_endless "$WORK/line_endless"
ok "a request line that never ends: 414 without waiting for its end" status_is 414 "$WORK/line_endless.resp"
ok "... and the connection is closed" closed line_endless

# ---- header block: max_header_size = 4k, max_headers = 10 ----
printf 'GET /echo HTTP/1.1\r\n%s\r\nX-Big: %s\r\nConnection: close\r\n\r\n' "$H" "$(pad 3000)" >"$WORK/hdr_ok"
send_file hdr_ok "$WORK/hdr_ok"
ok "a 3 KB header block under max_header_size: 200" status_is 200 "$WORK/hdr_ok.resp"
printf 'GET /echo HTTP/1.1\r\n%s\r\nX-Big: %s\r\n\r\n' "$H" "$(pad 4200)" >"$WORK/hdr_big"
send_file hdr_big "$WORK/hdr_big"
ok "a header block over max_header_size: 431" status_is 431 "$WORK/hdr_big.resp"
ok "431 (size): connection closed" closed hdr_big
ok "431 (size): nothing reached the backend" backend_got_nothing
{
	printf 'GET /echo HTTP/1.1\r\n%s\r\n' "$H"
	for i in $(seq 1 40); do printf 'X-F%s: %s\r\n' "$i" "$(pad 200)"; done
} >"$WORK/hdr_endless"
send_file hdr_endless "$WORK/hdr_endless"
ok "a header block that never ends: 431 as soon as it passes the limit" status_is 431 "$WORK/hdr_endless.resp"
{
	printf 'GET /echo HTTP/1.1\r\n%s\r\nConnection: close\r\n' "$H"
	for i in 1 2 3 4 5 6 7 8; do printf 'X-F%s: %s\r\n' "$i" "$i"; done
	printf '\r\n'
} >"$WORK/hdr_10"
send_file hdr_10 "$WORK/hdr_10"
ok "exactly max_headers (10) fields: 200" status_is 200 "$WORK/hdr_10.resp"
{
	printf 'GET /echo HTTP/1.1\r\n%s\r\nConnection: close\r\n' "$H"
	for i in 1 2 3 4 5 6 7 8 9; do printf 'X-F%s: %s\r\n' "$i" "$i"; done
	printf '\r\n'
} >"$WORK/hdr_11"
send_file hdr_11 "$WORK/hdr_11"
ok "max_headers + 1 fields: 431" status_is 431 "$WORK/hdr_11.resp"
ok "431 (count): connection closed" closed hdr_11
ok "431 (count): nothing reached the backend" backend_got_nothing

# ---- timeouts: client_timeout = 2s, keepalive_timeout = 1s ----
dribble slowloris 0.5 'GET /echo HTTP/1.1\r\n' 'Ho' 'st: ' 'localhost' ":$port" '\r\n' 'X-A: ' '1\r\n' 'X-B: ' '2\r\n' 'X-C: ' '3\r\n'
ok "slowloris: a head dribbled past client_timeout gets 408" status_is 408 "$WORK/slowloris.resp"
ok "slowloris: ... and is closed at client_timeout, though bytes keep coming" took slowloris 1800 3500
ok "slowloris: nothing reached the backend" backend_got_nothing
dribble split_crlf 0.2 'GET /echo HTTP/1.1\r' '\nHost: localhost:'"$port"'\r\nConnection: close\r' '\n\r' '\n'
ok "a head split between CR and LF, sent in time: 200" status_is 200 "$WORK/split_crlf.resp"
dribble idle_tls 0 ''
ok "a TLS connection that sends no request is closed after client_timeout" took idle_tls 1800 3500
# A plain TCP connection that sends nothing; Node reports when ssogw closes it.
t=$(node -e '
	const t0 = Date.now();
	const s = require("net").connect(Number(process.argv[1]), "127.0.0.1");
	s.on("close", () => { console.log(Date.now() - t0); process.exit(0); });
	s.on("error", () => {});
	setTimeout(() => { console.log(99999); process.exit(0); }, 8000);' "$port")
ok "a TCP connection that never starts TLS is closed after client_timeout ($t ms)" test "$t" -ge 1800 -a "$t" -le 3500
ok "... and ssogw keeps no socket of it (none in CLOSE-WAIT)" \
	wait_for sh -c "! ss -Htan state close-wait 'sport = :$port' | grep -q ."
dribble keepalive 0 "GET /echo HTTP/1.1\r\n$H\r\n\r\n"
ok "keep-alive: the request is answered" status_is 200 "$WORK/keepalive.resp"
ok "keep-alive: the idle connection is closed after keepalive_timeout" took keepalive 800 2500
dribble body_stall 0.3 "POST /body HTTP/1.1\r\n$H\r\nContent-Length: 10\r\n\r\n" 'ab' 'cd' 'ef'
ok "a body that stalls longer than client_timeout: 408" status_is 408 "$WORK/body_stall.resp"
ok "... and the connection is closed" took body_stall 2000 4000
dribble body_slow 0.5 "POST /body HTTP/1.1\r\n$H\r\nContent-Length: 10\r\nConnection: close\r\n\r\n" 'ab' 'cd' 'ef' 'gh' 'ij'
ok "a body that arrives slowly but never idles for client_timeout: 200" status_is 200 "$WORK/body_slow.resp"
ok "... intact" grep -q '^abcdefghij' "$WORK/body_slow.resp"

dribble gw_trickle 0.5 "POST /ssogw/logout HTTP/1.1\r\n$H\r\nContent-Length: 100\r\n\r\n" 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a'
ok "a body the gateway reads itself (logout form), trickled past client_timeout: 408" \
	status_is 408 "$WORK/gw_trickle.resp"
ok "... at client_timeout, though bytes keep coming" took gw_trickle 1800 3500

ok "ssogw is still running" alive "$SSOGW_PID"
stop_ssogw TERM
ok "ssogw stops cleanly" test "$SSOGW_RC" -eq 0
