/* fuzz_onnx_load.c - libFuzzer target: model bytes -> load -> plan -> run.
 *
 * Every input must end in ER_OK or a clean error status with a message;
 * sanitizers catch the rest. Single allocations are capped at 64 MiB so
 * hostile shapes fail with ER_ERR_NOMEM instead of exhausting the machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "edgerun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    er_alloc_cap((size_t)64 << 20);
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(data, size, NULL, &m);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) {
        enum { MAX_IO = 32 };
        er_tensor *in[MAX_IO] = {0}, *out[MAX_IO];
        int n_in = er_model_input_count(m);
        int ok = n_in <= MAX_IO && er_model_output_count(m) <= MAX_IO;
        for (int i = 0; ok && i < n_in; i++) {
            er_dtype dt;
            int rank;
            int64_t dims[ER_MAX_RANK];
            ok = er_session_input_info(s, i, &dt, &rank, dims) == ER_OK &&
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
    return 0;
}
