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
	bool has;		/* positioned on a partition */
	uint64_t off;		/* that partition's offset in Data.db */
	uint8_t *key;
	uint32_t klen, kcap;
	struct sst_token tok;
	struct sst_deletion pdel;
	int *smap, *rmap;	/* this SSTable's column -> ssts[0]'s */
};

/* A range deletion of one source: (start, end) bounds and the deletion. */
struct bound {
	int n;
	const uint8_t **v;
	const uint32_t *len;
	int sign;		/* where the bound sits against rows sharing its prefix */
};

struct rt {
	int src;
	struct bound start, end;
	bool open_end;
	struct sst_deletion del;
};

struct row {
	int src;
	struct sst_unfiltered u;	/* copied, cut, columns mapped */
};

struct kmerge {
	struct src *src;
	int n;
	uint64_t *resume;	/* per source: where to start to yield the current partition again */
	int64_t max_ts;
	struct sst *s0;
	const struct sst_header *h;	/* the union header, km->uh */
	signed char *fastcmp;	/* per clustering column: 8 or 4 for a signed big-endian integer
				 * compared inline, negative when reversed, 0: the general comparator */
	struct sst_header uh;
	size_t capst, capreg;
	enum sst_partitioner part;
	struct arena a;
	uint8_t *key;
	uint32_t kcap;
	struct sst_partition cur;
	struct row *rows;
	size_t nrows, caprows;
	struct rt *rts;
	size_t nrts, caprts;
	struct sst_unfiltered *out;
	size_t nout, capout, next;
	struct sst_cell *cells;	/* scratch for a group's cells */
	size_t capcells;
	/* per source, its rows and range deletions in km->rows / km->rts */
	size_t *row_begin, *row_end, *rt_begin, *rt_end;
	/* the partition's versions in merged order, grouped by clustering */
	struct row *sorted;
	size_t nsorted, capsorted;
	struct kgroup {
		size_t first, n;
	} *grp;
	size_t ngrp, capgrp;
	/* conflicts between nodes (kmerge_set_nodes) */
	const int *node;	/* per source */
	int nnodes;
	bool *inpart;		/* per source: holds the current partition */
	struct sst_deletion *ppdel;	/* per source: its deletion of it */
	struct kconflict *conf;
	size_t nconf, capconf;
};


void *kmerge_alloc(struct arena *a, size_t n);
/* One merged row (o) from the versions g[0..n) of the same clustering. */
int kmerge_group(struct kmerge *km, struct row *g, size_t n, struct sst_unfiltered *o, struct pit_err *err);
int kmerge_cmp_values(const struct kmerge *km, int n, const uint8_t *const *av, const uint32_t *al,
		      const uint8_t *const *bv, const uint32_t *bl);
int kmerge_cmp_cells(const void *x, const void *y, void *cols);
struct sst_deletion kmerge_del_max(struct sst_deletion a, struct sst_deletion b);
/* o's deletion with the range deletions that cover it folded in, from the
 * sources for which take(src) is true (NULL: all). */
void kmerge_fold_ranges(const struct kmerge *km, struct sst_unfiltered *o, int node);

#endif
