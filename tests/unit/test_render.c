/* The view writers (core/view/render_*) on SSTables built byte for byte
 * (tests/lib/sstbuild): what no generated cluster holds, such as column
 * names that CQL quotes; and the namespace's nodes in the packed form the
 * mount keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "core/cql/schema.h"
#include "core/util/bytes.h"
#include "core/merge/kmerge.h"
#include "core/view/render_conflicts.h"
#include "core/view/render_cql.h"
#include "core/view/render_csv.h"
#include "core/view/render_jsonl.h"
#include "core/view/rows.h"
#include "core/view/tree.h"
#include "tests/lib/sstbuild.h"

#define TS0 1700000000000000ll

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

static int next_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return sst_scan_next_partition(ctx, p, err);
}

static int next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return sst_scan_next(ctx, u, err);
}

static const struct scan_ops ops = { next_partition, next };

static int collect(void *ctx, const char *p, size_t n)
{
	sbuf_add(ctx, p, n);
	return 0;
}

/* One row of a table whose names have capitals, a space, a leading digit. */
static struct sst *quoted_names_table(struct sb **b, struct cql_schema **schema)
{
	static const char cql[] = "CREATE TABLE ks.\"T\" (\"Id\" int, \"Ck\" int, \"Val\" text, \"my col\" int, "
				  "\"2nd\" int, PRIMARY KEY (\"Id\", \"Ck\"));\n";
	static const struct sb_col regulars[] = { { "2nd", "Int32Type" }, { "Val", "UTF8Type" }, { "my col", "Int32Type" } };
	struct sb_spec spec = { .version = "nb", .key_type = "Int32Type", .nclust = 1, .clust = { "Int32Type" },
				.nregular = 3, .regulars = regulars, .min_ts = TS0 };
	static const uint8_t one[4] = { 0, 0, 0, 1 }, two[4] = { 0, 0, 0, 2 }, seven[4] = { 0, 0, 0, 7 };
	struct pit_err err = { 0 };
	struct sb_row r;
	struct sst *s;

	assert_int_equal(cql_schema_parse(schema, cql, sizeof(cql) - 1, "schema.cql", &err), 0);
	*b = sb_new(&spec);
	sb_partition(*b, one, 4, LIVE);
	memset(&r, 0, sizeof(r));
	r.cval[0] = two;
	r.clen[0] = 4;
	r.cstate[0] = SST_CK_VALUE;
	r.live = (struct sst_liveness){ .ts = TS0, .ldt = SST_NO_LDT };
	r.del = LIVE;
	r.cells[0] = (struct sb_cell){ .col = 0, .ts = TS0, .ldt = SST_NO_LDT, .value = one, .len = 4 };
	r.cells[1] = (struct sb_cell){ .col = 1, .ts = TS0, .ldt = SST_NO_LDT, .value = "x", .len = 1 };
	r.cells[2] = (struct sb_cell){ .col = 2, .ts = TS0, .ldt = SST_NO_LDT, .value = seven, .len = 4 };
	r.ncells = 3;
	sb_row(*b, &r);
	sb_end_partition(*b);
	assert_int_equal(sb_open(*b, &s, &err), 0);
	return s;
}

/* data.jsonl keys are what SELECT JSON writes: a name in double quotes only
 * where it has capitals, the partition key's and clustering's too; data.cql
 * quotes as CQL does (capitals, a space, a leading digit). */
static void test_quoted_names(void **state)
{
	struct pit_err err = { 0 };
	struct cql_schema *schema;
	struct sb *b;
	struct sst *s = quoted_names_table(&b, &schema);
	const struct cql_table *t = cql_schema_table(schema, 0);
	struct live_at at = { TS0 / 1000000 + 10, TS0 + 10000000 };
	struct row_writer rw;
	struct sst_scan *sc;
	struct sbuf got;

	(void)state;
	sbuf_init(&got);
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	assert_int_equal(render_jsonl_writer(&rw, sst_header(s), "ks.T", t, collect, &got, &err), 0);
	assert_int_equal(liverows_write(&rw, sst_header(s), &at, NULL, &ops, sc, &err), 0);
	sst_scan_close(sc);
	sbuf_addc(&got, 0);
	printf("# %s", got.buf);
	assert_string_equal(got.buf, "{\"\\\"Id\\\"\": 1, \"\\\"Ck\\\"\": 2, \"2nd\": 1, \"\\\"Val\\\"\": \"x\", \"my col\": 7}\n");

	sbuf_reset(&got);
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	assert_int_equal(render_cql_writer(&rw, sst_header(s), "ks", "T", t, &at, false, collect, &got, &err), 0);
	assert_int_equal(liverows_write(&rw, sst_header(s), &at, NULL, &ops, sc, &err), 0);
	sst_scan_close(sc);
	sbuf_addc(&got, 0);
	printf("# %s", got.buf);
	assert_non_null(strstr(got.buf, "INSERT INTO ks.\"T\" (\"Id\", \"Ck\", \"2nd\", \"Val\", \"my col\") VALUES (1, 2, 1, 'x', 7);"));
	sbuf_release(&got);
	sst_close(s);
	sb_free(b);
	cql_schema_free(schema);
}

/* Rows with collections as CQL writes them: set whole (a deletion just
 * below the elements' write time), added to later, appended to at several
 * write times, with elements expiring; before them a row of only a row
 * marker. */
static struct sst *collections_table(struct sb **b, struct cql_schema **schema)
{
	static const char cql[] = "CREATE TABLE ks.c (k int, c int, v text, l list<text>, m map<text, int>, "
				  "s set<int>, PRIMARY KEY (k, c));\n";
	static const struct sb_col regulars[] = { { "v", "UTF8Type" },
						  { "l", "ListType(UTF8Type)" },
						  { "m", "MapType(UTF8Type,Int32Type)" },
						  { "s", "SetType(Int32Type)" } };
	struct sb_spec spec = { .version = "nb", .key_type = "Int32Type", .nclust = 1, .clust = { "Int32Type" },
				.nregular = 4, .regulars = regulars, .min_ts = TS0 };
	static const uint8_t i0[4] = { 0 }, i1[4] = { 0, 0, 0, 1 }, i2[4] = { 0, 0, 0, 2 }, i3[4] = { 0, 0, 0, 3 },
			     i7[4] = { 0, 0, 0, 7 }, i8[4] = { 0, 0, 0, 8 }, i9[4] = { 0, 0, 0, 9 };
	static uint8_t u[6][16];	/* list cell paths, in order */
	const uint8_t *ck[4] = { i0, i1, i2, i3 };
	struct pit_err err = { 0 };
	struct sb_row r;
	struct sst *s;

	for (int i = 0; i < 6; i++)
		u[i][3] = (uint8_t)(i + 1), u[i][6] = 0x10;
	assert_int_equal(cql_schema_parse(schema, cql, sizeof(cql) - 1, "schema.cql", &err), 0);
	*b = sb_new(&spec);
	sb_partition(*b, i1, 4, LIVE);
	for (int row = -1; row < 3; row++) {
		struct sb_cell *c = r.cells;
		memset(&r, 0, sizeof(r));
		r.cval[0] = ck[row + 1];
		r.clen[0] = 4;
		r.cstate[0] = SST_CK_VALUE;
		r.live = (struct sst_liveness){ .ts = row <= 0 ? TS0 : SST_NO_TS, .ldt = SST_NO_LDT };
		r.del = LIVE;
		if (row < 0) {	/* INSERT (k, c) VALUES (1, 0): a row marker only, the first row */
		} else if (row == 0) {	/* INSERT (k, c, v, l, s) VALUES (1, 1, 'x', ['a', 'b'], {1}), then more */
			*c++ = (struct sb_cell){ .col = 0, .ts = TS0, .ldt = SST_NO_LDT, .value = "x", .len = 1 };
			*c++ = (struct sb_cell){ .col = 1, .ts = TS0, .ldt = SST_NO_LDT, .path = u[0], .path_len = 16,
						 .value = "a", .len = 1 };
			*c++ = (struct sb_cell){ .col = 1, .ts = TS0, .ldt = SST_NO_LDT, .path = u[1], .path_len = 16,
						 .value = "b", .len = 1 };
			*c++ = (struct sb_cell){ .col = 1, .ts = TS0 + 5, .ldt = SST_NO_LDT, .path = u[2], .path_len = 16,
						 .value = "c", .len = 1 };
			*c++ = (struct sb_cell){ .col = 2, .ts = TS0 + 5, .ldt = SST_NO_LDT, .path = "k1", .path_len = 2,
						 .value = i1, .len = 4 };
			*c++ = (struct sb_cell){ .col = 3, .ts = TS0, .ldt = SST_NO_LDT, .path = i1, .path_len = 4 };
			r.cx[r.ncx++] = (struct sst_complex_del){ 1, { TS0 - 1, TS0 / 1000000 } };
			r.cx[r.ncx++] = (struct sst_complex_del){ 3, { TS0 - 1, TS0 / 1000000 } };
		} else if (row == 1) {	/* appends and additions at two write times, interleaved */
			const char *lv[3] = { "p", "q", "r" };
			const uint8_t *sv[3] = { i7, i8, i9 };
			for (int e = 0; e < 3; e++)
				*c++ = (struct sb_cell){ .col = 1, .ts = TS0 + 1 + e % 2, .ldt = SST_NO_LDT, .path = u[e],
							 .path_len = 16, .value = lv[e], .len = 1 };
			for (int e = 0; e < 3; e++)
				*c++ = (struct sb_cell){ .col = 3, .ts = TS0 + 1 + e % 2, .ldt = SST_NO_LDT, .path = sv[e],
							 .path_len = 4 };
		} else {	/* one element expiring */
			*c++ = (struct sb_cell){ .col = 1, .ts = TS0, .ldt = SST_NO_LDT, .path = u[0], .path_len = 16,
						 .value = "x", .len = 1 };
			*c++ = (struct sb_cell){ .col = 1, .flags = SST_CELL_EXPIRING, .ts = TS0, .ttl = 100,
						 .ldt = TS0 / 1000000 + 100, .path = u[1], .path_len = 16, .value = "y",
						 .len = 1 };
		}
		r.ncells = (int)(c - r.cells);
		sb_row(*b, &r);
	}
	sb_end_partition(*b);
	assert_int_equal(sb_open(*b, &s, &err), 0);
	return s;
}

static void render_collections(bool timestamps, struct sbuf *got)
{
	struct pit_err err = { 0 };
	struct cql_schema *schema;
	struct sb *b;
	struct sst *s = collections_table(&b, &schema);
	struct live_at at = { TS0 / 1000000 + 10, TS0 + 10000000 };
	struct row_writer rw;
	struct sst_scan *sc;

	sbuf_reset(got);
	assert_int_equal(sst_scan_open(&sc, s, &err), 0);
	assert_int_equal(render_cql_writer(&rw, sst_header(s), "ks", "c", cql_schema_table(schema, 0), &at, timestamps,
					   collect, got, &err), 0);
	assert_int_equal(liverows_write(&rw, sst_header(s), &at, NULL, &ops, sc, &err), 0);
	sst_scan_close(sc);
	sbuf_addc(got, 0);
	sst_close(s);
	sb_free(b);
	cql_schema_free(schema);
}

/* data.cql sets a collection whole where the backup shows it was (the same
 * deletion comes of the replay), adds to it elsewhere, and appends a list's
 * elements in its order whatever their write times; data.now.cql sets every
 * collection whole in its row's first statement, so that it is forced back
 * rather than added to. */
static void test_cql_collections(void **state)
{
	static const char *const want_ts =
		"INSERT INTO ks.c (k, c) VALUES (1, 0) USING TIMESTAMP 1700000000000000;\n"
		"INSERT INTO ks.c (k, c, v, l, s) VALUES (1, 1, 'x', ['a', 'b'], {1}) USING TIMESTAMP 1700000000000000;\n"
		"UPDATE ks.c USING TIMESTAMP 1700000000000005 SET l = l + ['c'], m['k1'] = 1 WHERE k = 1 AND c = 1;\n"
		"UPDATE ks.c USING TIMESTAMP 1700000000000001 SET l = l + ['p'], s = s + {7, 9} WHERE k = 1 AND c = 2;\n"
		"UPDATE ks.c USING TIMESTAMP 1700000000000002 SET l = l + ['q'], s = s + {8} WHERE k = 1 AND c = 2;\n"
		"UPDATE ks.c USING TIMESTAMP 1700000000000001 SET l = l + ['r'] WHERE k = 1 AND c = 2;\n"
		"UPDATE ks.c USING TIMESTAMP 1700000000000000 SET l = l + ['x'] WHERE k = 1 AND c = 3;\n"
		"UPDATE ks.c USING TIMESTAMP 1700000000000000 AND TTL 90 SET l = l + ['y'] WHERE k = 1 AND c = 3;\n";
	static const char *const want_now =
		"INSERT INTO ks.c (k, c) VALUES (1, 0);\n"
		"INSERT INTO ks.c (k, c, v, l, m, s) VALUES (1, 1, 'x', ['a', 'b', 'c'], {'k1': 1}, {1});\n"
		"UPDATE ks.c SET l = ['p', 'q', 'r'], s = {7, 8, 9} WHERE k = 1 AND c = 2;\n"
		"UPDATE ks.c SET l = ['x'] WHERE k = 1 AND c = 3;\n"
		"UPDATE ks.c USING TTL 90 SET l = l + ['y'] WHERE k = 1 AND c = 3;\n";
	struct sbuf got;

	(void)state;
	sbuf_init(&got);
	render_collections(true, &got);
	assert_string_equal(got.buf, want_ts);
	render_collections(false, &got);
	assert_string_equal(got.buf, want_now);
	sbuf_release(&got);
}

/* A non-frozen UDT set whole, then one field updated: data.cql writes the
 * INSERT with the whole value and the later field alone; data.now.cql the
 * whole value in one INSERT. */
static void test_cql_udt(void **state)
{
	static const char cql[] = "CREATE TYPE ks.address (city text, zip int);\n"
				  "CREATE TABLE ks.u (k int PRIMARY KEY, a address);\n";
	static const struct sb_col regulars[] = { { "a", "UserType(ks,61646472657373,63697479:UTF8Type,7a6970:Int32Type)" } };
	struct sb_spec spec = { .version = "nb", .key_type = "Int32Type", .nregular = 1, .regulars = regulars,
				.min_ts = TS0 };
	static const uint8_t one[4] = { 0, 0, 0, 1 }, zip[4] = { 0, 0, 0, 5 }, f0[2] = { 0, 0 }, f1[2] = { 0, 1 };
	struct live_at at = { TS0 / 1000000 + 10, INT64_MAX };
	struct pit_err err = { 0 };
	struct cql_schema *schema;
	struct sb_row r;
	struct sbuf got;
	struct sst *s;
	struct sb *b;

	(void)state;
	assert_int_equal(cql_schema_parse(&schema, cql, sizeof(cql) - 1, "schema.cql", &err), 0);
	b = sb_new(&spec);
	sb_partition(b, one, 4, LIVE);
	memset(&r, 0, sizeof(r));
	r.live = (struct sst_liveness){ .ts = TS0, .ldt = SST_NO_LDT };
	r.del = LIVE;
	r.cells[0] = (struct sb_cell){ .col = 0, .ts = TS0, .ldt = SST_NO_LDT, .path = f0, .path_len = 2, .value = "Oslo",
				       .len = 4 };
	r.cells[1] = (struct sb_cell){ .col = 0, .ts = TS0 + 3, .ldt = SST_NO_LDT, .path = f1, .path_len = 2,
				       .value = zip, .len = 4 };
	r.ncells = 2;
	r.cx[r.ncx++] = (struct sst_complex_del){ 0, { TS0 - 1, TS0 / 1000000 } };
	sb_row(b, &r);
	sb_end_partition(b);
	assert_int_equal(sb_open(b, &s, &err), 0);
	sbuf_init(&got);
	for (int ts = 1; ts >= 0; ts--) {
		struct row_writer rw;
		struct sst_scan *sc;
		sbuf_reset(&got);
		assert_int_equal(sst_scan_open(&sc, s, &err), 0);
		assert_int_equal(render_cql_writer(&rw, sst_header(s), "ks", "u", cql_schema_table(schema, 0), &at, ts,
						   collect, &got, &err), 0);
		assert_int_equal(liverows_write(&rw, sst_header(s), &at, NULL, &ops, sc, &err), 0);
		sst_scan_close(sc);
		sbuf_addc(&got, 0);
		assert_string_equal(got.buf,
				    ts ? "INSERT INTO ks.u (k, a) VALUES (1, {city: 'Oslo'}) USING TIMESTAMP 1700000000000000;\n"
					 "UPDATE ks.u USING TIMESTAMP 1700000000000003 SET a.zip = 5 WHERE k = 1;\n"
				       : "INSERT INTO ks.u (k, a) VALUES (1, {city: 'Oslo', zip: 5});\n");
	}
	sbuf_release(&got);
	sst_close(s);
	sb_free(b);
	cql_schema_free(schema);
}

static int km_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return kmerge_next_partition(ctx, p, err);
}

static int km_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return kmerge_next(ctx, u, err);
}

/* A damaged replica may hold a partition with an empty key: the merge of
 * two such takes them as one partition, and nothing reads a null buffer
 * (SAN=asan). */
/* Two replicas of one row under key: the same value, written a microsecond
 * apart (the second replica's wins). */
static void replicas(struct sb *b[2], struct sst *s[2], const void *key, size_t key_len)
{
	static const struct sb_col regulars[] = { { "v", "Int32Type" } };
	static const uint8_t seven[4] = { 0, 0, 0, 7 };
	struct sb_spec spec = { .version = "nb", .key_type = "BytesType", .nregular = 1, .regulars = regulars,
				.min_ts = TS0 };
	struct pit_err err = { 0 };

	for (int i = 0; i < 2; i++) {
		struct sb_row r;
		memset(&r, 0, sizeof(r));
		r.live = (struct sst_liveness){ .ts = TS0 + i, .ldt = SST_NO_LDT };
		r.del = LIVE;
		r.cells[0] = (struct sb_cell){ .col = 0, .ts = TS0 + i, .ldt = SST_NO_LDT, .value = seven, .len = 4 };
		r.ncells = 1;
		b[i] = sb_new(&spec);
		sb_partition(b[i], key, key_len, LIVE);
		sb_row(b[i], &r);
		sb_end_partition(b[i]);
		assert_int_equal(sb_open(b[i], &s[i], &err), 0);
	}
}

static void test_merge_empty_key(void **state)
{
	static const struct scan_ops km_ops = { km_partition, km_next };
	struct live_at at = { TS0 / 1000000 + 10, INT64_MAX };
	struct pit_err err = { 0 };
	struct sst *s[2];
	struct sb *b[2];
	struct kmerge *km;
	struct row_writer rw;
	struct sbuf got;

	(void)state;
	replicas(b, s, "", 0);
	sbuf_init(&got);
	assert_int_equal(kmerge_open(&km, s, 2, INT64_MAX, &err), 0);
	assert_int_equal(render_jsonl_writer(&rw, kmerge_header(km), "ks.t", NULL, collect, &got, &err), 0);
	assert_int_equal(liverows_write(&rw, kmerge_header(km), &at, NULL, &km_ops, km, &err), 0);
	kmerge_close(km);
	sbuf_addc(&got, 0);
	printf("# %s", got.buf);
	assert_string_equal(got.buf, "{\"\\\"PartitionKey\\\"\": \"0x\", \"v\": 7}\n");	/* one row */
	sbuf_release(&got);
	for (int i = 0; i < 2; i++) {
		sst_close(s[i]);
		sb_free(b[i]);
	}
}

/* Every row writer's bytes for table s, one after the other. */
static void render_all(struct sst *s, const char *table, const struct cql_table *t, struct sbuf *out)
{
	struct live_at at = { TS0 / 1000000 + 10, TS0 + 10000000 };
	struct pit_err err = { 0 };
	char name[64];

	snprintf(name, sizeof(name), "ks.%s", table);
	for (int k = 0; k < 4; k++) {
		struct row_writer rw;
		struct sst_scan *sc;
		assert_int_equal(sst_scan_open(&sc, s, &err), 0);
		if (k == 0)
			assert_int_equal(render_csv_writer(&rw, sst_header(s), name, t, false, collect, out, &err), 0);
		else if (k == 1)
			assert_int_equal(render_jsonl_writer(&rw, sst_header(s), name, t, collect, out, &err), 0);
		else
			assert_int_equal(render_cql_writer(&rw, sst_header(s), "ks", table, t, &at, k == 2, collect, out,
							   &err), 0);
		assert_int_equal(liverows_write(&rw, sst_header(s), &at, NULL, &ops, sc, &err), 0);
		sst_scan_close(sc);
	}
}

/* A mount keeps view files' sizes and checkpoints keyed by
 * VIEW_BYTES_VERSION: when what the writers write changes, this hash of
 * their bytes for two tables (and of conflicts.jsonl for two replicas)
 * changes, and the version must be bumped with it (then both set here), or
 * a mount would take an earlier pitfs's sizes for files that are no longer
 * that long. */
static void test_bytes_version(void **state)
{
	struct cql_schema *schema[2];
	struct sb *b[2];
	struct sst *s[2] = { quoted_names_table(&b[0], &schema[0]), collections_table(&b[1], &schema[1]) };
	struct sbuf got;

	(void)state;
	sbuf_init(&got);
	render_all(s[0], "T", cql_schema_table(schema[0], 0), &got);
	render_all(s[1], "c", cql_schema_table(schema[1], 0), &got);
	{
		static const int node[2] = { 0, 1 };
		static const char *const nodes[2] = { "n1", "n2" };
		struct pit_err err = { 0 };
		struct sst *r[2];
		struct sb *rb[2];
		struct kmerge *km;
		replicas(rb, r, "k", 1);
		assert_int_equal(kmerge_open(&km, r, 2, INT64_MAX, &err), 0);
		kmerge_set_nodes(km, node, 2);
		assert_int_equal(render_conflicts(km, "ks.t", NULL, nodes, 2, collect, &got, &err), 0);
		kmerge_close(km);
		for (int i = 0; i < 2; i++) {
			sst_close(r[i]);
			sb_free(rb[i]);
		}
	}
	uint64_t h = XXH3_64bits(got.buf, got.len);
	printf("# view bytes version %d, hash of the writers' bytes %016llx (%zu bytes)\n", VIEW_BYTES_VERSION,
	       (unsigned long long)h, got.len);
	assert_int_equal(VIEW_BYTES_VERSION, 2);
	assert_int_equal(h, 0x7f7a49000d7cd9faull);
	sbuf_release(&got);
	for (int i = 0; i < 2; i++) {
		sst_close(s[i]);
		sb_free(b[i]);
		cql_schema_free(schema[i]);
	}
}

/* A node packed and unpacked is the node, in a fraction of its size. */
static void test_node_pack(void **state)
{
	struct tree_node n = { .kind = T_BACKUP_FILE, .at_us = -1234567, .latest = true };
	struct tree_node back;
	unsigned char buf[2048];

	(void)state;
	memset(n.backup.b, 0xab, sizeof(n.backup.b));
	snprintf(n.ks, sizeof(n.ks), "shop");
	snprintf(n.table, sizeof(n.table), "orders");
	snprintf(n.node, sizeof(n.node), "node-7");
	memset(n.rel, 'r', sizeof(n.rel) - 1);	/* the longest a name can be */
	size_t len = tree_node_pack(&n, NULL, 0);
	assert_true(len < sizeof(n.rel) + 64);
	assert_int_equal(tree_node_pack(&n, buf, sizeof(buf)), len);
	memset(&back, 0x5a, sizeof(back));
	tree_node_unpack(buf, &back);
	assert_int_equal(back.kind, n.kind);
	assert_true(back.at_us == n.at_us && back.latest);
	assert_memory_equal(back.backup.b, n.backup.b, sizeof(n.backup.b));
	assert_string_equal(back.ks, "shop");
	assert_string_equal(back.table, "orders");
	assert_string_equal(back.file, "");
	assert_string_equal(back.node, "node-7");
	assert_string_equal(back.rel, n.rel);
	/* a node of a view file: its names are short, so is its packed form */
	struct tree_node v = { .kind = T_VIEW_FILE, .at_us = 1700000000000000ll };
	snprintf(v.ks, sizeof(v.ks), "shop");
	snprintf(v.table, sizeof(v.table), "orders");
	snprintf(v.file, sizeof(v.file), "data.csv");
	printf("# a view file's node: %zu bytes, packed %zu\n", sizeof(v), tree_node_pack(&v, NULL, 0));
	assert_true(tree_node_pack(&v, NULL, 0) < 100);
	tree_node_pack(&v, buf, sizeof(buf));
	tree_node_unpack(buf, &back);
	assert_false(back.latest);
	assert_string_equal(back.file, "data.csv");
	assert_string_equal(back.rel, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted_names),
		cmocka_unit_test(test_cql_collections),
		cmocka_unit_test(test_cql_udt),
		cmocka_unit_test(test_bytes_version),
		cmocka_unit_test(test_merge_empty_key),
		cmocka_unit_test(test_node_pack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
