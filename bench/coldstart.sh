#!/bin/sh
# bench/coldstart.sh - cold start of a model: load + session creation + first
# inference, each measured in a fresh process, for
#   edgerun on the ONNX file, edgerun on the same model converted to .erm
#   (checksum verified, and with EDGERUN_ERM_CHECKSUM=skip), the .erm with
#   pre-packed weights (`edgerun convert --prepack`), and ONNX
#   Runtime's session creation + first run on the ONNX file.
#
# usage: bench/coldstart.sh [--build DIR] [--rounds N] [--threads N]
#                           [--update-results] [MODEL.onnx ...]
#
# Models default to models/fashion_mnist_cnn.onnx (when present) plus
# torchvision resnet18 and mobilenet_v2 with seeded random weights, exported
# at opset 13 into ${TMPDIR:-/tmp}/edgerun-coldstart/ when missing (Debian's
# python3-torch/torchvision). Each model is converted with `edgerun convert`.
# Rounds alternate the four variants so they see the same machine state; the
# table reports medians over rounds (and the minimum total, which is what a
# busy machine disturbs least). The page cache is warm (one untimed
# round first): "cold" means a new process, not a cold disk.
# ONNX Runtime: onnxruntime-node from $ER_ORT_NODE_MODULES, build/npm or
# /tmp/ort (scripts/setup-ort.sh installs it when present).
# --update-results replaces the "## Cold start" section of bench/RESULTS.md
# (other sections are kept) with the table, the command and the date.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cmdline="bench/coldstart.sh $*"
build="$root/build"
rounds=7
threads=1
update=0
models=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --update-results) update=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "coldstart.sh: unknown option $1" >&2; exit 2 ;;
    *) models="$models $1"; shift ;;
  esac
done
cli="$build/edgerun"
[ -x "$cli" ] || { echo "coldstart.sh: $cli not built (cmake --build build)" >&2; exit 2; }
if [ -z "${ER_ORT_NODE_MODULES:-}" ]; then
  if [ -d "$build/npm/node_modules/onnxruntime-node" ]; then ER_ORT_NODE_MODULES="$build/npm/node_modules"
  elif [ -x "$root/scripts/setup-ort.sh" ] && "$root/scripts/setup-ort.sh" "$build/npm" >/dev/null 2>&1; then
    ER_ORT_NODE_MODULES="$build/npm/node_modules"
  else ER_ORT_NODE_MODULES=/tmp/ort/node_modules; fi
fi
export ER_ORT_NODE_MODULES

work="${TMPDIR:-/tmp}/edgerun-coldstart"
mkdir -p "$work"
if [ -z "$models" ]; then
  [ -f "$root/models/fashion_mnist_cnn.onnx" ] && models="$root/models/fashion_mnist_cnn.onnx"
  for m in resnet18 mobilenet_v2; do
    if [ ! -f "$work/$m.onnx" ]; then
      echo "exporting $m (random weights, opset 13) to $work/$m.onnx" >&2
      /usr/bin/python3 - "$m" "$work/$m.onnx" <<'EOF'
import sys, warnings, torch, torchvision
warnings.filterwarnings("ignore")
name, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
model = getattr(torchvision.models, name)(weights=None).eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(model, x, out + ".tmp", opset_version=13, input_names=["input"],
                  output_names=["output"])
import os
os.replace(out + ".tmp", out)
EOF
    fi
    models="$models $work/$m.onnx"
  done
fi

raw="$work/raw.jsonl"
: > "$raw"
for m in $models; do
  base=$(basename "$m" .onnx)
  erm="$work/$base.erm"
  "$cli" convert "$m" -o "$erm" --quiet
  ermp="$work/$base.prepacked.erm"
  "$cli" convert "$m" -o "$ermp" --prepack --threads "$threads" --quiet
  for r in $(seq 0 "$rounds"); do  # round 0 warms the page cache, untimed
    for kind in onnx erm erm_nocheck erm_prepacked ort; do
      case $kind in
        onnx) line=$("$cli" bench "$m" --runs 1 --warmup 0 --threads "$threads" --json) ;;
        erm) line=$(EDGERUN_ERM_CHECKSUM=verify "$cli" bench "$erm" --runs 1 --warmup 0 --threads "$threads" --json) ;;
        erm_nocheck) line=$(EDGERUN_ERM_CHECKSUM=skip "$cli" bench "$erm" --runs 1 --warmup 0 --threads "$threads" --json) ;;
        erm_prepacked) line=$(EDGERUN_ERM_CHECKSUM=verify "$cli" bench "$ermp" --runs 1 --warmup 0 --threads "$threads" --json) ;;
        ort) line=$(node "$root/bench/ort_coldstart.js" "$m" --threads "$threads") ;;
      esac
      [ "$r" -eq 0 ] && continue
      printf '{"name": "%s", "kind": "%s", "onnx_bytes": %s, "erm_bytes": %s, "ermp_bytes": %s, "r": %s}\n' \
        "$base" "$kind" "$(stat -c %s "$m")" "$(stat -c %s "$erm")" "$(stat -c %s "$ermp")" "$line" >> "$raw"
    done
  done
done

table=$(/usr/bin/python3 - "$raw" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = list(dict.fromkeys(r["name"] for r in rows))
def vals(name, kind, f):
    return [f(r["r"]) for r in rows if r["name"] == name and r["kind"] == kind]
med = lambda name, kind, f: statistics.median(vals(name, kind, f))
lo = lambda name, kind, f: min(vals(name, kind, f))
er = lambda j: j["load_ms"] + j["session_ms"] + j["first_run_ms"]
parts = lambda n, k, keys: " + ".join(f"{med(n, k, lambda j, x=x: j[x]):.2f}" for x in keys)
print("| model | ONNX / .erm MB | edgerun on ONNX: load + session + first run = **total** (min) | "
      "edgerun on .erm: load + session + first run = **total** (min) | .erm, checksum skipped: "
      "load, **total** (min) | .erm --prepack (MB): load + session + first run = **total** (min) | "
      "ORT on ONNX: session + first run = **total** (min) | "
      ".erm / ORT | prepacked .erm / ORT | .erm / ONNX |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n in names:
    r0 = next(r for r in rows if r["name"] == n)
    ek = ("load_ms", "session_ms", "first_run_ms")
    ot, et, st = med(n, "onnx", er), med(n, "erm", er), med(n, "erm_nocheck", er)
    pt = med(n, "erm_prepacked", er)
    ort = med(n, "ort", lambda j: j["cold_ms"])
    print(f"| {n} | {r0['onnx_bytes']/1e6:.2f} / {r0['erm_bytes']/1e6:.2f} | "
          f"{parts(n, 'onnx', ek)} = **{ot:.1f}** ({lo(n, 'onnx', er):.1f}) | "
          f"{parts(n, 'erm', ek)} = **{et:.1f}** ({lo(n, 'erm', er):.1f}) | "
          f"{med(n, 'erm_nocheck', lambda j: j['load_ms']):.2f}, **{st:.1f}** "
          f"({lo(n, 'erm_nocheck', er):.1f}) | "
          f"({r0['ermp_bytes']/1e6:.1f}) {parts(n, 'erm_prepacked', ek)} = **{pt:.1f}** "
          f"({lo(n, 'erm_prepacked', er):.1f}) | "
          f"{parts(n, 'ort', ('session_ms', 'first_run_ms'))} = **{ort:.1f}** "
          f"({lo(n, 'ort', lambda j: j['cold_ms']):.1f}) | {et/ort:.2f}x | {pt/ort:.2f}x | "
          f"{et/ot:.2f}x |")
EOF
)
echo "$table"

if [ "$update" -eq 1 ]; then
  res="$root/bench/RESULTS.md"
  cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
  section=$(cat <<EOF
## Cold start: .erm vs ONNX vs ONNX Runtime

Load + session creation + first inference in a fresh process, milliseconds,
median of $rounds rounds (page cache warm), $threads thread(s), on $cpu
($(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) when the table was written).
\`edgerun bench MODEL --runs 1 --warmup 0 --json\` for edgerun (load_ms +
session_ms + first_run_ms), \`node bench/ort_coldstart.js MODEL\` for ONNX
Runtime 1.30 (InferenceSession.create + first run; loading the Node module
is not counted). Models: torchvision with seeded random weights, opset 13.

Command: \`$cmdline\`
Date: $(date -u '+%Y-%m-%d %H:%M UTC'), edgerun $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')

$table

Reading it: edgerun's ONNX load parses the protobuf and copies every weight
whose raw_data is misaligned (most of them, in torch exports); the .erm load
validates every record and verifies the XXH64 checksum over the whole file,
and uses the weights in place (no copy, no parse). With
\`EDGERUN_ERM_CHECKSUM=skip\` the load is the validation alone. Session
creation and the first inference run the same code for both formats, so once
the model is loaded the difference is only noise; the first inference is
kernel speed. The prepacked .erm (\`edgerun convert --prepack\`) also holds
the convolution weights packed for this machine's kernels: session creation
uses them in place from the mapping instead of packing (and Winograd-
transforming) them, for a file about 2.5x larger (resnet18).
EOF
)
  /usr/bin/python3 - "$res" "$section" <<'EOF'
import os, re, sys
path, section = sys.argv[1], sys.argv[2].rstrip() + "\n"
text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
pat = re.compile(r"^## Cold start.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda m: section + "\n", text, count=1) if pat.search(text) \
    else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
EOF
  echo "updated $res"
fi
