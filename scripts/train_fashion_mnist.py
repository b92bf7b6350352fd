#!/usr/bin/env python3
"""Train a small CNN on Fashion-MNIST and export it as models/fashion_mnist_cnn.onnx.

Seeded, CPU only (2 threads by default), a few minutes end to end. Reads the
Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/), reports
accuracy on the 10,000 test images, and writes models/README.md with the
architecture, the command, the training time and the measured accuracy.

The network uses only ops a small runtime supports: Conv, Relu, MaxPool, Flatten,
Gemm (BatchNormalization is folded into Conv at export).

Usage: python3 scripts/train_fashion_mnist.py [--epochs N] [--threads N] [--seed N]
                                              [--data DIR] [--out-dir models]
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """Reads an IDX file (optionally gzipped): magic 0x000008NN, dims as big-endian u32."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {arr.size} bytes of data, header says {dims}")
    return arr.reshape(dims)


def load_split(data_dir, split):
    x = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"))
    # pixels scaled to [0,1]: the exported model expects exactly this, no mean/std
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(y.astype(np.int64))
    return x, y


class SmallCNN(nn.Module):
    """conv3x3(1->32)+BN+ReLU, maxpool2 -> conv3x3(32->64)+BN+ReLU, maxpool2 ->
    conv3x3(64->64)+BN+ReLU, maxpool2 -> flatten(64*3*3) -> linear(576->64)+ReLU ->
    linear(64->10). About 93k parameters (~370 KB as float32)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 3 * 3, 64), nn.ReLU(), nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


ARCH_TEXT = """| layer | output shape (N=1) |
|---|---|
| input (pixels / 255) | 1x1x28x28 |
| Conv 3x3, 32, pad 1 + BatchNorm + ReLU | 1x32x28x28 |
| MaxPool 2x2 | 1x32x14x14 |
| Conv 3x3, 64, pad 1 + BatchNorm + ReLU | 1x64x14x14 |
| MaxPool 2x2 | 1x64x7x7 |
| Conv 3x3, 64, pad 1 + BatchNorm + ReLU | 1x64x7x7 |
| MaxPool 2x2 (floor) | 1x64x3x3 |
| Flatten | 1x576 |
| Gemm 576->64 + ReLU | 1x64 |
| Gemm 64->10 (logits) | 1x10 |"""


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def ort_accuracy(onnx_path, x, y):
    """Accuracy of the exported file under ONNX Runtime (tests/models/ort_run.js), or None
    with the reason when node or onnxruntime-node (ER_ORT_NODE_MODULES) is unavailable."""
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models", "ort_run.js")
    if not shutil.which("node"):
        return None, "node not found"
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        r = subprocess.run(["node", runner, onnx_path, os.path.join(tmp, "x.npy"), tmp],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None, (r.stderr.strip().splitlines() or ["ort_run.js failed"])[0]
        logits = np.load(os.path.join(tmp, "logits.npy"))
    return float((logits.argmax(1) == y.numpy()).mean()), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out-dir", default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")))
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            p = os.path.join(args.data, f"{split}-{kind}-ubyte.gz")
            if not os.path.exists(p):
                sys.exit(f"missing {p} (install the Debian package dataset-fashion-mnist)")

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}, seed {args.seed}, "
          f"{args.threads} threads", flush=True)

    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = (len(x_train) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(x_train), args.batch):
            idx = perm[i:i + args.batch]
            xb = x_train[idx]
            # light augmentation: random horizontal flip (clothes are left/right symmetric)
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            loss = loss_fn(model(xb), y_train[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / len(x_train):.4f}, "
              f"test accuracy {acc * 100:.2f}%, {time.time() - t0:.0f} s", flush=True)
    train_s = time.time() - t0
    acc = evaluate(model, x_test, y_test)
    print(f"test accuracy {acc * 100:.2f}% ({round(acc * len(x_test))}/{len(x_test)}), "
          f"training took {train_s:.0f} s")

    os.makedirs(args.out_dir, exist_ok=True)
    onnx_path = os.path.join(args.out_dir, "fashion_mnist_cnn.onnx")
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13, do_constant_folding=True)

    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    size = os.path.getsize(onnx_path)
    print(f"wrote {onnx_path}: {size} bytes, ops {', '.join(ops)}")
    ort_acc, why = ort_accuracy(onnx_path, x_test, y_test)
    if ort_acc is None:
        ort_line = f"- Not checked under ONNX Runtime ({why}; set ER_ORT_NODE_MODULES, see scripts/setup-ort.sh)"
        print(f"ONNX Runtime check skipped: {why}")
    else:
        ort_line = (f"- ONNX Runtime on the exported file (tests/models/ort_run.js, all 10,000 test "
                    f"images as one batch): {ort_acc * 100:.2f}%")
        print(f"ONNX Runtime accuracy of the exported file: {ort_acc * 100:.2f}%")
        if round(ort_acc * len(x_test)) != round(acc * len(x_test)):
            sys.exit("the exported model's ONNX Runtime accuracy differs from torch's")

    cmd = "python3 scripts/train_fashion_mnist.py"
    extra = []
    for k, d in (("epochs", 4), ("batch", 128), ("lr", 2e-3), ("threads", 2), ("seed", 0)):
        if getattr(args, k) != d:
            extra.append(f"--{k} {getattr(args, k)}")
    if extra:
        cmd += " " + " ".join(extra)
    readme = f"""# models/

## fashion_mnist_cnn.onnx

A small CNN classifying 28x28 Fashion-MNIST images into 10 classes, trained by
`scripts/train_fashion_mnist.py` (seed {args.seed}, CPU, {args.threads} threads) on the
60,000 training images of the Debian package `dataset-fashion-mnist`.

- **Test accuracy: {acc * 100:.2f}%** ({round(acc * len(x_test))}/{len(x_test)} of the t10k test images)
- Training time: {train_s:.0f} s ({args.epochs} epochs, batch {args.batch}, Adam with a one-cycle
  schedule peaking at lr {args.lr}, random horizontal flips)
{ort_line}
- File: {size} bytes, ONNX opset 13, ops: {", ".join(ops)}
- Input `input`: float32 `[batch, 1, 28, 28]`, pixels scaled to [0, 1] (byte / 255, no
  mean/std normalisation), the batch dimension is dynamic and named `batch`.
- Output `logits`: float32 `[batch, 10]`, unnormalised; argmax is the class.
- Classes: {", ".join(f"{i} {c}" for i, c in enumerate(CLASSES))}

Architecture (BatchNormalization is folded into the preceding Conv at export):

{ARCH_TEXT}

Regenerate (needs `python3-torch`, `python3-onnx`, `python3-numpy`, `dataset-fashion-mnist`):

```sh
{cmd}
```

With `ER_ORT_NODE_MODULES` pointing at an onnxruntime-node install
(`scripts/setup-ort.sh DIR`, then `ER_ORT_NODE_MODULES=DIR/node_modules`), the script
also runs the exported file under ONNX Runtime on the whole test set and fails if
its accuracy differs from torch's.

The run is seeded and single-process, but float reductions in torch's CPU
kernels may still differ across machines and torch builds, so the bytes of the
.onnx file and the last digit of the accuracy can differ on another machine.
"""
    with open(os.path.join(args.out_dir, "README.md"), "w") as f:
        f.write(readme)
    print(f"wrote {os.path.join(args.out_dir, 'README.md')}")


if __name__ == "__main__":
    main()
