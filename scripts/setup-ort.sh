#!/bin/sh
# setup-ort.sh DIR - install ONNX Runtime for Node (onnxruntime-node) into DIR/node_modules.
#
# The models test tier (tests/models/run_models.sh) takes its reference outputs from
# ONNX Runtime through tests/models/ort_run.js. This installs the pinned version with
# --ignore-scripts: the package's postinstall step downloads extra binaries from
# GitHub (unreachable here, and not needed: the npm tarball already bundles the
# linux-x64 libonnxruntime.so.1). Idempotent: an existing install of the pinned
# version that loads is reused without touching the network.
#
# Then point the tests at it:  ER_ORT_NODE_MODULES=DIR/node_modules
# (run_models.sh defaults to BUILD_DIR/npm/node_modules, i.e. DIR=BUILD_DIR/npm).
#
# Needs: node (>= 16) and npm (Debian: nodejs npm). Env: ER_ORT_VERSION overrides
# the version (default 1.30.0).
set -eu

VERSION=${ER_ORT_VERSION:-1.30.0}
if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: $0 DIR   (installs onnxruntime-node@$VERSION into DIR/node_modules)" >&2
    exit 2
fi
DIR=$1
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "setup-ort.sh: '$tool' not found (apt-get install nodejs npm)" >&2; exit 1; }
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PKG="$DIR/node_modules/onnxruntime-node"

# prints the installed version if the package loads and can create a session object
probe() {
    node -e '
const p = process.argv[1];
const v = require(p + "/package.json").version;
const ort = require(p);
if (typeof ort.InferenceSession !== "function") throw new Error("no InferenceSession");
console.log(v);' "$PKG" 2>/dev/null
}

if [ -f "$PKG/package.json" ] && [ "$(probe || true)" = "$VERSION" ]; then
    echo "onnxruntime-node $VERSION already installed in $DIR/node_modules"
    exit 0
fi

# a package.json of its own keeps npm from walking up into an enclosing project
[ -f "$DIR/package.json" ] || printf '{ "private": true, "description": "edgerun test tools" }\n' > "$DIR/package.json"
echo "installing onnxruntime-node@$VERSION into $DIR/node_modules (npm, --ignore-scripts)"
npm install --prefix "$DIR" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error \
    "onnxruntime-node@$VERSION"

got=$(probe || true)
if [ "$got" != "$VERSION" ]; then
    echo "setup-ort.sh: onnxruntime-node@$VERSION installed but does not load:" >&2
    node -e 'require(process.argv[1])' "$PKG" >&2 || true
    exit 1
fi
echo "onnxruntime-node $got ready: export ER_ORT_NODE_MODULES=$DIR/node_modules"
