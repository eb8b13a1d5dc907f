#!/bin/sh
# t_streaming.sh - bodies stream through ssogw without being buffered: its
# resident memory stays flat while a 1 GiB download goes to a client that
# reads slowly, and while 256 MiB uploads (with a length, and chunked from
# a pipe) go to the backend.
. "$(dirname "$0")/harness.sh"

port=$(free_port)
nport=$(free_port)
write_conf "$WORK/m.conf" "$port" "workers = 1"
cat >>"$WORK/m.conf" <<EOC

[app local]
public = /
url = https://localhost:$port
backend = http://127.0.0.1:$nport
EOC
U=https://localhost:$port

ok "nginx starts" start_nginx_backend "$nport"
ok "ssogw starts" start_ssogw "$WORK/m.conf"

hc() {
	curl -sk --max-time 40 --resolve "localhost:$port:127.0.0.1" "$@"
}
# sample_rss: records ssogw's VmRSS every 50 ms until stop_sampling.
sample_rss() {
	: >"$WORK/rss"
	touch "$WORK/sampling"
	while [ -e "$WORK/sampling" ]; do
		rss_kib "$SSOGW_PID" >>"$WORK/rss"
		sleep 0.05
	done &
	SAMPLER=$!
	STARTED_PIDS="$STARTED_PIDS $SAMPLER"
}
stop_sampling() {
	rm -f "$WORK/sampling"
	wait "$SAMPLER"
}
# grew_less_than MIB: the highest sample is less than MIB above idle.
grew_less_than() {
	peak=$(sort -n "$WORK/rss" | tail -n 1)
	echo "# idle ${idle} KiB, peak ${peak} KiB over $(wc -l <"$WORK/rss") samples" >&2
	[ $(((peak - idle) / 1024)) -lt "$1" ]
}
# slow_reader: reads stdin at about 10 MB/s for 3 s, then at full speed.
slow_reader() {
	for _ in $(seq 1 15); do
		dd bs=64k count=32 iflag=fullblock of=/dev/null 2>/dev/null
		sleep 0.2
	done
	cat >/dev/null
}

truncate -s 1G "$NGX_DIR/data/1g.bin"
truncate -s 256M "$WORK/256m.bin"
hc -o /dev/null -r 0-1048575 "$U/data/1g.bin" # warm up TLS and the pool
idle=$(rss_kib "$SSOGW_PID")

sample_rss
t0=$(now_ms)
hc -w '%{stderr}%{http_code} %{size_download}' "$U/data/1g.bin" 2>"$WORK/dl.stat" | slow_reader
t=$(($(now_ms) - t0))
stop_sampling
ok "1 GiB download through a slow reader: complete ($t ms)" same_text "200 1073741824" "$(cat "$WORK/dl.stat")"
ok "1 GiB download: ssogw's RSS grew less than 64 MiB" grew_less_than 64

sample_rss
t0=$(now_ms)
hc -o /dev/null -w '%{http_code}' -T "$WORK/256m.bin" "$U/sink" >"$WORK/ul.code"
t=$(($(now_ms) - t0))
stop_sampling
ok "256 MiB upload with Content-Length: complete ($t ms)" same_text 200 "$(cat "$WORK/ul.code")"
ok "256 MiB upload: the backend read it all" wait_for grep -q '^PUT /sink .* cl=268435456 .*status=200' "$NGX_LOG"
ok "256 MiB upload: ssogw's RSS grew less than 64 MiB" grew_less_than 64

sample_rss
t0=$(now_ms)
head -c 256M /dev/zero | hc -o /dev/null -w '%{http_code}' -T - "$U/sink" >"$WORK/ul.code"
t=$(($(now_ms) - t0))
stop_sampling
ok "256 MiB chunked upload from a pipe: complete ($t ms)" same_text 200 "$(cat "$WORK/ul.code")"
ok "256 MiB chunked upload: the backend read it all" \
	wait_for grep -Eq '^PUT /sink .* te=chunked .*len=26[0-9]{7} .*status=200' "$NGX_LOG"
ok "256 MiB chunked upload: ssogw's RSS grew less than 64 MiB" grew_less_than 64
rm -f "$NGX_DIR/data/1g.bin" "$WORK/256m.bin"

ok "ssogw is still running" alive "$SSOGW_PID"
stop_ssogw TERM
ok "ssogw stops cleanly" test "$SSOGW_RC" -eq 0
