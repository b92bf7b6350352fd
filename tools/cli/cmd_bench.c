/* cmd_bench.c - `edgerun bench MODEL`: the measuring instrument.
 *
 * Reports, in this order of events: model load, session creation (planning,
 * folding, packing), the first inference, then `runs` timed inferences after
 * `warmup` untimed ones: min/median/p90/p99 latency, throughput and the
 * process's peak RSS. Inputs are seeded random tensors of the planned shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "measure.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun bench MODEL [--threads N] [--runs N] [--warmup N] [--json]\n\n"
               "  --threads N  intra-op threads (default 1; 0 = one per core)\n"
               "  --runs N     timed inferences (default 50)\n"
               "  --warmup N   untimed inferences before timing (default 5)\n"
               "  --no-optimize  run the graph as imported (passes off)\n"
               "  --raw        with --json: also every timed latency (latencies_ms)\n"
               "  --json       one JSON object: model, threads, load_ms, session_ms,\n"
               "               first_run_ms, min_ms, median_ms, p90_ms, p99_ms, runs_per_s,\n"
               "               peak_rss_bytes, arena_bytes\n");
}

int cmd_bench(int argc, char **argv) {
    const char *path = NULL;
    long threads = 1, runs = 50, warmup = 5;
    int json = 0, optimize = 1, raw = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!cli_int_arg("bench", "--threads", argv[++i], 0, 256, &threads)) return 2;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (!cli_int_arg("bench", "--runs", argv[++i], 1, 10000000, &runs)) return 2;
        } else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) {
            if (!cli_int_arg("bench", "--warmup", argv[++i], 0, 10000000, &warmup)) return 2;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--no-optimize") == 0) {
            optimize = 0;
        } else if (strcmp(argv[i], "--raw") == 0) {
            raw = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "edgerun bench: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    int rc = 1;
    er_model *m = NULL;
    er_session *s = NULL;
    er_tensor *in[256] = {0}, *out[256];
    double *lat = NULL, *lat_sorted = NULL;
    size_t rss0 = er_current_rss_bytes();
    double t0 = er_now_ms();
    if (er_model_load(path, &m) != ER_OK) return cli_fail("bench");
    double t1 = er_now_ms();
    er_options o;
    er_options_init(&o);
    o.threads = (int)threads;
    o.optimize = optimize;
    if (er_session_create(m, &o, &s) != ER_OK) {
        cli_fail("bench");
        goto done;
    }
    double t2 = er_now_ms();
    int n_in = er_model_input_count(m);
    if (n_in > 256 || er_model_output_count(m) > 256) {
        fprintf(stderr, "edgerun bench: too many inputs/outputs\n");
        goto done;
    }
    cli_seed(1);
    for (int i = 0; i < n_in; i++)
        if (!cli_random_input(s, i, &in[i])) {
            cli_fail("bench");
            goto done;
        }
    double t3 = er_now_ms();
    if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
        cli_fail("bench");
        goto done;
    }
    double t4 = er_now_ms();
    for (long i = 0; i < warmup; i++)
        if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
            cli_fail("bench");
            goto done;
        }
    lat = malloc(sizeof(double) * (size_t)runs);
    lat_sorted = malloc(sizeof(double) * (size_t)runs);
    if (!lat || !lat_sorted) goto done;
    double total = 0;
    for (long i = 0; i < runs; i++) {
        double a = er_now_ms();
        if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
            cli_fail("bench");
            goto done;
        }
        lat[i] = lat_sorted[i] = er_now_ms() - a; /* sorted in place below */
        total += lat[i];
    }
    double p50 = er_percentile(lat_sorted, (size_t)runs, 50);
    double p90 = er_percentile(lat_sorted, (size_t)runs, 90);
    double p99 = er_percentile(lat_sorted, (size_t)runs, 99), mn = lat_sorted[0];
    double rps = total > 0 ? 1000.0 * (double)runs / total : 0;
    size_t rss = er_peak_rss_bytes();
    size_t arena = er_session_arena_bytes(s);
    int eff_threads = threads ? (int)threads : 0;
    if (json) {
        printf("{\"model\": ");
        cli_json_str(path);
        printf(", \"threads\": %d, \"load_ms\": %.3f, \"session_ms\": %.3f, "
               "\"first_run_ms\": %.3f, \"min_ms\": %.3f, \"median_ms\": %.3f, \"p90_ms\": %.3f, "
               "\"p99_ms\": %.3f, \"runs\": %ld, \"runs_per_s\": %.2f, \"peak_rss_bytes\": %zu, "
               "\"arena_bytes\": %zu, \"rss_before_load_bytes\": %zu",
               eff_threads, t1 - t0, t2 - t1, t4 - t3, mn, p50, p90, p99, runs, rps, rss,
               arena, rss0);
        if (raw) {
            printf(", \"latencies_ms\": [");
            for (long i = 0; i < runs; i++) printf("%s%.4f", i ? ", " : "", lat[i]);
            printf("]");
        }
        printf("}\n");
    } else {
        printf("model            %s\n", path);
        printf("threads          %d\n", eff_threads);
        printf("load             %.3f ms\n", t1 - t0);
        printf("session create   %.3f ms\n", t2 - t1);
        printf("first inference  %.3f ms\n", t4 - t3);
        printf("latency (%ld runs after %ld warm-up)\n", runs, warmup);
        printf("  min            %.3f ms\n", mn);
        printf("  median         %.3f ms\n", p50);
        printf("  p90            %.3f ms\n", p90);
        printf("  p99            %.3f ms\n", p99);
        printf("throughput       %.2f inferences/s\n", rps);
        printf("peak RSS         %.1f MiB\n", (double)rss / 1048576.0);
        printf("arena            %.1f KiB\n", (double)arena / 1024.0);
    }
    rc = 0;
done:
    free(lat);
    free(lat_sorted);
    for (int i = 0; i < 256; i++) er_tensor_free(in[i]);
    er_session_free(s);
    er_model_free(m);
    return rc;
}
