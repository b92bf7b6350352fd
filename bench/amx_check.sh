#!/bin/sh
# bench/amx_check.sh [MODEL_DIR] - the int8 checks that need a CPU with
# AMX-INT8 (this project's own machine has none): builds edgerun, runs the
# int8 kernel tier (on an AMX machine the real tile kernel is checked bit for
# bit against the reference, instead of counted as skipped), times the int8
# convolutions of resnet18/mobilenet_v2 with AMX and with VNNI only, and the
# QDQ models in MODEL_DIR (bench/make_qdq_models.py) end to end: edgerun with
# AMX, edgerun VNNI only, and ONNX Runtime (python3 onnxruntime, if present),
# same thread counts, in one run. Writes logs to $OUT (or /tmp/amx-out).
# Used on the lent GPU machine (Intel CPU with AMX): bench/RESULTS.md.
set -u
out=${OUT:-/tmp/amx-out}
mkdir -p "$out"
models=${1:-devcheck}
jobs=$(nproc)
{
  grep -m1 'model name' /proc/cpuinfo
  echo "cpus: $jobs; AMX flags: $(grep -o 'amx[a-z0-9_]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "avx512_vnni: $(grep -c avx512_vnni /proc/cpuinfo) cpus"
  gcc --version | head -1
} 2>&1 | tee "$out/env.txt"
cmake -S . -B build-amx -DCMAKE_BUILD_TYPE=Release > "$out/build.log" 2>&1 &&
  cmake --build build-amx -j"$jobs" --target kernels_tests edgerun_cli qconv_bench \
    >> "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
# other compilers warn differently: list what this one said (CFLAGS=-Wno-error
# keeps a new warning from stopping the check)
grep -E 'warning:|error:' "$out/build.log" | sort -u | head -20
# the same sources with the project's flags alone (-Werror): does this
# compiler build them clean?
if [ -n "${CFLAGS:-}" ]; then
  (env -u CFLAGS cmake -S . -B build-strict -DCMAKE_BUILD_TYPE=Release -DER_BUILD_TESTS=OFF &&
    env -u CFLAGS cmake --build build-strict -j"$jobs" --target edgerun_cli) > "$out/strict.log" 2>&1
  echo "strict build (-Werror, no extra CFLAGS): exit $?"
  grep -E 'error:|warning:' "$out/strict.log" | sort -u | head -10
fi
echo "== kernel tier (int8 + AMX)"
./build-amx/tests/kernels_tests > "$out/kernels.txt" 2>&1
echo "kernels_tests exit $?"; grep -iE 'amx|skip|FAIL|passed' "$out/kernels.txt" | head -20
echo "== int8 convolutions, 1 thread: AMX where it pays (default), AMX on every"
echo "   layer (EDGERUN_AMX=always), VNNI only (features 1)"
for m in resnet18 mobilenet_v2; do
  for f in 7 always 1; do
    echo "-- $m features=$f"
    if [ $f = always ]; then
      EDGERUN_AMX=always ./build-amx/bench/qconv_bench --model $m --features 7 --reps 20 --threads 1 2>&1
    else
      ./build-amx/bench/qconv_bench --model $m --features $f --reps 20 --threads 1 2>&1
    fi
  done
done > "$out/qconv.txt" 2>&1
grep -E '^--|^sum' "$out/qconv.txt"
echo "== whole QDQ models (median ms)"
# median_ms of `edgerun bench` under the environment given first (VAR=value)
median() {
  env "$1" ./build-amx/edgerun bench "$2" --threads "$3" --runs 150 --json |
    sed 's/.*"median_ms": *\([0-9.]*\).*/\1/'
}
for f in "$models"/*_qdq_*.onnx; do
  [ -f "$f" ] || continue
  for t in 1 4; do
    for rep in 1 2; do
    a=$(median X=1 "$f" $t)
    v=$(median EDGERUN_QFEATURES=1 "$f" $t)
    w=$(median EDGERUN_AMX=always "$f" $t)
    o=$(python3 - "$f" $t <<'PY' 2>/dev/null
import sys, time, numpy as np, onnxruntime as ort
so = ort.SessionOptions(); so.intra_op_num_threads = int(sys.argv[2]); so.inter_op_num_threads = 1
s = ort.InferenceSession(sys.argv[1], so, providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]; x = np.random.default_rng(0).standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
for _ in range(5): s.run(None, {i.name: x})
ts = []
for _ in range(150):
    t0 = time.perf_counter(); s.run(None, {i.name: x}); ts.append((time.perf_counter() - t0) * 1e3)
print("%.3f" % sorted(ts)[len(ts) // 2])
PY
)
    echo "$(basename "$f") threads=$t round=$rep edgerun=$a edgerun_amx_always=$w edgerun_vnni=$v ort=$o"
    done
  done
done 2>&1 | tee "$out/models.txt"
