/* image.c - image decoding and preprocessing for the CLI (see image.h).
 *
 * PNG goes through libpng's simplified API, JPEG through libjpeg with an
 * error manager that longjmps back here (libjpeg's default exits the
 * process). Both are optional (ER_HAVE_PNG / ER_HAVE_JPEG from CMake's
 * find_package); binary PPM/PGM needs no library. Sizes from files are
 * checked before allocating (at most 2^28 pixels). */
#include "image.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/tensor.h"

#ifdef ER_HAVE_PNG
#include <png.h>
#endif
#ifdef ER_HAVE_JPEG
#include <jpeglib.h>
#endif

#define MAX_PIXELS ((size_t)1 << 28)

void er_image_free(er_image *img) {
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
    img->width = img->height = 0;
}

static er_status alloc_rgb(er_image *img, const char *path, long w, long h) {
    if (w < 1 || h < 1 || (size_t)w * (size_t)h > MAX_PIXELS)
        return er_fail(ER_ERR_INVALID_ARG, "%s: image size %ldx%ld is not supported", path, w, h);
    img->width = (int)w;
    img->height = (int)h;
    img->rgb = malloc((size_t)w * (size_t)h * 3);
    if (!img->rgb) return er_fail(ER_ERR_NOMEM, "%s: out of memory for a %ldx%ld image", path, w, h);
    return ER_OK;
}

/* ---- PPM / PGM ------------------------------------------------------------ */

static int pnm_int(FILE *f, long *v) {
    int ch;
    do { /* whitespace and # comments */
        ch = fgetc(f);
        if (ch == '#')
            while (ch != '\n' && ch != EOF) ch = fgetc(f);
    } while (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n');
    if (ch < '0' || ch > '9') return 0;
    *v = 0;
    while (ch >= '0' && ch <= '9') {
        if (*v > 100000000) return 0;
        *v = *v * 10 + (ch - '0');
        ch = fgetc(f);
    }
    return 1; /* the single whitespace after the number was consumed */
}

static er_status load_pnm(FILE *f, const char *path, int gray, er_image *img) {
    long w, h, maxval;
    if (!pnm_int(f, &w) || !pnm_int(f, &h) || !pnm_int(f, &maxval) || maxval != 255)
        return er_fail(ER_ERR_INVALID_ARG, "%s: bad PPM/PGM header (only 8-bit P6/P5 files)", path);
    ER_TRY(alloc_rgb(img, path, w, h));
    size_t n = (size_t)w * (size_t)h;
    if (gray) {
        if (fread(img->rgb, 1, n, f) != n) goto short_read;
        for (size_t i = n; i-- > 0;) img->rgb[3 * i] = img->rgb[3 * i + 1] = img->rgb[3 * i + 2] = img->rgb[i];
    } else if (fread(img->rgb, 1, 3 * n, f) != 3 * n) {
        goto short_read;
    }
    return ER_OK;
short_read:
    er_image_free(img);
    return er_fail(ER_ERR_IO, "%s: the pixel data is truncated", path);
}

/* ---- PNG ------------------------------------------------------------------- */

static er_status load_png(const char *path, er_image *img) {
#ifdef ER_HAVE_PNG
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path))
        return er_fail(ER_ERR_INVALID_ARG, "%s: %s", path, pi.message);
    pi.format = PNG_FORMAT_RGB;
    er_status st = alloc_rgb(img, path, (long)pi.width, (long)pi.height);
    if (st != ER_OK) {
        png_image_free(&pi);
        return st;
    }
    if (!png_image_finish_read(&pi, NULL, img->rgb, 0, NULL)) {
        er_image_free(img);
        return er_fail(ER_ERR_INVALID_ARG, "%s: %s", path, pi.message);
    }
    return ER_OK;
#else
    (void)img;
    return er_fail(ER_ERR_UNSUPPORTED, "%s: this edgerun was built without libpng (install "
                   "libpng-dev and rebuild), or convert the image to PPM", path);
#endif
}

/* ---- JPEG ------------------------------------------------------------------ */

#ifdef ER_HAVE_JPEG
typedef struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jerr;

static void jpeg_fail(j_common_ptr cinfo) {
    jerr *e = (jerr *)cinfo->err;
    e->mgr.format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}
#endif

static er_status load_jpeg(FILE *f, const char *path, er_image *img) {
#ifdef ER_HAVE_JPEG
    struct jpeg_decompress_struct cinfo;
    jerr err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        er_image_free(img);
        return er_fail(ER_ERR_INVALID_ARG, "%s: %s", path, err.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, f);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    er_status ast = alloc_rgb(img, path, (long)cinfo.output_width, (long)cinfo.output_height);
    if (ast != ER_OK) {
        jpeg_destroy_decompress(&cinfo);
        return ast;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = img->rgb + (size_t)cinfo.output_scanline * (size_t)img->width * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return ER_OK;
#else
    (void)f;
    (void)img;
    return er_fail(ER_ERR_UNSUPPORTED, "%s: this edgerun was built without libjpeg (install "
                   "libjpeg-dev and rebuild), or convert the image to PPM", path);
#endif
}

er_status er_image_load(const char *path, er_image *out) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return er_fail(ER_ERR_IO, "%s: cannot open", path);
    unsigned char magic[8] = {0};
    size_t n = fread(magic, 1, sizeof magic, f);
    er_status st;
    if (n >= 8 && memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0) {
        fclose(f);
        return load_png(path, out);
    }
    if (n >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
        rewind(f);
        st = load_jpeg(f, path, out);
    } else if (n >= 2 && magic[0] == 'P' && (magic[1] == '6' || magic[1] == '5')) {
        fseek(f, 2, SEEK_SET);
        st = load_pnm(f, path, magic[1] == '5', out);
    } else {
        st = er_fail(ER_ERR_INVALID_ARG, "%s: not a PNG, JPEG or binary PPM/PGM image", path);
    }
    fclose(f);
    return st;
}

/* ---- preprocessing ------------------------------------------------------------ */

/* Half-pixel-centre source coordinate: the output pixel centre mapped into
 * the input, clamped to [0, in - 1]. */
static float src_coord(int o, int in, int out) {
    float x = ((float)o + 0.5f) * (float)in / (float)out - 0.5f;
    return x < 0 ? 0 : x > (float)(in - 1) ? (float)(in - 1) : x;
}

static void sample(const er_image *img, const er_image_prep *p, int oy, int ox, float rgb[3]) {
    if (p->nearest) {
        int y = (int)(((float)oy + 0.5f) * (float)img->height / (float)p->height);
        int x = (int)(((float)ox + 0.5f) * (float)img->width / (float)p->width);
        if (y >= img->height) y = img->height - 1;
        if (x >= img->width) x = img->width - 1;
        const uint8_t *px = img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
        for (int c = 0; c < 3; c++) rgb[c] = px[c];
        return;
    }
    float fy = src_coord(oy, img->height, p->height), fx = src_coord(ox, img->width, p->width);
    int y0 = (int)fy, x0 = (int)fx;
    int y1 = y0 + 1 < img->height ? y0 + 1 : y0, x1 = x0 + 1 < img->width ? x0 + 1 : x0;
    float dy = fy - (float)y0, dx = fx - (float)x0;
    const uint8_t *a = img->rgb + ((size_t)y0 * (size_t)img->width + (size_t)x0) * 3;
    const uint8_t *b = img->rgb + ((size_t)y0 * (size_t)img->width + (size_t)x1) * 3;
    const uint8_t *c = img->rgb + ((size_t)y1 * (size_t)img->width + (size_t)x0) * 3;
    const uint8_t *d = img->rgb + ((size_t)y1 * (size_t)img->width + (size_t)x1) * 3;
    for (int k = 0; k < 3; k++)
        rgb[k] = (1 - dy) * ((1 - dx) * a[k] + dx * b[k]) + dy * ((1 - dx) * c[k] + dx * d[k]);
}

er_status er_image_to_tensor(const er_image *img, const er_image_prep *p, er_tensor **out) {
    *out = NULL;
    int C = p->channels;
    if (p->width < 1 || p->height < 1 || (C != 1 && C != 3) ||
        (size_t)p->width * (size_t)p->height > MAX_PIXELS)
        return er_fail(ER_ERR_INVALID_ARG, "image target %dx%dx%d is not supported", p->width,
                       p->height, C);
    int64_t dims[4] = {1, p->height, p->width, C};
    if (p->nchw) {
        dims[1] = C;
        dims[2] = p->height;
        dims[3] = p->width;
    }
    ER_TRY(er_tensor_create(ER_F32, 4, dims, out));
    float *y = er_tensor_data(*out);
    size_t plane = (size_t)p->width * (size_t)p->height;
    for (int oy = 0; oy < p->height; oy++)
        for (int ox = 0; ox < p->width; ox++) {
            float px[3], v[3];
            sample(img, p, oy, ox, px);
            if (p->bgr) {
                float t = px[0];
                px[0] = px[2];
                px[2] = t;
            }
            if (C == 1) px[0] = 0.299f * px[p->bgr ? 2 : 0] + 0.587f * px[1] + 0.114f * px[p->bgr ? 0 : 2];
            for (int c = 0; c < C; c++) {
                switch (p->scale) {
                case ER_SCALE_UNIT: v[c] = px[c] / 255.0f; break;
                case ER_SCALE_SIGNED: v[c] = px[c] / 127.5f - 1.0f; break;
                case ER_SCALE_RAW: v[c] = px[c]; break;
                default: v[c] = (px[c] - p->mean[c]) / p->std[c]; break;
                }
                size_t at = (size_t)oy * (size_t)p->width + (size_t)ox;
                y[p->nchw ? (size_t)c * plane + at : at * (size_t)C + (size_t)c] = v[c];
            }
        }
    return ER_OK;
}

static int parse_floats(const char *s, const char *end, float *v) {
    int n = 0;
    while (s < end && n < 3) {
        char *e;
        double x = strtod(s, &e);
        if (e == s || e > end) return 0;
        v[n++] = (float)x;
        s = e;
        if (s < end && *s == ',') s++;
        else break;
    }
    if (s != end) return 0;
    if (n == 1) v[1] = v[2] = v[0];
    return n == 1 || n == 3;
}

int er_image_parse_scale(const char *s, er_image_prep *p) {
    if (strcmp(s, "0,1") == 0) p->scale = ER_SCALE_UNIT;
    else if (strcmp(s, "-1,1") == 0) p->scale = ER_SCALE_SIGNED;
    else if (strcmp(s, "0,255") == 0) p->scale = ER_SCALE_RAW;
    else {
        const char *slash = strchr(s, '/');
        if (!slash || !parse_floats(s, slash, p->mean) ||
            !parse_floats(slash + 1, slash + strlen(slash), p->std))
            return 0;
        for (int c = 0; c < 3; c++)
            if (!(p->std[c] != 0) || !isfinite(p->std[c]) || !isfinite(p->mean[c])) return 0;
        p->scale = ER_SCALE_MEAN_STD;
    }
    return 1;
}
