/* checked_math.h - size arithmetic that reports overflow instead of wrapping.
 * Every size computed from model-file numbers goes through these. */
#ifndef ER_CORE_CHECKED_MATH_H
#define ER_CORE_CHECKED_MATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool er_mul_size(size_t *out, size_t a, size_t b) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool er_add_size(size_t *out, size_t a, size_t b) {
    return !__builtin_add_overflow(a, b, out);
}
static inline bool er_mul_i64(int64_t *out, int64_t a, int64_t b) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool er_add_i64(int64_t *out, int64_t a, int64_t b) {
    return !__builtin_add_overflow(a, b, out);
}
/* Rounds n up to a multiple of a (a is a power of two); false on overflow. */
static inline bool er_align_size(size_t *out, size_t n, size_t a) {
    size_t t;
    if (!er_add_size(&t, n, a - 1)) return false;
    *out = t & ~(a - 1);
    return true;
}

#endif
