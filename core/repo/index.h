/* Index segments: immutable objects mapping chunk id -> pack, offset,
 * lengths, codec and parts. Written after the packs they describe, so an entry
 * never names a pack that is not there. */
#ifndef PIT_REPO_INDEX_H
#define PIT_REPO_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "core/repo/backend_local.h"
#include "core/repo/chunk.h"

struct chunk_loc {
	struct chunk_id pack;
	uint64_t off;
	uint32_t stored, raw;
	uint8_t codec;
	struct chunk_parts parts;	/* CHUNK_PARTS only; else zero */
};

struct index_entry {
	struct chunk_id id;
	struct chunk_loc loc;
};

#define INDEX_NAME_MAX 48

/* Writes a segment as index/<XXH3-128 of the object>; its name goes to name. */
int index_write(struct backend *b, const struct index_entry *e, size_t n, char name[INDEX_NAME_MAX],
		struct pit_err *err);
int index_read(struct backend *b, const char *name, struct index_entry **e, size_t *n, struct pit_err *err);

#endif
