/* The catalog: the one LMDB wrapper. A local cache over the repository's
 * objects (chunk locations, known packs and index segments, backups, and the
 * files each node has stored). Deleting it loses nothing: repo_open rebuilds
 * it from the objects. */
#ifndef PIT_REPO_CATALOG_H
#define PIT_REPO_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "core/repo/index.h"
#include "core/repo/manifest.h"

struct catalog;
struct catalog_txn;

int catalog_open(struct catalog **out, const char *dir, struct pit_err *err);
void catalog_close(struct catalog *cat);

/* Reads; each is its own short read transaction, safe from any thread. */
int catalog_chunk_find(struct catalog *cat, const struct chunk_id *id, struct chunk_loc *loc, struct pit_err *err);
/* What a node last stored under a path: enough to store the same file again
 * without reading it (SSTable components never change once written). */
struct catalog_file {
	uint64_t size;
	int64_t mtime_ns;
	uint32_t nchunks;
	struct mf_chunk *chunks;	/* free() it */
};
/* 0 when node has stored path in some backup, else -ENOENT. */
int catalog_file_find(struct catalog *cat, const char *node, const char *path, struct catalog_file *f,
		      struct pit_err *err);
/* Every backup, in instant order; fn's non-zero return stops and is returned. */
int catalog_backups(struct catalog *cat, int (*fn)(void *ctx, const struct backup_info *bi), void *ctx,
		    struct pit_err *err);
/* Every chunk location known, in id order. */
int catalog_chunks(struct catalog *cat, int (*fn)(void *ctx, const struct index_entry *e), void *ctx,
		   struct pit_err *err);
bool catalog_pack_known(struct catalog *cat, const struct chunk_id *pack);

/* Sizes of rendered files, by a key that names everything the bytes depend
 * on (the view's instant, table, file and the backups it reads). */
int catalog_size_get(struct catalog *cat, const struct chunk_id *key, uint64_t *size);
/* The same db holds other facts about rendered files (their checkpoints):
 * *data is the caller's. */
int catalog_blob_get(struct catalog *cat, const struct chunk_id *key, void **data, size_t *len);
int catalog_blob_put(struct catalog *cat, const struct chunk_id *key, const void *data, size_t len,
		     struct pit_err *err);
/* n of them in one transaction: one commit (a sync of the disk) for all the
 * files a rendering sized. A size is a blob of 8 bytes. */
struct catalog_blob {
	struct chunk_id key;
	const void *data;
	size_t len;
};
int catalog_blobs_put(struct catalog *cat, const struct catalog_blob *v, size_t n, struct pit_err *err);

/* Every backup, copied, in instant order (then node, then id). */
struct backup_list {
	struct backup_info *v;
	size_t n, cap;
};
int catalog_backup_list(struct catalog *cat, struct backup_list *out, struct pit_err *err);
void backup_list_release(struct backup_list *l);
/* The same list, not copied: made once and shared by every caller until
 * the catalog changes (a lookup in the mount asks for it, and copying
 * thousands of backups for each was most of a lookup's time). Read-only;
 * given back with catalog_backups_put. */
int catalog_backups_held(struct catalog *cat, const struct backup_list **out, struct pit_err *err);
void catalog_backups_put(struct catalog *cat, const struct backup_list *l);

/* One write transaction (LMDB serialises them across processes). */
int catalog_txn_begin(struct catalog *cat, struct catalog_txn **out, struct pit_err *err);
int catalog_txn_commit(struct catalog_txn *t, struct pit_err *err);
void catalog_txn_abort(struct catalog_txn *t);

enum { CAT_CHUNKS = 1, CAT_BACKUPS = 2 };
int catalog_txn_clear(struct catalog_txn *t, int what, struct pit_err *err);
bool catalog_txn_has_segment(struct catalog_txn *t, const char *name);
int catalog_txn_add_segment(struct catalog_txn *t, const char *name, const struct index_entry *e, size_t n,
			    struct pit_err *err);
/* Calls fn for every index segment name known; non-zero stops. */
int catalog_txn_segments(struct catalog_txn *t, int (*fn)(void *ctx, const char *name), void *ctx,
			 struct pit_err *err);
bool catalog_txn_has_backup(struct catalog_txn *t, const struct chunk_id *id);
int catalog_txn_add_backup(struct catalog_txn *t, const struct manifest *m, struct pit_err *err);
int catalog_txn_backup_ids(struct catalog_txn *t, int (*fn)(void *ctx, const struct chunk_id *id), void *ctx,
			   struct pit_err *err);

#endif
