/* Filter.db: the Bloom filter over partition keys, built and serialized as
 * Cassandra 4.x does (Murmur3 of the key, bits in an off-heap byte array). */
#ifndef PIT_SST_BLOOM_H
#define PIT_SST_BLOOM_H

#include <stddef.h>
#include <stdint.h>
#include "core/util/sbuf.h"

struct sst_bloom;

/* For nkeys keys (Cassandra sizes it from the expected count) at fp_chance. */
int sst_bloom_new(struct sst_bloom **out, uint64_t nkeys, double fp_chance);
void sst_bloom_free(struct sst_bloom *b);
void sst_bloom_add(struct sst_bloom *b, const uint8_t *key, size_t n);
int sst_bloom_maybe(const struct sst_bloom *b, const uint8_t *key, size_t n);
int sst_bloom_hash_count(const struct sst_bloom *b);
int sst_bloom_serialize(const struct sst_bloom *b, struct sbuf *out);

#endif
