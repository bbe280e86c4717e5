/* data.cql and data.now.cql: the merged live rows at T as CQL statements,
 * one per line, that rebuild the table when replayed with cqlsh into an
 * empty one. data.cql keeps every cell's write time (USING TIMESTAMP), so a
 * replay can never overwrite anything written later, and the TTL a cell had
 * left at T; a row marker only where the row had one (INSERT, else UPDATE);
 * collection elements one by one; counters as increments (which take no
 * timestamp). data.now.cql writes the same without
 * timestamps, to force the state at T back over later deletes. */
#ifndef PIT_VIEW_RENDER_CQL_H
#define PIT_VIEW_RENDER_CQL_H

#include <stdbool.h>
#include "core/cql/schema.h"
#include "core/view/dump.h"
#include "core/view/liverows.h"

/* A writer of data.cql (timestamps) or data.now.cql (core/view/liverows.h)
 * into write; ks and table outlive it. */
int render_cql_writer(struct row_writer *rw, const struct sst_header *h, const char *ks, const char *table,
		      const struct cql_table *t, const struct live_at *at, bool timestamps, dump_write_fn write,
		      void *ctx, struct pit_err *err);

#endif
