#!/bin/sh
# check-format.sh - every C file follows .clang-format (`make format` fixes).
set -eu
cd "$(dirname "$0")/.."
files=$(find lib src tests -name '*.[ch]' -not -path 'tests/run/*' | sort)
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -l) files follow .clang-format"
