/* Instants as users write them: RFC 3339 (fractions and offsets allowed) or
 * "@<unix seconds>". */
#ifndef PIT_INSTANT_H
#define PIT_INSTANT_H

#include <stdint.h>
#include "core/err.h"

/* Microseconds since the epoch, or -EINVAL with a message. */
int instant_parse(const char *s, int64_t *us, struct pit_err *err);
/* Days since the epoch of a proleptic Gregorian date. */
int64_t instant_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
