#!/bin/sh
# check-docs.sh - the directive table, ssogw.conf(5) and etc/ssogw.conf must
# name the same set of directives, each in the same section.  Prints what is
# missing where; exits 1 on any difference.
# Usage: check-docs.sh [DUMP_TOOL MANPAGE SAMPLE_CONF]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tool=${1:-$top/build/tools/dump_directives}
manpage=${2:-$top/man/ssogw.conf.5}
sample=${3:-$top/etc/ssogw.conf}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$tool" | sort >"$tmp/table"

# ssogw.conf(5): `.SS "[server]"` opens a section; a `.TP` followed by
# `.B name` documents one directive.
awk '
	/^\.SS/ { if (match($0, /\[(server|session|app|idp|rule)/)) sect = substr($0, RSTART + 1, RLENGTH - 1); else sect = ""; next }
	/^\.TP/ { tp = 1; next }
	tp && /^\.B [a-z0-9_]+[ \t]*$/ { if (sect != "") print sect "." $2; tp = 0; next }
	{ tp = 0 }
' "$manpage" | sort >"$tmp/man"

# etc/ssogw.conf: `[section ...]` opens a section; `key = value`, commented
# out or not, names a directive.
awk '
	/^[ \t#;]*\[/ { if (match($0, /\[(server|session|app|idp|rule)/)) sect = substr($0, RSTART + 1, RLENGTH - 1); next }
	/^[ \t#;]*[a-z0-9_]+[ \t]*=/ { line = $0; sub(/^[ \t#;]*/, "", line); sub(/[ \t]*=.*/, "", line); if (sect != "") print sect "." line }
' "$sample" | sort -u >"$tmp/sample"

bad=0
report() { # name-of-a name-of-b file-a file-b
	missing=$(comm -23 "$3" "$4")
	if [ -n "$missing" ]; then
		echo "docs: in $1 but not in $2:" $missing
		bad=1
	fi
}
report "the directive table" "ssogw.conf(5)" "$tmp/table" "$tmp/man"
report "ssogw.conf(5)" "the directive table" "$tmp/man" "$tmp/table"
report "the directive table" "etc/ssogw.conf" "$tmp/table" "$tmp/sample"
report "etc/ssogw.conf" "the directive table" "$tmp/sample" "$tmp/table"
[ $bad -eq 0 ] && echo "docs: $(wc -l <"$tmp/table") directives agree in table, man page and sample"
exit $bad
