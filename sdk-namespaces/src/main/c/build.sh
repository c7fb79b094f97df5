#!/bin/sh
# Builds the native launcher from source, statically, for this machine's architecture and for
# any other architecture whose cross compiler is installed, into OUT/linux-ARCH/corral-launcher.
# musl is preferred (small, static by design); glibc's static libc is the fallback.
# usage: build.sh OUT
set -eu
out=$1
src=$(dirname "$0")
flags="-std=c11 -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter -D_GNU_SOURCE \
  -fno-strict-aliasing -fstack-protector-strong -static -s"
# Reproducible: no build directory in the binary (debug info is stripped by -s anyway, this
# covers __FILE__ and anything else that records a path); the binary holds no time stamp.
repro="-ffile-prefix-map=$src=."

arch_of() {
  case "$1" in
    x86_64|amd64) echo x86_64 ;;
    aarch64|arm64) echo aarch64 ;;
    *) echo "$1" ;;
  esac
}

build() { # build ARCH COMPILER
  mkdir -p "$out/linux-$1"
  # shellcheck disable=SC2086
  "$2" $flags "$repro" -o "$out/linux-$1/corral-launcher.tmp" "$src"/*.c
  mv "$out/linux-$1/corral-launcher.tmp" "$out/linux-$1/corral-launcher"
  echo "corral-launcher: built linux-$1 with $2"
}

host=$(arch_of "$(uname -m)")
if command -v musl-gcc >/dev/null 2>&1; then
  build "$host" musl-gcc
else
  build "$host" "${CC:-cc}"
fi
case "$host" in
  x86_64) other=aarch64 ;;
  *) other=x86_64 ;;
esac
cross=$other-linux-gnu-gcc
if command -v "$cross" >/dev/null 2>&1; then
  build "$other" "$cross"
else
  echo "corral-launcher: no $other cross compiler ($cross; Debian: gcc-$(echo "$other" | tr _ -)-linux-gnu), so this jar holds no linux-$other launcher"
fi
