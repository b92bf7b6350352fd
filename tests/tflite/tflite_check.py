#!/usr/bin/python3
"""Helpers for tests/tflite/run_tflite_models.sh (Debian's python3 + numpy).

  ref-inputs REF_DIR OUT_DIR      the reference's input_<i>.f32 -> OUT_DIR/in<i>.npy
  to-f32 NPY F32                  a .npy tensor -> raw float32 little-endian
  compare REF_DIR ER_DIR [--tol T] [--abs A]
        every output of the reference run (meta.json, output_<i>.f32) against
        ER_DIR/<output name>.npy from `edgerun run`; an output matches when
        max|diff| <= T * max(1, max|ref|) (default T = 1e-3), or when
        max|diff| <= A if --abs is given (one quantization step for int8).
        Prints one line per output; exit 1 if any fails.
  mask NPY KIND                   checks a selfie-segmentation mask [1,H,W,1]:
        KIND=person (skimage astronaut: the head region is foreground, the
        top corners background) or KIND=empty (no person: mostly background).
"""
import json
import os
import sys

import numpy as np


def sanitize(name):
    s = "".join(c if (c.isalnum() or c in "._-") else "_" for c in name)
    return "output" if s in ("", ".", "..") else s


def ref_inputs(ref, out):
    meta = json.load(open(os.path.join(ref, "meta.json")))
    os.makedirs(out, exist_ok=True)
    for i in meta["inputs"]:
        a = np.fromfile(os.path.join(ref, i["file"]), dtype="<f4").reshape(i["shape"])
        dt = i["dtype"]
        if dt != "float32":  # the runner rounded into the integer input type
            a = np.round(a).astype({"int8": np.int8, "uint8": np.uint8, "int32": np.int32}[dt])
        np.save(os.path.join(out, "in%d.npy" % i["index"]), a)


def to_f32(npy, f32):
    np.load(npy).astype("<f4").tofile(f32)


def compare(ref, er, tol, abs_tol):
    meta = json.load(open(os.path.join(ref, "meta.json")))
    bad = 0
    for o in meta["outputs"]:
        r = np.fromfile(os.path.join(ref, o["file"]), dtype="<f4").astype(np.float64)
        path = os.path.join(er, sanitize(o["name"]) + ".npy")
        if not os.path.exists(path):
            print("  %-28s MISSING %s" % (o["name"], path))
            bad += 1
            continue
        t = np.load(path).astype(np.float64).ravel()
        if t.size != r.size:
            print("  %-28s FAIL size %d, reference %d" % (o["name"], t.size, r.size))
            bad += 1
            continue
        d = np.abs(t - r)
        mx = float(d.max()) if d.size else 0.0
        ref_max = float(np.abs(r).max()) if r.size else 0.0
        scaled = mx / max(1.0, ref_max)
        ok = (mx <= abs_tol) if abs_tol is not None else (scaled <= tol)
        ok = ok and not np.isnan(d).any()
        bad += not ok
        print("  %-28s %-16s %s max|diff| %.3g  scaled %.3g  max|ref| %.3g" % (
            o["name"], str(o["shape"]), "ok  " if ok else "FAIL", mx, scaled, ref_max))
    return 1 if bad else 0


def mask(npy, kind):
    m = np.load(npy)[0, :, :, 0].astype(np.float64)
    h, w = m.shape
    fg = float((m > 0.5).mean())
    if kind == "empty":
        ok = fg < 0.2
        print("  mask: %.1f%% foreground (expected < 20%% without a person)" % (100 * fg))
    else:
        head = float(m[2 * h // 25: h // 4, 7 * w // 20: 11 * w // 20].mean())
        corners = float((m[: h // 5, : w // 5].mean() + m[: h // 5, 4 * w // 5:].mean()) / 2)
        ok = head > 0.8 and corners < 0.1 and 0.2 < fg < 0.8
        print("  mask: head region %.3f (> 0.8), top corners %.3f (< 0.1), foreground %.1f%%"
              % (head, corners, 100 * fg))
    return 0 if ok else 1


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd = argv[0]
    if cmd == "ref-inputs":
        ref_inputs(argv[1], argv[2])
        return 0
    if cmd == "to-f32":
        to_f32(argv[1], argv[2])
        return 0
    if cmd == "mask":
        return mask(argv[1], argv[2])
    if cmd == "compare":
        tol, abs_tol, rest = 1e-3, None, argv[3:]
        while rest:
            k = rest.pop(0)
            if k == "--tol":
                tol = float(rest.pop(0))
            elif k == "--abs":
                abs_tol = float(rest.pop(0))
            else:
                sys.exit("unknown option " + k)
        return compare(argv[1], argv[2], tol, abs_tol)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
