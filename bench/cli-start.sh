#!/usr/bin/env bash
# The CLI's start cost: `corral run --rootfs R -- /bin/true` against a JVM hello world, side by
# side in one hyperfine run (issue 17 asks for at most 2.5x). Build first: mvn -q -B package -DskipTests
#   usage: bench/cli-start.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
work=$(mktemp -d /tmp/corral-cli-start.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/hello"
cp /bin/busybox "$work/root/bin/busybox"
ln -s busybox "$work/root/bin/true"
tar -cf "$work/root.tar" -C "$work/root" .
printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' >"$work/hello/Hello.java"
javac -d "$work/hello" "$work/hello/Hello.java"
corral="bin/corral run --store $work/store --rootfs $work/root.tar -- /bin/true"
$corral   # unpacks the archive into the store once
hyperfine -N -w 3 -r "$runs" "java -cp $work/hello Hello" "$corral" "env CORRAL_CDS_ARCHIVE=none $corral"
