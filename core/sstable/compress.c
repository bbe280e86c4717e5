#include "core/sstable/compress.h"

#include <lz4.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct sst_decoder {
	enum sst_codec codec;
	ZSTD_DCtx *zstd;
	z_stream zs;
	int zs_ready;
};

static const struct {
	const char *cls;
	enum sst_codec codec;
	const char *name;
} codecs[] = {
	{ "LZ4Compressor", SST_CODEC_LZ4, "LZ4" },
	{ "SnappyCompressor", SST_CODEC_SNAPPY, "Snappy" },
	{ "DeflateCompressor", SST_CODEC_DEFLATE, "Deflate" },
	{ "ZstdCompressor", SST_CODEC_ZSTD, "Zstd" },
	{ "NoopCompressor", SST_CODEC_NONE, "Noop" },
};

int sst_codec_from_class(const char *cls, enum sst_codec *out)
{
	const char *dot = strrchr(cls, '.');
	const char *shortname = dot ? dot + 1 : cls;

	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (!strcmp(shortname, codecs[i].cls)) {
			*out = codecs[i].codec;
			return 0;
		}
	return -ENOTSUP;
}

const char *sst_codec_name(enum sst_codec c)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].codec == c)
			return codecs[i].name;
	return "?";
}

int sst_decoder_new(struct sst_decoder **out, enum sst_codec codec)
{
	struct sst_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->codec = codec;
	if (codec == SST_CODEC_ZSTD && !(d->zstd = ZSTD_createDCtx())) {
		free(d);
		return -ENOMEM;
	}
	if (codec == SST_CODEC_DEFLATE) {
		if (inflateInit(&d->zs) != Z_OK) {
			free(d);
			return -ENOMEM;
		}
		d->zs_ready = 1;
	}
	*out = d;
	return 0;
}

void sst_decoder_free(struct sst_decoder *d)
{
	if (!d)
		return;
	ZSTD_freeDCtx(d->zstd);
	if (d->zs_ready)
		inflateEnd(&d->zs);
	free(d);
}

ssize_t sst_decompress(struct sst_decoder *d, const void *src, size_t n, void *dst, size_t cap,
		       struct pit_err *err)
{
	switch (d->codec) {
	case SST_CODEC_NONE:
		if (n > cap)
			return pit_errf(err, -EIO, "chunk of %zu bytes exceeds %zu", n, cap);
		memcpy(dst, src, n);
		return (ssize_t)n;
	case SST_CODEC_LZ4: {
		/* Cassandra prefixes the LZ4 block with its decompressed length, LE */
		const unsigned char *s = src;
		if (n < 4)
			return pit_errf(err, -EIO, "lz4: chunk of %zu bytes has no length prefix", n);
		uint32_t want = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
		if (want > cap || n - 4 > INT32_MAX)
			return pit_errf(err, -EIO, "lz4: chunk claims %u bytes, at most %zu expected", want, cap);
		int got = LZ4_decompress_safe((const char *)s + 4, dst, (int)(n - 4), (int)want);
		if (got < 0 || (uint32_t)got != want)
			return pit_errf(err, -EIO, "lz4: corrupt block (%d of %u bytes decoded)", got, want);
		return got;
	}
	case SST_CODEC_SNAPPY: {
		size_t len;
		if (snappy_uncompressed_length(src, n, &len) != SNAPPY_OK || len > cap)
			return pit_errf(err, -EIO, "snappy: corrupt block header");
		if (snappy_uncompress(src, n, dst, &len) != SNAPPY_OK)
			return pit_errf(err, -EIO, "snappy: corrupt block");
		return (ssize_t)len;
	}
	case SST_CODEC_DEFLATE: {
		if (inflateReset(&d->zs) != Z_OK)
			return pit_errf(err, -EIO, "deflate: cannot reset the stream");
		d->zs.next_in = (Bytef *)(uintptr_t)src;
		d->zs.avail_in = (uInt)n;
		d->zs.next_out = dst;
		d->zs.avail_out = (uInt)cap;
		int zrc = inflate(&d->zs, Z_FINISH);
		if (zrc != Z_STREAM_END)
			return pit_errf(err, -EIO, "deflate: %s", zrc == Z_BUF_ERROR ? "chunk larger than expected"
							: d->zs.msg ? d->zs.msg : "corrupt stream");
		return (ssize_t)(cap - d->zs.avail_out);
	}
	case SST_CODEC_ZSTD: {
		size_t r = ZSTD_decompressDCtx(d->zstd, dst, cap, src, n);
		if (ZSTD_isError(r))
			return pit_errf(err, -EIO, "zstd: %s", ZSTD_getErrorName(r));
		return (ssize_t)r;
	}
	}
	return pit_errf(err, -ENOTSUP, "unknown codec %d", (int)d->codec);
}
