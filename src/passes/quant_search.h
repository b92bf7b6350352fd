/* quant_search.h - measuring a quantized model against its float source:
 * output error and accuracy on a data set, the sensitivity of each unit
 * (the output error its quantization adds on its own), and mixed precision
 * (keeping the most sensitive units in float until the accuracy drop is
 * within a bound).
 *
 * Every candidate is built by er_quantize_graph and run by an ordinary
 * session (optimize = 1), so what is measured is what edgerun runs: the
 * QDQ graph folded into int8 ops. Graph inputs and outputs stay float here
 * (int8 I/O changes the interface, not the arithmetic). */
#ifndef ER_PASSES_QUANT_SEARCH_H
#define ER_PASSES_QUANT_SEARCH_H

#include "calibrate.h"
#include "quantize.h"

/* Reference outputs of the float model on the first n samples of d. */
typedef struct er_qeval {
    const er_dataset *d;
    size_t n;          /* samples */
    int batch;
    int threads;
    size_t per_sample; /* floats of output 0 per sample */
    float *ref;        /* n * per_sample: the float model's output 0 */
    int32_t *ref_top1; /* argmax per sample */
    double ref_acc;    /* top-1 accuracy against d->labels (-1 without labels) */
} er_qeval;

typedef struct er_qeval_result {
    double nmse;  /* sum (y - ref)^2 / sum ref^2 over output 0 */
    double agree; /* share of samples whose top-1 equals the float model's */
    double acc;   /* top-1 accuracy against the labels, or -1 */
    double drop;  /* accuracy drop in points (100 * (ref_acc - acc)) with labels,
                     else 100 * (1 - agree): an upper bound of the drop */
} er_qeval_result;

er_status er_qeval_init(const er_model *float_model, const er_dataset *d, size_t n, int batch,
                        int threads, er_qeval *e, er_progress_fn progress, void *progress_ctx);
void er_qeval_free(er_qeval *e);
/* Runs m on the samples and compares with the reference. */
er_status er_qeval_run(er_qeval *e, const er_model *m, er_qeval_result *r);

/* Quantizes only unit u (the configuration's other settings kept) and
 * measures; one result per unit into res[a->n_units]. */
er_status er_quant_sensitivity(const er_qanalysis *a, const er_quant_config *cfg, er_qeval *e,
                               er_qeval_result *res, er_progress_fn progress, void *progress_ctx);

/* Mixed precision. unit_float[a->n_units] holds the units that must stay
 * float (e.g. chosen by the user); on return it holds the chosen
 * configuration. With the other units in int8 the drop is measured; while
 * it exceeds max_drop, the next most sensitive unit (by sens[u].nmse) is
 * kept in float. Then the units so kept are tried back in int8, least
 * sensitive first, and stay int8 where the drop stays within max_drop.
 * *final receives the measurement of the chosen configuration (when even
 * all-float misses max_drop - impossible with labels, where its drop is 0 -
 * that is all-float's). Fails only on errors. */
er_status er_quant_mixed(const er_qanalysis *a, const er_quant_config *cfg, er_qeval *e,
                         const er_qeval_result *sens, double max_drop, bool *unit_float,
                         er_qeval_result *final, er_progress_fn progress, void *progress_ctx);

#endif
