/* Files of a backup read in place from the repository: a byte source over
 * a manifest's chunk list, through a bounded cache of decompressed chunks
 * shared by every file a view reads. Never a temporary copy of a file. */
#ifndef PIT_REPO_RFILE_H
#define PIT_REPO_RFILE_H

#include <stddef.h>
#include "core/repo/manifest.h"
#include "core/repo/repo.h"
#include "core/util/bsrc.h"

struct chunk_cache;

/* max_bytes bounds the decompressed chunks kept (at least two chunks). */
int chunk_cache_new(struct chunk_cache **out, struct repo *r, size_t max_bytes, struct pit_err *err);
void chunk_cache_free(struct chunk_cache *cc);
/* Hits and misses so far, for tests and benchmarks. */
void chunk_cache_stats(const struct chunk_cache *cc, uint64_t *hits, uint64_t *misses);

/* f is borrowed and must outlive the source; name is for messages. */
int rfile_open(struct bsrc **out, struct chunk_cache *cc, const struct mf_file *f, const char *name,
	       struct pit_err *err);

#endif
