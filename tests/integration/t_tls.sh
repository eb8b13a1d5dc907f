#!/bin/sh
# t_tls.sh - the TLS front end: protocol versions, ALPN, SNI choosing an
# app's own certificate, session resumption with tickets, and ticket key
# rotation.
. "$(dirname "$0")/harness.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=b.test \
	-addext subjectAltName=DNS:b.test -keyout "$WORK/b.key" -out "$WORK/b.pem" 2>/dev/null
port=$(free_port)
write_conf "$WORK/t.conf" "$port" "tls_ticket_rotate = 2s"
cat >>"$WORK/t.conf" <<EOC

[app b]
public = /
url = https://b.test:$port
backend = http://127.0.0.1:9
idp = corp
tls_certificate = $WORK/b.pem
tls_key = $WORK/b.key
EOC
ok "starts with a second app that has its own certificate" start_ssogw "$WORK/t.conf"

# subject NAME: the certificate subject served for SNI NAME (or none).
subject() {
	timeout 5 openssl s_client -connect "127.0.0.1:$port" ${1:+-servername "$1"} </dev/null 2>/dev/null |
		sed -n 's/^subject=//p'
}
ok "SNI b.test gets b.test's certificate" test "$(subject b.test)" = "CN = b.test"
ok "SNI B.TEST (any case) gets it too" test "$(subject B.TEST)" = "CN = b.test"
ok "another SNI name gets [server]'s certificate" test "$(subject jira.example.test)" = "CN = 127.0.0.1"
ok "no SNI gets [server]'s certificate" test "$(subject)" = "CN = 127.0.0.1"

# says PATTERN FLAGS...: a handshake with FLAGS prints a line matching PATTERN.
says() {
	pattern=$1
	shift
	timeout 5 openssl s_client -connect "127.0.0.1:$port" -servername jira.example.test "$@" \
		</dev/null 2>&1 | grep -q "$pattern"
}
ok "TLS 1.3 is accepted" says "^New, TLSv1.3" -tls1_3
ok "TLS 1.2 is accepted" says "^New, TLSv1.2" -tls1_2
ok "TLS 1.1 is refused" sh -c "! timeout 5 openssl s_client -connect 127.0.0.1:$port -tls1_1 </dev/null 2>&1 | grep -q '^New, TLSv1.1'"
ok "ALPN http/1.1 is chosen" says "ALPN protocol: http/1.1" -alpn h2,http/1.1
ok "ALPN h2 alone is not chosen" says "No ALPN negotiated" -alpn h2
ok "a TLS 1.2 CBC-only cipher is refused" sh -c "! timeout 5 openssl s_client -connect 127.0.0.1:$port -tls1_2 -cipher AES128-SHA </dev/null 2>&1 | grep -q '^New, TLSv1.2'"
ok "an ECDHE-GCM cipher is used for TLS 1.2" says "Cipher is ECDHE-ECDSA-AES" -tls1_2

# Resumption with a ticket (TLS 1.2 shows it plainly), then after two
# rotations the old ticket is no longer accepted.
timeout 5 openssl s_client -connect "127.0.0.1:$port" -servername jira.example.test -tls1_2 \
	-sess_out "$WORK/sess" </dev/null >/dev/null 2>&1
ok "a session ticket is issued" test -s "$WORK/sess"
ok "the ticket resumes the session" sh -c "timeout 5 openssl s_client -connect 127.0.0.1:$port -servername jira.example.test -tls1_2 -sess_in '$WORK/sess' </dev/null 2>&1 | grep -q '^Reused'"
sleep 5
ok "after two rotations the old ticket starts a new session" sh -c "timeout 5 openssl s_client -connect 127.0.0.1:$port -servername jira.example.test -tls1_2 -sess_in '$WORK/sess' </dev/null 2>&1 | grep -q '^New'"
stop_ssogw TERM
ok "stops with 0" test "$SSOGW_RC" -eq 0

sed -i '/^tls_key = .*b.key$/d' "$WORK/t.conf"
"$SSOGW" -t -c "$WORK/t.conf" >"$WORK/out" 2>&1
ok "an app certificate without its key is an error" grep -q "tls_certificate and tls_key go together" "$WORK/out"
