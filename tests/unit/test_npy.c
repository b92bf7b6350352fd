/* test_npy.c - .npy reading and writing. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/tensor.h"
#include "npy.h"
#include "test.h"

static const char *tmp_path(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/er_test_%d_%s", (int)getpid(), name);
    return buf;
}

TEST(npy_roundtrip_every_dtype) {
    const er_dtype dts[] = {ER_F32, ER_F16, ER_F64, ER_I8, ER_U8, ER_I16, ER_U16,
                            ER_I32, ER_U32, ER_I64, ER_U64, ER_BOOL};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        int64_t dims[3] = {2, 3, 5};
        er_tensor *t, *u;
        CHECK_STATUS(er_tensor_create(dts[k], 3, dims, &t), ER_OK);
        for (size_t i = 0; i < 30; i++) er_store_i64(er_tensor_data(t), dts[k], i, (int64_t)(i % 2 ? i : 0));
        const char *p = tmp_path("rt.npy");
        CHECK_STATUS(er_npy_write(p, t), ER_OK);
        CHECK_STATUS(er_npy_read(p, &u), ER_OK);
        CHECK(er_tensor_dtype(u) == dts[k] && er_tensor_rank(u) == 3);
        CHECK(er_tensor_dim(u, 2) == 5);
        CHECK(memcmp(er_tensor_data(t), er_tensor_data(u), er_tensor_size_bytes(t)) == 0);
        er_tensor_free(t);
        er_tensor_free(u);
        remove(p);
    }
}

TEST(npy_scalar_and_empty) {
    er_tensor *t, *u;
    CHECK_STATUS(er_tensor_create(ER_F32, 0, NULL, &t), ER_OK);
    ((float *)er_tensor_data(t))[0] = 4.5f;
    const char *p = tmp_path("scalar.npy");
    CHECK_STATUS(er_npy_write(p, t), ER_OK);
    CHECK_STATUS(er_npy_read(p, &u), ER_OK);
    CHECK(er_tensor_rank(u) == 0 && ((float *)er_tensor_data(u))[0] == 4.5f);
    er_tensor_free(t);
    er_tensor_free(u);
    int64_t dims[2] = {0, 4};
    CHECK_STATUS(er_tensor_create(ER_I64, 2, dims, &t), ER_OK);
    CHECK_STATUS(er_npy_write(p, t), ER_OK);
    CHECK_STATUS(er_npy_read(p, &u), ER_OK);
    CHECK(er_tensor_rank(u) == 2 && er_tensor_dim(u, 0) == 0 && er_tensor_count(u) == 0);
    er_tensor_free(t);
    er_tensor_free(u);
    remove(p);
}

static er_status parse(const char *hdr, size_t data_bytes, int version, er_tensor **out) {
    unsigned char buf[512] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    size_t hl = strlen(hdr), pre = version == 1 ? 10 : 12;
    buf[6] = (unsigned char)version;
    if (version == 1) {
        buf[8] = (unsigned char)hl;
    } else {
        buf[8] = (unsigned char)hl;
    }
    memcpy(buf + pre, hdr, hl);
    memset(buf + pre + hl, 0, data_bytes);
    return er_npy_parse(buf, pre + hl + data_bytes, "test.npy", out);
}

TEST(npy_v2_header) {
    er_tensor *t;
    CHECK_STATUS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8, 2, &t), ER_OK);
    CHECK(er_tensor_count(t) == 2);
    er_tensor_free(t);
}

TEST(npy_rejects_what_it_cannot_read) {
    er_tensor *t;
    CHECK_STATUS(parse("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", 8, 1, &t),
                 ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("'>f4'");
    CHECK_STATUS(parse("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", 8, 1, &t),
                 ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("Fortran");
    CHECK_STATUS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8, 1, &t),
                 ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("needs 12");
    CHECK_STATUS(parse("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", 8, 1, &t),
                 ER_ERR_UNSUPPORTED);
    CHECK_STATUS(parse("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", 8, 1, &t),
                 ER_ERR_UNSUPPORTED);
    CHECK_STATUS(er_npy_parse("\x93NUMPX", 6, "x.npy", &t), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("bad magic");
    CHECK_STATUS(er_npy_read("/nonexistent/x.npy", &t), ER_ERR_IO);
}
