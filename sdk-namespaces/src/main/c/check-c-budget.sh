#!/bin/sh
# Fails when the launcher's C outgrows its budget: total lines of the .c and .h files, lines of
# any one file, lines of any one function (from the line that opens it at column 0 to the "}"
# at column 0 that closes it).
# usage: check-c-budget.sh DIR MAX_TOTAL MAX_FILE MAX_FUNCTION
set -eu
dir=$1 max_total=$2 max_file=$3 max_function=$4
status=0
total=0
for f in "$dir"/*.c "$dir"/*.h; do
  n=$(wc -l < "$f")
  total=$((total + n))
  if [ "$n" -gt "$max_file" ]; then
    echo "C budget: $(basename "$f") has $n lines, more than $max_file" >&2
    status=1
  fi
done
if [ "$total" -gt "$max_total" ]; then
  echo "C budget: $total lines of C in all, more than $max_total" >&2
  status=1
fi
long=$(awk -v max="$max_function" '
  /^[A-Za-z_].*\)[ \t]*\{[ \t]*$/ && !/^(struct|enum|union|typedef)[ \t]/ { name = $0; start = FNR; next }
  /^}/ && start { n = FNR - start + 1; if (n > max) printf "%s:%d: %d lines: %s\n", FILENAME, start, n, name; start = 0 }
' "$dir"/*.c)
if [ -n "$long" ]; then
  echo "C budget: functions longer than $max_function lines:" >&2
  echo "$long" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "C budget: $total lines of C, within $max_total; files within $max_file; functions within $max_function"
exit "$status"
