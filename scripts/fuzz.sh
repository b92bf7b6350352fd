#!/bin/sh
# Runs the libFuzzer targets for a bounded time, each for SECONDS.
# usage: scripts/fuzz.sh BUILD_DIR SECONDS [NODE_TESTS_DIR]
# Targets: fuzz_onnx_load (ONNX reader), fuzz_erm_load (.erm reader) and
# fuzz_tflite_load (TFLite reader; built here when missing).
# Seeds: the ONNX node-test models; for .erm the same models converted with
# `edgerun convert` ($EDGERUN_CLI, else BUILD_DIR/edgerun, else build/edgerun);
# for TFLite the test models written by tflite_seeds (tests/support/
# tflite_models.c) plus the small MediaPipe models when the test setup
# installed them ($ER_TFLITE_MODELS, default build/tflite/npm/node_modules/
# @mediapipe); plus tests/fuzz/regressions/ (every crash a fuzzer ever found,
# kept as a regression input: *.onnx, *.erm, *.tflite for the matching target).
# New crashes are written to BUILD_DIR/fuzz-artifacts/.
set -eu
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS [NODE_TESTS_DIR]}
secs=${2:?seconds}
tests=${3:-${EDGERUN_ONNX_NODE_TESTS:-$(dirname "$0")/../../shared/onnx-node-tests}}
root=$(cd "$(dirname "$0")/.." && pwd)
regress="$root/tests/fuzz/regressions"
mkdir -p "$build/fuzz-corpus/onnx" "$build/fuzz-corpus/erm" "$build/fuzz-corpus/tflite" \
  "$build/fuzz-artifacts"

# seeds
if [ -d "$tests" ]; then
  for d in "$tests"/test_*; do
    [ -f "$d/model.onnx" ] && cp "$d/model.onnx" "$build/fuzz-corpus/onnx/$(basename "$d").onnx"
  done
fi
cli=${EDGERUN_CLI:-}
[ -z "$cli" ] && [ -x "$build/edgerun" ] && cli="$build/edgerun"
[ -z "$cli" ] && [ -x "$root/build/edgerun" ] && cli="$root/build/edgerun"
if [ -n "$cli" ] && [ -z "$(ls -A "$build/fuzz-corpus/erm" 2>/dev/null)" ]; then
  for f in "$build"/fuzz-corpus/onnx/*.onnx; do
    [ -f "$f" ] || continue
    # models the ONNX reader refuses (unsupported dtypes...) have no .erm form
    "$cli" convert "$f" -o "$build/fuzz-corpus/erm/$(basename "$f" .onnx).erm" --quiet \
      2>/dev/null || true
  done
fi
[ -n "$cli" ] || echo "fuzz: no edgerun CLI to convert .erm seeds (set EDGERUN_CLI); fuzzing .erm from scratch"

if [ ! -x "$build/tests/fuzz/fuzz_tflite_load" ] || [ ! -x "$build/tests/fuzz/tflite_seeds" ]; then
  cmake --build "$build" --target fuzz_tflite_load tflite_seeds >/dev/null || true
fi
if [ -x "$build/tests/fuzz/tflite_seeds" ]; then
  "$build/tests/fuzz/tflite_seeds" "$build/fuzz-corpus/tflite"
  mp=${ER_TFLITE_MODELS:-$root/build/tflite/npm/node_modules/@mediapipe}
  for f in "$mp"/face_detection/face_detection_short_range.tflite \
           "$mp"/selfie_segmentation/selfie_segmentation.tflite; do
    [ -f "$f" ] && cp "$f" "$build/fuzz-corpus/tflite/"
  done
fi

rc=0
for target in onnx erm tflite; do
  # the TFLite seeds include whole MediaPipe models (~250 KB)
  max_len=65536
  [ "$target" = tflite ] && max_len=300000
  bin="$build/tests/fuzz/fuzz_${target}_load"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is not built (cmake --build $build --target fuzz_${target}_load)"
    rc=1
    continue
  fi
  # 1. every past crash must now be handled cleanly
  set -- "$regress"/*."$target"
  if [ -f "$1" ]; then
    "$bin" -runs=0 "$@" >/dev/null 2>&1 || {
      echo "fuzz ($target): a regression input crashes again"; "$bin" -runs=0 "$@"; rc=1; continue; }
  fi
  # 2. bounded fuzzing
  set +e
  ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
  "$bin" -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$target-" \
    "$build/fuzz-corpus/$target" > "$build/fuzz-$target.log" 2>&1
  r=$?
  set -e
  echo "== fuzz_${target}_load ($(ls "$build/fuzz-corpus/$target" | wc -l) corpus files)"
  tail -15 "$build/fuzz-$target.log"
  [ $r -eq 0 ] || rc=$r
done
exit $rc
