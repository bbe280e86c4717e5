/* pitfs ingest: one node's snapshot or incremental backups into the
 * repository, streamed through a pool of hashing/compressing workers with
 * bounded memory, finished by one manifest. */
#ifndef PIT_REPO_INGEST_H
#define PIT_REPO_INGEST_H

#include <stdbool.h>
#include <stdint.h>
#include "core/repo/repo.h"

struct ingest_progress {
	uint64_t files_done, files_total, bytes_done, bytes_total;
};

/* An ingest writes an index segment every so many new chunks (16 GiB of
 * data), not one at the end: what it holds of the index stays bounded
 * (an entry, with its parts, is about 250 bytes). */
#define INGEST_INDEX_EVERY 16384

struct ingest_opts {
	const char *source, *node, *dc, *rack;
	const char *tag;	/* snapshot tag; NULL with incremental */
	bool incremental;	/* every table's backups/: what Cassandra flushed since they were emptied */
	bool have_at;
	int64_t at_us;
	bool read_all;		/* read even files stored before unchanged */
	int threads;		/* 0: one per CPU */
	uint32_t index_every;	/* new chunks per index segment; 0: INGEST_INDEX_EVERY */
	void (*progress)(void *ctx, const struct ingest_progress *p);
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
};

struct ingest_result {
	bool stored;		/* false: an incremental of an empty backups/ */
	struct chunk_id backup;
	int64_t instant_us;
	const char *instant_from;	/* "manifest.json", "--at", "file mtime" */
	uint64_t files, bytes, new_bytes, stored_bytes, chunks, new_chunks;
	uint64_t reused_files, reused_bytes;	/* unchanged since an earlier backup: not read */
	uint64_t sstables, unparsed;
	double seconds;
};

int ingest_run(struct repo *r, const struct ingest_opts *o, struct ingest_result *res, struct pit_err *err);

#endif
