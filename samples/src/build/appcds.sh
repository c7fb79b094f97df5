#!/bin/sh
# Package step: record the classes a short `corral run --rootfs R` loads into an AppCDS archive
# (and those of a `corral build` into a second one, see below) that bin/corral maps at start (a
# CLI spends most of its life loading and verifying classes).
# The training run is a warm one, from a root file system archive already in a scratch store (the
# store, overlay and descriptor path: what a script calling corral repeats), so it is the second
# run there. A training run that cannot start a container (no user namespaces where the build
# runs) still records the CLI's and the SDK's classes up to the start; when no archive results,
# bin/corral runs without one. The archive belongs to this JDK build: bin/corral falls back if the
# JDK changes.
#   usage: appcds.sh CHECKOUT ARCHIVE
set -u
checkout=$1; archive=$2
log=$archive.log
rm -f "$archive" "$archive.tmp"
: >"$log"
lib=$(dirname "$archive")/lib
# picocli, ASM and jnr-x86asm (jnr-ffi's code generators) are Java 5 bytecode, which JDK 17's
# AppCDS cannot archive: retarget them first.
for jar in "$lib"/picocli-*.jar "$lib"/asm-*.jar "$lib"/jnr-x86asm-*.jar; do
    [ -f "$jar" ] || continue
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
# The training root file system: the host's /bin/true and the libraries it needs.
train=$(mktemp -d "${TMPDIR:-/tmp}/corral-appcds.XXXXXX")
chmod 755 "$train" # a default container's root is an unprivileged host ID: it must get to the rootfs
mkdir -p "$train/root/bin"
cp /bin/true "$train/root/bin/true"
for so in $(ldd /bin/true 2>/dev/null | grep -o '/[^ ]*'); do
    mkdir -p "$train/root$(dirname "$so")" && cp "$so" "$train/root$so"
done
tar -cf "$train/root.tar" -C "$train/root" . 2>>"$log"
training="run --store $train/store --rootfs $train/root.tar -- /bin/true"
# shellcheck disable=SC2086
CORRAL_CDS_ARCHIVE=none "$checkout/bin/corral" $training >>"$log" 2>&1
echo "unpacking run exit code $?" >>"$log"
# shellcheck disable=SC2086
CORRAL_CDS_ARCHIVE=none CORRAL_JAVA_OPTS="-XX:ArchiveClassesAtExit=$archive.tmp -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$checkout/bin/corral" $training >>"$log" 2>&1
echo "training run exit code $?" >>"$log"
# `corral build` maps an archive of its own (bin/corral picks it), trained by a build that runs
# every step of a Dockerfile taking the common paths: ADD of an archive, COPY, a RUN (a container
# on the image so far, its writable layer committed), the config instructions. A rebuild that
# runs nothing loads a subset of these classes.
build_archive=$(dirname "$archive")/corral-build.jsa
rm -f "$build_archive" "$build_archive.tmp"
mkdir -p "$train/ctx"
cp "$train/root.tar" "$train/ctx/root.tar"
echo corral >"$train/ctx/file"
printf '%s\n' 'FROM scratch' 'ADD root.tar /' 'COPY file /etc/file' 'RUN ["/bin/true"]' 'ENV A=1' 'WORKDIR /srv' \
    'USER 0' 'LABEL a=b' 'EXPOSE 80' 'ENTRYPOINT ["/bin/true"]' 'CMD ["x"]' >"$train/ctx/Dockerfile"
CORRAL_CDS_ARCHIVE=none CORRAL_JAVA_OPTS="-XX:ArchiveClassesAtExit=$build_archive.tmp -Xlog:cds=off -Xlog:cds+dynamic=off" \
    "$checkout/bin/corral" build --store "$train/store" -t training:1 "$train/ctx" >>"$log" 2>&1
echo "build training run exit code $?" >>"$log"
rm -rf "$train"
for a in "$archive" "$build_archive"; do
    if [ -s "$a.tmp" ]; then
        mv "$a.tmp" "$a"
        echo "corral: AppCDS archive $a"
    else
        echo "corral: no AppCDS archive $a (see $log); bin/corral starts without it"
    fi
done
exit 0
