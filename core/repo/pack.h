/* Pack files: many chunks back to back, then a trailer listing each chunk's
 * id, offset, stored and raw length, codec and parts, so that a pack describes
 * itself and the index can always be rebuilt from the packs. The pack's own
 * id is the XXH3-128 of its bytes; its name is packs/<2 hex>/<32 hex>. */
#ifndef PIT_REPO_PACK_H
#define PIT_REPO_PACK_H

#include <stddef.h>
#include <stdint.h>
#include "core/repo/backend_local.h"
#include "core/repo/chunk.h"
#include "core/repo/index.h"

#define PACK_TARGET (16u << 20)	/* a pack is closed once it reaches this size */
#define PACK_NAME_MAX 48

struct pack_entry {
	struct chunk_id id;
	uint64_t off;
	uint32_t stored, raw;
	uint8_t codec;
	struct chunk_parts parts;	/* CHUNK_PARTS only; else zero */
};

void pack_name(const struct chunk_id *pack, char out[PACK_NAME_MAX]);
/* The index entry for a chunk of pack. */
struct index_entry pack_entry_index(const struct pack_entry *pe, const struct chunk_id *pack);
/* "packs/ab/ab12..." -> id; -EINVAL for anything else. */
int pack_name_parse(const char *name, struct chunk_id *pack);

struct pack_writer;
int pack_writer_open(struct pack_writer **out, struct backend *b, struct pit_err *err);
/* Appends one stored chunk; its offset in the pack goes to *off. */
int pack_writer_add(struct pack_writer *pw, const struct chunk_id *id, const void *p, uint32_t stored,
		    uint32_t raw, uint8_t codec, const struct chunk_parts *parts, struct pit_err *err);
uint64_t pack_writer_size(const struct pack_writer *pw);
size_t pack_writer_count(const struct pack_writer *pw);
/* Writes the trailer, flushes and names the pack. Hands over the entries
 * (free() them) and frees pw, whatever the outcome. */
int pack_writer_finish(struct pack_writer *pw, struct chunk_id *pack, struct pack_entry **entries, size_t *n,
		       struct pit_err *err);
/* The same, but the flush and rename are left to the caller, who commits
 * *tmp as *name (backend_tmp_commit) on any thread, or aborts it. */
int pack_writer_seal(struct pack_writer *pw, struct chunk_id *pack, struct pack_entry **entries, size_t *n,
		     struct backend_tmp *tmp, char name[PACK_NAME_MAX], struct pit_err *err);
void pack_writer_abort(struct pack_writer *pw);

/* Reads and checks the trailer of the pack open at fd (size bytes). */
int pack_read_trailer(int fd, uint64_t size, const char *name, struct pack_entry **entries, size_t *n,
		      struct pit_err *err);

#endif
