/* Partition tokens: where a partition key sits on the ring, per partitioner. */
#ifndef PIT_SST_TOKEN_H
#define PIT_SST_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "core/sstable/stats.h"
#include "core/util/sbuf.h"

struct sst_token {
	enum sst_partitioner kind;
	int64_t m3;		/* Murmur3 */
	uint8_t md5[16];	/* Random: abs(BigInteger(md5)) as 16 big-endian bytes */
	const uint8_t *key;	/* ByteOrdered / Local / others: the key itself (borrowed) */
	size_t key_len;
};

/* Cassandra's MurmurHash3_x64_128 (with its sign-extended tail): both words,
 * and the first as a Murmur3Partitioner token. */
void sst_murmur3_128(const uint8_t *key, size_t n, uint64_t out[2]);
int64_t sst_murmur3_token(const uint8_t *key, size_t n);
/* Cassandra's MurmurHash.hash2_64 (MurmurHash64A, seed 0): what the
 * cardinality estimator of Statistics.db is fed. */
uint64_t sst_murmur2_64(const uint8_t *key, size_t n);
void sst_md5(const uint8_t *p, size_t n, uint8_t out[16]);
void sst_token_of(enum sst_partitioner kind, const uint8_t *key, size_t n, struct sst_token *out);
/* Ring order, then key bytes, as Cassandra orders decorated keys. */
int sst_token_compare(const struct sst_token *a, const struct sst_token *b);
int sst_key_compare(const struct sst_token *a, const uint8_t *ka, size_t na, const struct sst_token *b,
		    const uint8_t *kb, size_t nb);
/* Decimal (Murmur3, Random) or hex (byte-ordered) text of the token. */
void sst_token_format(const struct sst_token *t, struct sbuf *out);

#endif
