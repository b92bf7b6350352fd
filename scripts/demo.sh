#!/bin/sh
# The main job: build edgerun and classify the 10,000 Fashion-MNIST test
# images with the bundled model, printing accuracy, latency and memory.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
data=/usr/share/datasets/fashion-mnist
exec ./build/edgerun eval models/fashion_mnist_cnn.onnx \
  --images "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz" "$@"
