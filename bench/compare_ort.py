#!/usr/bin/python3
"""Side-by-side fp32 benchmark: edgerun vs ONNX Runtime, same model, same
thread count, same run.

usage: bench/compare_ort.py [--build build] [--models a,b] [--threads 1,2]
                            [--rounds 5] [--runs 20] [--warmup 5] [--out FILE]
                            [--model-paths A.onnx,B.onnx [--fp32-model-paths A32,B32]
                             [--fp32-edgerun BIN]]

For every model and thread count it alternates `edgerun bench --json --raw`
and bench/ort_bench.js (onnxruntime-node, optimization level all, sequential,
intra-op threads = ours) for --rounds rounds of --runs timed inferences each,
so both see the same machine state; then reports over all timed runs:
median and p90 latency, the ratio edgerun/ORT, GFLOP/s (2 x MACs from
`edgerun info`) and % of this CPU's fp32 peak (117 GFLOP/s per core,
measured with an FMA loop; see bench/kernels/README.md), cold start (load + session +
first inference, median over rounds) and peak memory (process peak RSS minus
RSS before loading the model, median over rounds). Models come from
scripts/export_torchvision.py (exported on demand into BUILD/models).

--model-paths times the given model files instead (e.g. the int8 QDQ models of
bench/make_qdq_models.py; peak % is then of the fp32 peak, for scale only).
With --fp32-model-paths (one per model path, same order) each round also
times `edgerun` on that float model - with the binary --fp32-edgerun, default
the build's own - and the table adds edgerun fp32 and the speedup
fp32 / int8, all from the same rounds. The last column has the minimum
latencies (less sensitive to a busy machine than the medians).
"""
import argparse, datetime, json, math, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["mobilenet_v2", "mobilenet_v3_small", "resnet18", "squeezenet1_1",
          "shufflenet_v2_x1_0", "efficientnet_b0", "mnasnet1_0"]
PEAK_GFLOPS_PER_CORE = 117.0  # measured: FMA loop in bench/kernels/conv_bench (Zen 4 runs a 512-bit FMA as two 256-bit halves: 32 FLOP/cycle at ~3.6 GHz)


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def pct(v, p):
    v = sorted(v)
    pos = p / 100 * (len(v) - 1)
    lo = int(pos)
    if lo + 1 >= len(v):
        return v[-1]
    return v[lo] * (1 - (pos - lo)) + v[lo + 1] * (pos - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--opset", default="13")
    ap.add_argument("--out", help="also write the markdown table here")
    ap.add_argument("--model-paths", help="comma-separated model files to time instead of "
                    "--models")
    ap.add_argument("--fp32-model-paths", help="float models to time with edgerun in the same "
                    "rounds, one per --model-paths entry")
    ap.add_argument("--fp32-edgerun", help="edgerun binary for --fp32-model-paths")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    edgerun = os.path.join(build, "edgerun")
    env = dict(os.environ)
    env.setdefault("ER_ORT_NODE_MODULES", os.path.join(build, "npm", "node_modules"))
    mdir = os.path.join(build, "models")
    if a.model_paths:
        paths = [os.path.abspath(p) for p in a.model_paths.split(",")]
        models = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    else:
        models = a.models.split(",")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_torchvision.py"),
                        mdir, "--opsets", a.opset, "--models", ",".join(models)], check=True,
                       stdout=subprocess.DEVNULL)
        paths = [os.path.join(mdir, f"{m}_op{a.opset}.onnx") for m in models]
    fp32_paths = [os.path.abspath(p) for p in a.fp32_model_paths.split(",")] \
        if a.fp32_model_paths else [None] * len(paths)
    if len(fp32_paths) != len(paths):
        sys.exit("--fp32-model-paths needs one model per --model-paths entry")
    fp32_bin = os.path.abspath(a.fp32_edgerun) if a.fp32_edgerun else edgerun
    rows = []
    for m, path, fp32_path in zip(models, paths, fp32_paths):
        macs = run_json([edgerun, "info", path, "--json"])["macs"]
        for t in [int(x) for x in a.threads.split(",")]:
            er_lat, ort_lat, er_cold, ort_cold, er_mem, ort_mem = [], [], [], [], [], []
            fp_lat = []
            for _ in range(a.rounds):
                if fp32_path:
                    f = run_json([fp32_bin, "bench", fp32_path, "--threads", str(t), "--runs",
                                  str(a.runs), "--warmup", str(a.warmup), "--json", "--raw"])
                    fp_lat += f["latencies_ms"]
                e = run_json([edgerun, "bench", path, "--threads", str(t), "--runs", str(a.runs),
                              "--warmup", str(a.warmup), "--json", "--raw"])
                o = run_json(["node", os.path.join(ROOT, "bench", "ort_bench.js"), path,
                              "--threads", str(t), "--runs", str(a.runs), "--warmup",
                              str(a.warmup)], env)
                er_lat += e["latencies_ms"]
                ort_lat += o["latencies_ms"]
                er_cold.append(e["load_ms"] + e["session_ms"] + e["first_run_ms"])
                ort_cold.append(o["session_ms"] + o["first_run_ms"])
                er_mem.append(e["peak_rss_bytes"] - e["rss_before_load_bytes"])
                ort_mem.append(o["peak_rss_bytes"] - o["rss_before_load_bytes"])
            em, om = statistics.median(er_lat), statistics.median(ort_lat)
            gflops = 2 * macs / (em / 1e3) / 1e9
            rows.append(dict(model=m, threads=t, er_med=em, er_p90=pct(er_lat, 90), ort_med=om,
                             ort_p90=pct(ort_lat, 90), ratio=em / om, gflops=gflops,
                             peak=100 * gflops / (PEAK_GFLOPS_PER_CORE * t),
                             ort_gflops=2 * macs / (om / 1e3) / 1e9,
                             er_cold=statistics.median(er_cold), ort_cold=statistics.median(ort_cold),
                             er_mem=statistics.median(er_mem) / 2**20,
                             ort_mem=statistics.median(ort_mem) / 2**20,
                             fp_med=statistics.median(fp_lat) if fp_lat else None,
                             er_min=min(er_lat), ort_min=min(ort_lat),
                             fp_min=min(fp_lat) if fp_lat else None))
            r = rows[-1]
            fp = f"  edgerun fp32 {r['fp_med']:8.2f} ms (x{r['fp_med'] / em:.2f})" \
                if fp_lat else ""
            fp += f"  [min: edgerun {r['er_min']:.2f}, ORT {r['ort_min']:.2f}" + \
                (f", fp32 {r['fp_min']:.2f}]" if fp_lat else "]")
            print(f"{m:20s} t={t} edgerun {em:8.2f} ms  ORT {om:8.2f} ms  ratio {r['ratio']:.3f}  "
                  f"{gflops:6.1f} GFLOP/s ({r['peak']:.0f}% peak){fp}", file=sys.stderr)
    lines = []
    has_fp = any(r["fp_med"] is not None for r in rows)
    fp_head = " edgerun fp32 median ms | fp32 / this |" if has_fp else ""
    fp_head += " min ms edgerun / ORT" + (" / fp32 |" if has_fp else " |")
    lines.append("| model | threads | edgerun median / p90 ms | ORT median / p90 ms | edgerun/ORT | "
                 "edgerun GFLOP/s (% peak) | ORT GFLOP/s | cold start ms edgerun / ORT (ratio) | "
                 "peak memory MiB edgerun / ORT (ratio) |" + fp_head)
    lines.append("|---|---|---|---|---|---|---|---|---|" + ("---|---|" if has_fp else "") + "---|")
    for r in rows:
        fp_cols = (f" {r['fp_med']:.2f} | **{r['fp_med'] / r['er_med']:.2f}x** |"
                   if r["fp_med"] is not None else " - | - |") if has_fp else ""
        fp_cols += f" {r['er_min']:.2f} / {r['ort_min']:.2f}" + \
            ((f" / {r['fp_min']:.2f} |" if r["fp_min"] is not None else " / - |") if has_fp else " |")
        lines.append(f"| {r['model']} | {r['threads']} | {r['er_med']:.2f} / {r['er_p90']:.2f} | "
                     f"{r['ort_med']:.2f} / {r['ort_p90']:.2f} | **{r['ratio']:.3f}** | "
                     f"{r['gflops']:.1f} ({r['peak']:.0f}%) | {r['ort_gflops']:.1f} | "
                     f"{r['er_cold']:.1f} / {r['ort_cold']:.1f} ({r['er_cold']/r['ort_cold']:.2f}) | "
                     f"{r['er_mem']:.1f} / {r['ort_mem']:.1f} ({r['er_mem']/max(r['ort_mem'],1e-9):.2f}) |"
                     + fp_cols)
    for t in sorted({r["threads"] for r in rows}):
        rs = [r["ratio"] for r in rows if r["threads"] == t]
        gm = math.exp(sum(math.log(x) for x in rs) / len(rs))
        lines.append(f"\n{t} thread(s): geometric mean edgerun/ORT = **{gm:.3f}**, worst "
                     f"{max(rs):.3f}")
    table = "\n".join(lines)
    print(table)
    if a.out:
        with open(a.out, "w") as f:
            f.write(f"<!-- {datetime.date.today()} : bench/compare_ort.py {' '.join(sys.argv[1:])} -->\n")
            f.write(table + "\n")


if __name__ == "__main__":
    main()
