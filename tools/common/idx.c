/* idx.c - IDX reader; gzip through zlib when the tool was built with it. */
#include "idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#ifdef ER_HAVE_ZLIB
#include <zlib.h>
#endif

static er_status read_all(const char *path, uint8_t **buf, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return er_fail(ER_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    fclose(f);
    int gz = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gz) {
#ifdef ER_HAVE_ZLIB
        gzFile z = gzopen(path, "rb");
        if (!z) return er_fail(ER_ERR_IO, "%s: cannot open gzip stream", path);
        size_t cap = 1 << 20, n = 0;
        uint8_t *b = malloc(cap);
        for (;;) {
            if (!b) {
                gzclose(z);
                return er_fail(ER_ERR_NOMEM, "%s: out of memory", path);
            }
            int r = gzread(z, b + n, (unsigned)(cap - n));
            if (r < 0) {
                free(b);
                gzclose(z);
                return er_fail(ER_ERR_IO, "%s: corrupt gzip data", path);
            }
            if (r == 0) break;
            n += (size_t)r;
            if (n == cap) {
                uint8_t *nb = realloc(b, cap * 2);
                if (!nb) free(b);
                b = nb;
                cap *= 2;
            }
        }
        gzclose(z);
        *buf = b;
        *size = n;
        return ER_OK;
#else
        return er_fail(ER_ERR_UNSUPPORTED, "%s: gzip input needs edgerun built with zlib "
                       "(apt install zlib1g-dev); or gunzip the file first", path);
#endif
    }
    f = fopen(path, "rb");
    if (!f) return er_fail(ER_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    if (n < 0) {
        fclose(f);
        return er_fail(ER_ERR_IO, "%s: cannot read", path);
    }
    uint8_t *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return er_fail(ER_ERR_IO, "%s: read failed", path);
    }
    fclose(f);
    *buf = b;
    *size = (size_t)n;
    return ER_OK;
}

er_status er_idx_read(const char *path, er_idx *out) {
    memset(out, 0, sizeof *out);
    uint8_t *b = NULL;
    size_t n = 0;
    ER_TRY(read_all(path, &b, &n));
    er_status st = ER_OK;
    if (n < 4 || b[0] != 0 || b[1] != 0) {
        st = er_fail(ER_ERR_INVALID_ARG, "%s: not an IDX file (bad magic)", path);
        goto done;
    }
    if (b[2] != 0x08) {
        st = er_fail(ER_ERR_UNSUPPORTED, "%s: IDX element type 0x%02x is not unsigned byte",
                     path, b[2]);
        goto done;
    }
    int rank = b[3];
    if (rank < 1 || rank > 4 || n < 4 + 4 * (size_t)rank) {
        st = er_fail(ER_ERR_INVALID_ARG, "%s: bad IDX rank %d or truncated header", path, rank);
        goto done;
    }
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        const uint8_t *p = b + 4 + 4 * i;
        uint32_t d = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        out->dims[i] = d;
        if (d && count > ((size_t)1 << 40) / d) {
            st = er_fail(ER_ERR_INVALID_ARG, "%s: IDX dims too large", path);
            goto done;
        }
        count *= d;
    }
    size_t hdr = 4 + 4 * (size_t)rank;
    if (n - hdr < count) {
        st = er_fail(ER_ERR_INVALID_ARG, "%s: IDX data has %zu bytes, dims need %zu", path,
                     n - hdr, count);
        goto done;
    }
    out->rank = rank;
    out->count = count;
    out->data = malloc(count ? count : 1);
    if (!out->data) {
        st = er_fail(ER_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    memcpy(out->data, b + hdr, count);
done:
    free(b);
    return st;
}

void er_idx_free(er_idx *x) {
    if (!x) return;
    free(x->data);
    x->data = NULL;
}
