/* libFuzzer: Data.db bytes decoded and rendered under a header with every
 * kind of column. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/view/dump.h"
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

/* One builder per version, made once: only Data.db changes between runs. */
static struct sb *builder(bool oa)
{
	static struct sb *b[2];
	if (!b[oa]) {
		struct sb_spec spec = { .version = oa ? "oa" : "me", .key_type = "CompositeType(UTF8Type,Int32Type)",
					.nclust = 2, .clust = { "Int32Type", "ReversedType(UTF8Type)" },
					.nstatic = 1, .statics = { { "st", "BooleanType" } },
					.nregular = sizeof(COLS) / sizeof(COLS[0]), .regulars = COLS,
					.min_ts = 1700000000000000ll, .min_ldt = 1700000000ll };
		b[oa] = sb_new(&spec);
		sb_remove(b[oa], "Digest.crc32");
	}
	return b[oa];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb *b = builder(size && (data[0] & 1));
	struct sst *s = NULL;
	struct pit_err err = { 0 };
	int nf;
	struct sb_file *files = sb_files(b, &nf);
	uint8_t *copy = malloc(size ? size : 1);

	/* the fuzz input stands in for Data.db */
	memcpy(copy, data, size);
	for (int i = 0; i < nf; i++)
		if (!strcmp(files[i].name, "Data.db")) {
			free(files[i].p);
			files[i].p = copy;
			files[i].n = size;
		}
	if (sb_open(b, &s, &err) == 0) {
		struct dump_opts o = { .mode = DUMP_JSON, .now_s = 1800000000, .write = discard };
		dump_sstable(s, &o, &err);
		o.mode = DUMP_ROWS;
		dump_sstable(s, &o, &err);
		sst_close(s);
	}
	return 0;
}
