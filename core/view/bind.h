/* How a table's columns are named and typed for output: the key columns
 * (from schema.cql when it matches, else as sstabledump names them), the
 * columns dropped with ALTER TABLE, and the key and clustering rendering
 * every writer shares. */
#ifndef PIT_VIEW_BIND_H
#define PIT_VIEW_BIND_H

#include <stdbool.h>
#include <stdint.h>
#include "core/cql/schema.h"
#include "core/cql/value.h"
#include "core/sstable/reader.h"
#include "core/view/dump.h"
#include "core/util/sbuf.h"

/* How the SSTable's columns are named and typed for output. */
struct bind {
	int npk, nck;
	const char *pk_name[64];
	const struct cql_type *pk_type[64];
	char pk_default[64][24];
	const char *ck_name[64];
	char ck_default[64][24];
	int64_t *reg_dropped, *st_dropped;	/* per header column: dropped_at or INT64_MIN */
	const struct sst_header *h;
	const char *name;	/* for messages */
};

/* Fills o->note when key columns cannot be named from the schema. */
int bind_init(struct bind *b, const struct sst_header *h, const char *name, struct dump_opts *o);
void bind_release(struct bind *b);
/* Gives s's columns the types schema.cql declares where the header cannot
 * tell (an m* UserType is frozen or not): call before scanning. */
int bind_fix_types(struct sst *s, const struct cql_table *t, struct pit_err *err);
/* The partition key's components: their number, or -EBADMSG. */
int bind_key_parts(const struct bind *b, const struct sst_partition *p, const uint8_t *vals[64], size_t lens[64],
		   struct pit_err *err);
/* The partition key as {"name": value, ...} (named) or [value, ...]. */
int bind_render_key(struct bind *b, const struct sst_partition *p, enum cql_style style, bool named, struct sbuf *sb,
		    struct pit_err *err);
int bind_render_clustering(struct bind *b, const struct sst_unfiltered *u, enum cql_style style, bool named,
			   struct sbuf *sb, struct pit_err *err);

/* A non-key column of the output: the schema's (not dropped) and any the
 * SSTables have. */
struct bind_col {
	const char *name;
	bool is_static;
	int idx;		/* in the header's statics or regulars, or -1: no SSTable has it */
};

/* The non-key columns, statics first then by name (SELECT *), or all by name
 * (the driver's metadata, which cqlsh's COPY follows); *out is the caller's. */
int bind_columns(const struct bind *b, const struct cql_table *t, bool statics_first, struct bind_col **out,
		 size_t *nout);

#endif
