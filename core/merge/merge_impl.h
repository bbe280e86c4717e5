/* What core/merge's k-way merge and its conflict finder share. Nothing
 * outside core/merge includes this. */
#ifndef PIT_MERGE_IMPL_H
#define PIT_MERGE_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include "core/merge/kmerge.h"
#include "core/sstable/token.h"

/* A bump allocator emptied for every partition. */
struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) uint8_t data[];
};

struct arena {
	struct block *head;
	int oom;
};

struct src {
	struct sst *s;
	struct sst_scan *sc;
	bool has;		/* a partition's header read: the next one to merge */
	bool ended;		/* the next partition is at or after the end the merge was given */
	uint64_t off;		/* that partition's offset in Data.db */
	uint8_t *key;
	uint32_t klen, kcap;
	struct sst_token tok;
	struct sst_deletion pdel;
	/* while it holds the partition being merged */
	bool in;
	const struct sst_unfiltered *head;	/* its next unfiltered; NULL once done */
	struct sst_deletion ppdel;	/* its deletion of the partition, cut */
	bool open;		/* a range deletion of its own covers head's place (counted in km->nopen) */
	struct sst_deletion open_del;
	int *smap, *rmap;	/* this SSTable's column -> the union header's */
	bool same_cols;		/* both maps are the identity */
};

/* One source's version of a row: cut at max_ts, columns mapped. */
struct row {
	int src;
	struct sst_unfiltered u;
};

struct kmerge {
	struct src *src;
	int n;
	uint64_t *resume;	/* per source: where to start to yield the current partition again */
	const uint64_t *end;	/* per source: where to stop (borrowed), or NULL */
	int64_t max_ts;
	struct sst *s0;
	const struct sst_header *h;	/* the union header, km->uh */
	signed char *fastcmp;	/* per clustering column: 8 or 4 for a signed big-endian integer
				 * compared inline, negative when reversed, 0: the general comparator */
	struct sst_header uh;
	size_t capst, capreg;
	enum sst_partitioner part;
	bool counters;		/* a counter column: replicas' contexts always need merging */
	struct arena a;		/* what the last thing yielded points to */
	uint8_t *key;
	uint32_t kcap;
	struct sst_partition cur;
	/* the partition's sources by their head: a binary heap, and the few
	 * whose heads come before all of the heap's */
	int *heap, nh;
	int *act, nact;
	int nopen;		/* sources with a range deletion open */
	/* the versions merged into the row yielded last (their sources'
	 * heads stay put until the next call) */
	struct row *g;
	int ng;
	bool at_partition;	/* nothing yielded since kmerge_next_partition */
	struct sst_unfiltered out;
	struct sst_cell *cells;	/* scratch for a group's cells */
	size_t capcells;
	/* conflicts between nodes (kmerge_set_nodes) */
	const int *node;	/* per source */
	int nnodes;
	struct kconflict *conf;
	size_t nconf, capconf;
};


void *kmerge_alloc(struct arena *a, size_t n);
/* One merged row (o) from the versions g[0..n) of the same clustering. */
int kmerge_group(struct kmerge *km, struct row *g, size_t n, struct sst_unfiltered *o, struct pit_err *err);
int kmerge_cmp_cells(const void *x, const void *y, void *cols);
struct sst_deletion kmerge_del_max(struct sst_deletion a, struct sst_deletion b);
/* o's deletion with the range deletions that cover it folded in, from
 * every source (node < 0) or from that node's. */
void kmerge_fold_ranges(const struct kmerge *km, struct sst_unfiltered *o, int node);

#endif
