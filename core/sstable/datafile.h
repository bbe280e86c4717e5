/* Data.db as a stream of decompressed, verified bytes: compressed chunks
 * described by CompressionInfo.db, or raw chunks checked against CRC.db. */
#ifndef PIT_SST_DATAFILE_H
#define PIT_SST_DATAFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/sstable/compress.h"
#include "core/util/bsrc.h"

struct sst_dfile;

struct sst_compinfo {
	bool compressed;
	char cls[128];		/* compressor class as written */
	enum sst_codec codec;
	uint32_t chunk_len;
	uint32_t max_compressed;	/* na+: a chunk this long or longer is stored raw; 0 = none */
	uint64_t data_len;		/* decompressed length */
	uint64_t nchunks;
	int noptions;
	char options[8][2][64];	/* the first options, key and value */
	bool has_crc;		/* uncompressed: CRC.db present */
};

/* The sources are borrowed and must outlive the handle. compinfo and crc may
 * be NULL. has_max_compressed: the version writes maxCompressedLength (na+). */
int sst_dfile_open(struct sst_dfile **out, struct bsrc *data, struct bsrc *compinfo, struct bsrc *crc,
		   bool has_max_compressed, struct pit_err *err);
void sst_dfile_close(struct sst_dfile *df);
const struct sst_compinfo *sst_dfile_info(const struct sst_dfile *df);
uint64_t sst_dfile_length(const struct sst_dfile *df);
/* Points *p at the decompressed bytes from off to the end of its chunk (valid
 * until the next call); returns how many, 0 at the end, or -errno. */
ssize_t sst_dfile_map(struct sst_dfile *df, uint64_t off, const uint8_t **p, struct pit_err *err);
/* Sequential reads: a thread prepares the next chunk while the caller works
 * on the current one (both sources must then allow concurrent preads). */
int sst_dfile_set_readahead(struct sst_dfile *df, bool on);
/* Reads and verifies every chunk (what a scrub does). */
int sst_dfile_verify_chunks(struct sst_dfile *df, struct pit_err *err);

/* A reading position in the decompressed stream. */
struct sst_cursor {
	struct sst_dfile *df;
	uint64_t pos;
	const uint8_t *p, *end;	/* the mapped rest of the current chunk */
	uint8_t *scratch;	/* for reads that cross chunks */
	size_t scap;
};

void sst_cursor_init(struct sst_cursor *c, struct sst_dfile *df, uint64_t pos);
void sst_cursor_release(struct sst_cursor *c);
void sst_cursor_seek(struct sst_cursor *c, uint64_t pos);
/* The paths taken when a read crosses a chunk (below: the common case inline). */
int sst_cursor_get_slow(struct sst_cursor *c, size_t n, const uint8_t **out, struct pit_err *err);
int sst_cursor_u8_slow(struct sst_cursor *c, uint8_t *v, struct pit_err *err);
int sst_cursor_uvint_slow(struct sst_cursor *c, uint64_t *v, struct pit_err *err);
bool sst_cursor_eof(const struct sst_cursor *c);

/* n contiguous bytes at the position, valid until the next call; -EBADMSG
 * when the stream ends first. */
static inline int sst_cursor_get(struct sst_cursor *c, size_t n, const uint8_t **out, struct pit_err *err)
{
	if (n && (size_t)(c->end - c->p) >= n) {
		*out = c->p;
		c->p += n;
		c->pos += n;
		return 0;
	}
	return sst_cursor_get_slow(c, n, out, err);
}

static inline int sst_cursor_u8(struct sst_cursor *c, uint8_t *v, struct pit_err *err)
{
	if (c->p < c->end) {
		*v = *c->p++;
		c->pos++;
		return 0;
	}
	return sst_cursor_u8_slow(c, v, err);
}

static inline int sst_cursor_uvint(struct sst_cursor *c, uint64_t *v, struct pit_err *err)
{
	if (c->p < c->end && !(*c->p & 0x80)) {
		*v = *c->p++;
		c->pos++;
		return 0;
	}
	return sst_cursor_uvint_slow(c, v, err);
}

#endif
