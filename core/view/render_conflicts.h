/* conflicts.jsonl: where the replicas that hold a partition disagree at T,
 * one JSON object per disagreement: the key, what (cell, liveness, row,
 * collection or partition deletion), each node's version (null where it
 * holds the partition but not this) and the node whose version won. */
#ifndef PIT_VIEW_RENDER_CONFLICTS_H
#define PIT_VIEW_RENDER_CONFLICTS_H

#include "core/cql/schema.h"
#include "core/merge/kmerge.h"
#include "core/view/dump.h"

/* km must have had kmerge_set_nodes(); nodes names them. */
int render_conflicts(struct kmerge *km, const char *name, const struct cql_table *t, const char *const *nodes,
		     int nnodes, dump_write_fn write, void *ctx, struct pit_err *err);

#endif
