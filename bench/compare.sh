#!/bin/sh
# Compare the per-container cost of corral, bubblewrap and crun, in the same run, on the
# same rootfs, running /bin/true. See bench/README.md for what each number means.
#
#   bench/compare.sh [--runs N] [--rounds R] [--cli-runs M] [--warmup W] [--rootfs DIR] [--judge-tests T]
#
# Also: corral through a ContainerPool, exec'd into one running container, a posix_spawn+wait loop in C of the same /bin/true (the
# floor a pooled run is held to), and corral-judge's throughput on T (default 100) tests of A+B
# in C, one sandbox per core (0: skip it).
#
# Needs root (crun and bwrap --unshare-all with a bound rootfs), and the CLI built
# (mvn -q package -DskipTests). Installs bubblewrap, crun, hyperfine, jq and busybox-static
# with apt-get when they are missing.
set -eu

runs=200
cli_runs=20
rounds=4
warmup=200 # corral bench only: JIT warm-up; hyperfine warms each process runtime up with 5 runs
rootfs=
judge_tests=100
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --cli-runs) cli_runs=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --rootfs) rootfs=$2; shift 2 ;;
        --judge-tests) judge_tests=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '%s\n' "compare.sh: $*" >&2; }
die() { say "$*"; exit 1; }

here=$(cd -P -- "$(dirname -- "$0")" && pwd)
corral=$here/../bin/corral
[ -f "$here/../samples/target/corral/lib/corral-samples.jar" ] \
    || die "the corral CLI is not built: run 'mvn -q package -DskipTests' in $(cd "$here/.." && pwd) first"
[ "$(id -u)" = 0 ] || die "run as root: crun and bwrap need to create every namespace and bind the rootfs"

# --- tools -----------------------------------------------------------------------------
missing=
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
command -v crun >/dev/null 2>&1 || missing="$missing crun"
command -v hyperfine >/dev/null 2>&1 || missing="$missing hyperfine"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
if [ -z "$rootfs" ] && ! dpkg -s busybox-static >/dev/null 2>&1; then
    missing="$missing busybox-static"
fi
if [ -n "$missing" ]; then
    say "installing:$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
             apt-get install -y -q --no-install-recommends $missing >/dev/null; } \
        || die "could not install:$missing"
fi

# --- temp dir, cleaned up whatever happens ---------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/corral-compare.XXXXXX")
chmod 755 "$tmp" # a default corral container's root is an unprivileged host ID: it must get to the rootfs
crun_root=$tmp/crun-state
crun_id=corral-compare-$$
crun_cgroup=corral-compare-$$ # the parent of crun's cgroups in its limited runs: this script's own
cleanup() {
    if [ -d "$crun_root" ]; then
        crun --root "$crun_root" delete -f "$crun_id" >/dev/null 2>&1 || true
    fi
    for d in /sys/fs/cgroup/"$crun_cgroup" /sys/fs/cgroup/*/"$crun_cgroup"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the rootfs: a static busybox, sh and true ------------------------------------------
if [ -z "$rootfs" ]; then
    busybox=$(dpkg -L busybox-static | grep -E '/s?bin/busybox$' | head -n 1)
    [ -n "$busybox" ] && [ -f "$busybox" ] || die "busybox-static is installed but its /bin/busybox was not found"
    rootfs=$tmp/rootfs
    mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/sys" "$rootfs/tmp"
    cp "$busybox" "$rootfs/bin/busybox"
    ln -s busybox "$rootfs/bin/sh"
    ln -s busybox "$rootfs/bin/true"
    rootfs_desc="busybox-static $(dpkg-query -W -f '${Version}' busybox-static) in $rootfs"
else
    [ -d "$rootfs" ] || die "--rootfs $rootfs is not a directory"
    rootfs=$(cd -P -- "$rootfs" && pwd)
    [ -x "$rootfs/bin/true" ] || die "$rootfs/bin/true is missing or not executable"
    rootfs_desc=$rootfs
fi

# --- the posix_spawn+wait loop, built from bench/spawn-loop.c ---------------------------
cc -O2 -o "$tmp/spawn-loop" "$here/spawn-loop.c" || die "cannot build bench/spawn-loop.c (is gcc installed?)"

# --- the OCI bundle for crun: same rootfs, /bin/true, no terminal ----------------------
bundle=$tmp/bundle
mkdir -p "$bundle" "$crun_root"
(cd "$bundle" && crun spec)
jq --arg root "$rootfs" \
   '.process.args = ["/bin/true"] | .process.terminal = false | .root.path = $root' \
   "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"
# The same with the limits of corral's limited row (memory 256 MiB, 64 pids, one CPU), in a
# cgroup crun makes per run below $crun_cgroup and removes when the container is deleted.
bundle_limits=$tmp/bundle-limits
mkdir -p "$bundle_limits"
jq --arg cg "/$crun_cgroup/c" '.linux.cgroupsPath = $cg
    | .linux.resources = {memory: {limit: 268435456}, pids: {limit: 64}, cpu: {quota: 100000, period: 100000}}' \
   "$bundle/config.json" > "$bundle_limits/config.json"

# crun is run with --cgroup-manager=disabled: corral creates no cgroup yet either, and this
# script must not write into cgroups. crun 1.8 refuses a hybrid host whose cgroup2 mount has
# a controller ("cgroups in hybrid mode not supported") even then, so on such a host its runs
# happen in a private mount namespace without /sys/fs/cgroup/unified, where crun sees plain
# cgroup v1. The namespace is made once, around all runs, so no run pays for it.
in_crun_ns() {
    if grep -q ' /sys/fs/cgroup/unified .* - cgroup2 ' /proc/self/mountinfo \
        && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
        unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh "$@"
    else
        "$@"
    fi
}

median_ms() { jq -r '.results[0].median * 1000' "$1"; }
min_ms() { jq -r '.results[0].min * 1000' "$1"; }
max_ms() { jq -r '.results[0].max * 1000' "$1"; }

# hyperfine -N: no intermediate shell, each run is one fork+exec of the command itself.
hf() { # name runs warmup command...
    name=$1 n=$2 w=$3; shift 3
    say "hyperfine: $name ($n runs)"
    hyperfine -N --style none --warmup "$w" --runs "$n" --export-json "$tmp/$name.json" "$*" >/dev/null
}

# Sanity: each runtime really runs a container on this rootfs before it is timed.
bwrap --unshare-all --bind "$rootfs" / --proc /proc --dev /dev /bin/true || die "bwrap cannot run /bin/true on $rootfs"
in_crun_ns crun --root "$crun_root" --cgroup-manager=disabled run --bundle "$bundle" "$crun_id" \
    || die "crun cannot run /bin/true on $rootfs"
"$corral" run --rootfs "$rootfs" -- /bin/true || die "corral cannot run /bin/true on $rootfs"

# The runtimes are timed in rounds, each round running all of them one after another with
# runs/rounds containers each: a shared VM has slower and faster spells, and a runtime timed
# in one spell only would be compared with others timed in another. Each row shows the median
# of its per-round medians; each ratio is the median of the per-round ratios.
per=$(( (runs + rounds - 1) / rounds ))
crun_limits=no
if in_crun_ns crun --root "$crun_root" --cgroup-manager=cgroupfs run --bundle "$bundle_limits" "$crun_id"; then
    crun_limits=yes
else
    say "crun cannot run with cgroup limits here: its row is left out"
fi

# corral_bench NAME [options...]: one JVM, $warmup containers of warm-up, $per measured
corral_bench() {
    name=$1; shift
    "$corral" bench --runs "$per" --warmup "$warmup" --rootfs "$rootfs" "$@" -- /bin/true > "$tmp/$name.txt"
    line=$(grep '^corral-bench ' "$tmp/$name.txt" | tail -n 1)
    [ -n "$line" ] || die "no corral-bench line in: $(cat "$tmp/$name.txt")"
    for f in median_ms min_ms max_ms container_wall_median_ms failed; do
        printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$f=//p" >> "$tmp/$name.$f"
    done
    [ "$(tail -n 1 "$tmp/$name.failed")" = 0 ] || die "some corral bench runs failed: $line"
}
# hf_round NAME COMMAND...: hyperfine, $per runs; appends its median, min and max
hf_round() {
    name=$1; shift
    hyperfine -N --style none --warmup 5 --runs "$per" --export-json "$tmp/$name.json" "$*" >/dev/null
    median_ms "$tmp/$name.json" >> "$tmp/$name.median_ms"
    min_ms "$tmp/$name.json" >> "$tmp/$name.min_ms"
    max_ms "$tmp/$name.json" >> "$tmp/$name.max_ms"
}
# spawn_round NAME: the C loop, $per runs of the rootfs's /bin/true; appends its median, min and max
spawn_round() {
    line=$("$tmp/spawn-loop" "$per" "$rootfs/bin/true") || die "the spawn loop failed"
    for f in median_ms min_ms; do
        printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$f=//p" >> "$tmp/$1.$f"
    done
    printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^mean_ms=//p" >> "$tmp/$1.max_ms" # no max: the mean stands in
}
hf_round_crun() { # the same, in the mount namespace crun needs on a hybrid host
    name=$1; shift
    in_crun_ns hyperfine -N --style none --warmup 5 --runs "$per" --export-json "$tmp/$name.json" "$*" >/dev/null
    median_ms "$tmp/$name.json" >> "$tmp/$name.median_ms"
    min_ms "$tmp/$name.json" >> "$tmp/$name.min_ms"
    max_ms "$tmp/$name.json" >> "$tmp/$name.max_ms"
}

r=1
while [ "$r" -le "$rounds" ]; do
    say "round $r of $rounds: $per containers per runtime"
    corral_bench corral
    # the same through a ContainerPool of one: each run starts from the spec, nothing of the last
    corral_bench pooled --pool 1
    # the same command exec'd into one running container (ContainerProcess.exec)
    corral_bench exec --exec
    spawn_round spawn
    # with limits: each container gets a cgroup of its own (memory, pids, cpu)
    corral_bench limited --memory 256m --pids 64 --cpus 1
    # without the user namespace and seccomp (root only): what those two cost per run
    corral_bench bare --privileged-root --seccomp unconfined
    hf_round bwrap bwrap --unshare-all --bind "$rootfs" / --proc /proc --dev /dev /bin/true
    hf_round_crun crun crun --root "$crun_root" --cgroup-manager=disabled run --bundle "$bundle" "$crun_id"
    if [ "$crun_limits" = yes ]; then
        hf_round_crun crun-limits crun --root "$crun_root" --cgroup-manager=cgroupfs run --bundle "$bundle_limits" "$crun_id"
    fi
    r=$((r + 1))
done

median_of() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
min_of() { sort -g "$1" | head -n 1; }
max_of() { sort -g "$1" | tail -n 1; }
ratio_of() { # A B: the median over rounds of A's median / B's median, then each round's ratio
    paste "$tmp/$1.median_ms" "$tmp/$2.median_ms" | awk '{ printf "%.3f\n", $1 / $2 }' > "$tmp/ratio.$1.$2"
    printf '%s %s\n' "$(median_of "$tmp/ratio.$1.$2")" "$(tr '\n' ' ' < "$tmp/ratio.$1.$2")"
}
hf host-true "$runs" 5 "$rootfs/bin/true"
hf corral-cli "$cli_runs" 2 "$corral" run --rootfs "$rootfs" -- /bin/true

row() { printf '%-46s %9.2f %9.2f %9.2f  %s\n' "$@"; }
row_of() { row "$1" "$(median_of "$tmp/$2.median_ms")" "$(min_of "$tmp/$2.min_ms")" "$(max_of "$tmp/$2.max_ms")" ""; }
echo
echo "rootfs: $rootfs_desc"
echo "command: /bin/true; $rounds rounds of $per runs per runtime (corral run CLI: $cli_runs), one after another,"
echo "$(nproc) CPUs, kernel $(uname -r)"
echo
printf '%-46s %9s %9s %9s  %s\n' "per container (median of round medians)" "median" "min" "max" "(ms)"
row_of "corral bench (in-JVM, start to result)" corral
printf '%-46s %9.2f\n' "  of which clone to end, as the launcher saw it" "$(median_of "$tmp/corral.container_wall_median_ms")"
row_of "corral bench --pool 1 (pooled, in-JVM)" pooled
row_of "corral bench --exec (into a running one)" exec
row_of "corral bench, no user namespace, no seccomp" bare
row_of "corral bench --memory 256m --pids 64 --cpus 1" limited
row_of "bwrap --unshare-all (process)" bwrap
row_of "crun run, cgroups disabled (process)" crun
if [ "$crun_limits" = yes ]; then
    row_of "crun run, same limits, cgroupfs (process)" crun-limits
fi
row "corral run CLI (process, INCLUDES JVM start)" "$(median_ms "$tmp/corral-cli.json")" \
    "$(min_ms "$tmp/corral-cli.json")" "$(max_ms "$tmp/corral-cli.json")" ""
row "posix_spawn+wait loop in C (max: its mean)" "$(median_of "$tmp/spawn.median_ms")" \
    "$(min_of "$tmp/spawn.min_ms")" "$(max_of "$tmp/spawn.max_ms")" ""
row "/bin/true, no container (process)" "$(median_ms "$tmp/host-true.json")" \
    "$(min_ms "$tmp/host-true.json")" "$(max_ms "$tmp/host-true.json")" ""
echo
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "NOT met") }'; }
report() { # LABEL A B TARGET
    set -- "$1" "$(ratio_of "$2" "$3")" "$4"
    value=$(printf '%.3f' "${2%% *}")
    printf '%-36s = %s   (target <= %s: %s; per round: %s)\n' "$1" "$value" "$3" "$(verdict "$value" "$3")" "${2#* }"
}
report "corral/bwrap" corral bwrap 0.60
report "corral/crun" corral crun 0.35
report "corral with limits/bwrap" limited bwrap 0.70
if [ "$crun_limits" = yes ]; then
    report "corral with limits/crun with limits" limited crun-limits 0.35
fi
report "corral pooled/posix_spawn loop" pooled spawn 1.3
report "corral exec/posix_spawn loop" exec spawn 1.3

# --- judge throughput: corral-judge on A+B in C with $judge_tests tests, one sandbox per core ---
# Each output line is timestamped as it comes (corral-judge prints a test case's line as soon as
# it and all before it are judged); the throughput is the tests after the first over the time from
# the first test's line to the last's, so neither the JVM's start nor the compile counts.
if [ "$judge_tests" -gt 1 ]; then
    judge=$here/../bin/corral-judge
    problems=$here/../samples/judge/problems
    jp=$tmp/judge-aplusb
    mkdir -p "$jp/data/sample" "$jp/data/secret"
    cp "$problems/aplusb/problem.yaml" "$jp/"
    printf '1 2\n' > "$jp/data/sample/1.in"; printf '3\n' > "$jp/data/sample/1.ans"
    i=2
    while [ "$i" -le "$judge_tests" ]; do
        a=$((i * 7919 % 100003)); b=$((i * 104729 % 99991))
        n=$(printf '%04d' "$i")
        printf '%s %s\n' "$a" "$b" > "$jp/data/secret/$n.in"; printf '%s\n' $((a + b)) > "$jp/data/secret/$n.ans"
        i=$((i + 1))
    done
    : > "$tmp/judge.rate"
    r=0
    while [ "$r" -le 3 ]; do # the first run warms the page cache and the compiler, and is not counted
        "$judge" "$jp" "$problems/aplusb/submissions/accepted/aplusb.c" --time-limit 1 2>&1 \
            | bash -c 'while IFS= read -r l; do echo "$EPOCHREALTIME $l"; done' > "$tmp/judge.out"
        grep -q ' verdict: AC$' "$tmp/judge.out" || die "corral-judge did not accept A+B: $(tail -n 3 "$tmp/judge.out")"
        [ "$r" -gt 0 ] && awk '$3 == "AC" { if (!n++) first = $1; last = $1 }
            END { if (n < 2 || last <= first) exit 1; printf "%.1f\n", (n - 1) / (last - first) }' "$tmp/judge.out" >> "$tmp/judge.rate"
        r=$((r + 1))
    done
    echo
    printf 'corral-judge, A+B in C, %s test cases, %s sandboxes at once (a ContainerPool), median of 3 runs:\n' \
        "$judge_tests" "$(nproc)"
    printf 'judge throughput: %s test cases per second (each: a pooled run and the default output validator)\n' \
        "$(median_of "$tmp/judge.rate")"
fi
