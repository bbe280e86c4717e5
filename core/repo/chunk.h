/* Chunks: the unit of deduplication. A chunk's id is the XXH3-128 of its raw
 * bytes. It is stored in parts of 64 KiB of raw bytes, each its own zstd
 * frame, or raw when zstd does not shrink it (Cassandra's Data.db is
 * usually LZ4 already), with each part's XXH3-64 kept in the index beside
 * the chunk's place: a small read at a random offset reads and checks one
 * part, not the whole chunk. Reading a whole chunk re-hashes it against its
 * id, reading parts against their hashes, so a damaged pack gives -EIO,
 * never wrong bytes. Repositories written before parts hold chunks as one
 * zstd frame or raw (CHUNK_ZSTD, CHUNK_RAW): still read, whole. */
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

enum chunk_codec { CHUNK_RAW = 0, CHUNK_ZSTD = 1, CHUNK_PARTS = 2 };

#define CHUNK_PART (64u << 10)
#define CHUNK_NPARTS (CHUNK_SIZE / CHUNK_PART)

/* Part i holds raw bytes [i * CHUNK_PART, (i + 1) * CHUNK_PART) (the last
 * part what is left) in stored bytes [end[i - 1], end[i]) (end[-1] is 0):
 * a zstd frame when shorter than its raw bytes, else those bytes. */
struct chunk_parts {
	uint32_t end[CHUNK_NPARTS];
	uint64_t hash[CHUNK_NPARTS];	/* XXH3-64 of the part's raw bytes */
};

static inline uint32_t chunk_nparts(uint32_t raw) { return (raw + CHUNK_PART - 1) / CHUNK_PART; }

/* The parts as stored in pack trailers, index segments and the catalog,
 * after the codec byte of a CHUNK_PARTS chunk: each part's end (u32) and
 * hash (u64), little-endian; CHUNK_PARTS_LEN(raw) bytes. */
#define CHUNK_PARTS_LEN(raw) ((size_t)chunk_nparts(raw) * 12)
void chunk_parts_put(uint8_t *p, const struct chunk_parts *parts, uint32_t raw);
void chunk_parts_get(const uint8_t *p, struct chunk_parts *parts, uint32_t raw);

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

/* Encodes n raw bytes (0 < n <= CHUNK_SIZE) into dst (CHUNK_MAX_STORED
 * bytes) as CHUNK_PARTS, its parts described in *parts. */
int chunk_encode(struct chunk_coder *cc, const void *raw, size_t n, void *dst, size_t *stored,
		 enum chunk_codec *codec, struct chunk_parts *parts, struct pit_err *err);
/* Decodes a whole stored chunk into dst (raw_len bytes) and checks it
 * against id. parts: for CHUNK_PARTS only. where names the chunk in
 * messages ("packs/ab/..., offset 123"). */
int chunk_decode(struct chunk_coder *cc, enum chunk_codec codec, const struct chunk_parts *parts, const void *src,
		 size_t stored, void *dst, size_t raw_len, const struct chunk_id *id, const char *where,
		 struct pit_err *err);
/* Decodes parts p0 .. p1 of a CHUNK_PARTS chunk of raw_len bytes: src holds
 * their stored bytes (from end[p0 - 1] to end[p1]), dst receives their raw
 * bytes (from p0 * CHUNK_PART), each part checked against its hash. */
int chunk_decode_parts(struct chunk_coder *cc, const struct chunk_parts *parts, uint32_t raw_len, uint32_t p0,
		       uint32_t p1, const void *src, void *dst, const char *where, struct pit_err *err);
/* -EIO unless each part of raw (raw_len bytes, a whole decoded chunk)
 * has the hash its description gives (pitfs check). */
int chunk_parts_verify(const struct chunk_parts *parts, const void *raw, uint32_t raw_len, const char *where,
		       struct pit_err *err);
/* -EIO unless a CHUNK_PARTS description fits a chunk of raw_len bytes in
 * stored bytes (ends in order, the last at stored). */
int chunk_parts_check(const struct chunk_parts *parts, uint32_t raw_len, uint32_t stored, const char *where,
		      struct pit_err *err);

#endif
