#!/bin/sh
# Fails when a wire constant (see wire.def) is written by hand, in the C or in the Java, instead
# of coming from wire.def: a C #define or enum value for a TAG_, MSG_, MOUNT_, MF_, STDIO_,
# EXIT_HOW_ or STEP_ name or for a LIMIT; a Java constant of those names given a number; a Java
# enum constant named after a mount or stdio kind given a number; the protocol version as a
# number on either side.
# usage: check-wire.sh C_DIR JAVA_DIR...
set -eu
c_dir=$1
shift
def=$c_dir/wire.def
prefixes='(TAG|MSG|MOUNT|MF|STDIO|EXIT_HOW|STEP)_[A-Z0-9_]+'
limits=$(sed -n 's/^LIMIT(\([A-Z0-9_]*\),.*/\1/p' "$def" | paste -sd'|' -)
kinds=$(sed -n 's/^\(MOUNT_KIND\|STDIO_KIND\)(\([A-Z0-9_]*\),.*/\2/p' "$def" | paste -sd'|' -)
flags=$(sed -n 's/^MOUNT_FLAG(\([A-Z0-9_]*\),.*/\1/p' "$def" | paste -sd'|' -)
number='-?(0[xX][0-9a-fA-F]+|[0-9]+)'
found=0
report() { # what, grep output
  if [ -n "$2" ]; then
    echo "wire constants written by hand ($1); define them in wire.def instead:" >&2
    echo "$2" >&2
    found=1
  fi
}
c_files=$(find "$c_dir" -maxdepth 1 \( -name '*.c' -o -name '*.h' \))
# shellcheck disable=SC2086
report "C" "$(grep -nHE "^[[:space:]]*#[[:space:]]*define[[:space:]]+($prefixes|PROTOCOL_VERSION|$limits)([[:space:]]|$)|\b($prefixes|PROTOCOL_VERSION|$limits)[[:space:]]*=[[:space:]]*$number" $c_files || true)"
for java in "$@"; do
  [ -d "$java" ] || continue
  report "Java" "$(grep -rnE --include='*.java' "\b($prefixes|$limits|VERSION|$flags)[[:space:]]*=[[:space:]]*$number\b|^[[:space:]]*($kinds)[[:space:]]*\([[:space:]]*$number[[:space:]]*\)" "$java" || true)"
done
[ "$found" -eq 0 ] && echo "wire: no constant written by hand"
exit "$found"
