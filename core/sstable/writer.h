/* Writing complete nb SSTables (Cassandra 4.1's format, which 4.0, 4.1 and
 * 5.0 load): Data.db, CompressionInfo.db or CRC.db, Index.db, Summary.db,
 * Filter.db, Statistics.db, Digest.crc32 and TOC.txt. Input is what the
 * reader yields: partitions in token order, unfiltereds in clustering order. */
#ifndef PIT_SST_WRITER_H
#define PIT_SST_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/sstable/reader.h"

struct sst_writer;

struct sst_writer_opts {
	bool compress;			/* LZ4 chunks (else raw Data.db with CRC.db) */
	uint32_t chunk_len;		/* default 16 KiB */
	const char *partitioner;	/* default Murmur3Partitioner */
	double bloom_fp_chance;		/* default 0.01 */
	uint64_t expected_keys;		/* sizes Filter.db as Cassandra does; 0: the count written */
	/* the serialization header's bases: every value is stored as a delta */
	int64_t enc_min_ts, enc_min_ldt;
	int32_t enc_min_ttl;
	bool no_sync;			/* skip fsync (generated test data) */
	bool has_host_id;
	uint8_t host_id[16];
	int64_t repaired_at;
};

/* Files are named <dir>/nb-<generation>-big-<Component>. hdr is copied. */
int sst_writer_open(struct sst_writer **out, const char *dir, int generation, const struct sst_header *hdr,
		    const struct sst_writer_opts *opts, struct pit_err *err);
int sst_writer_partition(struct sst_writer *w, const uint8_t *key, size_t n, const struct sst_deletion *del,
			 struct pit_err *err);
/* A row, static row or range tombstone marker of the current partition. */
int sst_writer_add(struct sst_writer *w, const struct sst_unfiltered *u, struct pit_err *err);
int sst_writer_end_partition(struct sst_writer *w, struct pit_err *err);
/* Writes the remaining components; the SSTable is complete when this returns 0. */
int sst_writer_finish(struct sst_writer *w, struct pit_err *err);
/* Frees the writer; without a successful finish its files are removed. */
void sst_writer_close(struct sst_writer *w);

#endif
