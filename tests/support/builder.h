/* builder.h - build small ONNX models in tests:
 *
 *   mb b; mb_init(&b);
 *   int64_t xd[4] = {1, 3, 8, 8};
 *   mb_input(&b, "x", ER_F32, 4, xd);
 *   mb_const_rand(&b, "w", 4, wd, seed);
 *   mb_node(&b, "Conv", "conv0", MB_IO("x", "w"), MB_IO("y"), NULL);
 *   mb_output(&b, "y");
 *   er_model *m = mb_load(&b, 13);   // frees the builder
 */
#ifndef ER_TEST_BUILDER_H
#define ER_TEST_BUILDER_H

#include "edgerun.h"
#include "pbw.h"

typedef struct mb {
    pbw nodes, inits, inputs, outputs;
} mb;

#define MB_IO(...) ((const char *const[]){__VA_ARGS__, NULL})

void mb_init(mb *b);
void mb_input(mb *b, const char *name, er_dtype dt, int rank, const int64_t *dims);
/* Output with no declared shape (the session infers it). */
void mb_output(mb *b, const char *name);
void mb_const(mb *b, const char *name, er_dtype dt, int rank, const int64_t *dims, const void *data);
/* Float constant with uniform random values in [lo, hi) (seeded). */
void mb_const_rand(mb *b, const char *name, int rank, const int64_t *dims, unsigned seed, float lo,
                   float hi);
void mb_node(mb *b, const char *op, const char *name, const char *const *in,
             const char *const *out, const pbw *attrs);
/* Loads the model (NULL and a printed error on failure); frees the builder. */
er_model *mb_load(mb *b, int64_t opset);

/* Runs m twice -- passes on and off -- on seeded random inputs of the
 * declared shapes and returns the max |difference| relative to
 * max(1, |reference|) over all outputs; -1 on any failure. */
double mb_compare_optimized(const er_model *m, unsigned seed);

#endif
