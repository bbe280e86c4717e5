/* Reconciliation on the cases generated data rarely meets: versions with
 * equal timestamps (sstable-format.md §9.3's tie rules), liveness ties,
 * range tombstones from another replica, the cut at T. Two SSTables are
 * written with the writer and merged; the live rows are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/schema.h"
#include "core/cql/type.h"
#include "core/merge/kmerge.h"
#include "core/sstable/writer.h"
#include "core/util/sbuf.h"
#include "core/view/bind.h"
#include "core/view/dump.h"
#include "core/view/liverows.h"
#include "tests/lib/testlib.h"

#define NOLDT SST_NO_LDT
static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

struct cellspec {
	int ck;
	char kind;		/* 'v' value, 't' tombstone, 'e' expiring */
	int64_t ts, ldt;
	const char *value;
};

struct rowspec {
	int ck;
	int64_t live_ts, live_ldt;	/* SST_NO_TS: no marker */
	int32_t live_ttl;
};

static struct sst_header hdr;

static void free_header(void)
{
	cql_type_free(hdr.key_type);
	cql_type_free(hdr.clustering[0]);
	cql_type_free(hdr.regulars[0].type);
	memset(&hdr, 0, sizeof(hdr));
}

static void make_header(void)
{
	if (hdr.key_type)
		return;
	static struct sst_column reg[1];
	struct pit_err err = { 0 };
	static const char *text = "org.apache.cassandra.db.marshal.UTF8Type", *i32 = "org.apache.cassandra.db.marshal.Int32Type";
	static struct cql_type *ck[1];

	assert_int_equal(cql_type_parse_marshal(&hdr.key_type, text, strlen(text), &err), 0);
	assert_int_equal(cql_type_parse_marshal(&ck[0], i32, strlen(i32), &err), 0);
	hdr.nclustering = 1;
	hdr.clustering = ck;
	reg[0].name = "v";
	assert_int_equal(cql_type_parse_marshal(&reg[0].type, text, strlen(text), &err), 0);
	reg[0].complex = false;
	reg[0].fixed = -1;
	hdr.nregular = 1;
	hdr.regulars = reg;
}

/* One SSTable: partition "k", rows in clustering order, optional range
 * tombstone [rt_from, rt_to] at rt_ts. */
static void write_sst(const char *dir, int gen, const struct rowspec *rows, int nrows, const struct cellspec *cells,
		      int ncells, int rt_from, int rt_to, int64_t rt_ts)
{
	struct sst_writer *w;
	struct sst_writer_opts o = { .compress = true, .no_sync = true };
	struct pit_err err = { 0 };
	uint8_t ckv[64][4];
	int k = 0;

	assert_int_equal(sst_writer_open(&w, dir, gen, &hdr, &o, &err), 0);
	assert_int_equal(sst_writer_partition(w, (const uint8_t *)"k", 1, &LIVE, &err), 0);
	for (int ck = 1; ck <= 12; ck++) {
		const uint8_t *cv[1];
		uint32_t cl[1] = { 4 };
		uint8_t cs[1] = { SST_CK_VALUE };
		ckv[ck][0] = ckv[ck][1] = ckv[ck][2] = 0;
		ckv[ck][3] = (uint8_t)ck;
		cv[0] = ckv[ck];
		if (rt_ts && ck == rt_from) {
			struct sst_unfiltered m = { .kind = SST_MARKER, .nclust = 1, .cval = cv, .clen = cl, .cstate = cs,
						   .bound = SST_INCL_START_BOUND };
			m.marker[0] = (struct sst_deletion){ rt_ts, 1000 };
			assert_int_equal(sst_writer_add(w, &m, &err), 0);
		}
		struct sst_cell c[8];
		uint32_t nc = 0;
		for (int i = 0; i < ncells; i++) {
			if (cells[i].ck != ck)
				continue;
			struct sst_cell *x = &c[nc++];
			memset(x, 0, sizeof(*x));
			x->ts = cells[i].ts;
			x->ldt = NOLDT;
			if (cells[i].kind == 't') {
				x->flags = SST_CELL_DELETED;
				x->ldt = cells[i].ldt;
			} else {
				x->value = (const uint8_t *)cells[i].value;
				x->len = (uint32_t)strlen(cells[i].value);
				if (cells[i].kind == 'e') {
					x->flags = SST_CELL_EXPIRING;
					x->ttl = 100;
					x->ldt = cells[i].ldt;
				}
			}
		}
		struct sst_liveness live = { SST_NO_TS, 0, NOLDT };
		for (int i = 0; i < nrows; i++)
			if (rows[i].ck == ck)
				live = (struct sst_liveness){ rows[i].live_ts, rows[i].live_ttl, rows[i].live_ldt };
		if (nc || live.ts != SST_NO_TS) {
			struct sst_unfiltered u = { .kind = SST_ROW, .nclust = 1, .cval = cv, .clen = cl, .cstate = cs,
						   .bound = SST_CLUSTERING, .liveness = live, .deletion = LIVE,
						   .ncells = nc, .cells = c };
			assert_int_equal(sst_writer_add(w, &u, &err), 0);
		}
		if (rt_ts && ck == rt_to) {
			struct sst_unfiltered m = { .kind = SST_MARKER, .nclust = 1, .cval = cv, .clen = cl, .cstate = cs,
						   .bound = SST_INCL_END_BOUND };
			m.marker[0] = (struct sst_deletion){ rt_ts, 1000 };
			assert_int_equal(sst_writer_add(w, &m, &err), 0);
		}
		k++;
	}
	assert_int_equal(sst_writer_end_partition(w, &err), 0);
	int rc = sst_writer_finish(w, &err);
	if (rc < 0)
		printf("# %s\n", err.msg);
	assert_int_equal(rc, 0);
	sst_writer_close(w);
}

static int collect(void *ctx, const char *p, size_t n)
{
	sbuf_add(ctx, p, n);
	return 0;
}

static int kn_part(void *ctx, const struct sst_partition **p, struct pit_err *err) { return kmerge_next_partition(ctx, p, err); }
static int kn_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err) { return kmerge_next(ctx, u, err); }
static const struct scan_ops ops = { kn_part, kn_next };

static void test_ties(void **state)
{
	char dir[] = "/tmp/pitfs-kmerge-XXXXXX", path[128];
	struct sst *s[2];
	struct kmerge *km;
	struct pit_err err = { 0 };
	struct sbuf out;
	struct dump_opts o = { .mode = DUMP_ROWS, .now_s = 1000, .write = collect };

	(void)state;
	make_header();
	assert_non_null(mkdtemp(dir));
	/* A */
	const struct cellspec a[] = {
		{ 1, 'v', 10, 0, "a" },		/* vs a tombstone at the same ts: the tombstone wins */
		{ 2, 'v', 10, 0, "a" },		/* vs "b" at the same ts: the greater value wins */
		{ 3, 'e', 10, 5000, "x" },	/* vs live "z" at the same ts: the expiring cell wins */
		{ 4, 't', 10, 100, NULL },	/* vs expiring at the same ts: the tombstone wins */
		{ 6, 'v', 15, 0, "y" },		/* under B's range tombstone at 20 */
		{ 7, 'v', 1000, 0, "new" },	/* written after T (500): left out */
		{ 8, 'e', 10, 900, "gone" },	/* expired at T (900 < 1000 s) */
		{ 9, 'e', 10, 300, "p" },	/* both expiring at the same ts: the later expiry wins */
	};
	const struct rowspec ar[] = { { 5, 10, NOLDT, 0 } };
	write_sst(dir, 1, ar, 1, a, (int)(sizeof(a) / sizeof(a[0])), 0, 0, 0);
	/* B */
	const struct cellspec b[] = {
		{ 1, 't', 10, 50, NULL },
		{ 2, 'v', 10, 0, "b" },
		{ 3, 'v', 10, 0, "z" },
		{ 4, 'e', 10, 5000, "q" },
		{ 7, 'v', 100, 0, "old" },
		{ 9, 'e', 10, 4000, "r" },
	};
	const struct rowspec br[] = { { 5, 10, 900, 10 } };	/* same ts, expiring (expired at T): it wins */
	write_sst(dir, 2, br, 1, b, (int)(sizeof(b) / sizeof(b[0])), 6, 6, 20);

	for (int g = 0; g < 2; g++) {
		snprintf(path, sizeof(path), "%s/nb-%d-big-Data.db", dir, g + 1);
		assert_int_equal(sst_open_path(&s[g], path, &err), 0);
	}
	/* both orders of the sources give the same rows */
	for (int order = 0; order < 2; order++) {
		struct sst *in[2] = { s[order], s[1 - order] };
		sbuf_init(&out);
		o.ctx = &out;
		assert_int_equal(kmerge_open(&km, in, 2, 500, &err), 0);
		int rc = dump_rows_from(kmerge_header(km), "t", &ops, km, &o, 500, &err);
		if (rc < 0)
			printf("# %s\n", err.msg);
		assert_int_equal(rc, 0);
		kmerge_close(km);
		printf("# merged rows:\n%s", out.buf ? out.buf : "");
		const char *want[] = {
			"{\"pk\": {\"PartitionKey\": \"k\"}, \"ck\": {\"clustering\": 2}, \"cells\": {\"v\": \"b\"}}\n",
			"{\"pk\": {\"PartitionKey\": \"k\"}, \"ck\": {\"clustering\": 3}, \"cells\": {\"v\": \"x\"}}\n",
			"{\"pk\": {\"PartitionKey\": \"k\"}, \"ck\": {\"clustering\": 7}, \"cells\": {\"v\": \"old\"}}\n",
			"{\"pk\": {\"PartitionKey\": \"k\"}, \"ck\": {\"clustering\": 9}, \"cells\": {\"v\": \"r\"}}\n",
		};
		struct sbuf w;
		sbuf_init(&w);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			sbuf_adds(&w, want[i]);
		assert_string_equal(out.buf ? out.buf : "", w.buf);
		sbuf_release(&w);
		sbuf_release(&out);
	}
	sst_close(s[0]);
	sst_close(s[1]);
	tl_rm_rf(dir);
}

/* The same two SSTables as two replicas: where they disagree, and who won. */
static void test_conflicts(void **state)
{
	char dir[] = "/tmp/pitfs-kconf-XXXXXX", path[128];
	struct sst *s[2];
	struct kmerge *km;
	struct pit_err err = { 0 };
	const struct sst_partition *p;
	const struct kconflict *cs;
	size_t n;
	const int node[2] = { 0, 1 };

	(void)state;
	make_header();
	assert_non_null(mkdtemp(dir));
	const struct cellspec a[] = { { 1, 'v', 10, 0, "a" }, { 2, 'v', 10, 0, "same" }, { 6, 'v', 15, 0, "y" },
				      { 7, 'v', 1000, 0, "new" } };
	const struct cellspec b[] = { { 1, 't', 10, 50, NULL }, { 2, 'v', 10, 0, "same" }, { 7, 'v', 100, 0, "old" } };
	write_sst(dir, 1, NULL, 0, a, 4, 0, 0, 0);
	write_sst(dir, 2, NULL, 0, b, 3, 6, 6, 20);
	for (int g = 0; g < 2; g++) {
		snprintf(path, sizeof(path), "%s/nb-%d-big-Data.db", dir, g + 1);
		assert_int_equal(sst_open_path(&s[g], path, &err), 0);
	}
	assert_int_equal(kmerge_open(&km, s, 2, 500, &err), 0);
	kmerge_set_nodes(km, node, 2);
	assert_int_equal(kmerge_next_partition(km, &p, &err), 1);
	assert_int_equal(kmerge_conflicts(km, &cs, &n, &err), 0);
	assert_int_equal(n, 0);	/* the partition deletion agrees */
	/* row 1: value vs tombstone (B wins); row 6: A's cell vs B's range
	 * deletion, as a row deletion and as a cell only A has; row 7: A's
	 * write after T is cut, so only B has a value; row 2 agrees */
	int cells = 0, rowdel = 0;
	const struct sst_unfiltered *u;
	while (kmerge_next(km, &u, &err) > 0) {
	assert_int_equal(kmerge_conflicts(km, &cs, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		int ck = cs[i].row ? cs[i].row->cval[0][3] : -1;
		printf("# conflict: ck %d kind %d winner %d\n", ck, cs[i].kind, cs[i].winner);
		assert_int_not_equal(ck, 2);
		if (cs[i].kind == KC_CELL) {
			cells++;
			if (ck == 1)
				assert_int_equal(cs[i].winner, 1);
			if (ck == 7) {
				assert_false(cs[i].v[0].present);
				assert_int_equal(cs[i].winner, 1);
			}
		}
		if (cs[i].kind == KC_ROW_DELETION && ck == 6) {
			rowdel++;
			assert_int_equal(cs[i].winner, 1);
		}
	}
	}
	assert_int_equal(cells, 3);	/* rows 1, 6 and 7 */
	assert_int_equal(rowdel, 1);
	assert_int_equal(kmerge_next_partition(km, &p, &err), 0);
	kmerge_close(km);
	sst_close(s[0]);
	sst_close(s[1]);
	tl_rm_rf(dir);
}

/* The real two-SSTable fixtures merge to their documented rows. */
static void test_fixture_pairs(void **state)
{
	const char *fx = tl_fixtures();
	const char *sets[][3] = {
		{ "sstable-transformer-nb-two-sstables/spark_test/test3", "nb-1-big-Data.db", "nb-2-big-Data.db" },
		{ "scylla-mc-two-sstables-deleted-row/compact_deleted_row/sst3/test_deleted_row", "mc-1-big-Data.db",
		  "mc-2-big-Data.db" },
	};

	(void)state;
	TL_NEED_FIXTURES(fx);
	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		char path[1024];
		struct sst *s[2];
		struct kmerge *km;
		struct cql_schema *schema;
		struct pit_err err = { 0 };
		struct sbuf out;
		struct dump_opts o = { .mode = DUMP_ROWS, .now_s = 1767225600, .write = collect };
		size_t wn;

		for (int i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s/%s", fx, sets[k][0], sets[k][1 + i]);
			assert_int_equal(sst_open_path(&s[i], path, &err), 0);
		}
		snprintf(path, sizeof(path), "%s/%s/schema.cql", fx, sets[k][0]);
		assert_int_equal(cql_schema_load(&schema, path, &err), 0);
		o.table = cql_schema_table(schema, 0);
		sbuf_init(&out);
		o.ctx = &out;
		for (int i = 0; i < 2; i++)
			assert_int_equal(bind_fix_types(s[i], o.table, &err), 0);
		assert_int_equal(kmerge_open(&km, s, 2, INT64_MAX, &err), 0);
		assert_int_equal(dump_rows_from(kmerge_header(km), sets[k][0], &ops, km, &o, INT64_MAX, &err), 0);
		kmerge_close(km);
		snprintf(path, sizeof(path), "%s/%s/expected.jsonl", fx, sets[k][0]);
		char *want = tl_read_file(path, &wn);
		assert_non_null(want);
		printf("# %s merged: %s", sets[k][0], out.buf ? out.buf : "(nothing)\n");
		assert_true(tl_jsonl_same(want, wn, out.buf ? out.buf : "", out.len, sets[k][0]));
		free(want);
		sbuf_release(&out);
		cql_schema_free(schema);
		sst_close(s[0]);
		sst_close(s[1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_fixture_pairs),
	};
	int rc = cmocka_run_group_tests_name("kmerge", tests, NULL, NULL);
	if (hdr.key_type)
		free_header();
	return rc;
}
