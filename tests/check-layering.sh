#!/bin/sh
# check-layering.sh - enforces ARCHITECTURE.md's include table: which of our
# modules a module may include, and which library headers only one module
# (or one file) may touch.  Prints one line per violation; exits 1 on any.
# Usage: check-layering.sh [ROOT] (default: the repository this script is in).
set -eu
cd "${1:-$(dirname "$0")/..}"
sources() { find lib src -name '*.[ch]' | sort; }

# module of a file or header: lib, main, pipeline, or src/<module>
module_of() {
	case "$1" in
	lib/*) echo lib ;;
	src/main.c) echo main ;;
	src/*/*) echo "$1" | cut -d/ -f2 ;;
	src/*.[ch]) echo pipeline ;; # the data path and its sign-in providers
	*) echo "?" ;;
	esac
}

allowed() { # module -> modules it may include (besides itself)
	case "$1" in
	lib) echo "" ;;
	http) echo "lib" ;;
	conf) echo "http lib" ;;
	session) echo "conf lib" ;;
	jose) echo "lib" ;;
	saml) echo "conf http lib" ;;
	oidc) echo "jose conf http lib" ;;
	sso) echo "saml oidc session conf http lib" ;;
	gate) echo "session conf http lib" ;;
	net) echo "conf http lib" ;;
	pipeline) echo "lib http conf session jose saml oidc sso gate net" ;;
	main) echo "pipeline conf net lib" ;;
	*) echo "" ;;
	esac
}

# header name -> module that owns it
owner_of() {
	case "$1" in
	lib.h) echo lib ;;
	pipeline.h | pipeline_int.h) echo pipeline ;;
	*)
		f=$(ls src/*/"$1" 2>/dev/null | head -n 1)
		[ -n "$f" ] && module_of "$f" || echo "?"
		;;
	esac
}

bad=0
complain() {
	echo "layering: $*"
	bad=1
}

for f in $(sources); do
	m=$(module_of "$f")
	ok=" $m $(allowed "$m") "
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		[ "$h" = config.h ] && continue
		o=$(owner_of "$h")
		case "$ok" in
		*" $o "*) ;;
		*) complain "$f ($m) includes \"$h\" of module $o" ;;
		esac
		case "$h" in
		*_int.h) [ "$o" = "$m" ] || complain "$f includes another module's internal $h" ;;
		esac
	done
	sys=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f")
	for h in $sys; do
		case "$h" in
		event2/*) case "$m" in net | main | pipeline) ;; *) complain "$f includes <$h> (libevent is net/ only)" ;; esac ;;
		openssl/ssl.h) [ "$m" = net ] || complain "$f includes <$h> (TLS is net/ only)" ;;
		curl/*) [ "$m" = net ] || complain "$f includes <$h> (libcurl is net/ only)" ;;
		libxml/* | xmlsec/*) [ "$m" = saml ] || complain "$f includes <$h> (XML is saml/ only)" ;;
		cjose/* | jansson.h) case "$m" in oidc | jose) ;; *) complain "$f includes <$h> (JOSE/JSON is oidc/ only)" ;; esac ;;
		hiredis/* | hiredis.h) case "$m" in session | net) ;; *) complain "$f includes <$h> (hiredis is session/ (replies) and net/ (transport) only)" ;; esac ;;
		ini.h) [ "$f" = src/conf/conf_ini.c ] || complain "$f includes <$h> (libinih is src/conf/conf_ini.c only)" ;;
		http_parser.h) [ "$f" = src/http/http_parse.c ] || complain "$f includes <$h> (http-parser is src/http/http_parse.c only)" ;;
		esac
	done
done

# File basenames are unique across the tree.
dups=$(sources | xargs -n1 basename | sort | uniq -d)
[ -z "$dups" ] || complain "file names used twice: $dups"
exit $bad
