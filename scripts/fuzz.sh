#!/bin/sh
# Runs the libFuzzer targets for a bounded time: fuzz_onnx_load, then
# fuzz_tflite_load, each for SECONDS.
# usage: scripts/fuzz.sh BUILD_DIR SECONDS [NODE_TESTS_DIR]
# Seeds: the ONNX node-test models; for TFLite the test models written by
# tflite_seeds (tests/support/tflite_models.c) plus the small MediaPipe
# models when the test setup installed them ($ER_TFLITE_MODELS, default
# build/tflite/npm/node_modules/@mediapipe). tests/fuzz/regressions/ keeps
# every input that ever crashed a fuzzer (*.onnx, *.tflite). New crashes are
# written to BUILD_DIR/fuzz-artifacts/.
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
onnx_regress=$(ls "$regress"/* 2>/dev/null | grep -v '\.tflite$' || true)
if [ -n "$onnx_regress" ]; then
  # shellcheck disable=SC2086
  "$build/tests/fuzz/fuzz_onnx_load" -runs=0 $onnx_regress >/dev/null 2>&1 || {
    echo "fuzz: a regression input crashes again"; "$build/tests/fuzz/fuzz_onnx_load" -runs=0 $onnx_regress; exit 1; }
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
[ "$rc" -eq 0 ] || exit $rc

# ---- TFLite ------------------------------------------------------------------
if [ ! -x "$build/tests/fuzz/fuzz_tflite_load" ] || [ ! -x "$build/tests/fuzz/tflite_seeds" ]; then
  cmake --build "$build" --target fuzz_tflite_load tflite_seeds >/dev/null
fi
tcorpus="$build/fuzz-corpus/tflite"
mkdir -p "$tcorpus"
"$build/tests/fuzz/tflite_seeds" "$tcorpus"
mp=${ER_TFLITE_MODELS:-$root/build/tflite/npm/node_modules/@mediapipe}
for f in "$mp"/face_detection/face_detection_short_range.tflite \
         "$mp"/selfie_segmentation/selfie_segmentation.tflite; do
  [ -f "$f" ] && cp "$f" "$tcorpus/"
done
if ls "$regress"/*.tflite >/dev/null 2>&1; then
  "$build/tests/fuzz/fuzz_tflite_load" -runs=0 "$regress"/*.tflite >/dev/null 2>&1 || {
    echo "fuzz: a TFLite regression input crashes again"
    "$build/tests/fuzz/fuzz_tflite_load" -runs=0 "$regress"/*.tflite; exit 1; }
fi
set +e
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
"$build/tests/fuzz/fuzz_tflite_load" -max_total_time="$secs" -max_len=300000 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" \
  "$tcorpus" > "$build/fuzz-tflite.log" 2>&1
rc=$?
set -e
tail -15 "$build/fuzz-tflite.log"
exit $rc
