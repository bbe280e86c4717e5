/* A repository: its config, objects and locks, and the catalog kept in step
 * with them. Opening a repository brings the catalog up to date with the
 * objects (or rebuilds it when it was deleted). */
#ifndef PIT_REPO_REPO_H
#define PIT_REPO_REPO_H

#include <stdint.h>
#include "core/err.h"
#include "core/repo/backend_local.h"
#include "core/repo/catalog.h"
#include "core/repo/chunkpool.h"
#include "core/repo/chunk.h"
#include "core/repo/index.h"
#include "core/repo/manifest.h"
#include "core/repo/memo.h"

struct repo;

/* zstd level 1 with matches of 5 bytes and more: Cassandra's Data.db is
 * LZ4 output, whose repeats are short; level 1's default minimum of 6 misses
 * them. Measured on generated snapshots: 1.6 % smaller than plain level 1,
 * at 62 % of its speed, still faster than level 2 and as small. */
#define REPO_ZSTD_LEVEL 1
#define REPO_ZSTD_MIN_MATCH 5

enum repo_mode {
	REPO_READ,		/* no lock: listing and reading */
	REPO_SHARED,		/* shared lock, nothing written: check, restore */
	REPO_SHARED_IF_ABLE,	/* the same where the lock file can be opened, else no lock
				 * (read-only media, no write permission): the mount */
	REPO_WRITE,		/* shared lock: ingests run side by side; when alone,
				 * first adopts packs a crash left unindexed */
	REPO_EXCLUSIVE,		/* exclusive lock: forget, prune */
	REPO_EXCLUSIVE_NOWAIT,	/* the same, or -EWOULDBLOCK at once while another holds the lock
				 * (an ingest, check, restore or mount) */
};

struct repo_config {
	uint8_t id[16];
	uint32_t chunk_size;
	int32_t zstd_level;
	uint32_t zstd_min_match;	/* 0: zstd's default for the level */
	uint32_t pack_target;
};

/* pack_target 0 means the default (PACK_TARGET); zstd_level 0 the default (3). */
int repo_init(const char *path, uint32_t pack_target, int zstd_level, struct pit_err *err);
int repo_open(struct repo **out, const char *path, enum repo_mode mode, struct pit_err *err);
void repo_close(struct repo *r);

const char *repo_path(const struct repo *r);
const struct repo_config *repo_config(const struct repo *r);
struct backend *repo_backend(struct repo *r);
struct catalog *repo_catalog(struct repo *r);
/* Objects the last sync could not read (reported by check), and packs adopted. */
unsigned repo_sync_skipped(const struct repo *r);

/* Brings the catalog in step with index/ and backups/. */
int repo_sync(struct repo *r, struct pit_err *err);
/* Indexes packs that no segment lists (an ingest killed between writing a
 * pack and its index). Needs the exclusive lock or no concurrent writer. */
int repo_adopt_packs(struct repo *r, unsigned *adopted, struct pit_err *err);

/* Per-thread chunk reading: a decompression context and a buffer. */
struct repo_reader;
int repo_reader_new(struct repo_reader **out, struct repo *r, struct pit_err *err);
void repo_reader_free(struct repo_reader *rr);
/* A reader for a thread that reads a chunk now and then (a view's chunk
 * cache, a random read of a file): an idle one of r's, else a new one;
 * given back with repo_reader_give, which keeps a few for the next. */
int repo_reader_take(struct repo *r, struct repo_reader **out, struct pit_err *err);
void repo_reader_give(struct repo_reader *rr);
/* Keeps up to max_bytes of decompressed chunks for every reader of r from
 * now on (core/repo/chunkpool.h): for processes that serve reads over time. */
int repo_keep_chunks(struct repo *r, size_t max_bytes, struct pit_err *err);
struct chunkpool *repo_chunkpool(struct repo *r);
/* Reads chunk id (raw bytes) into dst, verified against its id (or kept
 * from an earlier verified read). */
int repo_read_chunk(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst, struct pit_err *err);
/* The same, not kept in the pool (the caller decides: see rahead.c). */
int repo_read_chunk_once(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst,
			 struct pit_err *err);
/* Asks the kernel to start reading chunk id's stored bytes (a reader
 * going front to back that will want it soon); nothing on any failure. */
void repo_prefetch(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw);
/* n bytes at off of chunk id (raw bytes long) into dst, reading and
 * checking only the parts of the chunk that hold them (the whole chunk
 * for chunks stored before parts): for small reads at random offsets.
 * Not kept in the pool. */
int repo_read_range(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, uint32_t off, size_t n,
		    void *dst, struct pit_err *err);
/* Chunks found damaged (a read that failed with -EIO, or pitfs check) are
 * noted in the repository's local cache with the first error, so that a
 * view's sources.json can name the files they belong to. */
void repo_damage_note(struct repo *r, const struct chunk_id *id, const char *msg);
/* true, and its error into msg (cap bytes), when chunk id was found damaged. */
bool repo_damage(struct repo *r, const struct chunk_id *id, char *msg, size_t cap);
/* The same from a known location (check --read-data reads packs this way). */
int repo_read_loc(struct repo_reader *rr, const struct chunk_id *id, const struct chunk_loc *loc, void *dst,
		  struct pit_err *err);



/* The backup whose id starts with prefix (at least 4 hex digits); -ENOENT
 * or -EINVAL (ambiguous) with a message. */
int repo_resolve_backup(struct repo *r, const char *prefix, struct chunk_id *id, struct pit_err *err);
/* Derived facts kept while r is open (core/repo/memo.h); kinds: */
#define MEMO_ENTRIES 256
#define MEMO_BYTES (256u << 20)
enum { MEMO_MANIFEST = 1, MEMO_VIEW_NAMES = 2 };
struct memo *repo_memo(struct repo *r);
/* A backup's manifest, parsed once and shared: read-only, and given back
 * with repo_manifest_release. */
int repo_manifest(struct repo *r, const struct chunk_id *id, const struct manifest **out, struct pit_err *err);
void repo_manifest_release(struct repo *r, const struct manifest *m);

#endif
