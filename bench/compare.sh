#!/bin/sh
# Compare the per-container cost of corral, bubblewrap and crun, in the same run, on the
# same rootfs, running /bin/true. See bench/README.md for what each number means.
#
#   bench/compare.sh [--runs N] [--cli-runs M] [--warmup W] [--rootfs DIR]
#
# Needs root (crun and bwrap --unshare-all with a bound rootfs), and the CLI built
# (mvn -q package -DskipTests). Installs bubblewrap, crun, hyperfine, jq and busybox-static
# with apt-get when they are missing.
set -eu

runs=200
cli_runs=20
warmup=200 # corral bench only: JIT warm-up; hyperfine warms each process runtime up with 5 runs
rootfs=
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --cli-runs) cli_runs=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --rootfs) rootfs=$2; shift 2 ;;
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

say "corral bench ($runs runs after $warmup warm-up, one JVM)"
"$corral" bench --runs "$runs" --warmup "$warmup" --rootfs "$rootfs" -- /bin/true > "$tmp/corral-bench.txt"
line=$(grep '^corral-bench ' "$tmp/corral-bench.txt" | tail -n 1)
[ -n "$line" ] || die "no corral-bench line in: $(cat "$tmp/corral-bench.txt")"
field() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
corral_median=$(field median_ms)
corral_min=$(field min_ms)
corral_max=$(field max_ms)
corral_wall=$(field container_wall_median_ms)
[ "$(field failed)" = 0 ] || die "some corral bench runs failed: $line"

# With limits: each container gets a cgroup of its own (memory, pids, cpu), made and removed per run.
say "corral bench --memory 256m --pids 64 --cpus 1 ($runs runs)"
"$corral" bench --runs "$runs" --warmup "$warmup" --rootfs "$rootfs" --memory 256m --pids 64 --cpus 1 \
    -- /bin/true > "$tmp/corral-bench-limits.txt"
limited=$(grep '^corral-bench ' "$tmp/corral-bench-limits.txt" | tail -n 1)
limited_median=$(printf '%s\n' "$limited" | tr ' ' '\n' | sed -n 's/^median_ms=//p')
limited_min=$(printf '%s\n' "$limited" | tr ' ' '\n' | sed -n 's/^min_ms=//p')
limited_max=$(printf '%s\n' "$limited" | tr ' ' '\n' | sed -n 's/^max_ms=//p')

# The same without the user namespace and seccomp (root only): what those two cost per run.
say "corral bench --privileged-root --seccomp unconfined ($runs runs)"
"$corral" bench --runs "$runs" --warmup "$warmup" --rootfs "$rootfs" --privileged-root --seccomp unconfined \
    -- /bin/true > "$tmp/corral-bench-bare.txt"
bare=$(grep '^corral-bench ' "$tmp/corral-bench-bare.txt" | tail -n 1)
bare_median=$(printf '%s\n' "$bare" | tr ' ' '\n' | sed -n 's/^median_ms=//p')
bare_min=$(printf '%s\n' "$bare" | tr ' ' '\n' | sed -n 's/^min_ms=//p')
bare_max=$(printf '%s\n' "$bare" | tr ' ' '\n' | sed -n 's/^max_ms=//p')

hf bwrap "$runs" 5 bwrap --unshare-all --bind "$rootfs" / --proc /proc --dev /dev /bin/true
say "hyperfine: crun ($runs runs)"
in_crun_ns hyperfine -N --style none --warmup 5 --runs "$runs" --export-json "$tmp/crun.json" \
    "crun --root $crun_root --cgroup-manager=disabled run --bundle $bundle $crun_id" >/dev/null
crun_limited=n/a
if in_crun_ns crun --root "$crun_root" --cgroup-manager=cgroupfs run --bundle "$bundle_limits" "$crun_id"; then
    say "hyperfine: crun with limits ($runs runs)"
    in_crun_ns hyperfine -N --style none --warmup 5 --runs "$runs" --export-json "$tmp/crun-limits.json" \
        "crun --root $crun_root --cgroup-manager=cgroupfs run --bundle $bundle_limits $crun_id" >/dev/null
    crun_limited=$(median_ms "$tmp/crun-limits.json")
else
    say "crun cannot run with cgroup limits here: its row is left out"
fi
hf host-true "$runs" 5 "$rootfs/bin/true"
hf corral-cli "$cli_runs" 2 "$corral" run --rootfs "$rootfs" -- /bin/true

bwrap_median=$(median_ms "$tmp/bwrap.json")
crun_median=$(median_ms "$tmp/crun.json")

row() { printf '%-46s %9.2f %9.2f %9.2f  %s\n' "$@"; }
echo
echo "rootfs: $rootfs_desc"
echo "command: /bin/true, $runs runs each (corral run CLI: $cli_runs), one after another, $(nproc) CPUs, kernel $(uname -r)"
echo
printf '%-46s %9s %9s %9s  %s\n' "per container" "median" "min" "max" "(ms)"
row "corral bench (in-JVM, start to result)" "$corral_median" "$corral_min" "$corral_max" ""
printf '%-46s %9.2f\n' "  of which clone to end, as the launcher saw it" "$corral_wall"
row "corral bench, no user namespace, no seccomp" "$bare_median" "$bare_min" "$bare_max" ""
row "corral bench --memory 256m --pids 64 --cpus 1" "$limited_median" "$limited_min" "$limited_max" ""
row "bwrap --unshare-all (process)" "$bwrap_median" "$(min_ms "$tmp/bwrap.json")" "$(max_ms "$tmp/bwrap.json")" ""
row "crun run, cgroups disabled (process)" "$crun_median" "$(min_ms "$tmp/crun.json")" "$(max_ms "$tmp/crun.json")" ""
if [ "$crun_limited" != n/a ]; then
    row "crun run, same limits, cgroupfs (process)" "$crun_limited" "$(min_ms "$tmp/crun-limits.json")" \
        "$(max_ms "$tmp/crun-limits.json")" ""
fi
row "corral run CLI (process, INCLUDES JVM start)" "$(median_ms "$tmp/corral-cli.json")" \
    "$(min_ms "$tmp/corral-cli.json")" "$(max_ms "$tmp/corral-cli.json")" ""
row "/bin/true, no container (process)" "$(median_ms "$tmp/host-true.json")" \
    "$(min_ms "$tmp/host-true.json")" "$(max_ms "$tmp/host-true.json")" ""
echo
awk -v c="$corral_median" -v b="$bwrap_median" -v r="$crun_median" -v l="$limited_median" -v rl="$crun_limited" 'BEGIN {
    rb = c / b; rc = c / r; lb = l / b
    printf "corral/bwrap = %.3f   (target <= 0.60: %s)\n", rb, (rb <= 0.60 ? "met" : "NOT met")
    printf "corral/crun  = %.3f   (target <= 0.35: %s)\n", rc, (rc <= 0.35 ? "met" : "NOT met")
    printf "corral with limits/bwrap = %.3f   (target <= 0.70: %s)\n", lb, (lb <= 0.70 ? "met" : "NOT met")
    if (rl != "n/a") {
        lr = l / rl
        printf "corral with limits/crun with limits = %.3f   (target <= 0.35: %s)\n", lr, (lr <= 0.35 ? "met" : "NOT met")
    }
}'
