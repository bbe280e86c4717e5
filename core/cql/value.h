/* CQL values: validating, comparing in Cassandra's order and rendering the
 * serialized bytes of a value of a given type. */
#ifndef PIT_CQL_VALUE_H
#define PIT_CQL_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "core/cql/type.h"

enum cql_style {
	CQL_STYLE_LITERAL,	/* a CQL literal: 'text', 0x0102, {1: 'a'} */
	CQL_STYLE_JSON,		/* as SELECT JSON renders it */
	CQL_STYLE_ROWS,		/* the fixtures' row convention: exact, typed JSON */
};

/* Appends the rendering of the n bytes at p to out. -EBADMSG on a malformed
 * value (out then holds a partial rendering). */
int cql_value_render(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
		     struct sbuf *out, struct pit_err *err);

/* One element of a multi-cell (non-frozen) collection or UDT. */
struct cql_element {
	const uint8_t *path;	/* list: timeuuid; set: the element; map: the key; udt: i16 field index */
	size_t path_len;
	const uint8_t *value;	/* list/map/udt: the value; set: empty */
	size_t value_len;
};

/* Renders a non-frozen collection or UDT from its live elements, in path order. */
int cql_elements_render(const struct cql_type *t, const struct cql_element *el, size_t n,
			enum cql_style style, struct sbuf *out, struct pit_err *err);

/* As cqlsh's COPY TO writes a value in a CSV field (core/cql/value_cqlsh.c),
 * before the CSV quoting; an empty value of a non-string type is NULL (""). */
int cql_value_cqlsh(const struct cql_type *t, const uint8_t *p, size_t n, struct sbuf *out, struct pit_err *err);
int cql_elements_cqlsh(const struct cql_type *t, const struct cql_element *el, size_t n, struct sbuf *out,
		       struct pit_err *err);

/* Compares two values in the order Cassandra's comparator for t gives
 * (reversed where t is). Malformed values compare bytewise. */
int cql_value_compare(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn);

/* Compares two cell paths of multi-cell type t (list: timeuuid order, set
 * and map: element/key order, udt: field index). */
int cql_path_compare(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn);

/* Splits a CompositeType value into its components (at most max). Returns
 * the number of components or -EBADMSG. */
int cql_composite_split(const uint8_t *p, size_t n, const uint8_t **vals, size_t *lens, int max);

/* Counter contexts: the total a client sees, and the shard walk. */
struct cql_counter_shard {
	const uint8_t *id;	/* 16 bytes: the counter id (host id) */
	int64_t clock, count;
	int kind;		/* 0 global, 1 local, 2 remote */
};
int cql_counter_total(const uint8_t *p, size_t n, int64_t *total, struct pit_err *err);
/* Calls fn for every shard; stops with its non-zero return. */
int cql_counter_shards(const uint8_t *p, size_t n, int (*fn)(void *, const struct cql_counter_shard *), void *ctx,
		       struct pit_err *err);

/* Days since the epoch to a civil date (proleptic Gregorian). */
void cql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Milliseconds since the epoch as ISO-8601 ("2015-05-01T09:30:54.234Z"). */
void cql_format_timestamp_ms(int64_t ms, struct sbuf *out);
/* Seconds since the epoch as ISO-8601 ("2018-12-04T06:37:46Z"). */
void cql_format_time_s(int64_t s, struct sbuf *out);
/* Microseconds since the epoch as ISO-8601 with 6 fractional digits. */
void cql_format_time_us(int64_t us, struct sbuf *out);
/* The same into a buffer (instants name directories and fill reports). */
void cql_time_us_str(int64_t us, char out[40]);

#endif
