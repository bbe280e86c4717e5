/* A file of the namespace (core/view/tree.h) opened for reads at any
 * offset, by any number of threads: what the mount serves. Original files
 * of a backup are read in place from their chunks. Rendered files (the
 * views, schemas, sources.json) are produced by a renderer thread into a
 * window that sequential readers follow, the renderer running ahead by at
 * most the window; a read before the window restarts the rendering. The
 * size is exact from the open on, and bytes beyond what the renderer
 * produces, or a rendering that fails, are an error, never other bytes. */
#ifndef PIT_VIEW_VFILE_H
#define PIT_VIEW_VFILE_H

#include <stdint.h>
#include <sys/types.h>
#include "core/view/tree.h"

struct vfile;

/* n: a file node (tree_is_dir false) resolved from path (for messages);
 * r must outlive the file. */
int vfile_open(struct vfile **out, struct repo *r, const struct tree_node *n, const char *path, struct pit_err *err);
/* The same with a window of window bytes (tests use small ones to make the
 * renderer restart); vfile_open's is 8 MiB. */
int vfile_open_window(struct vfile **out, struct repo *r, const struct tree_node *n, const char *path, size_t window,
		      struct pit_err *err);
uint64_t vfile_size(const struct vfile *f);
/* Up to len bytes at off (fewer only at the end of the file), or -errno
 * with err naming the file: -EIO where the bytes cannot be produced. */
ssize_t vfile_pread(struct vfile *f, void *buf, size_t len, uint64_t off, struct pit_err *err);
/* Renderings started so far (1 for a file read front to back), for tests. */
unsigned vfile_renderings(const struct vfile *f);
void vfile_close(struct vfile *f);

#endif
