/* calibrate.h - activation statistics for post-training quantization, and
 * the methods that turn them into a quantization range.
 *
 * Calibration runs representative samples through the float model (a
 * session with optimize = 0, so the values are the model's own) and records
 * for every float32 value: its minimum and maximum (pass 1), then a
 * histogram of ER_CALIB_BINS bins over the range pass 1 found (pass 2; only
 * when a method needs one). The histogram is symmetric around 0 for values
 * of both signs ([-A, A], A = max |x|) and one-sided otherwise ([0, max] or
 * [min, 0]), so zero falls on a bin edge and a two-sided histogram folds
 * into one of |x| exactly. Exact zeros are counted apart: zero is always
 * representable (it is the zero point), so it costs no quantization error.
 *
 * Range methods (er_calib_choose):
 *  - minmax      [min, max]
 *  - percentile  drops the given share of the mass in each tail (two-sided
 *                values) or in the upper tail (one-sided)
 *  - entropy     TensorRT's KL-divergence threshold: the clip threshold t
 *                whose 256-level (one-sided) or 2x128-level (two-sided,
 *                on |x|) quantization of the clipped distribution loses
 *                the least information
 *  - mse         the range minimizing the expected squared error of 8-bit
 *                quantization (clipping error for the tails, step^2/12
 *                inside), each end searched on 400 points between 0 and
 *                the observed extreme (coordinate descent)
 * Every method returns a range inside [min, max]; quantization then widens
 * it to contain 0. */
#ifndef ER_PASSES_CALIBRATE_H
#define ER_PASSES_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"
#include "ir/graph.h"

#define ER_CALIB_BINS 2048

typedef enum er_calib_method {
    ER_CALIB_MINMAX = 0,
    ER_CALIB_PERCENTILE = 1,
    ER_CALIB_ENTROPY = 2,
    ER_CALIB_MSE = 3
} er_calib_method;

/* "minmax", "percentile", "entropy", "mse". */
const char *er_calib_method_name(er_calib_method m);
/* Parses a method name; false when unknown. */
bool er_calib_method_parse(const char *s, er_calib_method *out);

/* Statistics of one value. */
typedef struct er_calib_stats {
    bool seen;          /* at least one finite element was observed */
    double min, max;    /* over all finite elements */
    uint64_t count;     /* finite elements observed (pass 1) */
    uint64_t nonfinite; /* NaN/inf elements skipped */
    /* pass 2 */
    uint64_t *hist;     /* ER_CALIB_BINS counts over [h_lo, h_hi], exact zeros excluded */
    double h_lo, h_hi;
    uint64_t zeros;     /* exact zeros (not in hist) */
    /* pass 1, for bias correction: per-channel sums of rank-2 and rank-4
     * tensors along axis 1 ([N, C] and NCHW), of rank-3 along axis 2 */
    double *ch_sum;
    int64_t n_ch;
    uint64_t ch_count;  /* elements summed per channel */
} er_calib_stats;

typedef struct er_calib {
    int n_values;
    er_calib_stats *stats; /* per graph value */
    int pass;              /* 1: min/max, 2: histograms */
} er_calib;

er_status er_calib_create(int n_values, er_calib **out);
void er_calib_free(er_calib *c);
/* Records n float32 elements of value v (in the current pass). */
void er_calib_add(er_calib *c, int v, const float *x, size_t n);
/* Adds per-channel sums of a tensor of value v (pass 1; see er_calib_stats). */
void er_calib_add_channels(er_calib *c, int v, const float *x, int rank, const int64_t *dims);
/* The mean of channel k of value v, or NAN when not recorded. */
double er_calib_channel_mean(const er_calib *c, int v, int64_t k);
/* Ends pass 1: allocates every seen value's histogram over its range. */
er_status er_calib_begin_histograms(er_calib *c);

/* Chooses the range of one value. percentile: the share of the mass kept,
 * in percent (e.g. 99.99); ignored by the other methods. Methods other than
 * minmax need the histogram (pass 2); without one they fall back to
 * [min, max]. Fails (ER_ERR_INVALID_ARG) for a value never observed. */
er_status er_calib_choose(const er_calib_stats *s, er_calib_method m, double percentile,
                          float *lo, float *hi);

/* The histogram methods on their own (also used by the tests). hist holds
 * n_bins counts over [h_lo, h_hi] (excluding `zeros` exact zeros);
 * [min, max] is the observed range. */
void er_hist_percentile(const uint64_t *hist, int n_bins, double h_lo, double h_hi,
                        uint64_t zeros, double min, double max, double percentile, double *lo,
                        double *hi);
void er_hist_entropy(const uint64_t *hist, int n_bins, double h_lo, double h_hi, double min,
                     double max, double *lo, double *hi);
void er_hist_mse(const uint64_t *hist, int n_bins, double h_lo, double h_hi, double min,
                 double max, double *lo, double *hi);

/* ---- running samples through a model ----------------------------------------
 * A data set of float samples, each shaped like the model's (only) input
 * without its batch dimension. read() fills `sample_floats` floats at dst
 * for sample i (0 <= i < n_samples); labels (may be NULL) hold each
 * sample's class for accuracy measurements. */
typedef struct er_dataset {
    size_t n_samples;
    size_t sample_floats;
    er_status (*read)(void *ctx, size_t i, float *dst);
    void *ctx;
    const int32_t *labels;
} er_dataset;

/* Progress callback: done of total samples in pass `pass` of n_passes. */
typedef void (*er_progress_fn)(void *ctx, int pass, int n_passes, size_t done, size_t total);

/* How samples are fed to a model: in batches of `batch` rows when its first
 * input dimension is free (symbolic), else as its fixed shape allows.
 * Fails with a message naming both shapes when a sample does not fit the
 * model's input. */
typedef struct er_feed {
    int rank;
    int64_t dims[ER_MAX_RANK]; /* dims[0] = rows per run when batched */
    bool batched;              /* dims[0] counts samples */
    size_t rows;               /* samples per full run */
} er_feed;

er_status er_feed_plan(const er_model *m, const er_dataset *d, int batch, er_feed *out);

/* Runs the first n samples of d through m (optimize = 0, `threads` intra-op
 * threads, 0 = one per core) and fills c: pass 1 always, pass 2 when
 * histograms is true. progress may be NULL. */
er_status er_calibrate(const er_model *m, const er_dataset *d, size_t n, int batch, int threads,
                       bool histograms, er_calib *c, er_progress_fn progress,
                       void *progress_ctx);

#endif
