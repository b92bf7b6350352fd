/* test_quantize_data.c - bad calibration / evaluation data for `edgerun
 * quantize` and `edgerun eval` (tools/common/dataset.c, er_calibrate): wrong
 * shapes, empty and mixed folders, corrupt and truncated files, label counts,
 * a failing reader mid-calibration. Each ends in a clear status whose
 * message names the file and what does not fit; never a crash (this tier
 * runs under ASan+UBSan). */
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "core/tensor.h"
#include "dataset.h"
#include "npy.h"
#include "passes/calibrate.h"
#include "runtime/model.h"
#include "support/builder.h"
#include "test.h"

static char g_dir[64];

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void remove_tmpdir(void) {
    if (g_dir[0]) nftw(g_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch folder, removed at exit. */
static const char *tmpdir(void) {
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof g_dir, "/tmp/er_qdata_XXXXXX");
        if (!mkdtemp(g_dir)) return NULL;
        atexit(remove_tmpdir);
    }
    return g_dir;
}

static char *path_in(const char *name) {
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir(), name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void write_npy(const char *path, er_dtype dt, int rank, const int64_t *dims) {
    er_tensor *t;
    if (er_tensor_create(dt, rank, dims, &t) != ER_OK) return;
    er_npy_write(path, t);
    er_tensor_free(t);
}

/* IDX unsigned-byte file with the given dims and `have` data bytes. */
static void write_idx(const char *path, int rank, const uint32_t *dims, size_t have) {
    size_t n = 4 + 4 * (size_t)rank + have;
    uint8_t *b = calloc(1, n);
    b[2] = 0x08;
    b[3] = (uint8_t)rank;
    for (int i = 0; i < rank; i++) {
        b[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        b[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        b[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        b[7 + 4 * i] = (uint8_t)dims[i];
    }
    write_bytes(path, b, n);
    free(b);
}

/* Options for a model input of [N, 1, 28, 28]. */
static er_data_opts opts28(void) {
    er_data_opts o;
    memset(&o, 0, sizeof o);
    o.rank = 3;
    o.dims[0] = 1;
    o.dims[1] = 28;
    o.dims[2] = 28;
    o.input_name = "input";
    return o;
}

static er_status load(const char *path, const er_data_opts *o) {
    er_data *d = NULL;
    er_status st = er_data_load(path, o, &d);
    if (st == ER_OK) er_data_free(d);
    else if (er_last_error()[0] == '\0') st = (er_status)-1; /* no message: a bug */
    return st;
}

TEST(qdata_missing_empty_garbage) {
    er_data_opts o = opts28();
    CHECK(tmpdir());
    CHECK_STATUS(load(path_in("nope.npy"), &o), ER_ERR_IO);
    CHECK_ERROR_HAS("nope.npy: cannot open");
    write_bytes(path_in("empty.bin"), "", 0);
    CHECK_STATUS(load(path_in("empty.bin"), &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("the file is empty");
    write_bytes(path_in("junk.bin"), "hello world", 11);
    CHECK_STATUS(load(path_in("junk.bin"), &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("not an IDX file, a .npy file or a folder");
    /* gzip magic, then garbage */
    write_bytes(path_in("bad.gz"), "\x1f\x8b\x08\x00garbage-garbage", 19);
    er_status st = load(path_in("bad.gz"), &o);
    CHECK_MSG(st == ER_ERR_IO || st == ER_ERR_INVALID_ARG || st == ER_ERR_UNSUPPORTED,
              "status %d: %s", st, er_last_error());
    CHECK_ERROR_HAS("bad.gz");
}

TEST(qdata_npy_shapes_and_corruption) {
    er_data_opts o = opts28();
    CHECK(tmpdir());
    int64_t ok[4] = {5, 1, 28, 28}, one[3] = {1, 28, 28}, bad[4] = {2, 3, 32, 32};
    write_npy(path_in("ok.npy"), ER_F32, 4, ok);
    er_data *d = NULL;
    CHECK_STATUS(er_data_load(path_in("ok.npy"), &o, &d), ER_OK);
    CHECK_EQ_INT(er_data_view(d)->n_samples, 5);
    er_data_free(d);
    write_npy(path_in("one.npy"), ER_F32, 3, one);
    CHECK_STATUS(er_data_load(path_in("one.npy"), &o, &d), ER_OK);
    CHECK_EQ_INT(er_data_view(d)->n_samples, 1);
    er_data_free(d);
    write_npy(path_in("bad.npy"), ER_F32, 4, bad);
    CHECK_STATUS(load(path_in("bad.npy"), &o), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("bad.npy: an array of [2,3,32,32]");
    CHECK_ERROR_HAS("'input' (784 values per sample [1,28,28])");
    write_npy(path_in("bool.npy"), ER_BOOL, 3, one);
    CHECK_STATUS(load(path_in("bool.npy"), &o), ER_ERR_UNSUPPORTED);
    /* truncated data and a broken header */
    FILE *f = fopen(path_in("ok.npy"), "rb");
    CHECK(f);
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_bytes(path_in("trunc.npy"), buf, n);
    CHECK_STATUS(load(path_in("trunc.npy"), &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("trunc.npy: .npy data has");
    buf[8] = 0xff; /* header length past the end */
    buf[9] = 0xff;
    write_bytes(path_in("hdr.npy"), buf, 64);
    CHECK_STATUS(load(path_in("hdr.npy"), &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("hdr.npy");
}

TEST(qdata_folders) {
    er_data_opts o = opts28();
    CHECK(tmpdir());
    char *empty = path_in("emptydir");
    CHECK(mkdir(empty, 0700) == 0);
    CHECK_STATUS(load(empty, &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("holds no .npy files, images or class folders");
    char *mixed = path_in("mixed");
    CHECK(mkdir(mixed, 0700) == 0);
    char p[300];
    int64_t one[3] = {1, 28, 28}, two[4] = {2, 1, 28, 28};
    snprintf(p, sizeof p, "%s/a.npy", mixed);
    write_npy(p, ER_F32, 3, one);
    snprintf(p, sizeof p, "%s/b.png", mixed);
    write_bytes(p, "\x89PNG", 4);
    CHECK_STATUS(load(mixed, &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("mixes 1 .npy files, 1 images");
    /* a folder of .npy files: samples and batches, in name order; a corrupt
     * one names itself */
    char *good = path_in("good");
    CHECK(mkdir(good, 0700) == 0);
    snprintf(p, sizeof p, "%s/0.npy", good);
    write_npy(p, ER_F32, 3, one);
    snprintf(p, sizeof p, "%s/1.npy", good);
    write_npy(p, ER_U8, 4, two);
    er_data *d = NULL;
    CHECK_STATUS(er_data_load(good, &o, &d), ER_OK);
    CHECK_EQ_INT(er_data_view(d)->n_samples, 3);
    er_data_free(d);
    o.limit = 2;
    CHECK_STATUS(er_data_load(good, &o, &d), ER_OK);
    CHECK_EQ_INT(er_data_view(d)->n_samples, 2);
    er_data_free(d);
    o.limit = 0;
    snprintf(p, sizeof p, "%s/2.npy", good);
    write_bytes(p, "\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'", 26);
    CHECK(load(good, &o) != ER_OK);
    CHECK_ERROR_HAS("/2.npy");
    /* class folders without images */
    char *classes = path_in("classes");
    CHECK(mkdir(classes, 0700) == 0);
    snprintf(p, sizeof p, "%s/cat", classes);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/cat/readme.txt", classes);
    write_bytes(p, "x", 1);
    er_status st = load(classes, &o);
    CHECK_MSG(st == ER_ERR_INVALID_ARG || st == ER_ERR_UNSUPPORTED || st == ER_ERR_SHAPE,
              "status %d: %s", st, er_last_error());
    CHECK_ERROR_HAS("classes");
}

TEST(qdata_idx_and_labels) {
    er_data_opts o = opts28();
    CHECK(tmpdir());
    uint32_t d3[3] = {10, 28, 28}, d32[3] = {10, 32, 32}, l1[1] = {10}, l9[1] = {9};
    write_idx(path_in("img.idx"), 3, d3, 10 * 784);
    write_idx(path_in("short.idx"), 3, d3, 9 * 784);
    write_idx(path_in("big.idx"), 3, d32, 10 * 1024);
    write_idx(path_in("lab.idx"), 1, l1, 10);
    write_idx(path_in("lab9.idx"), 1, l9, 9);
    er_data *d = NULL;
    o.labels = path_in("lab.idx");
    CHECK_STATUS(er_data_load(path_in("img.idx"), &o, &d), ER_OK);
    CHECK(er_data_view(d)->labels != NULL);
    er_data_free(d);
    CHECK_STATUS(load(path_in("short.idx"), &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("short.idx: IDX data has");
    o.labels = NULL;
    CHECK_STATUS(load(path_in("big.idx"), &o), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("big.idx: an image [32,32] has 1024 pixels");
    o.labels = path_in("lab9.idx");
    CHECK_STATUS(load(path_in("img.idx"), &o), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("lab9.idx holds 9 labels, the samples number 10");
    o.labels = path_in("junk.bin");
    write_bytes(path_in("junk.bin"), "hello world", 11);
    CHECK(load(path_in("img.idx"), &o) != ER_OK);
    CHECK_ERROR_HAS("junk.bin");
    /* per-channel normalisation needs an axis with that many channels */
    o.labels = NULL;
    o.n_mean = 3;
    o.mean[0] = o.mean[1] = o.mean[2] = 0.5;
    CHECK_STATUS(load(path_in("img.idx"), &o), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("no axis of the input sample [1,28,28] has 3 channels");
}

/* A reader that fails at sample 5. */
static er_status failing_read(void *ctx, size_t i, float *dst) {
    (void)ctx;
    if (i == 5) return er_fail(ER_ERR_IO, "sample.bin: read error at sample %zu", i);
    for (int k = 0; k < 4; k++) dst[k] = (float)k;
    return ER_OK;
}

TEST(qdata_calibration_errors) {
    mb b;
    mb_init(&b);
    int64_t xd[2] = {-1, 4};
    mb_input(&b, "x", ER_F32, 2, xd);
    mb_node(&b, "Relu", "relu", MB_IO("x"), MB_IO("y"), NULL);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    CHECK(m);
    er_calib *c;
    CHECK_STATUS(er_calib_create(m->graph->n_values, &c), ER_OK);
    er_dataset d = {10, 4, failing_read, NULL, NULL};
    CHECK_STATUS(er_calibrate(m, &d, 10, 2, 1, true, c, NULL, NULL), ER_ERR_IO);
    CHECK_ERROR_HAS("calibration sample 4: sample.bin: read error at sample 5");
    d.sample_floats = 5; /* does not fit [N, 4] */
    CHECK_STATUS(er_calibrate(m, &d, 10, 2, 1, true, c, NULL, NULL), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("a sample has 5 values; input 'x' [-1,4] takes 4 per batch row");
    d.sample_floats = 4;
    CHECK_STATUS(er_calibrate(m, &d, 0, 2, 1, true, c, NULL, NULL), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("no samples");
    er_calib_free(c);
    er_model_free(m);
}

static void write_pgm(const char *path, int w, int h, uint8_t fill) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fprintf(f, "P5\n%d %d\n255\n", w, h);
    for (int i = 0; i < w * h; i++) fputc(fill, f);
    fclose(f);
}

/* Class folders of images (decoded when read): labels from the sorted folder
 * names, classes interleaved so a prefix is balanced, a corrupt image names
 * itself when it is read, a model input that is not an image is refused. */
TEST(qdata_image_folders) {
#if defined(__has_include)
#if __has_include("image.h")
    er_data_opts o = opts28();
    CHECK(tmpdir());
    char *root = path_in("img_classes");
    CHECK(mkdir(root, 0700) == 0);
    char p[300];
    const char *cls[2] = {"b_second", "a_first"};
    for (int c = 0; c < 2; c++) {
        snprintf(p, sizeof p, "%s/%s", root, cls[c]);
        CHECK(mkdir(p, 0700) == 0);
        for (int i = 0; i < 2; i++) {
            snprintf(p, sizeof p, "%s/%s/%d.pgm", root, cls[c], i);
            write_pgm(p, 28, 28, (uint8_t)(c == 0 ? 255 : 51));
        }
    }
    snprintf(p, sizeof p, "%s/a_first/2.pgm", root);
    write_bytes(p, "P5\n28 28\n255\nshort", 18); /* truncated pixel data */
    er_data *d = NULL;
    CHECK_STATUS(er_data_load(root, &o, &d), ER_OK);
    const er_dataset *ds = er_data_view(d);
    CHECK_EQ_INT(ds->n_samples, 5);
    CHECK(strcmp(er_data_class(d, 0), "a_first") == 0);
    CHECK(ds->labels[0] == 0 && ds->labels[1] == 1 && ds->labels[2] == 0 && ds->labels[3] == 1);
    float x[784];
    CHECK_STATUS(ds->read(ds->ctx, 1, x), ER_OK); /* b_second: 255 -> 1.0 */
    CHECK(x[0] == 1.0f && x[783] == 1.0f);
    CHECK_STATUS(ds->read(ds->ctx, 0, x), ER_OK); /* a_first: 51 -> 0.2 */
    CHECK(fabsf(x[100] - 0.2f) < 1e-6f);
    er_status st = ds->read(ds->ctx, 4, x);
    CHECK(st != ER_OK);
    CHECK_ERROR_HAS("a_first/2.pgm");
    er_data_free(d);
    /* a model input that is not [C,H,W] / [H,W,C] */
    o.rank = 1;
    o.dims[0] = 784;
    CHECK_STATUS(load(root, &o), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("images need a model input sample of [C,H,W] or [H,W,C]");
#else
    printf("  (no image loader in this build: skipped)\n");
#endif
#endif
}
