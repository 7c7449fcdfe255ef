#!/usr/bin/env bash
# Chinese fonts and the text libraries WeasyPrint needs to print documents (docs/adr/0019).
#
#   tools/fonts.sh ensure   when a Noto CJK font (fonts-noto-cjk), the Pango libraries
#                           (libpango-1.0-0, libpangoft2-1.0-0) or HarfBuzz's subsetter are missing,
#                           install them with apt-get (as root, once); print the Noto CJK families.
#   tools/fonts.sh check    exit 0 when `fc-list :lang=zh` lists a Noto CJK font, 1 when not.
#
# The document tests (tests/conftest.py, fixture `cjk_fonts`) and `make run` call `ensure`, as the
# tests do tools/java.sh and tools/pg.sh, so that a fresh machine with only Python, make and apt
# prints slips in Chinese instead of boxes. yibao.documents.fonts makes the same check in-process
# before every rendering and refuses to print without the fonts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# libharfbuzz-subset0: WeasyPrint embeds only the glyphs used; without it, it falls back to
# fontTools, which takes seconds per CJK font (a 20 MB font has 65,000 glyphs)
PACKAGES=(fonts-noto-cjk fontconfig libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
LIBRARIES=(libpango-1.0.so.0 libpangoft2-1.0.so.0 libfontconfig.so.1 libharfbuzz-subset.so.0)

say() { echo "fonts.sh: $*" >&2; }
die() { echo "fonts.sh: error: $*" >&2; exit 1; }

# The Noto CJK families fontconfig offers for Chinese, one a line (none: exit 1).
cjk_families() {
    command -v fc-list >/dev/null || return 1
    fc-list :lang=zh family | tr ',' '\n' | grep -E '^Noto (Sans|Serif)( Mono)? CJK' | sort -u | grep .
}

libraries_present() {
    local cache lib
    # read the whole cache first: `ldconfig -p | grep -q` may die of SIGPIPE under pipefail
    cache="$( { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)"
    for lib in "${LIBRARIES[@]}"; do
        [[ "$cache" == *"$lib "* ]] || return 1
    done
}

install_packages() {
    [[ "$(id -u)" == 0 ]] || die "no Noto CJK font or Pango and installing them needs root (apt-get install ${PACKAGES[*]})"
    command -v apt-get >/dev/null || die "no Noto CJK font or Pango and apt-get is not available"
    say "installing ${PACKAGES[*]} with apt-get (once)"
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
    } >&2 || die "apt-get install ${PACKAGES[*]} failed"
    fc-cache -f >/dev/null 2>&1 || true
}

cmd_ensure() {
    mkdir -p "$ROOT/var"
    exec 9>"$ROOT/var/fonts.lock"  # one installation at a time
    flock -w 900 9 || die "timed out waiting for another tools/fonts.sh ensure"
    if ! cjk_families >/dev/null || ! libraries_present; then
        install_packages
        libraries_present || die "apt-get ran but the Pango libraries are still missing"
    fi
    cjk_families || die "apt-get installed fonts-noto-cjk but fc-list :lang=zh lists no Noto CJK font"
}

cmd_check() {
    cjk_families >/dev/null
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    check) cmd_check ;;
    *) die "usage: tools/fonts.sh ensure|check" ;;
esac
