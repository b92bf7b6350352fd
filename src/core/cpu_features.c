/* cpu_features.c - cpuid/xgetbv on x86-64, getauxval on aarch64. */
#include "cpu_features.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ER_X86 1
#endif
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

static er_cpu_features g_cpu;
static er_isa g_isa;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#ifdef ER_X86
static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

static int cache_bytes(const char *name) {
    long v = -1;
#ifdef _SC_LEVEL1_DCACHE_SIZE
    if (strcmp(name, "l1d") == 0) v = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    if (strcmp(name, "l2") == 0) v = sysconf(_SC_LEVEL2_CACHE_SIZE);
#else
    (void)name;
#endif
    return v > 0 && v < (1L << 30) ? (int)v : 0;
}

static void detect(void) {
    memset(&g_cpu, 0, sizeof g_cpu);
#ifdef ER_X86
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28),
             f16c = c & (1u << 29);
        unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
        bool ymm_os = (xcr0 & 0x6) == 0x6;
        bool zmm_os = (xcr0 & 0xe6) == 0xe6;
        unsigned b7 = 0, c7 = 0, d7 = 0, a71 = 0, tmp;
        if (__get_cpuid_max(0, NULL) >= 7) {
            __cpuid_count(7, 0, tmp, b7, c7, d7);
            __cpuid_count(7, 1, a71, tmp, tmp, tmp);
        }
        bool avx2 = b7 & (1u << 5);
        g_cpu.avx2_fma = avx && avx2 && fma && f16c && ymm_os;
        bool f = b7 & (1u << 16), dq = b7 & (1u << 17), bw = b7 & (1u << 30), vl = b7 & (1u << 31);
        g_cpu.avx512 = g_cpu.avx2_fma && f && dq && bw && vl && zmm_os;
        g_cpu.avx512_vnni = g_cpu.avx512 && (c7 & (1u << 11));
        g_cpu.avx_vnni = g_cpu.avx2_fma && (a71 & (1u << 4));
        bool amx_os = (xcr0 & (3ull << 17)) == (3ull << 17);
        g_cpu.amx_int8 = (d7 & (1u << 24)) && (d7 & (1u << 25)) && amx_os;
    }
#endif
#if defined(__aarch64__)
    g_cpu.neon = true;
#ifdef HWCAP_ASIMDDP
    g_cpu.neon_dot = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
    g_cpu.l1d_bytes = cache_bytes("l1d");
    g_cpu.l2_bytes = cache_bytes("l2");
    er_isa best = ER_ISA_SCALAR;
    if (g_cpu.neon) best = ER_ISA_NEON;
    if (g_cpu.avx2_fma) best = ER_ISA_AVX2;
    if (g_cpu.avx512) best = ER_ISA_AVX512;
    const char *env = getenv("EDGERUN_ISA");
    if (env && *env && strcmp(env, "native") != 0) {
        er_isa cap = strcmp(env, "scalar") == 0 ? ER_ISA_SCALAR
                   : strcmp(env, "avx2") == 0 ? ER_ISA_AVX2
                   : strcmp(env, "avx512") == 0 ? ER_ISA_AVX512
                   : strcmp(env, "neon") == 0 ? ER_ISA_NEON : best;
        if (best == ER_ISA_NEON) best = cap == ER_ISA_SCALAR ? ER_ISA_SCALAR : best;
        else if (cap != ER_ISA_NEON && cap < best) best = cap;
    }
    g_isa = best;
}

const er_cpu_features *er_cpu(void) {
    pthread_once(&g_once, detect);
    return &g_cpu;
}

er_isa er_isa_detected(void) {
    pthread_once(&g_once, detect);
    return g_isa;
}

er_isa er_isa_effective(int cap) {
    er_isa isa = er_isa_detected();
    if (cap <= 0) return isa;
    if (isa == ER_ISA_NEON) return cap == ER_ISA_SCALAR ? ER_ISA_SCALAR : isa;
    if (cap == ER_ISA_NEON) return isa;
    return (er_isa)cap < isa ? (er_isa)cap : isa;
}

const char *er_isa_name(er_isa isa) {
    switch (isa) {
    case ER_ISA_SCALAR: return "scalar";
    case ER_ISA_AVX2: return "avx2";
    case ER_ISA_AVX512: return "avx512";
    case ER_ISA_NEON: return "neon";
    }
    return "unknown";
}
