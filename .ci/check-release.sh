#!/usr/bin/env bash
# What a release would publish, checked in two copies of the checkout made elsewhere:
# 1. Reproducible: a clean build in another directory gives jars byte-identical to the ones
#    `mvn -B verify` just made in this checkout (run that first).
# 2. The release bundle: `mvn -Prelease deploy` to a file repository (gpg skipped, the version
#    made a release one, as cutting a release would) holds, per published module, a POM with the
#    full metadata, the jar with its sources and javadoc jars, and their checksums; the BOM and
#    the parent POM are there; samples, javadoc and consumer-test are not.
# Neither touches ~/.m2 beyond reading it (-Dmaven.install.skip).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /var/tmp/corral-release-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
copy() { mkdir -p "$1"; git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$1"; }
status=0
fail() { echo "check-release: $*" >&2; status=1; }

# 1. reproducible jars
copy "$work/again"
(cd "$work/again" && mvn -B -q -DskipTests -Dmaven.install.skip=true package >"$work/again.log" 2>&1) \
  || { tail -50 "$work/again.log"; exit 1; }
jars=0
for jar in sdk-*/target/*.jar; do
  jars=$((jars + 1))
  a=$(sha256sum <"$jar" | cut -d' ' -f1)
  b=$(sha256sum <"$work/again/$jar" 2>/dev/null | cut -d' ' -f1 || true)
  if [ "$a" = "$b" ]; then
    echo "reproducible: $jar $a"
  else
    fail "NOT reproducible: $jar: $a here, ${b:-missing} in the second build"
  fi
done
[ "$jars" -ge 9 ] || fail "expected 9 jars (3 modules x jar, sources, javadoc), found $jars: run mvn -B verify first"

# 2. the release bundle
copy "$work/release"
cd "$work/release"
version=$(sed -n 's:^  <version>\(.*\)-SNAPSHOT</version>$:\1:p' pom.xml | head -1)
[ -n "$version" ] || { echo "check-release: no -SNAPSHOT version in pom.xml" >&2; exit 1; }
find . -name pom.xml -exec sed -i "s/$version-SNAPSHOT/$version/g" {} +
repo=$work/repo
mvn -B -q -Prelease -Dgpg.skip -DskipTests -Dmaven.install.skip=true deploy \
  -DaltDeploymentRepository="local::file:$repo" >"$work/release.log" 2>&1 \
  || { tail -50 "$work/release.log"; exit 1; }
base=$repo/dev/corral
for m in corral-parent corral-bom sdk-cgroups sdk-namespaces sdk-core; do
  files=("$m-$version.pom")
  case $m in sdk-*) files+=("$m-$version.jar" "$m-$version-sources.jar" "$m-$version-javadoc.jar") ;; esac
  for f in "${files[@]}"; do
    for x in "" .md5 .sha1; do
      [ -s "$base/$m/$version/$f$x" ] || fail "the bundle lacks $m/$version/$f$x"
    done
  done
  pom=$base/$m/$version/$m-$version.pom
  for tag in name description; do
    grep -q "<$tag>" "$pom" || fail "$m's POM has no <$tag>"
  done
done
for pom in "$base/corral-parent/$version/corral-parent-$version.pom" "$base/corral-bom/$version/corral-bom-$version.pom"; do
  for tag in url licenses developers scm connection developerConnection issueManagement; do
    grep -q "<$tag[ >]" "$pom" || fail "$(basename "$pom") has no <$tag>"
  done
done
for m in samples javadoc consumer-test; do
  [ ! -e "$base/$m" ] || fail "$m was deployed; it must not be"
done
echo "release bundle ($version): $(find "$repo" -type f | wc -l) files"
(cd "$repo" && find . -type f -name '*.jar' -o -type f -name '*.pom' | sort | sed 's/^/  /')
exit $status
