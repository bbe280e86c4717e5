/* Which SSTables make a table's view at T (DESIGN.md, time model): per
 * node, its newest full backup with instant <= T plus the node's
 * incremental backups taken after that one; SSTables whose oldest write is
 * after T are left out unread. */
#ifndef PIT_MERGE_SELECT_H
#define PIT_MERGE_SELECT_H

#include <stdint.h>
#include "core/repo/manifest.h"
#include "core/repo/rfile.h"
#include "core/sstable/reader.h"

struct view_sst {
	const struct manifest *m;	/* the backup it came from (owned by the sources) */
	const struct mf_sstable *sum;	/* its summary in that manifest */
	struct chunk_cache *cc;		/* set by select_use_cache: what its components read through */
};

struct view_sources {
	struct repo *r;
	const struct manifest **backups;	/* the backups used, one or more per node (repo_manifest) */
	size_t nbackups;
	struct view_sst *ssts;
	size_t nssts;
	char **absent;			/* nodes with no full backup at or before T */
	size_t nabsent;
	size_t skipped_after;		/* SSTables left out: every write after T */
	size_t unreadable;		/* SSTables flagged unparsable at ingest */
	const struct mf_sstable **unparsed;	/* those, with why (borrowed from the backups) */
};

/* table is the table's name ("orders") or its directory ("orders-<id>").
 * With ks NULL only the backups are chosen (what a view at T can show). */
int select_sources(struct repo *r, int64_t at_us, const char *ks, const char *table, struct view_sources *out,
		   struct pit_err *err);
void view_sources_release(struct view_sources *vs);

/* The chunk cache every selected SSTable's components are read through:
 * set once, before they are opened (then by any number of threads). */
void select_use_cache(struct view_sources *vs, struct chunk_cache *cc);
/* Opens one selected SSTable; v must outlive the SSTable (it opens further
 * components later). */
int select_open(const struct view_sst *v, struct sst **out, struct pit_err *err);

#endif
