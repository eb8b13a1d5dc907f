#!/bin/sh
# t_resources.sh - clients and conditions that try to pin the gateway's
# resources: a client that stops reading a large response, and running out
# of file descriptors.
. "$(dirname "$0")/harness.sh"

nport=$(free_port)
mkdir -p "$WORK/www"
truncate -s 200M "$WORK/www/big"
ok "the backend starts" start_nginx nginx "$nport" "
	server { listen 127.0.0.1:$nport; root $WORK/www; }"
port=$(free_port)
write_conf "$WORK/r.conf" "$port" "client_timeout = 2s
workers = 1"
sed -i "s|^backend = .*|backend = http://127.0.0.1:$nport|; s|^url = .*|url = https://localhost:$port|" "$WORK/r.conf"
ok "ssogw starts" start_ssogw "$WORK/r.conf"

# A client that reads the head and a little, then stops reading: the
# gateway's writes to it time out after client_timeout and it lets go of
# the connection (the client, not reading, cannot tell; the kernel holds
# the rest in FIN-WAIT).
node -e '
	const s = require("tls").connect({ host: "127.0.0.1", port: Number(process.argv[1]),
		servername: "localhost", rejectUnauthorized: false }, () => {
		s.write(`GET /big HTTP/1.1\r\nHost: localhost:${process.argv[1]}\r\n\r\n`);
	});
	let got = 0;
	s.on("data", (d) => { got += d.length; if (got > 100000) s.pause(); });
	s.on("error", () => {});
	setTimeout(() => process.exit(0), 12000);' "$port" &
STARTED_PIDS="$STARTED_PIDS $!"
ok "the stalled client's connection is open at first" wait_for sh -c "test \$(ss -Htanp '( sport = :$port )' | grep -c 'pid=$SSOGW_PID,') -ge 2"
sleep 1
ok "ssogw lets go of it after client_timeout" wait_for sh -c "test \$(ss -Htanp '( sport = :$port )' | grep -c 'pid=$SSOGW_PID,') -le 1"
ok "ssogw is still serving" sh -c "curl -sk --max-time 5 -o /dev/null -w '%{http_code}' https://localhost:$port/nope | grep -q 404"
stop_ssogw TERM

# Out of file descriptors: accept() fails; the listener pauses instead of
# spinning, the log says so a few times, and service resumes afterwards.
sh -c "ulimit -n 40 && exec '$SSOGW' -f -c '$WORK/r.conf'" 2>"$WORK/fd.log" &
SSOGW_PID=$!
STARTED_PIDS="$STARTED_PIDS $SSOGW_PID"
ok "ssogw starts with 40 descriptors" wait_for contains "$WORK/fd.log" " started (pid "
node -e '
	const socks = [];
	for (let i = 0; i < 80; i++) {
		const s = require("net").connect(Number(process.argv[1]), "127.0.0.1");
		s.on("error", () => {});
		socks.push(s);
	}
	setTimeout(() => { socks.forEach((s) => s.destroy()); process.exit(0); }, 3000);' "$port"
lines=$(grep -c "accept on" "$WORK/fd.log")
ok "running out of descriptors is logged a few times, not in a loop ($lines lines)" \
	test "$lines" -ge 1 -a "$lines" -le 10
cpu=$(awk '{ print $14 + $15 }' "/proc/$SSOGW_PID/stat")
ok "and does not spin (CPU ticks $cpu)" test "$cpu" -lt 150
ok "service resumes once descriptors are free" \
	wait_for sh -c "curl -sk --max-time 5 -o /dev/null -w '%{http_code}' https://localhost:$port/nope | grep -q 404"
stop_ssogw TERM
