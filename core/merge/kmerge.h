/* The k-way merge of one table's SSTables, from every replica: partitions
 * in token order, then key bytes; inside one, the static row then rows in
 * clustering order, every version reconciled by Cassandra's rules (4.x/5.0
 * form, sstable-format.md §9), versions written after max_ts left out.
 * What it yields has the shape of an SSTable scan, so the renderers take
 * either; range tombstones come folded into the rows they cover. */
#ifndef PIT_MERGE_KMERGE_H
#define PIT_MERGE_KMERGE_H

#include <stdint.h>
#include "core/sstable/reader.h"

struct kmerge;

/* ssts are borrowed and must outlive the merge. */
int kmerge_open(struct kmerge **out, struct sst **ssts, int n, int64_t max_ts, struct pit_err *err);
/* The same starting where kmerge_resume said (start[i] per source): it
 * yields that partition and what follows, as the merge from the beginning
 * would have. With end (borrowed, or NULL), it stops before the partitions
 * at or after end[i] in source i: start and end taken at the same key (with
 * sst_lower_bound) cut the merge into runs of whole partitions. */
int kmerge_open_at(struct kmerge **out, struct sst **ssts, int n, int64_t max_ts, const uint64_t *start,
		   const uint64_t *end, struct pit_err *err);
/* After kmerge_next_partition: per source, where kmerge_open_at starts to
 * yield that partition again (UINT64_MAX: the source had nothing left). */
const uint64_t *kmerge_resume(const struct kmerge *km);
/* The columns of what is yielded: every source's, matched by name. */
const struct sst_header *kmerge_header(const struct kmerge *km);
void kmerge_close(struct kmerge *km);

/* 1 and *p, 0 at the end, or -errno. Pointers valid until the next call. */
int kmerge_next_partition(struct kmerge *km, const struct sst_partition **p, struct pit_err *err);
/* 1 and *u, 0 at the end of the partition, or -errno. */
int kmerge_next(struct kmerge *km, const struct sst_unfiltered **u, struct pit_err *err);

/* ---- where replicas disagree (core/merge/conflict.c) ---- */

/* node[i] in [0, nnodes) names the node source i comes from (borrowed). */
void kmerge_set_nodes(struct kmerge *km, const int *node, int nnodes);

enum kconflict_kind { KC_PARTITION_DELETION, KC_LIVENESS, KC_ROW_DELETION, KC_COMPLEX_DELETION, KC_CELL };

/* One node's version of the thing in conflict. */
struct kversion {
	bool present;		/* false: the node holds the partition but not this */
	struct sst_cell cell;	/* KC_CELL */
	struct sst_liveness live;	/* KC_LIVENESS */
	struct sst_deletion del;	/* the deletions */
};

struct kconflict {
	enum kconflict_kind kind;
	const struct sst_unfiltered *row;	/* the merged row (its clustering); NULL: the partition */
	uint16_t col;		/* KC_CELL, KC_COMPLEX_DELETION: in kmerge_header()'s statics or regulars */
	const uint8_t *path;
	uint32_t path_len;
	int winner;		/* the node whose version the merge kept, -1: none of them alone */
	const struct kversion *v;	/* per node; nodes without the partition are not present */
	const bool *holds;	/* per node: it holds the partition */
};

/* The disagreements in what was yielded last: after kmerge_next_partition
 * the partition's deletion, after kmerge_next that row's. Valid until the
 * next call. */
int kmerge_conflicts(struct kmerge *km, const struct kconflict **out, size_t *n, struct pit_err *err);

#endif
