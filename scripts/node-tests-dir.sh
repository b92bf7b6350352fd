#!/bin/sh
# Prints the folder of ONNX node conformance tests: $EDGERUN_ONNX_NODE_TESTS,
# else the shared copy beside the project, else a copy regenerated from
# Debian's python3-onnx into BUILD_DIR (default build).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
if [ -n "${EDGERUN_ONNX_NODE_TESTS:-}" ]; then
  echo "$EDGERUN_ONNX_NODE_TESTS"
elif [ -d "$root/../shared/onnx-node-tests" ]; then
  echo "$root/../shared/onnx-node-tests"
else
  [ -d "$build/onnx-node-tests/node" ] || "$root/scripts/gen-onnx-node-tests.sh" "$build/onnx-node-tests" >/dev/null 2>&1
  echo "$build/onnx-node-tests/node"
fi
