#!/bin/sh
# t_saml_metadata.sh - the IdP's SAML metadata kept fresh by ssogw
# (src/idp_meta.c, src/net/fetch.c), with a real IdP (SimpleSAMLphp,
# tests/integration/saml_idp.sh) in front of the nginx echo backend:
#   metadata_url to the IdP: a full SP-initiated login; the IdP rotates its
#     key and, after metadata_refresh (2 s here), a login signed with the
#     new key works without a restart or a reload;
#   metadata_url to a static nginx: a garbage document and a 500 keep the
#     metadata in use (logins go on) with a warning; the copy kept in
#     state_dir lets a restart sign users in while that server is down;
#   validUntil: metadata that expires gets sign-in a 503 page, and one
#     that has expired already is refused at once;
#   metadata_file: a file rewritten with the IdP's new key is read again
#     after metadata_refresh (before that, the new key is refused).
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/saml_idp.sh"

if ! saml_idp_available; then
	skip "IdP metadata refresh with a real IdP" "$SAML_IDP_WHY"
	exit 0
fi
bport=$(free_port)
ok "the backend starts" start_nginx_backend "$bport"
port=$(free_port)
base=https://localhost:$port
iport=$(free_port)
ok "the IdP starts" start_saml_idp "$iport" "$base/ssogw/saml/metadata" "$base/ssogw/saml/acs" \
	"$base/ssogw/saml/slo"
make_cert
LOG=$WORK/ssogw.log
# state_dir needs a key to seal the sessions it keeps.
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$WORK/session.key"

# write_meta_conf IDP-LINES [SESSION-LINES]: ssogw in front of the backend
# with [idp corp] given by IDP-LINES.
write_meta_conf() {
	cat >"$WORK/m.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 1s

[session]
${2:-}

[app jira]
url = $base
backend = http://127.0.0.1:$bport

[idp corp]
type = saml
user_attribute = uid
$1
EOC
}

# login JAR PATH USER PASSWORD: an SP-initiated login from PATH; prints the
# ACS's "STATUS LOCATION".
login() {
	rm -f "$1"
	saml_idp_login "$1" "$base$2" "$3" "$4"
}

# login_works JAR PATH USER PASSWORD: the login ends at PATH, and the page
# then reaches the backend with the user's identity.
login_works() {
	out=$(login "$@")
	[ "$out" = "303 $base$2" ] || {
		echo "# the ACS answered: ${out:-nothing}" >&2
		return 1
	}
	curl -sk --max-time 10 -b "$1" -o "$WORK/page" -H 'Accept: text/html' "$base$2" &&
		grep -q "^X-Remote-User: $3" "$WORK/page"
}

# signed_by_only CERT OTHER: the last Response the IdP sent is signed with
# CERT's key, and not with OTHER's.
signed_by_only() {
	saml_idp_xml "$(saml_idp_field SAMLResponse)" >"$WORK/last.xml"
	[ "$(saml_idp_verify "$WORK/last.xml" "$1")" = 2 ] &&
		! saml_idp_verify "$WORK/last.xml" "$2" >/dev/null
}

# log_has TEXT: the log has TEXT (fixed string), within 10 s.
log_has() {
	for _ in $(seq 1 100); do
		grep -qF -- "$1" "$LOG" && return 0
		sleep 0.1
	done
	echo "# not in the log: $1" >&2
	return 1
}

# sign_in_page FILE: a browser's protected page request; its status, the
# page in FILE.
sign_in_page() {
	curl -sk --max-time 10 -o "$1" -w '%{http_code}' -H 'Accept: text/html' "$base/echo/x"
}

# ---- metadata_url to the IdP, and its key rollover
MD=$SAML_IDP_METADATA_URL
curl -s --max-time 10 -o "$WORK/md-key1.xml" "$MD"
key1=$SAML_IDP_CERT_PEM
mkdir -p "$WORK/state"
write_meta_conf "metadata_url = $MD
metadata_refresh = 2s" "state_dir = $WORK/state
session_key_file = $WORK/session.key"
ok "ssogw starts with metadata_url" start_ssogw "$WORK/m.conf"
pid=$SSOGW_PID
ok "the metadata is fetched and loaded, with its one signing certificate" \
	log_has "[idp corp]: metadata loaded from $MD: 1 signing certificate,"
ok "a full SP-initiated login works, the identity reaching the backend" \
	login_works "$WORK/a.jar" /echo/a alice alicepw
ok "the document is kept in state_dir, marked with its URL" \
	sh -c "grep -q 'ssogw: a saved copy of the metadata_url' '$WORK/state/idp-corp.metadata.xml' &&
	grep -qF 'entityID=\"$SAML_IDP_ENTITY_ID\"' '$WORK/state/idp-corp.metadata.xml'"
ok "... readable by all (0644)" test "$(stat -c %a "$WORK/state/idp-corp.metadata.xml")" = 644
ok "an unchanged document, fetched again, is not logged as reloaded" \
	sh -c "sleep 2.5; [ \$(grep -c 'metadata loaded' '$LOG') = 1 ] && ! grep -q 'metadata reloaded' '$LOG'"

saml_idp_rotate_key
ok "after the IdP rotates its key, the refresh reloads the metadata (new and old key)" \
	log_has "[idp corp]: metadata reloaded from $MD: 2 signing certificates"
ok "a login signed with the new key works" login_works "$WORK/b.jar" /echo/b bob bobpw
ok "... it was signed with the new key only" signed_by_only "$SAML_IDP_CERT_PEM" "$key1"
ok "... with the same ssogw process, and no configuration reload" \
	sh -c "kill -0 $pid && [ $pid = $SSOGW_PID ] && ! grep -q 'reloading configuration' '$LOG'"
# The command-line check has no keeper: it fetches metadata_url itself.
saml_idp_field SAMLResponse >"$WORK/resp.b64"
rid=$(grep -o 'InResponseTo="[^"]*"' "$WORK/last.xml" | head -n 1 | cut -d'"' -f2)
"$SSOGW" -c "$WORK/m.conf" --check-saml-response "$WORK/resp.b64" --idp corp \
	--request-id "$rid" >"$WORK/cli.out" 2>&1
ok "--check-saml-response fetches metadata_url itself and takes the new key's Response" \
	sh -c "[ $? = 0 ] && grep -q '^valid' '$WORK/cli.out'"
sed "s|^metadata_url = .*|metadata_url = http://127.0.0.1:$(free_port)/none|" "$WORK/m.conf" >"$WORK/bad.conf"
"$SSOGW" -c "$WORK/bad.conf" --check-saml-response "$WORK/resp.b64" --idp corp \
	--request-id "$rid" >"$WORK/cli.out" 2>&1
ok "... and says so when it cannot (exit 1)" \
	sh -c "[ $? = 1 ] && grep -q 'metadata from http://127.0.0.1:.*/none cannot be read' '$WORK/cli.out'"
loads=$(grep -c 'metadata \(re\)\{0,1\}loaded' "$LOG")
kill -HUP "$SSOGW_PID"
ok "a reload (SIGHUP) with the same [idp] is done" log_has "configuration reloaded"
ok "... and keeps the metadata: nothing is loaded again" \
	test "$(grep -c 'metadata \(re\)\{0,1\}loaded' "$LOG")" = "$loads"
ok "... and logins go on" login_works "$WORK/b2.jar" /echo/b2 alice alicepw
curl -s --max-time 10 -o "$WORK/md-key2.xml" "$MD"
stop_ssogw TERM

# ---- metadata_url to a static server: failures keep the metadata in use
mport=$(free_port)
mkdir -p "$WORK/meta"
cp "$WORK/md-key2.xml" "$WORK/meta/md.xml"
start_meta() {
	start_nginx metasrv "$mport" "server { listen 127.0.0.1:$mport;
		location = /md.xml {
			if (-f $WORK/meta/fail500) { return 500 'broken\n'; }
			root $WORK/meta;
		}
	}" && MPID=$!
}
ok "a static metadata server starts" start_meta
MURL=http://127.0.0.1:$mport/md.xml
mkdir -p "$WORK/state2"
write_meta_conf "metadata_url = $MURL
metadata_refresh = 2s" "state_dir = $WORK/state2
session_key_file = $WORK/session.key"
ok "ssogw starts with the static server's metadata_url" start_ssogw "$WORK/m.conf"
ok "the metadata is loaded" log_has "[idp corp]: metadata loaded from $MURL: 2 signing certificates"
ok "a login works" login_works "$WORK/c.jar" /echo/c alice alicepw

echo 'this is not XML' >"$WORK/meta/md.xml.tmp" && mv "$WORK/meta/md.xml.tmp" "$WORK/meta/md.xml"
ok "a garbage document is not used, with a warning" \
	log_has "[idp corp]: metadata from $MURL not used: "
ok "... that says the metadata in use is kept" log_has "; keeping the metadata in use (2 signing"
ok "... and logins go on" login_works "$WORK/d.jar" /echo/d bob bobpw
ok "... one warning for the streak of failures" \
	sh -c "sleep 4.5; [ \$(grep -c 'metadata from $MURL not used' '$LOG') = 1 ]"

cp "$WORK/md-key2.xml" "$WORK/meta/md.xml"
ok "the document back, the end of the failures is logged" \
	log_has "[idp corp]: metadata from $MURL can be used again (unchanged)"
touch "$WORK/meta/fail500"
ok "a 500 from the server is not used either, with a warning" \
	log_has "not used: the server answered HTTP status 500; keeping the metadata in use"
ok "... and logins go on" login_works "$WORK/e.jar" /echo/e alice alicepw
stop_ssogw TERM

kill -TERM "$MPID"
wait "$MPID" 2>/dev/null
ok "the metadata server is down" wait_for sh -c "! ss -Htln 'sport = :$mport' | grep -q ."
ok "ssogw restarts" start_ssogw "$WORK/m.conf"
ok "it loads the copy kept in state_dir" \
	log_has "[idp corp]: metadata loaded from $WORK/state2/idp-corp.metadata.xml: 2 signing"
ok "it warns that the server cannot be reached" \
	log_has "[idp corp]: metadata from $MURL not used: cannot fetch it: "
ok "a login works with the saved copy" login_works "$WORK/f.jar" /echo/f bob bobpw
stop_ssogw TERM

# ---- validUntil
rm -f "$WORK/meta/fail500"
until_in() { # SECONDS: an xs:dateTime that far from now
	date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ
}
with_until() { # TIME: md-key2.xml with validUntil=TIME on its EntityDescriptor
	sed "s/<md:EntityDescriptor /<md:EntityDescriptor validUntil=\"$1\" /" "$WORK/md-key2.xml"
}
soon=$(until_in 6)
with_until "$soon" >"$WORK/meta/md.xml"
ok "the metadata server is up again" start_meta
write_meta_conf "metadata_url = $MURL
metadata_refresh = 2s"
ok "ssogw starts with metadata that expires in 6 s" start_ssogw "$WORK/m.conf"
ok "the validUntil is logged" log_has "[idp corp]: metadata loaded from $MURL: 2 signing certificates, valid until $soon"
ok "before it, a login works" login_works "$WORK/g.jar" /echo/g alice alicepw
sleep 7
code=$(sign_in_page "$WORK/expired.html")
ok "after it, sign-in gets 503" test "$code" = 503
ok "... with a page that says the metadata expired" grep -q "metadata has expired" "$WORK/expired.html"
ok "... and a log line" log_has "[idp corp]: the metadata expired at $soon (its validUntil)"
ok "... and the refetched document, past its validUntil, is refused" \
	log_has "not used: its validUntil $soon has passed"
stop_ssogw TERM

past=$(until_in -3600)
with_until "$past" >"$WORK/meta/md.xml"
ok "ssogw starts with metadata whose validUntil has passed" start_ssogw "$WORK/m.conf"
ok "it is refused, with a warning" \
	log_has "[idp corp]: metadata from $MURL not used: its validUntil $past has passed; sign-in"
code=$(sign_in_page "$WORK/none.html")
ok "sign-in gets 503" test "$code" = 503
ok "... with a page that says the metadata could not be loaded" \
	grep -q "metadata could not be loaded" "$WORK/none.html"
stop_ssogw TERM

# ---- metadata_file rewritten with the new key
cp "$WORK/md-key1.xml" "$WORK/idp-md.xml"
write_meta_conf "metadata_file = $WORK/idp-md.xml
metadata_refresh = 2s"
ok "ssogw starts with a metadata file that has only the old key" start_ssogw "$WORK/m.conf"
ok "the file is loaded" log_has "[idp corp]: metadata loaded from $WORK/idp-md.xml: 1 signing certificate,"
out=$(login "$WORK/h.jar" /echo/h alice alicepw)
ok "a login signed with the new key is refused (403)" sh -c "echo '$out' | grep -q '^403'"
cp "$WORK/md-key2.xml" "$WORK/idp-md.xml.tmp" && mv "$WORK/idp-md.xml.tmp" "$WORK/idp-md.xml"
ok "the rewritten file is read again after metadata_refresh" \
	log_has "[idp corp]: metadata reloaded from $WORK/idp-md.xml: 2 signing"
ok "now the login works" login_works "$WORK/i.jar" /echo/i alice alicepw

# ---- a reload that changes the source: the [idp] section's own values
write_meta_conf "entity_id = $SAML_IDP_ENTITY_ID
sso_url = $SAML_IDP_SSO_URL
certificate = $key1"
kill -HUP "$SSOGW_PID"
ok "a reload to explicit values with the old certificate builds them" \
	log_has "[idp corp]: metadata loaded from its [idp] section: 1 certificate file, no validUntil"
out=$(login "$WORK/j.jar" /echo/j alice alicepw)
ok "... and the new key's login is refused (403): the file's metadata is gone" \
	sh -c "echo '$out' | grep -q '^403'"
write_meta_conf "entity_id = $SAML_IDP_ENTITY_ID
sso_url = $SAML_IDP_SSO_URL
certificate = $SAML_IDP_CERT_PEM"
kill -HUP "$SSOGW_PID"
ok "a reload with the new certificate builds them again" \
	wait_for at_least 2 "$LOG" 'metadata loaded from its \[idp\] section'
ok "... and the login works" login_works "$WORK/k.jar" /echo/k bob bobpw
stop_ssogw TERM
ok "ssogw stops cleanly (status 0)" test "$SSOGW_RC" = 0
