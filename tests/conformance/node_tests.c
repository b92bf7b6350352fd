/* node_tests.c - runs the ONNX backend node conformance tests.
 *
 * For every test folder (model.onnx + test_data_set_N/{input,output}_K.pb):
 * load, plan with the inputs' shapes, run, compare each output with the
 * reference (floats: |y - ref| <= atol + rtol * |ref|, rtol 1e-3, atol 1e-7
 * as ONNX's backend runner; NaN matches NaN; integers and bools exactly).
 * A test is
 *   passed       every data set matches,
 *   unsupported  loading or planning fails with ER_ERR_UNSUPPORTED (an op,
 *                dtype or attribute we do not implement),
 *   failed       anything else: a mismatch, any other error, a crash
 *                (each test runs in a child process), a timeout.
 *
 * Usage: node_tests [DIR] [--filter SUBSTR] [-v] [--no-fork]
 *                   [--via-erm]       convert each model to .erm (er_model_save)
 *                                     and run the .erm instead: a round trip
 *                   [--expect FILE]   fail if a test listed in FILE does not pass
 *                   [--write FILE]    write the passing list to FILE
 * DIR defaults to $EDGERUN_ONNX_NODE_TESTS, then the shared folder. The
 * summary line is "N passed, N failed, N unsupported (of T)"; the exit code
 * is non-zero when any test failed or an expected test did not pass. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/tensor.h"
#include "edgerun.h"
#include "import/onnx/onnx_import.h"

#ifndef ER_DEFAULT_NODE_TESTS
#define ER_DEFAULT_NODE_TESTS "../shared/onnx-node-tests"
#endif

enum { R_PASS = 0, R_FAIL = 1, R_UNSUPPORTED = 2 };

/* Documented tolerance exceptions: tests whose reference was computed in a
 * way float32 arithmetic cannot reproduce to rtol 1e-3. */
typedef struct { const char *test; double rtol, atol; const char *why; } tol_exception;
static const tol_exception k_exceptions[] = {
    {NULL, 0, 0, NULL},
};

/* Tests whose data contradicts their own model, counted as unsupported with
 * the reason printed (ONNX Runtime refuses them too). */
typedef struct { const char *test; const char *why; } invalid_test;
static const invalid_test k_invalid[] = {
    {"test_castlike_BFLOAT16_to_FLOAT", "input 'like' data has rank 1, the model declares rank 2"},
    {"test_castlike_BFLOAT16_to_FLOAT_expanded", "input 'like' data has rank 1, the model declares rank 2"},
    {"test_castlike_FLOAT_to_BFLOAT16", "input 'like' data has rank 1, the model declares rank 2"},
    {"test_castlike_FLOAT_to_BFLOAT16_expanded", "input 'like' data has rank 1, the model declares rank 2"},
    {NULL, NULL},
};

/* ONNX 1.12 stores bfloat16 test tensors as uint16 bit patterns: reinterpret
 * them where the model says bfloat16 (same bits, so no conversion). */
static void fix_bf16(er_tensor *t, er_dtype want) {
    if (t && want == ER_BF16 && t->dtype == ER_U16) t->dtype = ER_BF16;
}

static int verbose;
static int via_erm;

/* --via-erm: replaces *m by the model saved as .erm and loaded back. The
 * file is unlinked right after loading (the mapping stays valid). */
static er_status erm_round_trip(er_model **m) {
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/er_node_test_XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return ER_ERR_IO;
    close(fd);
    er_status st = er_model_save(*m, path);
    er_model_free(*m);
    *m = NULL;
    if (st == ER_OK) st = er_model_load(path, m);
    unlink(path);
    return st;
}

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static er_status load_pb(const char *path, er_tensor **out) {
    size_t n;
    char *buf = read_file(path, &n);
    if (!buf) return ER_ERR_IO;
    er_status st = er_onnx_read_tensor_proto(buf, n, out, NULL, 0);
    free(buf);
    return st;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static int compare(const char *test, int k, const er_tensor *y, const er_tensor *ref,
                   double rtol, double atol, char *msg, size_t msg_size) {
    if (y->dtype != ref->dtype) {
        snprintf(msg, msg_size, "output %d dtype %s, expected %s", k, er_dtype_name(y->dtype),
                 er_dtype_name(ref->dtype));
        return 0;
    }
    if (!er_shape_equal(y->rank, y->dims, ref->rank, ref->dims)) {
        char a[ER_SHAPE_STR_MAX], b[ER_SHAPE_STR_MAX];
        snprintf(msg, msg_size, "output %d shape %s, expected %s", k,
                 er_shape_str(a, sizeof a, y->rank, y->dims),
                 er_shape_str(b, sizeof b, ref->rank, ref->dims));
        return 0;
    }
    size_t n = er_tensor_numel(y);
    for (size_t i = 0; i < n; i++) {
        if (er_dtype_is_float(y->dtype)) {
            double a = er_load_f64(y->data, y->dtype, i), b = er_load_f64(ref->data, ref->dtype, i);
            if (isnan(a) && isnan(b)) continue;
            if (isinf(a) || isinf(b)) {
                if (a == b) continue;
            } else if (fabs(a - b) <= atol + rtol * fabs(b)) {
                continue;
            }
            snprintf(msg, msg_size, "output %d[%zu] = %.9g, expected %.9g", k, i, a, b);
            return 0;
        }
        int64_t a = er_load_i64(y->data, y->dtype, i), b = er_load_i64(ref->data, ref->dtype, i);
        if (a != b) {
            snprintf(msg, msg_size, "output %d[%zu] = %lld, expected %lld", k, i, (long long)a,
                     (long long)b);
            return 0;
        }
    }
    (void)test;
    return 1;
}

/* Runs one test folder in this process. Prints a reason for non-passes. */
static int run_test(const char *dir, const char *name) {
    char path[4096], msg[1024] = "";
    double rtol = 1e-3, atol = 1e-7;
    for (const tol_exception *e = k_exceptions; e->test; e++)
        if (strcmp(e->test, name) == 0) {
            rtol = e->rtol;
            atol = e->atol;
        }
    for (const invalid_test *e = k_invalid; e->test; e++)
        if (strcmp(e->test, name) == 0) {
            if (verbose) printf("  %s: invalid test data: %s\n", name, e->why);
            return R_UNSUPPORTED;
        }
    snprintf(path, sizeof path, "%s/%s/model.onnx", dir, name);
    er_model *m = NULL;
    er_status st = er_model_load(path, &m);
    if (st != ER_OK) {
        if (verbose) printf("  %s: load: %s\n", name, er_last_error());
        return st == ER_ERR_UNSUPPORTED ? R_UNSUPPORTED : R_FAIL;
    }
    if (via_erm && (st = erm_round_trip(&m)) != ER_OK) {
        if (verbose) printf("  %s: .erm round trip: %s\n", name, er_last_error());
        return R_FAIL; /* the ONNX model loaded: any .erm failure is a failure */
    }
    int result = R_PASS;
    int n_in = er_model_input_count(m), n_out = er_model_output_count(m);
    for (int ds = 0; result == R_PASS; ds++) {
        char dsdir[4096];
        snprintf(dsdir, sizeof dsdir, "%s/%s/test_data_set_%d", dir, name, ds);
        if (!file_exists(dsdir)) {
            if (ds == 0) {
                snprintf(msg, sizeof msg, "no test_data_set_0");
                result = R_FAIL;
            }
            break;
        }
        er_tensor *in[64] = {0}, *ref[64] = {0}, *out[64] = {0};
        int ok = n_in <= 64 && n_out <= 64;
        int n_in_files = 0;
        while (ok && n_in_files < 64) {
            snprintf(path, sizeof path, "%s/input_%d.pb", dsdir, n_in_files);
            if (!file_exists(path)) break;
            if (load_pb(path, &in[n_in_files]) != ER_OK) {
                snprintf(msg, sizeof msg, "cannot read %s: %s", path, er_last_error());
                ok = 0;
                break;
            }
            if (n_in_files < n_in) {
                er_dtype want;
                er_model_input_info(m, n_in_files, &want, NULL, NULL);
                fix_bf16(in[n_in_files], want);
            }
            n_in_files++;
        }
        for (int k = 0; ok && k < n_out; k++) {
            snprintf(path, sizeof path, "%s/output_%d.pb", dsdir, k);
            if (load_pb(path, &ref[k]) != ER_OK) {
                snprintf(msg, sizeof msg, "cannot read %s: %s", path, er_last_error());
                ok = 0;
            } else {
                er_dtype want;
                er_model_output_info(m, k, &want, NULL, NULL);
                fix_bf16(ref[k], want);
            }
        }
        if (ok && n_in_files != n_in) {
            snprintf(msg, sizeof msg, "%d input files for %d model inputs", n_in_files, n_in);
            ok = 0;
        }
        if (!ok) {
            result = er_last_error()[0] && strstr(msg, "not supported") ? R_UNSUPPORTED : R_FAIL;
        } else {
            er_options o;
            er_options_init(&o);
            int ranks[64];
            const int64_t *dims[64];
            for (int i = 0; i < n_in; i++) {
                ranks[i] = in[i]->rank;
                dims[i] = in[i]->dims;
            }
            o.n_input_shapes = n_in;
            o.input_ranks = ranks;
            o.input_dims = dims;
            er_session *s = NULL;
            st = er_session_create(m, &o, &s);
            if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)in, out);
            if (st != ER_OK) {
                snprintf(msg, sizeof msg, "%s", er_last_error());
                result = st == ER_ERR_UNSUPPORTED ? R_UNSUPPORTED : R_FAIL;
            } else {
                for (int k = 0; k < n_out && result == R_PASS; k++)
                    if (!compare(name, k, out[k], ref[k], rtol, atol, msg, sizeof msg))
                        result = R_FAIL;
            }
            er_session_free(s);
        }
        for (int i = 0; i < 64; i++) {
            er_tensor_free(in[i]);
            er_tensor_free(ref[i]);
        }
    }
    if (result != R_PASS && verbose) printf("  %s: %s\n", name, msg);
    er_model_free(m);
    return result;
}

static int run_forked(const char *dir, const char *name, int use_fork) {
    if (!use_fork) return run_test(dir, name);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return run_test(dir, name);
    if (pid == 0) {
        alarm(60);
        int r = run_test(dir, name);
        fflush(stdout);
        _exit(r);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) <= R_UNSUPPORTED) return WEXITSTATUS(status);
    printf("  %s: CRASHED (%s %d)\n", name, WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return R_FAIL;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    const char *dir = getenv("EDGERUN_ONNX_NODE_TESTS");
    const char *filter = NULL, *expect = NULL, *write_path = NULL;
    int use_fork = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (strcmp(argv[i], "--no-fork") == 0) use_fork = 0;
        else if (strcmp(argv[i], "--via-erm") == 0) via_erm = 1;
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) filter = argv[++i];
        else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) expect = argv[++i];
        else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc) write_path = argv[++i];
        else if (argv[i][0] != '-') dir = argv[i];
        else {
            fprintf(stderr, "usage: %s [DIR] [--filter S] [-v] [--no-fork] [--via-erm] "
                    "[--expect FILE] [--write FILE]\n", argv[0]);
            return 2;
        }
    }
    if (!dir) dir = ER_DEFAULT_NODE_TESTS;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "node_tests: cannot open %s: %s (set EDGERUN_ONNX_NODE_TESTS or run "
                "scripts/gen-onnx-node-tests.sh)\n", dir, strerror(errno));
        return 2;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    char *res = calloc(n ? n : 1, 1);
    int counts[3] = {0, 0, 0}, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (filter && !strstr(names[i], filter)) {
            res[i] = -1;
            continue;
        }
        int r = run_forked(dir, names[i], use_fork);
        res[i] = (char)r;
        counts[r]++;
        total++;
        if (verbose) printf("%-60s %s\n", names[i], r == R_PASS ? "ok" : r == R_FAIL ? "FAILED" : "unsupported");
    }
    int regressions = 0;
    if (expect) {
        FILE *f = fopen(expect, "r");
        if (!f) {
            fprintf(stderr, "node_tests: cannot open %s\n", expect);
            return 2;
        }
        char line[512];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (!line[0] || line[0] == '#') continue;
            int found = 0;
            for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], line) == 0) {
                    found = 1;
                    if (res[i] != R_PASS && res[i] != -1) {
                        printf("REGRESSION: %s was passing\n", line);
                        regressions++;
                    }
                }
            if (!found) {
                printf("REGRESSION: %s is missing from the suite\n", line);
                regressions++;
            }
        }
        fclose(f);
    }
    if (write_path) {
        FILE *f = fopen(write_path, "w");
        if (f) {
            fprintf(f, "# ONNX node tests that pass (written by node_tests --write)\n");
            for (size_t i = 0; i < n; i++)
                if (res[i] == R_PASS) fprintf(f, "%s\n", names[i]);
            fclose(f);
        }
    }
    printf("onnx node tests: %d passed, %d failed, %d unsupported (of %d)%s\n", counts[R_PASS],
           counts[R_FAIL], counts[R_UNSUPPORTED], total, via_erm ? " via .erm" : "");
    if (regressions) printf("%d expected tests did not pass\n", regressions);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(res);
    return (counts[R_FAIL] || regressions) ? 1 : 0;
}
