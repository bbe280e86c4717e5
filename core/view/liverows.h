/* Live CQL rows at an instant, from anything with the shape of an SSTable
 * scan (one SSTable, or the merge of many): partition, range, row and
 * complex deletions, expiry and dropped columns applied by core/merge/live's
 * rules. What is left is handed, row by row, to a writer: the fixtures'
 * rows (dump), JSON lines, CSV, CQL. */
#ifndef PIT_VIEW_LIVEROWS_H
#define PIT_VIEW_LIVEROWS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/cql/value.h"
#include "core/merge/live.h"
#include "core/sstable/reader.h"
#include "core/util/sbuf.h"

struct scan_ops {
	int (*next_partition)(void *ctx, const struct sst_partition **p, struct pit_err *err);
	int (*next)(void *ctx, const struct sst_unfiltered **u, struct pit_err *err);
};

/* The live cells of a row, in column then path order; and the deletion
 * over each complex column that has live cells under one (row, range,
 * partition or the column's own, the strongest): what a CQL overwrite of a
 * collection leaves just below its elements' write time. */
struct live_cells {
	const struct sst_cell *v;
	uint32_t n;
	size_t cap;
	struct sst_complex_del *del;
	uint32_t ndel;
	size_t del_cap;
};

/* The deletion over complex column col's live cells, or SST_NO_TS. */
static inline int64_t live_cells_deleted(const struct live_cells *lc, uint16_t col)
{
	for (uint32_t i = 0; i < lc->ndel; i++)
		if (lc->del[i].col == col)
			return lc->del[i].del.mfda;
	return SST_NO_TS;
}

/* Checkpoints of a rendering (core/view/rows.c): before a partition's first
 * live row, boundary learns how many bytes the writer still holds, so that
 * the bytes written so far plus those are where that partition's output
 * starts. resume: the rendering starts at a checkpoint, not at the top (no
 * header). */
struct render_ckpt {
	int (*boundary)(void *ctx, size_t pending, struct pit_err *err);
	void *ctx;
	bool resume;
};

struct liverows {
	const struct sst_header *h;
	struct live_at at;
	const int64_t *reg_dropped, *st_dropped;	/* per header column: dropped_at, or NULL */
	/* A live row; row is NULL for a partition that has only static cells.
	 * first: the partition's first call (its statics are new). */
	int (*row)(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *row,
		   const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err);
	void *ctx;
	const struct render_ckpt *ck;	/* or NULL */
	const struct sbuf *pending;	/* the writer's unwritten output, for ck */
};

int liverows_walk(const struct liverows *lr, const struct scan_ops *it, void *ictx, struct pit_err *err);

/* A writer of live rows (CSV, JSON lines, CQL) apart from the walk that
 * feeds it, so that one merge can feed several: its row callback, the
 * output it holds back (for checkpoints), the columns it takes as dropped,
 * and its end. */
struct row_writer {
	int (*row)(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *row,
		   const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err);
	/* hands on what it holds when flush (0 or -errno); frees the writer */
	int (*end)(void *ctx, bool flush, struct pit_err *err);
	void *ctx;
	const struct sbuf *pending;
	const int64_t *reg_dropped, *st_dropped;
};

/* rw fed the live rows of it, then ended (flushed if all went well), as
 * at and ck say: 0 or the first error. */
int liverows_write(const struct row_writer *rw, const struct sst_header *h, const struct live_at *at,
		   const struct render_ckpt *ck, const struct scan_ops *it, void *ictx, struct pit_err *err);

/* Cells [i, end) of one column in a live_cells list, from i. */
static inline uint32_t live_cells_column_end(const struct live_cells *lc, uint32_t i)
{
	uint32_t j = i;
	while (j < lc->n && lc->v[j].col == lc->v[i].col)
		j++;
	return j;
}

/* The live value of header column col in lc: its cell, or for a complex
 * column its elements (gathered into *el, *cap long, the caller's). 1 and
 * *out, 0 when the row has no live value there, -ENOMEM. */
struct live_value {
	const struct sst_cell *cell;	/* simple columns */
	const struct cql_element *el;	/* complex columns */
	size_t nel;
};
int live_cells_value(const struct live_cells *lc, int col, bool complex, struct cql_element **el, size_t *cap,
		     struct live_value *out);

#endif
