/* image.h - image files -> model input tensors, for the CLI (`edgerun run
 * --image`). Not part of the library.
 *
 * Reads PNG (libpng) and JPEG (libjpeg) when the build found them, and
 * binary PPM/PGM (P6/P5) always. Every image becomes 8-bit RGB. The
 * preprocessing is the usual one for vision models:
 *   resize to the model's input size (nearest, or bilinear with half-pixel
 *   centers), scale the 0..255 values (x/255, x/127.5 - 1, raw, or
 *   (x - mean) / std per channel), optional RGB -> BGR, and lay the result
 *   out as NHWC or NCHW float32. Grayscale inputs (C = 1) use the luma
 *   0.299 R + 0.587 G + 0.114 B. */
#ifndef ER_TOOLS_IMAGE_H
#define ER_TOOLS_IMAGE_H

#include <stdint.h>

#include "edgerun.h"

typedef struct er_image {
    int width, height; /* 3 channels, RGB, row-major */
    uint8_t *rgb;
} er_image;

/* Loads an image file (format from its content); the caller frees it with
 * er_image_free. Errors (unreadable, unsupported or corrupt file, a format
 * this build has no decoder for) are statuses with er_last_error() set. */
er_status er_image_load(const char *path, er_image *out);
void er_image_free(er_image *img);

typedef enum er_image_scale {
    ER_SCALE_UNIT = 0,   /* x / 255          -> [0, 1]  */
    ER_SCALE_SIGNED,     /* x / 127.5 - 1    -> [-1, 1] */
    ER_SCALE_RAW,        /* x                -> [0, 255] */
    ER_SCALE_MEAN_STD    /* (x - mean) / std, x in 0..255 */
} er_image_scale;

typedef struct er_image_prep {
    int width, height;       /* target size */
    int nearest;             /* 1: nearest neighbour, 0: bilinear */
    er_image_scale scale;
    float mean[3], std[3];   /* ER_SCALE_MEAN_STD */
    int bgr;                 /* 1: channel order B, G, R */
    int nchw;                /* 1: [1, C, H, W], 0: [1, H, W, C] */
    int channels;            /* 3 (color) or 1 (luma) */
} er_image_prep;

/* Resizes and converts img into a new float32 tensor of shape
 * [1, H, W, C] or [1, C, H, W]; the caller frees it. */
er_status er_image_to_tensor(const er_image *img, const er_image_prep *p, er_tensor **out);

/* Parses "--scale" values: "0,1", "-1,1", "0,255" or "MEAN/STD" where
 * MEAN and STD are one or three comma-separated numbers. 0 on error. */
int er_image_parse_scale(const char *s, er_image_prep *p);

#endif
