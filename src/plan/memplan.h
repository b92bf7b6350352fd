/* memplan.h - static activation memory plan (greedy by size, first fit).
 *
 * Every activation buffer has a size and a lifetime [first, last] in
 * execution steps. Buffers are placed largest first; each goes at the lowest
 * offset where it overlaps no already-placed buffer whose lifetime
 * intersects its own (TFLite Micro's GreedyMemoryPlanner). Offsets are
 * multiples of ER_ALIGN and sizes are padded by ER_SIMD_PAD so kernels may
 * over-read a vector. The plan is deterministic: ties keep input order. */
#ifndef ER_PLAN_MEMPLAN_H
#define ER_PLAN_MEMPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "edgerun.h"

#define ER_SIMD_PAD 64

typedef struct er_buf_req {
    size_t size;   /* bytes requested */
    int first;     /* first step that writes it */
    int last;      /* last step that reads it (>= first) */
    size_t offset; /* result */
} er_buf_req;

/* Plans offsets for n buffers; *arena_bytes is the total needed. */
er_status er_memplan(er_buf_req *reqs, int n, size_t *arena_bytes);

/* True when no two buffers with intersecting lifetimes overlap in memory
 * and every buffer fits in arena_bytes (used by tests and debug builds). */
bool er_memplan_valid(const er_buf_req *reqs, int n, size_t arena_bytes);

#endif
