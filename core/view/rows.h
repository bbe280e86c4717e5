/* A table as every replica's backups say it was at an instant, merged
 * (core/merge) and written as live rows in the fixtures' row convention,
 * one JSON object per line. The first renderer over the merge; the CSV,
 * JSON-lines and CQL files of the views come after it. */
#ifndef PIT_VIEW_ROWS_H
#define PIT_VIEW_ROWS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/repo/repo.h"
#include "core/repo/chunk.h"
#include "core/sstable/reader.h"
#include "core/view/dump.h"

struct view_rows_report {
	unsigned backups, sstables, skipped_after, unreadable, absent_nodes;
	unsigned segments;	/* runs of partitions rendered by threads at once; 0: one thread */
};

/* The version of the bytes the view's writers write. The sizes and
 * checkpoints a mount keeps in the repository's cache are keyed by it, so
 * that a pitfs writing other bytes never takes those an earlier one kept:
 * bump it with any change to what a view file holds (tests/unit/test_render.c
 * pins it to the bytes of its tables). */
#define VIEW_BYTES_VERSION 2

enum view_format {
	VIEW_ROWS,	/* the fixtures' row convention (what gen's truth holds) */
	VIEW_JSONL,	/* data.jsonl: SELECT JSON */
	VIEW_CSV,	/* data.csv: cqlsh COPY TO */
	VIEW_CONFLICTS,	/* conflicts.jsonl: where the replicas disagree */
	VIEW_CQL,	/* data.cql: statements with the cells' write times and TTLs */
	VIEW_NOW_CQL,	/* data.now.cql: the same without write times */
};

int view_rows(struct repo *r, int64_t at_us, const char *ks, const char *table, dump_write_fn write, void *ctx,
	      struct view_rows_report *rep, struct pit_err *err);
int view_render(struct repo *r, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		dump_write_fn write, void *ctx, struct view_rows_report *rep, struct pit_err *err);

/* Checkpoints of a rendering: about every 64 KiB of output, at the start of a
 * partition, its byte offset in the output and where each source SSTable
 * (in the order the view selects them) starts to yield that partition. */
struct view_ckpts {
	uint64_t interval;	/* bytes between checkpoints; 0: 64 KiB */
	uint32_t nsrc;
	struct chunk_id sources;	/* which SSTables, in which order: what the positions are of */
	size_t n, cap;
	uint64_t *v;		/* n records of 1 + nsrc values: the offset, then the positions */
};
void view_ckpts_release(struct view_ckpts *c);
/* As the cache keeps them; decode: 0 or -EBADMSG. */
void view_ckpts_encode(const struct view_ckpts *c, struct sbuf *out);
int view_ckpts_decode(struct view_ckpts *c, const void *p, size_t n);
/* The formats that can be rendered from a checkpoint (data.csv, data.jsonl,
 * data.cql, data.now.cql). */
bool view_format_resumes(enum view_format fmt);
/* view_render from checkpoint k of from (from NULL: the top), writing only
 * what follows it, and recording the checkpoints it passes into rec (or
 * NULL). -ESTALE, nothing written, when the view's SSTables are no longer
 * those the checkpoints were taken of. */
int view_render_at(struct repo *r, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		   const struct view_ckpts *from, size_t k, struct view_ckpts *rec, dump_write_fn write, void *ctx,
		   struct view_rows_report *rep, struct pit_err *err);

/* Files of a view rendered whole from one merge, each fmts[i] through
 * writes[i] with ctxs[i]: up to VIEW_TOGETHER_MAX formats that resume, with
 * their checkpoints into recs[i], and conflicts.jsonl (VIEW_CONFLICTS, no
 * checkpoints) once at most. The same bytes and checkpoints as
 * view_render_at gives each on one thread, for the cost of one merge
 * instead of n. -EAGAIN, nothing written, where view_render_at would render
 * the view by several threads, which make one file faster than this makes
 * them all. */
#define VIEW_TOGETHER_MAX 4
int view_render_together(struct repo *r, int64_t at_us, const char *ks, const char *table, size_t n,
			 const enum view_format *fmts, struct view_ckpts *recs, dump_write_fn const *writes,
			 void *const *ctxs, struct view_rows_report *rep, struct pit_err *err);

/* Whole files of the formats that resume are rendered by up to 4 threads,
 * one per processor (threads 0), when the view's SSTables hold at least
 * min_bytes (32 MiB at first); threads 1 renders on the caller's thread
 * alone. Process-wide, for tests and benchmarks. */
void view_render_threads(unsigned threads, uint64_t min_bytes);

/* The live rows of ks.table at T, merged, one call each (row NULL: a
 * partition with only static cells); h names their columns. */
struct live_cells;
typedef int (*view_row_fn)(void *ctx, const struct sst_header *h, const struct sst_partition *p,
			   const struct sst_unfiltered *row, const struct live_cells *statics,
			   const struct live_cells *cells, struct pit_err *err);
int view_walk(struct repo *r, int64_t at_us, const char *ks, const char *table, view_row_fn fn, void *ctx,
	      struct pit_err *err);

#endif
