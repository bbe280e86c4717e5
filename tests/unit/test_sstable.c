/* core/sstable against SSTables built byte for byte (tests/lib/sstbuild):
 * every flag combination the serializer can write, every version's layout,
 * and damaged files of every component. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/util/bytes.h"
#include "tests/lib/sstbuild.h"
#include "tests/lib/testlib.h"

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };
static const char *VERSIONS[] = { "ma", "mb", "mc", "md", "me", "na", "nb", "oa" };
#define TS0 1700000000000000ll
#define LDT0 1700000000ll

static const struct sb_col REGULARS[] = {
	{ "a", "Int32Type" },
	{ "b", "UTF8Type" },
	{ "c", "ListType(Int32Type)" },
	{ "d", "MapType(UTF8Type,LongType)" },
	{ "e", "BooleanType" },
};

static struct sb_spec base_spec(const char *version)
{
	struct sb_spec s = {
		.version = version, .key_type = "UTF8Type", .nclust = 2,
		.clust = { "Int32Type", "ReversedType(UTF8Type)" },
		.nstatic = 1, .statics = { { "s", "Int32Type" } },
		.nregular = 5, .regulars = REGULARS,
		.min_ts = TS0, .min_ldt = LDT0, .min_ttl = 0,
	};
	return s;
}

static const uint8_t I1[4] = { 0, 0, 0, 1 }, I2[4] = { 0, 0, 0, 2 }, I7[4] = { 0, 0, 0, 7 };
static const uint8_t U1[16] = { 0x10, 0, 0, 0, 0, 0, 0x11, 0xe0, 0x80 }, U2[16] = { 0x20, 0, 0, 0, 0, 0, 0x11, 0xe0, 0x80 };

/* Row i of a deterministic series that walks through the flag combinations. */
static void make_row(int i, struct sb_row *r, char *text)
{
	memset(r, 0, sizeof(*r));
	static uint8_t ck[64][4];
	put_be32(ck[i % 64], (uint32_t)i);
	r->cval[0] = ck[i % 64];
	r->clen[0] = 4;
	snprintf(text, 16, "r%03d", 999 - i);	/* DESC column: descending text */
	r->cval[1] = text;
	r->clen[1] = strlen(text);
	r->cstate[1] = i % 11 == 5 ? SST_CK_EMPTY : SST_CK_VALUE;
	if (r->cstate[1] == SST_CK_EMPTY)
		r->clen[1] = 0;
	r->live.ts = SST_NO_TS;
	r->live.ldt = SST_NO_LDT;
	r->del = LIVE;
	switch (i % 3) {
	case 1: r->live.ts = TS0 + i; break;
	case 2: r->live.ts = TS0 + i; r->live.ttl = 100 + i; r->live.ldt = LDT0 + 1000 + i; break;
	}
	if (i % 4 == 1)
		r->del = (struct sst_deletion){ TS0 - 10 - i, LDT0 + i };
	if (i % 8 == 5) {
		r->del = (struct sst_deletion){ TS0 - 5, LDT0 + 3 };
		r->shadowable = true;
	}
	r->force_subset = i % 5 == 2;
	int n = 0;
	uint8_t kinds = (uint8_t)(i * 7 % 32);
	/* a: int; its cell flags walk through the combinations */
	if (i % 6 != 3) {
		struct sb_cell *c = &r->cells[n++];
		c->col = 0;
		c->flags = 0;
		c->ts = TS0 + 50 + i;
		c->ldt = SST_NO_LDT;
		c->value = I7;
		c->len = 4;
		if ((kinds & 1) && r->live.ts != SST_NO_TS) {
			c->flags |= SST_CELL_ROW_TS;
			c->ts = r->live.ts;
		}
		if (kinds & 2) {
			c->flags |= SST_CELL_DELETED | SST_CELL_EMPTY_VALUE;
			c->ldt = LDT0 + 77;
			c->value = NULL;
			c->len = 0;
		} else if (kinds & 4) {
			c->flags |= SST_CELL_EXPIRING;
			if ((kinds & 8) && r->live.ldt != SST_NO_LDT) {
				c->flags |= SST_CELL_ROW_TTL;
				c->ttl = r->live.ttl;
				c->ldt = r->live.ldt;
			} else {
				c->ttl = 30;
				c->ldt = LDT0 + 30;
			}
		} else if (kinds & 16) {
			c->flags |= SST_CELL_EMPTY_VALUE;	/* blobAsInt(0x) */
			c->value = NULL;
			c->len = 0;
		}
	}
	/* b: text */
	if (i % 2 == 0) {
		struct sb_cell *c = &r->cells[n++];
		*c = (struct sb_cell){ .col = 1, .ts = TS0 + i, .ldt = SST_NO_LDT, .value = "hello", .len = (size_t)(i % 6) };
		if (c->len == 0)
			c->flags |= SST_CELL_EMPTY_VALUE;
	}
	/* c: list<int> with a complex deletion sometimes */
	if (i % 3 != 0) {
		r->cells[n++] = (struct sb_cell){ .col = 2, .ts = TS0 + i, .ldt = SST_NO_LDT, .path = U1, .path_len = 16, .value = I1, .len = 4 };
		r->cells[n++] = (struct sb_cell){ .col = 2, .ts = TS0 + i, .ldt = SST_NO_LDT, .path = U2, .path_len = 16, .value = I2, .len = 4 };
	}
	if (i % 4 == 2)
		r->cx[r->ncx++] = (struct sst_complex_del){ 2, { TS0 + i - 1, LDT0 + 5 } };
	/* d: map with a deleted element */
	if (i % 5 == 1) {
		r->cells[n++] = (struct sb_cell){ .col = 3, .ts = TS0 + i, .ldt = SST_NO_LDT, .path = "k1", .path_len = 2,
						  .value = "\0\0\0\0\0\0\0\1", .len = 8 };
		r->cells[n++] = (struct sb_cell){ .col = 3, .flags = SST_CELL_DELETED | SST_CELL_EMPTY_VALUE, .ts = TS0 + i,
						  .ldt = LDT0 + 9, .path = "k2", .path_len = 2 };
	}
	if (i % 7 == 4)
		r->cx[r->ncx++] = (struct sst_complex_del){ 3, { TS0 + 3, LDT0 + 6 } };	/* with no cells */
	/* e: boolean, fixed length 1 */
	if (i % 4 == 3)
		r->cells[n++] = (struct sb_cell){ .col = 4, .ts = TS0 + i, .ldt = SST_NO_LDT, .value = "\1", .len = 1 };
	r->ncells = n;
}

static void check_row(const struct sb_row *w, const struct sst_unfiltered *u, int i)
{
	assert_int_equal(u->kind, SST_ROW);
	assert_int_equal(u->nclust, 2);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(u->cstate[k], w->cstate[k]);
		assert_int_equal(u->clen[k], w->clen[k]);
		assert_memory_equal(u->cval[k], w->cval[k], w->clen[k]);
	}
	assert_int_equal(u->liveness.ts, w->live.ts);
	assert_int_equal(u->liveness.ldt, w->live.ldt);
	if (w->live.ldt != SST_NO_LDT)
		assert_int_equal(u->liveness.ttl, w->live.ttl);
	assert_int_equal(u->deletion.mfda, w->del.mfda);
	assert_int_equal(u->deletion.ldt, w->del.ldt);
	assert_int_equal(u->shadowable, w->shadowable);
	if (u->ncells != (uint32_t)w->ncells)
		fail_msg("row %d: %u cells, %d written", i, u->ncells, w->ncells);
	for (int k = 0; k < w->ncells; k++) {
		const struct sst_cell *c = &u->cells[k];
		const struct sb_cell *e = &w->cells[k];
		assert_int_equal(c->col, e->col);
		assert_int_equal(c->flags, e->flags);
		assert_int_equal(c->ts, e->ts);
		assert_int_equal(c->ldt, e->ldt);
		if (e->flags & SST_CELL_EXPIRING)
			assert_int_equal(c->ttl, e->ttl);
		assert_int_equal(c->path_len, e->path_len);
		if (e->path_len)
			assert_memory_equal(c->path, e->path, e->path_len);
		assert_int_equal(c->len, e->len);
		if (e->len)
			assert_memory_equal(c->value, e->value, e->len);
	}
	assert_int_equal(u->ncomplex, w->ncx);
	for (int k = 0; k < w->ncx; k++) {
		assert_int_equal(u->complex[k].col, w->cx[k].col);
		assert_int_equal(u->complex[k].del.mfda, w->cx[k].del.mfda);
		assert_int_equal(u->complex[k].del.ldt, w->cx[k].del.ldt);
	}
}

#define NROWS 120

static void build_series(struct sb *b)
{
	struct sb_row r;
	char text[16];
	const void *v1[1] = { I2 };
	size_t l1[1] = { 4 };

	/* partition "p1": deleted, with a static row, rows and markers */
	sb_partition(b, "p1", 2, (struct sst_deletion){ TS0 - 100, LDT0 - 1 });
	memset(&r, 0, sizeof(r));
	r.is_static = true;
	r.live.ts = SST_NO_TS;
	r.live.ldt = SST_NO_LDT;
	r.del = LIVE;
	r.cells[0] = (struct sb_cell){ .col = 0, .ts = TS0 + 1, .ldt = SST_NO_LDT, .value = I7, .len = 4 };
	r.ncells = 1;
	sb_row(b, &r);
	for (int i = 0; i < NROWS; i++) {
		make_row(i, &r, text);
		sb_row(b, &r);
		if (i == 40)
			sb_marker(b, SST_INCL_START_BOUND, 1, v1, l1, (struct sst_deletion){ TS0 + 5, LDT0 + 5 }, LIVE);
		if (i == 50)
			sb_marker(b, SST_EXCL_END_INCL_START_BOUNDARY, 1, v1, l1, (struct sst_deletion){ TS0 + 5, LDT0 + 5 },
				  (struct sst_deletion){ TS0 + 9, LDT0 + 9 });
		if (i == 60)
			sb_marker(b, SST_INCL_END_EXCL_START_BOUNDARY, 1, v1, l1, (struct sst_deletion){ TS0 + 9, LDT0 + 9 },
				  (struct sst_deletion){ TS0 + 11, LDT0 + 11 });
		if (i == 70)
			sb_marker(b, SST_INCL_END_BOUND, 0, NULL, NULL, (struct sst_deletion){ TS0 + 11, LDT0 + 11 }, LIVE);
	}
	sb_end_partition(b);
	/* partition "p2": live, no static row, one row */
	sb_partition(b, "p2", 2, LIVE);
	make_row(1, &r, text);
	sb_row(b, &r);
	sb_end_partition(b);
}

static void read_series(struct sst *s)
{
	struct sst_scan *sc = NULL;
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	struct pit_err err = { 0 };
	struct sb_row w;
	char text[16];
	int markers = 0;

	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	assert_int_equal(sst_scan_next_partition(sc, &p, &err), 1);
	assert_int_equal(p->key_len, 2);
	assert_memory_equal(p->key, "p1", 2);
	assert_int_equal(p->deletion.mfda, TS0 - 100);
	assert_int_equal(p->deletion.ldt, LDT0 - 1);
	assert_int_equal(sst_scan_next(sc, &u, &err), 1);
	assert_int_equal(u->kind, SST_STATIC_ROW);
	assert_int_equal(u->ncells, 1);
	assert_int_equal(u->cells[0].ts, TS0 + 1);
	for (int i = 0; i < NROWS;) {
		int rc = sst_scan_next(sc, &u, &err);
		if (rc != 1)
			fail_msg("row %d: %d %s", i, rc, err.msg);
		if (u->kind == SST_MARKER) {
			markers++;
			if (u->bound == SST_EXCL_END_INCL_START_BOUNDARY) {
				assert_int_equal(u->marker[0].mfda, TS0 + 5);
				assert_int_equal(u->marker[1].mfda, TS0 + 9);
				assert_int_equal(u->marker[1].ldt, LDT0 + 9);
				assert_int_equal(u->nclust, 1);
				assert_memory_equal(u->cval[0], I2, 4);
			}
			if (u->bound == SST_INCL_END_BOUND)
				assert_int_equal(u->nclust, 0);
			continue;
		}
		make_row(i, &w, text);
		check_row(&w, u, i);
		i++;
	}
	assert_int_equal(markers, 4);
	assert_int_equal(sst_scan_next(sc, &u, &err), 0);
	assert_int_equal(sst_scan_next_partition(sc, &p, &err), 1);
	assert_memory_equal(p->key, "p2", 2);
	assert_true(sst_deletion_live(&p->deletion));
	assert_int_equal(sst_scan_next(sc, &u, &err), 1);
	make_row(1, &w, text);
	check_row(&w, u, 1);
	assert_int_equal(sst_scan_next(sc, &u, &err), 0);
	assert_int_equal(sst_scan_next_partition(sc, &p, &err), 0);
	sst_scan_close(sc);
}

static void every_flag(const char *format, const char *version)
{
	for (int layout = 0; layout < 3; layout++) {
		struct sb_spec spec = base_spec(version);
		struct sst *s = NULL;
		struct pit_err err = { 0 };
		spec.format = format;
		spec.compressed = layout == 2;
		spec.codec = SST_CODEC_LZ4;
		spec.crc = layout == 1;
		spec.chunk_len = 512;	/* rows cross chunk boundaries */
		struct sb *b = sb_new(&spec);
		build_series(b);
		if (sb_open(b, &s, &err) < 0)
			fail_msg("%s-%s layout %d: %s", version, format, layout, err.msg);
		read_series(s);
		assert_int_equal(sst_verify_digest(s, &err), 0);
		assert_int_equal(sst_verify_chunks(s, &err), 0);
		sst_close(s);
		sb_free(b);
	}
}

static void test_every_flag_every_version(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(VERSIONS) / sizeof(VERSIONS[0]); v++)
		every_flag("big", VERSIONS[v]);
	every_flag("bti", "da");	/* Data.db and Statistics.db as oa's */
}

/* bti da is read; its key index (tries) is not, and says so; formats and
 * versions this reader does not know are refused by name. */
static void test_bti(void **state)
{
	static const char *bad[][2] = { { "bti", "ea" }, { "bti", "oa" }, { "big", "da" }, { "xyz", "oa" } };
	struct sb_spec spec = base_spec("da");
	struct pit_err err = { 0 };
	struct sst *s = NULL;
	struct sbuf keys;
	uint64_t pos[1];

	(void)state;
	spec.format = "bti";
	struct sb *b = sb_new(&spec);
	build_series(b);
	assert_int_equal(sb_open(b, &s, &err), 0);
	assert_false(sst_has_key_index(s));
	sbuf_init(&keys);
	assert_int_equal(sst_split_keys(s, 4, &keys, &err), 0);
	sbuf_add(&keys, "\0\2p1", 4);
	assert_int_equal(sst_lower_bounds(s, &keys, pos, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "Partitions.db"));
	sbuf_release(&keys);
	sst_close(s);
	sb_free(b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spec = base_spec(bad[i][1]);
		spec.format = bad[i][0];
		b = sb_new(&spec);
		build_series(b);
		assert_int_equal(sb_open(b, &s, &err), -ENOTSUP);
		char want[64];
		snprintf(want, sizeof(want), "format \"%s\" version \"%s\"", bad[i][0], bad[i][1]);
		if (!strstr(err.msg, want) || !strstr(err.msg, "bti: da"))
			fail_msg("%s-%s: %s", bad[i][1], bad[i][0], err.msg);
		sb_free(b);
	}
}

/* More than 64 columns: the subset is a list of present or missing indices. */
static void test_many_columns(void **state)
{
	struct sb_col cols[70];
	char names[70][16];
	static const uint8_t V[4] = { 0, 0, 1, 0 };
	/* how many columns each row has: few (indices of present ones), many
	 * (indices of missing ones), all, one */
	static const int counts[] = { 3, 60, 70, 1, 34, 35, 36 };

	(void)state;
	for (int i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "c%02d", i);
		cols[i] = (struct sb_col){ names[i], "Int32Type" };
	}
	struct sb_spec spec = { .version = "me", .key_type = "Int32Type", .nregular = 70, .regulars = cols,
				.min_ts = TS0, .min_ldt = LDT0 };
	struct sb *b = sb_new(&spec);
	sb_partition(b, I1, 4, LIVE);
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct sb_row r = { .live = { TS0, 0, SST_NO_LDT }, .del = LIVE };
		for (int c = 0; c < counts[k]; c++)
			r.cells[r.ncells++] = (struct sb_cell){ .col = (c * 3 + (int)k) % 70, .flags = SST_CELL_ROW_TS, .ts = TS0,
							      .ldt = SST_NO_LDT, .value = V, .len = 4 };
		/* the builder writes cells by column order; sort ours the same way */
		for (int x = 0; x < r.ncells; x++)
			for (int y = x + 1; y < r.ncells; y++)
				if (r.cells[y].col < r.cells[x].col) {
					struct sb_cell t = r.cells[x];
					r.cells[x] = r.cells[y];
					r.cells[y] = t;
				}
		sb_row(b, &r);
	}
	sb_end_partition(b);
	struct sst *s = NULL;
	struct sst_scan *sc = NULL;
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	struct pit_err err = { 0 };
	assert_int_equal(sb_open(b, &s, &err), 0);
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	assert_int_equal(sst_scan_next_partition(sc, &p, &err), 1);
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		assert_int_equal(sst_scan_next(sc, &u, &err), 1);
		assert_int_equal(u->ncells, counts[k]);
		bool seen[70] = { false };
		for (uint32_t c = 0; c < u->ncells; c++)
			seen[u->cells[c].col] = true;
		for (int c = 0; c < counts[k]; c++)
			assert_true(seen[(c * 3 + (int)k) % 70]);
	}
	assert_int_equal(sst_scan_next(sc, &u, &err), 0);
	sst_scan_close(sc);
	sst_close(s);
	sb_free(b);
}

/* Every byte of every component damaged in turn, and every truncation: the
 * reader reports -EIO or -EBADMSG (or reads it) and never crashes or hangs. */
static int scan_all(struct sb *b, struct pit_err *err)
{
	struct sst *s = NULL;
	struct sst_scan *sc = NULL;
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	int rc;

	if ((rc = sb_open(b, &s, err)) < 0)
		return rc;
	if ((rc = sst_scan_open(&sc, s, err)) == 0) {
		while ((rc = sst_scan_next_partition(sc, &p, err)) == 1)
			while ((rc = sst_scan_next(sc, &u, err)) == 1)
				;
		sst_scan_close(sc);
	}
	if (rc == 0)
		rc = sst_verify_chunks(s, err);
	sst_close(s);
	return rc;
}

static void check_code(int rc, const struct pit_err *err, const char *what)
{
	if (rc == 0)
		return;
	if (rc != -EIO && rc != -EBADMSG && rc != -ENOTSUP && rc != -ENOENT)
		fail_msg("%s: unexpected code %d (%s)", what, rc, err->msg);
	if (!err->msg[0])
		fail_msg("%s: failure %d without a message", what, rc);
}

static void test_corruption(void **state)
{
	int counts[3] = { 0 };

	(void)state;
	for (int layout = 0; layout < 3; layout++) {
		struct sb_spec spec = base_spec(layout == 2 ? "oa" : "me");
		spec.compressed = layout != 0;
		spec.codec = SST_CODEC_LZ4;
		spec.crc = layout == 0;
		spec.chunk_len = 256;
		struct sb *b = sb_new(&spec);
		build_series(b);
		int nf;
		struct sb_file *files = sb_files(b, &nf);
		struct pit_err err = { 0 };
		assert_int_equal(scan_all(b, &err), 0);
		for (int f = 0; f < nf; f++) {
			if (!strcmp(files[f].name, "TOC.txt") || !strcmp(files[f].name, "Digest.crc32"))
				continue;
			size_t n = files[f].n;
			size_t step = n > 600 ? n / 300 : 1;
			for (size_t off = 0; off < n; off += step) {
				for (int flip = 0; flip < 2; flip++) {
					uint8_t keep = files[f].p[off];
					files[f].p[off] ^= flip ? 0x80 : 0xff;
					memset(&err, 0, sizeof(err));
					int rc = scan_all(b, &err);
					char what[96];
					snprintf(what, sizeof(what), "%s byte %zu", files[f].name, off);
					check_code(rc, &err, what);
					counts[rc == 0 ? 0 : rc == -EIO ? 1 : 2]++;
					/* a checksummed file never yields damaged data silently */
					if (rc == 0 && (!strcmp(files[f].name, "Data.db") || !strcmp(files[f].name, "CRC.db")) && layout)
						fail_msg("%s: damage not detected", what);
					files[f].p[off] = keep;
				}
			}
			size_t len = files[f].n;
			for (size_t cut = 0; cut < len; cut += step) {
				files[f].n = cut;
				memset(&err, 0, sizeof(err));
				int rc = scan_all(b, &err);
				char what[96];
				snprintf(what, sizeof(what), "%s cut at %zu", files[f].name, cut);
				check_code(rc, &err, what);
				if (rc == 0 && !strcmp(files[f].name, "Data.db"))
					fail_msg("%s: truncation not detected", what);
			}
			files[f].n = len;
		}
		sb_free(b);
	}
	printf("# damaged SSTables: %d read anyway, %d checksum failures, %d rejected by the parser\n", counts[0],
	       counts[1], counts[2]);
}

/* Real fixtures, damaged the same way. */
static void test_fixture_corruption(void **state)
{
	const char *fx = tl_fixtures();
	static const char *sets[] = {
		"scylla-mc-compression/lz4/test_ks/test_table/mc-1-big-",
		"pcass-me-3x-datadir/data/sina_test/sina_table-904be1c0a1c711eeae8c6d2c86545d91/me-1-big-",
		"sstable-transformer-nb-two-sstables/spark_test/test3/nb-1-big-",
	};
	static const char *comps[] = { "Statistics.db", "CompressionInfo.db", "CRC.db", "Data.db" };

	(void)state;
	if (!fx) {
		printf("# skipped: no fixtures\n");
		skip();
	}
	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
			char path[4096], tmpdir[] = "/tmp/pitfs-corrupt-XXXXXX";
			snprintf(path, sizeof(path), "%s/%s%s", fx, sets[k], comps[c]);
			size_t n;
			uint8_t *orig = (uint8_t *)tl_read_file(path, &n);
			if (!orig)
				continue;
			assert_non_null(mkdtemp(tmpdir));
			/* copy the whole SSTable, then damage one component */
			char cmd[8192];
			snprintf(cmd, sizeof(cmd), "cp %s/%s* %s/", fx, sets[k], tmpdir);
			assert_int_equal(system(cmd), 0);
			const char *base = strrchr(sets[k], '/') + 1;
			char target[4096], data[4096];
			snprintf(target, sizeof(target), "%s/%s%s", tmpdir, base, comps[c]);
			snprintf(data, sizeof(data), "%s/%sData.db", tmpdir, base);
			size_t step = n > 400 ? n / 200 : 1;
			for (size_t off = 0; off < n; off += step) {
				FILE *f = fopen(target, "wb");
				orig[off] ^= 0x5a;
				fwrite(orig, 1, n, f);
				fclose(f);
				orig[off] ^= 0x5a;
				struct sst *s = NULL;
				struct sst_scan *sc = NULL;
				struct pit_err err = { 0 };
				int rc = sst_open_path(&s, data, &err);
				if (rc == 0 && (rc = sst_scan_open(&sc, s, &err)) == 0) {
					const struct sst_partition *p;
					const struct sst_unfiltered *u;
					while ((rc = sst_scan_next_partition(sc, &p, &err)) == 1)
						while ((rc = sst_scan_next(sc, &u, &err)) == 1)
							;
				}
				char what[256];
				snprintf(what, sizeof(what), "%s%s byte %zu", sets[k], comps[c], off);
				check_code(rc, &err, what);
				sst_scan_close(sc);
				sst_close(s);
			}
			free(orig);
			snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
			assert_int_equal(system(cmd), 0);
		}
	}
}

static void test_missing_components(void **state)
{
	struct sb_spec spec = base_spec("nb");
	struct pit_err err = { 0 };
	struct sst *s = NULL;

	(void)state;
	spec.compressed = true;
	spec.codec = SST_CODEC_LZ4;
	struct sb *b = sb_new(&spec);
	build_series(b);
	sb_remove(b, "CompressionInfo.db");
	assert_int_equal(sb_open(b, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "CompressionInfo.db"));
	sb_free(b);
	b = sb_new(&spec);
	build_series(b);
	sb_remove(b, "Statistics.db");
	assert_int_equal(sb_open(b, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "Statistics.db"));
	sb_free(b);
}

/* The read-ahead thread gives the same bytes, follows jumps, and reports a
 * damaged chunk it met ahead of the reader. */
static void test_readahead(void **state)
{
	struct sb_spec spec = base_spec("nb");
	struct pit_err err = { 0 };
	struct sst *s = NULL;
	uint64_t offsets[2];

	(void)state;
	spec.compressed = true;
	spec.codec = SST_CODEC_LZ4;
	spec.chunk_len = 256;	/* many chunks */
	struct sb *b = sb_new(&spec);
	build_series(b);
	assert_int_equal(sb_open(b, &s, &err), 0);
	assert_int_equal(sst_set_readahead(s, true), 0);
	for (int round = 0; round < 3; round++)
		read_series(s);
	/* jumps back and forth between the two partitions */
	struct sst_scan *sc = NULL;
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(sst_scan_next_partition(sc, &p, &err), 1);
		offsets[k] = p->offset;
	}
	for (int k = 0; k < 20; k++) {
		sst_scan_seek(sc, offsets[k % 2]);
		assert_int_equal(sst_scan_next_partition(sc, &p, &err), 1);
		assert_memory_equal(p->key, k % 2 ? "p2" : "p1", 2);
		int rows = 0;
		while (sst_scan_next(sc, &u, &err) == 1)
			rows++;
		assert_int_equal(rows, k % 2 ? 1 : NROWS + 1 + 4);	/* static row, rows, markers */
	}
	sst_scan_close(sc);
	sst_close(s);
	/* damage near the end: the ring meets it first, the reader gets the error */
	int nf;
	struct sb_file *files = sb_files(b, &nf);
	for (int f = 0; f < nf; f++)
		if (!strcmp(files[f].name, "Data.db"))
			files[f].p[files[f].n - 40] ^= 0x01;
	assert_int_equal(sb_open(b, &s, &err), 0);
	assert_int_equal(sst_set_readahead(s, true), 0);
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	int rc;
	while ((rc = sst_scan_next_partition(sc, &p, &err)) == 1)
		while ((rc = sst_scan_next(sc, &u, &err)) == 1)
			;
	assert_int_equal(rc, -EIO);
	assert_non_null(strstr(err.msg, "checksum mismatch"));
	sst_scan_close(sc);
	sst_close(s);
	sb_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_flag_every_version),
		cmocka_unit_test(test_bti),
		cmocka_unit_test(test_many_columns),
		cmocka_unit_test(test_missing_components),
		cmocka_unit_test(test_readahead),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_fixture_corruption),
	};
	return cmocka_run_group_tests_name("sstable", tests, NULL, NULL);
}
