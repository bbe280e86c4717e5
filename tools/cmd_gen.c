/* pitfs gen: translate arguments into core/gen calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/gen/gen.h"
#include "tools/cmd.h"

const char cmd_gen_usage[] =
	"usage: pitfs gen OUTDIR [--nodes N] [--rf N] [--size BYTES] [--seed N] [--miss P] [--skew-ms MS]\n"
	"                        [--no-truth]\n"
	"\n"
	"Simulates a Cassandra cluster's life and leaves what its nodes' disks would\n"
	"hold: OUTDIR/<node>/data/<keyspace>/<table>-<id>/ with snapshots/<tag>/ and\n"
	"backups/, plus OUTDIR/cluster.json and the ground truth of what the cluster\n"
	"held at several instants in OUTDIR/truth/. OUTDIR must be absent or empty.\n"
	"The same arguments give the same files.\n"
	"\n"
	"  --nodes N      nodes in the ring (default 3)\n"
	"  --rf N         replicas of every write (default 3)\n"
	"  --size BYTES   SSTable bytes to write across the cluster, K/M/G suffixes (default 16M)\n"
	"  --seed N       the randomness (default 1)\n"
	"  --miss P       chance that a replica misses a write (default 0.05)\n"
	"  --skew-ms MS   how far apart the clients' clocks may be (default 2)\n"
	"  --no-truth     only the nodes' files (faster, far less memory; for benchmarks)\n";

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	int pct = total ? (int)(done * 100 / total) : 100;
	if (pct > 100)
		pct = 100;
	fprintf(stderr, "\rpitfs gen: %3d%% (%.1f of %.1f MB)", pct, (double)done / 1e6, (double)total / 1e6);
}

int cmd_gen(int argc, char **argv)
{
	struct gen_opts o = { .nodes = 3, .rf = 3, .size = 16u << 20, .seed = 1, .miss = 0.05, .skew_us = 2000 };
	struct gen_summary sum;
	struct pit_err err = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		if (a[0] != '-') {
			if (o.outdir)
				return usage_error("gen", "more than one OUTDIR");
			o.outdir = a;
			continue;
		}
		if (!strcmp(a, "--no-truth")) {
			o.no_truth = true;
			continue;
		}
		if (!v)
			return usage_error("gen", "%s needs a value", a);
		i++;
		if (!strcmp(a, "--nodes"))
			o.nodes = (int)strtol(v, &end, 10);
		else if (!strcmp(a, "--rf"))
			o.rf = (int)strtol(v, &end, 10);
		else if (!strcmp(a, "--seed"))
			o.seed = strtoull(v, &end, 10);
		else if (!strcmp(a, "--miss"))
			o.miss = strtod(v, &end);
		else if (!strcmp(a, "--skew-ms"))
			o.skew_us = (int64_t)(strtod(v, &end) * 1000);
		else if (!strcmp(a, "--size")) {
			if (parse_size(v, &o.size) < 0)
				return usage_error("gen", "--size: \"%s\" is not a size (like 64M or 1G)", v);
			continue;
		} else
			return usage_error("gen", "unknown option '%s'", a);
		if (!end || *end)
			return usage_error("gen", "%s: \"%s\" is not a number", a, v);
	}
	if (!o.outdir)
		return usage_error("gen", "no OUTDIR given");
	if (o.nodes < 1 || o.nodes > 32 || o.rf < 1 || o.miss < 0 || o.miss >= 1 || o.size < 1024)
		return usage_error("gen", "out of range: --nodes 1..32, --rf >= 1, --miss in [0, 1), --size >= 1K");
	if (isatty(2))
		o.progress = progress;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = gen_run(&o, &sum, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.progress)
		fputc('\n', stderr);
	if (rc < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s: %d nodes, %llu writes, %llu flushes, %llu compactions, %llu SSTables (%.1f MB), %d snapshots, "
	       "%d truth instants in %.1f s (%.1f s of it finishing the truth)\n", o.outdir, o.nodes, (unsigned long long)sum.writes,
	       (unsigned long long)sum.flushes, (unsigned long long)sum.compactions, (unsigned long long)sum.sstables,
	       (double)sum.bytes / 1e6, sum.snapshots, sum.truths, secs, sum.truth_seconds);
	return 0;
}
