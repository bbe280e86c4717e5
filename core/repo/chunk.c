#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include "core/repo/chunk.h"
#include "core/util/bytes.h"

struct chunk_coder {
	ZSTD_CCtx *c;
	ZSTD_DCtx *d;
	int level;
};

void chunk_id_of(struct chunk_id *id, const void *p, size_t n)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(id->b, c.digest, sizeof(id->b));
}

bool chunk_id_eq(const struct chunk_id *a, const struct chunk_id *b) { return !memcmp(a->b, b->b, 16); }

void chunk_id_hex(const struct chunk_id *id, char out[33])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[id->b[i] >> 4];
		out[2 * i + 1] = hx[id->b[i] & 15];
	}
	out[32] = 0;
}

static int nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int chunk_id_parse(struct chunk_id *id, const char *hex)
{
	for (int i = 0; i < 16; i++) {
		int h = nib(hex[2 * i]), l = h < 0 ? -1 : nib(hex[2 * i + 1]);
		if (h < 0 || l < 0)
			return -EINVAL;
		id->b[i] = (uint8_t)(h << 4 | l);
	}
	return hex[32] ? -EINVAL : 0;
}

int chunk_coder_new(struct chunk_coder **out, int level, int min_match)
{
	struct chunk_coder *cc = calloc(1, sizeof(*cc));

	*out = NULL;
	if (!cc || !(cc->c = ZSTD_createCCtx()) || !(cc->d = ZSTD_createDCtx())) {
		chunk_coder_free(cc);
		return -ENOMEM;
	}
	cc->level = level;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc->c, ZSTD_c_compressionLevel, level)) ||
	    (min_match && ZSTD_isError(ZSTD_CCtx_setParameter(cc->c, ZSTD_c_minMatch, min_match)))) {
		chunk_coder_free(cc);
		return -EINVAL;
	}
	*out = cc;
	return 0;
}

void chunk_coder_free(struct chunk_coder *cc)
{
	if (!cc)
		return;
	ZSTD_freeCCtx(cc->c);
	ZSTD_freeDCtx(cc->d);
	free(cc);
}

/* A part is kept compressed only when that saves at least 1/32 of it; less
 * is not worth a decompression on every read. A 32 KiB sample decides first
 * for the whole chunk, so already-compressed data (LZ4 SSTables) costs
 * little zstd time. */
#define SAMPLE (32u << 10)

static uint32_t part_len(uint32_t raw, uint32_t i)
{
	return raw - i * CHUNK_PART < CHUNK_PART ? raw - i * CHUNK_PART : CHUNK_PART;
}

int chunk_encode(struct chunk_coder *cc, const void *raw, size_t n, void *dst, size_t *stored,
		 enum chunk_codec *codec, struct chunk_parts *parts, struct pit_err *err)
{
	const uint8_t *in = raw;
	uint8_t *out = dst;
	bool try_zstd = true;
	size_t at = 0, r;

	if (n == 0 || n > CHUNK_SIZE)
		return pit_errf(err, -EINVAL, "chunk of %zu bytes", n);
	if (n > SAMPLE * 4) {
		r = ZSTD_compress2(cc->c, dst, CHUNK_MAX_STORED, raw, SAMPLE);
		try_zstd = ZSTD_isError(r) || r <= SAMPLE - SAMPLE / 32;
	}
	memset(parts, 0, sizeof(*parts));
	for (uint32_t i = 0; i < chunk_nparts((uint32_t)n); i++) {
		const uint8_t *p = in + (size_t)i * CHUNK_PART;
		size_t l = part_len((uint32_t)n, i);
		parts->hash[i] = XXH3_64bits(p, l);
		r = l;
		if (try_zstd) {
			r = ZSTD_compress2(cc->c, out + at, CHUNK_MAX_STORED - at, p, l);
			if (ZSTD_isError(r))
				return pit_errf(err, -EIO, "zstd compression failed: %s", ZSTD_getErrorName(r));
			if (r >= l - l / 32)
				r = l;	/* kept raw: a stored length equal to the raw one says so */
		}
		if (r == l)
			memcpy(out + at, p, l);
		at += r;
		parts->end[i] = (uint32_t)at;
	}
	*stored = at;
	*codec = CHUNK_PARTS;
	return 0;
}

void chunk_parts_put(uint8_t *p, const struct chunk_parts *parts, uint32_t raw)
{
	for (uint32_t i = 0; i < chunk_nparts(raw); i++, p += 12) {
		put_le32(p, parts->end[i]);
		put_le64(p + 4, parts->hash[i]);
	}
}

void chunk_parts_get(const uint8_t *p, struct chunk_parts *parts, uint32_t raw)
{
	memset(parts, 0, sizeof(*parts));
	for (uint32_t i = 0; i < chunk_nparts(raw) && i < CHUNK_NPARTS; i++, p += 12) {
		parts->end[i] = le32(p);
		parts->hash[i] = le64(p + 4);
	}
}

int chunk_parts_check(const struct chunk_parts *parts, uint32_t raw_len, uint32_t stored, const char *where,
		      struct pit_err *err)
{
	uint32_t np = chunk_nparts(raw_len), prev = 0;

	if (raw_len == 0 || raw_len > CHUNK_SIZE)
		return pit_errf(err, -EIO, "%s: chunk of %u bytes", where, raw_len);
	for (uint32_t i = 0; i < np; i++) {
		if (parts->end[i] <= prev || parts->end[i] - prev > part_len(raw_len, i))
			return pit_errf(err, -EIO, "%s: chunk part %u: stored length out of range", where, i);
		prev = parts->end[i];
	}
	if (prev != stored)
		return pit_errf(err, -EIO, "%s: chunk parts add up to %u bytes, index says %u", where, prev, stored);
	return 0;
}

/* Part i from its stored bytes (src, len of them) into dst. */
static int decode_part(struct chunk_coder *cc, uint32_t raw_len, uint32_t i, const uint8_t *src, size_t len,
		       uint8_t *dst, const char *where, struct pit_err *err)
{
	size_t l = part_len(raw_len, i), r;

	if (len == l) {
		memcpy(dst, src, l);
		return 0;
	}
	r = ZSTD_decompressDCtx(cc->d, dst, l, src, len);
	if (ZSTD_isError(r))
		return pit_errf(err, -EIO, "%s: chunk part %u does not decompress: %s", where, i, ZSTD_getErrorName(r));
	if (r != l)
		return pit_errf(err, -EIO, "%s: chunk part %u decompresses to %zu bytes, not %zu", where, i, r, l);
	return 0;
}

/* -EIO unless part i's raw bytes (at p) have the hash its description gives. */
static int check_part(const struct chunk_parts *parts, uint32_t raw_len, uint32_t i, const uint8_t *p,
		      const char *where, struct pit_err *err)
{
	if (XXH3_64bits(p, part_len(raw_len, i)) != parts->hash[i])
		return pit_errf(err, -EIO, "%s: chunk part %u: content hash mismatch (damaged pack)", where, i);
	return 0;
}

int chunk_parts_verify(const struct chunk_parts *parts, const void *raw, uint32_t raw_len, const char *where,
		       struct pit_err *err)
{
	int rc;

	for (uint32_t i = 0; i < chunk_nparts(raw_len); i++)
		if ((rc = check_part(parts, raw_len, i, (const uint8_t *)raw + (size_t)i * CHUNK_PART, where, err)) < 0)
			return rc;
	return 0;
}

/* Parts p0..p1 from their stored bytes (src, from part p0's start) into
 * dst, each checked against its hash when check (a whole chunk is checked
 * against its id instead). */
static int decode_range(struct chunk_coder *cc, const struct chunk_parts *parts, uint32_t raw_len, uint32_t p0,
			uint32_t p1, const void *src, void *dst, bool check, const char *where, struct pit_err *err)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	uint32_t base = p0 ? parts->end[p0 - 1] : 0;
	int rc;

	for (uint32_t i = p0; i <= p1; i++) {
		uint32_t from = i ? parts->end[i - 1] : 0;
		if ((rc = decode_part(cc, raw_len, i, s + (from - base), parts->end[i] - from, d, where, err)) < 0 ||
		    (check && (rc = check_part(parts, raw_len, i, d, where, err)) < 0))
			return rc;
		d += part_len(raw_len, i);
	}
	return 0;
}

int chunk_decode_parts(struct chunk_coder *cc, const struct chunk_parts *parts, uint32_t raw_len, uint32_t p0,
		       uint32_t p1, const void *src, void *dst, const char *where, struct pit_err *err)
{
	return decode_range(cc, parts, raw_len, p0, p1, src, dst, true, where, err);
}

int chunk_decode(struct chunk_coder *cc, enum chunk_codec codec, const struct chunk_parts *parts, const void *src,
		 size_t stored, void *dst, size_t raw_len, const struct chunk_id *id, const char *where,
		 struct pit_err *err)
{
	struct chunk_id got;
	char hex[33];
	int rc;

	if (codec == CHUNK_PARTS) {
		if ((rc = chunk_parts_check(parts, (uint32_t)raw_len, (uint32_t)stored, where, err)) < 0 ||
		    (rc = decode_range(cc, parts, (uint32_t)raw_len, 0, chunk_nparts((uint32_t)raw_len) - 1, src, dst,
				       false, where, err)) < 0)
			return rc;
	} else if (codec == CHUNK_RAW) {
		if (stored != raw_len)
			return pit_errf(err, -EIO, "%s: raw chunk of %zu bytes, index says %zu", where, stored, raw_len);
		memcpy(dst, src, stored);
	} else if (codec == CHUNK_ZSTD) {
		size_t r = ZSTD_decompressDCtx(cc->d, dst, raw_len, src, stored);
		if (ZSTD_isError(r))
			return pit_errf(err, -EIO, "%s: chunk does not decompress: %s", where, ZSTD_getErrorName(r));
		if (r != raw_len)
			return pit_errf(err, -EIO, "%s: chunk decompresses to %zu bytes, index says %zu", where, r,
					raw_len);
	} else {
		return pit_errf(err, -EIO, "%s: unknown chunk codec %d", where, (int)codec);
	}
	chunk_id_of(&got, dst, raw_len);
	if (!chunk_id_eq(&got, id)) {
		chunk_id_hex(id, hex);
		return pit_errf(err, -EIO, "%s: chunk %s: content hash mismatch (damaged pack)", where, hex);
	}
	return 0;
}
