/* data.csv: what `COPY ks.t TO STDOUT WITH HEADER=true` writes in cqlsh for
 * the same rows: a header of column names (partition key, clustering, then
 * every other column by name, as the driver's metadata orders them), then
 * one line per live row in token order, values formatted by cqlsh's rules
 * (core/cql/value_cqlsh.c), NULL as an empty field, lines ending "\r\n". */
#ifndef PIT_VIEW_RENDER_CSV_H
#define PIT_VIEW_RENDER_CSV_H

#include "core/cql/schema.h"
#include "core/view/dump.h"
#include "core/view/liverows.h"

/* h: the columns of what it yields (kmerge_header); t: schema.cql's table or NULL. */
int render_csv(const struct sst_header *h, const char *name, const struct cql_table *t, const struct scan_ops *it,
	       void *ictx, const struct live_at *at, const struct render_ckpt *ck, dump_write_fn write, void *ctx,
	       struct pit_err *err);

#endif
