#!/bin/sh
# run.sh - `make bench`.  Every figure is a ratio against a peer measured in
# the same run on the same machine, so that the numbers travel.
#
# Until the proxy engine lands, the daemon can be measured only idle:
#   start-up  exec to listening on its TLS port, median of N runs:
#             ssogw vs nginx (same certificate, one worker, loopback)
#   memory    resident set size once listening: ssogw vs nginx
#             (master + worker)
set -u
. "$(dirname "$0")/../integration/harness.sh"
N=${BENCH_RUNS:-15}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

make_cert
nginx_conf() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx;
	proxy_temp_path $WORK/nginx;
	fastcgi_temp_path $WORK/nginx;
	uwsgi_temp_path $WORK/nginx;
	scgi_temp_path $WORK/nginx;
	server {
		listen 127.0.0.1:$1 ssl;
		ssl_certificate $WORK/cert.pem;
		ssl_certificate_key $WORK/key.pem;
		location / { proxy_pass http://127.0.0.1:8080; }
	}
}
EOC
}

now_us() {
	echo $(($(date +%s%N) / 1000))
}

# startup NAME COMMAND...: median microseconds from exec to listening.
startup() {
	name=$1
	shift
	: >"$WORK/$name.times"
	for _ in $(seq 1 "$N"); do
		port=$(free_port)
		"$name"_conf "$port"
		t0=$(now_us)
		"$@" 2>/dev/null &
		pid=$!
		STARTED_PIDS="$STARTED_PIDS $pid"
		while ! listening "$port"; do :; done
		echo $(($(now_us) - t0)) >>"$WORK/$name.times"
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
	done
	sort -n "$WORK/$name.times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

ssogw_conf() {
	write_conf "$WORK/bench.conf" "$1"
}

rss_kb() { # sum of VmRSS over the given pids
	for p in "$@"; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done | awk '{ s += $1 } END { print s }'
}

s_us=$(startup ssogw "$SSOGW" -f -c "$WORK/bench.conf")
n_us=$(startup nginx "$NGINX" -c "$WORK/nginx/nginx.conf")

port=$(free_port)
ssogw_conf "$port"
start_ssogw "$WORK/bench.conf"
s_rss=$(rss_kb "$SSOGW_PID")
port=$(free_port)
nginx_conf "$port"
"$NGINX" -c "$WORK/nginx/nginx.conf" 2>/dev/null &
npid=$!
STARTED_PIDS="$STARTED_PIDS $npid"
wait_for listening "$port"
sleep 0.2
n_rss=$(rss_kb "$npid" $(pgrep -P "$npid"))

echo "bench: start-up, exec to listening (median of $N runs)"
echo "  ssogw  ${s_us} us"
echo "  nginx  ${n_us} us"
echo "  ratio  $(awk "BEGIN { printf \"%.2f\", $s_us / $n_us }") (ssogw / nginx; lower is better)"
echo "bench: resident memory once listening"
echo "  ssogw  ${s_rss} KiB"
echo "  nginx  ${n_rss} KiB (master + worker)"
echo "  ratio  $(awk "BEGIN { printf \"%.2f\", $s_rss / $n_rss }") (ssogw / nginx; lower is better)"
