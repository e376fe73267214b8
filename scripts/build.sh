#!/usr/bin/env bash
# Installs what is missing, then configures and builds (Release by default) into build/.
# Usage: scripts/build.sh [Release|Debug]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
type="${1:-Release}"
build="$root/build"
[ "$type" != Release ] && build="$root/build-${type,,}"
"$root/scripts/bootstrap.sh"
# ccache, when someone installed it, makes rebuilds of several checkouts cheap; nothing needs it.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$type" "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
