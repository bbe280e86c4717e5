/* Writes the demo's built-in sample: a small nb SSTable of a shop's orders,
 * with the features a backup holds (TTLs, deletions, collections, statics),
 * and the schema.cql a snapshot carries. Usage: make_sample DIR */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "core/util/bytes.h"
#include "tests/lib/sstbuild.h"

static const struct sb_col COLS[] = {
	{ "amount", "DecimalType" },
	{ "items", "MapType(UTF8Type,Int32Type)" },
	{ "note", "UTF8Type" },
	{ "status", "UTF8Type" },
};

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS shop.orders (\n"
	"    customer text,\n    placed timestamp,\n    amount decimal,\n    items map<text, int>,\n"
	"    note text,\n    status text,\n    tier text static,\n"
	"    PRIMARY KEY (customer, placed)\n) WITH CLUSTERING ORDER BY (placed DESC)\n"
	"    AND gc_grace_seconds = 864000;\n";

#define TS 1795143600000000ll	/* 2026-11-21T... in microseconds */

int main(int argc, char **argv)
{
	struct sb_spec spec = { .version = "nb", .key_type = "UTF8Type", .nclust = 1,
				.clust = { "ReversedType(TimestampType)" }, .nstatic = 1, .statics = { { "tier", "UTF8Type" } },
				.nregular = 4, .regulars = COLS, .min_ts = TS, .min_ldt = 1795143600,
				.compressed = true, .codec = SST_CODEC_LZ4, .chunk_len = 16384 };
	const struct sst_deletion live = { SST_NO_TS, SST_NO_LDT };
	struct sb *b;
	struct sb_row r;
	uint8_t ck[3][8];
	static const uint8_t amount1[] = { 0, 0, 0, 2, 0x30, 0x39 };	/* 123.45 */
	static const uint8_t amount2[] = { 0, 0, 0, 1, 0x01, 0xf4 };	/* 50.0 */
	char path[4096];

	if (argc != 2)
		return 2;
	mkdir(argv[1], 0755);
	b = sb_new(&spec);
	for (int i = 0; i < 3; i++)
		put_be64(ck[i], 1795100000000ull - (uint64_t)i * 86400000);

	/* alice: gold tier, two orders, one of them with a TTL'd note */
	sb_partition(b, "alice", 5, live);
	memset(&r, 0, sizeof(r));
	r.is_static = true;
	r.live = (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	r.del = live;
	r.cells[r.ncells++] = (struct sb_cell){ 0, 0, TS, 0, SST_NO_LDT, NULL, 0, "gold", 4 };
	sb_row(b, &r);
	memset(&r, 0, sizeof(r));
	r.cval[0] = ck[0];
	r.clen[0] = 8;
	r.live = (struct sst_liveness){ TS + 10, 0, SST_NO_LDT };
	r.del = live;
	r.cells[r.ncells++] = (struct sb_cell){ 0, SST_CELL_ROW_TS, TS + 10, 0, SST_NO_LDT, NULL, 0, amount1, sizeof(amount1) };
	r.cx[r.ncx++] = (struct sst_complex_del){ 1, { TS + 9, 1795143600 } };
	r.cells[r.ncells++] = (struct sb_cell){ 1, SST_CELL_ROW_TS, TS + 10, 0, SST_NO_LDT, "apple", 5, "\0\0\0\3", 4 };
	r.cells[r.ncells++] = (struct sb_cell){ 1, SST_CELL_ROW_TS, TS + 10, 0, SST_NO_LDT, "pear", 4, "\0\0\0\1", 4 };
	r.cells[r.ncells++] = (struct sb_cell){ 2, SST_CELL_EXPIRING, TS + 11, 315360000, 1795143600 + 315360000,
						NULL, 0, "leave at the door", 17 };
	r.cells[r.ncells++] = (struct sb_cell){ 3, SST_CELL_ROW_TS, TS + 10, 0, SST_NO_LDT, NULL, 0, "SHIPPED", 7 };
	sb_row(b, &r);
	memset(&r, 0, sizeof(r));
	r.cval[0] = ck[1];
	r.clen[0] = 8;
	r.live = (struct sst_liveness){ TS + 20, 0, SST_NO_LDT };
	r.del = live;
	r.cells[r.ncells++] = (struct sb_cell){ 0, SST_CELL_ROW_TS, TS + 20, 0, SST_NO_LDT, NULL, 0, amount2, sizeof(amount2) };
	r.cells[r.ncells++] = (struct sb_cell){ 2, SST_CELL_DELETED | SST_CELL_EMPTY_VALUE, TS + 25, 0, 1795143700, NULL, 0, NULL, 0 };
	r.cells[r.ncells++] = (struct sb_cell){ 3, SST_CELL_ROW_TS, TS + 20, 0, SST_NO_LDT, NULL, 0, "PENDING", 7 };
	sb_row(b, &r);
	sb_end_partition(b);

	/* bob: an order deleted as a row, another still there */
	sb_partition(b, "bob", 3, live);
	memset(&r, 0, sizeof(r));
	r.cval[0] = ck[0];
	r.clen[0] = 8;
	r.live = (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	r.del = (struct sst_deletion){ TS + 30, 1795143630 };
	sb_row(b, &r);
	memset(&r, 0, sizeof(r));
	r.cval[0] = ck[2];
	r.clen[0] = 8;
	r.live = (struct sst_liveness){ TS + 5, 0, SST_NO_LDT };
	r.del = live;
	r.cells[r.ncells++] = (struct sb_cell){ 3, SST_CELL_ROW_TS, TS + 5, 0, SST_NO_LDT, NULL, 0, "DELIVERED", 9 };
	sb_row(b, &r);
	sb_end_partition(b);

	int nf;
	struct sb_file *files = sb_files(b, &nf);
	for (int i = 0; i < nf; i++) {
		if (!files[i].name[0])
			continue;
		snprintf(path, sizeof(path), "%s/nb-1-big-%s", argv[1], files[i].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(files[i].p, 1, files[i].n, f) != files[i].n)
			return 1;
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/schema.cql", argv[1]);
	FILE *f = fopen(path, "w");
	if (!f || fputs(SCHEMA, f) < 0)
		return 1;
	fclose(f);
	sb_free(b);
	return 0;
}
