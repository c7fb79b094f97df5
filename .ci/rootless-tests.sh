#!/usr/bin/env bash
# Runs sdk-core's container tests (escape suite, security settings, isolation, stdio, start
# errors) as an unprivileged user, with the same assertions as under root: the default container
# is then rootless (the user is root in its user namespace; subordinate IDs through
# newuidmap/newgidmap). Builds nothing: compile on the host first (mvn -B verify, or
#   mvn -B -pl sdk-core -am test-compile).
# The user, and the /etc/subuid and /etc/subgid lines, are created if missing and removed again
# at exit when this script created them. Exits non-zero if a test fails or none ran.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mod=$top/sdk-core
user=${CORRAL_ROOTLESS_USER:-corral-rootless}
junit=1.13.4
classes=(EscapeTest SecurityPolicyTest IsolationTest StdioAndStatusTest StartErrorsTest UnprivilegedLimitsTest OwnerMappedBindTest)

[ "$(id -u)" = 0 ] || { echo "rootless-tests: run as root (it creates the test user)" >&2; exit 2; }
[ -d "$mod/target/test-classes/dev/corral" ] \
  || { echo "rootless-tests: compile first: mvn -B -pl sdk-core -am test-compile" >&2; exit 2; }

ci=$mod/target/rootless-ci
rm -rf "$ci" && mkdir -p "$ci/lib"
mvn -q -B -f "$top/pom.xml" -pl sdk-core -am compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ci/classpath.txt"
mvn -q -B -f "$top/pom.xml" dependency:copy \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit" -DoutputDirectory="$ci"
# The console launcher brings JUnit itself; the other jars are copied so that the unprivileged
# user can read them (the Maven repository under /root may be private). The reactor's own
# modules come from their target/classes.
cp=$mod/target/test-classes:$mod/target/classes
for jar in $(tr ':' '\n' < "$ci/classpath.txt"); do
  case "$jar" in */org/junit/*|*/org/opentest4j/*|*/org/apiguardian/*) continue;; esac
  case "$jar" in
    */target/classes) cp="$cp:$jar"; continue;;
    */dev/corral/sdk-namespaces/*) cp="$cp:$top/sdk-namespaces/target/classes"; continue;;
    */dev/corral/sdk-cgroups/*) cp="$cp:$top/sdk-cgroups/target/classes"; continue;;
  esac
  cp "$jar" "$ci/lib/" && cp="$cp:$ci/lib/$(basename "$jar")"
done
chmod -R a+rX "$ci" "$top"/sdk-*/target/classes "$mod/target/test-classes" "$mod/src/test"

. "$top/.ci/test-user.sh"
tun_mode=
cleanup() {
  if [ -n "$tun_mode" ]; then chmod "$tun_mode" /dev/net/tun; fi
  test_user_cleanup
}
trap cleanup EXIT
test_user "$user" 3000000000

classes+=(PooledIsolationTest InteractionTest ScratchDirectoryTest) # the judge's pieces: pooled runs, interactions, scratch directories
classes+=(ExecTest) # a command exec'd in a running container
classes+=(RootlessBuildTest) # a Dockerfile build: its layers carry the container's owners, the store keeps nothing the user cannot remove
classes+=(TarballOwnersTest) # Rootfs.tarball: its entries' owners and modes, as a container sees them, and a prune that leaves nothing of another owner
classes+=(PastaNetworkTest) # Network.pasta(): the host's loopback reached, a published port answering
# pasta opens /dev/net/tun as the user: Debian's udev makes it 0666, a machine without udev
# may have it 0600 (restored at exit)
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  tun_mode=$(stat -c %a /dev/net/tun); chmod 0666 /dev/net/tun
fi
select=()
for c in "${classes[@]}"; do select+=(--select-class "dev.corral.$c"); done
echo "== sdk-core container tests as $user (uid $(id -u "$user")), rootless"
cd "$mod"
set +e
setpriv --reuid="$user" --regid="$user" --init-groups --reset-env \
  java -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp -jar "$ci/junit-platform-console-standalone-$junit.jar" execute \
  --disable-banner --disable-ansi-colors --details=summary --fail-if-no-tests -cp "$cp" \
  --config=jqwik.database="/tmp/jqwik-database-rootless-$user" "${select[@]}" > "$ci/rootless.log" 2>&1
rc=$?
set -e
tail -n 40 "$ci/rootless.log"
grep -E "^\s+(Tests|JUnit)|MethodSource|=>" "$ci/rootless.log" | head -60 || true
[ $rc = 0 ] || { echo "rootless tests FAILED (rc=$rc)"; exit 1; }
grep -Eq '\[ +0 tests failed' "$ci/rootless.log" || { echo "rootless tests FAILED"; exit 1; }
echo "rootless tests passed"

# samples/ci as the same user: a Maven build from a seed the user owns (what the demo project
# needs, taken from root's repository by a host build of it: root's 0750 ~/.m2 is no one
# else's, rootless), and a C build with make. Its limits need a delegated cgroup, which this
# host does not give (UnprivilegedLimitsTest): the rootless builds run without.
samples=$top/samples
[ -d "$samples/target/test-classes/dev/corral/samples/ci" ] \
  || { echo "rootless-tests: compile first: mvn -B -pl samples -am test-compile" >&2; exit 2; }
mvn -q -B -f "$top/pom.xml" -pl samples -am compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$ci/samples-classpath.txt"
scp=$samples/target/test-classes:$samples/target/classes
for jar in $(tr ':' '\n' < "$ci/samples-classpath.txt"); do
  case "$jar" in */org/junit/*|*/org/opentest4j/*|*/org/apiguardian/*) continue;; esac
  case "$jar" in
    */target/classes) scp="$scp:$jar"; continue;;
    */dev/corral/*) scp="$scp:$top/$(basename "$(dirname "$(dirname "$jar")")")/target/classes"; continue;;
  esac
  [ -f "$ci/lib/$(basename "$jar")" ] || cp "$jar" "$ci/lib/"
  scp="$scp:$ci/lib/$(basename "$jar")"
done
seed=$ci/m2-seed demo=$ci/maven-demo
cp -r "$samples/src/test/resources/ci/maven-demo" "$demo"
printf '<settings><localRepository>%s</localRepository><mirrors><mirror><id>seed</id><mirrorOf>*</mirrorOf><url>file://%s</url></mirror></mirrors></settings>\n' \
  "$seed" "$HOME/.m2/repository" > "$demo/host-settings.xml"
mvn -q -B -f "$demo/pom.xml" -s "$demo/host-settings.xml" package
chown -R "$user:" "$seed"
chmod -R a+rX "$ci" "$top"/*/target/classes "$samples/target/test-classes"
echo "== samples/ci as $user, rootless"
set +e
setpriv --reuid="$user" --regid="$user" --init-groups --reset-env \
  java -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp -Dcorral.ci.seed="$seed" \
  -jar "$ci/junit-platform-console-standalone-$junit.jar" execute --disable-banner --disable-ansi-colors \
  --details=summary --fail-if-no-tests --exclude-engine=jqwik -cp "$scp" --select-class dev.corral.samples.ci.CiRunnerTest \
  > "$ci/rootless-ci.log" 2>&1
rc=$?
set -e
tail -n 30 "$ci/rootless-ci.log"
[ $rc = 0 ] && grep -Eq '\[ +0 tests failed' "$ci/rootless-ci.log" || { echo "rootless samples/ci tests FAILED"; exit 1; }
echo "rootless samples/ci tests passed"
