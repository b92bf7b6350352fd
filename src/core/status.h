/* status.h - errors as values.
 *
 * Every failure is one statement: `return er_fail(ER_ERR_SHAPE, "node '%s' ...", ...)`.
 * The message goes to a thread-local buffer read by er_last_error(). Callers
 * that add context on the way up use er_error_prefix() so the final message
 * reads outermost-first: "model.onnx: node 'conv1' (Conv): input 0 ...". */
#ifndef ER_CORE_STATUS_H
#define ER_CORE_STATUS_H

#include "edgerun.h"

#if defined(__GNUC__)
#define ER_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ER_PRINTF(a, b)
#endif

/* Sets the thread's error message and returns st. */
er_status er_fail(er_status st, const char *fmt, ...) ER_PRINTF(2, 3);

/* Prepends formatted context to the current message. Returns nothing so it
 * can be used right before `return st;`. */
void er_error_prefix(const char *fmt, ...) ER_PRINTF(1, 2);

/* Clears the message (called at the start of public entry points). */
void er_error_clear(void);

/* Propagate a failure: `ER_TRY(f(x));` */
#define ER_TRY(expr)                                                                           \
    do {                                                                                       \
        er_status er_try_st_ = (expr);                                                         \
        if (er_try_st_ != ER_OK) return er_try_st_;                                            \
    } while (0)

#endif
