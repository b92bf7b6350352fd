/* test.h - a tiny dependency-free test harness.
 *
 *   TEST(npy_roundtrip) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_STATUS(f(), ER_OK); }
 *
 * Tests register themselves (constructor attribute); main() in harness.c runs
 * them all (or those whose name contains argv[1]) and ends with the line
 * "N passed, N failed". A failed CHECK prints file:line and the values, and
 * ends that test. */
#ifndef ER_TEST_H
#define ER_TEST_H

#include <stdio.h>
#include <string.h>

#include "edgerun.h"

typedef void (*er_test_fn)(void);
void er_test_register(const char *name, er_test_fn fn);
/* Set by CHECK on failure; the test function returns right after. */
extern int er_test_failed;

#define TEST(name)                                                                             \
    static void test_##name(void);                                                             \
    __attribute__((constructor)) static void register_##name(void) {                          \
        er_test_register(#name, test_##name);                                                  \
    }                                                                                          \
    static void test_##name(void)

#define CHECK_MSG(cond, ...)                                                                   \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            printf("  %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);                  \
            printf(__VA_ARGS__);                                                               \
            printf("\n");                                                                      \
            er_test_failed = 1;                                                                \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define CHECK(cond) CHECK_MSG(cond, "%s", "")
#define CHECK_EQ_INT(a, b)                                                                     \
    CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a), (long long)(b))
#define CHECK_STATUS(expr, want)                                                               \
    do {                                                                                       \
        er_status st_ = (expr);                                                                \
        CHECK_MSG(st_ == (want), "status %s (%d), expected %s; last error: %s",                \
                  er_status_str(st_), (int)st_, er_status_str(want), er_last_error());         \
    } while (0)
/* The last error message contains `needle`. */
#define CHECK_ERROR_HAS(needle)                                                                \
    CHECK_MSG(strstr(er_last_error(), (needle)) != NULL, "error '%s' lacks '%s'",              \
              er_last_error(), (needle))

#endif
