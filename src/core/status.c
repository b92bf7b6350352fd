/* status.c - thread-local error message storage. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ER_MSG_MAX 2048

static _Thread_local char g_msg[ER_MSG_MAX];

er_status er_fail(er_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
    return st;
}

void er_error_prefix(const char *fmt, ...) {
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    size_t plen = strlen(prefix), mlen = strlen(g_msg);
    if (plen + mlen + 1 > sizeof g_msg) mlen = sizeof g_msg - 1 - plen;
    memmove(g_msg + plen, g_msg, mlen);
    memcpy(g_msg, prefix, plen);
    g_msg[plen + mlen] = '\0';
}

void er_error_clear(void) { g_msg[0] = '\0'; }

const char *er_last_error(void) { return g_msg; }

const char *er_status_str(er_status st) {
    switch (st) {
    case ER_OK: return "ok";
    case ER_ERR_INVALID_ARG: return "invalid argument";
    case ER_ERR_INVALID_MODEL: return "invalid model";
    case ER_ERR_UNSUPPORTED: return "unsupported";
    case ER_ERR_SHAPE: return "shape error";
    case ER_ERR_NOMEM: return "out of memory";
    case ER_ERR_IO: return "i/o error";
    case ER_ERR_BACKEND: return "backend error";
    case ER_ERR_STATE: return "bad call order";
    case ER_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *er_version(void) { return "0.1.0"; }
