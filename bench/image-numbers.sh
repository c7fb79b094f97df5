#!/usr/bin/env bash
# Issue 16's closing-note numbers in one run, side by side: bench/registry-pull.sh (corral pull
# vs skopeo copy of a 100 MiB image from a loopback docker-registry) and bench/build-compare.sh
# (corral build vs buildah bud of a 5-step Dockerfile, cold and warm), one after the other, with
# the machine, its load and the tools' versions.
#   bench/image-numbers.sh [--runs N]      (needs: mvn package; docker-registry, skopeo, umoci, buildah)
set -euo pipefail
runs=5
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
echo "$(date -u '+%F %H:%M UTC'); $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(java -version 2>&1 | head -1); $(buildah --version); $(skopeo --version)"
echo
bash "$here/registry-pull.sh" --runs "$runs"
echo
bash "$here/build-compare.sh" --runs "$runs"
