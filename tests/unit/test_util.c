/* core/util and core/sstable/token: vints, instants, tokens, MD5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "core/repo/memo.h"
#include "core/sstable/token.h"
#include "core/util/bytes.h"
#include "core/util/instant.h"

static void test_uvint_examples(void **state)
{
	static const struct { const char *b; int n; uint64_t v; } ex[] = {
		{ "\x00", 1, 0 }, { "\x7f", 1, 127 }, { "\x80\x85", 2, 133 }, { "\xc0\x12\x34", 3, 0x1234 },
		{ "\x99\xaf", 2, 0x19af }, { "\xfc\x0b\xe0\x1f\x08\x04\xca", 7, 0x0be01f0804caull },
		{ "\xff\x01\x02\x03\x04\x05\x06\x07\x08", 9, 0x0102030405060708ull },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		uint64_t v;
		const uint8_t *p = (const uint8_t *)ex[i].b;
		assert_int_equal(uvint_get(p, p + ex[i].n, &v), ex[i].n);
		assert_int_equal(v, ex[i].v);
		/* a truncated number is not read */
		assert_int_equal(uvint_get(p, p + ex[i].n - 1, &v), 0);
	}
	/* non-minimal forms are accepted */
	uint64_t v;
	assert_int_equal(uvint_get((const uint8_t *)"\x80\x05", (const uint8_t *)"\x80\x05" + 2, &v), 2);
	assert_int_equal(v, 5);
}

static void test_uvint_roundtrip(void **state)
{
	(void)state;
	for (int bits = 0; bits <= 64; bits++) {
		uint64_t vals[3] = { bits ? (1ull << (bits - 1)) : 0, bits == 64 ? UINT64_MAX : (1ull << bits) - 1,
				     bits ? (1ull << (bits - 1)) + 1 : 1 };
		for (int k = 0; k < 3; k++) {
			uint8_t buf[9];
			uint64_t back;
			int n = uvint_put(buf, vals[k]);
			assert_int_equal(uvint_len(buf[0]), n);
			assert_int_equal(uvint_get(buf, buf + n, &back), n);
			assert_int_equal(back, vals[k]);
			/* shortest form: 7 value bits per byte up to 8 bytes */
			int want = 1;
			while (want < 9 && vals[k] >= (1ull << (7 * want)))
				want++;
			assert_int_equal(n, want);
		}
	}
	int64_t s[] = { 0, -1, 1, INT64_MIN, INT64_MAX, -123456789 };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		assert_int_equal(zigzag_dec(zigzag_enc(s[i])), s[i]);
	assert_int_equal(zigzag_enc(-1), 1);
	assert_int_equal(zigzag_enc(1), 2);
}

static void test_instants(void **state)
{
	int64_t us;
	(void)state;
	assert_int_equal(instant_parse("2026-11-20T03:00:00Z", &us, NULL), 0);
	assert_int_equal(us, 1795143600000000ll);
	assert_int_equal(instant_parse("2026-11-20T04:00:00.5+01:00", &us, NULL), 0);
	assert_int_equal(us, 1795143600500000ll);
	assert_int_equal(instant_parse("1969-12-31T23:59:59.999999Z", &us, NULL), 0);
	assert_int_equal(us, -1);
	assert_int_equal(instant_parse("@1795143600", &us, NULL), 0);
	assert_int_equal(us, 1795143600000000ll);
	assert_int_equal(instant_parse("@1.25", &us, NULL), 0);
	assert_int_equal(us, 1250000);
	struct pit_err err = { 0 };
	const char *bad[] = { "", "2026-02-30T00:00:00Z", "2026-11-20", "2026-11-20T03:00:00", "@", "@12x", "latest",
			      "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(instant_parse(bad[i], &us, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not an instant"));
	assert_int_equal(instant_parse("2024-02-29T00:00:00Z", &us, NULL), 0);
}

static void test_murmur3(void **state)
{
	(void)state;
	/* known values (Int32 keys), as Cassandra computes them */
	assert_int_equal(sst_murmur3_token((const uint8_t *)"\0\0\0\0", 4), -3485513579396041028ll);
	assert_int_equal(sst_murmur3_token((const uint8_t *)"\0\0\0\1", 4), -4069959284402364209ll);
	/* the fixtures' partition order 5, 1, 2, 4, 3 for int keys */
	int order[] = { 5, 1, 2, 4, 3 };
	for (int i = 0; i + 1 < 5; i++) {
		uint8_t a[4] = { 0, 0, 0, (uint8_t)order[i] }, b[4] = { 0, 0, 0, (uint8_t)order[i + 1] };
		assert_true(sst_murmur3_token(a, 4) < sst_murmur3_token(b, 4));
	}
	/* Cassandra sign-extends tail bytes: a key with a byte >= 0x80 in its tail
	 * hashes differently from the reference algorithm's unsigned reading.
	 * Known: the empty key hashes to 0 */
	assert_int_equal(sst_murmur3_token((const uint8_t *)"", 0), 0);
	/* text key "frodo" from the ma-2 fixture's dump */
	struct sst_token t;
	struct sbuf sb;
	sbuf_init(&sb);
	sst_token_of(SST_MURMUR3, (const uint8_t *)"\0\0\0\1", 4, &t);
	sst_token_format(&t, &sb);
	assert_string_equal(sb.buf, "-4069959284402364209");
	sbuf_release(&sb);
}

static void test_md5_and_random(void **state)
{
	uint8_t d[16];
	char hex[33];
	(void)state;
	sst_md5((const uint8_t *)"", 0, d);
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
	sst_md5((const uint8_t *)"abc", 3, d);
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
	const char *msg = "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
	sst_md5((const uint8_t *)msg, strlen(msg), d);
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	assert_string_equal(hex, "57edf4a22be3c955ac49da2e2107b67a");
	/* RandomPartitioner token: abs(BigInteger(md5)); "abc" has the high bit set */
	struct sst_token t;
	struct sbuf sb;
	sbuf_init(&sb);
	sst_token_of(SST_RANDOM, (const uint8_t *)"abc", 3, &t);
	sst_token_format(&t, &sb);
	assert_string_equal(sb.buf, "148866708576779697295343134153845407886");
	sbuf_release(&sb);
}

static void test_key_order(void **state)
{
	struct sst_token a, b;
	(void)state;
	sst_token_of(SST_BYTE_ORDERED, (const uint8_t *)"ab", 2, &a);
	sst_token_of(SST_BYTE_ORDERED, (const uint8_t *)"b", 1, &b);
	assert_true(sst_token_compare(&a, &b) < 0);
	assert_true(sst_key_compare(&a, a.key, 2, &a, a.key, 2) == 0);
}

static int memo_frees;

static void count_free(void *obj)
{
	(void)obj;
	memo_frees++;
}

static struct chunk_id key_of(int i)
{
	struct chunk_id k;

	memset(&k, 0, sizeof(k));
	k.b[0] = (uint8_t)i;
	return k;
}

/* The memo keeps at most so many bytes: the least recently used of what
 * nobody holds goes first, and what is held stays even past the bound. */
static void test_memo_bytes(void **state)
{
	static int objs[8];
	struct memo *m;
	struct chunk_id k[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		k[i] = key_of(i);
	assert_int_equal(memo_new(&m, 16, 100), 0);
	memo_frees = 0;
	memo_release(m, memo_put(m, 1, &k[0], &objs[0], 60, count_free));
	memo_release(m, memo_put(m, 1, &k[1], &objs[1], 60, count_free));	/* 0 goes */
	assert_null(memo_get(m, 1, &k[0]));
	assert_int_equal(memo_frees, 1);
	void *held = memo_get(m, 1, &k[1]);	/* 1 held */
	assert_ptr_equal(held, &objs[1]);
	assert_ptr_equal(memo_put(m, 1, &k[2], &objs[2], 60, count_free), &objs[2]);	/* past the bound */
	assert_int_equal(memo_frees, 1);
	memo_release(m, held);
	memo_release(m, memo_get(m, 1, &k[2]));	/* 2 used last */
	memo_release(m, &objs[2]);
	memo_release(m, memo_put(m, 1, &k[3], &objs[3], 10, count_free));	/* 1 goes, 2 fits beside it */
	assert_int_equal(memo_frees, 2);
	assert_null(memo_get(m, 1, &k[1]));
	void *two = memo_get(m, 1, &k[2]), *three = memo_get(m, 1, &k[3]);
	assert_ptr_equal(two, &objs[2]);
	assert_ptr_equal(three, &objs[3]);
	memo_release(m, two);
	memo_release(m, three);
	/* one larger than the bound is kept alone while held */
	void *big = memo_put(m, 1, &k[4], &objs[4], 500, count_free);
	assert_ptr_equal(big, &objs[4]);
	assert_int_equal(memo_frees, 4);
	memo_release(m, big);
	memo_free(m);
	assert_int_equal(memo_frees, 5);
	/* the bound in entries holds as before */
	assert_int_equal(memo_new(&m, 2, SIZE_MAX / 2), 0);
	memo_frees = 0;
	for (int i = 0; i < 3; i++)
		memo_release(m, memo_put(m, 2, &k[i], &objs[i], 1, count_free));
	assert_int_equal(memo_frees, 1);
	assert_null(memo_get(m, 2, &k[0]));
	memo_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uvint_examples), cmocka_unit_test(test_uvint_roundtrip),
		cmocka_unit_test(test_instants),       cmocka_unit_test(test_murmur3),
		cmocka_unit_test(test_md5_and_random), cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_memo_bytes),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
