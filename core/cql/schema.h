/* schema.cql: the CREATE TYPE / CREATE TABLE / ALTER TABLE statements that
 * Cassandra writes into every snapshot. */
#ifndef PIT_CQL_SCHEMA_H
#define PIT_CQL_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>
#include "core/cql/type.h"

enum cql_col_kind { CQL_COL_PARTITION_KEY, CQL_COL_CLUSTERING, CQL_COL_STATIC, CQL_COL_REGULAR };

struct cql_column {
	char *name;
	struct cql_type *type;	/* reversed for DESC clustering columns */
	enum cql_col_kind kind;
	int position;		/* within the partition key or the clustering */
	int64_t dropped_at;	/* ALTER TABLE ... DROP ... USING TIMESTAMP, else INT64_MIN */
};

struct cql_schema;
struct cql_table;

int cql_schema_parse(struct cql_schema **out, const char *text, size_t n, const char *name, struct pit_err *err);
int cql_schema_load(struct cql_schema **out, const char *path, struct pit_err *err);
void cql_schema_free(struct cql_schema *s);

int cql_schema_ntables(const struct cql_schema *s);
const struct cql_table *cql_schema_table(const struct cql_schema *s, int i);

const char *cql_table_keyspace(const struct cql_table *t);
const char *cql_table_name(const struct cql_table *t);
const char *cql_table_id(const struct cql_table *t);	/* WITH ID = ..., or NULL */
bool cql_table_compact(const struct cql_table *t);
int64_t cql_table_gc_grace(const struct cql_table *t);	/* -1 when not given */
int64_t cql_table_default_ttl(const struct cql_table *t);
/* Every column in declaration order, including dropped ones (dropped_at set
 * and absent from the key). */
int cql_table_ncolumns(const struct cql_table *t);
const struct cql_column *cql_table_column(const struct cql_table *t, int i);
const struct cql_column *cql_table_find(const struct cql_table *t, const char *name);
/* Partition key and clustering columns in key order. */
int cql_table_nkey(const struct cql_table *t, enum cql_col_kind kind);
const struct cql_column *cql_table_key(const struct cql_table *t, enum cql_col_kind kind, int i);

#endif
