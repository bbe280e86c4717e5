/* A byte source: a pread-like view of one immutable file, whether it lives
 * on disk, in memory or (later) in the repository. Readers never need a path. */
#ifndef PIT_BSRC_H
#define PIT_BSRC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/err.h"

struct bsrc;

struct bsrc_ops {
	/* Up to n bytes at off; fewer only at the end. Bytes read or -errno. */
	ssize_t (*pread)(void *ctx, void *buf, size_t n, uint64_t off, struct pit_err *err);
	void (*close)(void *ctx);
};

/* Takes ownership of ctx (closed through ops->close). */
int bsrc_new(struct bsrc **out, const struct bsrc_ops *ops, void *ctx, uint64_t size, const char *name);
int bsrc_open_file(struct bsrc **out, const char *path, struct pit_err *err);
/* Borrows p: it must outlive the source. */
int bsrc_open_mem(struct bsrc **out, const void *p, size_t n, const char *name);
void bsrc_close(struct bsrc *bs);

uint64_t bsrc_size(const struct bsrc *bs);
const char *bsrc_name(const struct bsrc *bs);
ssize_t bsrc_pread(struct bsrc *bs, void *buf, size_t n, uint64_t off, struct pit_err *err);
/* Exactly n bytes at off, or -EBADMSG naming the file when it ends first. */
int bsrc_read_exact(struct bsrc *bs, void *buf, size_t n, uint64_t off, struct pit_err *err);
/* The whole source into a new buffer, refusing sources larger than max. */
int bsrc_read_all(struct bsrc *bs, uint8_t **out, size_t *n, size_t max, struct pit_err *err);

#endif
