# harness.sh - sourced by every tests/integration/t_*.sh scenario.
#
# Gives each scenario a private work folder, a throwaway TLS certificate,
# free loopback ports and a config writer; starts ssogw (and anything else)
# in the background, records every PID it starts, and at exit stops exactly
# those, nothing else.  Results are printed TAP-style, "ok N - what" or
# "not ok N - what", which tests/run.sh counts.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# The test build: the installed daemon plus the test-only sign-in ([idp]
# type = test, tests/daemon/test_idp.c).  $SSOGW_INSTALLED is ./ssogw.
SSOGW=$TOP/build/ssogw-test
SSOGW_INSTALLED=$TOP/ssogw
TOOLS=$TOP/build/tools
WORK=$(mktemp -d /tmp/ssogw-test.XXXXXX)
STARTED_PIDS=
TESTNO=0
SSOGW_PID=

cleanup() {
	for pid in $STARTED_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $STARTED_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok DESCRIPTION COMMAND...: runs the command; its status is the verdict.
ok() {
	desc=$1
	shift
	TESTNO=$((TESTNO + 1))
	if "$@"; then
		echo "ok $TESTNO - $desc"
	else
		echo "not ok $TESTNO - $desc"
	fi
}

# skip DESCRIPTION REASON
skip() {
	TESTNO=$((TESTNO + 1))
	echo "ok $TESTNO - $1 # skip $2"
}

# contains FILE TEXT: FILE holds TEXT (fixed string).
contains() {
	grep -qF -- "$2" "$1"
}

# free_port: a TCP port on 127.0.0.1 that no socket uses, below the
# kernel's ephemeral range (so an outgoing connection cannot take it
# between this check and our bind).
free_port() {
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	while :; do
		port=$(( ($(od -An -N2 -tu2 /dev/urandom) % (low - 10000)) + 10000 ))
		if ! ss -Htan "sport = :$port" | grep -q .; then
			echo "$port"
			return
		fi
	done
}

# listening PORT: something listens on 127.0.0.1:PORT.
listening() {
	ss -Htln "sport = :$1" | grep -q .
}

# make_cert: a self-signed P-256 certificate for 127.0.0.1 in $WORK.
make_cert() {
	[ -f "$WORK/cert.pem" ] && return
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
}

# write_conf FILE PORT [EXTRA-SERVER-LINES]: a minimal, valid configuration.
write_conf() {
	make_cert
	echo '<EntityDescriptor/>' >"$WORK/idp-metadata.xml"
	cat >"$1" <<EOC
[server]
listen = 127.0.0.1:$2
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 2s
${3:-}

[app jira]
url = https://jira.example.test
backend = http://127.0.0.1:8080
# Proxy scenarios are about the engine, not logins.
public = /

[idp corp]
type = saml
metadata_file = $WORK/idp-metadata.xml
EOC
}

# wait_for COND... : polls COND for up to 5 s.
wait_for() {
	for _ in $(seq 1 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# start_ssogw CONF [FLAGS...]: runs ssogw -f in the background, logging to
# $WORK/ssogw.log; waits for its "started" line.  Sets SSOGW_PID.
start_ssogw() {
	conf=$1
	shift
	: >"$WORK/ssogw.log"
	"$SSOGW" -f -c "$conf" "$@" 2>>"$WORK/ssogw.log" &
	SSOGW_PID=$!
	STARTED_PIDS="$STARTED_PIDS $SSOGW_PID"
	wait_for contains "$WORK/ssogw.log" " started (pid "
}

# stop_ssogw [SIGNAL]: signals ssogw and waits; sets SSOGW_RC.
stop_ssogw() {
	kill "-${1:-TERM}" "$SSOGW_PID"
	wait "$SSOGW_PID"
	SSOGW_RC=$?
}

# alive PID
alive() {
	kill -0 "$1" 2>/dev/null
}

# stop_group PGID: stops the process group of a leader started with setsid
# (Apache and its children): TERM, KILL after 5 s, then waits (up to 2 s
# more) until none of it is left; PGID leaves STARTED_PIDS.
stop_group() {
	STARTED_PIDS=$(echo " $STARTED_PIDS " | sed "s/ $1 / /")
	kill -TERM "-$1" 2>/dev/null
	for _ in $(seq 1 50); do
		pgrep -g "$1" >/dev/null 2>&1 || break
		sleep 0.1
	done
	kill -KILL "-$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for _ in $(seq 1 20); do
		pgrep -g "$1" >/dev/null 2>&1 || break
		sleep 0.1
	done
	return 0
}

# at_least N FILE REGEX: FILE has at least N lines matching REGEX (re-read
# on every call, so it can be polled with wait_for).
at_least() {
	[ "$(grep -c -- "$3" "$2")" -ge "$1" ]
}

# idp_login URL JAR USER [EXTRA-QUERY]: signs USER in through the test IdP
# ([idp] type = test) from URL, a protected page; cookies go to JAR (which
# starts empty).  EXTRA-QUERY adds to the IdP's answer ("&groups=a,b").
# Prints the session cookie as "ssogw_session=VALUE"; status 1 if a step
# of the round trip failed.
idp_login() {
	rm -f "$2"
	loc=$(curl -sk --max-time 10 -c "$2" -b "$2" -o /dev/null -w '%{redirect_url}' -H 'Accept: text/html' "$1")
	[ -n "$loc" ] || return 1
	code=$(curl -sk --max-time 10 -c "$2" -b "$2" -o /dev/null -w '%{http_code}' "$loc&user=$3${4:-}")
	[ "$code" = 303 ] || return 1
	awk '$6 == "ssogw_session" { print "ssogw_session=" $7 }' "$2"
}

# ---- WebSocket tunnels (tests/integration/node) ----

now_ms() { date +%s%3N; }

# ws_hold NAME URL [COOKIE]: a WebSocket held open in the background by
# node/ws_hold.js, its output in $WORK/NAME.out; returns once it is open.
ws_hold() {
	node "$TOP/tests/integration/node/ws_hold.js" "$2" "${3:-}" >"$WORK/$1.out" 2>&1 &
	STARTED_PIDS="$STARTED_PIDS $!"
	wait_for grep -q '^open' "$WORK/$1.out"
}

# ws_closed_within NAME SINCE-MS MAX-MS: NAME's tunnel was closed with 1008
# at most MAX-MS after SINCE-MS (waits up to 10 s for it); the delay is
# printed as a TAP comment.
ws_closed_within() {
	for _ in $(seq 1 100); do
		grep -q '^closed' "$WORK/$1.out" && break
		sleep 0.1
	done
	_ws_line=$(grep '^closed' "$WORK/$1.out")
	set -- $_ws_line "$2" "$3"
	[ "$#" -ge 6 ] || { echo "# not closed: $_ws_line" >&2; return 1; }
	echo "# closed with $2 ($3) $(($4 - $5)) ms after the session ended"
	[ "$2" = 1008 ] && [ $(($4 - $5)) -ge 0 ] && [ $(($4 - $5)) -le "$6" ]
}

# ---- backends and raw requests (proxy, smuggling and limits scenarios) ----

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
NGX_DIR=$WORK/nginx
NGX_LOG=$NGX_DIR/access.log
NGX_PORT=
NGX_PID=
BACKEND_MARK=0

# start_nginx_backend PORT: Debian's nginx with the echo module as a
# Tomcat stand-in on 127.0.0.1:PORT, in the foreground (one worker).  Its
# access log records what it received, one line per request:
#   METHOD URI PROTOCOL cl=.. te=.. host=.. len=.. conn=.. reqs=.. status=..
# Locations: /echo (the request head as received, then the body), /body
# (the body only), /sink (reads and drops any body), /data/ (files from
# $NGX_DIR/data), /slow (3 s), /chunked, /redirect, /status/CODE, /sync
# (for backend_sync), and / (the head, like /echo).  Sets NGX_PID.
start_nginx_backend() {
	NGX_PORT=$1
	mkdir -p "$NGX_DIR/data" "$NGX_DIR/tmp"
	ngx_user=
	[ "$(id -u)" -eq 0 ] && ngx_user="user $(id -un) $(id -gn);"
	cat >"$NGX_DIR/nginx.conf" <<EON
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
daemon off;
master_process on;
worker_processes 1;
$ngx_user
pid $NGX_DIR/nginx.pid;
error_log $NGX_DIR/error.log info;
events { worker_connections 512; }
http {
	log_format probe '\$request_method \$request_uri \$server_protocol cl=\$http_content_length te=\$http_transfer_encoding host=\$http_host len=\$request_length conn=\$connection reqs=\$connection_requests status=\$status';
	access_log $NGX_LOG probe;
	client_body_temp_path $NGX_DIR/tmp/body;
	proxy_temp_path $NGX_DIR/tmp/proxy;
	fastcgi_temp_path $NGX_DIR/tmp/fastcgi;
	uwsgi_temp_path $NGX_DIR/tmp/uwsgi;
	scgi_temp_path $NGX_DIR/tmp/scgi;
	client_max_body_size 0;
	client_body_buffer_size 1m;
	keepalive_timeout 60s;
	keepalive_requests 10000;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$NGX_PORT;
		server_name _;
		absolute_redirect off;
		location / { echo -n \$echo_client_request_headers; }
		location /echo { echo_read_request_body; echo -n \$echo_client_request_headers; echo_request_body; }
		location /body { echo_read_request_body; echo_request_body; }
		location /sink { echo_read_request_body; echo "sunk"; }
		location /data/ { root $NGX_DIR; }
		location /slow { echo_sleep 3; echo "done"; }
		location /chunked { echo "chunk one"; echo_flush; echo "chunk two"; echo_flush; echo "chunk three"; }
		location /redirect { return 302 /echo?from=redirect; }
		location = /status/204 { return 204; }
		location = /status/404 { return 404 "not here\n"; }
		location = /status/500 { return 500 "broken\n"; }
		location = /sync { return 200 "sync\n"; }
	}
}
EON
	"$NGINX" -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf" -e "$NGX_DIR/error.log" &
	NGX_PID=$!
	STARTED_PIDS="$STARTED_PIDS $NGX_PID"
	wait_for listening "$NGX_PORT"
}

# stop_nginx_backend: fast shutdown of the nginx started last, and waits.
stop_nginx_backend() {
	kill -TERM "$NGX_PID" 2>/dev/null
	wait "$NGX_PID" 2>/dev/null
	wait_for sh -c "! ss -Htln 'sport = :$NGX_PORT' | grep -q ."
}

# backend_mark: what nginx logs from now on is what backend_since shows.
backend_mark() {
	BACKEND_MARK=$(wc -l <"$NGX_LOG" 2>/dev/null || echo 0)
}

# backend_sync: a request straight to nginx, logged after anything that
# reached it before; so the access log is complete up to now.
backend_sync() {
	syncs=$(grep -c '^GET /sync ' "$NGX_LOG")
	curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$NGX_PORT/sync"
	wait_for at_least $((syncs + 1)) "$NGX_LOG" '^GET /sync '
}

# backend_since: the access log lines since backend_mark, without /sync.
backend_since() {
	backend_sync
	tail -n "+$((BACKEND_MARK + 1))" "$NGX_LOG" | grep -v '^GET /sync '
}

# backend_got_nothing: nginx received no request since backend_mark.
backend_got_nothing() {
	got=$(backend_since)
	[ -z "$got" ] && return 0
	echo "# the backend received: $got" >&2
	return 1
}

# backend_got N REGEX: since backend_mark nginx logged exactly N requests,
# and every one of them matches REGEX.
backend_got() {
	got=$(backend_since)
	n=$(printf '%s' "$got" | grep -c .)
	m=$(printf '%s' "$got" | grep -c -- "$2")
	[ "$n" -eq "$1" ] && [ "$m" -eq "$1" ] && return 0
	echo "# wanted $1 request(s) like '$2'; the backend received: ${got:-nothing}" >&2
	return 1
}

# tls_raw PORT IN OUT [SECONDS]: sends the bytes of file IN, unchanged,
# over one TLS connection to 127.0.0.1:PORT (up to 16 KB per TLS record, so
# a small file goes in one write) and stores every byte that comes back in
# OUT, until the server closes the connection or SECONDS (3) pass (then
# the status is 124).
tls_raw() {
	timeout "${4:-3}" openssl s_client -quiet -connect "127.0.0.1:$1" -servername localhost \
		<"$2" >"$3" 2>/dev/null
}

# status_line FILE: the first line of a response in FILE, without its CR.
status_line() {
	head -n 1 "$1" | tr -d '\r'
}

# status_is CODE FILE: the response in FILE begins with status CODE.
status_is() {
	s=$(status_line "$2")
	case "$s" in
	"HTTP/1.1 $1 "* | "HTTP/1.1 $1") return 0 ;;
	esac
	echo "# wanted status $1, got: ${s:-nothing}" >&2
	return 1
}

# same_text WANT GOT: two strings are equal (says both when not).
same_text() {
	[ "$1" = "$2" ] && return 0
	printf '# wanted: %s\n# got:    %s\n' "$1" "$2" >&2
	return 1
}

# rss_kib PID: the resident set size of PID in KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}


# start_nginx NAME PORT HTTP-BLOCK: runs Debian's nginx in $WORK/NAME with
# HTTP-BLOCK (log formats, server blocks) inside its http {} block, records
# its PID, and waits until it listens on PORT.
start_nginx() {
	dir=$WORK/$1
	mkdir -p "$dir"
	log="access_log off;" # unless the block has its own access_log
	case "$3" in *access_log*) log= ;; esac
	user= # as root, workers would run as nobody and not read our files
	[ "$(id -u)" -eq 0 ] && user="user $(id -un) $(id -gn);"
	cat >"$dir/nginx.conf" <<EON
$user
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 512; }
http {
	$log
	client_body_temp_path $dir;
	proxy_temp_path $dir;
	fastcgi_temp_path $dir;
	uwsgi_temp_path $dir;
	scgi_temp_path $dir;
$3
}
EON
	nginx -c "$dir/nginx.conf" 2>>"$dir/error.log" &
	STARTED_PIDS="$STARTED_PIDS $!"
	wait_for listening "$2"
}
