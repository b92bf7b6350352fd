#!/usr/bin/python3
"""make_qdq_models.py - quantized QDQ versions of the torchvision benchmark models,
for timing the int8 kernels (edgerun vs edgerun fp32 vs ONNX Runtime).

usage: bench/make_qdq_models.py [--build build] [--models mobilenet_v2,resnet18]
                                [--out DIR] [--act int8|uint8] [--calib N]

This is a small stand-in for the real quantizer (`edgerun quantize`), written
for benchmarks only: the scheme is the one ONNX Runtime's quantizer writes, so
both runtimes fold it into their int8 kernels:
  - weights of Conv and Gemm: per output channel, symmetric int8
    (scale = max|w| / 127, zero point 0), as int8 initializers behind a
    DequantizeLinear (axis 0);
  - biases: int32 with scale x_scale * w_scale[m] (float32 product), zero point 0;
  - activations: per tensor, asymmetric int8 (or uint8 with --act uint8) from
    min/max calibration over N inputs (input_224.npy of export_torchvision.py
    plus seeded N(0,1) images), covering 0;
  - every float activation gets a QuantizeLinear -> DequantizeLinear pair, except
    a Conv/Gemm/Add output whose only reader is a Relu/Clip (fused by both
    runtimes); MaxPool, Relu, Clip, Flatten and Reshape outputs reuse their
    input's parameters (ORT requires it to run them on int8).
Calibration runs the float model with every such tensor as an extra graph output
through `edgerun run --no-optimize`.

Writes DIR/<model>_qdq_<act>.onnx (default DIR: BUILD/models). Needs python3-onnx,
python3-numpy (and torch/torchvision for the export).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASS_THROUGH = {"MaxPool", "Relu", "Clip", "Flatten", "Reshape"}
FUSED_ACT = {"Relu", "Clip"}
FUSES_ACT = {"Conv", "Gemm", "Add"}


def act_params(lo, hi, act):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32(max((hi - lo) / 255.0, 1e-8))
    qmin = -128 if act == "int8" else 0
    zp = int(np.clip(np.rint(qmin - lo / float(scale)), qmin, qmin + 255))
    return scale, zp


def quantized_tensors(g):
    """Float activations to quantize, in topological order, and the pass-through
    map (tensor -> the tensor whose parameters it reuses)."""
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    inits = {t.name for t in g.initializer}
    order, reuse = [], {}
    for inp in g.input:
        if inp.name not in inits:
            order.append(inp.name)
    for n in g.node:
        if n.op_type == "Constant":
            continue  # Clip bounds and shapes stay float constants
        for o in n.output:
            cs = consumers.get(o, [])
            if n.op_type in FUSES_ACT and len(cs) == 1 and cs[0].op_type in FUSED_ACT:
                continue  # fused: the Relu/Clip output is quantized instead
            if n.op_type in PASS_THROUGH and n.input[0] not in inits:
                src = n.input[0]
                p = next((m for m in g.node if src in m.output), None)
                if p is None or not (p.op_type in FUSES_ACT and n.op_type in FUSED_ACT):
                    reuse[o] = reuse.get(src, src)
            order.append(o)
    return order, reuse


def calibrate(model, names, inputs, edgerun):
    """min/max of every tensor in names over the inputs."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for nm in names:
        if nm not in have:
            m.graph.output.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, None))
    lo, hi = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "calib.onnx")
        onnx.save(m, path)
        in_name = model.graph.input[0].name
        for k, x in enumerate(inputs):
            xp = os.path.join(tmp, f"x{k}.npy")
            np.save(xp, x)
            od = os.path.join(tmp, f"o{k}")
            os.makedirs(od)
            subprocess.run([edgerun, "run", path, "-i", f"{in_name}={xp}", "-o", od,
                            "--no-optimize"], check=True, stdout=subprocess.DEVNULL)
            for nm in names:
                fn = "".join(c if c.isalnum() or c in "._-" else "_" for c in nm) + ".npy"
                v = np.load(os.path.join(od, fn))
                lo[nm] = min(lo.get(nm, np.inf), float(v.min()))
                hi[nm] = max(hi.get(nm, -np.inf), float(v.max()))
    return lo, hi


def quantize(model, lo, hi, names, reuse, act):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    qdt = TensorProto.INT8 if act == "int8" else TensorProto.UINT8
    npdt = np.int8 if act == "int8" else np.uint8
    params = {}
    for nm in names:
        src = reuse.get(nm)
        params[nm] = params[src] if src in params else act_params(lo[nm], hi[nm], act)
    new_inits, new_nodes = [], []

    def const(name, arr):
        new_inits.append(numpy_helper.from_array(arr, name))
        return name

    # activations: producer output T -> Q -> DQ -> readers (graph outputs keep the name)
    outputs = {o.name for o in g.output}
    rename = {}
    after = {}  # producer output name -> nodes to insert after its producer
    for nm in names:
        s, z = params[nm]
        sn = const(nm + "_scale", np.array(s, np.float32))
        zn = const(nm + "_zp", np.array(z, npdt))
        src = nm + "_f" if nm in outputs else nm
        dq_out = nm if nm in outputs else nm + "_dq"
        if nm in outputs:
            rename[nm] = src
        else:
            rename.setdefault("__readers__", {})[nm] = dq_out
        after[nm] = [helper.make_node("QuantizeLinear", [src, sn, zn], [nm + "_q"], nm + "_Q"),
                     helper.make_node("DequantizeLinear", [nm + "_q", sn, zn], [dq_out],
                                      nm + "_DQ")]
    readers = rename.pop("__readers__", {})
    scale_of = {nm: params[nm][0] for nm in names}
    for n in g.node:
        n2 = onnx.NodeProto()
        n2.CopyFrom(n)
        for i, v in enumerate(n2.input):
            if v in readers:
                n2.input[i] = readers[v]
        for i, v in enumerate(n2.output):
            if v in rename:
                n2.output[i] = rename[v]
        if n.op_type in ("Conv", "Gemm") and len(n.input) >= 2 and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            wm = w.reshape(w.shape[0], -1)
            ws = np.maximum(np.abs(wm).max(axis=1) / 127.0, 1e-12).astype(np.float32)
            wq = np.clip(np.rint(wm / ws[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
            base = n.input[1]
            const(base + "_q", wq)
            const(base + "_s", ws)
            const(base + "_z", np.zeros(ws.shape, np.int8))
            new_nodes.append(helper.make_node("DequantizeLinear", [base + "_q", base + "_s",
                                                                   base + "_z"], [base + "_w"],
                                              base + "_DQ", axis=0))
            n2.input[1] = base + "_w"
            if len(n.input) > 2 and n.input[2] in inits:
                b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32)
                xs = np.float32(scale_of[n.input[0]])
                bs = (xs * ws).astype(np.float32)
                bq = np.clip(np.rint(b / bs), -2**31, 2**31 - 1).astype(np.int32)
                bb = n.input[2]
                const(bb + "_q", bq)
                const(bb + "_s", bs)
                const(bb + "_z", np.zeros(bs.shape, np.int32))
                new_nodes.append(helper.make_node("DequantizeLinear", [bb + "_q", bb + "_s",
                                                                       bb + "_z"], [bb + "_b"],
                                                  bb + "_DQ", axis=0))
                n2.input[2] = bb + "_b"
        new_nodes.append(n2)
        for o in n.output:
            new_nodes.extend(after.get(o, []))
    # graph inputs are quantized before everything else
    head = []
    for inp in g.input:
        if inp.name in after:
            head.extend(after[inp.name])
    used = set()
    for n in head + new_nodes:
        used.update(n.input)
    keep = [t for t in g.initializer if t.name in used]
    out = helper.make_model(
        helper.make_graph(head + new_nodes, g.name + "_qdq", list(g.input), list(g.output),
                          keep + new_inits),
        opset_imports=list(model.opset_import), producer_name="edgerun make_qdq_models")
    out.ir_version = model.ir_version
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--models", default="mobilenet_v2,resnet18")
    ap.add_argument("--out")
    ap.add_argument("--act", default="int8", choices=["int8", "uint8"])
    ap.add_argument("--calib", type=int, default=4)
    ap.add_argument("--opset", default="13")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    mdir = os.path.join(build, "models")
    out = a.out or mdir
    os.makedirs(out, exist_ok=True)
    models = a.models.split(",")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_torchvision.py"), mdir,
                    "--opsets", a.opset, "--models", ",".join(models)], check=True,
                   stdout=subprocess.DEVNULL)
    x0 = np.load(os.path.join(mdir, "input_224.npy"))
    rng = np.random.RandomState(1234)
    inputs = [x0] + [rng.standard_normal(x0.shape).astype(np.float32)
                     for _ in range(a.calib - 1)]
    for m in models:
        src = os.path.join(mdir, f"{m}_op{a.opset}.onnx")
        model = onnx.load(src)
        names, reuse = quantized_tensors(model.graph)
        lo, hi = calibrate(model, names, inputs, os.path.join(build, "edgerun"))
        q = quantize(model, lo, hi, names, reuse, a.act)
        dst = os.path.join(out, f"{m}_qdq_{a.act}.onnx")
        onnx.checker.check_model(q)
        onnx.save(q, dst)
        print(f"{m}: {len(names)} activations quantized -> {dst} "
              f"({os.path.getsize(dst) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
