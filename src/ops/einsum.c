/* einsum.c - Einsum (ONNX opset 12, numpy.einsum semantics).
 *
 * Equation grammar: terms of letters (case-sensitive) with at most one
 * "..." each, separated by ',', optionally followed by "->" and the output
 * term; spaces are ignored. Without "->" the output is implicit: the
 * ellipsis dimensions, then every letter that occurs exactly once, in ASCII
 * order (upper case before lower case, as numpy). A letter repeated inside a
 * term takes a diagonal; letters missing from the output are summed.
 * Ellipsis dimensions broadcast like numpy (right-aligned, size 1 stretches);
 * an explicit output without "..." sums them.
 *
 * Labels are numbered 0..51 for letters (ASCII order) and 52.. for ellipsis
 * dimensions. Each input gets one stride per label (the sum of the strides of
 * its dimensions with that label, which walks diagonals; 0 where it
 * broadcasts). The kernel is the plain nested sum: for each output element,
 * an odometer over the summed labels multiplies one element of each input.
 * Floats accumulate in double, integers in uint64 (wrapping, never UB). */
#include <string.h>

#include "op.h"

#define E_MAX_IN 16
#define E_LETTERS 52
#define E_MAX_LABELS (E_LETTERS + ER_MAX_RANK)
#define E_MAX_EQ 512

typedef struct {
    int n_in;
    int out_rank;
    int out_label[ER_MAX_RANK];
    int n_sum;
    int sum_label[E_MAX_LABELS];
    int64_t size[E_MAX_LABELS];
    int64_t stride[E_MAX_IN][E_MAX_LABELS]; /* element stride of input k along a label */
} eplan;

static int letter_id(char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return 26 + (ch - 'a');
    return -1;
}

/* Parses one term into label ids; an ellipsis is stored as -1 (expanded
 * later). Returns the item count or -1 on a syntax error. */
static int parse_term(const char *s, size_t len, int *items, int max_items, bool *has_ell) {
    int n = 0;
    *has_ell = false;
    for (size_t i = 0; i < len;) {
        if (n >= max_items) return -1;
        if (s[i] == '.') {
            if (*has_ell || i + 3 > len || s[i + 1] != '.' || s[i + 2] != '.') return -1;
            *has_ell = true;
            items[n++] = -1;
            i += 3;
            continue;
        }
        int id = letter_id(s[i]);
        if (id < 0) return -1;
        items[n++] = id;
        i++;
    }
    return n;
}

static er_status build_plan(er_op_ctx *c, eplan *p) {
    const char *eq = er_attr_str(c->node, "equation", NULL);
    if (!eq) return er_fail(ER_ERR_INVALID_MODEL, "attribute 'equation' is required");
    char buf[E_MAX_EQ];
    size_t len = 0;
    for (const char *s = eq; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n') continue;
        if (len + 1 >= sizeof buf)
            return er_fail(ER_ERR_UNSUPPORTED, "equation is longer than %d characters",
                           E_MAX_EQ - 1);
        buf[len++] = *s;
    }
    buf[len] = 0;
    const char *arrow = strstr(buf, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - buf) : len;
    if (c->n_in < 1 || c->n_in > E_MAX_IN)
        return er_fail(ER_ERR_UNSUPPORTED, "has %d inputs, 1 to %d supported", c->n_in, E_MAX_IN);
    memset(p, 0, sizeof *p);
    p->n_in = c->n_in;
    for (int l = 0; l < E_MAX_LABELS; l++) p->size[l] = -1;

    /* input terms */
    int items[E_MAX_IN][ER_MAX_RANK + 1], n_items[E_MAX_IN];
    bool ell[E_MAX_IN];
    int ell_rank = 0, term = 0;
    size_t start = 0;
    for (size_t i = 0; i <= lhs_len; i++) {
        if (i < lhs_len && buf[i] != ',') continue;
        if (term >= c->n_in)
            return er_fail(ER_ERR_INVALID_MODEL, "equation '%s' has more terms than the %d "
                           "inputs", eq, c->n_in);
        int n = parse_term(buf + start, i - start, items[term], ER_MAX_RANK + 1, &ell[term]);
        if (n < 0)
            return er_fail(ER_ERR_INVALID_MODEL, "equation '%s': term %d is not letters with at "
                           "most one '...'", eq, term);
        n_items[term] = n;
        const er_tensor *x = c->in[term];
        int letters = n - (ell[term] ? 1 : 0);
        if (ell[term] ? x->rank < letters : x->rank != letters)
            return er_fail(ER_ERR_SHAPE, "input %d shape %s: equation term %d has %d subscripts",
                           term, er_op_shape_str(x), term, letters);
        if (ell[term] && x->rank - letters > ell_rank) ell_rank = x->rank - letters;
        term++;
        start = i + 1;
    }
    if (term != c->n_in)
        return er_fail(ER_ERR_INVALID_MODEL, "equation '%s' has %d terms for %d inputs", eq, term,
                       c->n_in);

    /* sizes and strides */
    int count[E_MAX_LABELS] = {0};
    for (int k = 0; k < c->n_in; k++) {
        const er_tensor *x = c->in[k];
        int letters = n_items[k] - (ell[k] ? 1 : 0);
        int e = x->rank - letters; /* ellipsis dims of this input */
        int64_t st[ER_MAX_RANK], s = 1;
        for (int d = x->rank - 1; d >= 0; d--) {
            st[d] = s;
            s *= x->dims[d];
        }
        int d = 0;
        for (int t = 0; t < n_items[k]; t++) {
            if (items[k][t] >= 0) {
                int l = items[k][t];
                count[l]++;
                if (p->size[l] >= 0 && p->size[l] != x->dims[d])
                    return er_fail(ER_ERR_SHAPE, "input %d shape %s: subscript '%c' has size "
                                   "%lld here and %lld elsewhere", k, er_op_shape_str(x),
                                   l < 26 ? 'A' + l : 'a' + (l - 26), (long long)x->dims[d],
                                   (long long)p->size[l]);
                p->size[l] = x->dims[d];
                p->stride[k][l] += st[d];
                d++;
                continue;
            }
            for (int j = 0; j < e; j++, d++) {
                int l = E_LETTERS + (ell_rank - e) + j;
                int64_t sz = x->dims[d];
                if (p->size[l] < 0 || p->size[l] == 1) {
                    p->size[l] = sz;
                } else if (sz != 1 && sz != p->size[l]) {
                    return er_fail(ER_ERR_SHAPE, "input %d shape %s: ellipsis dimension %d does "
                                   "not broadcast with size %lld", k, er_op_shape_str(x), d,
                                   (long long)p->size[l]);
                }
                if (sz != 1) p->stride[k][l] += st[d];
            }
        }
    }
    for (int j = 0; j < ell_rank; j++) count[E_LETTERS + j] = 1;

    /* output */
    bool in_out[E_MAX_LABELS] = {false};
    p->out_rank = 0;
    if (arrow) {
        int oi[ER_MAX_RANK + 1];
        bool oell;
        int n = parse_term(arrow + 2, strlen(arrow + 2), oi, ER_MAX_RANK + 1, &oell);
        if (n < 0)
            return er_fail(ER_ERR_INVALID_MODEL, "equation '%s': the output term is not letters "
                           "with at most one '...'", eq);
        for (int t = 0; t < n; t++) {
            if (oi[t] < 0) {
                for (int j = 0; j < ell_rank; j++) {
                    if (p->out_rank >= ER_MAX_RANK) goto too_big;
                    p->out_label[p->out_rank++] = E_LETTERS + j;
                    in_out[E_LETTERS + j] = true;
                }
                continue;
            }
            if (count[oi[t]] == 0 || in_out[oi[t]])
                return er_fail(ER_ERR_INVALID_MODEL, "equation '%s': output subscript '%c' is "
                               "repeated or not in any input", eq,
                               oi[t] < 26 ? 'A' + oi[t] : 'a' + (oi[t] - 26));
            if (p->out_rank >= ER_MAX_RANK) goto too_big;
            p->out_label[p->out_rank++] = oi[t];
            in_out[oi[t]] = true;
        }
    } else {
        for (int j = 0; j < ell_rank; j++) {
            p->out_label[p->out_rank++] = E_LETTERS + j;
            in_out[E_LETTERS + j] = true;
        }
        for (int l = 0; l < E_LETTERS; l++) {
            if (count[l] != 1) continue;
            if (p->out_rank >= ER_MAX_RANK) goto too_big;
            p->out_label[p->out_rank++] = l;
            in_out[l] = true;
        }
    }
    p->n_sum = 0;
    for (int l = 0; l < E_MAX_LABELS; l++)
        if (count[l] && !in_out[l]) p->sum_label[p->n_sum++] = l;
    return ER_OK;
too_big:
    return er_fail(ER_ERR_UNSUPPORTED, "equation '%s': output rank exceeds %d", eq, ER_MAX_RANK);
}

static er_status shape_einsum(er_op_ctx *c) {
    if (c->n_in < 1) return er_fail(ER_ERR_INVALID_MODEL, "needs at least one input");
    for (int i = 0; i < c->n_in; i++) {
        if (!c->in[i]) return er_fail(ER_ERR_INVALID_MODEL, "input %d is missing", i);
        ER_TRY(er_op_check_dtype(c, i, er_dt_numeric));
        ER_TRY(er_op_same_dtype(c, 0, i));
    }
    eplan p;
    ER_TRY(build_plan(c, &p));
    int64_t d[ER_MAX_RANK];
    for (int i = 0; i < p.out_rank; i++) d[i] = p.size[p.out_label[i]];
    er_op_set_output(c, 0, c->in[0]->dtype, p.out_rank, d);
    return ER_OK;
}

/* The nested sum, as a macro over the accumulator type and element load. */
#define EINSUM_KERNEL(NAME, ACC, LOAD, STORE)                                                  \
    static void NAME(const eplan *p, const er_op_ctx *c, er_dtype dt) {                        \
        int n_in = p->n_in;                                                                    \
        const void *xs[E_MAX_IN];                                                              \
        for (int k = 0; k < n_in; k++) xs[k] = c->in[k]->data;                                 \
        void *y = c->out[0]->data;                                                             \
        int64_t osz[ER_MAX_RANK], ssz[E_MAX_LABELS];                                           \
        int64_t ost[ER_MAX_RANK][E_MAX_IN], sst[E_MAX_LABELS][E_MAX_IN];                       \
        size_t out_n = 1;                                                                      \
        bool sum_empty = false;                                                                \
        for (int d = 0; d < p->out_rank; d++) {                                                \
            osz[d] = p->size[p->out_label[d]];                                                 \
            out_n *= (size_t)osz[d];                                                           \
            for (int k = 0; k < n_in; k++) ost[d][k] = p->stride[k][p->out_label[d]];          \
        }                                                                                      \
        for (int d = 0; d < p->n_sum; d++) {                                                   \
            ssz[d] = p->size[p->sum_label[d]];                                                 \
            if (ssz[d] == 0) sum_empty = true;                                                 \
            for (int k = 0; k < n_in; k++) sst[d][k] = p->stride[k][p->sum_label[d]];         \
        }                                                                                      \
        int64_t oidx[ER_MAX_RANK] = {0}, off[E_MAX_IN] = {0};                                  \
        for (size_t o = 0; o < out_n; o++) {                                                   \
            ACC acc = 0;                                                                       \
            if (!sum_empty) {                                                                  \
                int64_t sidx[E_MAX_LABELS] = {0}, so[E_MAX_IN];                                \
                for (int k = 0; k < n_in; k++) so[k] = off[k];                                 \
                for (;;) {                                                                     \
                    ACC prod = LOAD(0, so[0]);                                                 \
                    for (int k = 1; k < n_in; k++) prod *= LOAD(k, so[k]);                     \
                    acc += prod;                                                               \
                    int d = p->n_sum - 1;                                                      \
                    for (; d >= 0; d--) {                                                      \
                        for (int k = 0; k < n_in; k++) so[k] += sst[d][k];                     \
                        if (++sidx[d] < ssz[d]) break;                                         \
                        for (int k = 0; k < n_in; k++) so[k] -= sst[d][k] * ssz[d];            \
                        sidx[d] = 0;                                                           \
                    }                                                                          \
                    if (d < 0) break;                                                          \
                }                                                                              \
            }                                                                                  \
            STORE(o, acc);                                                                     \
            for (int d = p->out_rank - 1; d >= 0; d--) {                                       \
                for (int k = 0; k < n_in; k++) off[k] += ost[d][k];                            \
                if (++oidx[d] < osz[d]) break;                                                 \
                for (int k = 0; k < n_in; k++) off[k] -= ost[d][k] * osz[d];                   \
                oidx[d] = 0;                                                                   \
            }                                                                                  \
        }                                                                                      \
    }
#define LOAD_F32(k, at) ((double)((const float *)xs[k])[at])
#define STORE_F32(o, v) (((float *)y)[o] = (float)(v))
#define LOAD_F64(k, at) (((const double *)xs[k])[at])
#define STORE_F64(o, v) (((double *)y)[o] = (v))
#define LOAD_ANYF(k, at) er_load_f64(xs[k], dt, (size_t)(at))
#define STORE_ANYF(o, v) er_store_f64(y, dt, o, v)
#define LOAD_INT(k, at) ((uint64_t)er_load_i64(xs[k], dt, (size_t)(at)))
#define STORE_INT(o, v) er_store_i64(y, dt, o, (int64_t)(v))
EINSUM_KERNEL(einsum_f32, double, LOAD_F32, STORE_F32)
EINSUM_KERNEL(einsum_f64, double, LOAD_F64, STORE_F64)
EINSUM_KERNEL(einsum_anyf, double, LOAD_ANYF, STORE_ANYF)
EINSUM_KERNEL(einsum_int, uint64_t, LOAD_INT, STORE_INT)

static er_status run_einsum(er_op_ctx *c) {
    eplan p;
    ER_TRY(build_plan(c, &p));
    er_dtype dt = c->in[0]->dtype;
    switch (dt) {
    case ER_F32: einsum_f32(&p, c, dt); break;
    case ER_F64: einsum_f64(&p, c, dt); break;
    default:
        if (er_dtype_is_float(dt)) einsum_anyf(&p, c, dt);
        else einsum_int(&p, c, dt);
        break;
    }
    return ER_OK;
}

const er_op_def er_op_einsum = {.name = "Einsum", .min_opset = 12, .shape = shape_einsum,
                                .run = run_einsum};
