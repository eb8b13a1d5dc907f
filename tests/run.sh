#!/bin/sh
# run.sh - runs every test of `make check` (after the build) and ends with
# one line "N passed, N failed".  Exits non-zero if anything failed.
#
#   unit tests     build/asan/tests/t_*  (cmocka, ASan+UBSan): each case counts
#   integration    tests/integration/t_*.sh: each "ok"/"not ok" line counts
#   checks         fuzz targets (bounded runs), layering, docs, format, and
#                  the checks' own self-tests
#
# Logs go to tests/run/; a failure prints the tail of its log.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=$top/tests/run
rm -rf "$logs"
mkdir -p "$logs"
passed=0
failed=0
failures=

pass() {
	passed=$((passed + $1))
}
fail() {
	failed=$((failed + $1))
	failures="$failures $2"
}
show_tail() {
	echo "---- last lines of $1"
	tail -n 30 "$1"
	echo "----"
}

# A cmocka program: counts its cases; a crash counts as one failure.
run_unit() {
	t=$1
	name=$(basename "$t")
	log=$logs/unit-$name.log
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	pass "${p:-0}"
	if [ "$rc" -ne 0 ] || [ -n "$f" ] || [ -z "$p" ]; then
		fail "${f:-1}" "$name"
		show_tail "$log"
	fi
	echo "unit  $name: ${p:-0} passed, ${f:-0} failed"
}

# An integration scenario: counts its TAP-like "ok" / "not ok" lines.
run_integration() {
	t=$1
	name=$(basename "$t" .sh)
	log=$logs/integ-$name.log
	sh "$t" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	pass "$p"
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
		[ "$f" -gt 0 ] && fail "$f" "$name" || fail 1 "$name"
		grep '^not ok ' "$log"
		show_tail "$log"
	fi
	echo "integ $name: $p passed, $f failed"
}

# A check script: one test; it passes when its exit status is as expected.
run_check() {
	name=$1
	want=$2
	shift 2
	log=$logs/check-$name.log
	"$@" >"$log" 2>&1
	rc=$?
	if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -ne 0 ]; }; then
		pass 1
		echo "check $name: ok"
	else
		fail 1 "$name"
		echo "check $name: FAILED (exit $rc, expected to $want)"
		show_tail "$log"
	fi
}

for t in build/asan/tests/t_*; do
	[ -x "$t" ] && run_unit "$t"
done
for t in tests/integration/t_*.sh; do
	run_integration "$t"
done

# Each libFuzzer target: a bounded run over its seed corpus; a crash,
# leak or sanitizer report fails it.
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$logs/$name"
	run_check "$name" pass "$f" -runs="${FUZZ_RUNS:-50000}" -max_len=4096 "$logs/$name" "$corpus"
done

run_check layering pass sh tests/check-layering.sh
run_check docs pass sh tests/check-docs.sh
run_check format pass sh tests/check-format.sh
run_check systemd-unit pass sh tests/check-unit.sh
sh tests/check-selftest.sh "$logs" >"$logs/selftest.out" 2>&1
while read -r verdict name; do
	case "$verdict" in
	ok) pass 1 && echo "check $name: ok" ;;
	*) fail 1 "$name" && echo "check $name: FAILED" ;;
	esac
done <"$logs/selftest.out"

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
