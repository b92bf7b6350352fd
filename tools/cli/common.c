/* common.c - helpers shared by the CLI commands. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "core/tensor.h"

int cli_fail(const char *cmd) {
    fprintf(stderr, "edgerun %s: %s\n", cmd, er_last_error());
    return 1;
}

static uint64_t rng_state;
static uint64_t rng_next(void) { /* splitmix64: seeded, portable */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int cli_random_input(const er_session *s, int i, er_tensor **out) {
    er_dtype dt;
    int rank;
    int64_t dims[ER_MAX_RANK];
    if (er_session_input_info(s, i, &dt, &rank, dims) != ER_OK) return 0;
    if (er_tensor_create(dt, rank, dims, out) != ER_OK) return 0;
    size_t n = er_tensor_count(*out);
    void *d = er_tensor_data(*out);
    for (size_t k = 0; k < n; k++) {
        double u = (double)(rng_next() >> 11) / 9007199254740992.0;
        if (dt == ER_F32 || dt == ER_F64 || dt == ER_F16 || dt == ER_BF16)
            er_store_f64(d, dt, k, u);
        else if (dt == ER_BOOL)
            er_store_i64(d, dt, k, u < 0.5);
        else
            er_store_i64(d, dt, k, (int64_t)(u * 10));
    }
    return 1;
}

void cli_seed(uint64_t seed) { rng_state = seed; }

int cli_int_arg(const char *cmd, const char *opt, const char *val, long lo, long hi, long *out) {
    char *end;
    long v = strtol(val, &end, 10);
    if (!*val || *end || v < lo || v > hi) {
        fprintf(stderr, "edgerun %s: %s expects an integer in [%ld, %ld], got '%s'\n", cmd, opt,
                lo, hi, val);
        return 0;
    }
    *out = v;
    return 1;
}

void cli_json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}
