#include "core/sstable/token.h"

#include <string.h>
#include "core/util/bytes.h"

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/* Java bytes are signed: Cassandra's tail loop sign-extends each byte before
 * shifting, so tail bytes >= 0x80 set high bits the reference code leaves clear. */
static uint64_t sx(uint8_t b) { return (uint64_t)(int64_t)(int8_t)b; }

void sst_murmur3_128(const uint8_t *key, size_t n, uint64_t out[2])
{
	const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
	uint64_t h1 = 0, h2 = 0, k1, k2;
	size_t nblocks = n / 16;

	for (size_t i = 0; i < nblocks; i++) {
		k1 = le64(key + 16 * i);
		k2 = le64(key + 16 * i + 8);
		k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
		h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
		k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
		h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
	}
	const uint8_t *t = key + 16 * nblocks;
	k1 = k2 = 0;
	switch (n & 15) {
	case 15: k2 ^= sx(t[14]) << 48; /* fall through */
	case 14: k2 ^= sx(t[13]) << 40; /* fall through */
	case 13: k2 ^= sx(t[12]) << 32; /* fall through */
	case 12: k2 ^= sx(t[11]) << 24; /* fall through */
	case 11: k2 ^= sx(t[10]) << 16; /* fall through */
	case 10: k2 ^= sx(t[9]) << 8; /* fall through */
	case 9: k2 ^= sx(t[8]);
		k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
		/* fall through */
	case 8: k1 ^= sx(t[7]) << 56; /* fall through */
	case 7: k1 ^= sx(t[6]) << 48; /* fall through */
	case 6: k1 ^= sx(t[5]) << 40; /* fall through */
	case 5: k1 ^= sx(t[4]) << 32; /* fall through */
	case 4: k1 ^= sx(t[3]) << 24; /* fall through */
	case 3: k1 ^= sx(t[2]) << 16; /* fall through */
	case 2: k1 ^= sx(t[1]) << 8; /* fall through */
	case 1: k1 ^= sx(t[0]);
		k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
	}
	h1 ^= n;
	h2 ^= n;
	h1 += h2;
	h2 += h1;
	h1 = fmix(h1);
	h2 = fmix(h2);
	h1 += h2;
	h2 += h1;
	out[0] = h1;
	out[1] = h2;
}

int64_t sst_murmur3_token(const uint8_t *key, size_t n)
{
	uint64_t h[2];
	sst_murmur3_128(key, n, h);
	int64_t tok = (int64_t)h[0];
	return tok == INT64_MIN ? INT64_MAX : tok;	/* MINIMUM is reserved */
}

/* MurmurHash64A as Cassandra's MurmurHash.hash2_64 computes it (seed 0),
 * tail bytes sign-extended like the 128-bit variant. */
uint64_t sst_murmur2_64(const uint8_t *key, size_t n)
{
	const uint64_t m = 0xc6a4a7935bd1e995ull;
	const int r = 47;
	uint64_t h = m * (uint64_t)n;
	size_t nl = n / 8;

	for (size_t i = 0; i < nl; i++) {
		uint64_t k = le64(key + 8 * i);
		k *= m;
		k ^= k >> r;
		k *= m;
		h ^= k;
		h *= m;
	}
	const uint8_t *t = key + 8 * nl;
	switch (n & 7) {
	case 7: h ^= sx(t[6]) << 48; /* fall through */
	case 6: h ^= sx(t[5]) << 40; /* fall through */
	case 5: h ^= sx(t[4]) << 32; /* fall through */
	case 4: h ^= sx(t[3]) << 24; /* fall through */
	case 3: h ^= sx(t[2]) << 16; /* fall through */
	case 2: h ^= sx(t[1]) << 8; /* fall through */
	case 1: h ^= sx(t[0]);
		h *= m;
	}
	h ^= h >> r;
	h *= m;
	h ^= h >> r;
	return h;
}

/* ---- MD5 (RFC 1321), for RandomPartitioner ---- */

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
static const uint8_t md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static void md5_block(uint32_t h[4], const uint8_t *blk)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];

	for (int i = 0; i < 16; i++)
		w[i] = le32(blk + 4 * i);
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g;
		if (i < 16) { f = (b & c) | (~b & d); g = i; }
		else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
		else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
		else { f = c ^ (b | ~d); g = (7 * i) % 16; }
		uint32_t tmp = d;
		d = c;
		c = b;
		uint32_t x = a + f + md5_k[i] + w[g];
		b = b + ((x << md5_r[i]) | (x >> (32 - md5_r[i])));
		a = tmp;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
}

void sst_md5(const uint8_t *p, size_t n, uint8_t out[16])
{
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	uint8_t tail[128];
	size_t full = n / 64 * 64, rest = n - full;

	for (size_t i = 0; i < full; i += 64)
		md5_block(h, p + i);
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	size_t tl = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;
	for (int i = 0; i < 8; i++)
		tail[tl - 8 + i] = (uint8_t)(bits >> (8 * i));
	md5_block(h, tail);
	if (tl == 128)
		md5_block(h, tail + 64);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(h[i] >> (8 * j));
}

void sst_token_of(enum sst_partitioner kind, const uint8_t *key, size_t n, struct sst_token *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->key = key;
	t->key_len = n;
	if (kind == SST_MURMUR3) {
		t->m3 = sst_murmur3_token(key, n);
	} else if (kind == SST_RANDOM) {
		uint8_t d[16];
		sst_md5(key, n, d);
		if (d[0] & 0x80) {	/* BigInteger(bytes).abs(): negate two's complement */
			int carry = 1;
			for (int i = 15; i >= 0; i--) {
				int v = (uint8_t)~d[i] + carry;
				d[i] = (uint8_t)v;
				carry = v >> 8;
			}
		}
		memcpy(t->md5, d, 16);
	}
}

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

int sst_token_compare(const struct sst_token *a, const struct sst_token *b)
{
	switch (a->kind) {
	case SST_MURMUR3:
		return a->m3 < b->m3 ? -1 : a->m3 > b->m3;
	case SST_RANDOM: {
		int c = memcmp(a->md5, b->md5, 16);
		return c < 0 ? -1 : c > 0;
	}
	default:
		return bytes_cmp(a->key, a->key_len, b->key, b->key_len);
	}
}

int sst_key_compare(const struct sst_token *a, const uint8_t *ka, size_t na, const struct sst_token *b,
		    const uint8_t *kb, size_t nb)
{
	int c = sst_token_compare(a, b);
	return c ? c : bytes_cmp(ka, na, kb, nb);
}

void sst_token_format(const struct sst_token *t, struct sbuf *out)
{
	if (t->kind == SST_MURMUR3) {
		sbuf_addf(out, "%lld", (long long)t->m3);
	} else if (t->kind == SST_RANDOM) {
		unsigned __int128 v = 0;
		char buf[48];
		int i = (int)sizeof(buf) - 1;
		for (int k = 0; k < 16; k++)
			v = v << 8 | t->md5[k];
		buf[i] = '\0';
		do {
			buf[--i] = (char)('0' + (int)(v % 10));
			v /= 10;
		} while (v);
		sbuf_adds(out, buf + i);
	} else {
		sbuf_addhex(out, t->key, t->key_len);
	}
}
