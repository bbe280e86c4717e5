/* What value.c shares with the other renderers of core/cql. */
#ifndef PIT_CQL_VALUE_IMPL_H
#define PIT_CQL_VALUE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

/* Floor division and the matching non-negative remainder (b > 0), without
 * overflow even at INT64_MIN: timestamps may hold any int64. */
static inline int64_t cql_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static inline int64_t cql_floormod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

/* Frozen collections, tuples and UDTs nest values as an i32 length (negative:
 * null, *v = NULL) and the bytes; false when [*p, end) is too short. */
bool cql_get_i32_value(const uint8_t **p, const uint8_t *end, const uint8_t **v, int32_t *len);

/* A double in [1e-3, 1e9) that is a decimal of at most 15 significant
 * digits: those digits (trailing zeros dropped), their number and the
 * decimal exponent of the first; false for any other double. */
bool cql_short_decimal(double v, char digits[24], int *nd, int *e);

/* A duration as CQL writes it (1y2mo3d4h5ms), nothing for zero. */
struct sbuf;
void cql_duration_text(struct sbuf *out, int64_t months, int64_t days, int64_t nanos);

#endif
