#!/usr/bin/env python3
"""Compare an output tensor with a reference: compare.py OUT.npy REF.npy [--tol 1e-4].

Passes when  max|out - ref| <= tol * max(1, max(ref) - min(ref)),  i.e. the max abs
error relative to the reference output's range (never tighter than an absolute tol,
so near-constant outputs are not held to a zero-width bound). Prints the max abs
error, where it occurs, the bound and the relative error (max abs error / the range
floor-ed at 1). Exits 0 on a pass, 1 on a mismatch (values, shape, dtype, NaN/Inf
pattern), 2 on a usage or file error. Needs only numpy.
"""
import argparse
import sys

import numpy as np


def compare(out, ref, tol):
    """Returns (ok, message)."""
    if out.shape != ref.shape:
        return False, f"shape mismatch: {list(out.shape)} vs reference {list(ref.shape)}"
    if out.dtype != ref.dtype:
        return False, f"dtype mismatch: {out.dtype} vs reference {ref.dtype}"
    if out.size == 0:
        return True, "max_abs_err 0 bound 0 rel_err 0 (empty)"
    a = out.astype(np.float64)
    r = ref.astype(np.float64)
    # non-finite values must match exactly in position and kind
    fa, fr = np.isfinite(a), np.isfinite(r)
    bad = (fa != fr) | (~fa & ~fr & ~((a == r) | (np.isnan(a) & np.isnan(r))))
    if bad.any():
        i = np.unravel_index(int(np.argmax(bad)), a.shape)
        return False, (f"non-finite mismatch at {list(i)}: {a[i]!r} vs reference {r[i]!r} "
                       f"({int(bad.sum())} element(s))")
    if not fr.any():
        return True, "max_abs_err 0 bound 0 rel_err 0 (all non-finite, identical)"
    rng = float(r[fr].max() - r[fr].min())
    scale = max(1.0, rng)
    bound = tol * scale
    diff = np.where(fr, np.abs(a - r), 0.0)
    i = np.unravel_index(int(np.argmax(diff)), diff.shape)
    err = float(diff[i])
    ok = err <= bound
    msg = (f"max_abs_err {err:.3e} bound {bound:.3e} rel_err {err / scale:.3e} "
           f"(tol {tol:g}, ref range {rng:.4g}, at {list(i)}: {a[i]:.7g} vs {r[i]:.7g}, "
           f"{int((diff > bound).sum())}/{diff.size} over)")
    return ok, msg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output to check (.npy)")
    ap.add_argument("ref", help="reference output (.npy)")
    ap.add_argument("--tol", type=float, default=1e-4,
                    help="allowed max abs error as a fraction of the reference range (default 1e-4)")
    args = ap.parse_args()
    arrays = []
    for path in (args.out, args.ref):
        try:
            with open(path, "rb") as f:
                if f.read(6) != b"\x93NUMPY":
                    raise ValueError("not a .npy file")
            arrays.append(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as e:
            print(f"compare.py: {path}: {e}", file=sys.stderr)
            return 2
    out, ref = arrays
    ok, msg = compare(out, ref, args.tol)
    print(("ok " if ok else "FAIL ") + msg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
