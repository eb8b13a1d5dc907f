#!/bin/sh
# t_ipv6.sh - IPv6 listeners beside IPv4 ones, and IPv6 clients in the
# forwarding fields (RFC 7239 6: a quoted, bracketed address).
. "$(dirname "$0")/harness.sh"

if ! grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	skip "IPv6 listeners" "this machine has no ::1"
	exit 0
fi
nport=$(free_port)
ok "the backend starts" start_nginx nginx "$nport" "
	server {
		listen 127.0.0.1:$nport;
		location / { return 200 \"xff=[\$http_x_forwarded_for] fwd=[\$http_forwarded]\n\"; }
	}"

port=$(free_port)
write_conf "$WORK/v6.conf" "$port" "listen = [::1]:$port"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$nport|; s|^url = .*|url = https://localhost:$port|" "$WORK/v6.conf"
ok "starts with IPv4 and IPv6 listeners on one port" start_ssogw "$WORK/v6.conf"
ok "listens on [::1]" sh -c "ss -Htln 'sport = :$port' | grep -q '\[::1\]'"
curl -sk -g --max-time 5 -H "Host: localhost:$port" "https://[::1]:$port/" >"$WORK/out"
ok "an IPv6 client is served" grep -q '^xff=' "$WORK/out"
ok "X-Forwarded-For carries the IPv6 address" grep -q 'xff=\[::1\]' "$WORK/out"
ok "Forwarded quotes and brackets it" grep -q 'fwd=\[for="\[::1\]";' "$WORK/out"
curl -sk --max-time 5 "https://localhost:$port/" --resolve "localhost:$port:127.0.0.1" >"$WORK/out"
ok "the IPv4 listener still serves" grep -q 'xff=\[127.0.0.1\]' "$WORK/out"
stop_ssogw TERM
ok "stops with 0" test "$SSOGW_RC" -eq 0
