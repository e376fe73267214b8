#!/usr/bin/env bash
# Fuzzes the broker's decoding and validation of a frame (FrameReader) with libFuzzer for SECONDS
# (default 60), in build-fuzz/ with clang, ASan and UBSan. Exits non-zero on a crash (the input is
# kept in build-fuzz/crashes/); skips with a message, exit 0, when clang or libFuzzer is missing.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
build="$root/build-fuzz"

if ! command -v clang++ >/dev/null; then
  echo "fuzz: skipped: clang++ is not installed (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/probe.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" 2>/dev/null; then
  echo "fuzz: skipped: clang++ has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
  exit 0
fi

"$root/scripts/bootstrap.sh"
# Every library the target links is instrumented too, so the fuzzer sees coverage inside them.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPPE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$build" --target frame_fuzz -j"$(nproc)" >/dev/null

corpus="$build/corpus"
mkdir -p "$corpus" "$build/crashes"
"$build/tests/frame_fuzz" --write-seeds "$corpus"
echo "fuzz: running FrameReader for ${seconds}s (log: $build/fuzz.log)"
status=0
"$build/tests/frame_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$build/crashes/" "$corpus" >"$build/fuzz.log" 2>&1 || status=$?
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/fuzz.log" | sed 's/^/fuzz: /' || true
if [ "$status" -ne 0 ]; then
  grep -E "ERROR|SUMMARY|Test unit written" "$build/fuzz.log" | sed 's/^/fuzz: /' || true
  echo "fuzz: FAILED (exit $status); make each input in $build/crashes/ a test in tests/frame_reader_test.cpp"
  exit 1
fi
echo "fuzz: no crash"
