#!/usr/bin/env bash
# check-library-deps.sh: what a project that depends on postilion-engine resolves, seen from
# outside. Installs dns, tls, transport and engine into a scratch local repository (a hard-linked
# copy of ~/.m2/repository, so ~/.m2 itself is never written), resolves a one-dependency consumer
# project against it and fails when the consumer gets
#   - an SLF4J backend (slf4j-simple is for the command-line jar only), or
#   - a Netty module at another version than the one the build tests with (netty.version).
# Offline when ~/.m2 holds everything; online otherwise. Prints the consumer's Netty and SLF4J jars.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
netty="$(sed -n 's:.*<netty.version>\(.*\)</netty.version>.*:\1:p' pom.xml | head -1)"
version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/postilion-libdeps.XXXXXX")"
trap 'rm -rf "$work"' EXIT
repo="$work/repository"
cp -al "$HOME/.m2/repository" "$repo" 2>/dev/null || { echo "check-library-deps: cannot hard-link ~/.m2/repository into $work (another file system?); set TMPDIR to one on the same file system" >&2; exit 2; }
rm -rf "$repo/io/postilion"

# mvn_try ARGS...: offline first, online when something is missing.
mvn_try() {
    mvn -B -q -ntp -o -Dmaven.repo.local="$repo" "$@" > "$work/mvn.log" 2>&1 && return 0
    grep -qE 'offline mode|has not been downloaded' "$work/mvn.log" || { cat "$work/mvn.log"; return 1; }
    mvn -B -q -ntp -Dmaven.repo.local="$repo" "$@" > "$work/mvn.log" 2>&1 || { cat "$work/mvn.log"; return 1; }
}

mvn_try -pl engine -am install -DskipTests
mkdir -p "$work/consumer"
cat > "$work/consumer/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.postilion</groupId>
      <artifactId>postilion-engine</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
(cd "$work/consumer" && mvn_try org.apache.maven.plugins:maven-dependency-plugin:3.8.1:tree -DoutputFile="$work/tree.txt")
grep -E 'io\.netty:|org\.slf4j:' "$work/tree.txt" | sed 's/^[| +\\-]*//' | sort -u
bad=0
if grep -q 'org.slf4j:slf4j-simple' "$work/tree.txt"; then
    echo "check-library-deps: FAILED: a library user gets slf4j-simple"; bad=1
fi
others="$(grep -oE 'io\.netty:netty-[a-z0-9-]+:jar(:[a-z0-9_-]+)?:[0-9][^:]*' "$work/tree.txt" | grep -v 'netty-tcnative' | grep -v ":$netty\$" || true)"
if [ -n "$others" ]; then
    echo "check-library-deps: FAILED: a library user gets Netty modules other than $netty:"; echo "$others"; bad=1
fi
[ "$bad" = 0 ] && echo "check-library-deps: ok: no logging backend, every Netty module at $netty"
exit "$bad"
