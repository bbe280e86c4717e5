/* data.jsonl: one JSON object per live row, as `SELECT JSON * FROM ks.t`
 * returns them: every column in SELECT * order (partition key, clustering,
 * then static and regular columns by name), null where a column has no live
 * value, names quoted as CQL quotes them. */
#ifndef PIT_VIEW_RENDER_JSONL_H
#define PIT_VIEW_RENDER_JSONL_H

#include "core/cql/schema.h"
#include "core/view/dump.h"
#include "core/view/liverows.h"

/* A writer of it (core/view/liverows.h) into write; h: the columns of what
 * feeds it (kmerge_header); t: schema.cql's table or NULL; name: "ks.table",
 * outliving the writer. */
int render_jsonl_writer(struct row_writer *rw, const struct sst_header *h, const char *name,
			const struct cql_table *t, dump_write_fn write, void *ctx, struct pit_err *err);

#endif
