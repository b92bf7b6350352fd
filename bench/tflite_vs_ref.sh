#!/bin/sh
# tflite_vs_ref.sh BUILD_DIR [RUNS] - single-thread latency of edgerun vs
# Google's TFLite interpreter (WASM build with its XNNPACK delegate, run by
# tests/tflite/ref/tflite_ref.js in Node) on the MediaPipe models. Prints a
# markdown table for bench/RESULTS.md. Needs the models and the runner that
# tests/tflite/run_tflite_models.sh installs into BUILD_DIR/tflite/.
# EDGERUN_DISABLE_PASSES=all measures the imported graph on the reference
# kernels (no layout pass, no fusion).
set -eu
build=$(cd "${1:?usage: tflite_vs_ref.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
mp="$build/tflite/npm/node_modules/@mediapipe"
export TFLITE_REF_NPM="$build/tflite/ref-npm"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
[ -d "$mp" ] || { echo "run tests/tflite/run_tflite_models.sh $build first (installs the models)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| model | edgerun median ms | edgerun min ms | TFLite (WASM+XNNPACK) median ms | TFLite min ms | edgerun / TFLite, median (min) |"
echo "|---|---:|---:|---:|---:|---:|"
for m in face_detection/face_detection_short_range face_detection/face_detection_full_range_sparse \
         hands/hand_landmark_lite pose/pose_landmark_lite selfie_segmentation/selfie_segmentation; do
  f="$mp/$m.tflite"
  "$build/edgerun" bench "$f" --threads 1 --warmup 5 --runs "$runs" --json > "$tmp/er.json"
  ref="-"
  refmin="-"
  if node "$root/tests/tflite/ref/tflite_ref.js" "$f" -o "$tmp/ref" --runs "$runs" >/dev/null 2>&1; then
    ref=$("$PY" -c "import json;print('%.2f'%json.load(open('$tmp/ref/meta.json'))['timing_ms']['infer_median'])")
    refmin=$("$PY" -c "import json;print('%.2f'%json.load(open('$tmp/ref/meta.json'))['timing_ms']['infer_min'])")
  fi
  "$PY" - "$tmp/er.json" "$(basename "$m")" "$ref" "$refmin" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
ref, refmin = sys.argv[3], sys.argv[4]
ratio = ("%.2fx (%.2fx)" % (e["median_ms"] / float(ref), e["min_ms"] / float(refmin))
         if ref != "-" else "- (custom op)")
print("| %s | %.2f | %.2f | %s | %s | %s |" % (sys.argv[2], e["median_ms"], e["min_ms"], ref,
                                               refmin, ratio))
PY
done
