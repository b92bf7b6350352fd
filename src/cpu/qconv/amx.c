/* amx.c - AMX tile permission (see amx.h). */
#include "cpu/qconv/amx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu_features.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(_M_X64))
#include <sys/syscall.h>
#include <unistd.h>
#define ER_ARCH_GET_XCOMP_PERM 0x1022
#define ER_ARCH_REQ_XCOMP_PERM 0x1023
#define ER_XFEATURE_XTILEDATA 18

static bool g_amx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void request(void) {
    const char *env = getenv("EDGERUN_NO_AMX");
    if (env && *env && *env != '0') return;
    if (!er_cpu()->amx_int8) return;
    if (syscall(SYS_arch_prctl, ER_ARCH_REQ_XCOMP_PERM, ER_XFEATURE_XTILEDATA) != 0) return;
    unsigned long bits = 0;
    if (syscall(SYS_arch_prctl, ER_ARCH_GET_XCOMP_PERM, &bits) != 0) return;
    g_amx = (bits & (1ul << ER_XFEATURE_XTILEDATA)) != 0;
}

bool er_amx_request(void) {
    pthread_once(&g_once, request);
    return g_amx;
}
#else
bool er_amx_request(void) { return false; }
#endif

/* ---- the AMX GEMM kernel a plan uses (qgemm_amx.h) ------------------------ */
#include "cpu/qconv/qgemm_amx.h"

static er_qamx_fn g_amx_override;

er_qamx_fn er_qamx_kernel(void) {
    if (g_amx_override) return g_amx_override;
#if defined(__x86_64__)
    return er_qu8_qc8w_gemm_32x32c64__amx;
#else
    return NULL;
#endif
}

void er_qamx_set_kernel(er_qamx_fn fn) { g_amx_override = fn; }

int er_qamx_pays(int64_t k, int64_t n) {
    if (g_amx_override) return 1;
    const char *env = getenv("EDGERUN_AMX");
    if (env && strcmp(env, "always") == 0) return 1;
    int64_t kp = (k + ER_QAMX_KP - 1) / ER_QAMX_KP * ER_QAMX_KP;
    return k >= 64 && n >= 64 && k * n >= 16384 && 3 * kp <= 4 * k;
}
