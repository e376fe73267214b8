#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test with CTest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" Release
cd "$root/build"
ctest --output-on-failure -j2 --timeout 600 "$@"
