#!/bin/sh
# run.sh - `make bench` (not part of `make check`).  Every figure is measured
# beside a peer in the same run on the same machine, and reported as a ratio,
# so that it means something on another machine.
#
#   throughput  wrk, 64 keep-alive connections, a 1 KiB response, 10 s each:
#               the backend (nginx) direct; nginx as a TLS reverse proxy with
#               the same worker count and upstream keep-alive; ssogw.
#               ssogw serves applications over TLS only, so the plain-HTTP
#               front end is measured for nginx alone, as a reference.
#   protected   the same wrk run through ssogw on a protected path with a
#               valid session cookie (identity fields added), memory store
#               and redis store, beside the nginx proxy runs above.
#   sessions    resident memory of ssogw holding 1,000,000 sessions with 5
#               groups each (restored from a state file), beside ssogw with
#               none.
#   idle TLS    resident memory of ssogw and nginx holding 10,000 idle TLS
#               connections (Node's tls module opens them).
#   start-up    exec to listening, median of 15 runs, ssogw vs nginx.
#   saml acs    SAML ACS validations per second on one core, ssogw beside
#               Apache + mod_auth_mellon on the same kind of signed
#               Response (tests/bench/saml_acs.sh, which also runs alone).
set -u
. "$(dirname "$0")/../integration/harness.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WORKERS=${BENCH_WORKERS:-2}
DURATION=${BENCH_SECONDS:-10}
IDLE=${BENCH_IDLE:-10000}
make_cert

# nginx_conf DIR BODY: an nginx configuration running BODY (server blocks).
nginx_conf() {
	mkdir -p "$WORK/$1"
	# As root, workers would run as nobody and get 403 on $WORK's files.
	user=
	[ "$(id -u)" -eq 0 ] && user="user $(id -un) $(id -gn);"
	cat >"$WORK/$1/nginx.conf" <<EOC
$user
daemon off;
worker_processes ${3:-1};
worker_rlimit_nofile 30000;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log;
events { worker_connections 20000; }
http {
	access_log off;
	client_body_temp_path $WORK/$1;
	proxy_temp_path $WORK/$1;
	fastcgi_temp_path $WORK/$1;
	uwsgi_temp_path $WORK/$1;
	scgi_temp_path $WORK/$1;
	$2
}
EOC
}

start_nginx() { # DIR PORT
	"$NGINX" -c "$WORK/$1/nginx.conf" 2>/dev/null &
	STARTED_PIDS="$STARTED_PIDS $!"
	eval "${1}_pid=$!"
	wait_for listening "$2"
}

# The backend: one 1 KiB file.
bport=$(free_port)
mkdir -p "$WORK/backend/www"
head -c 1024 /dev/urandom | base64 -w 0 | head -c 1024 >"$WORK/backend/www/1k"
nginx_conf backend "server { listen 127.0.0.1:$bport; root $WORK/backend/www; keepalive_requests 1000000; }"
start_nginx backend "$bport"

# nginx as a reverse proxy, TLS and plain.
pport=$(free_port)
tport=$(free_port)
nginx_conf proxy "upstream be { server 127.0.0.1:$bport; keepalive 64; }
	server {
		listen 127.0.0.1:$pport;
		listen 127.0.0.1:$tport ssl;
		ssl_certificate $WORK/cert.pem;
		ssl_certificate_key $WORK/key.pem;
		keepalive_requests 1000000;
		location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
	}" "$WORKERS"
start_nginx proxy "$tport"

# ssogw.
sport=$(free_port)
write_conf "$WORK/ssogw.conf" "$sport" "workers = $WORKERS
max_connections = 20000"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$bport|; s|^url = .*|url = https://localhost:$sport|" "$WORK/ssogw.conf"
start_ssogw "$WORK/ssogw.conf"

# bench NAME URL: wrk's requests/s, p50 and p99 (ms) as "rps p50 p99".
bench() {
	wrk -t2 -c64 -d"${DURATION}s" --latency -H "Host: localhost:$sport" "$2" >"$WORK/wrk-$1" 2>&1
	awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$WORK/wrk-$1"
	bad=$(sed -n 's/.*Non-2xx or 3xx responses: *//p' "$WORK/wrk-$1")
	[ -z "$bad" ] || echo "bench: $1: $bad answers were not 2xx: the figures are not valid" >&2
}

direct=$(bench direct "http://127.0.0.1:$bport/1k")
nplain=$(bench nginx-plain "http://127.0.0.1:$pport/1k")
ntls=$(bench nginx-tls "https://127.0.0.1:$tport/1k")
stls=$(bench ssogw-tls "https://127.0.0.1:$sport/1k")

row() { # label "rps p50 p99"
	echo "$2" | awk -v l="$1" '{ printf "  %-26s %10d %9.3f %9.3f\n", l, $1, $2, $3 }'
}
echo "bench: wrk, 64 connections, 1 KiB response, ${DURATION}s each, $WORKERS workers"
printf '  %-26s %10s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
row "backend direct (http)" "$direct"
row "nginx proxy, plain http" "$nplain"
row "nginx proxy, TLS" "$ntls"
row "ssogw, TLS" "$stls"
echo "$stls $ntls $direct" | awk '{
	printf "  ssogw / nginx (TLS): throughput %.2fx, p99 %.2fx\n", $1 / $4, $3 / $6
	printf "  p99 added over the backend: ssogw %.3f ms, nginx %.3f ms\n", $3 - $9, $6 - $9
}'

# Protected paths: a session cookie from the test IdP (the test build of
# ssogw), then the same wrk run with it.
head -c 32 /dev/urandom >"$WORK/session.key"
protected_conf() { # FILE PORT STORE-LINE
	cat >"$1" <<EOC
[server]
listen = 127.0.0.1:$2
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
workers = $WORKERS
max_connections = 20000

[session]
session_key_file = $WORK/session.key
max_sessions = 2000000
$3

[app jira]
url = https://localhost:$2
backend = http://127.0.0.1:$bport

[idp test]
type = test
EOC
}
# session_cookie PORT: logs in bench-user and prints "ssogw_session=...".
session_cookie() {
	idp_login "https://localhost:$1/" "$WORK/bench.jar" bench-user "&groups=jira-users,a,b,c,d"
}
bench_protected() { # NAME PORT
	cookie=$(session_cookie "$2")
	code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Host: localhost:$2" -H "Cookie: $cookie" "https://127.0.0.1:$2/1k")
	[ "$code" = 200 ] || echo "bench: $1: the session does not open the page (status $code)" >&2
	wrk -t2 -c64 -d"${DURATION}s" --latency -H "Host: localhost:$2" -H "Cookie: $cookie" \
		"https://127.0.0.1:$2/1k" >"$WORK/wrk-$1" 2>&1
	awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, bad }' "$WORK/wrk-$1"
}
stop_ssogw TERM
mport=$(free_port)
protected_conf "$WORK/mem.conf" "$mport" "store = memory"
start_ssogw "$WORK/mem.conf"
pmem=$(bench_protected protected-memory "$mport")
stop_ssogw TERM
rport=$(free_port)
predis="0 0 0 0"
if command -v redis-server >/dev/null; then
	redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
	STARTED_PIDS="$STARTED_PIDS $!"
	wait_for listening "$rport"
	dport=$(free_port)
	protected_conf "$WORK/redis.conf" "$dport" "store = redis://127.0.0.1:$rport/0"
	start_ssogw "$WORK/redis.conf"
	predis=$(bench_protected protected-redis "$dport")
	stop_ssogw TERM
fi
echo "bench: protected path with a session cookie (same wrk run)"
printf '  %-26s %10s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
row "ssogw, memory store" "$pmem"
row "ssogw, redis store" "$predis"
echo "$pmem $predis $ntls $nplain" | awk '{
	printf "  memory store / nginx TLS proxy: %.2fx; / nginx plain proxy: %.2fx (non-2xx: %d)\n", $1 / $9, $1 / $12, $4
	printf "  redis store / nginx TLS proxy: %.2fx; / nginx plain proxy: %.2fx (non-2xx: %d)\n", $5 / $9, $5 / $12, $8
}'

# A million sessions: written to a state file by a tool, restored at start.
SESSIONS=${BENCH_SESSIONS:-1000000}
mkdir -p "$WORK/state"
lport=$(free_port)
protected_conf "$WORK/many.conf" "$lport" "state_dir = $WORK/state"
start_ssogw "$WORK/many.conf"
sleep 1
rss0=$(rss_kib "$SSOGW_PID")
stop_ssogw TERM
rm -f "$WORK/state/sessions.state"
"$TOOLS/make_state" "$WORK/many.conf" "$SESSIONS" 5 >/dev/null
start_ssogw "$WORK/many.conf"
wait_for grep -q 'restored' "$WORK/ssogw.log" || sleep 30
sleep 1
rss1=$(rss_kib "$SSOGW_PID")
echo "bench: resident memory holding sessions (5 groups each)"
echo "  ssogw, no sessions            $(awk "BEGIN { printf \"%.1f\", $rss0 / 1024 }") MiB"
echo "  ssogw, $(sed -n 's/.*restored \([0-9]*\) sessions.*/\1/p' "$WORK/ssogw.log") sessions       $(awk "BEGIN { printf \"%.1f\", $rss1 / 1024 }") MiB ($(awk "BEGIN { printf \"%.0f\", ($rss1 - $rss0) * 1024 / $SESSIONS }") bytes per session)"
stop_ssogw TERM
rm -f "$WORK/state/sessions.state"
write_conf "$WORK/ssogw.conf" "$sport" "workers = $WORKERS
max_connections = 20000"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$bport|; s|^url = .*|url = https://localhost:$sport|" "$WORK/ssogw.conf"
start_ssogw "$WORK/ssogw.conf"

# Idle TLS connections.
rss_kb() {
	for p in "$@"; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done | awk '{ s += $1 } END { print s }'
}
idle_rss() { # PORT PIDS...: RSS with IDLE connections open
	port=$1
	shift
	node "$TOP/tests/bench/idle_tls.js" 127.0.0.1 "$port" "$IDLE" 8 >"$WORK/idle.out" 2>&1 &
	npid=$!
	wait_for grep -q '^open' "$WORK/idle.out" || sleep 20
	sleep 1
	kb=$(rss_kb "$@")
	wait "$npid"
	echo "$kb $(sed -n 's/^open \([0-9]*\).*/\1/p' "$WORK/idle.out")"
}
s_idle=$(idle_rss "$sport" "$SSOGW_PID")
n_idle=$(idle_rss "$tport" "$proxy_pid" $(pgrep -P "$proxy_pid"))
echo "bench: resident memory with $IDLE idle TLS connections"
echo "$s_idle" | awk '{ printf "  ssogw  %7.1f MiB (%d connections open)\n", $1 / 1024, $2 }'
echo "$n_idle" | awk '{ printf "  nginx  %7.1f MiB (%d connections open)\n", $1 / 1024, $2 }'

# Start-up time: exec to listening, median of 15 runs.  The wait for the
# port is bounded, so a daemon that fails to start ends the loop.
startup() { # CONF-WRITER COMMAND...
	writer=$1
	shift
	: >"$WORK/startup.times"
	for _ in $(seq 1 15); do
		port=$(free_port)
		"$writer" "$port"
		t0=$(($(date +%s%N) / 1000))
		"$@" 2>/dev/null &
		pid=$!
		n=0
		while ! listening "$port" && [ $n -lt 5000 ]; do n=$((n + 1)); done
		echo $(($(date +%s%N) / 1000 - t0)) >>"$WORK/startup.times"
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
	done
	sort -n "$WORK/startup.times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
s_conf() { write_conf "$WORK/s.conf" "$1"; }
n_conf() { nginx_conf start "server { listen 127.0.0.1:$1 ssl; ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem; }"; }
s_us=$(startup s_conf "$SSOGW" -f -c "$WORK/s.conf")
n_us=$(startup n_conf "$NGINX" -c "$WORK/start/nginx.conf")
echo "bench: start-up, exec to listening (median of 15)"
echo "  ssogw ${s_us} us, nginx ${n_us} us, ratio $(awk "BEGIN { printf \"%.2f\", $s_us / $n_us }")"

# SAML sign-ins: a script of its own, with its own work folder.
sh "$TOP/tests/bench/saml_acs.sh"
