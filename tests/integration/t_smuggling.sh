#!/bin/sh
# t_smuggling.sh - request smuggling and malformed requests, each sent byte
# for byte over TLS.  For every case: the status ssogw answers, that it
# closes the connection when the framing is in doubt, and what the nginx
# behind it received (nothing, for a refused request).  RFC 9112 2.2, 5,
# 6.1, 6.3, 7.1; RFC 9110 5.5, 7.2.
. "$(dirname "$0")/harness.sh"

port=$(free_port)
nport=$(free_port)
write_conf "$WORK/s.conf" "$port" "workers = 1"
cat >>"$WORK/s.conf" <<EOC

[app local]
public = /
url = https://localhost:$port
backend = http://127.0.0.1:$nport
EOC
H="Host: localhost:$port"

ok "nginx starts" start_nginx_backend "$nport"
ok "ssogw starts" start_ssogw "$WORK/s.conf"

# send NAME BYTES: sends printf BYTES over one TLS connection; the answer
# goes to $WORK/NAME.resp, and whether ssogw closed the connection to
# $WORK/NAME.closed.
send() {
	printf "$2" >"$WORK/$1.req"
	backend_mark
	tls_raw "$port" "$WORK/$1.req" "$WORK/$1.resp"
	[ $? -ne 124 ] && echo yes >"$WORK/$1.closed" || echo no >"$WORK/$1.closed"
}
closed() {
	same_text yes "$(cat "$WORK/$1.closed")"
}
# refused CODE NAME WHAT BYTES: BYTES are answered with CODE and the
# connection is closed, and nothing reaches the backend.
refused() {
	send "$2" "$4"
	ok "$3: $1" status_is "$1" "$WORK/$2.resp"
	ok "$3: connection closed" closed "$2"
	ok "$3: nothing reached the backend" backend_got_nothing
}
# refused_with_close CODE NAME WHAT BYTES: like refused, for requests whose
# framing is sound, so that the connection may stay open (the bytes ask
# for Connection: close).
refused_with_close() {
	send "$2" "$4"
	ok "$3: $1" status_is "$1" "$WORK/$2.resp"
	ok "$3: nothing reached the backend" backend_got_nothing
}

send control "GET /echo HTTP/1.1\r\n$H\r\nConnection: close\r\n\r\n"
ok "control: 200" status_is 200 "$WORK/control.resp"
ok "control: the backend got one GET /echo" backend_got 1 '^GET /echo HTTP/1.1 '

# ---- Content-Length and Transfer-Encoding (RFC 9112 6.1, 6.3) ----
refused 400 cl_te "Content-Length and Transfer-Encoding" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
refused 400 te_cl "Transfer-Encoding then Content-Length" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
refused 400 cl_cl "two differing Content-Length" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
refused 400 cl_same "two equal Content-Length" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"
refused 400 cl_list "Content-Length: 5, 5 in one field" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 5, 5\r\n\r\nhello"
refused 400 cl_plus "Content-Length: +5" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: +5\r\n\r\nhello"
refused 400 cl_neg "Content-Length: -1" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: -1\r\n\r\nhello"
refused 400 cl_hex "Content-Length: 0x5" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 0x5\r\n\r\nhello"
refused 400 cl_huge "Content-Length beyond 64 bits" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 184467440737095516160\r\n\r\nhello"
refused 400 te_gzip "Transfer-Encoding: gzip (chunked not final)" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"
refused 400 te_chunked_identity "Transfer-Encoding: chunked, identity" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"
refused 400 te_twice "Transfer-Encoding: chunked in two fields (chunked twice)" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
refused 400 te_te "Transfer-Encoding: chunked, then Transfer-Encoding: x" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n"
refused 400 te_xchunked "Transfer-Encoding: xchunked" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"
refused 400 te_quoted "Transfer-Encoding: \"chunked\"" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"
refused 400 te_vtab "Transfer-Encoding with a vertical tab before chunked" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding:\013chunked\r\n\r\n0\r\n\r\n"
refused 501 te_gzip_chunked "Transfer-Encoding: gzip, chunked (a coding we do not implement)" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
refused 400 te_http10 "Transfer-Encoding in an HTTP/1.0 request" \
	"POST /echo HTTP/1.0\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
refused 400 te_space "Transfer-Encoding : chunked (space before the colon)" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"
refused 400 te_tab "Transfer-Encoding<TAB>: chunked" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"

# ---- field syntax (RFC 9112 2.2, 5.1, 5.2; RFC 9110 5.5) ----
refused 400 fold "an obs-fold continuation line" \
	"GET /echo HTTP/1.1\r\n$H\r\nX-A: one\r\n two\r\n\r\n"
refused 400 fold_te "obs-fold hiding a Transfer-Encoding" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 5\r\nX-A: one\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
refused 400 ws_first "white space before the first field line" \
	"GET /echo HTTP/1.1\r\n $H\r\n$H\r\n\r\n"
refused 400 lf_only "bare LF line endings" \
	"GET /echo HTTP/1.1\n$H\n\n"
refused 400 lf_one "one bare LF hiding a Transfer-Encoding" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 5\r\nX-A: 1\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
refused 400 cr_bare "a bare CR in a field value" \
	"GET /echo HTTP/1.1\r\n$H\r\nX-A: a\rb\r\n\r\n"
refused 400 nul_value "a NUL byte in a field value" \
	"GET /echo HTTP/1.1\r\n$H\r\nX-A: a\000b\r\n\r\n"
refused 400 nul_name "a NUL byte in a field name" \
	"GET /echo HTTP/1.1\r\n$H\r\nX-\000A: b\r\n\r\n"
refused 400 bad_name "a field name with a separator in it" \
	"GET /echo HTTP/1.1\r\n$H\r\nX(A): b\r\n\r\n"
refused 400 no_colon "a field line without a colon" \
	"GET /echo HTTP/1.1\r\n$H\r\nX-A b\r\n\r\n"
refused 400 target_space "a space inside the request target" \
	"GET /echo /x HTTP/1.1\r\n$H\r\n\r\n"
refused 400 target_ctl "a control byte inside the request target" \
	"GET /echo\001x HTTP/1.1\r\n$H\r\n\r\n"
refused 400 http09 "an HTTP/0.9 request line" \
	"GET /echo\r\n\r\n"
refused 505 version_2 "GET ... HTTP/2.0" \
	"GET /echo HTTP/2.0\r\n$H\r\n\r\n"

# ---- Host and the target (RFC 9112 3.2, 3.2.2) ----
refused 400 no_host "HTTP/1.1 without Host" \
	"GET /echo HTTP/1.1\r\nX-A: 1\r\n\r\n"
refused 400 two_hosts "two Host fields" \
	"GET /echo HTTP/1.1\r\n$H\r\nHost: other.test\r\n\r\n"
refused_with_close 400 host_list "Host: two authorities in one field" \
	"GET /echo HTTP/1.1\r\nHost: localhost:$port, other.test\r\nConnection: close\r\n\r\n"
refused_with_close 400 host_userinfo "Host with user info" \
	"GET /echo HTTP/1.1\r\nHost: evil@localhost:$port\r\nConnection: close\r\n\r\n"
refused_with_close 400 absolute_other "an absolute-form target for another host" \
	"GET https://evil.test/echo HTTP/1.1\r\n$H\r\nConnection: close\r\n\r\n"
refused_with_close 400 absolute_other_http "an absolute-form http:// target for another host" \
	"GET http://127.0.0.1:$nport/echo HTTP/1.1\r\n$H\r\nConnection: close\r\n\r\n"
refused_with_close 400 absolute_userinfo "an absolute-form target with user info" \
	"GET https://evil@localhost:$port/echo HTTP/1.1\r\n$H\r\nConnection: close\r\n\r\n"

# ---- chunked framing (RFC 9112 7.1) ----
refused 400 chunk_zz "an invalid chunk size zz" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
refused 400 chunk_nocrlf "chunk data without its CRLF" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"
refused 400 chunk_overflow "a chunk size over 64 bits" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"
refused 400 chunk_neg "a negative chunk size" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"
refused 400 chunk_space "a chunk size after white space" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"
refused 400 chunk_lf "a chunk-size line ended by a bare LF" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"
refused 400 chunk_ext_lf "a chunk extension with a bare LF" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\nc\r\nhello\r\n0\r\n\r\n"
refused 400 trailer_lf "a trailer field with a bare LF" \
	"POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: a\nb\r\n\r\n"

# ---- smuggling payloads ----
# CL.TE: a front end that believes Content-Length forwards "0\r\n\r\nG..."
# as body; one that believes chunked sees a second request.  Refused.
refused 400 clte "the classic CL.TE payload" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nX: X"
refused 400 tecl "the classic TE.CL payload" \
	"POST /echo HTTP/1.1\r\n$H\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2d\r\nGET /smuggled HTTP/1.1\r\n$H\r\nX: 1\r\n\r\n\r\n0\r\n\r\n"
# A request inside a valid chunked body is body, never a request.
inner="GET /smuggled HTTP/1.1\r\n$H\r\n\r\n"
len=$(printf "$inner" | wc -c)
send in_chunked "POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n$(printf '%x' "$len")\r\n$inner\r\n0\r\n\r\n"
ok "a request inside a chunked body: 200" status_is 200 "$WORK/in_chunked.resp"
ok "a request inside a chunked body: echoed back as body" grep -q '^GET /smuggled HTTP/1.1' "$WORK/in_chunked.resp"
ok "a request inside a chunked body: the backend got one POST and no /smuggled" backend_got 1 '^POST /echo HTTP/1.1 .*te=chunked'
send in_length "POST /echo HTTP/1.1\r\n$H\r\nContent-Length: $len\r\nConnection: close\r\n\r\n$inner"
ok "a request inside a Content-Length body: 200" status_is 200 "$WORK/in_length.resp"
ok "a request inside a Content-Length body: the backend got one POST and no /smuggled" backend_got 1 "^POST /echo HTTP/1.1 cl=$len "
# A chunked body that ends early; what follows is the client's next
# request and is answered as one, on its own.
send after_zero "POST /echo HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo?second HTTP/1.1\r\n$H\r\nConnection: close\r\n\r\n"
ok "bytes after the last chunk are the next request: two 200s" same_text 2 "$(grep -ac '^HTTP/1.1 200' "$WORK/after_zero.resp")"
ok "bytes after the last chunk: the backend got the POST and then the GET" \
	same_text "POST /echo GET /echo?second" "$(backend_since | awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2 }')"
# The chunk extension and trailer never reach the backend as such; the
# gateway re-frames what it forwards.
send ext_trailer "POST /body HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;ext=\"x\"\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
ok "chunk extensions and trailers are accepted: 200" status_is 200 "$WORK/ext_trailer.resp"
ok "... and only the data reaches the backend" grep -q '^hello' "$WORK/ext_trailer.resp"
send chunked_upper "POST /body HTTP/1.1\r\n$H\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
ok "Transfer-Encoding: Chunked (codings are case-insensitive): 200" status_is 200 "$WORK/chunked_upper.resp"

# After all that, the gateway still serves.
send final "GET /echo HTTP/1.1\r\n$H\r\nConnection: close\r\n\r\n"
ok "still serving after the malformed requests" status_is 200 "$WORK/final.resp"
ok "ssogw is still running" alive "$SSOGW_PID"
stop_ssogw TERM
ok "ssogw stops cleanly" test "$SSOGW_RC" -eq 0
