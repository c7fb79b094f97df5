#!/usr/bin/env bash
# Runs sdk-cgroups' tests tagged cgroup-v2 on a real cgroup-v2-only kernel (../shared/cgroup-v2-vm),
# as root, and then the rootless test (tag cgroup-v2-rootless) as an unprivileged user that owns a
# delegated subtree, all in one VM boot. Builds nothing: compile on the host first,
#   mvn -B -pl sdk-cgroups test-compile
# Exits non-zero if a test fails, if none ran, or if any was skipped or aborted.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mod=$top/sdk-cgroups
vm=${V2VM_RUN:-$(cd "$top/.." && pwd)/shared/cgroup-v2-vm/run}
user=${CORRAL_ROOTLESS_USER:-corral-ci}
junit=1.13.4

[ -d "$mod/target/test-classes/dev/corral/cgroups" ] && [ -d "$mod/target/classes/dev/corral/cgroups" ] \
  || { echo "cgroup-v2-tests: compile first: mvn -B -pl sdk-cgroups test-compile" >&2; exit 2; }
[ -x "$vm" ] || { echo "cgroup-v2-tests: no VM runner at $vm (set V2VM_RUN)" >&2; exit 2; }

ci=$mod/target/cgroup-v2-ci
rm -rf "$ci" && mkdir -p "$ci/lib"
mvn -q -B -f "$top/pom.xml" -pl sdk-cgroups test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ci/classpath.txt"
mvn -q -B -f "$top/pom.xml" dependency:copy \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit" -DoutputDirectory="$ci"
# The console launcher brings JUnit itself (two Jupiter engines would clash); the other jars are
# copied so that the unprivileged user can read them (the Maven repository may be private).
cp=$mod/target/test-classes:$mod/target/classes
for jar in $(tr ':' '\n' < "$ci/classpath.txt"); do
  case "$jar" in */org/junit/*|*/org/opentest4j/*|*/org/apiguardian/*) continue;; esac
  cp "$jar" "$ci/lib/" && cp="$cp:$ci/lib/$(basename "$jar")"
done
chmod -R a+rX "$ci" "$mod/target/classes" "$mod/target/test-classes"

# sdk-core's container tests tagged cgroup-v2 (limits and metering through a container's cgroup)
core=$top/sdk-core
[ -d "$core/target/test-classes/dev/corral" ] \
  || { echo "cgroup-v2-tests: compile sdk-core's tests first: mvn -B -pl sdk-core -am test-compile" >&2; exit 2; }
mvn -q -B -f "$top/pom.xml" -pl sdk-core -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ci/core-classpath.txt"
corecp=$core/target/test-classes:$core/target/classes
for jar in $(tr ':' '\n' < "$ci/core-classpath.txt"); do
  case "$jar" in */org/junit/*|*/org/opentest4j/*|*/org/apiguardian/*) continue;; esac
  case "$jar" in
    */dev/corral/sdk-namespaces/*) corecp="$corecp:$top/sdk-namespaces/target/classes";;
    */dev/corral/sdk-cgroups/*) corecp="$corecp:$top/sdk-cgroups/target/classes";;
    *) corecp="$corecp:$jar";;
  esac
done

# the test user lives on the host: the VM's root file system is this machine's
if ! id "$user" >/dev/null 2>&1; then
  group=(--user-group); getent group "$user" >/dev/null && group=(--gid "$user")
  useradd --system --no-create-home --shell /usr/sbin/nologin "${group[@]}" "$user"
fi

cat > "$ci/job.sh" <<JOB
set -u
launch() { java -XX:TieredStopAtLevel=1 -jar $ci/junit-platform-console-standalone-$junit.jar execute \
  --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests -cp '$cp' --scan-class-path $mod/target/test-classes "\$@"; }
check() {   # \$1 = log: no test may be skipped or aborted (each claims to check something on v2)
  grep -Eq '\[ +0 tests aborted' "\$1" && grep -Eq '\[ +0 tests skipped' "\$1" && grep -Eq '\[ +0 containers aborted' "\$1"
}
cd $mod
echo "== cgroup v2, as root"
launch --include-tag cgroup-v2 > /tmp/root.log 2>&1; rc=\$?
cat /tmp/root.log
[ \$rc = 0 ] && check /tmp/root.log || { echo "cgroup-v2 tests FAILED (rc=\$rc)"; exit 1; }

echo "== cgroup v2, rootless as $user in a delegated subtree with memory and pids only"
cg=/sys/fs/cgroup/ci-rootless
mkdir \$cg && echo "+memory +pids" > /sys/fs/cgroup/cgroup.subtree_control \
  && echo "+memory +pids" > \$cg/cgroup.subtree_control && mkdir \$cg/deleg && chown -R $user: \$cg/deleg || exit 1
cd /tmp
# exec, not a child: the JVM is the only process at the top of its subtree (setpriv does not fork)
sh -c "echo \\\$\\\$ > \$cg/deleg/cgroup.procs && exec setpriv --reuid=$user --regid=$user --init-groups \
  java -XX:TieredStopAtLevel=1 -jar $ci/junit-platform-console-standalone-$junit.jar execute \
  --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests -cp '$cp' --scan-class-path $mod/target/test-classes \
  --config=jqwik.database=/tmp/jqwik-database --include-tag cgroup-v2-rootless" > /tmp/rootless.log 2>&1; rc=\$?
cat /tmp/rootless.log
[ \$rc = 0 ] && check /tmp/rootless.log || { echo "rootless cgroup-v2 test FAILED (rc=\$rc)"; exit 1; }
echo "== containers with limits on cgroup v2 (sdk-core), as root"
cd $core
java -XX:TieredStopAtLevel=1 -Dcorral.test.manyRuns=100 -jar $ci/junit-platform-console-standalone-$junit.jar execute \
  --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests -cp '$corecp' \
  --scan-class-path $core/target/test-classes --config=jqwik.database=/tmp/jqwik-core \
  --include-tag cgroup-v2 > /tmp/core.log 2>&1; rc=\$?
cat /tmp/core.log
[ \$rc = 0 ] && check /tmp/core.log || { echo "sdk-core cgroup-v2 tests FAILED (rc=\$rc)"; exit 1; }
left=\$(find /sys/fs/cgroup -mindepth 1 -type d -name 'jvm-*' | grep -v '/_jvm' || true)
echo "cgroups left: \${left:-none}"
JOB

echo "cgroup-v2-tests: booting the cgroup v2 VM" >&2
"$vm" "$mod" -- bash "$ci/job.sh"
