#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test with CTest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" Release
# A short fuzz run of the broker's frame reader when clang is here; PPE_FUZZ_SECONDS=0 skips it.
if [ "${PPE_FUZZ_SECONDS:-20}" -gt 0 ]; then
  "$root/scripts/fuzz.sh" "${PPE_FUZZ_SECONDS:-20}"
fi
cd "$root/build"
ctest --output-on-failure -j2 --timeout 600 "$@"
