#!/usr/bin/python3
"""Decode MediaPipe BlazeFace (face_detection_short_range.tflite) outputs into
face boxes and keypoints.

    edgerun run face_detection_short_range.tflite --image photo.png --scale -1,1 -o out
    python3 examples/blazeface_decode.py out [--image photo.png --draw faces.png]

The model sees the whole photo resized to 128x128 (edgerun run --image), so
the normalized boxes map straight back onto the photo. Decoding follows
MediaPipe's face_detection_short_range graph: 896 SSD anchors (strides 8, 16,
16, 16; two anchors per cell and layer; fixed size 1x1, centres at cell
centres), box = anchor centre + raw/128 offsets, score = sigmoid(raw score),
threshold 0.5, then weighted non-maximum suppression at IoU 0.3. Each face
has six keypoints: right eye, left eye, nose tip, mouth, right ear tragion,
left ear tragion (as the person sees them).
"""
import argparse
import os

import numpy as np

INPUT = 128
STRIDES = [8, 16, 16, 16]


def anchors():
    out = []
    layer = 0
    while layer < len(STRIDES):
        stride = STRIDES[layer]
        n = 0
        while layer < len(STRIDES) and STRIDES[layer] == stride:  # layers sharing a stride
            n += 2
            layer += 1
        side = INPUT // stride
        for y in range(side):
            for x in range(side):
                out.extend([((x + 0.5) / side, (y + 0.5) / side)] * n)
    return np.array(out, dtype=np.float64)  # [896, 2] centres, size 1x1


def decode(reg, cls, thresh=0.5):
    a = anchors()
    reg = reg.reshape(-1, 16).astype(np.float64)
    score = 1 / (1 + np.exp(-np.clip(cls.reshape(-1).astype(np.float64), -100, 100)))
    keep = score >= thresh
    cx = reg[:, 0] / INPUT + a[:, 0]
    cy = reg[:, 1] / INPUT + a[:, 1]
    w, h = reg[:, 2] / INPUT, reg[:, 3] / INPUT
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    kps = np.stack([reg[:, 4::2] / INPUT + a[:, :1], reg[:, 5::2] / INPUT + a[:, 1:]], 2)
    return boxes[keep], kps[keep], score[keep]


def iou(b, bs):
    x0 = np.maximum(b[0], bs[:, 0])
    y0 = np.maximum(b[1], bs[:, 1])
    x1 = np.minimum(b[2], bs[:, 2])
    y1 = np.minimum(b[3], bs[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda q: (q[..., 2] - q[..., 0]) * (q[..., 3] - q[..., 1])
    return inter / np.maximum(area(b) + area(bs) - inter, 1e-9)


def weighted_nms(boxes, kps, scores, thresh=0.3):
    order = np.argsort(-scores)
    boxes, kps, scores = boxes[order], kps[order], scores[order]
    faces = []
    while len(scores):
        overlap = iou(boxes[0], boxes) >= thresh
        wts = scores[overlap][:, None]
        faces.append(((boxes[overlap] * wts).sum(0) / wts.sum(),
                      (kps[overlap] * wts[:, :, None]).sum(0) / wts.sum(), float(scores[0])))
        boxes, kps, scores = boxes[~overlap], kps[~overlap], scores[~overlap]
    return faces


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="edgerun run -o directory (regressors.npy, classificators.npy)")
    ap.add_argument("--image", help="the photo, to report pixels and draw on")
    ap.add_argument("--draw", help="write the photo with boxes to this PNG (needs PIL)")
    ap.add_argument("--threshold", type=float, default=0.5)
    a = ap.parse_args()
    reg = np.load(os.path.join(a.outdir, "regressors.npy"))
    cls = np.load(os.path.join(a.outdir, "classificators.npy"))
    faces = weighted_nms(*decode(reg, cls, a.threshold))
    size = (1, 1)
    img = None
    if a.image:
        from PIL import Image, ImageDraw
        img = Image.open(a.image).convert("RGB")
        size = img.size
    print("%d face(s)" % len(faces))
    for box, kp, score in faces:
        b = box * np.array([size[0], size[1], size[0], size[1]])
        print("score %.3f  box x0 %.1f y0 %.1f x1 %.1f y1 %.1f" % (score, *b))
        if img is not None and a.draw:
            d = ImageDraw.Draw(img)
            d.rectangle([float(v) for v in b], outline=(0, 255, 0), width=3)
            for x, y in kp:
                d.ellipse([x * size[0] - 3, y * size[1] - 3, x * size[0] + 3, y * size[1] + 3],
                          fill=(255, 0, 0))
    if img is not None and a.draw:
        img.save(a.draw)
        print("wrote " + a.draw)


if __name__ == "__main__":
    main()
