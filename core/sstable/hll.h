/* The cardinality estimator Cassandra keeps in Statistics.db's compaction
 * component: stream-lib's HyperLogLogPlus(13, 25), fed MurmurHash64A of each
 * partition key, serialized the way stream-lib 2.5 writes it. */
#ifndef PIT_SST_HLL_H
#define PIT_SST_HLL_H

#include <stdint.h>
#include "core/util/sbuf.h"

struct sst_hll;

int sst_hll_new(struct sst_hll **out);
void sst_hll_free(struct sst_hll *h);
int sst_hll_offer(struct sst_hll *h, uint64_t hashed);
/* Appends the serialized estimator (sparse or normal, as it stands). */
int sst_hll_serialize(struct sst_hll *h, struct sbuf *out);

#endif
