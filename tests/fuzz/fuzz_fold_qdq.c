/* fuzz_fold_qdq.c - libFuzzer target: model bytes -> load -> er_pass_fold_qdq
 * -> plan -> run. The pass must accept any graph the importer accepts and
 * leave one that plans and runs or fails with a clean, messaged status.
 * Seeds: QDQ models (tests/int8/qdq_check.py writes them under its --work
 * folder) and the ONNX node tests. Single allocations are capped at 64 MiB. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "edgerun.h"
#include "passes/fold_qdq.h"
#include "runtime/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    er_alloc_cap((size_t)64 << 20);
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(data, size, NULL, &m);
    if (st == ER_OK) st = er_pass_fold_qdq(m->graph);
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
