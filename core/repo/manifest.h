/* Backup manifests: one object per backup (backups/<id>), written last, so a
 * backup exists exactly when all its chunks do. The id is the XXH3-128 of the
 * manifest object. */
#ifndef PIT_REPO_MANIFEST_H
#define PIT_REPO_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/repo/backend_local.h"
#include "core/repo/chunk.h"
#include "core/util/sbuf.h"

enum backup_kind { BACKUP_FULL = 0, BACKUP_INCREMENTAL = 1 };

struct mf_chunk {
	struct chunk_id id;
	uint32_t raw;
};

struct mf_file {
	char *path;		/* "<keyspace>/<table dir>/<file>", as restored */
	uint64_t size;
	int64_t mtime_ns;
	uint32_t mode;
	uint32_t nchunks;
	struct mf_chunk *chunks;
};

enum { MF_SST_UNPARSED = 1, MF_SST_SYSTEM = 2 };

struct mf_sstable {
	char *prefix;		/* "<keyspace>/<table dir>/nb-1-big-" */
	char *version;
	char *partitioner;
	int64_t min_ts, max_ts;	/* write times, microseconds */
	uint64_t partitions;	/* Statistics.db's estimate */
	uint64_t data_size, total_size;
	uint32_t flags;
	char *error;		/* why it did not parse, or "" */
};

/* What the catalog keeps of a backup and `pitfs backups` shows. */
struct backup_info {
	struct chunk_id id;
	char *node, *dc, *rack, *tag, *source, *instant_from;
	int64_t instant_us, created_us;
	enum backup_kind kind;
	uint64_t nfiles, ntables, nsstables, nunparsed;
	uint64_t bytes, new_bytes, stored_bytes;
};

struct manifest {
	struct backup_info info;
	size_t nfiles, nsst;
	struct mf_file *files;
	struct mf_sstable *ssts;
	bool sorted;		/* files in path order (mf_sort) */
};

/* About the memory m takes (its arrays, strings and their allocations). */
size_t manifest_bytes(const struct manifest *m);
/* Puts the files in path order, so that lookups below take log time. */
void mf_sort(struct manifest *m);
/* The file at path, or NULL. */
const struct mf_file *mf_find(const struct manifest *m, const char *path);
/* The first file whose path is >= prefix (sorted manifests: the files under
 * a directory follow one another from there). */
size_t mf_lower_bound(const struct manifest *m, const char *prefix);

#define BACKUP_NAME_MAX 48

/* A backed-up file's path "<keyspace>/<table dir>/<rest>": 0 and its parts
 * (rest borrowed from path), or -EINVAL when it has no such shape. */
int mf_path_split(const char *path, char ks[256], char tdir[256], const char **rest);
/* The table a table directory holds: "orders-<32 hex>" -> "orders". */
void mf_table_name(const char *tdir, char name[256]);
/* True when table dir tdir is table `table` (its name, or that very dir). */
bool mf_table_matches(const char *tdir, const char *table);

void manifest_free(struct manifest *m);
void backup_info_release(struct backup_info *bi);
int backup_info_copy(struct backup_info *dst, const struct backup_info *src);

/* The info part alone, as the catalog stores it. */
void backup_info_encode(const struct backup_info *bi, struct sbuf *sb);
int backup_info_decode(const uint8_t *p, size_t n, struct backup_info *bi);

/* Writes m as backups/<id>; fills m->info.id. */
int manifest_write(struct backend *b, struct manifest *m, struct pit_err *err);
int manifest_read(struct backend *b, const struct chunk_id *id, struct manifest **out, struct pit_err *err);
void backup_name(const struct chunk_id *id, char out[BACKUP_NAME_MAX]);
int backup_name_parse(const char *name, struct chunk_id *id);

#endif
