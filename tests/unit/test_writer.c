/* core/sstable's writing side against what Cassandra wrote: the cardinality
 * estimator, the Bloom filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sstable/bloom.h"
#include "core/sstable/hll.h"
#include "core/sstable/reader.h"
#include "core/util/bytes.h"
#include "tests/lib/testlib.h"

static const char *FX;

#define NEED_FIXTURES()                                                                   \
	do {                                                                              \
		if (!FX) {                                                                \
			printf("# skipped: no fixtures (../shared/fixtures or $PITFS_FIXTURES)\n"); \
			skip();                                                           \
		}                                                                         \
	} while (0)

struct keys {
	uint8_t **k;
	size_t *n;
	int count;
};

static void read_keys(const char *rel, struct keys *ks)
{
	char path[4096];
	struct sst *s = NULL;
	struct sst_scan *sc = NULL;
	struct pit_err err = { 0 };
	const struct sst_partition *p;

	snprintf(path, sizeof(path), "%s/%s", FX, rel);
	memset(ks, 0, sizeof(*ks));
	assert_int_equal(sst_open_path(&s, path, &err), 0);
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	while (sst_scan_next_partition(sc, &p, &err) == 1) {
		ks->k = realloc(ks->k, (size_t)(ks->count + 1) * sizeof(*ks->k));
		ks->n = realloc(ks->n, (size_t)(ks->count + 1) * sizeof(*ks->n));
		ks->k[ks->count] = malloc(p->key_len + 1);
		memcpy(ks->k[ks->count], p->key, p->key_len);
		ks->n[ks->count++] = p->key_len;
	}
	sst_scan_close(sc);
	sst_close(s);
}

static void free_keys(struct keys *ks)
{
	for (int i = 0; i < ks->count; i++)
		free(ks->k[i]);
	free(ks->k);
	free(ks->n);
}

static uint8_t *fixture_file(const char *rel, size_t *n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", FX, rel);
	uint8_t *p = (uint8_t *)tl_read_file(path, n);
	assert_non_null(p);
	return p;
}

/* The compaction component of Statistics.db: i32 length + the estimator. */
static void check_hll(const char *prefix)
{
	char rel[512];
	struct keys ks;
	size_t n;
	struct sst_hll *h = NULL;
	struct sbuf sb;

	snprintf(rel, sizeof(rel), "%sData.db", prefix);
	read_keys(rel, &ks);
	snprintf(rel, sizeof(rel), "%sStatistics.db", prefix);
	uint8_t *st = fixture_file(rel, &n);
	uint32_t count = be32(st), off = 0;
	for (uint32_t i = 0; i < count; i++)
		if (be32(st + 8 + 8 * i) == 1)	/* COMPACTION */
			off = be32(st + 12 + 8 * i);
	assert_true(off > 0);
	uint32_t len = be32(st + off);
	assert_int_equal(sst_hll_new(&h), 0);
	for (int i = 0; i < ks.count; i++)
		assert_int_equal(sst_hll_offer(h, sst_murmur2_64(ks.k[i], ks.n[i])), 0);
	sbuf_init(&sb);
	assert_int_equal(sst_hll_serialize(h, &sb), 0);
	printf("# %s: %d keys, estimator of %u bytes\n", prefix, ks.count, len);
	assert_int_equal(sb.len, len);
	assert_memory_equal(sb.buf, st + off + 4, len);
	sbuf_release(&sb);
	sst_hll_free(h);
	free(st);
	free_keys(&ks);
}

static void test_hll_as_cassandra(void **state)
{
	(void)state;
	NEED_FIXTURES();
	check_hll("sstable-transformer-nb-two-sstables/spark_test/test3/nb-1-big-");
	check_hll("sstable-transformer-nb-two-sstables/spark_test/test3/nb-2-big-");
	check_hll("sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-");	/* dense form */
}

static void check_bloom(const char *prefix)
{
	char rel[512];
	struct keys ks;
	size_t n;
	struct sst_bloom *b = NULL;
	struct sbuf sb;

	snprintf(rel, sizeof(rel), "%sData.db", prefix);
	read_keys(rel, &ks);
	snprintf(rel, sizeof(rel), "%sFilter.db", prefix);
	uint8_t *f = fixture_file(rel, &n);
	/* Cassandra sizes the filter from an estimated key count: take one that
	 * gives the size it chose */
	uint64_t words = be32(f + 4), nkeys = (words * 64 - 20) / 10;
	assert_int_equal(sst_bloom_new(&b, nkeys, 0.01), 0);
	for (int i = 0; i < ks.count; i++)
		sst_bloom_add(b, ks.k[i], ks.n[i]);
	for (int i = 0; i < ks.count; i++)
		assert_true(sst_bloom_maybe(b, ks.k[i], ks.n[i]));
	sbuf_init(&sb);
	assert_int_equal(sst_bloom_serialize(b, &sb), 0);
	printf("# %s: %d keys, filter of %zu bytes, %d hashes\n", prefix, ks.count, n, sst_bloom_hash_count(b));
	assert_int_equal(sb.len, n);
	assert_memory_equal(sb.buf, f, n);
	sbuf_release(&sb);
	sst_bloom_free(b);
	free(f);
	free_keys(&ks);
}

static void test_bloom_as_cassandra(void **state)
{
	(void)state;
	NEED_FIXTURES();
	check_bloom("sstable-transformer-nb-two-sstables/spark_test/test3/nb-1-big-");
	check_bloom("sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hll_as_cassandra),
		cmocka_unit_test(test_bloom_as_cassandra),
	};
	FX = tl_fixtures();
	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
