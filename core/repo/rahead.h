/* A backup's file read in place by any number of threads. A file of more
 * than one chunk has two worker threads of its own which, while reads go
 * front to back, decompress the next chunks before they are asked for:
 * disk, decompression and the readers' copying overlap. Other reads, and
 * all of a one-chunk file's, decompress only the parts holding their
 * bytes, in the reader's thread. */
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
/* Whole chunks the workers decompressed so far: the first, loaded when a
 * file of several chunks opens, and those of reads front to back. */
uint64_t rahead_loads(struct rahead *ra);
void rahead_close(struct rahead *ra);

#endif
