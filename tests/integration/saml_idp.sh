# saml_idp.sh - sourced after harness.sh: a real SAML 2.0 IdP on loopback.
#
# Debian's SimpleSAMLphp 1.19 (/usr/share/simplesamlphp) under a private
# Apache httpd (apache2 + libapache2-mod-php, mpm_prefork), all of it in
# $WORK/idp: its own httpd.conf, ServerRoot, PidFile, logs, PHP session
# files and SimpleSAMLphp config directory (SetEnv SIMPLESAMLPHP_CONFIG_DIR,
# the override that SimpleSAML\Utils\Config::getConfigDir() reads before
# its default config/ -> /etc/simplesamlphp).  Nothing under /etc/apache2
# or /etc/simplesamlphp is read or changed (only mod_php's own php.ini and
# /etc/mime.types are read), no system apache is needed, and nothing but
# 127.0.0.1:PORT is listened on.  Needs apache2, libapache2-mod-php,
# php-xml (DOM: Debian's simplesamlphp does not pull it in) and
# simplesamlphp: scripts/deps.sh check; saml_idp_available says whether
# they are there.  As root, Apache's children run as www-data, so $WORK
# becomes 0711 and $WORK/idp world-readable.
#
# Plain HTTP by default: curl, the SAML bindings and a metadata fetch need
# no CA, and SimpleSAMLphp's cookies are set without Secure.  With
# SAML_IDP_SCHEME=https set before start_saml_idp, Apache serves TLS with
# the harness's make_cert pair ($WORK/cert.pem is then the CA to trust).
#
# What the IdP sends (SAML 2.0, HTTP-POST binding to the ACS):
#   Response and Assertion both signed, RSA-SHA256 (rsa-sha256 + sha256
#     digests), the signing certificate in ds:KeyInfo;
#   NameID Format urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress,
#     value = the mail attribute (alice@example.test), SPNameQualifier = the
#     SP's entity ID (also when the AuthnRequest asks for another format);
#   attributes with NameFormat urn:oasis:names:tc:SAML:2.0:attrname-format:basic
#     and these names:  uid, mail, displayName, groups (multi-valued).
# Users (exampleauth:UserPass, auth source "example-userpass"):
#   alice / alicepw  uid=alice mail=alice@example.test displayName="Alice Example"
#                    groups=jira-users,jira-administrators
#   bob   / bobpw    uid=bob   mail=bob@example.test   displayName="Bob Example"
#                    groups=jira-users
# Logout: the IdP signs its LogoutRequest/LogoutResponse (sign.logout) and
# sends them to the SP's SLO URL with the HTTP-Redirect binding.  With an
# SP certificate given, the IdP requires signed AuthnRequests and logout
# messages from the SP (validate.authnrequest, validate.logout) and, with
# SAML_IDP_ENCRYPT=1, encrypts assertions to that certificate.
#
# After start_saml_idp, these variables (and functions of the same names in
# lower case, printing them) describe the IdP:
#   SAML_IDP_ENTITY_ID     = SAML_IDP_METADATA_URL
#   SAML_IDP_METADATA_URL  BASE/saml2/idp/metadata.php
#   SAML_IDP_SSO_URL       BASE/saml2/idp/SSOService.php   (Redirect and POST)
#   SAML_IDP_SLO_URL       BASE/saml2/idp/SingleLogoutService.php (same)
#   SAML_IDP_CERT_PEM      the signing certificate in use (PEM file)
#   SAML_IDP_OLD_CERT_PEM  after saml_idp_rotate_key, the one before
#   SAML_IDP_BASE          SCHEME://127.0.0.1:PORT/simplesaml
#   SAML_IDP_PID           Apache's parent process, leader of its own group
#   SAML_IDP_DIR           $WORK/idp (logs in log/: error.log, access.log,
#                          simplesamlphp.log, php.log)
#
# Functions (each documented where it is defined):
#   saml_idp_available, start_saml_idp, saml_idp_add_sp, saml_idp_stop,
#   saml_idp_rotate_key, saml_idp_cert_b64,
#   saml_idp_login_response, saml_idp_login, saml_idp_idp_initiated,
#   saml_idp_post_to_sp, saml_idp_field, saml_idp_follow, saml_idp_logout,
#   saml_idp_xml, saml_idp_redirect_xml, saml_idp_redirect_encode,
#   saml_idp_verify.
# This file adds an EXIT trap that runs saml_idp_stop, then the harness's
# cleanup.

SAML_IDP_DIR=$WORK/idp
SAML_IDP_SCHEME=${SAML_IDP_SCHEME:-http}
SAML_IDP_ENCRYPT=${SAML_IDP_ENCRYPT:-0}
SAML_IDP_HOME=/usr/share/simplesamlphp
SAML_IDP_PORT=
SAML_IDP_PID=
SAML_IDP_BASE=
SAML_IDP_ENTITY_ID=
SAML_IDP_METADATA_URL=
SAML_IDP_SSO_URL=
SAML_IDP_SLO_URL=
SAML_IDP_CERT_PEM=
SAML_IDP_KEY_PEM=
SAML_IDP_OLD_CERT_PEM=
SAML_IDP_KEYNO=0
SAML_IDP_WHY=

saml_idp_entity_id() { echo "$SAML_IDP_ENTITY_ID"; }
saml_idp_metadata_url() { echo "$SAML_IDP_METADATA_URL"; }
saml_idp_sso_url() { echo "$SAML_IDP_SSO_URL"; }
saml_idp_slo_url() { echo "$SAML_IDP_SLO_URL"; }
saml_idp_cert_pem() { echo "$SAML_IDP_CERT_PEM"; }

# The IdP is a process group of its own: stop it all, before the harness's
# cleanup removes $WORK.
trap 'saml_idp_stop; cleanup' EXIT
# Its own session also keeps it from a terminal's hangup and a closed
# output pipe's SIGPIPE, which would kill this script without the EXIT
# trap: on those, exit through it too.
trap 'exit 1' HUP PIPE

# saml_idp_available: the packages are there; else says why in SAML_IDP_WHY
# (for a skip).
saml_idp_available() {
	SAML_IDP_WHY=
	[ -x /usr/sbin/apache2 ] || SAML_IDP_WHY="no apache2"
	[ -n "$(_saml_idp_php_module)" ] || SAML_IDP_WHY="$SAML_IDP_WHY no libapache2-mod-php"
	[ -f "$SAML_IDP_HOME/www/saml2/idp/SSOService.php" ] || SAML_IDP_WHY="$SAML_IDP_WHY no simplesamlphp"
	command -v php >/dev/null 2>&1 && php -r 'exit(class_exists("DOMDocument") ? 0 : 1);' ||
		SAML_IDP_WHY="$SAML_IDP_WHY no php-xml"
	[ -z "$SAML_IDP_WHY" ] && return 0
	SAML_IDP_WHY="not installed:$SAML_IDP_WHY (scripts/deps.sh check)"
	return 1
}

_saml_idp_php_module() {
	for _si_m in /usr/lib/apache2/modules/libphp*.so; do
		[ -f "$_si_m" ] && echo "$_si_m" && return
	done
}

# _saml_idp_php_str TEXT: TEXT as a single-quoted PHP string.
_saml_idp_php_str() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/[\\\\']/\\\\&/g")"
}

# _saml_idp_keypair: a new RSA-2048 signing key and self-signed certificate;
# sets SAML_IDP_KEY_PEM and SAML_IDP_CERT_PEM.
_saml_idp_keypair() {
	SAML_IDP_KEYNO=$((SAML_IDP_KEYNO + 1))
	_si_k=$SAML_IDP_DIR/keys/idp$SAML_IDP_KEYNO-key.pem
	_si_c=$SAML_IDP_DIR/keys/idp$SAML_IDP_KEYNO-cert.pem
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
		-subj "/CN=ssogw test IdP key $SAML_IDP_KEYNO" -keyout "$_si_k" -out "$_si_c" 2>/dev/null || return 1
	chmod 644 "$_si_k" "$_si_c" # the PHP workers (www-data when we are root) read them
	SAML_IDP_KEY_PEM=$_si_k
	SAML_IDP_CERT_PEM=$_si_c
}

# _saml_idp_put FILE: stdin replaces FILE in one rename (no request reads a
# half-written file).
_saml_idp_put() {
	cat >"$1.tmp" && chmod 644 "$1.tmp" && mv -f "$1.tmp" "$1"
}

# _saml_idp_write_hosted: saml20-idp-hosted.php for the current key.  After
# a rotation the previous certificate is published too, as the entry that
# SimpleSAMLphp lists after the signing one ("https.certificate": a signing
# key, not for encryption); so the metadata lists the new one first.
_saml_idp_write_hosted() {
	_si_old=
	[ -n "$SAML_IDP_OLD_CERT_PEM" ] &&
		_si_old="'https.certificate' => $(_saml_idp_php_str "$SAML_IDP_OLD_CERT_PEM"),"
	_saml_idp_put "$SAML_IDP_DIR/metadata/saml20-idp-hosted.php" <<EOF
<?php
\$metadata[$(_saml_idp_php_str "$SAML_IDP_ENTITY_ID")] = [
    'host' => '__DEFAULT__',
    'auth' => 'example-userpass',
    'privatekey' => $(_saml_idp_php_str "$SAML_IDP_KEY_PEM"),
    'certificate' => $(_saml_idp_php_str "$SAML_IDP_CERT_PEM"),
    $_si_old
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'sign.logout' => true,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'mail',
    'userid.attribute' => 'uid',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'SingleSignOnServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],
    'SingleLogoutServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],
];
EOF
}

# _saml_idp_write_config SP_ENTITY_ID SP_ACS_URL SP_SLO_URL [SP_CERT_PEM]
_saml_idp_write_config() {
	_si_d=$SAML_IDP_DIR
	_si_secure=false
	[ "$SAML_IDP_SCHEME" = https ] && _si_secure=true
	_si_salt=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	_saml_idp_put "$_si_d/config/config.php" <<EOF
<?php
\$config = [
    'baseurlpath' => '$SAML_IDP_BASE/',
    'certdir' => '$_si_d/keys/',
    'loggingdir' => '$_si_d/log/',
    'datadir' => '$_si_d/data/',
    'tempdir' => '$_si_d/tmp',
    'metadatadir' => '$_si_d/metadata/',
    'attributenamemapdir' => '$_si_d/attributemap/',
    'secretsalt' => '$_si_salt',
    'auth.adminpassword' => '$_si_salt',
    'technicalcontact_name' => 'ssogw tests',
    'technicalcontact_email' => 'na@example.test',
    'timezone' => 'UTC',
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'trusted.url.domains' => null,
    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'showerrors' => true,
    'errorreporting' => false,
    'production' => true,
    'logging.level' => SimpleSAML\\Logger::INFO,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => '$_si_d/sessions',
    'session.phpsession.cookiename' => 'SimpleSAML',
    'session.cookie.name' => 'SimpleSAMLSessionID',
    'session.cookie.secure' => $_si_secure,
    'session.cookie.samesite' => null,
    'session.cookie.path' => '/simplesaml/',
    'session.duration' => 8 * 3600,
    'language.cookie.secure' => $_si_secure,
    'language.default' => 'en',
    'language.available' => ['en'],
    'assertion.allowed_clock_skew' => 180,
];
EOF
	_saml_idp_put "$_si_d/config/authsources.php" <<'EOF'
<?php
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:alicepw' => [
            'uid' => ['alice'],
            'mail' => ['alice@example.test'],
            'displayName' => ['Alice Example'],
            'groups' => ['jira-users', 'jira-administrators'],
        ],
        'bob:bobpw' => [
            'uid' => ['bob'],
            'mail' => ['bob@example.test'],
            'displayName' => ['Bob Example'],
            'groups' => ['jira-users'],
        ],
    ],
];
EOF
	printf '<?php\n' | _saml_idp_put "$_si_d/metadata/saml20-sp-remote.php"
	saml_idp_add_sp "$@"
	_saml_idp_write_hosted
}

# saml_idp_add_sp SP_ENTITY_ID SP_ACS_URL SP_SLO_URL [SP_CERT_PEM]: one
# more SP that the IdP knows (start_saml_idp adds the first), from the next
# request on.  With SP_CERT_PEM, the IdP requires that SP's AuthnRequests
# and logout messages signed, and encrypts its assertions to it when
# SAML_IDP_ENCRYPT=1 (AES-128-CBC content, RSA-OAEP key transport).
saml_idp_add_sp() {
	_si_spcert=
	if [ -n "${4:-}" ]; then
		_si_enc=false
		[ "$SAML_IDP_ENCRYPT" = 1 ] && _si_enc=true
		_si_spcert="'certificate' => $(_saml_idp_php_str "$4"),
    'validate.authnrequest' => true,
    'validate.logout' => true,
    'assertion.encryption' => $_si_enc,"
	fi
	{
		cat "$SAML_IDP_DIR/metadata/saml20-sp-remote.php"
		cat <<EOF
\$metadata[$(_saml_idp_php_str "$1")] = [
    'AssertionConsumerService' => [
        ['index' => 0, 'isDefault' => true,
         'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
         'Location' => $(_saml_idp_php_str "$2")],
    ],
    'SingleLogoutService' => [
        ['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
         'Location' => $(_saml_idp_php_str "$3")],
        ['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
         'Location' => $(_saml_idp_php_str "$3")],
    ],
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'mail',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    $_si_spcert
];
EOF
	} | _saml_idp_put "$SAML_IDP_DIR/metadata/saml20-sp-remote.php"
}

# _saml_idp_write_httpd: $SAML_IDP_DIR/httpd.conf.
_saml_idp_write_httpd() {
	_si_d=$SAML_IDP_DIR
	_si_mods=/usr/lib/apache2/modules
	_si_user= # as root, Apache runs its children as www-data (it refuses root)
	[ "$(id -u)" -eq 0 ] && _si_user="User www-data
Group www-data"
	_si_tls=
	if [ "$SAML_IDP_SCHEME" = https ]; then
		make_cert
		_si_tls="LoadModule socache_shmcb_module $_si_mods/mod_socache_shmcb.so
LoadModule ssl_module $_si_mods/mod_ssl.so
SSLSessionCache shmcb:$_si_d/run/ssl_scache(512000)
SSLEngine on
SSLCertificateFile $WORK/cert.pem
SSLCertificateKeyFile $WORK/key.pem"
		chmod 644 "$WORK/key.pem"
	fi
	cat >"$_si_d/httpd.conf" <<EOF
ServerRoot "$_si_d"
ServerName 127.0.0.1:$SAML_IDP_PORT
Listen 127.0.0.1:$SAML_IDP_PORT
PidFile $_si_d/run/httpd.pid
DefaultRuntimeDir $_si_d/run
Mutex file:$_si_d/run default
ErrorLog $_si_d/log/error.log
LogLevel warn
LogFormat "%h \"%r\" %>s %b" short
CustomLog $_si_d/log/access.log short
LoadModule mpm_prefork_module $_si_mods/mod_mpm_prefork.so
LoadModule authz_core_module $_si_mods/mod_authz_core.so
LoadModule alias_module $_si_mods/mod_alias.so
LoadModule dir_module $_si_mods/mod_dir.so
LoadModule env_module $_si_mods/mod_env.so
LoadModule mime_module $_si_mods/mod_mime.so
LoadModule php_module $(_saml_idp_php_module)
$_si_tls
$_si_user
StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 16
MaxConnectionsPerChild 0
KeepAlive On
Timeout 30
TypesConfig /etc/mime.types
DocumentRoot $_si_d/htdocs
<Directory />
	AllowOverride None
	Require all denied
</Directory>
<Directory $_si_d/htdocs>
	Require all granted
</Directory>
Alias /simplesaml $SAML_IDP_HOME/www
<Directory $SAML_IDP_HOME/www>
	Require all granted
	DirectoryIndex index.php
</Directory>
<FilesMatch "\\.php\$">
	SetHandler application/x-httpd-php
</FilesMatch>
SetEnv SIMPLESAMLPHP_CONFIG_DIR $_si_d/config
php_admin_flag opcache.enable Off
php_admin_value session.save_path $_si_d/sessions
php_admin_flag display_errors Off
php_admin_flag log_errors On
php_admin_value error_log $_si_d/log/php.log
EOF
}

# start_saml_idp PORT SP_ENTITY_ID SP_ACS_URL SP_SLO_URL [SP_CERT_PEM]: the
# IdP on 127.0.0.1:PORT for that one SP; returns once its metadata answers
# (status 1 if it did not within 10 s; see $SAML_IDP_DIR/log/).
start_saml_idp() {
	SAML_IDP_PORT=$1
	_si_d=$SAML_IDP_DIR
	mkdir -p "$_si_d/config" "$_si_d/metadata" "$_si_d/keys" "$_si_d/log" "$_si_d/tmp" "$_si_d/data" \
		"$_si_d/sessions" "$_si_d/run" "$_si_d/htdocs" "$_si_d/attributemap" "$_si_d/flow"
	SAML_IDP_BASE=$SAML_IDP_SCHEME://127.0.0.1:$SAML_IDP_PORT/simplesaml
	SAML_IDP_METADATA_URL=$SAML_IDP_BASE/saml2/idp/metadata.php
	SAML_IDP_ENTITY_ID=$SAML_IDP_METADATA_URL
	SAML_IDP_SSO_URL=$SAML_IDP_BASE/saml2/idp/SSOService.php
	SAML_IDP_SLO_URL=$SAML_IDP_BASE/saml2/idp/SingleLogoutService.php
	[ -n "$SAML_IDP_KEY_PEM" ] || _saml_idp_keypair || return 1
	_saml_idp_write_config "$2" "$3" "$4" "${5:-}"
	_saml_idp_write_httpd
	touch "$_si_d/log/simplesamlphp.log" "$_si_d/log/php.log"
	if [ "$(id -u)" -eq 0 ]; then
		# www-data must get through $WORK (0700) to its files, and write
		# its logs, sessions and temporary files.
		chmod 711 "$WORK"
		chmod -R a+rX "$_si_d"
		chown -R www-data:www-data "$_si_d/log" "$_si_d/tmp" "$_si_d/data" "$_si_d/sessions"
	fi
	# setsid: Apache and the children it forks are a process group (and
	# session) of their own, which saml_idp_stop signals as a whole.
	setsid /usr/sbin/apache2 -f "$_si_d/httpd.conf" -DFOREGROUND </dev/null >>"$_si_d/log/stderr.log" 2>&1 &
	SAML_IDP_PID=$!
	STARTED_PIDS="$STARTED_PIDS $SAML_IDP_PID"
	for _ in $(seq 1 100); do
		_si_code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$SAML_IDP_METADATA_URL")
		[ "$_si_code" = 200 ] && return 0
		alive "$SAML_IDP_PID" || break
		sleep 0.1
	done
	echo "# the SAML IdP did not come up (metadata: ${_si_code:-none}):" >&2
	tail -n 5 "$_si_d/log/stderr.log" "$_si_d/log/error.log" "$_si_d/log/simplesamlphp.log" 2>/dev/null | sed 's/^/# /' >&2
	return 1
}

# saml_idp_stop: stops Apache, its parent and every child, and waits until
# none is left.  Safe to call twice; the EXIT trap calls it.
saml_idp_stop() {
	[ -n "$SAML_IDP_PID" ] || return 0
	_si_pg=$SAML_IDP_PID
	SAML_IDP_PID=
	stop_group "$_si_pg"
}

# saml_idp_rotate_key: a new signing key and certificate; the IdP signs
# with them from the next request on, and its metadata lists the new
# certificate first (signing and encryption) and the previous one after it
# (signing).  SAML_IDP_CERT_PEM becomes the new one, SAML_IDP_OLD_CERT_PEM
# the previous.
saml_idp_rotate_key() {
	_si_prev=$SAML_IDP_CERT_PEM
	_saml_idp_keypair || return 1
	SAML_IDP_OLD_CERT_PEM=$_si_prev
	_saml_idp_write_hosted
}

# saml_idp_cert_b64 PEM: the certificate's base64 body on one line, as
# metadata and ds:X509Certificate hold it.
saml_idp_cert_b64() {
	sed -e '/-----/d' "$1" | tr -d '\n\r '
}

# _saml_idp_form FILE URL: the first HTML form of FILE (a page fetched from
# URL): "action=ABSOLUTE-URL", then "NAME=VALUE" for each hidden input.
_saml_idp_form() {
	php -r '
$d = new DOMDocument();
libxml_use_internal_errors(true);
if (!$d->loadHTML(file_get_contents($argv[1]))) exit(1);
$f = $d->getElementsByTagName("form")->item(0);
if ($f === null) exit(1);
$a = $f->getAttribute("action");
$u = parse_url($argv[2]);
$origin = $u["scheme"] . "://" . $u["host"] . (isset($u["port"]) ? ":" . $u["port"] : "");
$path = isset($u["path"]) ? $u["path"] : "/";
if ($a === "" ) $a = $argv[2];
elseif (preg_match("~^[a-z][a-z0-9+.-]*:~i", $a)) ;
elseif ($a[0] === "/") $a = $origin . $a;
elseif ($a[0] === "?") $a = $origin . $path . $a;
else $a = $origin . substr($path, 0, strrpos($path, "/") + 1) . $a;
echo "action=", $a, "\n";
foreach ($f->getElementsByTagName("input") as $i)
    if (strtolower($i->getAttribute("type")) === "hidden")
        echo $i->getAttribute("name"), "=", $i->getAttribute("value"), "\n";
' -- "$1" "$2"
}

# saml_idp_field NAME [FORM]: the value of NAME in a form as printed by
# saml_idp_login_response (default: the last one, $SAML_IDP_DIR/flow/form).
saml_idp_field() {
	sed -n "s/^$1=//p" "${2:-$SAML_IDP_DIR/flow/form}" | head -n 1
}

# _saml_idp_post_form JAR FORM: posts the NAME=VALUE form file (as
# _saml_idp_form writes it) to its action, following redirects; the page
# goes to $SAML_IDP_DIR/flow/page and the URL it came from is printed.
_saml_idp_post_form() {
	_si_pa=$(saml_idp_field action "$2")
	_si_pj=$1
	_si_pf=$2
	set --
	while IFS= read -r _si_line; do
		case "$_si_line" in
		action=*) ;;
		*=*) set -- "$@" --data-urlencode "$_si_line" ;;
		esac
	done <"$_si_pf"
	curl -sk -L --max-redirs 10 --max-time 10 -c "$_si_pj" -b "$_si_pj" -H 'Accept: text/html' \
		"$@" -o "$SAML_IDP_DIR/flow/page" -w '%{url_effective}' "$_si_pa"
}

# _saml_idp_flow JAR URL USER PASSWORD: from URL (anything that redirects
# to the IdP, or answers with a form the browser posts to it: the HTTP-POST
# binding; or the IdP's own SSO URL), through SimpleSAMLphp's login form
# (unless JAR already holds an IdP session), to the auto-POST form for the
# SP; that form goes to $SAML_IDP_DIR/flow/form.
_saml_idp_flow() {
	_si_f=$SAML_IDP_DIR/flow
	mkdir -p "$_si_f"
	rm -f "$_si_f/form"
	_si_eff=$(curl -sk -L --max-redirs 10 --max-time 10 -c "$1" -b "$1" -H 'Accept: text/html' \
		-o "$_si_f/page" -w '%{url_effective}' "$2") || {
		echo "# saml_idp: GET $2 failed" >&2
		return 1
	}
	_saml_idp_form "$_si_f/page" "$_si_eff" >"$_si_f/page.form" 2>/dev/null
	if grep -q '^SAMLRequest=' "$_si_f/page.form"; then
		mv "$_si_f/page.form" "$_si_f/sp-request"
		_si_eff=$(_saml_idp_post_form "$1" "$_si_f/sp-request") || {
			echo "# saml_idp: posting the SP's AuthnRequest failed" >&2
			return 1
		}
		_saml_idp_form "$_si_f/page" "$_si_eff" >"$_si_f/page.form" 2>/dev/null
	fi
	if ! grep -q '^SAMLResponse=' "$_si_f/page.form"; then
		if ! grep -q '^AuthState=' "$_si_f/page.form"; then
			echo "# saml_idp: no login form at $_si_eff" >&2
			return 1
		fi
		_si_action=$(saml_idp_field action "$_si_f/page.form")
		_si_eff=$(curl -sk -L --max-redirs 10 --max-time 10 -c "$1" -b "$1" -H 'Accept: text/html' \
			--data-urlencode "username=$3" --data-urlencode "password=$4" \
			--data-urlencode "AuthState=$(saml_idp_field AuthState "$_si_f/page.form")" \
			-o "$_si_f/page" -w '%{url_effective}' "$_si_action") || {
			echo "# saml_idp: POST $_si_action failed" >&2
			return 1
		}
		_saml_idp_form "$_si_f/page" "$_si_eff" >"$_si_f/page.form" 2>/dev/null
		if ! grep -q '^SAMLResponse=' "$_si_f/page.form"; then
			echo "# saml_idp: no SAMLResponse after the login of $3 (wrong password?)" >&2
			return 1
		fi
	fi
	mv "$_si_f/page.form" "$_si_f/form"
}

# saml_idp_login_response JAR URL USER PASSWORD: signs USER in at the IdP,
# from URL (an SP page that redirects to the IdP with an AuthnRequest), and
# prints the IdP's auto-POST form for the SP, one "NAME=VALUE" a line:
#   action=THE-SP's-ACS-URL
#   SAMLResponse=BASE64
#   RelayState=VALUE          (when there is one)
# Status 1 (and nothing printed) if the login failed.  The form stays in
# $SAML_IDP_DIR/flow/form for saml_idp_field and saml_idp_post_to_sp.
saml_idp_login_response() {
	_saml_idp_flow "$@" && cat "$SAML_IDP_DIR/flow/form"
}

# saml_idp_idp_initiated JAR USER PASSWORD SP_ENTITY_ID [RELAYSTATE]: an
# IdP-initiated login (SSOService.php?spentityid=...); prints the form
# like saml_idp_login_response.
saml_idp_idp_initiated() {
	_si_q="spentityid=$(_saml_idp_urlencode "$4")"
	[ -n "${5:-}" ] && _si_q="$_si_q&RelayState=$(_saml_idp_urlencode "$5")"
	saml_idp_login_response "$1" "$SAML_IDP_SSO_URL?$_si_q" "$2" "$3"
}

# saml_idp_post_to_sp JAR [FORM]: posts the form (default: the last one) to
# its action, the SP's ACS, as a browser would, cookies in JAR; follows no
# redirect and prints "STATUS LOCATION" (LOCATION empty if none).
saml_idp_post_to_sp() {
	_si_form=${2:-$SAML_IDP_DIR/flow/form}
	_si_action=$(saml_idp_field action "$_si_form")
	[ -n "$_si_action" ] || return 1
	set -- "$1"
	while IFS= read -r _si_line; do
		case "$_si_line" in
		action=*) ;;
		*=*) set -- "$@" --data-urlencode "$_si_line" ;;
		esac
	done <"$_si_form"
	_si_jar=$1
	shift
	curl -sk --max-time 10 -c "$_si_jar" -b "$_si_jar" -o "$SAML_IDP_DIR/flow/sp-answer" \
		-w '%{http_code} %{redirect_url}\n' "$@" "$_si_action"
}

# saml_idp_login JAR URL USER PASSWORD: the whole SP-initiated login: URL
# to the IdP, the login form, and the SAMLResponse posted on to the SP's
# ACS; prints the ACS's "STATUS LOCATION".
saml_idp_login() {
	_saml_idp_flow "$@" && saml_idp_post_to_sp "$1"
}

# saml_idp_follow JAR URL: GETs URL (cookies in JAR) and follows the
# redirects that stay on the IdP; prints the first one that leaves it (to
# the SP: its ACS or SLO URL, with the SAML message of the HTTP-Redirect
# binding in the query).  Status 1 if none does (the IdP's last page is
# in $SAML_IDP_DIR/flow/page).  For the SP's LogoutRequest URL, say: the
# IdP ends its session and redirects to the SP's SLO URL with a signed
# LogoutResponse.
saml_idp_follow() {
	_si_url=$2
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		_si_loc=$(curl -sk --max-time 10 -c "$1" -b "$1" -H 'Accept: text/html' \
			-o "$SAML_IDP_DIR/flow/page" -w '%{redirect_url}' "$_si_url") || return 1
		case "$_si_loc" in
		"") return 1 ;;
		"$SAML_IDP_BASE"/*) _si_url=$_si_loc ;;
		*)
			echo "$_si_loc"
			return 0
			;;
		esac
	done
	return 1
}

# saml_idp_logout JAR [RETURN_TO]: IdP-initiated single logout of the IdP
# session in JAR: prints where the IdP then sends the browser: with an SP
# session, the SP's SLO URL with a signed LogoutRequest (HTTP-Redirect
# binding); with none, RETURN_TO (default: the IdP's metadata URL, which is
# on the IdP, so nothing is printed and the status is 1).  The SP answers
# with a LogoutResponse to SAML_IDP_SLO_URL; saml_idp_follow on that URL
# then prints RETURN_TO.
saml_idp_logout() {
	saml_idp_follow "$1" "$SAML_IDP_SLO_URL?ReturnTo=$(_saml_idp_urlencode "${2:-$SAML_IDP_METADATA_URL}")"
}

# saml_idp_redirect_xml URL: the SAML message (SAMLRequest or SAMLResponse)
# of an HTTP-Redirect binding URL, inflated: XML.
saml_idp_redirect_xml() {
	php -r '
$q = parse_url($argv[1], PHP_URL_QUERY);
parse_str((string)$q, $p);
$m = isset($p["SAMLRequest"]) ? $p["SAMLRequest"] : (isset($p["SAMLResponse"]) ? $p["SAMLResponse"] : null);
if ($m === null) exit(1);
$x = gzinflate(base64_decode($m));
if ($x === false) exit(1);
echo $x, "\n";
' -- "$1"
}

# saml_idp_xml FORM-VALUE: a POST-binding value (base64) decoded: XML.
saml_idp_xml() {
	printf '%s' "$1" | base64 -d
}

_saml_idp_urlencode() {
	php -r 'echo rawurlencode($argv[1]);' -- "$1"
}

# saml_idp_redirect_encode XML: XML deflated, base64'd and URL-encoded, as
# the HTTP-Redirect binding carries a SAMLRequest or SAMLResponse (to build
# an SP's message by hand).
saml_idp_redirect_encode() {
	php -r 'echo rawurlencode(base64_encode(gzdeflate($argv[1])));' -- "$1"
}

# saml_idp_verify XMLFILE CERT_PEM: every ds:Signature in XMLFILE (say a
# decoded SAMLResponse: the Response's and the Assertion's) is valid and
# made with CERT_PEM's key; checked with the xmlseclibs that SimpleSAMLphp
# ships.  Prints how many signatures it checked; status 1 if none, 2 if a
# digest, 3 if a signature value does not match.
saml_idp_verify() {
	php -r '
require "/usr/share/simplesamlphp/vendor/autoload.php";
use RobRichards\XMLSecLibs\XMLSecurityDSig;
use RobRichards\XMLSecLibs\XMLSecurityKey;
$doc = new DOMDocument();
if (!$doc->loadXML(file_get_contents($argv[1]))) exit(1);
$xp = new DOMXPath($doc);
$xp->registerNamespace("ds", XMLSecurityDSig::XMLDSIGNS);
$sigs = [];
foreach ($xp->query("//ds:Signature") as $s) $sigs[] = $s; /* outermost first */
$n = 0;
foreach ($sigs as $s) {
    $d = new XMLSecurityDSig();
    $d->idKeys = ["ID"];
    $d->sigNode = $s;
    $d->canonicalizeSignedInfo();
    try { if (!$d->validateReference()) exit(2); } catch (Exception $e) { exit(2); }
    $alg = $xp->query("ds:SignedInfo/ds:SignatureMethod", $s)->item(0)->getAttribute("Algorithm");
    $k = new XMLSecurityKey($alg, ["type" => "public"]);
    $k->loadKey(file_get_contents($argv[2]), false, true);
    if ($d->verify($k) !== 1) exit(3);
    $n++;
}
echo $n, "\n";
exit($n > 0 ? 0 : 1);
' -- "$1" "$2"
}
