/* A backup's file read in place by any number of threads, its chunks
 * decompressed by a worker thread of its own which, while reads go front
 * to back, decompresses the next chunks before they are asked for: disk,
 * decompression and the readers' copying overlap. */
#ifndef PIT_REPO_RAHEAD_H
#define PIT_REPO_RAHEAD_H

#include <sys/types.h>
#include "core/repo/manifest.h"
#include "core/repo/repo.h"

struct rahead;

/* f is borrowed and must outlive the reader; name is for messages. */
int rahead_open(struct rahead **out, struct repo *r, const struct mf_file *f, const char *name, struct pit_err *err);
/* Up to n bytes at off, fewer only at the end; -EIO naming the file, the
 * pack and the chunk where a chunk does not verify. */
ssize_t rahead_pread(struct rahead *ra, void *buf, size_t n, uint64_t off, struct pit_err *err);
/* Whole chunks decompressed so far: for the one at the start, which the
 * reader loads when it opens, and for reads front to back. */
uint64_t rahead_loads(struct rahead *ra);
void rahead_close(struct rahead *ra);

#endif
