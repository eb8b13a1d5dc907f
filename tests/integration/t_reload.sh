#!/bin/sh
# t_reload.sh - SIGHUP builds a new configuration and keeps the running one
# when the new one is broken; the daemon never stops listening.
. "$(dirname "$0")/harness.sh"

port=$(free_port)
write_conf "$WORK/c.conf" "$port"
ok "starts" start_ssogw "$WORK/c.conf"

# A good change: debug logging switched on by reload.
sed -i 's/^drain_timeout = 2s/drain_timeout = 2s\nlog_level = debug/' "$WORK/c.conf"
kill -HUP "$SSOGW_PID"
ok "a good reload is logged" wait_for contains "$WORK/ssogw.log" "configuration reloaded"
curl -sk --max-time 3 "https://127.0.0.1:$port/" >/dev/null 2>&1
ok "the reloaded log_level takes effect" wait_for contains "$WORK/ssogw.log" "debug: 127.0.0.1: 421"

# A broken change: the old configuration stays, with the reasons logged.
cp "$WORK/c.conf" "$WORK/c.good"
printf 'max_headers = lots\n' >>"$WORK/c.conf"
sed -i 's/^type = saml/type = ldap/' "$WORK/c.conf"
kill -HUP "$SSOGW_PID"
ok "a broken reload is refused" wait_for contains "$WORK/ssogw.log" "reload failed: keeping the running configuration"
ok "the refusal names file and line of each error" \
	grep -q "c.conf:[0-9]*: type: invalid value \"ldap\": expected one of: saml, oidc" "$WORK/ssogw.log"
ok "still running after a broken reload" alive "$SSOGW_PID"
ok "still listening after a broken reload" listening "$port"
curl -sk --max-time 3 "https://127.0.0.1:$port/" >/dev/null 2>&1
ok "the old configuration still applies (debug still on)" \
	wait_for at_least 2 "$WORK/ssogw.log" 'debug: 127.0.0.1: 421'

# A config file that disappeared: also refused.
mv "$WORK/c.conf" "$WORK/c.moved"
kill -HUP "$SSOGW_PID"
ok "a missing config file on reload is refused" \
	wait_for at_least 2 "$WORK/ssogw.log" 'reload failed'
ok "still running after a missing file" alive "$SSOGW_PID"

# Listener changes need a restart: said, and the old listener stays.
port2=$(free_port)
sed "s/127.0.0.1:$port/127.0.0.1:$port2/" "$WORK/c.good" >"$WORK/c.conf"
kill -HUP "$SSOGW_PID"
ok "a listener change is reported as needing a restart" \
	wait_for contains "$WORK/ssogw.log" "listen addresses or workers changed: they take effect after a restart"
ok "the old listener stays" listening "$port"

stop_ssogw TERM
ok "SIGTERM after reloads exits 0" test "$SSOGW_RC" -eq 0
