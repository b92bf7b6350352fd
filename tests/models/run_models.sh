#!/bin/sh
# run_models.sh BUILD_DIR - the "models" test tier: torchvision CNNs, edgerun vs ONNX Runtime.
#
# For each model x opset: export it with seeded random weights
# (scripts/export_torchvision.py, cached in BUILD_DIR/models), compute ONNX Runtime's
# output for the seeded input (tests/models/ort_run.js, cached in BUILD_DIR/models/ref),
# run `BUILD_DIR/edgerun run`, and compare (tests/models/compare.py: max abs error
# <= tol * max(1, range of the reference output)). Prints one line per model and
# ends with "N passed, N failed". Also checks models/fashion_mnist_cnn.onnx on 64 real
# Fashion-MNIST test images (output logits.npy). Exit 0 when all pass, 1 on any failure, 77 (ctest:
# skipped) when torch/torchvision/onnx/numpy, node or onnxruntime-node are missing.
#
# Environment:
#   ER_ORT_NODE_MODULES  node_modules folder holding onnxruntime-node
#                        (default BUILD_DIR/npm/node_modules; create it with
#                        scripts/setup-ort.sh BUILD_DIR/npm)
#   ER_PYTHON            python with torch, torchvision, onnx, numpy
#                        (default: the first of python3, /usr/bin/python3 that has them)
#   ER_MODELS            comma-separated subset of models (default: all in
#                        export_torchvision.py, plus fashion_mnist_cnn)
#   ER_OPSETS            comma-separated opsets (default 13,17)
#   ER_TOL               relative tolerance (default 1e-4)
#   ER_MODELS_DIR        cache folder (default BUILD_DIR/models)
#   ER_EDGERUN           the CLI to test (default BUILD_DIR/edgerun)
#   ER_ORT_THREADS       ONNX Runtime intra-op threads for the reference (default 1)
#   ER_KEEP_BN           1: test exports that keep BatchNormalization nodes
#                        (<model>_op<N>_bn.onnx), so edgerun's own BN folding runs
set -u

SKIP=77
if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "run_models.sh: no build folder '$1'" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EDGERUN=${ER_EDGERUN:-$BUILD_DIR/edgerun}
CACHE=${ER_MODELS_DIR:-$BUILD_DIR/models}
OPSETS=${ER_OPSETS:-13,17}
TOL=${ER_TOL:-1e-4}
ORT_THREADS=${ER_ORT_THREADS:-1}
if [ "${ER_KEEP_BN:-0}" = 1 ]; then BN_FLAG=--keep-bn BN_SUFFIX=_bn; else BN_FLAG= BN_SUFFIX=; fi
export ER_ORT_NODE_MODULES="${ER_ORT_NODE_MODULES:-$BUILD_DIR/npm/node_modules}"

# ---- prerequisites: missing tools skip (77), a missing edgerun fails -------------
if [ -n "${ER_PYTHON:-}" ]; then candidates=$ER_PYTHON; else candidates="python3 /usr/bin/python3"; fi
PY=
why=
for p in $candidates; do
    if ! command -v "$p" >/dev/null 2>&1; then why="$why
  $p: not found"; continue; fi
    if err=$("$p" -c 'import numpy, onnx, torch, torchvision' 2>&1); then PY=$p; break; fi
    why="$why
  $p: $(printf '%s\n' "$err" | tail -n 1)"
done
if [ -z "$PY" ]; then
    echo "models: SKIP: no python with numpy, onnx, torch and torchvision (apt-get install python3-numpy python3-onnx python3-torch python3-torchvision, or set ER_PYTHON):$why"
    exit $SKIP
fi
if ! command -v node >/dev/null 2>&1; then
    echo "models: SKIP: node not found (apt-get install nodejs npm)"
    exit $SKIP
fi
if ! err=$(node -e 'require(require("path").join(process.argv[1], "onnxruntime-node"))' "$ER_ORT_NODE_MODULES" 2>&1); then
    echo "models: SKIP: onnxruntime-node not loadable from ER_ORT_NODE_MODULES=$ER_ORT_NODE_MODULES"
    echo "  (run: $ROOT/scripts/setup-ort.sh $BUILD_DIR/npm, or set ER_ORT_NODE_MODULES)"
    printf '%s\n' "$err" | grep -m 1 -i error | sed 's/^/  /'
    exit $SKIP
fi
if [ ! -x "$EDGERUN" ]; then
    echo "models: FAIL: no edgerun CLI at $EDGERUN (build it, or set ER_EDGERUN)"
    exit 1
fi

if [ -n "${ER_MODELS:-}" ]; then
    MODELS=$(printf '%s' "$ER_MODELS" | tr ',' '\n' | grep -v -x -e fashion_mnist_cnn -e '' | tr '\n' ',')
else
    MODELS=$("$PY" "$ROOT/scripts/export_torchvision.py" --list | tr '\n' ',')
fi
MODELS=${MODELS%,}
mkdir -p "$CACHE/ref" "$CACHE/out" "$CACHE/log"
echo "models: edgerun $EDGERUN; cache $CACHE; opsets $OPSETS; tol $TOL; python $PY; ort $ER_ORT_NODE_MODULES"

# ---- export torchvision models (cached) -------------------------------------------------
if [ -n "$MODELS" ]; then
    t0=$(date +%s)
    "$PY" "$ROOT/scripts/export_torchvision.py" "$CACHE" --opsets "$OPSETS" --models "$MODELS" $BN_FLAG \
        > "$CACHE/log/export$BN_SUFFIX.log" 2>&1
    export_rc=$?
    sed 's/^/  export: /' "$CACHE/log/export$BN_SUFFIX.log"
    echo "  export: exit $export_rc, $(( $(date +%s) - t0 )) s"
fi
INPUT=$CACHE/input_224.npy

# ---- per case: reference (cached), edgerun, compare ------------------------------------
passed=0
failed=0
fail() { printf 'FAIL %-28s %s\n' "$1" "$2"; failed=$((failed + 1)); }
last_error() { grep -v '^[[:space:]]*$' "$1" | tail -n 1 | cut -c 1-300; }
now_ms() { date +%s%3N; }

# check ID MODEL.onnx INPUT.npy OUTPUT_FILE_NAME [TORCH_OUTPUT.npy]
# A new ONNX Runtime reference is first checked against torch's own output, when given,
# so an exporter or ORT problem is not blamed on edgerun.
check() {
    id=$1 onnx=$2 input=$3 oname=$4 torch_ref=${5:-}
    ref=$CACHE/ref/$id
    out=$CACHE/out/$id
    log=$CACHE/log/$id
    if [ ! -f "$onnx" ] || [ ! -f "$input" ]; then
        fail "$id" "no model or input (export failed? see $CACHE/log/export$BN_SUFFIX.log)"
        return
    fi
    # the reference is rebuilt when the model or the input is newer than it
    if [ ! -f "$ref/$oname" ] || [ "$onnx" -nt "$ref/$oname" ] || [ "$input" -nt "$ref/$oname" ]; then
        rm -rf "$ref" "$ref.tmp"
        if ! node "$HERE/ort_run.js" "$onnx" "$input" "$ref.tmp" --threads "$ORT_THREADS" > "$log.ort.log" 2>&1; then
            fail "$id" "onnxruntime: $(last_error "$log.ort.log")"
            return
        fi
        if [ -n "$torch_ref" ] && [ -f "$torch_ref" ] &&
            ! res=$("$PY" "$HERE/compare.py" "$ref.tmp/$oname" "$torch_ref" --tol "$TOL" 2>&1); then
            fail "$id" "bad reference: ONNX Runtime vs torch: ${res#FAIL }"
            return
        fi
        mv "$ref.tmp" "$ref"
    fi
    rm -rf "$out"
    mkdir -p "$out"
    t1=$(now_ms)
    "$EDGERUN" run "$onnx" -i "$input" -o "$out" > "$log.edgerun.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        msg=$(last_error "$log.edgerun.log")
        fail "$id" "edgerun exit $rc: ${msg#edgerun run: }"
        return
    fi
    run_ms=$(( $(now_ms) - t1 ))
    if [ ! -f "$out/$oname" ]; then
        fail "$id" "edgerun wrote no $oname (wrote: $(ls "$out" | tr '\n' ' '))"
        return
    fi
    if res=$("$PY" "$HERE/compare.py" "$out/$oname" "$ref/$oname" --tol "$TOL" 2>&1); then
        printf 'ok   %-28s %s; edgerun %d ms\n' "$id" "${res#ok }" "$run_ms"
        passed=$((passed + 1))
    else
        fail "$id" "${res#FAIL }"
    fi
}

for model in $(printf '%s' "$MODELS" | tr ',' ' '); do
    for op in $(printf '%s' "$OPSETS" | tr ',' ' '); do
        check "${model}_op${op}$BN_SUFFIX" "$CACHE/${model}_op${op}$BN_SUFFIX.onnx" "$INPUT" output.npy "$CACHE/${model}_torch.npy"
    done
done

# the shipped Fashion-MNIST classifier on 64 real test images (seeded noise without the
# dataset); part of the default set, or named in ER_MODELS
case ",${ER_MODELS:-fashion_mnist_cnn}," in *,fashion_mnist_cnn,*)
    fm_in=$CACHE/fashion_mnist_64.npy
    if [ ! -f "$fm_in" ]; then
        "$PY" - "$fm_in" <<'PYEOF' > "$CACHE/log/fashion_input.log" 2>&1
import gzip, os, sys
import numpy as np
p = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
if os.path.exists(p):
    with gzip.open(p, "rb") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16)[: 64 * 784]
    x = x.reshape(64, 1, 28, 28).astype(np.float32) / 255.0
else:
    x = np.random.RandomState(0).random_sample((64, 1, 28, 28)).astype(np.float32)
np.save(sys.argv[1] + ".tmp.npy", x)
os.replace(sys.argv[1] + ".tmp.npy", sys.argv[1])
PYEOF
    fi
    check fashion_mnist_cnn "$ROOT/models/fashion_mnist_cnn.onnx" "$fm_in" logits.npy
esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
