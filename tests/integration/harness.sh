# harness.sh - sourced by every tests/integration/t_*.sh scenario.
#
# Gives each scenario a private work folder, a throwaway TLS certificate,
# free loopback ports and a config writer; starts ssogw (and anything else)
# in the background, records every PID it starts, and at exit stops exactly
# those, nothing else.  Results are printed TAP-style, "ok N - what" or
# "not ok N - what", which tests/run.sh counts.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SSOGW=$TOP/ssogw
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

# free_port: a TCP port on 127.0.0.1 nobody listens on.
free_port() {
	while :; do
		port=$(( (($$ * 7919) + $(od -An -N2 -tu2 /dev/urandom)) % 30000 + 20000 ))
		if ! ss -Htln "sport = :$port" | grep -q .; then
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

# at_least N FILE REGEX: FILE has at least N lines matching REGEX (re-read
# on every call, so it can be polled with wait_for).
at_least() {
	[ "$(grep -c -- "$3" "$2")" -ge "$1" ]
}
