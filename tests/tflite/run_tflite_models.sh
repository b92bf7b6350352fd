#!/bin/sh
# run_tflite_models.sh BUILD_DIR - edgerun against Google's TFLite interpreter
# (WASM, tests/tflite/ref/) on the MediaPipe models published in npm and on
# the importer's own test models, with random and real-photo inputs.
#
#   - installs @mediapipe/{face_detection,hands,pose,selfie_segmentation}
#     (npm, --ignore-scripts) and the reference runner into BUILD_DIR/tflite/;
#   - random inputs: the reference draws them (seeded) and edgerun reads the
#     same values; photos (Debian's python3-skimage data: astronaut, chelsea,
#     coffee, motorcycle) go through `edgerun run --image ... --save-inputs`
#     and the reference gets exactly the tensor edgerun used;
#   - an output matches when max|diff| <= 1e-3 * max(1, max|reference|)
#     (one quantization step for the int8 test model);
#   - selfie_segmentation uses MediaPipe's custom Convolution2DTransposeBias,
#     which the reference cannot run: its mask must find the person in the
#     astronaut photo and nothing in the motorcycle photo (the op itself is
#     checked against its definition in tests/unit/test_tflite_ops.c).
# Ends with "N passed, N failed"; exit 77 (ctest: skipped) without node/npm.
set -u
build=$(cd "${1:?usage: run_tflite_models.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
edgerun="$build/edgerun"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node and npm are needed for the TFLite reference"; exit 77
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! "$PY" -c "import numpy" 2>/dev/null; then
  echo "SKIP: python3-numpy is needed to compare outputs"; exit 77
fi
check="$PY $here/tflite_check.py"
work="$build/tflite"
photos=${ER_TFLITE_PHOTOS:-/usr/lib/python3/dist-packages/skimage/data}
export TFLITE_REF_NPM="$work/ref-npm"
mkdir -p "$work/npm" "$work/cases"
passed=0
failed=0

if ! sh "$here/ref/setup.sh" >"$work/setup.log" 2>&1; then
  cat "$work/setup.log"; echo "0 passed, 1 failed"; exit 1
fi
mp="$work/npm/node_modules/@mediapipe"
if [ ! -f "$mp/selfie_segmentation/selfie_segmentation.tflite" ] ||
   [ ! -f "$mp/pose/pose_landmark_lite.tflite" ]; then
  [ -f "$work/npm/package.json" ] || echo '{"name":"edgerun-tflite-models","private":true}' > "$work/npm/package.json"
  if ! npm install --prefix "$work/npm" --ignore-scripts --no-audit --no-fund \
       @mediapipe/face_detection @mediapipe/hands @mediapipe/pose \
       @mediapipe/selfie_segmentation >"$work/npm.log" 2>&1; then
    cat "$work/npm.log"; echo "0 passed, 1 failed"; exit 1
  fi
fi
"$build/tests/tflite_seeds" "$work" || { echo "0 passed, 1 failed"; exit 1; }

result() { # result NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "  -> FAILED: $1"; fi
}

# ref ARGS...: the reference runner, bounded in time and tried up to three
# times (a hung or crashed reference is not an edgerun failure, but it must
# not stall CI either; a real failure repeats and is reported)
ref() {
  for try in 1 2 3; do
    timeout 120 node "$here/ref/tflite_ref.js" "$@" && return 0
    echo "  (reference run $try failed or timed out: exit $?)"
  done
  return 1
}

# case MODEL LABEL INPUT SCALE [compare options]: INPUT is "random" or a photo
case_run() {
  model=$1 label=$2 input=$3 scale=$4
  shift 4
  d="$work/cases/$label"
  rm -rf "$d"
  mkdir -p "$d/ref" "$d/er"
  echo "== $label"
  if [ "$input" = random ]; then
    range=0,1
    [ "$scale" = "-1,1" ] && range=-1,1
    ref "$model" -o "$d/ref" --seed 7 --range "$range" --runs 0 \
      >"$d/ref.log" 2>&1 &&
    $check ref-inputs "$d/ref" "$d/in" &&
    timeout 300 "$edgerun" run "$model" -i "$d/in/in0.npy" -o "$d/er" >"$d/er.log" 2>&1
  else
    timeout 300 "$edgerun" run "$model" --image "$photos/$input" --scale "$scale" --save-inputs \
      -o "$d/er" >"$d/er.log" 2>&1 &&
    $check to-f32 "$d/er/input_0.npy" "$d/in0.f32" &&
    ref "$model" -o "$d/ref" --input "$d/in0.f32" --runs 0 \
      >"$d/ref.log" 2>&1
  fi
  st=$?
  if [ $st -ne 0 ]; then
    tail -5 "$d/ref.log" "$d/er.log" 2>/dev/null
    result "$label" 1
    return
  fi
  $check compare "$d/ref" "$d/er" "$@"
  result "$label" $?
}

if [ ! -f "$photos/astronaut.png" ]; then
  echo "photos missing: $photos/astronaut.png (install python3-skimage: scripts/deps.sh test)"
  failed=$((failed + 1))
fi
fd="$mp/face_detection"
for spec in "$fd/face_detection_short_range.tflite:-1,1:astronaut.png chelsea.png" \
            "$fd/face_detection_full_range_sparse.tflite:-1,1:astronaut.png coffee.png" \
            "$mp/hands/hand_landmark_lite.tflite:0,1:astronaut.png coffee.png" \
            "$mp/pose/pose_landmark_lite.tflite:0,1:astronaut.png chelsea.png"; do
  model=${spec%%:*}
  rest=${spec#*:}
  scale=${rest%%:*}
  imgs=${rest#*:}
  name=$(basename "$model" .tflite)
  case_run "$model" "$name/random" random "$scale"
  for img in $imgs; do
    [ -f "$photos/$img" ] && case_run "$model" "$name/${img%.png}" "$img" "$scale"
  done
done

# the importer's own test models (tests/support/tflite_models.c)
for m in small_cnn sparse_fc fp16_conv; do
  case_run "$work/$m.tflite" "synthetic/$m" random -1,1
done
case_run "$work/int8_cnn.tflite" "synthetic/int8_cnn" random -1,1 --abs 0.0501

# selfie segmentation: no reference (custom op); the mask must make sense
ss="$mp/selfie_segmentation/selfie_segmentation.tflite"
for spec in "astronaut.png:person" "motorcycle_left.png:empty"; do
  img=${spec%%:*}
  kind=${spec#*:}
  d="$work/cases/selfie_segmentation/${img%.png}"
  mkdir -p "$d"
  echo "== selfie_segmentation/${img%.png} (mask check, $kind)"
  if timeout 300 "$edgerun" run "$ss" --image "$photos/$img" -o "$d" >"$d/er.log" 2>&1; then
    $check mask "$d/activation_10.npy" "$kind"
    result "selfie_segmentation/${img%.png}" $?
  else
    cat "$d/er.log"
    result "selfie_segmentation/${img%.png}" 1
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
