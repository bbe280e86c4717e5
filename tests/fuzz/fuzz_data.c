/* libFuzzer: Data.db bytes decoded and rendered under a header with every
 * kind of column: as sstabledump JSON, as live rows, and by the view's
 * writers (CSV, JSON lines, CQL with and without write times); or two
 * replicas' merged by Cassandra's rules and rendered, conflicts too. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/view/dump.h"
#include "core/merge/kmerge.h"
#include "core/view/render_conflicts.h"
#include "core/view/render_cql.h"
#include "core/view/render_csv.h"
#include "core/view/render_jsonl.h"
#include "tests/lib/sstbuild.h"

static const struct sb_col COLS[] = {
	{ "i", "Int32Type" }, { "t", "UTF8Type" }, { "d", "DecimalType" }, { "v", "IntegerType" },
	{ "ts", "TimestampType" }, { "u", "TimeUUIDType" }, { "du", "DurationType" }, { "in", "InetAddressType" },
	{ "f", "FrozenType(MapType(UTF8Type,ListType(DoubleType)))" }, { "tu", "TupleType(Int32Type,DateType)" },
	{ "l", "ListType(Int32Type)" }, { "s", "SetType(TimeType)" }, { "m", "MapType(UTF8Type,SimpleDateType)" },
	{ "ud", "UserType(ks,75,61:Int32Type,62:UTF8Type)" }, { "c", "CounterColumnType" },
};

static int discard(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static int next_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return sst_scan_next_partition(ctx, p, err);
}

static int next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return sst_scan_next(ctx, u, err);
}

static int km_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return kmerge_next_partition(ctx, p, err);
}

static int km_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return kmerge_next(ctx, u, err);
}

/* The view's row writers, each over its own scan of the one SSTable or
 * merge of two; and of a merge its conflicts. */
static void write_views(struct sst **ssts, int n)
{
	static const struct scan_ops sst_ops = { next_partition, next }, km_ops = { km_partition, km_next };
	static const int node[2] = { 0, 1 };
	static const char *const nodes[2] = { "a", "b" };
	struct live_at at = { 1800000000, INT64_MAX };
	struct pit_err err = { 0 };

	for (int k = 0; k < 5; k++) {
		const struct sst_header *h;
		struct row_writer rw;
		struct sst_scan *sc = NULL;
		struct kmerge *km = NULL;
		int rc;
		if (n == 1 ? sst_scan_open(&sc, ssts[0], &err) < 0 : kmerge_open(&km, ssts, n, INT64_MAX, &err) < 0)
			return;
		h = sc ? sst_header(ssts[0]) : kmerge_header(km);
		if (k == 4) {
			if (km) {
				kmerge_set_nodes(km, node, 2);
				render_conflicts(km, "ks.t", NULL, nodes, 2, discard, NULL, &err);
			}
			rc = -1;
		} else if (k == 0) {
			rc = render_csv_writer(&rw, h, "ks.t", NULL, false, discard, NULL, &err);
		} else if (k == 1) {
			rc = render_jsonl_writer(&rw, h, "ks.t", NULL, discard, NULL, &err);
		} else {
			rc = render_cql_writer(&rw, h, "ks", "t", NULL, &at, k == 2, discard, NULL, &err);
		}
		if (rc == 0)
			liverows_write(&rw, h, &at, NULL, sc ? &sst_ops : &km_ops, sc ? (void *)sc : km, &err);
		if (sc)
			sst_scan_close(sc);
		else
			kmerge_close(km);
	}
}

/* One builder per version and replica, made once: only Data.db changes
 * between runs. */
static struct sb *builder(bool oa, int replica)
{
	static struct sb *b[2][2];
	if (!b[oa][replica]) {
		struct sb_spec spec = { .version = oa ? "oa" : "me", .key_type = "CompositeType(UTF8Type,Int32Type)",
					.nclust = 2, .clust = { "Int32Type", "ReversedType(UTF8Type)" },
					.nstatic = 1, .statics = { { "st", "BooleanType" } },
					.nregular = sizeof(COLS) / sizeof(COLS[0]), .regulars = COLS,
					.min_ts = 1700000000000000ll, .min_ldt = 1700000000ll };
		b[oa][replica] = sb_new(&spec);
		sb_remove(b[oa][replica], "Digest.crc32");
	}
	return b[oa][replica];
}

/* An SSTable whose Data.db is the n bytes at p. */
static int open_with(bool oa, int replica, const uint8_t *p, size_t n, struct sst **s)
{
	struct sb *b = builder(oa, replica);
	struct pit_err err = { 0 };
	int nf;
	struct sb_file *files = sb_files(b, &nf);
	uint8_t *copy = malloc(n ? n : 1);

	memcpy(copy, p, n);
	for (int i = 0; i < nf; i++)
		if (!strcmp(files[i].name, "Data.db")) {
			free(files[i].p);
			files[i].p = copy;
			files[i].n = n;
		}
	return sb_open(b, s, &err);
}

/* The input stands in for Data.db; where its first byte has bit 2 set, it
 * is two replicas' Data.db, cut where its last two bytes say. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool oa = size && (data[0] & 1);
	struct sst *s[2] = { NULL, NULL };
	struct pit_err err = { 0 };

	if (size >= 3 && (data[0] & 2)) {
		size_t body = size - 2, cut = (data[size - 2] | (size_t)data[size - 1] << 8) % (body + 1);
		if (open_with(oa, 0, data, cut, &s[0]) == 0 && open_with(oa, 1, data + cut, body - cut, &s[1]) == 0)
			write_views(s, 2);
	} else if (open_with(oa, 0, data, size, &s[0]) == 0) {
		struct dump_opts o = { .mode = DUMP_JSON, .now_s = 1800000000, .write = discard };
		dump_sstable(s[0], &o, &err);
		o.mode = DUMP_ROWS;
		dump_sstable(s[0], &o, &err);
		write_views(s, 1);
	}
	for (int i = 0; i < 2; i++)
		if (s[i])
			sst_close(s[i]);
	return 0;
}
