/* Shared by writer.c (Data.db and the indexes) and writer_stats.c
 * (Statistics.db): what the writer learns about the data as it goes. */
#ifndef PIT_SST_WRITER_IMPL_H
#define PIT_SST_WRITER_IMPL_H

#include "core/sstable/hll.h"
#include "core/sstable/writer.h"

#define PART_SIZE_BUCKETS 150	/* EstimatedHistogram sizes Cassandra 4.1 uses */
#define CELL_COUNT_BUCKETS 118
#define TOMBSTONE_BINS 100
#define TOMBSTONE_SPOOL 131072	/* the spool size 100000, to the next power of two */

struct collector {
	int64_t min_ts, max_ts;
	int64_t min_ldt, max_ldt;	/* as Cassandra stores them: INT32_MAX for none */
	int32_t min_ttl, max_ttl;
	int64_t total_columns, total_rows;
	uint64_t part_sizes[PART_SIZE_BUCKETS + 1];
	uint64_t cell_counts[CELL_COUNT_BUCKETS + 1];
	/* tombstone drop times: a spool that counts each point, drained into at
	 * most TOMBSTONE_BINS bins when it fills up and when the table ends */
	int32_t *spool;		/* TOMBSTONE_SPOOL (point, count) pairs; point -1 is free */
	uint32_t nspool;
	int32_t tomb_point[TOMBSTONE_BINS + 1];
	int64_t tomb_count[TOMBSTONE_BINS + 1];
	int ntomb;
	struct sst_hll *hll;
	/* covered clustering: the smallest and largest prefix written */
	struct sbuf min_ck, max_ck;	/* serialized as u16 length + bytes per value */
	int min_ck_n, max_ck_n;
	bool has_ck;
};

int collector_init(struct collector *c);
void collector_release(struct collector *c);
void collector_timestamp(struct collector *c, int64_t ts);
void collector_ldt(struct collector *c, int64_t ldt);
void collector_ttl(struct collector *c, int32_t ttl);
void collector_deletion(struct collector *c, const struct sst_deletion *d);
void collector_partition(struct collector *c, uint64_t size, uint64_t cells);
void collector_clustering(struct collector *c, const struct sst_header *h, const struct sst_unfiltered *u);
/* Drains what is still spooled: before the statistics are written. */
void collector_finish(struct collector *c);

/* Statistics.db for nb. */
int stats_serialize(const struct collector *c, const struct sst_header *h, const struct sst_writer_opts *o,
		    double compression_ratio, struct sbuf *out);

/* Serialized sizes of the estimator and of a vint, for Statistics.db. */
void put_uvint(struct sbuf *s, uint64_t v);

#endif
