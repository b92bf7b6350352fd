/* tflite_seeds.c - writes the TFLite test models (tests/support/
 * tflite_models.c) as .tflite files: the fuzzer's seed corpus, and extra
 * models the reference check (tests/tflite/run_tflite_models.sh) runs
 * through Google's TFLite interpreter.
 * usage: tflite_seeds OUTDIR */
#include <stdio.h>
#include <string.h>

#include "support/tflite_models.h"

static int save(const char *dir, const char *name, const tflw *w) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tflite", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(w->d, 1, w->n, f) != w->n || fclose(f) != 0) {
        fprintf(stderr, "tflite_seeds: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tflite_seeds OUTDIR\n");
        return 2;
    }
    static void (*const build[])(tflw *) = {tflm_small_cnn, tflm_int8_cnn, tflm_sparse_fc,
                                            tflm_fp16_conv};
    static const char *const names[] = {"small_cnn", "int8_cnn", "sparse_fc", "fp16_conv"};
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        tflw w;
        build[i](&w);
        rc |= save(argv[1], names[i], &w);
        tflw_free(&w);
    }
    /* the same CNN with its buffers after the flatbuffer (schema 3c) */
    tflw w;
    tflm_small_cnn_external(&w);
    rc |= save(argv[1], "small_cnn_external", &w);
    tflw_free(&w);
    return rc;
}
