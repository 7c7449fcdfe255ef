#!/usr/bin/env bash
# Java for the Spark audit engine (docs/adr/0012): PySpark 4 runs on Java 17 or 21.
#
#   tools/java.sh ensure   find a Java >= 17 (JAVA_HOME, PATH, /usr/lib/jvm), or install Debian's
#                          openjdk-17-jre-headless with apt-get (as root, once); print JAVA_HOME.
#   tools/java.sh home     print JAVA_HOME of the Java found, exit 1 when there is none.
#
# The test set-up (tests/conftest.py, fixture `java_home`) calls `ensure`, as it does tools/pg.sh
# for PostgreSQL, so that `make test` works on a fresh machine with only Python, make and apt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
MIN_MAJOR=17

say() { echo "java.sh: $*" >&2; }
die() { echo "java.sh: error: $*" >&2; exit 1; }

# The major version of a java binary (8 for 1.8.0_x, 17 for 17.0.x), empty if it does not run.
major_of() {
    "$1" -version 2>&1 | sed -n 's/.*version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1
}

find_java() {
    local candidate major
    for candidate in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java 2>/dev/null || true)" \
        /usr/lib/jvm/*/bin/java; do
        [[ -n "$candidate" && -x "$candidate" ]] || continue
        major="$(major_of "$candidate" || true)"
        if [[ "$major" =~ ^[0-9]+$ ]] && (( major >= MIN_MAJOR )); then
            readlink -f "$candidate"
            return 0
        fi
    done
    return 1
}

install_java() {
    [[ "$(id -u)" == 0 ]] || die "no Java >= $MIN_MAJOR and installing one needs root (apt-get install openjdk-17-jre-headless)"
    command -v apt-get >/dev/null || die "no Java >= $MIN_MAJOR and apt-get is not available"
    say "no Java >= $MIN_MAJOR: installing openjdk-17-jre-headless with apt-get (once)"
    # slim Debian images lack the man directory the JRE's post-install script writes into
    mkdir -p /usr/share/man/man1
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                  openjdk-17-jre-headless ||
              DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                  default-jre-headless; }
    } >&2 || die "apt-get install openjdk-17-jre-headless failed"
}

cmd_ensure() {
    mkdir -p "$ROOT/var"
    exec 9>"$ROOT/var/java.lock"  # one installation at a time
    flock -w 900 9 || die "timed out waiting for another tools/java.sh ensure"
    local java
    if ! java="$(find_java)"; then
        install_java
        java="$(find_java)" || die "apt-get installed Java but no java >= $MIN_MAJOR was found"
    fi
    dirname "$(dirname "$java")"
}

cmd_home() {
    local java
    java="$(find_java)" || exit 1
    dirname "$(dirname "$java")"
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    home) cmd_home ;;
    *) die "usage: tools/java.sh ensure|home" ;;
esac
