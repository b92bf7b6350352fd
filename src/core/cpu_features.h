/* cpu_features.h - what the CPU can run, detected once at run time.
 *
 * Kernels are chosen per session from these flags, never at build time, so
 * one binary carries the portable reference and every optimized variant.
 * EDGERUN_ISA=scalar|avx2|avx512|native caps the level (tests force each one);
 * er_options.force_isa does the same per session. */
#ifndef ER_CORE_CPU_FEATURES_H
#define ER_CORE_CPU_FEATURES_H

#include <stdbool.h>

/* ISA tiers, ordered: a tier implies the ones below it. */
typedef enum er_isa {
    ER_ISA_SCALAR = 1, /* portable C (auto-vectorized by the compiler)     */
    ER_ISA_AVX2 = 2,   /* x86-64: AVX2 + FMA + F16C                          */
    ER_ISA_AVX512 = 3, /* x86-64: AVX-512 F/BW/DQ/VL                         */
    ER_ISA_NEON = 4,   /* aarch64: Advanced SIMD (a separate branch of tiers) */
} er_isa;

typedef struct er_cpu_features {
    bool avx2_fma;    /* AVX2 + FMA + F16C, OS saves YMM */
    bool avx512;      /* AVX-512 F+BW+DQ+VL, OS saves ZMM */
    bool avx512_vnni; /* VPDPBUSD on zmm */
    bool avx_vnni;    /* VEX-encoded VPDPBUSD on ymm */
    bool amx_int8;    /* AMX tiles with int8 (OS permission requested separately) */
    bool neon;        /* aarch64 Advanced SIMD */
    bool neon_dot;    /* aarch64 SDOT/UDOT */
    int l1d_bytes, l2_bytes; /* per-core data caches (0 = unknown) */
} er_cpu_features;

/* Detected features (cached; thread-safe). */
const er_cpu_features *er_cpu(void);

/* The best tier this CPU supports, capped by $EDGERUN_ISA. */
er_isa er_isa_detected(void);

/* min(detected, cap) where cap 0 means no cap. */
er_isa er_isa_effective(int cap);

const char *er_isa_name(er_isa isa);

#endif
