#!/usr/bin/env bash
# Issue 15's rootless numbers, as an unprivileged user with subordinate IDs: (1) the time to
# start a container with pasta against one on none (corral run -- /bin/true, JVM start included,
# hyperfine); (2) a port forwarded by pasta under a loopback HTTP load bounded in requests and
# time (ab, from apache2-utils), against the same busybox httpd serving the same file on the host.
# Build first (mvn -q -B package -DskipTests); bench/network.sh has the root numbers (bridges).
#   usage: bench/network-pasta.sh [RUNS] [REQUESTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
requests=${2:-5000}
seconds=${3:-30}
[ "$(id -u)" != 0 ] || { echo "network-pasta.sh: pasta is for rootless containers: run it as an unprivileged user" >&2; exit 2; }
for t in hyperfine ab busybox pasta; do command -v $t >/dev/null || { echo "network-pasta.sh: needs $t" >&2; exit 2; }; done
work=$(mktemp -d /tmp/corral-pasta-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www"
head -c 102400 /dev/urandom > "$work/www/f"
chmod -R a+rX "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "machine: $(nproc) CPUs, $(uname -r), $(pasta --version 2>&1 | head -1); load: $(uptime | sed 's/.*load average: //')"
echo "== start: a rootless container with pasta vs on none ($runs runs each) =="
hyperfine -N -w 3 -r "$runs" "bin/corral run --network none -- /bin/true" \
  "bin/corral run --network pasta -- /bin/true"

echo "== a port forwarded by pasta vs the host: GET of a 100 KiB file, at most $requests requests or $seconds s, 8 at once =="
cport=$(free_port); hport=$(free_port)
bin/corral run --network pasta -p "127.0.0.1:$cport:8080" --bind "$work/www:/www" \
  -- busybox httpd -f -p 8080 -h /www & pids+=($!)
busybox httpd -f -p "127.0.0.1:$hport" -h "$work/www" & pids+=($!)
for i in $(seq 100); do busybox wget -q -O /dev/null "http://127.0.0.1:$cport/f" 2>/dev/null && break; sleep 0.2; done
for target in "forwarded port 127.0.0.1:$cport (pasta)" "host 127.0.0.1:$hport"; do
  port=${target##*:}; port=${port%% *}
  echo "-- $target"
  ab -q -t "$seconds" -n "$requests" -c 8 "http://127.0.0.1:$port/f" \
    | grep -E "Complete requests|Failed requests|Requests per second|Transfer rate|Time per request.*mean\)$"
done
echo "load after: $(uptime | sed 's/.*load average: //')"
