/* dataset.h - labelled or unlabelled samples for `edgerun quantize`
 * (calibration, validation) and `edgerun eval`.
 *
 * Sources, recognised by content:
 *  - an IDX image file as distributed (gzipped or not), e.g. Fashion-MNIST's
 *    train-images-idx3-ubyte.gz: one sample per image; labels from a
 *    separate IDX label file;
 *  - a .npy file: a batch [N, ...] whose rows are samples, or one sample;
 *  - a folder of .npy files (sorted by name), each a sample or a batch;
 *  - a folder of images (PNG/JPEG/PPM, when the tool has the image loader),
 *    or a folder of class-named folders of images: the label of an image is
 *    the index of its folder in sorted order.
 * Unsigned-byte data (IDX, uint8 .npy, images) becomes (x / 255 - mean) /
 * std, mean 0 and std 1 unless given (one value, or one per channel).
 * Float .npy data is used as it is. Every sample must hold exactly the
 * model's per-sample input (its input shape without the batch dimension);
 * images are resized to it. Samples are loaded up to `limit`; images are
 * decoded when read. */
#ifndef ER_TOOLS_DATASET_H
#define ER_TOOLS_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"
#include "passes/calibrate.h"

typedef struct er_data_opts {
    int n_mean, n_std;   /* 0: defaults (mean 0, std 1) */
    double mean[3], std[3];
    size_t limit;        /* load at most this many samples (0 = all) */
    const char *labels;  /* optional IDX label file (for IDX or .npy samples) */
    /* the model input per sample (its shape without the batch dimension) */
    int rank;
    int64_t dims[ER_MAX_RANK];
    const char *input_name;
} er_data_opts;

typedef struct er_data er_data;

/* Loads `path`; *out->ds is the library's view (er_dataset) of it. Errors
 * name the file and what does not fit (shape, dtype, format, an empty
 * folder). */
er_status er_data_load(const char *path, const er_data_opts *o, er_data **out);
void er_data_free(er_data *d);
const er_dataset *er_data_view(const er_data *d);
/* One line: "1000 samples (IDX uint8 [28,28]) from PATH". */
const char *er_data_desc(const er_data *d);
/* Class names of a class-folder data set (index = label), or NULL. */
const char *er_data_class(const er_data *d, int label);

/* Fills o's model-input fields from input 0 of m (per-sample shape:
 * without the first dimension when the input is batched, i.e. when the
 * first dimension is symbolic or the sample count would not fit
 * otherwise). */
er_status er_data_opts_for_model(const er_model *m, er_data_opts *o);

/* Parses "M" or "M,M,M" into up to 3 values; 0 on error. */
int er_data_parse_values(const char *s, double *v, int *n);

#endif
