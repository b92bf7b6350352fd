/* cmd_info.c - `edgerun info MODEL [--json]`: what a model is and costs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ops/op.h"
#include "runtime/session.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun info MODEL [--json] [--optimized] [--no-optimize]\n\n"
               "Prints inputs/outputs (shapes, dtypes), an op histogram, parameter count,\n"
               "weight bytes, multiply-accumulates per inference, the planned activation\n"
               "arena and the naive sum of activation sizes.\n\n"
               "  --json   one JSON object with keys inputs, outputs, ops, params,\n"
               "           weight_bytes, macs, arena_bytes, naive_activation_bytes\n"
               "  --optimized    also list the graph as it runs, after the optimization\n"
               "                 passes (fused ops, NHWC layout), one node per line\n"
               "  --no-optimize  plan the graph as imported (passes off); also\n"
               "                 EDGERUN_DISABLE_PASSES=name,... turns single passes off\n");
}

typedef struct { const char *op; int count; } op_count;

static void print_io(const er_session *s, int is_input, int json) {
    const er_graph *g = s->g;
    int n = is_input ? g->n_inputs : g->n_outputs;
    for (int i = 0; i < n; i++) {
        er_dtype dt;
        int rank;
        int64_t dims[ER_MAX_RANK];
        const char *name = g->values[is_input ? g->inputs[i] : g->outputs[i]].name;
        er_status st = is_input ? er_session_input_info(s, i, &dt, &rank, dims)
                                : er_session_output_info(s, i, &dt, &rank, dims);
        if (st != ER_OK) rank = -1, dt = g->values[g->outputs[i]].dtype;
        if (json) {
            printf("%s{\"name\": ", i ? ", " : "");
            cli_json_str(name);
            printf(", \"dtype\": \"%s\", \"shape\": ", er_dtype_name(dt));
            if (rank < 0) printf("null");
            else {
                printf("[");
                for (int k = 0; k < rank; k++) printf("%s%lld", k ? ", " : "", (long long)dims[k]);
                printf("]");
            }
            printf("}");
        } else {
            printf("  %-24s %-8s ", name, er_dtype_name(dt));
            if (rank < 0) printf("(known after a run)");
            else {
                printf("[");
                for (int k = 0; k < rank; k++) printf("%s%lld", k ? "," : "", (long long)dims[k]);
                printf("]");
            }
            printf("\n");
        }
    }
}

static void print_value(const er_graph *g, int v) {
    if (v < 0) {
        printf("-");
        return;
    }
    const er_value *x = &g->values[v];
    printf("%s%s", x->name, x->data ? "(const)" : "");
}

/* The graph as it runs: one line per node, with the planned output shape. */
static void print_graph(const er_session *s) {
    const er_graph *g = s->g;
    printf("graph as planned (%d nodes):\n", g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        printf("  %4d %s%s%-22s ", i, n->domain[0] ? n->domain : "", n->domain[0] ? "::" : "",
               n->op_type);
        for (int k = 0; k < n->n_in; k++) {
            printf(k ? ", " : "");
            print_value(g, n->in[k]);
        }
        printf(" -> ");
        for (int k = 0; k < n->n_out; k++) {
            printf(k ? ", " : "");
            print_value(g, n->out[k]);
            if (n->out[k] >= 0) {
                const er_tensor *t = &s->t[n->out[k]];
                printf(" ");
                for (int d = 0; d < t->rank; d++) printf("%s%lld", d ? "x" : "[", (long long)t->dims[d]);
                printf("%s", t->rank ? "]" : "[]");
            }
        }
        const char *act = er_attr_str(n, "act", NULL);
        if (act && strcmp(act, "none") != 0) printf("  act=%s", act);
        if (n->n_in > 3 && n->in[3] >= 0 && strcmp(n->op_type, "ConvNhwc") == 0) printf(" +residual");
        printf("\n");
    }
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0, show_graph = 0, optimize = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--optimized") == 0) {
            show_graph = 1;
        } else if (strcmp(argv[i], "--no-optimize") == 0) {
            optimize = 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "edgerun info: unknown option '%s'\n", argv[i]);
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
    er_model *m;
    if (er_model_load(path, &m) != ER_OK) return cli_fail("info");
    er_session *s;
    er_options o;
    er_options_init(&o);
    o.optimize = optimize;
    if (er_session_create(m, &o, &s) != ER_OK) {
        er_model_free(m);
        return cli_fail("info");
    }
    const er_graph *g = s->g;
    /* op histogram in first-seen order */
    op_count ops[512];
    int n_ops = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int k;
        for (k = 0; k < n_ops; k++)
            if (strcmp(ops[k].op, g->nodes[i].op_type) == 0) break;
        if (k == n_ops && n_ops < 512) ops[n_ops++] = (op_count){g->nodes[i].op_type, 0};
        if (k < n_ops) ops[k].count++;
    }
    uint64_t params = 0, weight_bytes = 0, macs = 0;
    for (int v = 0; v < g->n_values; v++) {
        const er_value *val = &g->values[v];
        if (!val->data) continue;
        params += er_shape_count(val->rank, val->dims);
        weight_bytes += val->data_bytes;
    }
    for (int i = 0; i < s->n_steps; i++) {
        const er_node *n = &g->nodes[s->steps[i].node];
        if (n->op->macs) macs += n->op->macs(&s->steps[i].ctx);
    }
    size_t arena = er_session_arena_bytes(s), naive = er_session_naive_activation_bytes(s);
    if (json) {
        printf("{\"model\": ");
        cli_json_str(path);
        printf(", \"inputs\": [");
        print_io(s, 1, 1);
        printf("], \"outputs\": [");
        print_io(s, 0, 1);
        printf("], \"ops\": {");
        for (int k = 0; k < n_ops; k++) {
            printf("%s", k ? ", " : "");
            cli_json_str(ops[k].op);
            printf(": %d", ops[k].count);
        }
        printf("}, \"nodes\": %d, \"params\": %llu, \"weight_bytes\": %llu, \"macs\": %llu, "
               "\"arena_bytes\": %zu, \"naive_activation_bytes\": %zu, \"dynamic\": %s}\n",
               g->n_nodes, (unsigned long long)params, (unsigned long long)weight_bytes,
               (unsigned long long)macs, arena, naive, er_session_is_dynamic(s) ? "true" : "false");
    } else {
        printf("model: %s (opset %lld, %d nodes)\n", path, (long long)g->opset, g->n_nodes);
        printf("inputs:\n");
        print_io(s, 1, 0);
        printf("outputs:\n");
        print_io(s, 0, 0);
        printf("ops:\n");
        for (int k = 0; k < n_ops; k++) printf("  %-24s %d\n", ops[k].op, ops[k].count);
        printf("params:                 %llu\n", (unsigned long long)params);
        printf("weight bytes:           %llu\n", (unsigned long long)weight_bytes);
        printf("MACs per inference:     %llu\n", (unsigned long long)macs);
        if (er_session_is_dynamic(s)) {
            printf("arena:                  dynamic (shapes depend on input values; buffers are "
                   "allocated per run)\n");
        } else {
            printf("arena bytes:            %zu\n", arena);
            printf("naive activation bytes: %zu", naive);
            if (naive) printf(" (arena is %.1f%% of naive)", 100.0 * (double)arena / (double)naive);
            printf("\n");
        }
    }
    if (show_graph && !json) print_graph(s);
    er_session_free(s);
    er_model_free(m);
    return 0;
}
