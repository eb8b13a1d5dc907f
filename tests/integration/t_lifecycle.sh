#!/bin/sh
# t_lifecycle.sh - start, accept, stop; privileges; pid and log files.
. "$(dirname "$0")/harness.sh"

port=$(free_port)
write_conf "$WORK/a.conf" "$port" "pid_file = $WORK/ssogw.pid
log_file = $WORK/file.log"

ok "starts in the foreground" start_ssogw "$WORK/a.conf"
ok "listens on its port" listening "$port"
ok "writes the pid file with its pid" test "$(cat "$WORK/ssogw.pid" 2>/dev/null)" = "$SSOGW_PID"
ok "logs to the log file too" wait_for contains "$WORK/file.log" "listening on 127.0.0.1:$port"
ok "logs to stderr in the foreground" contains "$WORK/ssogw.log" "listening on 127.0.0.1:$port"

# Log rotation: move the file away, SIGUSR1, new lines go to a new file.
mv "$WORK/file.log" "$WORK/file.log.1"
kill -USR1 "$SSOGW_PID"
ok "SIGUSR1 reopens the log file at its path" wait_for contains "$WORK/file.log" "log file reopened"

stop_ssogw TERM
ok "SIGTERM exits 0" test "$SSOGW_RC" -eq 0
ok "no longer listens after SIGTERM" sh -c "! ss -Htln 'sport = :$port' | grep -q ."
ok "removes its pid file" test ! -e "$WORK/ssogw.pid"
ok "says it drained" contains "$WORK/ssogw.log" "no longer accepting"

ok "starts again on the same port" start_ssogw "$WORK/a.conf"
stop_ssogw INT
ok "SIGINT exits 0" test "$SSOGW_RC" -eq 0

# -d: debug lines; an accepted connection is logged and closed.
ok "starts with -d" start_ssogw "$WORK/a.conf" -d
curl -sk --max-time 3 "https://127.0.0.1:$port/" >/dev/null 2>&1
ok "-d logs why a request was refused" wait_for contains "$WORK/ssogw.log" "debug: 127.0.0.1: 421 no application is served at 127.0.0.1"
stop_ssogw TERM

# Under journald: "<N>" priority prefixes when JOURNAL_STREAM names stderr.
: >"$WORK/journal.log"
js=$(stat -c '%d:%i' "$WORK/journal.log")
JOURNAL_STREAM=$js "$SSOGW" -f -c "$WORK/a.conf" 2>>"$WORK/journal.log" &
pid=$!
STARTED_PIDS="$STARTED_PIDS $pid"
ok "under journald, lines carry <6> for info" wait_for grep -q '^<6>info: listening on' "$WORK/journal.log"
kill -TERM "$pid"
wait "$pid"
ok "under journald, no timestamp is added" sh -c "! grep -q '^20[0-9][0-9]-' '$WORK/journal.log'"

# A port that is taken: a clear error, exit 1.
write_conf "$WORK/busy.conf" "$port"
ok "holder starts" start_ssogw "$WORK/a.conf"
holder=$SSOGW_PID
"$SSOGW" -f -c "$WORK/busy.conf" 2>"$WORK/busy.log"
ok "a second daemon on a taken port exits 1" test $? -eq 1
ok "and names the address and line" grep -q "busy.conf:2: cannot listen on 127.0.0.1:$port: Address already in use" "$WORK/busy.log"
SSOGW_PID=$holder
stop_ssogw TERM

# Without -f: detaches, keeps running, stops on SIGTERM.
"$SSOGW" -c "$WORK/a.conf" 2>"$WORK/detach.err"
ok "without -f the command returns 0 at once" test $? -eq 0
ok "the detached daemon writes its pid file" wait_for test -s "$WORK/ssogw.pid"
dpid=$(cat "$WORK/ssogw.pid" 2>/dev/null || echo 0)
STARTED_PIDS="$STARTED_PIDS $dpid"
ok "the detached daemon listens" wait_for listening "$port"
kill -TERM "$dpid" 2>/dev/null
ok "the detached daemon stops on SIGTERM" wait_for sh -c "! kill -0 $dpid 2>/dev/null"
ok "and removes its pid file" test ! -e "$WORK/ssogw.pid"

# Privilege drop (root only): binds first, then runs as the configured user.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$WORK"
	chmod 644 "$WORK/key.pem"
	write_conf "$WORK/user.conf" "$port" "user = nobody"
	ok "starts as root with user = nobody" start_ssogw "$WORK/user.conf"
	uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$SSOGW_PID/status")
	nobody=$(id -u nobody)
	ok "runs as nobody (real, effective, saved, fs uid)" test "$uid" = "$nobody $nobody $nobody $nobody"
	ok "still listens after dropping privileges" listening "$port"
	stop_ssogw TERM
	ok "stops with 0 as nobody" test "$SSOGW_RC" -eq 0
else
	skip "privilege drop" "needs root and a nobody user"
fi
