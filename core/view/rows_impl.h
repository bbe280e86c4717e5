/* What core/view/rows.c and its parallel renderer (rows_parallel.c) share.
 * Nothing else includes this. */
#ifndef PIT_VIEW_ROWS_IMPL_H
#define PIT_VIEW_ROWS_IMPL_H

#include "core/cql/schema.h"
#include "core/merge/kmerge.h"
#include "core/merge/select.h"
#include "core/view/liverows.h"
#include "core/view/rows.h"

/* decompressed repository chunks one rendering keeps */
#define CACHE_BYTES (64u << 20)

/* Everything a view's rendering reads: the chosen SSTables opened through
 * one chunk cache and merged. */
struct merged {
	struct view_sources vs;
	struct chunk_cache *cc;
	struct cql_schema *schema;
	const struct cql_table *table;	/* schema.cql's, or NULL */
	struct sst **ssts;
	size_t opened;
	struct kmerge *km;	/* NULL: nothing written by T, an empty table */
	struct chunk_id sources;	/* sources_id */
	bool borrowed;		/* vs, cc and schema are another merged's */
};

int merged_open(struct merged *mg, struct repo *r, int64_t at_us, const char *ks, const char *table,
		const struct view_ckpts *from, size_t k, struct view_rows_report *rep, struct pit_err *err);
/* The same SSTables opened again, for another thread: like's sources, chunk
 * cache and schema are borrowed (like outlives mg), and nothing is merged
 * yet (mg->km NULL). */
int merged_open_like(struct merged *mg, const struct merged *like, struct pit_err *err);
void merged_close(struct merged *mg);
/* fmt of mg->km's merge, written through write. */
int render_merged(struct merged *mg, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		  const struct render_ckpt *ck, dump_write_fn write, void *ctx, struct pit_err *err);

/* A writer that counts what it passes on and, at partition starts, records
 * checkpoints in rec (or not, NULL) every rec->interval bytes, or
 * CKPT_INTERVAL. */
#define CKPT_INTERVAL (64u << 10)
struct ckrec {
	dump_write_fn write;
	void *ctx;
	uint64_t written, last;
	struct view_ckpts *rec;
	struct kmerge *km;
};
int ckrec_write(void *ctx, const char *p, size_t n);
int ckrec_record(void *ctx, size_t pending, struct pit_err *err);

/* fmt rendered by several threads, each a run of partitions: the whole of
 * it (from NULL; rec as view_render_at fills it), or what follows
 * checkpoint k of from, cut at the checkpoints after it. mg is open and
 * rep->segments set. -EAGAIN, nothing written, where one thread is what it
 * takes. */
/* Whether render_parallel would use threads for mg (its SSTables are large
 * enough and there are processors to share them). */
bool render_parallel_pays(const struct merged *mg);
int render_parallel(struct merged *mg, int64_t at_us, const char *ks, const char *table,
		    enum view_format fmt, const struct view_ckpts *from, size_t k, struct view_ckpts *rec,
		    dump_write_fn write, void *ctx, struct view_rows_report *rep, struct pit_err *err);

#endif
