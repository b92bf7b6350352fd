/* act.c - reference activations (the truth for the vectorized epilogues). */
#include "act.h"

#include <math.h>
#include <string.h>

void er_act_apply_ref(const er_act *a, float *y, size_t n) {
    switch (a->kind) {
    case ER_ACT_NONE: break;
    case ER_ACT_RELU:
        for (size_t i = 0; i < n; i++) y[i] = y[i] > 0 ? y[i] : 0;
        break;
    case ER_ACT_CLIP:
        for (size_t i = 0; i < n; i++) {
            float v = y[i] < a->min ? a->min : y[i];
            y[i] = v > a->max ? a->max : v;
        }
        break;
    case ER_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) y[i] = y[i] >= 0 ? y[i] : a->alpha * y[i];
        break;
    case ER_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) y[i] = (float)(1.0 / (1.0 + exp(-(double)y[i])));
        break;
    case ER_ACT_HARD_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            float v = a->alpha * y[i] + a->beta;
            y[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        break;
    case ER_ACT_HARD_SWISH:
        for (size_t i = 0; i < n; i++) {
            float v = y[i] / 6.0f + 0.5f;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            y[i] = y[i] * v;
        }
        break;
    case ER_ACT_SILU:
        for (size_t i = 0; i < n; i++) y[i] = (float)((double)y[i] / (1.0 + exp(-(double)y[i])));
        break;
    case ER_ACT_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanhf(y[i]);
        break;
    }
}

static const char *const k_names[] = {"none", "relu", "clip", "leaky_relu", "sigmoid",
                                      "hard_sigmoid", "hard_swish", "silu", "tanh"};

const char *er_act_name(er_act_kind k) {
    return (unsigned)k < sizeof k_names / sizeof k_names[0] ? k_names[k] : "none";
}

int er_act_from_name(const char *name, er_act_kind *out) {
    for (unsigned i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
        if (strcmp(k_names[i], name) == 0) {
            *out = (er_act_kind)i;
            return 1;
        }
    return 0;
}
