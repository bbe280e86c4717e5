/* What an ingest takes from a node's data directory: the files of one
 * snapshot tag or of the incremental backups/ directories, with the paths
 * they are restored under, the backup's instant, and a summary of each
 * SSTable among them. */
#ifndef PIT_REPO_WALK_H
#define PIT_REPO_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"
#include "core/repo/manifest.h"

struct src_file {
	char *abs;		/* where it is read from */
	char *rel;		/* "<keyspace>/<table dir>/<name>" */
	uint64_t size;
	int64_t mtime_ns;
	uint32_t mode;
	bool reuse;		/* stored before unchanged: not read again */
};

struct walk {
	struct src_file *files;
	size_t n, cap;
	int64_t manifest_instant_us;	/* newest manifest.json created_at, or INT64_MIN */
	int64_t newest_mtime_us;
};

/* SOURCE is a data directory (<ks>/<table dir>/...), one table's
 * snapshots/<tag> directory, or one table's backups/ directory.
 * tag NULL means the incremental backups/ directories. */
int walk_source(struct walk *w, const char *source, const char *tag, struct pit_err *err);
void walk_release(struct walk *w);

bool walk_is_system_keyspace(const char *ks);

/* Summarises every SSTable (a *-Data.db and its siblings) among the files.
 * One that does not open gets MF_SST_UNPARSED and the reason. */
int walk_summarise(const struct walk *w, struct mf_sstable **out, size_t *n, struct pit_err *err);

#endif
