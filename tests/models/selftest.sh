#!/bin/sh
# selftest.sh BUILD_DIR - checks the models-tier harness itself, without needing edgerun
# to support the CNNs' ops:
#   1. npy.js round-trips .npy files written by numpy (dtypes, scalars, empty arrays);
#   2. compare.py passes within the bound and fails on a value, shape, dtype or NaN
#      mismatch (and on a non-.npy file);
#   3. a tiny Add/Mul ONNX model (built with onnx.helper, output name "sum:0") through
#      ONNX Runtime and the real `BUILD_DIR/edgerun run` agrees;
#   4. run_models.sh, with ONNX Runtime (2 threads) standing in for edgerun, passes on
#      squeezenet1_1 at opset 13 (1-thread vs 2-thread ORT), and fails, exit 1, when that
#      stand-in perturbs the output by 2e-4 of its range.
# Ends with "N passed, N failed"; exit 1 on any failure, 77 when python (numpy, onnx,
# torch, torchvision), node or onnxruntime-node is missing (same rules and environment
# variables as run_models.sh, but its own cache BUILD_DIR/models-selftest-cache;
# ER_SELFTEST_MODEL picks the model for step 4).
set -u
SKIP=77
if [ $# -ne 1 ]; then echo "usage: $0 BUILD_DIR" >&2; exit 2; fi
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "selftest.sh: no build folder '$1'" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
export ER_ORT_NODE_MODULES="${ER_ORT_NODE_MODULES:-$BUILD_DIR/npm/node_modules}"
MODEL=${ER_SELFTEST_MODEL:-squeezenet1_1}

if [ -n "${ER_PYTHON:-}" ]; then candidates=$ER_PYTHON; else candidates="python3 /usr/bin/python3"; fi
PY=
for p in $candidates; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy, onnx, torch, torchvision' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then echo "models_selftest: SKIP: no python with numpy, onnx, torch, torchvision"; exit $SKIP; fi
if ! command -v node >/dev/null 2>&1 ||
    ! node -e 'require(require("path").join(process.argv[1], "onnxruntime-node"))' "$ER_ORT_NODE_MODULES" 2>/dev/null; then
    echo "models_selftest: SKIP: node or onnxruntime-node (ER_ORT_NODE_MODULES=$ER_ORT_NODE_MODULES) missing"
    exit $SKIP
fi
export ER_PYTHON=$PY

T=$BUILD_DIR/models-selftest
export ER_MODELS_DIR=$BUILD_DIR/models-selftest-cache  # not the models test's cache: ctest -j may run both
rm -rf "$T"
mkdir -p "$T"
passed=0
failed=0
result() { # NAME RC [DETAIL]
    if [ "$2" -eq 0 ]; then echo "ok   $1"; passed=$((passed + 1)); else echo "FAIL $1 ${3:-}"; failed=$((failed + 1)); fi
}
expect_rc() { # NAME WANT_RC CMD...
    name=$1 want=$2
    shift 2
    "$@" > "$T/last.log" 2>&1
    got=$?
    if [ "$got" -eq "$want" ]; then result "$name" 0; else result "$name" 1 "(exit $got, want $want): $(tail -n 3 "$T/last.log")"; fi
}

# ---- 1. npy.js round trip ---------------------------------------------------------------
"$PY" - "$T" <<'PYEOF'
import sys, numpy as np
t = sys.argv[1]
rs = np.random.RandomState(1)
arrays = {
    "f32": rs.randn(2, 3, 5).astype(np.float32), "f64": rs.randn(7), "f16": rs.randn(3, 2).astype(np.float16),
    "i64": rs.randint(-2**40, 2**40, (4, 1), dtype=np.int64), "i32": rs.randint(-9, 9, (3,)).astype(np.int32),
    "i8": np.array([-128, 0, 127], np.int8), "u8": np.arange(6, dtype=np.uint8).reshape(2, 3),
    "bool": np.array([[True, False], [False, True]]), "scalar": np.float32(3.5) * np.ones((), np.float32),
    "empty": np.zeros((0, 4), np.float32),
}
for k, a in arrays.items():
    np.save(f"{t}/rt_{k}.npy", a)
PYEOF
node -e '
const { readNpy, writeNpy } = require(process.argv[1]);
for (const f of process.argv.slice(2)) { const a = readNpy(f); writeNpy(f.replace(/\.npy$/, ".js.npy"), a.type, a.dims, a.data); }
' "$HERE/npy.js" "$T"/rt_*.npy > "$T/npy.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
    "$PY" - "$T" >> "$T/npy.log" 2>&1 <<'PYEOF'
import glob, sys, numpy as np
bad = 0
for f in sorted(glob.glob(sys.argv[1] + "/rt_*.npy")):
    if f.endswith(".js.npy"):
        continue
    a, b = np.load(f), np.load(f[:-4] + ".js.npy")
    if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
        print(f"mismatch {f}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"); bad += 1
sys.exit(1 if bad else 0)
PYEOF
    rc=$?
fi
result "npy.js round trip (f32 f64 f16 i64 i32 i8 u8 bool, scalar, empty)" $rc "$(tail -n 3 "$T/npy.log")"

# ---- 2. compare.py ----------------------------------------------------------------------
"$PY" - "$T" <<'PYEOF'
import sys, numpy as np
t = sys.argv[1]
r = np.linspace(-3, 3, 1000, dtype=np.float32).reshape(1, 1000)   # range 6: bound 6e-4
np.save(f"{t}/c_ref.npy", r)
a = r.copy(); a[0, 10] += 5e-4; np.save(f"{t}/c_within.npy", a)
a = r.copy(); a[0, 10] += 7e-4; np.save(f"{t}/c_over.npy", a)
a = r.copy(); a[0, 3] = np.nan; np.save(f"{t}/c_nan.npy", a)
np.save(f"{t}/c_shape.npy", r.reshape(1000, 1)); np.save(f"{t}/c_dtype.npy", r.astype(np.float64))
np.save(f"{t}/c_small_ref.npy", np.full(4, 0.25, np.float32))          # range 0: bound = tol
np.save(f"{t}/c_small.npy", np.array([0.25, 0.25, 0.25, 0.25 + 2e-4], np.float32))
open(f"{t}/c_junk.npy", "wb").write(b"not numpy")
PYEOF
C="$HERE/compare.py"
expect_rc "compare: identical passes" 0 "$PY" "$C" "$T/c_ref.npy" "$T/c_ref.npy"
expect_rc "compare: 5e-4 on range 6 passes at tol 1e-4" 0 "$PY" "$C" "$T/c_within.npy" "$T/c_ref.npy"
expect_rc "compare: 7e-4 on range 6 fails at tol 1e-4" 1 "$PY" "$C" "$T/c_over.npy" "$T/c_ref.npy"
expect_rc "compare: 7e-4 on range 6 passes at tol 2e-4" 0 "$PY" "$C" "$T/c_over.npy" "$T/c_ref.npy" --tol 2e-4
expect_rc "compare: range < 1 uses an absolute bound (2e-4 > 1e-4 fails)" 1 "$PY" "$C" "$T/c_small.npy" "$T/c_small_ref.npy"
expect_rc "compare: NaN fails" 1 "$PY" "$C" "$T/c_nan.npy" "$T/c_ref.npy"
expect_rc "compare: shape mismatch fails" 1 "$PY" "$C" "$T/c_shape.npy" "$T/c_ref.npy"
expect_rc "compare: dtype mismatch fails" 1 "$PY" "$C" "$T/c_dtype.npy" "$T/c_ref.npy"
expect_rc "compare: not a .npy file is a usage error" 2 "$PY" "$C" "$T/c_junk.npy" "$T/c_ref.npy"

# ---- 3. tiny model: ONNX Runtime vs the real edgerun --------------------------------------
"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as TP
t = sys.argv[1]
rs = np.random.RandomState(2)
b = numpy_helper.from_array(rs.randn(3, 4).astype(np.float32), "b")
s = numpy_helper.from_array(rs.randn(4).astype(np.float32), "s")
g = helper.make_graph(
    [helper.make_node("Add", ["input", "b"], ["t"]), helper.make_node("Mul", ["t", "s"], ["sum:0"])],
    "add_mul", [helper.make_tensor_value_info("input", TP.FLOAT, [2, 3, 4])],
    [helper.make_tensor_value_info("sum:0", TP.FLOAT, [2, 3, 4])], [b, s])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.checker.check_model(m)
onnx.save(m, f"{t}/add_mul.onnx")
np.save(f"{t}/add_mul_in.npy", rs.randn(2, 3, 4).astype(np.float32))
PYEOF
expect_rc "tiny Add/Mul model: ONNX Runtime runs" 0 node "$HERE/ort_run.js" "$T/add_mul.onnx" "$T/add_mul_in.npy" "$T/add_mul_ort"
expect_rc "tiny Add/Mul model: edgerun runs" 0 "$BUILD_DIR/edgerun" run "$T/add_mul.onnx" -i "$T/add_mul_in.npy" -o "$T/add_mul_er"
expect_rc "tiny Add/Mul model: edgerun matches ONNX Runtime (sum_0.npy)" 0 "$PY" "$C" "$T/add_mul_er/sum_0.npy" "$T/add_mul_ort/sum_0.npy"

# ---- 4. run_models.sh with ONNX Runtime standing in for edgerun --------------------------
cat > "$T/ort_as_edgerun.sh" <<EOF
#!/bin/sh
# edgerun-compatible stand-in: run MODEL -i INPUT -o OUTDIR -> ONNX Runtime with 2 threads
[ "\$1" = run ] || exit 2
exec node "$HERE/ort_run.js" "\$2" "\$4" "\$6" --threads 2
[ "\$1" = run ] || exit 2
exec node "$HERE/ort_run.js" "\$2" "\$4" "\$6" --threads 2
EOF
cat > "$T/ort_perturbed.sh" <<EOF
#!/bin/sh
# as ort_as_edgerun.sh, then adds 2e-4 of the output's range to one element of each output
sh "$T/ort_as_edgerun.sh" "\$@" || exit
exec "$PY" -c 'import glob, sys, numpy as np
for f in glob.glob(sys.argv[1] + "/*.npy"):
    a = np.load(f); a.flat[a.size // 2] += 2e-4 * max(1.0, float(a.max() - a.min())); np.save(f, a)' "\$6"
EOF
chmod +x "$T/ort_as_edgerun.sh" "$T/ort_perturbed.sh"
ER_EDGERUN="$T/ort_as_edgerun.sh" ER_MODELS="$MODEL" ER_OPSETS=13 sh "$HERE/run_models.sh" "$BUILD_DIR" > "$T/rm_ok.log" 2>&1
rc=$?
grep -q "^ok   ${MODEL}_op13" "$T/rm_ok.log" && tail -n 1 "$T/rm_ok.log" | grep -q '^1 passed, 0 failed$' || rc=1
result "run_models.sh: ORT 2 threads vs ORT 1 thread passes ($MODEL op13)" $rc "$(tail -n 2 "$T/rm_ok.log")"
ER_EDGERUN="$T/ort_perturbed.sh" ER_MODELS="$MODEL" ER_OPSETS=13 sh "$HERE/run_models.sh" "$BUILD_DIR" > "$T/rm_bad.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "^FAIL ${MODEL}_op13 .*max_abs_err" "$T/rm_bad.log" && tail -n 1 "$T/rm_bad.log" | grep -q '^0 passed, 1 failed$'; then rc=0; else rc=1; fi
result "run_models.sh: output perturbed by 2e-4 of its range fails, exit 1" $rc "$(tail -n 2 "$T/rm_bad.log")"
grep "${MODEL}_op13" "$T/rm_ok.log" "$T/rm_bad.log" | sed "s|^$T/|  |"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
