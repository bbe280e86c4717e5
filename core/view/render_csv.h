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

/* A writer of it (core/view/liverows.h) into write; h: the columns of what
 * feeds it (kmerge_header); t: schema.cql's table or NULL; name: "ks.table",
 * outliving the writer; resume: from a checkpoint, no header. */
int render_csv_writer(struct row_writer *rw, const struct sst_header *h, const char *name, const struct cql_table *t,
		      bool resume, dump_write_fn write, void *ctx, struct pit_err *err);

#endif
