#!/bin/sh
# t_backend_tls.sh - https:// backends: the certificate is verified against
# backend_ca_file (or the system CAs) and the backend's host name.
. "$(dirname "$0")/harness.sh"

# A test CA, and a backend certificate it signed for "localhost".
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
	-keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-keyout "$WORK/be.key" -out "$WORK/be.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$WORK/ext"
openssl x509 -req -in "$WORK/be.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
	-days 1 -extfile "$WORK/ext" -out "$WORK/be.pem" 2>/dev/null

nport=$(free_port)
ok "an https backend starts" start_nginx nginx "$nport" "
	log_format conn \"\$request_uri conn=\$connection\";
	access_log $WORK/nginx/access.log conn;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $WORK/be.pem;
		ssl_certificate_key $WORK/be.key;
		location / { return 200 \"tls backend, host=\$http_host sni=\$ssl_server_name\n\"; }
	}"

port=$(free_port)
write_conf "$WORK/t.conf" "$port" "backend_max_idle = 4
workers = 1"
sed -i "s|^backend = .*|backend = https://localhost:$nport\nbackend_ca_file = $WORK/ca.pem|; s|^url = .*|url = https://localhost:$port|" "$WORK/t.conf"
ok "-t accepts an https backend with its CA file" "$SSOGW" -t -c "$WORK/t.conf"
ok "ssogw starts" start_ssogw "$WORK/t.conf"
get() {
	curl -sk --max-time 5 "https://localhost:$port$1" -o "$WORK/body" -w '%{http_code}'
}
ok "a request reaches the verified https backend" test "$(get /)" = 200
ok "SNI names the backend host" grep -q "sni=localhost" "$WORK/body"
ok "a second request succeeds" test "$(get /again)" = 200
first=$(sed -n 's|^/ conn=||p' "$WORK/nginx/access.log")
ok "it reused the pooled TLS connection" grep -qx "/again conn=$first" "$WORK/nginx/access.log"
stop_ssogw TERM

# The system CAs do not know the test CA: verification fails, 502.
sed -i '/^backend_ca_file/d' "$WORK/t.conf"
ok "ssogw starts without the CA file" start_ssogw "$WORK/t.conf"
ok "an unverifiable backend gets 502" test "$(get /)" = 502
ok "the log says why" wait_for grep -q "certificate verify failed" "$WORK/ssogw.log"
stop_ssogw TERM

# The right CA but another name: the host name check fails.
sed -i "s|^backend = .*|backend = https://127.0.0.1:$nport\nbackend_ca_file = $WORK/ca.pem|" "$WORK/t.conf"
ok "ssogw starts with the backend by address" start_ssogw "$WORK/t.conf"
ok "a certificate for another name gets 502" test "$(get /)" = 502
stop_ssogw TERM

# backend_verify = no accepts it (documented as unsafe).
sed -i "s|^backend = .*|&\nbackend_verify = no|" "$WORK/t.conf"
ok "ssogw starts with backend_verify = no" start_ssogw "$WORK/t.conf"
ok "an unverified backend is reached" test "$(get /)" = 200
stop_ssogw TERM

sed -i "s|^backend_ca_file = .*|backend_ca_file = $WORK/missing.pem|" "$WORK/t.conf"
"$SSOGW" -t -c "$WORK/t.conf" >"$WORK/out" 2>&1
ok "-t reports a missing backend_ca_file" grep -q "backend_ca_file: cannot read" "$WORK/out"
