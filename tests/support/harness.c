/* harness.c - runs every registered unit test. */
#include <stdlib.h>

#include "test.h"

typedef struct { const char *name; er_test_fn fn; } entry;
static entry g_tests[1024];
static int g_n;
int er_test_failed;

void er_test_register(const char *name, er_test_fn fn) {
    if (g_n < 1024) g_tests[g_n++] = (entry){name, fn};
}

static int cmp(const void *a, const void *b) {
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    qsort(g_tests, (size_t)g_n, sizeof(entry), cmp);
    int passed = 0, failed = 0;
    for (int i = 0; i < g_n; i++) {
        if (filter && !strstr(g_tests[i].name, filter)) continue;
        er_test_failed = 0;
        g_tests[i].fn();
        if (er_test_failed) {
            printf("FAIL %s\n", g_tests[i].name);
            failed++;
        } else {
            printf("ok   %s\n", g_tests[i].name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
