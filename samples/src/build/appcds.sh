#!/bin/sh
# Package step: record the classes a short `corral run` loads into an AppCDS archive that
# bin/corral maps at start (a CLI spends most of its life loading and verifying classes).
# A training run that cannot start a container (no user namespaces where the build runs) still
# records the CLI's and the SDK's classes up to the start; when no archive results, bin/corral
# runs without one. The archive belongs to this JDK build: bin/corral falls back if the JDK changes.
#   usage: appcds.sh CHECKOUT ARCHIVE
set -u
checkout=$1; archive=$2
log=$archive.log
rm -f "$archive" "$archive.tmp"
: >"$log"
lib=$(dirname "$archive")/lib
# picocli is Java 5 bytecode, which JDK 17's AppCDS cannot archive: retarget it first.
for jar in "$lib"/picocli-*.jar; do
    java -cp "$(ls "$lib"/asm-[0-9]*.jar)" "$(dirname "$0")/RetargetForCds.java" "$jar" >>"$log" 2>&1 \
        || echo "corral: could not retarget $jar for AppCDS (see $log); it stays as it is"
done
# jffi (under jnr-ffi) otherwise writes its native stub into a temp file on every start: unpack
# this machine's copy once, next to the jars; bin/corral points jffi at it.
native=$(dirname "$archive")/native
rm -rf "$native"
case $(uname -m) in x86_64) jffi_arch=x86_64 ;; aarch64) jffi_arch=aarch64 ;; *) jffi_arch=none ;; esac
for jar in "$lib"/jffi-*-native.jar; do
    mkdir -p "$native" && (cd "$native" && jar xf "$jar" "jni/$jffi_arch-Linux/") >>"$log" 2>&1 \
        && mv "$native/jni/$jffi_arch-Linux/"*.so "$native/" 2>>"$log"
    rm -rf "$native/jni"
done
CORRAL_CDS_ARCHIVE=none CORRAL_JAVA_OPTS="-XX:ArchiveClassesAtExit=$archive.tmp -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$checkout/bin/corral" run -- /bin/true >>"$log" 2>&1
echo "training run exit code $?" >>"$log"
if [ -s "$archive.tmp" ]; then
    mv "$archive.tmp" "$archive"
    echo "corral: AppCDS archive $archive"
else
    echo "corral: no AppCDS archive (see $log); bin/corral starts without one"
fi
exit 0
