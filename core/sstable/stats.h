/* Statistics.db: validation, stats and serialization-header components. */
#ifndef PIT_SST_STATS_H
#define PIT_SST_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/cql/type.h"
#include "core/err.h"

#define SST_NO_LDT INT64_MAX	/* "no local deletion time": live */
#define SST_NO_TS INT64_MIN	/* "no timestamp" (Long.MIN_VALUE) */

/* What the two version letters mean for a reader. */
struct sst_version {
	char v[3];
	bool commitlog_lower_bound, commitlog_intervals, accurate_minmax, legacy_minmax,
	     host_id, max_compressed_len, pending_repair, metadata_checksum, improved_minmax,
	     partition_level_deletion_marker, key_range, uint_deletion_time, token_space_coverage;
};

/* Fills v for a format ("big" or "bti") and a version string such as
 * "me"; -ENOTSUP for pre-3.0, unknown or later formats and versions:
 * big ma to oa (Cassandra 3.0 to 5.0), bti da (5.0). */
int sst_version_parse(struct sst_version *v, const char *format, const char *s);

enum sst_partitioner { SST_MURMUR3, SST_RANDOM, SST_BYTE_ORDERED, SST_LOCAL, SST_OTHER };

struct sst_column {
	char *name;
	struct cql_type *type;
	bool complex;		/* multi-cell: one cell per element */
	int fixed;		/* fixed value length, or -1 */
};

struct sst_stats {
	/* validation */
	char partitioner_class[160];
	enum sst_partitioner partitioner;
	double bloom_fp_chance;
	/* stats */
	int64_t min_timestamp, max_timestamp;
	int64_t min_ldt, max_ldt;	/* SST_NO_LDT when none */
	int32_t min_ttl, max_ttl;
	double compression_ratio;
	int32_t sstable_level;
	int64_t repaired_at;
	bool has_legacy_counter_shards;
	int64_t total_columns_set, total_rows;
	uint64_t partition_count_estimate;	/* sum of the partition-size histogram */
	uint64_t cell_count_estimate;
	int64_t tombstone_count_estimate;	/* sum of the tombstone drop-time histogram */
	bool has_pending_repair;
	uint8_t pending_repair[16];
	bool is_transient;
	bool has_host_id;
	uint8_t host_id[16];
	int has_partition_level_deletions;	/* -1 unknown */
	int nmin_clustering, nmax_clustering;	/* legacy min/max clustering value counts */
	/* serialization header encoding stats */
	int64_t enc_min_timestamp, enc_min_ldt;
	int32_t enc_min_ttl;
};

struct sst_header {
	struct cql_type *key_type;
	int nclustering;
	struct cql_type **clustering;
	int nstatic, nregular;
	struct sst_column *statics, *regulars;
};

/* Parses a whole Statistics.db held in memory. name is for messages. */
int sst_stats_parse(const uint8_t *p, size_t n, const struct sst_version *v, const char *name,
		    struct sst_stats *stats, struct sst_header *hdr, struct pit_err *err);
void sst_header_release(struct sst_header *hdr);

#endif
