/* fuzz_tflite_load.c - libFuzzer target for the TFLite importer: model bytes
 * -> load -> plan -> run.
 *
 * Bytes 4..7 are forced to the "TFL3" identifier so every input exercises
 * the FlatBuffers reader and the TFLite importer (not the ONNX sniffing).
 * Every input must end in ER_OK or a clean error status with a message;
 * sanitizers catch the rest. Single allocations are capped at 16 MiB (the
 * seeds' largest tensor is 4 MiB) so hostile shapes fail with ER_ERR_NOMEM
 * instead of exhausting the machine or spending seconds in constant folding
 * (a 64 MiB Resize folded at plan time under ASan exceeded the timeout).
 * Seeds: scripts/fuzz.sh writes the test models (tflite_seeds) and adds the
 * small MediaPipe models when the test setup has installed them. Inputs
 * over 64 KiB (the MediaPipe seeds and their mutants) are loaded and
 * planned but not run: running a real network under ASan for every mutant
 * would cut the fuzzer to a few executions per second, and the reader,
 * importer and planner are what this target is for. Inputs whose shape
 * spans more than 2^22 elements counting zero-sized dims as 1 (e.g.
 * [620756993, 0, 0, 4]) are not run either: the reference kernels loop over
 * such outer dims even when there is nothing to compute, which is slow, not
 * unsafe, and would only turn into libFuzzer timeouts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "edgerun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    er_alloc_cap((size_t)16 << 20);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    if (size >= 8) memcpy(copy + 4, "TFL3", 4);
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(copy, size, NULL, &m);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK && size <= 65536) {
        enum { MAX_IO = 32 };
        er_tensor *in[MAX_IO] = {0}, *out[MAX_IO];
        int n_in = er_model_input_count(m);
        int ok = n_in <= MAX_IO && er_model_output_count(m) <= MAX_IO;
        for (int i = 0; ok && i < n_in; i++) {
            er_dtype dt;
            int rank;
            int64_t dims[ER_MAX_RANK];
            ok = er_session_input_info(s, i, &dt, &rank, dims) == ER_OK;
            double span = 1;
            for (int k = 0; ok && k < rank; k++) span *= dims[k] > 1 ? (double)dims[k] : 1.0;
            ok = ok && span <= (double)(1 << 22) &&
                 er_tensor_create(dt, rank, dims, &in[i]) == ER_OK;
        }
        if (ok) st = er_session_run(s, (const er_tensor *const *)in, out);
        for (int i = 0; i < MAX_IO; i++) er_tensor_free(in[i]);
    }
    if (st != ER_OK && er_last_error()[0] == '\0') {
        fprintf(stderr, "status %d without a message\n", (int)st);
        abort();
    }
    er_session_free(s);
    er_model_free(m);
    free(copy);
    return 0;
}
