/* fuzz_erm_load.c - libFuzzer target for the .erm reader: bytes -> load ->
 * plan -> run.
 *
 * Mutated files almost never keep a valid checksum, which would stop every
 * input at the first check. So the target rewrites the header checksum for
 * the mutated bytes before loading (except when the input's last byte is
 * 0xa5, which keeps the checksum path itself covered): the fuzzer then
 * explores the structural validation behind it. The first 4 bytes are forced
 * to the .erm magic so no time goes to inputs the ONNX target covers.
 *
 * Every input must end in ER_OK or a clean error status with a message;
 * sanitizers catch the rest. Single allocations are capped at 64 MiB so
 * hostile shapes fail with ER_ERR_NOMEM, and models planned at more than
 * 100 M multiply-accumulates are loaded and planned but not run: a valid but
 * heavy model (a mutated ConvTranspose of 24 G MACs took 50 s) is a slow
 * input, not a finding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "edgerun.h"
#include "import/erm/erm_format.h"
#include "ops/op.h"
#include "runtime/session.h"

static uint64_t planned_macs(const er_session *s) {
    uint64_t macs = 0;
    for (int i = 0; i < s->n_steps; i++) {
        const er_node *n = &s->g->nodes[s->steps[i].node];
        if (n->op->macs) macs += n->op->macs(&s->steps[i].ctx);
    }
    return macs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    er_alloc_cap((size_t)64 << 20);
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    if (size >= ER_ERM_HEADER_BYTES && data[size - 1] != 0xa5)
        er_erm_put_u64(copy + 24, er_xxh64(copy + ER_ERM_HEADER_BYTES, size - ER_ERM_HEADER_BYTES));
    if (size >= 4) memcpy(copy, ER_ERM_MAGIC, 4);
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(copy, size, NULL, &m);
    free(copy);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) {
        enum { MAX_IO = 32 };
        er_tensor *in[MAX_IO] = {0}, *out[MAX_IO];
        int n_in = er_model_input_count(m);
        int ok = n_in <= MAX_IO && er_model_output_count(m) <= MAX_IO &&
                 planned_macs(s) <= 100000000u;
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
