/* Decompressed chunks kept for every reader of a repository, for a process
 * that serves many reads over time (the mount): a chunk read once, by a
 * view's renderer or a file's reader, is copied here, and the next reader
 * of the same chunk, in any thread, copies it out instead of reading and
 * decompressing it again. Bounded; least recently used chunks go first. */
#ifndef PIT_REPO_CHUNKPOOL_H
#define PIT_REPO_CHUNKPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/repo/chunk.h"

struct chunkpool;

int chunkpool_new(struct chunkpool **out, size_t max_bytes);
void chunkpool_free(struct chunkpool *p);
/* Copies the raw bytes of chunk id into dst (raw of them): true when kept. */
bool chunkpool_get(struct chunkpool *p, const struct chunk_id *id, uint32_t raw, void *dst);
/* Copies n bytes at off of chunk id (raw bytes long) into dst: true when
 * kept (a small read needs no whole-chunk copy). */
bool chunkpool_get_range(struct chunkpool *p, const struct chunk_id *id, uint32_t raw, uint32_t off, size_t n,
			 void *dst);
/* Keeps a copy of a chunk's raw bytes (verified by whoever read them).
 * cold: read front to back by a reader that does not come back (cp, tar):
 * kept where it is the first to go, so that a long copy keeps only what
 * fits beside the chunks in use instead of pushing them out; a later read
 * of it makes it the most recently used like any other. */
void chunkpool_put(struct chunkpool *p, const struct chunk_id *id, const void *data, uint32_t raw, bool cold);
/* The same without a copy: the pool takes *data (malloc'd, cap bytes, the
 * chunk's raw bytes first) and gives back in *data a buffer of at least cap
 * bytes it no longer needs, or NULL. */
void chunkpool_adopt(struct chunkpool *p, const struct chunk_id *id, uint8_t **data, uint32_t cap, uint32_t raw,
		     bool cold);
void chunkpool_stats(struct chunkpool *p, uint64_t *hits, uint64_t *misses);

#endif
