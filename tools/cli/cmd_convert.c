/* cmd_convert.c - `edgerun convert MODEL -o OUT.erm`: any loadable model to
 * edgerun's native format.
 *
 * Loads MODEL (ONNX, or .erm again), writes it with er_model_save, then loads
 * the written file back, so a conversion that reports success is known to
 * load. Prints what was written and how long it took. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "measure.h"
#include "core/mapfile.h"
#include "runtime/model.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun convert MODEL -o OUT.erm [--prepack] [--threads N] [--quiet]\n\n"
               "Converts a model (ONNX, TFLite or .erm) to .erm, edgerun's native format: a\n"
               "versioned, checksummed file whose weights are aligned (64 bytes; small\n"
               "ones 8) and used in place after mmap (no parsing, no copies), with the\n"
               "graph records LZ4-compressed, so it loads much faster than the source.\n"
               "The written file is loaded back to check it.\n\n"
               "  -o, --output OUT   the .erm file to write (replaced atomically)\n"
               "  --prepack          also store the convolution weights (float32 and int8)\n"
               "                     packed for the kernels this machine picks (same ISA\n"
               "                     level elsewhere: sessions use them in place and skip\n"
               "                     packing; other machines ignore them). The file grows\n"
               "                     by about the weights' size.\n"
               "  --threads N        the thread count the packing is planned for (default 1)\n"
               "  --quiet            print nothing on success\n");
}

int cmd_convert(int argc, char **argv) {
    const char *in_path = NULL, *out_path = NULL;
    int quiet = 0, prepack = 0, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
                   i + 1 < argc) {
            out_path = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--prepack") == 0) {
            prepack = 1;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            long t;
            if (!cli_int_arg("convert", "--threads", argv[++i], 1, 256, &t)) return 2;
            threads = (int)t;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "edgerun convert: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!in_path) {
            in_path = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!in_path || !out_path) {
        usage(stderr);
        return 2;
    }
    double t0 = er_now_ms();
    er_model *m = NULL, *back = NULL;
    if (er_model_load(in_path, &m) != ER_OK) return cli_fail("convert");
    double t1 = er_now_ms();
    er_options o;
    er_options_init(&o);
    o.threads = threads;
    if ((prepack ? er_model_save_prepacked(m, &o, out_path) : er_model_save(m, out_path)) !=
        ER_OK) {
        er_model_free(m);
        return cli_fail("convert");
    }
    double t2 = er_now_ms();
    if (er_model_load(out_path, &back) != ER_OK) {
        er_model_free(m);
        fprintf(stderr, "edgerun convert: the written file does not load back: %s\n",
                er_last_error());
        return 1;
    }
    double t3 = er_now_ms();
    if (!quiet) {
        const er_graph *g = back->graph;
        unsigned long long weight_bytes = 0, file_bytes = 0;
        int n_const = 0;
        for (int v = 0; v < g->n_values; v++)
            if (g->values[v].data) {
                weight_bytes += g->values[v].data_bytes;
                n_const++;
            }
        if (g->n_mappings > 0) file_bytes = g->mappings[0]->size;
        printf("%s -> %s\n", in_path, out_path);
        printf("  %d nodes, %d values (%d constants), %d inputs, %d outputs\n", g->n_nodes,
               g->n_values, n_const, g->n_inputs, g->n_outputs);
        printf("  weights %llu bytes (aligned, used in place), file %llu bytes\n",
               weight_bytes, file_bytes);
        if (prepack) {
            unsigned long long packed = 0;
            for (int k = 0; k < g->n_packed; k++) packed += g->packed[k].bytes;
            printf("  pre-packed weights: %d blobs, %llu bytes\n", g->n_packed, packed);
        }
        printf("  load %.1f ms, write %.1f ms, load back %.1f ms\n", t1 - t0, t2 - t1, t3 - t2);
    }
    er_model_free(back);
    er_model_free(m);
    return 0;
}
