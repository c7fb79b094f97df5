#!/usr/bin/env bash
# corral build vs buildah bud, side by side in one run: a 5-step Dockerfile (COPY, RUN, RUN, ENV,
# CMD) on a busybox base, cold (no step cache: corral --no-cache, buildah without --layers) and
# warm (every step cached: corral's default, buildah --layers), each timed from the command line as
# a user would run it (corral's time includes starting its JVM), in interleaved rounds; medians.
# Then corral's builds again through the API in one JVM (bench/BuildInProcess.java), without the
# JVM's start and the command line.
#   bench/build-compare.sh [--runs N]      (needs: mvn package; buildah, umoci)
# buildah runs with vfs storage under a temp dir (never a system store), with chroot isolation and,
# when runc is installed, again with runc (crun refuses this machine's hybrid cgroups).
set -euo pipefail
runs=10
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2;;
  esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
corral="$top/bin/corral"
work=/var/tmp/corral-buildbench-$$   # lower case: buildah names a pulled layout after its path
rm -rf "$work"; mkdir -p "$work"
storage=(--storage-driver vfs --root "$work/b-root" --runroot "$work/b-runroot")
cleanup() {
  buildah "${storage[@]}" rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cd "$work"
umoci init --layout bb >/dev/null
umoci new --image bb:1 >/dev/null
umoci unpack --image bb:1 bb-unpacked >/dev/null
mkdir -p bb-unpacked/rootfs/bin bb-unpacked/rootfs/etc bb-unpacked/rootfs/tmp bb-unpacked/rootfs/proc \
  bb-unpacked/rootfs/dev bb-unpacked/rootfs/sys
chmod 1777 bb-unpacked/rootfs/tmp
cp /bin/busybox bb-unpacked/rootfs/bin/
for a in sh chmod mkdir echo cat; do ln -s busybox "bb-unpacked/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > bb-unpacked/rootfs/etc/passwd
umoci repack --image bb:1 bb-unpacked >/dev/null
umoci config --image bb:1 --config.env PATH=/bin >/dev/null

mkdir ctx
printf '#!/bin/sh\necho "app: $(cat /srv/data/stamp)"\n' > ctx/app.sh
cat > ctx/Dockerfile <<'DOCKERFILE'
FROM base
COPY app.sh /usr/local/bin/app.sh
RUN chmod 755 /usr/local/bin/app.sh && mkdir -p /srv/data
RUN echo built > /srv/data/stamp
ENV MODE=prod
CMD ["/usr/local/bin/app.sh"]
DOCKERFILE

"$corral" import --store "$work/store" "$work/bb:1" base >/dev/null
buildah "${storage[@]}" pull --quiet "oci:$work/bb:1" >/dev/null
buildah "${storage[@]}" tag "$(buildah "${storage[@]}" images --quiet | head -1)" base
# warm both caches once
"$corral" build --store "$work/store" -q -t app:1 ctx >/dev/null
buildah "${storage[@]}" bud --isolation chroot --layers --quiet -t app:1 ctx >/dev/null

cmds=(
  "$corral build --store $work/store -q --no-cache -t app:1 ctx"
  "buildah ${storage[*]} bud --isolation chroot --quiet -t app:1 ctx"
  "$corral build --store $work/store -q -t app:1 ctx"
  "buildah ${storage[*]} bud --isolation chroot --layers --quiet -t app:1 ctx"
)
names=("corral cold" "buildah cold (chroot)" "corral warm" "buildah warm (chroot, --layers)")
if command -v runc >/dev/null; then
  buildah "${storage[@]}" bud --runtime runc --layers --quiet -t app:1 ctx >/dev/null
  cmds+=("buildah ${storage[*]} bud --runtime runc --quiet -t app:1 ctx"
         "buildah ${storage[*]} bud --runtime runc --layers --quiet -t app:1 ctx")
  names+=("buildah cold (runc)" "buildah warm (runc, --layers)")
fi
# interleaved rounds: every build once per round, so a slow spell of the machine hits all alike
declare -A times
for ((r = 0; r < runs; r++)); do
  for i in "${!cmds[@]}"; do
    t0=$(date +%s%N)
    ${cmds[$i]} >/dev/null
    t1=$(date +%s%N)
    times[$i]+="$(( (t1 - t0) / 1000000 )) "
  done
done
# the same builds through the API in one JVM (bench/BuildInProcess.java): no JVM start, no CLI
inproc=$(java -XX:+UseSerialGC -cp "$top/samples/target/corral/lib/*" "$top/bench/BuildInProcess.java" \
  "$work/store" ctx app:1 "$runs")
echo "$runs rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %10s %10s\n' "build" "median ms" "min ms" "max ms"
for i in "${!cmds[@]}"; do
  read -r -a ts <<< "${times[$i]}"
  sorted=$(printf '%s\n' "${ts[@]}" | sort -n)
  median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
  printf '%-34s %10s %10s %10s\n' "${names[$i]}" "$median" "$(echo "$sorted" | head -1)" "$(echo "$sorted" | tail -1)"
done
while read -r kind first median min max; do
  printf '%-34s %10s %10s %10s   (first build in the JVM: %s ms)\n' "corral $kind, API in one JVM" "$median" "$min" "$max" "$first"
done <<< "$inproc"
