#include "core/sstable/bloom.h"

#include <errno.h>
#include <stdlib.h>
#include "core/sstable/token.h"
#include "core/util/bytes.h"

/* False positive rates by buckets per element (row) and hash count (column),
 * the table Cassandra's BloomCalculations chooses from. */
static const double probs[21][15] = {
	{ 1.0 },
	{ 1.0, 1.0 },
	{ 1.0, 0.393, 0.400 },
	{ 1.0, 0.283, 0.237, 0.253 },
	{ 1.0, 0.221, 0.155, 0.147, 0.160 },
	{ 1.0, 0.181, 0.109, 0.092, 0.092, 0.101 },
	{ 1.0, 0.154, 0.0804, 0.0609, 0.0561, 0.0578, 0.0638 },
	{ 1.0, 0.133, 0.0618, 0.0423, 0.0359, 0.0347, 0.0364 },
	{ 1.0, 0.118, 0.0489, 0.0306, 0.024, 0.0217, 0.0216, 0.0229 },
	{ 1.0, 0.105, 0.0397, 0.0228, 0.0166, 0.0141, 0.0133, 0.0135, 0.0145 },
	{ 1.0, 0.0952, 0.0329, 0.0174, 0.0118, 0.00943, 0.00844, 0.00819, 0.00846 },
	{ 1.0, 0.0869, 0.0276, 0.0136, 0.00864, 0.0065, 0.00552, 0.00513, 0.00509 },
	{ 1.0, 0.08, 0.0236, 0.0108, 0.00646, 0.00459, 0.00371, 0.00329, 0.00314 },
	{ 1.0, 0.074, 0.0203, 0.00875, 0.00492, 0.00332, 0.00255, 0.00217, 0.00199, 0.00194 },
	{ 1.0, 0.0689, 0.0177, 0.00718, 0.00381, 0.00244, 0.00179, 0.00146, 0.00129, 0.00121, 0.0012 },
	{ 1.0, 0.0645, 0.0156, 0.00596, 0.003, 0.00183, 0.00128, 0.001, 0.000852, 0.000775, 0.000744 },
	{ 1.0, 0.0606, 0.0138, 0.005, 0.00239, 0.00139, 0.000935, 0.000702, 0.000574, 0.000505, 0.00047, 0.000459 },
	{ 1.0, 0.0571, 0.0123, 0.00423, 0.00193, 0.00107, 0.000692, 0.000499, 0.000394, 0.000335, 0.000302, 0.000287,
	  0.000284 },
	{ 1.0, 0.054, 0.0111, 0.00362, 0.00158, 0.000839, 0.000519, 0.00036, 0.000275, 0.000226, 0.000198, 0.000183,
	  0.000176 },
	{ 1.0, 0.0513, 0.00998, 0.00312, 0.0013, 0.000663, 0.000394, 0.000264, 0.000194, 0.000155, 0.000132, 0.000118,
	  0.000111, 0.000109 },
	{ 1.0, 0.0488, 0.00906, 0.0027, 0.00108, 0.00053, 0.000303, 0.000196, 0.00014, 0.000108, 8.89e-05, 7.77e-05,
	  7.12e-05, 6.79e-05, 6.71e-05 },
};
static const int row_len[21] = { 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 9, 9, 9, 10, 11, 11, 12, 13, 13, 14, 15 };

struct sst_bloom {
	int hashes;
	uint64_t nbytes;	/* a whole number of 64-bit words */
	uint8_t *bits;
};

static int opt_k(int buckets)
{
	double min = 2.0;
	int k = 1;
	for (int j = 0; j < row_len[buckets]; j++)
		if (probs[buckets][j] < min) {
			min = probs[buckets][j];
			k = j > 1 ? j : 1;
		}
	return k;
}

int sst_bloom_new(struct sst_bloom **out, uint64_t nkeys, double fp)
{
	struct sst_bloom *b = calloc(1, sizeof(*b));
	int buckets, k;

	if (!b)
		return -ENOMEM;
	/* computeBloomSpec: the fewest buckets that reach fp, then the fewest hashes */
	if (fp >= probs[2][1]) {
		k = 2;	/* Cassandra's trivial case: BloomSpecification(2, optK(2)) */
		buckets = opt_k(2);
	} else {
		buckets = 2;
		k = opt_k(2);
		while (buckets < 20 && probs[buckets][k] > fp)
			k = opt_k(++buckets);
		while (k > 1 && probs[buckets][k - 1] <= fp)
			k--;
	}
	uint64_t nbits = (nkeys ? nkeys : 0) * (uint64_t)buckets + 20;
	uint64_t words = (nbits - 1) / 64 + 1;
	b->hashes = k;
	b->nbytes = words * 8;
	if (!(b->bits = calloc(words, 8))) {
		free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

void sst_bloom_free(struct sst_bloom *b)
{
	if (!b)
		return;
	free(b->bits);
	free(b);
}

/* Bit i of the filter for hash number k: (h[1] + k * h[0]) mod capacity, as a
 * Java long, made positive. */
static uint64_t bit_index(const struct sst_bloom *b, const uint64_t h[2], int k)
{
	int64_t cap = (int64_t)(b->nbytes * 8);
	int64_t base = (int64_t)(h[1] + (uint64_t)k * h[0]);
	int64_t r = base % cap;
	return (uint64_t)(r < 0 ? -r : r);
}

void sst_bloom_add(struct sst_bloom *b, const uint8_t *key, size_t n)
{
	uint64_t h[2];
	sst_murmur3_128(key, n, h);
	for (int k = 0; k < b->hashes; k++) {
		uint64_t i = bit_index(b, h, k);
		b->bits[i >> 3] |= (uint8_t)(1u << (i & 7));
	}
}

int sst_bloom_maybe(const struct sst_bloom *b, const uint8_t *key, size_t n)
{
	uint64_t h[2];
	sst_murmur3_128(key, n, h);
	for (int k = 0; k < b->hashes; k++) {
		uint64_t i = bit_index(b, h, k);
		if (!(b->bits[i >> 3] & (1u << (i & 7))))
			return 0;
	}
	return 1;
}

int sst_bloom_hash_count(const struct sst_bloom *b) { return b->hashes; }

int sst_bloom_serialize(const struct sst_bloom *b, struct sbuf *out)
{
	uint8_t hdr[8];

	put_be32(hdr, (uint32_t)b->hashes);
	put_be32(hdr + 4, (uint32_t)(b->nbytes / 8));
	sbuf_add(out, hdr, 8);
	/* since na the bytes go out as they are in memory (3.x reversed each word) */
	sbuf_add(out, b->bits, (size_t)b->nbytes);
	return out->oom ? -ENOMEM : 0;
}
