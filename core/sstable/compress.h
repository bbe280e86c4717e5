/* The compressors Cassandra uses for Data.db chunks. */
#ifndef PIT_SST_COMPRESS_H
#define PIT_SST_COMPRESS_H

#include <stddef.h>
#include <sys/types.h>
#include "core/err.h"

enum sst_codec { SST_CODEC_NONE, SST_CODEC_LZ4, SST_CODEC_SNAPPY, SST_CODEC_DEFLATE, SST_CODEC_ZSTD };

/* From a CompressionInfo.db class name (short or fully qualified); -ENOTSUP when unknown. */
int sst_codec_from_class(const char *cls, enum sst_codec *out);
const char *sst_codec_name(enum sst_codec c);

struct sst_decoder;
int sst_decoder_new(struct sst_decoder **out, enum sst_codec codec);
void sst_decoder_free(struct sst_decoder *d);
/* Decompresses one chunk into dst; returns the bytes produced or -EIO. */
ssize_t sst_decompress(struct sst_decoder *d, const void *src, size_t n, void *dst, size_t cap,
		       struct pit_err *err);

#endif
