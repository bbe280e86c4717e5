/* `pitfs gen`: a simulated Cassandra cluster's life, left behind as its nodes'
 * data directories (snapshots, incremental backups) plus cluster.json and the
 * ground truth of what the cluster held at chosen instants, computed from
 * the simulated writes. */
#ifndef PIT_GEN_H
#define PIT_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include "core/err.h"

struct gen_opts {
	const char *outdir;
	int nodes;		/* default 3 */
	int rf;			/* default 3 (at most nodes) */
	uint64_t size;		/* bytes of SSTables to write across the cluster, default 16 MiB */
	uint64_t seed;
	double miss;		/* chance that a replica misses a write, default 0.05 */
	int64_t skew_us;	/* clients' clocks differ by up to this much, default 2 ms */
	bool no_truth;		/* the nodes' files only: no truth/, an empty "truth" list (benchmarks) */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

struct gen_summary {
	uint64_t writes, flushes, compactions, sstables, bytes;
	int snapshots, truths;
	double truth_seconds;	/* of the whole run, the truth still to write once the simulation ended */
};

int gen_run(const struct gen_opts *o, struct gen_summary *sum, struct pit_err *err);

/* The rows the SSTables in dirs hold for a generated table at an instant, in
 * the truth's format: what a node's (or the cluster's) files say, to compare
 * with the truth the simulation wrote. */
struct sbuf;
int gen_render_files(const char *const *dirs, int ndirs, const char *ks, const char *table, int64_t at_us,
		     struct sbuf *out, struct pit_err *err);

#endif
