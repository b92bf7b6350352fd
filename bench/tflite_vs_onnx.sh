#!/bin/sh
# tflite_vs_onnx.sh BUILD_DIR [ROUNDS] [RUNS] - the same network through
# edgerun's two importers: torchvision mobilenet_v2 and mnasnet1_0 (opset 13,
# BUILD_DIR/models, as the models tier or bench/compare_ort.py exports them)
# written as .tflite by build/tests/onnx_to_tflite (NHWC activations, OHWI
# weights, explicit PAD + VALID convolutions: what the TFLite converter
# emits), then
#   1. outputs: edgerun on the .onnx (NCHW input) against edgerun on the
#      .tflite (the same input transposed to NHWC), and Google's TFLite
#      interpreter (tests/tflite/ref, when installed) on the .tflite;
#   2. latency: `edgerun bench` on the two files alternated for ROUNDS
#      rounds of RUNS runs at 1 and 2 threads; medians and minima over all.
# Prints a markdown table for bench/RESULTS.md.
set -eu
build=$(cd "${1:?usage: tflite_vs_onnx.sh BUILD_DIR [ROUNDS] [RUNS]}" && pwd)
rounds=${2:-5}
runs=${3:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export TFLITE_REF_NPM="$build/tflite/ref-npm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in mobilenet_v2 mnasnet1_0; do
  onnx="$build/models/${m}_op13.onnx"
  [ -f "$onnx" ] || "$PY" "$root/scripts/export_torchvision.py" "$build/models" --opsets 13 \
    --models "$m" >/dev/null
  "$build/tests/onnx_to_tflite" "$onnx" "$tmp/$m.tflite" >/dev/null
  # 1. outputs
  "$PY" - "$tmp" <<'PY'
import numpy as np, sys
x = np.random.RandomState(3).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
np.save(sys.argv[1] + "/x_nchw.npy", x)
t = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
np.save(sys.argv[1] + "/x_nhwc.npy", t)
t.astype("<f4").tofile(sys.argv[1] + "/x_nhwc.f32")
PY
  rm -rf "$tmp/o1" "$tmp/o2" "$tmp/ref"
  "$build/edgerun" run "$onnx" -i "$tmp/x_nchw.npy" -o "$tmp/o1" >/dev/null
  "$build/edgerun" run "$tmp/$m.tflite" -i "$tmp/x_nhwc.npy" -o "$tmp/o2" >/dev/null
  refok=0
  if [ -f "$TFLITE_REF_NPM/node_modules/@tensorflow/tfjs-tflite/package.json" ] &&
     timeout 300 node "$root/tests/tflite/ref/tflite_ref.js" "$tmp/$m.tflite" -o "$tmp/ref" \
       --input "$tmp/x_nhwc.f32" --runs 0 >/dev/null 2>&1; then
    refok=1
  fi
  "$PY" - "$tmp" "$m" "$refok" <<'PY'
import glob, numpy as np, sys
d, m, refok = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
a = np.load(glob.glob(d + "/o1/*.npy")[0]).ravel().astype(np.float64)
b = np.load(glob.glob(d + "/o2/*.npy")[0]).ravel().astype(np.float64)
s = max(1.0, np.abs(a).max())
msg = "%s: .onnx vs .tflite in edgerun: max|diff| %.3g (scaled %.3g)" % (m, np.abs(a - b).max(), np.abs(a - b).max() / s)
ok = np.abs(a - b).max() / s <= 1e-4
if refok:
    r = np.fromfile(d + "/ref/output_0.f32", dtype="<f4").astype(np.float64)
    e = np.abs(r - b).max() / max(1.0, np.abs(r).max())
    msg += "; TFLite interpreter vs edgerun on the .tflite: scaled %.3g" % e
    ok = ok and e <= 1e-3
print(msg + ("" if ok else "  MISMATCH"), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
done
echo "| model | threads | edgerun on .onnx median / min ms | edgerun on .tflite median / min ms | .tflite / .onnx (median, min) |"
echo "|---|---|---|---|---|"
for m in mobilenet_v2 mnasnet1_0; do
  for t in 1 2; do
    : > "$tmp/raw"
    for r in $(seq "$rounds"); do
      for kind in onnx tflite; do
        f="$build/models/${m}_op13.onnx"
        [ "$kind" = tflite ] && f="$tmp/$m.tflite"
        "$build/edgerun" bench "$f" --threads "$t" --warmup 5 --runs "$runs" --json --raw |
          tail -1 | sed "s/^/$kind /" >> "$tmp/raw"
      done
    done
    "$PY" - "$tmp/raw" "$m" "$t" <<'PY'
import json, statistics, sys
lat = {"onnx": [], "tflite": []}
for line in open(sys.argv[1]):
    kind, js = line.split(" ", 1)
    lat[kind] += json.loads(js)["latencies_ms"]
o, t = lat["onnx"], lat["tflite"]
mo, mt = statistics.median(o), statistics.median(t)
print("| %s | %s | %.2f / %.2f | %.2f / %.2f | %.3f, %.3f |" % (
    sys.argv[2], sys.argv[3], mo, min(o), mt, min(t), mt / mo, min(t) / min(o)))
PY
  done
done
