/* conflicts.jsonl: where the replicas that hold a partition disagree at T,
 * one JSON object per disagreement: the key, what (cell, liveness, row,
 * collection or partition deletion), each node's version (null where it
 * holds the partition but not this) and the node whose version won. */
#ifndef PIT_VIEW_RENDER_CONFLICTS_H
#define PIT_VIEW_RENDER_CONFLICTS_H

#include "core/cql/schema.h"
#include "core/merge/kmerge.h"
#include "core/view/dump.h"

/* The same taken apart, so that a walk of the merge for other files can
 * write it too: opened, then a step after each kmerge_next_partition
 * (partition) and kmerge_next that yielded something, p the partition it
 * is in; end hands on what is left when flush, and frees w. nodes and name
 * outlive w. */
struct conflicts_writer;
int conflicts_writer_open(struct conflicts_writer **out, const struct sst_header *h, const char *name,
			  const struct cql_table *t, const char *const *nodes, int nnodes, dump_write_fn write,
			  void *ctx, struct pit_err *err);
int conflicts_writer_step(struct conflicts_writer *w, struct kmerge *km, const struct sst_partition *p,
			  bool partition, struct pit_err *err);
int conflicts_writer_end(struct conflicts_writer *w, bool flush, struct pit_err *err);

/* km must have had kmerge_set_nodes(); nodes names them. */
int render_conflicts(struct kmerge *km, const char *name, const struct cql_table *t, const char *const *nodes,
		     int nnodes, dump_write_fn write, void *ctx, struct pit_err *err);

#endif
