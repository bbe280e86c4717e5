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
#include "core/sstable/writer.h"
#include "core/sstable/writer_impl.h"
#include "core/util/bytes.h"
#include "tests/lib/sstbuild.h"
#include "tests/lib/testlib.h"

static const char *FX;


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

/* The tombstone drop-time histogram, by the rules of Cassandra's
 * StreamingTombstoneHistogramBuilder: points rounded up to the minute, at
 * most 100 bins, the nearest two merged into their integer weighted mean,
 * itself rounded up. */
static void test_tombstone_histogram(void **state)
{
	(void)state;
	struct collector c;

	/* 101 points a minute apart: only the leftmost pair merges, 60 and 120 into 90, shown as 120 */
	assert_int_equal(collector_init(&c), 0);
	for (int k = 101; k >= 1; k--)
		collector_ldt(&c, 60 * k - 30);
	collector_finish(&c);
	assert_int_equal(c.ntomb, 100);
	assert_int_equal(c.tomb_point[0], 120);
	assert_int_equal(c.tomb_count[0], 2);
	for (int i = 1; i < 100; i++) {
		assert_int_equal(c.tomb_point[i], 60 * (i + 2));
		assert_int_equal(c.tomb_count[i], 1);
	}
	collector_release(&c);

	/* a weighted mean: 60 x3 and 120 x1 give 75, rounded up to 120, not 75.0 */
	assert_int_equal(collector_init(&c), 0);
	for (int i = 0; i < 3; i++)
		collector_ldt(&c, 60);
	collector_ldt(&c, 120);
	for (int k = 0; k < 99; k++)
		collector_ldt(&c, 60000 + 600 * k);
	collector_ldt(&c, SST_NO_LDT);	/* lives forever: not a tombstone */
	collector_finish(&c);
	assert_int_equal(c.ntomb, 100);
	assert_int_equal(c.tomb_point[0], 120);
	assert_int_equal(c.tomb_count[0], 4);
	collector_release(&c);

	/* more points than the spool holds: it drains along the way, nothing is lost */
	assert_int_equal(collector_init(&c), 0);
	for (int k = 0; k < 200000; k++)
		collector_ldt(&c, 1700000000 + 60 * (int64_t)((k * 7919) % 200000));
	collector_finish(&c);
	assert_int_equal(c.ntomb, 100);
	int64_t total = 0;
	for (int i = 0; i < c.ntomb; i++) {
		total += c.tomb_count[i];
		assert_int_equal(c.tomb_point[i] % 60, 0);
		if (i)
			assert_true(c.tomb_point[i] > c.tomb_point[i - 1]);
	}
	assert_int_equal(total, 200000);
	collector_release(&c);
}

static void test_hll_as_cassandra(void **state)
{
	(void)state;
	TL_NEED_FIXTURES(FX);
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
	TL_NEED_FIXTURES(FX);
	check_bloom("sstable-transformer-nb-two-sstables/spark_test/test3/nb-1-big-");
	check_bloom("sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-");
}

/* ---- writing: what the reader reads back, and what Cassandra wrote ---- */

static char *tmpdir(void)
{
	static char d[64];
	snprintf(d, sizeof(d), "/tmp/pitfs-writer-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(const char *d)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	assert_int_equal(system(cmd), 0);
}

/* Copies every partition and unfiltered of src into a new nb SSTable. */
static void rewrite(struct sst *src, const char *dir, int gen, bool compress)
{
	const struct sst_stats *st = sst_stats(src);
	struct sst_writer_opts o = { .compress = compress, .enc_min_ts = st->enc_min_timestamp,
				     .enc_min_ldt = st->enc_min_ldt, .enc_min_ttl = st->enc_min_ttl,
				     .partitioner = st->partitioner_class, .has_host_id = st->has_host_id };
	struct sst_writer *w = NULL;
	struct sst_scan *sc = NULL;
	struct pit_err err = { 0 };
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	int rc;

	memcpy(o.host_id, st->host_id, 16);
	assert_int_equal(sst_writer_open(&w, dir, gen, sst_header(src), &o, &err), 0);
	assert_int_equal(sst_scan_open(&sc, src, &err), 0);
	while ((rc = sst_scan_next_partition(sc, &p, &err)) == 1) {
		assert_int_equal(sst_writer_partition(w, p->key, p->key_len, &p->deletion, &err), 0);
		while ((rc = sst_scan_next(sc, &u, &err)) == 1)
			if (sst_writer_add(w, u, &err) < 0)
				fail_msg("%s", err.msg);
		assert_int_equal(rc, 0);
		assert_int_equal(sst_writer_end_partition(w, &err), 0);
	}
	assert_int_equal(rc, 0);
	if (sst_writer_finish(w, &err) < 0)
		fail_msg("%s", err.msg);
	sst_writer_close(w);
	sst_scan_close(sc);
}

static uint8_t *decompressed(struct sst *s, size_t *n)
{
	struct pit_err err = { 0 };
	*n = (size_t)sst_data_length(s);
	uint8_t *buf = malloc(*n + 1);
	for (size_t off = 0; off < *n;) {
		const uint8_t *q;
		ssize_t k = sst_data_map(s, off, &q, &err);
		assert_true(k > 0);
		memcpy(buf + off, q, (size_t)k);
		off += (size_t)k;
	}
	return buf;
}

static void same_file(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *pa = (uint8_t *)tl_read_file(a, &na), *pb = (uint8_t *)tl_read_file(b, &nb);
	assert_non_null(pa);
	assert_non_null(pb);
	if (na != nb || memcmp(pa, pb, na))
		fail_msg("%s and %s differ (%zu and %zu bytes)", a, b, na, nb);
	free(pa);
	free(pb);
}

/* The real nb SSTables, decoded and written back with their timestamps: the
 * decompressed Data.db, Index.db, Summary.db and Filter.db are Cassandra's
 * bytes exactly. Statistics.db differs where it records where the data came
 * from (commit log positions), which a rewrite cannot know. */
static void test_nb_fidelity(void **state)
{
	static const char *tables[] = { "nb-1", "nb-2" };
	(void)state;
	TL_NEED_FIXTURES(FX);
	for (int t = 0; t < 2; t++) {
		char path[8192], orig[4096];
		struct sst *src = NULL, *back = NULL;
		struct pit_err err = { 0 };
		char *dir = tmpdir();
		snprintf(orig, sizeof(orig), "%s/sstable-transformer-nb-two-sstables/spark_test/test3/%s-big-", FX, tables[t]);
		snprintf(path, sizeof(path), "%sData.db", orig);
		assert_int_equal(sst_open_path(&src, path, &err), 0);
		rewrite(src, dir, t + 1, true);
		snprintf(path, sizeof(path), "%s/nb-%d-big-Data.db", dir, t + 1);
		if (sst_open_path(&back, path, &err) < 0)
			fail_msg("%s", err.msg);
		size_t n1, n2;
		uint8_t *d1 = decompressed(src, &n1), *d2 = decompressed(back, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(d1, d2, n1);
		free(d1);
		free(d2);
		static const char *same[] = { "Index.db", "Summary.db", "Filter.db", "Digest.crc32", "CompressionInfo.db" };
		for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++) {
			char a[8192], b[8192];
			snprintf(a, sizeof(a), "%s%s", orig, same[k]);
			snprintf(b, sizeof(b), "%s/nb-%d-big-%s", dir, t + 1, same[k]);
			same_file(a, b);
		}
		/* Statistics.db: the same stats where they do not depend on the commit log */
		const struct sst_stats *a = sst_stats(src), *b = sst_stats(back);
		assert_int_equal(a->min_timestamp, b->min_timestamp);
		assert_int_equal(a->max_timestamp, b->max_timestamp);
		assert_int_equal(a->min_ldt, b->min_ldt);
		assert_int_equal(a->max_ldt, b->max_ldt);
		assert_int_equal(a->min_ttl, b->min_ttl);
		assert_int_equal(a->max_ttl, b->max_ttl);
		assert_int_equal(a->total_rows, b->total_rows);
		assert_int_equal(a->total_columns_set, b->total_columns_set);
		assert_int_equal(a->partition_count_estimate, b->partition_count_estimate);
		assert_true(a->compression_ratio == b->compression_ratio);
		assert_memory_equal(a->host_id, b->host_id, 16);
		sst_close(back);
		sst_close(src);
		rmtree(dir);
	}
}

/* Two SSTables hold the same data: every partition, unfiltered and cell. */
static void same_content(struct sst *a, struct sst *b)
{
	struct sst_scan *sa = NULL, *sb = NULL;
	struct pit_err err = { 0 };
	const struct sst_partition *pa, *pb;
	const struct sst_unfiltered *ua, *ub;
	int ra, rb, nparts = 0, nunf = 0;
	const uint8_t keep = SST_CELL_DELETED | SST_CELL_EXPIRING;

	assert_int_equal(sst_scan_open(&sa, a, &err), 0);
	assert_int_equal(sst_scan_open(&sb, b, &err), 0);
	while ((ra = sst_scan_next_partition(sa, &pa, &err)) == 1) {
		assert_int_equal(sst_scan_next_partition(sb, &pb, &err), 1);
		assert_int_equal(pa->key_len, pb->key_len);
		assert_memory_equal(pa->key, pb->key, pa->key_len);
		assert_int_equal(pa->deletion.mfda, pb->deletion.mfda);
		assert_int_equal(pa->deletion.ldt, pb->deletion.ldt);
		nparts++;
		while ((ra = sst_scan_next(sa, &ua, &err)) == 1) {
			rb = sst_scan_next(sb, &ub, &err);
			if (rb != 1)
				fail_msg("%d: %s", rb, err.msg);
			nunf++;
			assert_int_equal(ua->kind, ub->kind);
			assert_int_equal(ua->nclust, ub->nclust);
			for (int i = 0; i < ua->nclust; i++) {
				assert_int_equal(ua->clen[i], ub->clen[i]);
				assert_memory_equal(ua->cval[i], ub->cval[i], ua->clen[i]);
				assert_int_equal(ua->cstate[i] == SST_CK_NULL, ub->cstate[i] == SST_CK_NULL);
			}
			if (ua->kind == SST_MARKER) {
				assert_int_equal(ua->bound, ub->bound);
				for (int k = 0; k < 2; k++) {
					assert_int_equal(ua->marker[k].mfda, ub->marker[k].mfda);
					assert_int_equal(ua->marker[k].ldt, ub->marker[k].ldt);
				}
				continue;
			}
			assert_int_equal(ua->liveness.ts, ub->liveness.ts);
			assert_int_equal(ua->liveness.ldt, ub->liveness.ldt);
			assert_int_equal(ua->deletion.mfda, ub->deletion.mfda);
			assert_int_equal(ua->deletion.ldt, ub->deletion.ldt);
			assert_int_equal(ua->shadowable, ub->shadowable);
			assert_int_equal(ua->ncells, ub->ncells);
			for (uint32_t i = 0; i < ua->ncells; i++) {
				const struct sst_cell *x = &ua->cells[i], *y = &ub->cells[i];
				assert_int_equal(x->col, y->col);
				assert_int_equal(x->flags & keep, y->flags & keep);
				assert_int_equal(x->ts, y->ts);
				assert_int_equal(x->ldt, y->ldt);
				if (x->flags & SST_CELL_EXPIRING)
					assert_int_equal(x->ttl, y->ttl);
				assert_int_equal(x->path_len, y->path_len);
				if (x->path_len)
					assert_memory_equal(x->path, y->path, x->path_len);
				assert_int_equal(x->len, y->len);
				if (x->len)
					assert_memory_equal(x->value, y->value, x->len);
			}
			assert_int_equal(ua->ncomplex, ub->ncomplex);
			for (uint32_t i = 0; i < ua->ncomplex; i++) {
				assert_int_equal(ua->complex[i].col, ub->complex[i].col);
				assert_int_equal(ua->complex[i].del.mfda, ub->complex[i].del.mfda);
			}
		}
		assert_int_equal(ra, 0);
		assert_int_equal(sst_scan_next(sb, &ub, &err), 0);
	}
	assert_int_equal(ra, 0);
	assert_int_equal(sst_scan_next_partition(sb, &pb, &err), 0);
	printf("# %d partitions, %d unfiltereds the same\n", nparts, nunf);
	sst_scan_close(sa);
	sst_scan_close(sb);
}

/* Every feature the reader knows, through the writer and back: every SSTable
 * of the fixtures (any version) rewritten as nb, compressed and not. */
static void test_round_trip_fixtures(void **state)
{
	char **files;
	int n, done = 0;

	(void)state;
	TL_NEED_FIXTURES(FX);
	n = tl_find(FX, "-Data.db", &files);
	for (int i = 0; i < n; i++) {
		if (strstr(files[i], "integrity-broken") || strstr(files[i], "system/batches"))
			continue;
		struct sst *src = NULL, *back = NULL;
		struct pit_err err = { 0 };
		assert_int_equal(sst_open_path(&src, files[i], &err), 0);
		if (sst_stats(src)->partitioner == SST_LOCAL) {
			sst_close(src);
			continue;
		}
		for (int compress = 0; compress < 2; compress++) {
			char *dir = tmpdir(), path[128];
			rewrite(src, dir, 7, compress);
			snprintf(path, sizeof(path), "%s/nb-7-big-Data.db", dir);
			if (sst_open_path(&back, path, &err) < 0)
				fail_msg("%s: %s", files[i], err.msg);
			same_content(src, back);
			assert_int_equal(sst_verify_digest(back, &err), 0);
			assert_int_equal(sst_verify_chunks(back, &err), 0);
			sst_close(back);
			rmtree(dir);
		}
		sst_close(src);
		done++;
	}
	printf("# %d SSTables rewritten as nb and read back the same\n", done);
	tl_free_list(files, n);
}

/* What no fixture has: shadowable deletions, expiring rows with cells that
 * share their TTL, boundaries, empty clustering values, >64 columns. */
static void test_round_trip_synthetic(void **state)
{
	static struct sb_col cols[70];
	static char names[70][16];
	const struct sst_deletion live = { SST_NO_TS, SST_NO_LDT };
	static const uint8_t v4[4] = { 0, 0, 0, 9 }, ck1[4] = { 0, 0, 0, 1 }, ck2[4] = { 0, 0, 0, 2 };

	(void)state;
	for (int i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		cols[i] = (struct sb_col){ names[i], i == 69 ? "SetType(Int32Type)" : "Int32Type" };
	}
	struct sb_spec spec = { .version = "me", .key_type = "UTF8Type", .nclust = 2,
				.clust = { "Int32Type", "ReversedType(UTF8Type)" }, .nregular = 70, .regulars = cols,
				.min_ts = 1700000000000000ll, .min_ldt = 1700000000 };
	struct sb *b = sb_new(&spec);
	struct sb_row r;
	const void *bv[1] = { ck2 };
	size_t bl[1] = { 4 };

	sb_partition(b, "k", 1, (struct sst_deletion){ 1700000000000005ll, 1700000100 });
	memset(&r, 0, sizeof(r));
	r.cval[0] = ck1; r.clen[0] = 4; r.cstate[1] = SST_CK_EMPTY;
	r.live = (struct sst_liveness){ 1700000000000010ll, 600, 1700000600 };
	r.del = (struct sst_deletion){ 1700000000000001ll, 1700000001 };
	r.shadowable = true;
	r.cells[r.ncells++] = (struct sb_cell){ 3, SST_CELL_EXPIRING | SST_CELL_ROW_TS | SST_CELL_ROW_TTL,
						1700000000000010ll, 600, 1700000600, NULL, 0, v4, 4 };
	r.cells[r.ncells++] = (struct sb_cell){ 40, SST_CELL_EXPIRING, 1700000000000011ll, 60, 1700000060, NULL, 0, v4, 4 };
	r.cells[r.ncells++] = (struct sb_cell){ 69, 0, 1700000000000012ll, 0, SST_NO_LDT, v4, 4, NULL, 0 };
	r.cx[r.ncx++] = (struct sst_complex_del){ 69, { 1700000000000011ll, 1700000002 } };
	sb_row(b, &r);
	sb_marker(b, SST_INCL_START_BOUND, 1, bv, bl, (struct sst_deletion){ 1700000000000020ll, 1700000020 }, live);
	sb_marker(b, SST_INCL_END_EXCL_START_BOUNDARY, 1, bv, bl, (struct sst_deletion){ 1700000000000020ll, 1700000020 },
		  (struct sst_deletion){ 1700000000000030ll, 1700000030 });
	sb_marker(b, SST_INCL_END_BOUND, 0, NULL, NULL, (struct sst_deletion){ 1700000000000030ll, 1700000030 }, live);
	sb_end_partition(b);
	struct sst *src = NULL, *back = NULL;
	struct pit_err err = { 0 };
	assert_int_equal(sb_open(b, &src, &err), 0);
	char *dir = tmpdir(), path[128];
	rewrite(src, dir, 3, true);
	snprintf(path, sizeof(path), "%s/nb-3-big-Data.db", dir);
	assert_int_equal(sst_open_path(&back, path, &err), 0);
	same_content(src, back);
	assert_int_equal(sst_stats(back)->min_ttl, 0);
	assert_int_equal(sst_stats(back)->max_ttl, 600);
	assert_int_equal(sst_stats(back)->min_ldt, 1700000001);
	assert_int_equal(sst_stats(back)->max_timestamp, 1700000000000030ll);
	assert_int_equal(sst_stats(back)->min_timestamp, 1700000000000001ll);
	assert_true(sst_stats(back)->tombstone_count_estimate >= 5);
	sst_close(back);
	sst_close(src);
	sb_free(b);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tombstone_histogram),
		cmocka_unit_test(test_hll_as_cassandra),
		cmocka_unit_test(test_bloom_as_cassandra),
		cmocka_unit_test(test_nb_fidelity),
		cmocka_unit_test(test_round_trip_fixtures),
		cmocka_unit_test(test_round_trip_synthetic),
	};
	FX = tl_fixtures();
	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
