/* What is live at an instant: Cassandra's deletion, expiry and shadowing
 * rules applied to one source's unfiltereds (DESIGN.md, time model). */
#ifndef PIT_MERGE_LIVE_H
#define PIT_MERGE_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/sstable/reader.h"

struct live_at {
	int64_t now_s;		/* expiry instant, seconds since the epoch */
	int64_t max_ts;		/* writes with a timestamp above this are ignored (INT64_MAX: none) */
};

/* a supersedes b: later mfda, then later local deletion time. */
bool live_deletion_supersedes(const struct sst_deletion *a, const struct sst_deletion *b);
/* The stronger of two deletions, ignoring ones written after the cut. */
struct sst_deletion live_deletion_max(const struct live_at *at, struct sst_deletion a, struct sst_deletion b);
/* d shadows data written at ts (ties go to the tombstone). */
static inline bool live_deletes(const struct sst_deletion *d, int64_t ts) { return d->mfda != SST_NO_TS && ts <= d->mfda; }

/* The deletion covering a row: partition, open range and its own (a
 * shadowable one only until the row's liveness is newer). */
struct sst_deletion live_row_deletion(const struct live_at *at, const struct sst_deletion *partition,
				      const struct sst_deletion *range, const struct sst_unfiltered *row);
bool live_liveness(const struct live_at *at, const struct sst_liveness *l, const struct sst_deletion *del);
/* A cell is live: not a tombstone, not expired, not shadowed by del. */
bool live_cell(const struct live_at *at, const struct sst_cell *c, const struct sst_deletion *del);
/* The deletion that applies to complex column col of row u, given the row's. */
struct sst_deletion live_complex_deletion(const struct live_at *at, const struct sst_unfiltered *u, uint16_t col,
					  const struct sst_deletion *row_del);

/* Tracks the open range tombstone while walking a partition's unfiltereds. */
struct live_range {
	struct sst_deletion open;
};
void live_range_reset(struct live_range *r);
void live_range_apply(const struct live_at *at, struct live_range *r, const struct sst_unfiltered *marker);

#endif
