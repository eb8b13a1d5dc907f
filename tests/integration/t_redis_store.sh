#!/bin/sh
# t_redis_store.sh - the redis session store (session/store_redis.c over
# net/redis.c) against Debian's redis-server on a free loopback port, driven
# by build/tools/redis_store_check (whose TAP lines are relayed here):
#   - sessions, TTLs, touch, indexes and del_index, blobs, marks, a reply
#     over the size bound, SELECT of the configured database;
#   - Redis not there: every operation is unavailable, logged once;
#   - Redis killed and restarted under a running store: unavailable, then
#     recovery without a restart of ours, "unreachable" and "reachable
#     again" logged once each;
#   - requirepass: the right password works, a wrong or missing one is
#     unavailable, and the password never reaches the log;
#   - rediss://: a certificate from store_ca_file works, another CA or a
#     certificate for another address does not (skipped, with the reason,
#     if this redis-server has no TLS).
. "$(dirname "$0")/harness.sh"

REDIS=$(command -v redis-server || echo /usr/bin/redis-server)
CHECK=$TOOLS/redis_store_check

if [ ! -x "$REDIS" ]; then
	skip "redis session store" "redis-server is not installed (apt-get install redis-server)"
	exit 0
fi
if [ ! -x "$CHECK" ]; then
	echo "not ok 1 - $CHECK is missing (make tools)"
	exit 1
fi
head -c 32 /dev/urandom >"$WORK/session.key"

# start_redis NAME PORT [ARGS...]: a redis-server in the foreground, in
# $WORK/NAME, bound to 127.0.0.1 (PORT: where it listens, plain or TLS);
# waits until it listens.  Sets REDIS_PID.
start_redis() {
	name=$1
	rport=$2
	shift 2
	mkdir -p "$WORK/$name"
	"$REDIS" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		--dir "$WORK/$name" "$@" >>"$WORK/$name/redis.log" 2>&1 &
	REDIS_PID=$!
	STARTED_PIDS="$STARTED_PIDS $REDIS_PID"
	wait_for listening "$rport"
}

# stop_redis: stops the redis-server started last and waits for it.
stop_redis() {
	kill -TERM "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
}

# store_conf FILE STORE [EXTRA-SESSION-LINES [STORE-TIMEOUT]]: a valid
# configuration whose [session] uses STORE.
store_conf() {
	write_conf "$1" "$(free_port)"
	cat >>"$1" <<EOC

[session]
store = $2
session_key_file = $WORK/session.key
store_timeout = ${4:-500ms}
idle_timeout = 10m
absolute_timeout = 1h
${3:-}
EOC
}

# relay NAME FILE: the tool's TAP lines, renumbered into ours.
relay() {
	while IFS= read -r line; do
		case "$line" in
		"ok "*)
			TESTNO=$((TESTNO + 1))
			echo "ok $TESTNO - $1: ${line#* - }"
			;;
		"not ok "*)
			TESTNO=$((TESTNO + 1))
			echo "not ok $TESTNO - $1: ${line#* - }"
			;;
		*) echo "$line" ;;
		esac
	done <"$2"
}

# run_check NAME CONF PHASE [DIR]: runs one phase of the tool; its lines
# are relayed, its stderr is kept in $WORK/NAME.err, and its exit status
# is one more check.
run_check() {
	"$CHECK" "$2" "$3" ${4:-} >"$WORK/$1.out" 2>"$WORK/$1.err"
	rc=$?
	relay "$1" "$WORK/$1.out"
	ok "$1: redis_store_check $3 exits 0" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || sed 's/^/# stderr: /' "$WORK/$1.err"
}

# lines N FILE TEXT: FILE has exactly N lines holding TEXT.
lines() {
	n=$(grep -cF -- "$3" "$2")
	[ "$n" -eq "$1" ] && return 0
	echo "# wanted $1 line(s) with '$3' in $2, got $n" >&2
	return 1
}

# ---- plain redis:// with SELECT ----
PORT=$(free_port)
start_redis main "$PORT" --enable-debug-command local
# A longer timeout: a 17 MiB reply must meet the size bound, not the
# deadline, even on a slow (sanitized) build.
store_conf "$WORK/basic.conf" "redis://127.0.0.1:$PORT/3" "" 2s
run_check basic "$WORK/basic.conf" basic
ok "basic: the oversized reply is logged" contains "$WORK/basic.err" "a reply larger than"
ok "basic: and the recovery" contains "$WORK/basic.err" "reachable again"
ok "SELECT: sessions went to database 3" [ "$(redis-cli -p "$PORT" -n 3 DBSIZE)" -gt 0 ]
ok "SELECT: database 0 stayed empty" [ "$(redis-cli -p "$PORT" -n 0 DBSIZE)" -eq 0 ]

# ---- Redis killed and restarted under a running store ----
mkdir -p "$WORK/o"
store_conf "$WORK/outage.conf" "redis://127.0.0.1:$PORT/0"
"$CHECK" "$WORK/outage.conf" outage "$WORK/o" >"$WORK/outage.out" 2>"$WORK/outage.err" &
TOOL_PID=$!
STARTED_PIDS="$STARTED_PIDS $TOOL_PID"
wait_for test -e "$WORK/o/step1" || wait_for test -e "$WORK/o/step1"
stop_redis
touch "$WORK/o/go1"
wait_for test -e "$WORK/o/step2" || wait_for test -e "$WORK/o/step2"
start_redis main "$PORT" --enable-debug-command local
touch "$WORK/o/go2"
wait "$TOOL_PID"
rc=$?
relay outage "$WORK/outage.out"
ok "outage: redis_store_check outage exits 0" [ "$rc" -eq 0 ]
ok "outage: 'unreachable' logged once" lines 1 "$WORK/outage.err" "unreachable"
ok "outage: 'reachable again' logged once" lines 1 "$WORK/outage.err" "reachable again"
ok "outage: the log names the store" contains "$WORK/outage.err" "redis store 127.0.0.1:$PORT unreachable"
stop_redis

# ---- nothing listening ----
DEAD=$(free_port)
store_conf "$WORK/down.conf" "redis://127.0.0.1:$DEAD"
run_check down "$WORK/down.conf" down
ok "down: 'unreachable' logged once for seven failures" lines 1 "$WORK/down.err" "unreachable"

# ---- requirepass ----
PW=pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
PORT=$(free_port)
start_redis auth "$PORT" --requirepass "$PW"
printf '%s\n' "$PW" >"$WORK/redis.password"
store_conf "$WORK/pw.conf" "redis://127.0.0.1:$PORT" "store_password = @$WORK/redis.password"
run_check password "$WORK/pw.conf" ok
store_conf "$WORK/badpw.conf" "redis://127.0.0.1:$PORT" "store_password = wrong-$PW"
run_check badpassword "$WORK/badpw.conf" down
ok "badpassword: Redis's refusal is logged" contains "$WORK/badpassword.err" "WRONGPASS"
ok "badpassword: the password is not" sh -c "! grep -qF -- '$PW' '$WORK/badpassword.err'"
store_conf "$WORK/nopw.conf" "redis://127.0.0.1:$PORT"
run_check nopassword "$WORK/nopw.conf" down
ok "nopassword: NOAUTH is logged" contains "$WORK/nopassword.err" "NOAUTH"
stop_redis

# ---- rediss:// ----
T=$WORK/tls
mkdir -p "$T"
# certs NAME IP: a key and certificate for IP, signed by our test CA.
certs() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=IP:%s\n' "$2" >"$T/$1.ext" &&
		openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
			-CAcreateserial -days 1 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=ssogw-test-ca -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
certs good 127.0.0.1
certs other 127.0.0.2
make_cert # a self-signed certificate: "another CA"
PORT=$(free_port)
if ! start_redis tls "$PORT" --port 0 --tls-port "$PORT" --tls-cert-file "$T/good.pem" \
	--tls-key-file "$T/good.key" --tls-ca-cert-file "$T/ca.pem" --tls-auth-clients no; then
	why=$(grep -m1 -i tls "$WORK/tls/redis.log" || echo "it did not start with --tls-port")
	skip "rediss:// store" "this redis-server has no TLS: $why"
	exit 0
fi
store_conf "$WORK/tls.conf" "rediss://127.0.0.1:$PORT/0" "store_ca_file = $T/ca.pem"
run_check tls "$WORK/tls.conf" ok
store_conf "$WORK/tlsca.conf" "rediss://127.0.0.1:$PORT/0" "store_ca_file = $WORK/cert.pem"
run_check tls-other-ca "$WORK/tlsca.conf" down
ok "tls-other-ca: the verification failure is logged" \
	contains "$WORK/tls-other-ca.err" "certificate verify failed"
stop_redis
start_redis tls2 "$PORT" --port 0 --tls-port "$PORT" --tls-cert-file "$T/other.pem" \
	--tls-key-file "$T/other.key" --tls-ca-cert-file "$T/ca.pem" --tls-auth-clients no
run_check tls-other-name "$WORK/tls.conf" down
ok "tls-other-name: a certificate for another address is refused" \
	contains "$WORK/tls-other-name.err" "IP address mismatch"
stop_redis
