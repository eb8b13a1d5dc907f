#!/bin/sh
# t_proxy.sh - the reverse proxy end to end, through ssogw to a real nginx:
# what the backend receives (rewriting, routing), bodies and framing both
# ways, client and backend connection reuse, pipelining, HTTP/1.0, backend
# failures and timeouts, and the plain-HTTP redirect.
. "$(dirname "$0")/harness.sh"

port=$(free_port)
hport=$(free_port)
nport=$(free_port)
dead=$(free_port) # nothing ever listens here
write_conf "$WORK/p.conf" "$port" "workers = 1
listen_http = 127.0.0.1:$hport"
cat >>"$WORK/p.conf" <<EOC

[app local]
public = /
url = https://localhost:$port
backend = http://127.0.0.1:$nport
max_body_size = 8m

[app bk]
public = /
url = https://bk.test:$port
backend = http://127.0.0.1:$nport
host_header = backend

[app lit]
public = /
url = https://lit.test:$port
backend = http://127.0.0.1:$nport
host_header = tomcat.internal:8081

[app tools_jira]
public = /
url = https://tools.test:$port/jira
backend = http://127.0.0.1:$nport/

[app tools_root]
public = /
url = https://tools.test:$port/
backend = http://127.0.0.1:$nport/root

[app slow]
public = /
url = https://slow.test:$port
backend = http://127.0.0.1:$nport
backend_timeout = 1s

[app down]
public = /
url = https://down.test:$port
backend = http://127.0.0.1:$dead

[app www]
public = /
url = https://www.test
backend = http://127.0.0.1:$nport
EOC

# hc HOST CURL-ARGS...: curl as a client that resolves HOST (at $port) to
# 127.0.0.1, so that https://HOST:$port/... reaches ssogw with that Host.
hc() {
	h=$1
	shift
	curl -sk --max-time 10 --resolve "$h:$port:127.0.0.1" "$@"
}
U=https://localhost:$port
# get PATH [CURL-ARGS]: GET (or whatever the args say) through ssogw for
# the "local" app; status in $WORK/code, head in $WORK/head, body in
# $WORK/body, and the echoed request head (for /echo) in $WORK/echoed.
get() {
	p=$1
	shift
	fetch_as localhost "$U$p" "$@"
}
# fetch_as HOST URL [CURL-ARGS]: the same for any app's URL.
fetch_as() {
	h=$1
	url=$2
	shift 2
	hc "$h" -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' "$@" "$url" >"$WORK/code"
	tr -d '\r' <"$WORK/body" | sed '/^$/q' >"$WORK/echoed"
}
code_is() {
	same_text "$1" "$(cat "$WORK/code")"
}
# echoed LINE: the backend received this exact field or request line.
echoed() {
	grep -qxF -- "$1" "$WORK/echoed" && return 0
	echo "# not in the head the backend received: $1" >&2
	sed 's/^/#   /' "$WORK/echoed" >&2
	return 1
}
# not_echoed NAME: the backend received no field NAME.
not_echoed() {
	! grep -qi "^$1:" "$WORK/echoed" && return 0
	echo "# the backend received: $(grep -i "^$1:" "$WORK/echoed")" >&2
	return 1
}
# echoed_count N NAME: the backend received N fields NAME.
echoed_count() {
	same_text "$1" "$(grep -ci "^$2:" "$WORK/echoed")"
}
# head_has REGEX: the response head (as the client got it) matches.
head_has() {
	tr -d '\r' <"$WORK/head" | grep -qi -- "$1" && return 0
	echo "# response head lacks /$1/:" >&2
	sed 's/^/#   /' "$WORK/head" >&2
	return 1
}
body_is() {
	same_text "$1" "$(cat "$WORK/body")"
}
# connects [CURL-ARGS]: two GETs in one curl run; how many connections
# each one opened, "1 0" when the second reused the first's.
connects() {
	hc localhost -o /dev/null -o /dev/null -w '%{num_connects} ' "$@" "$U/echo" "$U/echo" | sed 's/ $//'
}
# all_tries N CODE URL [CURL-ARGS]: N requests, each answered with CODE.
all_tries() {
	n=$1 want=$2 url=$3
	shift 3
	got=
	for _ in $(seq 1 "$n"); do
		got="$got $(hc localhost -o /dev/null -w '%{http_code}' "$@" "$url")"
	done
	[ -z "$(echo $got | tr ' ' '\n' | grep -v "^$want\$")" ] && return 0
	echo "# got:$got" >&2
	return 1
}
# backend_lacks REGEX: no access log line since backend_mark matches.
backend_lacks() {
	! backend_since | grep -q -- "$1"
}

ok "ssogw starts with no backend running" start_ssogw "$WORK/p.conf"

# ---- backend failures before the backend exists ----
t0=$(date +%s%N)
get /echo
t=$((($(date +%s%N) - t0) / 1000000))
ok "backend down: 502" code_is 502
ok "backend down: answered at once (${t} ms)" test "$t" -lt 1000
ok "backend down: an HTML page" head_has '^content-type: text/html'
ok "backend down: the page says 502" grep -q '502 Bad Gateway' "$WORK/body"
get /echo -H 'Accept: application/json'
ok "backend down, Accept: application/json: 502" code_is 502
ok "backend down, Accept: application/json: JSON" head_has '^content-type: application/json'
ok "backend down, Accept: application/json: status in the JSON" grep -q '"status":502' "$WORK/body"
fetch_as down.test "https://down.test:$port/echo"
ok "an app whose backend port is closed: 502" code_is 502

ok "nginx starts" start_nginx_backend "$nport"
get /echo
ok "traffic recovers once the backend is up, without restarting ssogw" code_is 200

# ---- request rewriting ----
get /echo -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Forwarded-Host: evil.test' \
	-H 'X-Forwarded-Proto: http' -H 'X-Forwarded-Port: 1' -H 'Forwarded: for=6.6.6.6;host=evil.test'
ok "X-Forwarded-For is the client address only" echoed "X-Forwarded-For: 127.0.0.1"
ok "a client's X-Forwarded-For is replaced, not kept" echoed_count 1 X-Forwarded-For
ok "X-Forwarded-Proto https replaces the client's" echoed "X-Forwarded-Proto: https"
ok "X-Forwarded-Host is the app's host, the client's replaced" echoed "X-Forwarded-Host: localhost:$port"
ok "X-Forwarded-Host appears once" echoed_count 1 X-Forwarded-Host
ok "X-Forwarded-Port is the app's port" echoed "X-Forwarded-Port: $port"
ok "X-Forwarded-Proto appears once" echoed_count 1 X-Forwarded-Proto
ok "X-Forwarded-Port appears once" echoed_count 1 X-Forwarded-Port
ok "Forwarded (RFC 7239) is for=client;host=\"app\";proto=https" \
	echoed "Forwarded: for=127.0.0.1;host=\"localhost:$port\";proto=https"
ok "the client's Forwarded is replaced" echoed_count 1 Forwarded
ok "host_header external (default): Host is the app's authority" echoed "Host: localhost:$port"
ok "one Host field" echoed_count 1 Host
fetch_as bk.test "https://bk.test:$port/echo"
ok "host_header backend: Host is the backend's authority" echoed "Host: 127.0.0.1:$nport"
ok "host_header backend: X-Forwarded-Host still the external host" echoed "X-Forwarded-Host: bk.test:$port"
fetch_as lit.test "https://lit.test:$port/echo"
ok "host_header literal: Host as written" echoed "Host: tomcat.internal:8081"

get /echo -H 'Connection: X-Secret, keep-alive' -H 'X-Secret: 1' -H 'Keep-Alive: timeout=5' \
	-H 'TE: trailers' -H 'Trailer: X-Trail' -H 'Upgrade: h2c' -H 'Proxy-Connection: keep-alive' \
	-H 'Proxy-Authorization: Basic Zm9vOmJhcg==' -H 'X-Kept: yes'
ok "hop-by-hop: the request still succeeds" code_is 200
ok "hop-by-hop: Connection removed" not_echoed Connection
ok "hop-by-hop: Keep-Alive removed" not_echoed Keep-Alive
ok "hop-by-hop: TE removed" not_echoed TE
ok "hop-by-hop: Trailer removed" not_echoed Trailer
ok "hop-by-hop: Upgrade removed" not_echoed Upgrade
ok "hop-by-hop: Proxy-Connection removed" not_echoed Proxy-Connection
ok "hop-by-hop: Proxy-Authorization removed" not_echoed Proxy-Authorization
ok "hop-by-hop: a field named in Connection removed" not_echoed X-Secret
ok "end-to-end fields pass" echoed "X-Kept: yes"

get '/echo/a%2Cb/x/../c;x=y?q=%41&b=' --path-as-is
ok "the request target reaches the backend byte for byte" \
	echoed 'GET /echo/a%2Cb/x/../c;x=y?q=%41&b= HTTP/1.1'
# Tomcat refuses an encoded '/' by default; so does the gateway, before
# any decision (and nothing reaches the backend).
get '/echo/a%2Fb' --path-as-is
ok "an encoded '/' in the path is refused with 400" code_is 400
get '/echo?%00x=%ff&a=b+c#frag'
ok "the query reaches the backend byte for byte, fragment never sent" echoed 'GET /echo?%00x=%ff&a=b+c HTTP/1.1'

# Path-prefixed apps: /jira -> backend /, the rest of tools.test -> /root.
backend_mark
fetch_as tools.test "https://tools.test:$port/jira/echo?x=1"
ok "/jira/echo is mapped to the backend's /echo" echoed 'GET /echo?x=1 HTTP/1.1'
fetch_as tools.test "https://tools.test:$port/jira"
ok "/jira is mapped to the backend's /" echoed 'GET / HTTP/1.1'
fetch_as tools.test "https://tools.test:$port/jira?a=1"
ok "/jira?a=1 is mapped to /?a=1" echoed 'GET /?a=1 HTTP/1.1'
fetch_as tools.test "https://tools.test:$port/jirax/echo"
ok "/jirax is not the /jira app but the / app (/root/jirax/echo)" echoed 'GET /root/jirax/echo HTTP/1.1'
ok "the backend saw exactly those four requests" backend_got 4 'host=tools.test'

backend_mark
fetch_as other.test "https://other.test:$port/echo"
ok "a Host no app is served at: 421" code_is 421
ok "... and nothing reached the backend" backend_got_nothing
get /echo --request-target "https://evil.test/echo"
ok "an absolute-form target for another host: 400" code_is 400
ok "... and nothing reached the backend" backend_got_nothing
get /echo --request-target "https://localhost:$port/echo?abs=1" -H 'Host: evil.test'
ok "an absolute-form target for an app wins over Host" code_is 200
ok "... reaching the backend in origin form" echoed 'GET /echo?abs=1 HTTP/1.1'
ok "... with the app's Host, not the client's" echoed "Host: localhost:$port"
backend_mark
get /ssogw/anything
ok "the reserved prefix /ssogw/ is not proxied: 404" code_is 404
fetch_as tools.test "https://tools.test:$port/jira/ssogw/metadata"
ok "the reserved prefix under a path app: 404" code_is 404
get /ssogw/x -X POST --data-binary 'a=b'
ok "a POST under the reserved prefix: 404" code_is 404
ok "... and nothing under the prefix reached the backend" backend_got_nothing
# RFC 3986 6.2.2: these targets are the same resource as /ssogw/x, and the
# backend (nginx here, Tomcat in production) resolves them so.
backend_mark
get /echo/../ssogw/x --path-as-is
ok "a target whose dot-segments resolve into /ssogw/ does not reach the backend" backend_got_nothing
backend_mark
get /%73sogw/x
ok "a target that percent-encodes /ssogw/ does not reach the backend" backend_got_nothing

# ---- bodies and framing ----
get /echo --data-binary 'hello body'
ok "POST with Content-Length: 200" code_is 200
ok "POST: the backend got Content-Length 10" echoed "Content-Length: 10"
ok "POST: the body arrived intact" sh -c "tail -c 10 '$WORK/body' | grep -qx 'hello body'"
printf 'line one\nline two\n' >"$WORK/small"
get /body -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/small"
ok "chunked upload: 200" code_is 200
ok "chunked upload: echoed back intact" cmp -s "$WORK/small" "$WORK/body"
get /echo -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/small"
ok "chunked upload: re-chunked to the backend" echoed "Transfer-Encoding: chunked"
ok "chunked upload: no Content-Length beside it" not_echoed Content-Length
get /chunked
ok "chunked response: 200" code_is 200
ok "chunked response: chunked to an HTTP/1.1 client" head_has '^transfer-encoding: chunked'
ok "chunked response: arrives intact" body_is "$(printf 'chunk one\nchunk two\nchunk three')"

head -c 5M /dev/urandom >"$NGX_DIR/data/5m.bin"
printf 'small file\n' >"$NGX_DIR/data/small.txt"
get /data/small.txt -I
ok "HEAD: 200" code_is 200
ok "HEAD: with the Content-Length of the GET" head_has '^content-length: 11$'
printf 'HEAD /data/small.txt HTTP/1.1\r\nHost: localhost:%s\r\n\r\nGET /data/small.txt HTTP/1.1\r\nHost: localhost:%s\r\nConnection: close\r\n\r\n' \
	"$port" "$port" >"$WORK/req"
tls_raw "$port" "$WORK/req" "$WORK/resp"
ok "HEAD then GET on one connection: the HEAD response has no body" \
	same_text "HTTP/1.1 200 OK" "$(tr -d '\r' <"$WORK/resp" | sed '1,/^$/d' | head -n 1)"
ok "HEAD then GET on one connection: the GET's body is the only body" \
	same_text 1 "$(grep -c '^small file$' "$WORK/resp")"
get /data/5m.bin
ok "5 MiB download: 200" code_is 200
ok "5 MiB download: byte-identical" cmp -s "$NGX_DIR/data/5m.bin" "$WORK/body"
hc localhost -o "$WORK/up.out" -v --data-binary "@$NGX_DIR/data/5m.bin" "$U/body" 2>"$WORK/up.err"
ok "5 MiB upload: byte-identical at the backend (echoed back)" cmp -s "$NGX_DIR/data/5m.bin" "$WORK/up.out"
ok "a large upload: curl's Expect: 100-continue is answered with 100" grep -q '^< HTTP/1.1 100 Continue' "$WORK/up.err"
get /echo -H 'Expect: 100-continue' --data-binary 'tiny'
ok "Expect: 100-continue on a small body: 200" code_is 200
ok "Expect is not forwarded (the gateway answered it)" not_echoed Expect
get /status/404
ok "a backend 404 passes through" code_is 404
ok "... with its body" body_is "not here"
get /status/204
ok "a backend 204 passes through, no body" sh -c "[ \"\$(cat '$WORK/code')\" = 204 ] && [ ! -s '$WORK/body' ]"
get /redirect
ok "a backend redirect passes through, not followed" code_is 302
ok "... with its Location" head_has '^location: .*/echo?from=redirect$'

head -c 9M /dev/zero >"$WORK/9m"
backend_mark
get /body --data-binary "@$WORK/9m"
ok "max_body_size: a Content-Length over it (curl sends Expect: 100-continue) gets 413" code_is 413
ok "max_body_size: nothing reached the backend" backend_got_nothing
# A body that turns out too large while it streams: the client is still
# sending when the 413 is due, so the gateway must close in stages (RFC
# 9112 9.6) or the client's TCP stack may drop the 413 on the reset.
head -c 64M /dev/zero >"$WORK/64m"
backend_mark
ok "max_body_size: a chunked upload that grows over it gets 413 (10 of 10 tries)" \
	all_tries 10 413 "$U/body" --data-binary "@$WORK/64m" -H 'Transfer-Encoding: chunked'
ok "max_body_size: the backend never answered an oversized request" backend_lacks 'status=200'
rm -f "$WORK/64m"
head -c 8M /dev/zero >"$WORK/8m"
get /sink --data-binary "@$WORK/8m"
ok "max_body_size: a body of exactly the limit passes" code_is 200

# ---- connections ----
ok "keep-alive: the second of two requests reuses the connection" same_text "1 0" "$(connects)"
ok "Connection: close is honoured (the second request reconnects)" same_text "1 1" "$(connects -H 'Connection: close')"
get /echo -H 'Connection: close'
ok "Connection: close: the response says close" head_has '^connection: close'
ok "HTTP/1.0: a response, then the connection closes" same_text "1 1" "$(connects -0)"
printf 'GET /chunked HTTP/1.0\r\nHost: localhost:%s\r\n\r\n' "$port" >"$WORK/req"
tls_raw "$port" "$WORK/req" "$WORK/resp"
ok "HTTP/1.0: the connection is closed after the response" test $? -ne 124
ok "HTTP/1.0: 200" status_is 200 "$WORK/resp"
ok "HTTP/1.0: no Transfer-Encoding in a response to 1.0 (RFC 9112 6.1)" \
	sh -c "! tr -d '\r' <'$WORK/resp' | sed '/^\$/q' | grep -qi '^transfer-encoding:'"
ok "HTTP/1.0: the body is not chunk-framed, its end is the close" \
	same_text "$(printf 'chunk one\nchunk two\nchunk three')" "$(tr -d '\r' <"$WORK/resp" | sed '1,/^$/d')"

# Backend connection reuse: one connection for sequential requests.
backend_mark
get /echo?reuse=1
get /echo?reuse=2
backend_since >"$WORK/reuse.log"
ok "backend pool: two sequential requests share one backend connection" \
	same_text 1 "$(sed -n 's/.* conn=\([0-9]*\) .*/\1/p' "$WORK/reuse.log" | sort -u | wc -l)"
ok "backend pool: the second is that connection's next request (connection_requests + 1)" \
	same_text "$(($(sed -n 's/.*reuse=1 .* reqs=\([0-9]*\) .*/\1/p' "$WORK/reuse.log") + 1))" \
	"$(sed -n 's/.*reuse=2 .* reqs=\([0-9]*\) .*/\1/p' "$WORK/reuse.log")"

# Pipelining: three requests in one write, answered in order.
printf 'GET /echo?p=1 HTTP/1.1\r\nHost: localhost:%s\r\n\r\nGET /echo?p=2 HTTP/1.1\r\nHost: localhost:%s\r\n\r\nGET /echo?p=3 HTTP/1.1\r\nHost: localhost:%s\r\nConnection: close\r\n\r\n' \
	"$port" "$port" "$port" >"$WORK/req"
tls_raw "$port" "$WORK/req" "$WORK/resp"
ok "pipelining: three responses" same_text 3 "$(grep -ac '^HTTP/1.1 200' "$WORK/resp")"
ok "pipelining: in request order" same_text "1 2 3" "$(grep -ao 'GET /echo?p=[0-9]' "$WORK/resp" | cut -c13 | tr '\n' ' ' | sed 's/ $//')"

# ---- backend failures with a running ssogw ----
get /echo?before-kill
ok "ssogw holds an idle pooled connection to the backend" \
	sh -c "ss -Htn state established 'dport = :$nport' | grep -q ."
stop_nginx_backend
start_nginx_backend "$nport"
get /echo?after-restart
ok "after a backend restart the next GET succeeds" code_is 200
get /echo?after-restart-2
ok "and the one after it" code_is 200
fetch_as slow.test "https://slow.test:$port/slow"
ok "backend_timeout 1s with a 3 s backend: 504" code_is 504
t0=$(date +%s%N)
fetch_as slow.test "https://slow.test:$port/slow" -H 'Accept: application/json'
t=$((($(date +%s%N) - t0) / 1000000))
ok "504 after about backend_timeout (${t} ms)" test "$t" -ge 900 -a "$t" -lt 2900
ok "504 as JSON for an API client" grep -q '"status":504' "$WORK/body"
fetch_as slow.test "https://slow.test:$port/echo"
ok "the app works again after a timeout" code_is 200

# ---- HTTP -> HTTPS ----
curl -s -o /dev/null -D "$WORK/head" -w '%{http_code}' -H 'Host: www.test' \
	"http://127.0.0.1:$hport/some/path?q=1&r=%41" >"$WORK/code"
ok "listen_http: 301" code_is 301
ok "listen_http: Location is the https URL of the same path and query" \
	head_has '^location: https://www\.test/some/path?q=1&r=%41$'
curl -s -o /dev/null -D "$WORK/head" -w '%{http_code}' -H 'Host: www.test:80' \
	"http://127.0.0.1:$hport/p" >"$WORK/code"
ok "listen_http: Host with the explicit default port 80 is the same origin: 301" code_is 301
curl -s -o /dev/null -D "$WORK/head" -w '%{http_code}' --resolve "localhost:$hport:127.0.0.1" \
	"http://localhost:$hport/x?y=1" >"$WORK/code"
ok "listen_http on its own port: 301 (Host carries the http port)" code_is 301
ok "... to the app's https URL" head_has "^location: https://localhost:$port/x?y=1\$"
backend_mark
curl -s -o /dev/null -H 'Host: www.test' "http://127.0.0.1:$hport/echo" >/dev/null
ok "listen_http: nothing is proxied over plain HTTP" backend_got_nothing

stop_ssogw TERM
ok "ssogw stops cleanly" test "$SSOGW_RC" -eq 0
