#!/usr/bin/env bash
# corral pull vs skopeo copy of one 100 MiB image (4 layers of 25 MiB of random bytes, so gzip
# cannot shrink them) from Debian's docker-registry on a loopback port, side by side in one run,
# in interleaved rounds; medians. Each pull starts from nothing: corral into an empty store
# (verifying every digest as it streams), skopeo into an empty OCI layout (which also checks
# digests). Both are timed as a user runs them, from the command line: corral's time includes
# starting its JVM.
#   bench/registry-pull.sh [--runs N] [--size-mib M]    (needs: mvn package; docker-registry, skopeo, umoci)
# The registry's config and storage live in a temp dir; the registry is stopped by its PID at exit.
set -euo pipefail
runs=5
size=100
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2;;
    --size-mib) size=$2; shift 2;;
    *) echo "usage: $0 [--runs N] [--size-mib M]" >&2; exit 2;;
  esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
corral="$top/bin/corral"
work=$(mktemp -d /var/tmp/corral-pullbench.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

cat > config.yml <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:0
  secret: bench-$$
EOF
docker-registry serve config.yml > registry.log 2>&1 &
registry_pid=$!
# the port the kernel gave it: its listening socket's inode, matched in /proc/net/tcp
port=
for _ in $(seq 100); do
  inodes=$(ls -l /proc/$registry_pid/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p')
  for i in $inodes; do
    hex=$(awk -v ino="$i" '$4 == "0A" && $10 == ino {split($2, a, ":"); print a[2]}' /proc/net/tcp)
    if [ -n "$hex" ]; then port=$((16#$hex)); break 2; fi
  done
  sleep 0.1
done
[ -n "$port" ] || { echo "docker-registry did not start: $(cat registry.log)" >&2; exit 1; }
host=127.0.0.1:$port

# the image: 4 layers of size/4 MiB of random bytes each, made with umoci, put in with skopeo
umoci init --layout src >/dev/null
umoci new --image src:1 >/dev/null
layer_mib=$((size / 4))
for n in 1 2 3 4; do
  umoci unpack --image src:1 u >/dev/null
  head -c "${layer_mib}M" /dev/urandom > "u/rootfs/blob$n"
  umoci repack --image src:1 u >/dev/null
  rm -rf u
done
skopeo copy --quiet --dest-tls-verify=false oci:src:1 "docker://$host/bench/big:1"

pull_corral() { rm -rf store; "$corral" pull --store "$work/store" "$host/bench/big:1" >/dev/null 2>&1; }
pull_skopeo() { rm -rf dst; skopeo copy --quiet --src-tls-verify=false "docker://$host/bench/big:1" oci:dst:1 >/dev/null; }
names=("corral pull" "skopeo copy")
cmds=(pull_corral pull_skopeo)
pull_corral; pull_skopeo   # once each, so both find the registry's files in the page cache
bytes=$(du -sb dst/blobs | cut -f1)
declare -A times
for ((r = 0; r < runs; r++)); do
  for i in "${!cmds[@]}"; do
    t0=$(date +%s%N)
    ${cmds[$i]}
    t1=$(date +%s%N)
    times[$i]+="$(( (t1 - t0) / 1000000 )) "
  done
done
echo "image: $host/bench/big:1, 4 layers, $((bytes / 1048576)) MiB of blobs; $runs interleaved rounds; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %10s %10s %10s %12s\n' "pull" "median ms" "min ms" "max ms" "MiB/s (med)"
for i in "${!cmds[@]}"; do
  read -r -a ts <<< "${times[$i]}"
  sorted=$(printf '%s\n' "${ts[@]}" | sort -n)
  median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
  printf '%-14s %10s %10s %10s %12.1f\n' "${names[$i]}" "$median" "$(echo "$sorted" | head -1)" "$(echo "$sorted" | tail -1)" \
    "$(echo "$bytes $median" | awk '{print $1 / 1048576 / ($2 / 1000)}')"
done
