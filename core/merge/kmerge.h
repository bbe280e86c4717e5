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
/* The columns of what is yielded: every source's, matched by name. */
const struct sst_header *kmerge_header(const struct kmerge *km);
void kmerge_close(struct kmerge *km);

/* 1 and *p, 0 at the end, or -errno. Pointers valid until the next call. */
int kmerge_next_partition(struct kmerge *km, const struct sst_partition **p, struct pit_err *err);
/* 1 and *u, 0 at the end of the partition, or -errno. */
int kmerge_next(struct kmerge *km, const struct sst_unfiltered **u, struct pit_err *err);

#endif
