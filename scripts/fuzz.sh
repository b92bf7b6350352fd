#!/bin/sh
# Runs the libFuzzer targets for a bounded time.
# usage: scripts/fuzz.sh BUILD_DIR SECONDS [NODE_TESTS_DIR]
# Seeds: the ONNX node-test models, plus tests/fuzz/regressions/ (every crash
# the fuzzer ever found, kept as a regression input). New crashes are written
# to BUILD_DIR/fuzz-artifacts/.
set -eu
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS [NODE_TESTS_DIR]}
secs=${2:?seconds}
tests=${3:-${EDGERUN_ONNX_NODE_TESTS:-$(dirname "$0")/../../shared/onnx-node-tests}}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$build/fuzz-corpus/onnx"
mkdir -p "$corpus" "$build/fuzz-artifacts"
if [ -d "$tests" ]; then
  for d in "$tests"/test_*; do
    [ -f "$d/model.onnx" ] && cp "$d/model.onnx" "$corpus/$(basename "$d").onnx"
  done
fi
regress="$root/tests/fuzz/regressions"
# 1. every past crash must now be handled cleanly
if [ -d "$regress" ] && [ -n "$(ls -A "$regress" 2>/dev/null)" ]; then
  "$build/tests/fuzz/fuzz_onnx_load" -runs=0 "$regress"/* >/dev/null 2>&1 || {
    echo "fuzz: a regression input crashes again"; "$build/tests/fuzz/fuzz_onnx_load" -runs=0 "$regress"/*; exit 1; }
fi
# 2. bounded fuzzing
set +e
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
"$build/tests/fuzz/fuzz_onnx_load" -max_total_time="$secs" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" \
  "$corpus" > "$build/fuzz.log" 2>&1
rc=$?
set -e
tail -15 "$build/fuzz.log"
exit $rc
