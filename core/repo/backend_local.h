/* Where repository objects live: a local directory. Names are relative
 * ("packs/ab/ab12...", "index/...", "backups/..."). Every object appears
 * whole or not at all: it is written under tmp/, flushed, then renamed. */
#ifndef PIT_REPO_BACKEND_LOCAL_H
#define PIT_REPO_BACKEND_LOCAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/err.h"

struct backend;

/* Creates root (which must not exist or be empty) with its object directories. */
int backend_create(const char *root, struct pit_err *err);
int backend_open(struct backend **out, const char *root, struct pit_err *err);
void backend_close(struct backend *b);
const char *backend_root(const struct backend *b);
int backend_dirfd(const struct backend *b);

/* Stores n bytes as name, atomically and durably. */
int backend_put(struct backend *b, const char *name, const void *p, size_t n, struct pit_err *err);
/* Reads a whole object (at most max bytes) into a new buffer. -ENOENT when absent. */
int backend_get(struct backend *b, const char *name, uint8_t **p, size_t *n, size_t max, struct pit_err *err);
int backend_remove(struct backend *b, const char *name, struct pit_err *err);
/* Opens an object for pread; the caller closes the fd. */
int backend_open_read(struct backend *b, const char *name, struct pit_err *err);
/* Calls fn for each object under dir ("packs" descends into its fan-out
 * directories); stops at fn's first non-zero return and returns it. */
int backend_list(struct backend *b, const char *dir, int (*fn)(void *ctx, const char *name, uint64_t size),
		 void *ctx, struct pit_err *err);

/* A streamed object being written. */
struct backend_tmp {
	int fd;
	uint64_t size;
	char path[64];		/* under tmp/ */
};
int backend_tmp_open(struct backend *b, struct backend_tmp *t, struct pit_err *err);
int backend_tmp_write(struct backend *b, struct backend_tmp *t, const void *p, size_t n, struct pit_err *err);
/* Flushes and renames the object to name; t is closed either way. */
int backend_tmp_commit(struct backend *b, struct backend_tmp *t, const char *name, struct pit_err *err);
void backend_tmp_abort(struct backend *b, struct backend_tmp *t);
/* Removes what crashed writers left in tmp/. Only safe with no writer running. */
int backend_clean_tmp(struct backend *b, unsigned *removed, struct pit_err *err);

#endif
