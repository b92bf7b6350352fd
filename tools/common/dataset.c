/* dataset.c - calibration / evaluation samples from IDX files, .npy files,
 * folders of .npy files and folders of images (see dataset.h).
 *
 * Storage: unsigned-byte sources stay bytes (normalized when a sample is
 * read), float sources are converted to float32 once, images are kept as
 * paths and decoded on read (a calibration set of large images would not
 * fit in memory as floats). Invariant: every stored sample has exactly
 * `per` values, the model's per-sample input size. */
#include "dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/status.h"
#include "core/tensor.h"
#include "idx.h"
#include "npy.h"

#if defined(__has_include)
#if __has_include("image.h")
#include "image.h"
#define ER_DATA_IMAGES 1
#endif
#endif

struct er_data {
    er_dataset ds;
    er_data_opts o;
    size_t per;      /* values per sample */
    size_t n;        /* samples */
    size_t n_total;  /* samples in the source (n is fewer under a limit) */
    uint8_t *u8;     /* n * per bytes, or NULL */
    float *f32;      /* n * per floats, or NULL */
    char **images;   /* n paths, or NULL */
    int32_t *labels; /* n labels, or NULL */
    char **classes;  /* class folder names, or NULL */
    int n_classes;
    int chan_axis;   /* per-sample axis of the channels for per-channel mean/std, -1: none */
    char desc[512];
};

const er_dataset *er_data_view(const er_data *d) { return &d->ds; }
const char *er_data_desc(const er_data *d) { return d->desc; }
const char *er_data_class(const er_data *d, int label) {
    return d->classes && label >= 0 && label < d->n_classes ? d->classes[label] : NULL;
}

int er_data_parse_values(const char *s, double *v, int *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        if (*n == 3) return 0;
        char *end;
        v[*n] = strtod(p, &end);
        if (end == p) return 0;
        (*n)++;
        if (*end == ',') p = end + 1;
        else if (*end == '\0') p = end;
        else return 0;
    }
    return *n > 0;
}

er_status er_data_opts_for_model(const er_model *m, er_data_opts *o) {
    er_dtype dt;
    int rank;
    int64_t dims[ER_MAX_RANK];
    if (er_model_input_count(m) != 1)
        return er_fail(ER_ERR_UNSUPPORTED, "the model has %d inputs; samples are fed to models "
                       "with exactly one input", er_model_input_count(m));
    ER_TRY(er_model_input_info(m, 0, &dt, &rank, dims));
    o->input_name = er_model_input_name(m, 0);
    if (rank < 1) return er_fail(ER_ERR_UNSUPPORTED, "input '%s' has no declared shape", o->input_name);
    int skip = rank >= 2 || dims[0] < 0 ? 1 : 0;
    o->rank = rank - skip;
    for (int k = skip; k < rank; k++) {
        if (dims[k] < 0)
            return er_fail(ER_ERR_UNSUPPORTED, "input '%s': dimension %d is symbolic; only the "
                           "batch dimension may be", o->input_name, k);
        o->dims[k - skip] = dims[k];
    }
    return ER_OK;
}

static const char *shape_str(char *buf, size_t cap, int rank, const int64_t *dims) {
    return er_shape_str(buf, cap, rank, dims);
}

/* Where per-channel mean/std apply: the axis of the sample whose size is
 * the number of values given (channels first, then last). */
static er_status pick_chan_axis(er_data *d) {
    int n = d->o.n_mean > d->o.n_std ? d->o.n_mean : d->o.n_std;
    d->chan_axis = -1;
    if (n <= 1) return ER_OK;
    if (d->o.n_mean > 1 && d->o.n_std > 1 && d->o.n_mean != d->o.n_std)
        return er_fail(ER_ERR_INVALID_ARG, "--mean has %d values, --std %d", d->o.n_mean,
                       d->o.n_std);
    int r = d->o.rank;
    if (r >= 1 && d->o.dims[0] == n) d->chan_axis = 0;
    else if (r >= 1 && d->o.dims[r - 1] == n) d->chan_axis = r - 1;
    else {
        char sb[ER_SHAPE_STR_MAX];
        return er_fail(ER_ERR_INVALID_ARG, "%d mean/std values, but no axis of the input sample "
                       "%s has %d channels", n, shape_str(sb, sizeof sb, r, d->o.dims), n);
    }
    return ER_OK;
}

static void norm_values(const er_data *d, size_t k, double *mean, double *stdv) {
    int c = 0;
    if (d->chan_axis >= 0) {
        size_t inner = 1;
        for (int i = d->chan_axis + 1; i < d->o.rank; i++) inner *= (size_t)d->o.dims[i];
        c = (int)((k / inner) % (size_t)d->o.dims[d->chan_axis]);
    }
    *mean = d->o.n_mean == 0 ? 0 : d->o.mean[d->o.n_mean == 1 ? 0 : c];
    *stdv = d->o.n_std == 0 ? 1 : d->o.std[d->o.n_std == 1 ? 0 : c];
}

#ifdef ER_DATA_IMAGES
static er_status read_image(er_data *d, size_t i, float *dst) {
    er_image img;
    ER_TRY(er_image_load(d->images[i], &img));
    er_image_prep p;
    memset(&p, 0, sizeof p);
    const int64_t *sd = d->o.dims;
    bool chw = d->o.rank == 3 && (sd[0] == 1 || sd[0] == 3);
    p.channels = (int)(chw ? sd[0] : sd[2]);
    p.height = (int)(chw ? sd[1] : sd[0]);
    p.width = (int)(chw ? sd[2] : sd[1]);
    p.nchw = chw;
    p.scale = ER_SCALE_MEAN_STD; /* (x - mean) / std on 0..255 = (x/255 - m) / s */
    for (int c = 0; c < 3; c++) {
        double m = d->o.n_mean == 0 ? 0 : d->o.mean[d->o.n_mean == 1 ? 0 : c % d->o.n_mean];
        double s = d->o.n_std == 0 ? 1 : d->o.std[d->o.n_std == 1 ? 0 : c % d->o.n_std];
        p.mean[c] = (float)(255.0 * m);
        p.std[c] = (float)(255.0 * s);
    }
    er_tensor *t = NULL;
    er_status st = er_image_to_tensor(&img, &p, &t);
    er_image_free(&img);
    if (st != ER_OK) return st;
    if (er_tensor_count(t) != d->per) st = er_fail(ER_ERR_INTERNAL, "%s: resized image has %zu "
                                                   "values, expected %zu", d->images[i],
                                                   er_tensor_count(t), d->per);
    else memcpy(dst, er_tensor_data(t), d->per * sizeof(float));
    er_tensor_free(t);
    return st;
}
#endif

static er_status read_sample(void *ctx, size_t i, float *dst) {
    er_data *d = ctx;
    if (i >= d->n) return er_fail(ER_ERR_INVALID_ARG, "sample %zu of %zu", i, d->n);
    if (d->f32) {
        memcpy(dst, d->f32 + i * d->per, d->per * sizeof(float));
        return ER_OK;
    }
    if (d->u8) {
        const uint8_t *s = d->u8 + i * d->per;
        if (d->o.n_mean == 0 && d->o.n_std == 0) {
            for (size_t k = 0; k < d->per; k++) dst[k] = (float)((double)s[k] / 255.0);
        } else {
            for (size_t k = 0; k < d->per; k++) {
                double m, sd;
                norm_values(d, k, &m, &sd);
                dst[k] = (float)(((double)s[k] / 255.0 - m) / sd);
            }
        }
        return ER_OK;
    }
#ifdef ER_DATA_IMAGES
    if (d->images) return read_image(d, i, dst);
#endif
    return er_fail(ER_ERR_INTERNAL, "data set has no storage");
}

void er_data_free(er_data *d) {
    if (!d) return;
    free(d->u8);
    free(d->f32);
    for (size_t i = 0; d->images && i < d->n; i++) free(d->images[i]);
    free(d->images);
    free(d->labels);
    for (int i = 0; i < d->n_classes; i++) free(d->classes[i]);
    free(d->classes);
    free(d);
}

static size_t cap_of(const er_data *d, size_t n) {
    return d->o.limit && d->o.limit < n ? d->o.limit : n;
}

/* ---- IDX ------------------------------------------------------------------------- */

static er_status load_idx(er_data *d, const char *path) {
    er_idx x;
    ER_TRY(er_idx_read(path, &x));
    char sb[ER_SHAPE_STR_MAX], mb[ER_SHAPE_STR_MAX];
    if (x.rank < 2 || x.dims[0] == 0) {
        er_idx_free(&x);
        return er_fail(ER_ERR_INVALID_ARG, "%s: an IDX file of %s holds no images", path,
                       shape_str(sb, sizeof sb, x.rank, x.dims));
    }
    size_t n = (size_t)x.dims[0], per = x.count / n;
    if (per != d->per) {
        er_idx_free(&x);
        return er_fail(ER_ERR_SHAPE, "%s: an image %s has %zu pixels; the model input '%s' "
                       "takes %zu values per sample %s", path,
                       shape_str(sb, sizeof sb, x.rank - 1, x.dims + 1), per, d->o.input_name,
                       d->per, shape_str(mb, sizeof mb, d->o.rank, d->o.dims));
    }
    d->n = cap_of(d, n);
    d->n_total = n;
    d->u8 = x.data; /* keeps all images; only the first n are used */
    snprintf(d->desc, sizeof d->desc, "%zu of %zu samples (IDX uint8 %s) from %s", d->n, n,
             shape_str(sb, sizeof sb, x.rank - 1, x.dims + 1), path);
    return ER_OK;
}

static er_status load_labels(er_data *d) {
    if (!d->o.labels) return ER_OK;
    er_idx l;
    ER_TRY(er_idx_read(d->o.labels, &l));
    /* an IDX image file must have one label per image; other sources take
     * the first labels (e.g. a .npy of the first 500 test images) */
    size_t have = l.rank == 1 ? (size_t)l.dims[0] : 0;
    if (l.rank != 1 || (d->n_total ? have != d->n_total : have < d->n)) {
        er_idx_free(&l);
        return er_fail(ER_ERR_SHAPE, "%s holds %zu labels, the samples number %zu", d->o.labels,
                       have, d->n_total ? d->n_total : d->n);
    }
    d->labels = malloc(sizeof(int32_t) * (d->n ? d->n : 1));
    if (!d->labels) {
        er_idx_free(&l);
        return er_fail(ER_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n; i++) d->labels[i] = l.data[i];
    er_idx_free(&l);
    return ER_OK;
}

/* ---- .npy -------------------------------------------------------------------------- */

/* Appends the samples of one .npy file (a sample or a batch of them). */
static er_status add_npy(er_data *d, const char *path, size_t *cap) {
    er_tensor *t;
    ER_TRY(er_npy_read(path, &t));
    er_status st = ER_OK;
    size_t count = er_tensor_count(t), rows;
    int rank = er_tensor_rank(t);
    char sb[ER_SHAPE_STR_MAX], mb[ER_SHAPE_STR_MAX];
    int64_t dims[ER_MAX_RANK];
    for (int k = 0; k < rank; k++) dims[k] = er_tensor_dim(t, k);
    er_dtype dt = er_tensor_dtype(t);
    if (count == d->per) { /* one sample, with or without a batch dimension of 1 */
        rows = 1;
    } else if (rank >= 1 && count == (size_t)dims[0] * d->per && dims[0] > 0) {
        rows = (size_t)dims[0];
    } else {
        st = er_fail(ER_ERR_SHAPE, "%s: an array of %s (%zu values) is neither one sample nor "
                     "a batch of samples for the model input '%s' (%zu values per sample %s)",
                     path, shape_str(sb, sizeof sb, rank, dims), count, d->o.input_name, d->per,
                     shape_str(mb, sizeof mb, d->o.rank, d->o.dims));
        goto done;
    }
    if (dt == ER_STRING || dt == ER_BOOL || !er_dtype_supported(dt)) {
        st = er_fail(ER_ERR_UNSUPPORTED, "%s: %s samples cannot be fed to a float model", path,
                     er_dtype_name(dt));
        goto done;
    }
    if (d->o.limit && d->n + rows > d->o.limit) rows = d->o.limit - d->n;
    if (d->n + rows > *cap) {
        size_t nc = (*cap ? *cap * 2 : 64);
        while (nc < d->n + rows) nc *= 2;
        float *f = realloc(d->f32, nc * d->per * sizeof(float));
        if (!f) {
            st = er_fail(ER_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        d->f32 = f;
        *cap = nc;
    }
    float *dst = d->f32 + d->n * d->per;
    const void *src = er_tensor_data(t);
    for (size_t k = 0; k < rows * d->per; k++) {
        if (dt == ER_U8) {
            double m, s;
            norm_values(d, k % d->per, &m, &s);
            dst[k] = (float)((er_load_f64(src, dt, k) / 255.0 - m) / s);
        } else {
            dst[k] = (float)er_load_f64(src, dt, k);
        }
    }
    d->n += rows;
done:
    er_tensor_free(t);
    return st;
}

/* ---- folders ---------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int is_image_name(const char *s) {
    return ends_with(s, ".png") || ends_with(s, ".jpg") || ends_with(s, ".jpeg") ||
           ends_with(s, ".ppm") || ends_with(s, ".pgm");
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (no hidden entries); *n_out entries; free each + array. */
static er_status list_dir(const char *dir, char ***out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    DIR *dp = opendir(dir);
    if (!dp) return er_fail(ER_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    er_status st = ER_OK;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                st = er_fail(ER_ERR_NOMEM, "out of memory listing %s", dir);
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name))) {
            st = er_fail(ER_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        n++;
    }
    closedir(dp);
    if (st != ER_OK) {
        for (size_t i = 0; i < n; i++) free(v[i]);
        free(v);
        return st;
    }
    if (n) qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    *n_out = n;
    return ER_OK;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static char *join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static er_status add_image(er_data *d, const char *path, int label, size_t *cap) {
    if (d->o.limit && d->n >= d->o.limit) return ER_OK;
    if (d->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **ni = realloc(d->images, nc * sizeof *ni);
        if (!ni) return er_fail(ER_ERR_NOMEM, "out of memory");
        d->images = ni;
        int32_t *nl = realloc(d->labels, nc * sizeof *nl);
        if (!nl) return er_fail(ER_ERR_NOMEM, "out of memory");
        d->labels = nl;
        *cap = nc;
    }
    if (!(d->images[d->n] = strdup(path))) return er_fail(ER_ERR_NOMEM, "out of memory");
    d->labels[d->n++] = label;
    return ER_OK;
}

static er_status image_geometry(const er_data *d, const char *dir) {
#ifdef ER_DATA_IMAGES
    const int64_t *s = d->o.dims;
    if (d->o.rank == 3 && ((s[0] == 1 || s[0] == 3) || (s[2] == 1 || s[2] == 3))) return ER_OK;
    char sb[ER_SHAPE_STR_MAX];
    return er_fail(ER_ERR_SHAPE, "%s: images need a model input sample of [C,H,W] or [H,W,C] "
                   "with C = 1 or 3, not %s", dir, shape_str(sb, sizeof sb, d->o.rank, s));
#else
    return er_fail(ER_ERR_UNSUPPORTED, "%s: this build of edgerun cannot read image files "
                   "(no image loader); convert the images to .npy or IDX", dir);
#endif
}

static er_status load_folder(er_data *d, const char *dir) {
    char **names;
    size_t n;
    ER_TRY(list_dir(dir, &names, &n));
    size_t n_npy = 0, n_img = 0, n_dir = 0, cap = 0;
    er_status st = ER_OK;
    char **paths = calloc(n ? n : 1, sizeof *paths);
    if (!paths) st = er_fail(ER_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && st == ER_OK; i++) {
        if (!(paths[i] = join(dir, names[i]))) st = er_fail(ER_ERR_NOMEM, "out of memory");
        else if (is_dir(paths[i])) n_dir++;
        else if (ends_with(names[i], ".npy")) n_npy++;
        else if (is_image_name(names[i])) n_img++;
    }
    if (st == ER_OK && n_npy + n_img + n_dir == 0)
        st = er_fail(ER_ERR_INVALID_ARG, "%s: the folder holds no .npy files, images or class "
                     "folders", dir);
    if (st == ER_OK && ((n_npy > 0) + (n_img > 0) + (n_dir > 0)) > 1)
        st = er_fail(ER_ERR_INVALID_ARG, "%s: the folder mixes %zu .npy files, %zu images and "
                     "%zu folders; use one kind", dir, n_npy, n_img, n_dir);
    if (st == ER_OK && n_npy) {
        for (size_t i = 0; i < n && st == ER_OK && !(d->o.limit && d->n >= d->o.limit); i++)
            if (ends_with(names[i], ".npy") && !is_dir(paths[i])) st = add_npy(d, paths[i], &cap);
        snprintf(d->desc, sizeof d->desc, "%zu samples from %zu .npy files in %s", d->n, n_npy,
                 dir);
    } else if (st == ER_OK && n_img) {
        st = image_geometry(d, dir);
        for (size_t i = 0; i < n && st == ER_OK; i++)
            if (is_image_name(names[i])) st = add_image(d, paths[i], -1, &cap);
        free(d->labels);
        d->labels = NULL;
        snprintf(d->desc, sizeof d->desc, "%zu of %zu images in %s", d->n, n_img, dir);
    } else if (st == ER_OK) { /* class folders */
        st = image_geometry(d, dir);
        if (st == ER_OK && !(d->classes = calloc(n_dir, sizeof *d->classes)))
            st = er_fail(ER_ERR_NOMEM, "out of memory");
        /* with a limit, take images from every class in turn so a prefix of
         * the set is balanced, not the first class only */
        char ***lists = st == ER_OK ? calloc(n_dir, sizeof *lists) : NULL;
        size_t *counts = st == ER_OK ? calloc(n_dir, sizeof *counts) : NULL;
        if (st == ER_OK && (!lists || !counts)) st = er_fail(ER_ERR_NOMEM, "out of memory");
        size_t total = 0, maxc = 0;
        for (size_t i = 0; i < n && st == ER_OK; i++) {
            if (!is_dir(paths[i])) continue;
            int c = d->n_classes;
            if (!(d->classes[c] = strdup(names[i]))) {
                st = er_fail(ER_ERR_NOMEM, "out of memory");
                break;
            }
            d->n_classes++;
            char **sub;
            size_t ns;
            if ((st = list_dir(paths[i], &sub, &ns)) != ER_OK) break;
            size_t keep = 0;
            for (size_t j = 0; j < ns; j++) {
                if (is_image_name(sub[j])) {
                    char *full = join(paths[i], sub[j]);
                    free(sub[j]);
                    sub[keep++] = full;
                    if (!full) st = er_fail(ER_ERR_NOMEM, "out of memory");
                } else {
                    free(sub[j]);
                }
            }
            lists[c] = sub;
            counts[c] = keep;
            total += keep;
            if (keep > maxc) maxc = keep;
        }
        for (size_t j = 0; j < maxc && st == ER_OK; j++)
            for (int c = 0; c < d->n_classes && st == ER_OK; c++)
                if (j < counts[c] && lists[c][j]) st = add_image(d, lists[c][j], c, &cap);
        for (int c = 0; lists && c < d->n_classes; c++) free_list(lists[c], counts[c]);
        free(lists);
        free(counts);
        if (st == ER_OK && total == 0)
            st = er_fail(ER_ERR_INVALID_ARG, "%s: the class folders hold no images", dir);
        snprintf(d->desc, sizeof d->desc, "%zu of %zu images in %d class folders in %s", d->n,
                 total, d->n_classes, dir);
    }
    free_list(names, n);
    if (paths)
        for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    return st;
}

/* ---- entry --------------------------------------------------------------------------- */

er_status er_data_load(const char *path, const er_data_opts *o, er_data **out) {
    *out = NULL;
    er_data *d = calloc(1, sizeof *d);
    if (!d) return er_fail(ER_ERR_NOMEM, "out of memory");
    d->o = *o;
    d->per = 1;
    for (int k = 0; k < o->rank; k++) d->per *= (size_t)o->dims[k];
    if (!d->o.input_name) d->o.input_name = "input";
    er_status st = pick_chan_axis(d);
    if (st == ER_OK) {
        if (is_dir(path)) {
            st = load_folder(d, path);
        } else {
            FILE *f = fopen(path, "rb");
            unsigned char m[6] = {0};
            size_t got = 0;
            if (!f) {
                st = er_fail(ER_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
            } else {
                got = fread(m, 1, sizeof m, f);
                fclose(f);
            }
            if (st != ER_OK) {
            } else if (got >= 6 && memcmp(m, "\x93NUMPY", 6) == 0) {
                size_t cap = 0;
                st = add_npy(d, path, &cap);
                snprintf(d->desc, sizeof d->desc, "%zu samples from %s", d->n, path);
            } else if (got >= 3 && ((m[0] == 0x1f && m[1] == 0x8b) ||
                                    (m[0] == 0 && m[1] == 0 && m[2] == 0x08))) {
                st = load_idx(d, path);
            } else if (got == 0) {
                st = er_fail(ER_ERR_INVALID_ARG, "%s: the file is empty", path);
            } else {
                st = er_fail(ER_ERR_INVALID_ARG, "%s: not an IDX file, a .npy file or a folder "
                             "(first bytes %02x %02x %02x %02x)", path, m[0], m[1], m[2], m[3]);
            }
        }
    }
    if (st == ER_OK && d->n == 0)
        st = er_fail(ER_ERR_INVALID_ARG, "%s: no samples", path);
    if (st == ER_OK && o->labels) {
        if (d->labels) st = er_fail(ER_ERR_INVALID_ARG, "%s: labels come from the class folders; "
                                    "do not give a label file too", path);
        else st = load_labels(d);
    }
    if (st != ER_OK) {
        er_data_free(d);
        return st;
    }
    d->ds.n_samples = d->n;
    d->ds.sample_floats = d->per;
    d->ds.read = read_sample;
    d->ds.ctx = d;
    d->ds.labels = d->labels;
    *out = d;
    return ER_OK;
}
