/* models.h - small ONNX models built in memory for tests and fuzz seeds. */
#ifndef ER_TEST_MODELS_H
#define ER_TEST_MODELS_H

#include "pbw.h"

/* y = (x + w) * (x + w), x: float32 [N,4] (N symbolic when batch < 0),
 * w: initializer [4] = {1,2,3,4}. Node names "add0", "mul0". */
void model_add_mul(pbw *out, int64_t batch);

#endif
