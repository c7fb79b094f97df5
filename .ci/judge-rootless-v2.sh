#!/usr/bin/env bash
# `bin/corral-judge --verify` on every shipped problem, rootless, on a real cgroup-v2-only kernel
# (../shared/cgroup-v2-vm): an unprivileged user with subordinate IDs owns a delegated subtree
# with the memory and pids controllers, as systemd gives a user session. This host's hybrid v1
# delegates no cgroup to a user, and a judge without memory and pids limits is not verdict-grade,
# so the rootless judge is checked here. Builds nothing: package on the host first
# (mvn -B verify, or mvn -q -B package -DskipTests).
# The VM emulates its CPU (no hardware virtualisation): a fork/exec costs about 100 times the
# host's, so every problem is judged with a CPU time limit of $JUDGE_V2_TIME_LIMIT seconds (default
# 10; javaheap's JVM, which churns garbage, $JUDGE_V2_JAVA_TIME_LIMIT, default 120: 38 s seen) instead of
# the package's own, which the emulation's speed would turn accepted and wrong-answer
# submissions into TLEs. The verdicts themselves (AC, WA, TLE, RTE for a crash, a
# fork bomb, a memory kill or an output flood) are the package's.
# Exits non-zero if any submission does not get its folder's verdict.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
vm=${V2VM_RUN:-$(cd "$top/.." && pwd)/shared/cgroup-v2-vm/run}
user=${CORRAL_ROOTLESS_USER:-corral-judge-ci}
limit=${JUDGE_V2_TIME_LIMIT:-10}
java_limit=${JUDGE_V2_JAVA_TIME_LIMIT:-120}
problems=${JUDGE_V2_PROBLEMS:-$(cd "$top/samples/judge/problems" && echo *)}

[ "$(id -u)" = 0 ] || { echo "judge-rootless-v2: run as root (it creates the test user)" >&2; exit 2; }
[ -f "$top/samples/target/corral/lib/corral-samples.jar" ] \
  || { echo "judge-rootless-v2: package first: mvn -q -B package -DskipTests" >&2; exit 2; }
[ -x "$vm" ] || { echo "judge-rootless-v2: no VM runner at $vm (set V2VM_RUN)" >&2; exit 2; }

. "$top/.ci/test-user.sh"
trap test_user_cleanup EXIT
test_user "$user" 3100000000
# the user reads the checkout's jars, scripts and problem packages
chmod -R a+rX "$top/bin" "$top/samples/target/corral" "$top/samples/judge"
chmod a+x "$top" "$top/samples" "$top/samples/target"

job=$(mktemp "$top/samples/target/judge-v2.XXXXXX.sh")
cat > "$job" <<JOB
set -u
cg=/sys/fs/cgroup/judge-rootless
mkdir \$cg && echo "+memory +pids" > /sys/fs/cgroup/cgroup.subtree_control \
  && echo "+memory +pids" > \$cg/cgroup.subtree_control || exit 1
mkdir -p /tmp/home && chown $user: /tmp/home
cd /tmp/home
status=0
for p in $problems; do
  # a delegated subtree per judge: its JVM moves itself into a leaf and enables the controllers
  # below the top, which then can hold no process of the next one
  d=\$cg/deleg-\$p
  mkdir \$d && chown -R $user: \$d || exit 1
  limit=$limit; [ "\$p" = javaheap ] && limit=$java_limit
  echo "== corral-judge --verify \$p (rootless, --time-limit \$limit)"
  start=\$(date +%s)
  # exec, not a child: the judge's JVM is the only process at the top of its subtree
  sh -c "echo \\\$\\\$ > \$d/cgroup.procs && exec setpriv --reuid=$user --regid=$user --init-groups \
    env HOME=/tmp/home $top/bin/corral-judge --verify $top/samples/judge/problems/\$p --time-limit \$limit" || status=1
  echo "== \$p took \$((\$(date +%s) - start)) s"
  # The judge's own JVM cgroup stays (a JVM cannot remove the leaf it lives in; the next start
  # in that subtree sweeps it): anything else left, a container's cgroup, is a leak.
  left=\$(find \$d -mindepth 1 -type d | grep -Ev '/deleg-[a-z0-9]+/corral(/jvm-[0-9-]+(/_jvm)?)?$' || true)
  [ -z "\$left" ] || { echo "cgroups left under \$d:"; echo "\$left"; status=1; }
done
exit \$status
JOB
chmod a+r "$job"
echo "judge-rootless-v2: booting the cgroup v2 VM for: $problems" >&2
rc=0
"$vm" "$top" -- bash "$job" || rc=$?
rm -f "$job"
exit $rc
