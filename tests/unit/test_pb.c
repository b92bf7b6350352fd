/* test_pb.c - the protobuf wire reader: values, bounds, messages with offsets. */
#include "import/onnx/pb_reader.h"
#include "support/pbw.h"
#include "test.h"

TEST(pb_reads_fields_of_each_wire_type) {
    pbw w = {0};
    pbw_int(&w, 1, 300);
    pbw_f32(&w, 2, 1.5f);
    pbw_str(&w, 3, "abc");
    pbw_tag(&w, 4, 1);
    uint64_t q = 0x0102030405060708ull;
    pbw_raw(&w, &q, 8);
    er_pb r = er_pb_init(w.d, w.d, w.n);
    er_pb_field f;
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK(f.num == 1 && f.wire == ER_PB_VARINT && f.u == 300);
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK(f.num == 2 && f.wire == ER_PB_I32);
    float v;
    uint32_t bits = (uint32_t)f.u;
    memcpy(&v, &bits, 4);
    CHECK(v == 1.5f);
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK(f.num == 3 && f.len == 3 && memcmp(f.data, "abc", 3) == 0);
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK(f.num == 4 && f.u == q);
    CHECK(er_pb_done(&r));
    pbw_free(&w);
}

TEST(pb_truncated_varint_names_offset) {
    uint8_t buf[] = {0x08, 0x96, 0x81}; /* field 1, varint that never ends */
    er_pb r = er_pb_init(buf, buf, sizeof buf);
    er_pb_field f;
    CHECK_STATUS(er_pb_next(&r, &f), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("truncated varint at offset 1");
}

TEST(pb_overlong_varint_is_refused) {
    uint8_t buf[12] = {0x08};
    for (int i = 1; i < 12; i++) buf[i] = 0xff;
    er_pb r = er_pb_init(buf, buf, sizeof buf);
    er_pb_field f;
    CHECK_STATUS(er_pb_next(&r, &f), ER_ERR_INVALID_MODEL);
}

TEST(pb_length_past_end_is_refused) {
    uint8_t buf[] = {0x12, 0x10, 'a', 'b'}; /* field 2, LEN 16, 2 bytes present */
    er_pb r = er_pb_init(buf, buf, sizeof buf);
    er_pb_field f;
    CHECK_STATUS(er_pb_next(&r, &f), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("runs past the end");
}

TEST(pb_huge_length_does_not_wrap) {
    pbw w = {0};
    pbw_tag(&w, 2, 2);
    pbw_varint(&w, UINT64_MAX - 1);
    er_pb r = er_pb_init(w.d, w.d, w.n);
    er_pb_field f;
    CHECK_STATUS(er_pb_next(&r, &f), ER_ERR_INVALID_MODEL);
    pbw_free(&w);
}

TEST(pb_groups_and_field_zero_are_refused) {
    uint8_t group[] = {0x0b}; /* field 1, wire 3 */
    er_pb r = er_pb_init(group, group, 1);
    er_pb_field f;
    CHECK_STATUS(er_pb_next(&r, &f), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("wire type 3");
    uint8_t zero[] = {0x00, 0x01};
    r = er_pb_init(zero, zero, 2);
    CHECK_STATUS(er_pb_next(&r, &f), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("invalid field number 0");
}

TEST(pb_packed_and_unpacked_repeated) {
    pbw w = {0}, packed = {0};
    pbw_varint(&packed, 1);
    pbw_varint(&packed, 1000);
    pbw_varint(&packed, (uint64_t)-5);
    pbw_msg(&w, 8, &packed);
    pbw_int(&w, 8, 7);
    er_pb r = er_pb_init(w.d, w.d, w.n);
    er_pb_field f;
    size_t n;
    uint64_t vals[3];
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK_STATUS(er_pb_packed_count(&r, &f, ER_PB_VARINT, &n), ER_OK);
    CHECK_EQ_INT(n, 3);
    CHECK_STATUS(er_pb_packed_read(&r, &f, ER_PB_VARINT, vals, n), ER_OK);
    CHECK(vals[0] == 1 && vals[1] == 1000 && (int64_t)vals[2] == -5);
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK_STATUS(er_pb_packed_count(&r, &f, ER_PB_VARINT, &n), ER_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_STATUS(er_pb_packed_read(&r, &f, ER_PB_VARINT, vals, 1), ER_OK);
    CHECK_EQ_INT(vals[0], 7);
    pbw_free(&w);
    pbw_free(&packed);
}

TEST(pb_packed_fixed_with_bad_length) {
    pbw w = {0};
    pbw_bytes(&w, 4, "\x00\x00\x80\x3f\x00", 5); /* 5 bytes: not a multiple of 4 */
    er_pb r = er_pb_init(w.d, w.d, w.n);
    er_pb_field f;
    size_t n;
    CHECK_STATUS(er_pb_next(&r, &f), ER_OK);
    CHECK_STATUS(er_pb_packed_count(&r, &f, ER_PB_I32, &n), ER_ERR_INVALID_MODEL);
    pbw_free(&w);
}
