#!/bin/sh
# bench/erm_sizes.sh [BUILD] - int8 .erm file size against the float32 ONNX
# file (issue 5: at most 0.30x), with what the file holds: the weights
# section (int8 weights, per-channel scales, int32 biases, activation
# scales/zero points) and everything else (header, section table, the
# compressed graph records). Bundled Fashion-MNIST models calibrated on 1,000
# training images; torchvision resnet18 / mobilenet_v2 (seeded weights, from
# scripts/export_torchvision.py via the models tier) on build/models/input_224.npy.
set -eu
build=${1:-build}
er=$build/edgerun
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fm=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
printf '| model | fp32 ONNX bytes | int8 .erm bytes | ratio | weights section | rest (header, table, records) |\n|---|---|---|---|---|---|\n'
for spec in "models/fashion_mnist_cnn.onnx:$fm" "models/fashion_mnist_mobilenetv2.onnx:$fm" \
            "$build/models/resnet18_op13.onnx:$build/models/input_224.npy" \
            "$build/models/mobilenet_v2_op13.onnx:$build/models/input_224.npy"; do
  m=${spec%%:*}; calib=${spec#*:}
  [ -f "$m" ] && [ -f "$calib" ] || { echo "skip $m (missing)" >&2; continue; }
  out=$tmp/$(basename "$m" .onnx).erm
  "$er" quantize "$m" --calib "$calib" -q -o "$out" >/dev/null
  python3 - "$m" "$out" <<'PY'
import os, struct, sys
src, erm = sys.argv[1], sys.argv[2]
d = open(erm, 'rb').read()
n = struct.unpack_from('<I', d, 32)[0]
weights = 0
for i in range(n):
    t, f, o, s, c = struct.unpack_from('<IIQQQ', d, 64 + 32 * i)
    if t == 9: weights = s
a, b = os.path.getsize(src), len(d)
name = os.path.basename(src)[:-5]
print(f"| {name} | {a:,} | {b:,} | **{b / a:.3f}x** | {weights:,} | {b - weights:,} |")
PY
done
