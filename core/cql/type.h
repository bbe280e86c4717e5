/* CQL types: parsed from Cassandra's marshal class strings (serialization
 * header) or from CQL syntax (schema.cql), and rendered back as CQL. */
#ifndef PIT_CQL_TYPE_H
#define PIT_CQL_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include "core/err.h"
#include "core/util/sbuf.h"

enum cql_kind {
	CQL_CUSTOM,		/* unknown class: handled as opaque bytes */
	CQL_ASCII, CQL_TEXT, CQL_BLOB, CQL_BOOLEAN,
	CQL_INT, CQL_BIGINT, CQL_SMALLINT, CQL_TINYINT, CQL_VARINT, CQL_DECIMAL,
	CQL_FLOAT, CQL_DOUBLE, CQL_UUID, CQL_TIMEUUID, CQL_LEXICALUUID,
	CQL_TIMESTAMP, CQL_DATE, CQL_TIME, CQL_DURATION, CQL_INET, CQL_COUNTER, CQL_EMPTY,
	CQL_LIST, CQL_SET, CQL_MAP, CQL_TUPLE, CQL_UDT, CQL_VECTOR,
	CQL_COMPOSITE,		/* multi-column partition key */
	CQL_DYNCOMPOSITE,	/* thrift-era DynamicCompositeType: opaque */
};

struct cql_type;

/* Looks up a UDT by name for CQL-syntax parsing; returns a new copy or NULL. */
typedef struct cql_type *(*cql_udt_lookup_fn)(void *ctx, const char *name);

int cql_type_parse_marshal(struct cql_type **out, const char *s, size_t n, struct pit_err *err);
int cql_type_parse_cql(struct cql_type **out, const char *s, size_t n,
		       cql_udt_lookup_fn lookup, void *ctx, struct pit_err *err);
struct cql_type *cql_type_dup(const struct cql_type *t);
void cql_type_free(struct cql_type *t);
/* A UDT type built from parts (used by schema.cql's CREATE TYPE). Takes ownership of fields. */
struct cql_type *cql_type_new_udt(const char *ks, const char *name, int n, char **names, struct cql_type **fields);

enum cql_kind cql_type_kind(const struct cql_type *t);
bool cql_type_frozen(const struct cql_type *t);
bool cql_type_reversed(const struct cql_type *t);
/* Freezes t and everything inside it (or unfreezes the top level only). */
void cql_type_set_frozen(struct cql_type *t, bool frozen);
void cql_type_set_reversed(struct cql_type *t, bool reversed);
/* True for a non-frozen collection or UDT: stored as one cell per element. */
bool cql_type_multicell(const struct cql_type *t);
bool cql_type_is_collection(const struct cql_type *t);
/* Fixed on-disk value length, or -1 when values are length-prefixed. */
int cql_type_fixed_len(const struct cql_type *t);
int cql_type_nsub(const struct cql_type *t);
const struct cql_type *cql_type_sub(const struct cql_type *t, int i);
/* UDT field name i (NULL otherwise), UDT keyspace and name. */
const char *cql_type_field(const struct cql_type *t, int i);
const char *cql_type_udt_name(const struct cql_type *t);
const char *cql_type_udt_keyspace(const struct cql_type *t);
int cql_type_vector_dim(const struct cql_type *t);
bool cql_type_equal(const struct cql_type *a, const struct cql_type *b);
/* A CQL identifier as CQL writes it: as is when it is lower case, digits and
 * underscores (not starting with a digit), else in double quotes. */
void cql_ident(struct sbuf *out, const char *s);

/* CQL syntax, e.g. "frozen<map<text, int>>"; reversed is not shown. */
void cql_type_to_cql(const struct cql_type *t, struct sbuf *out);
/* Marshal class syntax, e.g. "org.apache.cassandra.db.marshal.Int32Type". */
void cql_type_to_marshal(const struct cql_type *t, struct sbuf *out);

#endif
