#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include "core/repo/chunk.h"

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

/* A chunk is kept compressed only when that saves at least 1/32 of it; less
 * is not worth a decompression on every read. A 32 KiB sample decides first,
 * so already-compressed data (LZ4 SSTables) costs little zstd time. */
#define SAMPLE (32u << 10)

int chunk_encode(struct chunk_coder *cc, const void *raw, size_t n, void *dst, size_t *stored,
		 enum chunk_codec *codec, struct pit_err *err)
{
	size_t r;

	if (n > SAMPLE * 4) {
		r = ZSTD_compress2(cc->c, dst, CHUNK_MAX_STORED, raw, SAMPLE);
		if (!ZSTD_isError(r) && r > SAMPLE - SAMPLE / 32)
			goto keep_raw;
	}
	r = ZSTD_compress2(cc->c, dst, CHUNK_MAX_STORED, raw, n);
	if (ZSTD_isError(r))
		return pit_errf(err, -EIO, "zstd compression failed: %s", ZSTD_getErrorName(r));
	if (r <= n - n / 32) {
		*stored = r;
		*codec = CHUNK_ZSTD;
		return 0;
	}
keep_raw:
	memcpy(dst, raw, n);
	*stored = n;
	*codec = CHUNK_RAW;
	return 0;
}

int chunk_decode(struct chunk_coder *cc, enum chunk_codec codec, const void *src, size_t stored, void *dst,
		 size_t raw_len, const struct chunk_id *id, const char *where, struct pit_err *err)
{
	struct chunk_id got;
	char hex[33];

	if (codec == CHUNK_RAW) {
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
