/* The generator's model: partitions as a memtable holds them (one winning
 * version per cell, shadowed data dropped), shared by the simulated nodes'
 * memtables and by the ground-truth states. */
#ifndef PIT_GEN_IMPL_H
#define PIT_GEN_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/cql/schema.h"
#include "core/gen/gen.h"
#include "core/sstable/reader.h"
#include "core/util/sbuf.h"

struct gbytes {
	uint8_t *p;
	uint32_t n;
};

enum gcell_kind { GC_LIVE, GC_TOMB, GC_EXPIRING, GC_COUNTER };

struct gcell {
	uint16_t col;
	uint8_t kind;
	int64_t ts;
	int32_t ttl;
	int64_t ldt;		/* tombstone: deletion time; expiring: expiration; else SST_NO_LDT */
	struct gbytes path, value;
};

struct grow {
	struct gbytes ck;	/* clustering values, each as u16 length + bytes */
	bool is_static;
	struct sst_liveness live;
	struct sst_deletion del;
	struct gcell *cells;	/* by column, then path */
	uint32_t ncells, cap;
	struct sst_complex_del *cx;
	uint32_t ncx, cxcap;
};

/* A range deletion [start, end) over the first clustering column (8-byte
 * timestamps in the one table that has them). */
struct grt {
	int64_t start, end;
	struct sst_deletion del;
};

struct gpart {
	struct gpart *next;	/* hash chain */
	uint32_t hash;
	struct gbytes key;
	int64_t token;
	struct sst_deletion del;
	struct grow *statik;
	struct grow **rows;	/* clustering order */
	uint32_t nrows, cap;
	struct grt *rts;
	uint32_t nrts, rcap;
};

/* One table's data: what a memtable or a truth state holds. */
struct gmem {
	const struct gtable *t;
	struct gpart **buckets;
	uint32_t nbuckets, nparts;
	uint64_t bytes;		/* roughly what flushing it would write */
	struct arena_chunk *arena;
};

struct gtable {
	const char *ks, *name;
	const char *cql;	/* CREATE TABLE statement */
	char id[33];		/* table id, 32 hex */
	struct cql_schema *schema;
	const struct cql_table *ct;
	struct sst_header hdr;	/* marshal types in header order */
	int npk, nck;
	const char *pk_names[4], *ck_names[4];
	const struct cql_type *pk_types[4];
	bool counter, has_rts;
	int gc_grace;		/* seconds */
};

/* model.c */
void gmem_init(struct gmem *m, const struct gtable *t);
void gmem_release(struct gmem *m);
struct gpart *gmem_part(struct gmem *m, const uint8_t *key, uint32_t n);
struct grow *gpart_row(struct gmem *m, struct gpart *p, const uint8_t *ck, uint32_t n);
struct grow *gpart_static(struct gmem *m, struct gpart *p);
/* The same, for rows that come in ascending order: *hint (start at 0) keeps
 * the place so that each lookup costs a compare or two. */
struct grow *gpart_row_from(struct gmem *m, struct gpart *p, const uint8_t *ck, uint32_t n, uint32_t *hint);
/* Apply one version (Cassandra's reconciliation: higher timestamp wins, a
 * tombstone wins ties, counters merge shard by shard). */
void gmem_cell(struct gmem *m, struct grow *r, const struct gcell *c);
void gmem_liveness(struct gmem *m, struct grow *r, const struct sst_liveness *l);
void gmem_row_deletion(struct gmem *m, struct grow *r, const struct sst_deletion *d);
void gmem_complex_deletion(struct gmem *m, struct grow *r, uint16_t col, const struct sst_deletion *d);
void gmem_partition_deletion(struct gmem *m, struct gpart *p, const struct sst_deletion *d);
void gmem_range_deletion(struct gmem *m, struct gpart *p, const struct grt *rt);
/* Everything in src, applied to dst (keeping only versions with ts <= max_ts). */
void gmem_merge(struct gmem *dst, const struct gmem *src, int64_t max_ts);
/* Partitions in token order (then key bytes). */
struct gpart **gmem_sorted(const struct gmem *m, uint32_t *n);
/* Clustering comparison in the table's order. */
int gtable_ck_compare(const struct gtable *t, const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn);
bool gdeletion_wins(const struct sst_deletion *a, const struct sst_deletion *b);

/* schema.c */
int gen_ntables(void);
/* system_schema.keyspaces (generation 1 in dir): shop and metrics, replicated
 * NetworkTopologyStrategy {dc1: rf}, created at ts_us. */
struct sst_writer_opts;
int gen_write_keyspaces(const char *dir, int rf, int64_t ts_us, const struct sst_writer_opts *o, struct pit_err *err);
int gen_table_init(struct gtable *t, int i, uint64_t id_seed, struct pit_err *err);
void gen_table_release(struct gtable *t);
int gen_col(const struct gtable *t, const char *name, bool *is_static);
void gen_schema_cql(const struct gtable *t, struct sbuf *out);

/* What compaction may drop: tombstones past gc_grace_seconds that no other
 * SSTable of the node can hold older data for, and data they shadow. */
struct gen_purge {
	int64_t now_s;
	int gc_grace;
	int64_t other_min_ts;	/* smallest timestamp in the node's other SSTables */
};
bool gen_purgeable(const struct gen_purge *pg, const struct sst_deletion *d);
bool gen_cell_purgeable(const struct gen_purge *pg, const struct gcell *c);

/* io.c */
struct sst_writer_opts;
int gen_write_sstable(const struct gmem *m, const char *dir, int gen, const struct gen_purge *pg,
		      const struct sst_writer_opts *opts, uint64_t *bytes, struct pit_err *err);
uint64_t gen_sstable_bytes(const char *dir, int gen);
struct sst_writer;
/* Every partition of m, in token order, into an open writer. */
int gen_write_parts(struct sst_writer *w, const struct gmem *m, const struct gen_purge *pg, struct pit_err *err);
int gen_log_flush(FILE *f, int node, int table, const struct gmem *m);
/* Applies every logged version written in (lo, hi] to states, laid out
 * [node][table] with the cluster's after the last node's; only the scopes
 * (bit n: node n, bit nnodes: the cluster) set in `scopes`. */
int gen_log_replay(const uint8_t *log, size_t n, struct gmem *states, int nnodes, int ntables, int64_t lo,
		   int64_t hi, uint64_t scopes);

/* truth.c: the live rows of a state at an instant, one JSON line each. */
int truth_render(const struct gmem *m, int64_t at_us, struct sbuf *out, int (*sink)(void *, const void *, size_t),
		 void *ctx, struct pit_err *err);
/* The truth is written in runs: each replays the flush log as far as it is
 * written when the run starts, for instants (ascending, after the last run's)
 * whose writes are all flushed by then, and writes the cluster's and each
 * node's rows into <outdir>/truth/<n>/ and <outdir>/truth/<n>/nodes/<node>/.
 * A run works on two threads while the caller goes on; truth_wait joins it. */
struct truth;
int truth_begin(struct truth **tp, const char *outdir, const struct gtable *tables, int ntables,
		const char *const *nodes, int nnodes, struct pit_err *err);
int truth_run(struct truth *t, const int64_t *at, const int *dirnum, int nat, FILE *log, struct pit_err *err);
int truth_wait(struct truth *t, struct pit_err *err);
void truth_end(struct truth *t);

#endif
