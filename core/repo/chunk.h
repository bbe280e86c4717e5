/* Chunks: the unit of deduplication. A chunk's id is the XXH3-128 of its raw
 * bytes; it is stored as one zstd frame, or raw when zstd does not shrink it
 * (Cassandra's Data.db is usually LZ4 already). Reading a chunk always
 * re-hashes it, so a damaged pack gives -EIO, never wrong bytes. */
#ifndef PIT_REPO_CHUNK_H
#define PIT_REPO_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/err.h"

#define CHUNK_SIZE (1u << 20)	/* fixed-size chunking; see the note in README */
#define CHUNK_MAX_STORED (CHUNK_SIZE + CHUNK_SIZE / 64 + 1024)

struct chunk_id {
	uint8_t b[16];
};

enum chunk_codec { CHUNK_RAW = 0, CHUNK_ZSTD = 1 };

void chunk_id_of(struct chunk_id *id, const void *p, size_t n);
bool chunk_id_eq(const struct chunk_id *a, const struct chunk_id *b);
void chunk_id_hex(const struct chunk_id *id, char out[33]);
/* Parses 32 hex digits; -EINVAL otherwise. */
int chunk_id_parse(struct chunk_id *id, const char *hex);

/* Per-thread compression state; made once per worker and reused. level and
 * min_match (0: zstd's choice for the level) are zstd's parameters. */
struct chunk_coder;
int chunk_coder_new(struct chunk_coder **out, int level, int min_match);
void chunk_coder_free(struct chunk_coder *cc);

/* Encodes n raw bytes (n <= CHUNK_SIZE) into dst (CHUNK_MAX_STORED bytes). */
int chunk_encode(struct chunk_coder *cc, const void *raw, size_t n, void *dst, size_t *stored,
		 enum chunk_codec *codec, struct pit_err *err);
/* Decodes a stored chunk into dst (raw_len bytes) and checks it against id.
 * where names the chunk in messages ("packs/ab/..., offset 123"). */
int chunk_decode(struct chunk_coder *cc, enum chunk_codec codec, const void *src, size_t stored, void *dst,
		 size_t raw_len, const struct chunk_id *id, const char *where, struct pit_err *err);

#endif
