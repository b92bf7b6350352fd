#!/usr/bin/env python3
"""Export torchvision CNNs with seeded random weights to ONNX for the models test tier.

usage: export_torchvision.py OUTDIR [--opsets 13,17] [--models m1,m2,...] [--seed N]
                             [--keep-bn] [--no-torch-ref] [--force] [--list]

Writes OUTDIR/<model>_op<opset>.onnx (input "input" float32 [1,3,224,224], output
"output"), OUTDIR/input_224.npy (the seeded float32 input, N(0,1) like a normalised
image) and OUTDIR/<model>_torch.npy (torch's own output for that input, a second
oracle beside ONNX Runtime). Existing files are kept (a cache); --force rewrites.

Weights are random, never downloaded (weights=None): torch.manual_seed is set from
--seed and the model name, so a model's weights do not depend on which other models
are exported. BatchNorm layers get random affine parameters and running statistics
calibrated on a seeded random batch of 16 (each BN gets the mean/variance of its
actual input, layer by layer), so activations stay O(1) through deep nets (Linear layers get N(0, 1/fan_in) weights so
the logits are O(1) too) and the exporter's
Conv+BN folding (or a runtime's, with --keep-bn) works on realistic, non-identity
statistics. Exports are deterministic: the same seed and torch version give
byte-identical files. Files are written to a temporary name and renamed, so an
interrupted run never leaves a truncated model in the cache.

--keep-bn exports with TrainingMode.PRESERVE, which skips the exporter's Conv+BN
folding and keeps BatchNormalization nodes; those files are named
<model>_op<opset>_bn.onnx.
"""
import argparse
import os
import sys
import time
import warnings
import zlib

import numpy as np

MODELS = ["mobilenet_v2", "mobilenet_v3_small", "resnet18", "squeezenet1_1",
          "shufflenet_v2_x1_0", "efficientnet_b0", "mnasnet1_0"]
INPUT_SHAPE = (1, 3, 224, 224)
INPUT_FILE = "input_224.npy"


def make_input(seed):
    return np.random.RandomState(seed).standard_normal(INPUT_SHAPE).astype(np.float32)


def build_model(name, seed):
    import torch
    import torchvision

    torch.manual_seed((seed * 1000003 + zlib.crc32(name.encode())) & 0x7FFFFFFF)
    model = getattr(torchvision.models, name)(weights=None)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]

    # Data-dependent BN calibration in one eval-mode pass: a pre-hook sets each BN's
    # running statistics to the batch statistics of its actual input just before it
    # runs, so every BN sees upstream layers that are already calibrated (no drift
    # between train-mode batch stats and eval-mode running stats across ~50 layers).
    def calibrate(bn, inputs):
        x = inputs[0].transpose(0, 1).reshape(inputs[0].shape[1], -1)
        bn.running_mean.copy_(x.mean(1))
        bn.running_var.copy_(x.var(1, unbiased=False))

    with torch.no_grad():
        for bn in bns:
            if bn.affine:
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.normal_(0.0, 0.1)
        # torchvision's classifier inits (e.g. N(0, 0.01) in MobileNetV3) give logits of
        # range ~0.1, which the range-relative tolerance would treat as absolute;
        # variance-preserving weights give O(1) logits like a trained model's
        for lin in (m for m in model.modules() if isinstance(m, torch.nn.Linear)):
            lin.weight.normal_(0.0, lin.in_features ** -0.5)
            if lin.bias is not None:
                lin.bias.normal_(0.0, 0.1)
        model.eval()
        hooks = [bn.register_forward_pre_hook(calibrate) for bn in bns]
        model(torch.randn(16, *INPUT_SHAPE[1:]))
        for h in hooks:
            h.remove()
    return model


def export(model, path, opset, keep_bn):
    import torch

    tmp = f"{path}.tmp{os.getpid()}"
    kwargs = {}
    if keep_bn:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE  # model is in eval mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(INPUT_SHAPE), tmp, input_names=["input"],
                          output_names=["output"], opset_version=opset,
                          do_constant_folding=True, **kwargs)
    import onnx
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--opsets", default="13,17", help="comma-separated (default 13,17)")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated torchvision model names (default: all %d)" % len(MODELS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-bn", action="store_true",
                    help="keep BatchNormalization nodes (files named *_bn.onnx)")
    ap.add_argument("--no-torch-ref", action="store_true", help="do not write <model>_torch.npy")
    ap.add_argument("--force", action="store_true", help="rewrite existing files")
    ap.add_argument("--list", action="store_true", help="print the default model list and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return 0
    if not args.outdir:
        ap.error("OUTDIR is required")

    opsets = [int(s) for s in args.opsets.split(",") if s.strip()]
    models = [s.strip() for s in args.models.replace(" ", ",").split(",") if s.strip()]
    os.makedirs(args.outdir, exist_ok=True)

    import torch
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    try:
        torch.use_deterministic_algorithms(True)
    except AttributeError:
        pass

    in_path = os.path.join(args.outdir, INPUT_FILE)
    if args.force or not os.path.exists(in_path):
        tmp = in_path + f".tmp{os.getpid()}.npy"
        np.save(tmp, make_input(args.seed))
        os.replace(tmp, in_path)
    x = torch.from_numpy(np.load(in_path))

    suffix = "_bn" if args.keep_bn else ""
    failed = 0
    for name in models:
        paths = {op: os.path.join(args.outdir, f"{name}_op{op}{suffix}.onnx") for op in opsets}
        ref_path = os.path.join(args.outdir, f"{name}_torch.npy")
        todo = [op for op, p in paths.items() if args.force or not os.path.exists(p)]
        need_ref = not args.no_torch_ref and (args.force or not os.path.exists(ref_path))
        if not todo and not need_ref:
            print(f"{name}: cached", flush=True)
            continue
        t0 = time.time()
        try:
            model = build_model(name, args.seed)
        except Exception as e:  # unknown name, torchvision too old
            print(f"{name}: FAIL cannot build: {e}", flush=True)
            failed += 1
            continue
        t_build = time.time() - t0
        if need_ref:
            with torch.no_grad():
                y = model(x).numpy().astype(np.float32)
            tmp = ref_path + f".tmp{os.getpid()}.npy"
            np.save(tmp, y)
            os.replace(tmp, ref_path)
        msgs = []
        for op in todo:
            t1 = time.time()
            try:
                export(model, paths[op], op, args.keep_bn)
            except Exception as e:
                print(f"{name}: FAIL export opset {op}: {e}", flush=True)
                failed += 1
                continue
            msgs.append(f"op{op} {os.path.getsize(paths[op]) / 1e6:.1f} MB {time.time() - t1:.1f} s")
        print(f"{name}: build+calibrate {t_build:.1f} s; " + ("; ".join(msgs) or "models cached"),
              flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
