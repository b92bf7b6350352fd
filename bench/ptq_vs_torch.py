#!/usr/bin/python3
"""ptq_vs_torch.py - edgerun's post-training int8 quantization side by side with PyTorch's.

For each model (default: the two bundled Fashion-MNIST classifiers), on the 10,000
Fashion-MNIST test images:
  fp32        `edgerun eval MODEL`
  ours int8   `edgerun quantize MODEL --calib train-images-idx3-ubyte.gz --calib-limit N`
              then `edgerun eval` of the QDQ model (folded into edgerun's int8 ops)
  torch int8  the same network rebuilt in PyTorch from the ONNX file (weights copied, fp32
              accuracy checked against edgerun's), quantized with torch.ao.quantization FX
              post-training static quantization on the same first N training images:
              the `fbgemm` recipe (HistogramObserver activations with reduce_range,
              per-channel MinMax weights) and the `onednn` one (no reduce_range). Both run
              on the onednn x86 engine when this torch has no FBGEMM (Debian's python3-torch
              is built without it), otherwise fbgemm's recipe runs on fbgemm.
Prints a markdown table (accuracy and drop in points) for bench/RESULTS.md.

usage: python3 bench/ptq_vs_torch.py [--edgerun build/edgerun] [--calib-limit 1000]
                                     [--models M.onnx ...] [--work DIR] [--threads N]
Needs python3-torch, python3-onnx, python3-numpy and dataset-fashion-mnist.
"""
import argparse
import warnings
import datetime
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


class OnnxNet(nn.Module):
    """A torch module computing an ONNX CNN made of Conv, Relu, Clip, MaxPool, AveragePool,
    GlobalAveragePool, Add, Flatten and Gemm, with one nn.Module per layer so torch's
    quantization tooling sees ordinary Conv2d / Linear / ReLU modules."""

    def __init__(self, path):
        super().__init__()
        m = onnx.load(path)
        inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
        consts = {}
        self.mods = nn.ModuleDict()
        self.plan = []
        self.input = m.graph.input[0].name
        self.output = m.graph.output[0].name

        def attr(n, name, default):
            for a in n.attribute:
                if a.name == name:
                    v = onnx.helper.get_attribute_value(a)
                    return list(v) if isinstance(v, (list, tuple)) else v
            return default

        def const(name):
            if name in inits:
                return inits[name]
            return consts.get(name)

        for i, n in enumerate(m.graph.node):
            key = f"l{i}"
            t = n.op_type
            if t == "Constant":
                consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
                continue
            if t == "Conv":
                w = const(n.input[1])
                b = const(n.input[2]) if len(n.input) > 2 and n.input[2] else None
                pads = attr(n, "pads", [0, 0, 0, 0])
                if pads[:2] != pads[2:]:
                    raise ValueError(f"{path}: asymmetric pads {pads}")
                group = attr(n, "group", 1)
                conv = nn.Conv2d(w.shape[1] * group, w.shape[0], tuple(w.shape[2:]),
                                 stride=tuple(attr(n, "strides", [1, 1])), padding=tuple(pads[:2]),
                                 dilation=tuple(attr(n, "dilations", [1, 1])), groups=group,
                                 bias=b is not None)
                conv.weight.data = torch.from_numpy(w.copy())
                if b is not None:
                    conv.bias.data = torch.from_numpy(b.copy())
                self.mods[key] = conv
            elif t == "Relu":
                self.mods[key] = nn.ReLU()
            elif t == "Clip":
                lo = const(n.input[1]) if len(n.input) > 1 and n.input[1] else -np.inf
                hi = const(n.input[2]) if len(n.input) > 2 and n.input[2] else np.inf
                lo, hi = float(lo), float(hi)
                self.mods[key] = nn.ReLU6() if (lo, hi) == (0.0, 6.0) else nn.Hardtanh(lo, hi)
            elif t in ("MaxPool", "AveragePool"):
                k = attr(n, "kernel_shape", None)
                pads = attr(n, "pads", [0, 0, 0, 0])
                cls = nn.MaxPool2d if t == "MaxPool" else nn.AvgPool2d
                self.mods[key] = cls(tuple(k), stride=tuple(attr(n, "strides", k)),
                                     padding=tuple(pads[:2]),
                                     ceil_mode=bool(attr(n, "ceil_mode", 0)))
            elif t == "GlobalAveragePool":
                self.mods[key] = nn.AdaptiveAvgPool2d(1)
            elif t == "Flatten":
                self.mods[key] = nn.Flatten(attr(n, "axis", 1))
            elif t == "Gemm":
                w = const(n.input[1])
                if not attr(n, "transB", 0):
                    w = w.T
                b = const(n.input[2]) if len(n.input) > 2 and n.input[2] else None
                lin = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
                lin.weight.data = torch.from_numpy(np.array(w, dtype=np.float32))
                if b is not None:
                    lin.bias.data = torch.from_numpy(b.copy())
                self.mods[key] = lin
            elif t == "Add":
                self.plan.append(("add", None, list(n.input), n.output[0]))
                continue
            else:
                raise ValueError(f"{path}: op {t} is not supported by this converter")
            self.plan.append(("mod", key, [n.input[0]], n.output[0]))

    def forward(self, x):
        env = {self.input: x}
        for kind, key, ins, out in self.plan:
            if kind == "add":
                env[out] = env[ins[0]] + env[ins[1]]
            else:
                env[out] = self.mods[key](env[ins[0]])
        return env[self.output]


@torch.no_grad()
def torch_accuracy(model, x, y, batch=500):
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def torch_ptq(net, calib, recipe, engine):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = engine
    qmap = get_default_qconfig_mapping(recipe)
    example = (calib[:1],)
    prepared = prepare_fx(net.eval(), qmap, example)
    with torch.no_grad():
        for i in range(0, len(calib), 100):
            prepared(calib[i:i + 100])
    return convert_fx(prepared)


def edgerun_eval(er, model, test_x, test_y, threads, limit):
    cmd = [er, "eval", model, "--images", test_x, "--labels", test_y, "--json", "--threads",
           str(threads)]
    if limit:
        cmd += ["--limit", str(limit)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"edgerun eval {model} failed: {r.stderr}")
    return json.loads(r.stdout)["top1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edgerun", default=os.path.join(ROOT, "build", "edgerun"))
    ap.add_argument("--models", nargs="+", default=[
        os.path.join(ROOT, "models", "fashion_mnist_cnn.onnx"),
        os.path.join(ROOT, "models", "fashion_mnist_mobilenetv2.onnx")])
    ap.add_argument("--calib-limit", type=int, default=1000)
    ap.add_argument("--test-limit", type=int, default=0, help="0: all 10,000 test images")
    ap.add_argument("--method", default=None, help="edgerun --method (default: its default)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*reduce_range will be deprecated.*")
    torch.manual_seed(0)
    train_x = os.path.join(DATA, "train-images-idx3-ubyte.gz")
    test_x = os.path.join(DATA, "t10k-images-idx3-ubyte.gz")
    test_y = os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")
    work = args.work or tempfile.mkdtemp(prefix="ptq_vs_torch_")
    os.makedirs(work, exist_ok=True)

    calib = torch.from_numpy(read_idx(train_x)[:args.calib_limit].astype(np.float32) / 255.0)
    calib = calib.unsqueeze(1)
    tx = torch.from_numpy(read_idx(test_x).astype(np.float32) / 255.0).unsqueeze(1)
    ty = torch.from_numpy(read_idx(test_y).astype(np.int64))
    if args.test_limit:
        tx, ty = tx[:args.test_limit], ty[:args.test_limit]
    engines = torch.backends.quantized.supported_engines
    engine = "fbgemm" if "fbgemm" in engines else "onednn" if "onednn" in engines else "qnnpack"
    print(f"torch {torch.__version__}, quantized engines {engines}: running on '{engine}'",
          flush=True)

    rows = []
    for model in args.models:
        name = os.path.splitext(os.path.basename(model))[0]
        if not os.path.exists(model):
            print(f"{model}: missing, skipped")
            continue
        q = os.path.join(work, name + "_int8.onnx")
        cmd = [args.edgerun, "quantize", model, "--calib", train_x, "--calib-limit",
               str(args.calib_limit), "-q", "-o", q, "--threads", str(args.threads)]
        if args.method:
            cmd += ["--method", args.method]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"edgerun quantize failed: {r.stderr}")
        fp32 = edgerun_eval(args.edgerun, model, test_x, test_y, args.threads, args.test_limit)
        ours = edgerun_eval(args.edgerun, q, test_x, test_y, args.threads, args.test_limit)
        net = OnnxNet(model).eval()
        t_fp32 = torch_accuracy(net, tx, ty)
        res = {}
        for recipe in ("fbgemm", "onednn"):
            qnet = torch_ptq(OnnxNet(model).eval(), calib, recipe, engine)
            res[recipe] = torch_accuracy(qnet, tx, ty)
        rows.append((name, fp32, t_fp32, ours, res["fbgemm"], res["onednn"]))
        print(f"{name}: fp32 {fp32 * 100:.2f}% (torch {t_fp32 * 100:.2f}%), ours int8 "
              f"{ours * 100:.2f}%, torch int8 fbgemm recipe {res['fbgemm'] * 100:.2f}%, onednn "
              f"recipe {res['onednn'] * 100:.2f}%", flush=True)

    n = len(tx)
    print()
    print(f"Fashion-MNIST test top-1 ({n} images), {args.calib_limit} calibration images "
          f"(the first of the training set), {datetime.date.today().isoformat()}:")
    print()
    print("| model | fp32 (edgerun) | fp32 (torch) | ours int8 | torch int8, fbgemm recipe "
          "| torch int8, onednn recipe |")
    print("|---|---|---|---|---|---|")
    for name, fp32, tf, ours, fb, od in rows:
        def cell(a):
            return f"{a * 100:.2f}% ({(a - fp32) * 100:+.2f})"
        print(f"| {name} | {fp32 * 100:.2f}% | {tf * 100:.2f}% | {cell(ours)} | {cell(fb)} | "
              f"{cell(od)} |")
    worse = [r[0] for r in rows if r[3] < max(r[4], r[5]) - 1e-9]
    if worse:
        print(f"\nours is below torch on: {', '.join(worse)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
