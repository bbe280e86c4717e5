/* Big-endian integers and Cassandra's variable-length integers, decoded from
 * memory with explicit bounds. */
#ifndef PIT_BYTES_H
#define PIT_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p + 4) << 32 | le32(p); }

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put_le64(uint8_t *p, uint64_t v) { put_le32(p, (uint32_t)v); put_le32(p + 4, (uint32_t)(v >> 32)); }

static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void put_be64(uint8_t *p, uint64_t v) { put_be32(p, (uint32_t)(v >> 32)); put_be32(p + 4, (uint32_t)v); }

/* Length of the unsigned vint whose first byte is b: 1..9. */
static inline int uvint_len(uint8_t b)
{
	int n = 0;
	while (n < 8 && (b & (0x80 >> n)))
		n++;
	return n + 1;
}

/* Decodes an unsigned vint from [p, end). Returns the bytes used, or 0 when
 * the input ends inside the number. */
static inline int uvint_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	if (p >= end)
		return 0;
	uint8_t b = p[0];
	if (!(b & 0x80)) {
		*out = b;
		return 1;
	}
	int len = uvint_len(b);
	if (end - p < len)
		return 0;
	int extra = len - 1;
	uint64_t v = extra == 8 ? 0 : (uint64_t)(b & (0xff >> (extra + 1)));
	for (int i = 1; i <= extra; i++)
		v = v << 8 | p[i];
	*out = v;
	return len;
}

static inline int64_t zigzag_dec(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }
static inline uint64_t zigzag_enc(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

/* Encodes v as an unsigned vint into out (9 bytes room); returns the length. */
static inline int uvint_put(uint8_t *out, uint64_t v)
{
	int len = 1;
	while (len < 9 && v >= ((uint64_t)1 << (7 * len)))
		len++;
	if (len == 9) {
		out[0] = 0xff;
		for (int i = 0; i < 8; i++)
			out[1 + i] = (uint8_t)(v >> (56 - 8 * i));
		return 9;
	}
	int extra = len - 1;
	for (int i = extra; i >= 1; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
	out[0] = (uint8_t)((0xff00 >> extra) | v);
	return len;
}

#endif
