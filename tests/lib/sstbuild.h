/* Builds small SSTables in memory, byte for byte as Cassandra's serializers
 * lay them out, so tests can reach every flag combination the format has. */
#ifndef PIT_SSTBUILD_H
#define PIT_SSTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/sstable/reader.h"

struct sb_col {
	const char *name;
	const char *type;	/* marshal class string */
};

struct sb_spec {
	const char *version;		/* "ma" .. "oa"; "da" with format "bti" */
	const char *format;		/* default "big" */
	const char *key_type;
	int nclust;
	const char *clust[8];
	int nstatic;
	struct sb_col statics[4];
	int nregular;
	const struct sb_col *regulars;
	int64_t min_ts, min_ldt;
	int32_t min_ttl;
	const char *partitioner;	/* default Murmur3Partitioner */
	enum sst_codec codec;
	bool compressed;		/* with CompressionInfo.db (codec) */
	bool crc;			/* uncompressed: write CRC.db */
	uint32_t chunk_len;		/* default 4096 */
};

struct sb_cell {
	int col;
	uint8_t flags;			/* SST_CELL_* */
	int64_t ts;
	int32_t ttl;
	int64_t ldt;
	const void *path;
	size_t path_len;
	const void *value;
	size_t len;
};

struct sb_row {
	bool is_static;
	const void *cval[8];
	size_t clen[8];
	uint8_t cstate[8];		/* SST_CK_* */
	struct sst_liveness live;	/* ts SST_NO_TS: none; ldt != SST_NO_LDT: expiring */
	struct sst_deletion del;
	bool shadowable;
	int ncells;
	struct sb_cell cells[80];	/* by column, a complex column's cells together */
	int ncx;
	struct sst_complex_del cx[8];
	bool force_subset;		/* a column subset even when every column is there */
};

struct sb;
struct sb_file {
	char name[32];
	uint8_t *p;
	size_t n;
};

struct sb *sb_new(const struct sb_spec *spec);
void sb_free(struct sb *b);
void sb_partition(struct sb *b, const void *key, size_t n, struct sst_deletion del);
void sb_row(struct sb *b, const struct sb_row *r);
void sb_marker(struct sb *b, enum sst_bound kind, int n, const void *const *vals, const size_t *lens,
	       struct sst_deletion d0, struct sst_deletion d1);
void sb_end_partition(struct sb *b);
/* Serializes the components (once) and opens the SSTable from memory. */
int sb_open(struct sb *b, struct sst **out, struct pit_err *err);
/* The serialized components, which a test may damage before sb_open. */
struct sb_file *sb_files(struct sb *b, int *n);
void sb_remove(struct sb *b, const char *component);

#endif
