#!/bin/sh
# t_notify.sh - the sd_notify protocol, against a stand-in notify socket.
. "$(dirname "$0")/harness.sh"

sock=$WORK/notify.sock
"$TOOLS/sd_listen" "$sock" 20 >"$WORK/notify.out" &
STARTED_PIDS="$STARTED_PIDS $!"
wait_for test -S "$sock"

port=$(free_port)
write_conf "$WORK/n.conf" "$port"
export NOTIFY_SOCKET=$sock WATCHDOG_USEC=200000
ok "starts under a notify socket" start_ssogw "$WORK/n.conf"
ok "sends READY=1 once listening" wait_for grep -qx 'READY=1' "$WORK/notify.out"
ok "sends WATCHDOG=1 at half the interval" wait_for at_least 3 "$WORK/notify.out" '^WATCHDOG=1$'
kill -HUP "$SSOGW_PID"
ok "sends RELOADING=1 with MONOTONIC_USEC on SIGHUP" wait_for grep -q '^RELOADING=1|MONOTONIC_USEC=[0-9]*$' "$WORK/notify.out"
ok "sends READY=1 again after the reload" wait_for at_least 2 "$WORK/notify.out" '^READY=1$'
stop_ssogw TERM
ok "sends STOPPING=1 on SIGTERM" wait_for grep -qx 'STOPPING=1' "$WORK/notify.out"
ok "exits 0" test "$SSOGW_RC" -eq 0

unset WATCHDOG_USEC
export WATCHDOG_PID=1
: >"$WORK/notify.out"
ok "starts with a watchdog meant for another pid" start_ssogw "$WORK/n.conf"
sleep 0.5
ok "sends no WATCHDOG=1 meant for another process" sh -c "! grep -q WATCHDOG '$WORK/notify.out'"
stop_ssogw TERM
