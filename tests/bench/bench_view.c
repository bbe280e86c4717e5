/* A table at an instant, merged from every replica and rendered: how fast
 * next to only decoding the same SSTables (issue 2's scan), in one run.
 * A generated cluster (PITFS_BENCH_VIEW_SIZE MiB, default 3072, no truth)
 * is backed up; `pitfs cat .../data.csv` of its largest and smallest
 * tables is timed with its peak RSS; the bare decode reads the snapshot
 * files directly, without the repository. Then 1 MiB reads at random
 * offsets of the largest table's data.csv, each from a fresh open (size
 * and checkpoints known from the first rendering). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/gen/gen.h"
#include "core/repo/repo.h"
#include "core/sstable/reader.h"
#include "core/view/vfile.h"
#include "tests/lib/testlib.h"

/* Decodes every unfiltered of every SSTable matching pattern. */
static double decode(const char *pattern, uint64_t *bytes, uint64_t *rows)
{
	glob_t g;
	double t = 0;

	*bytes = *rows = 0;
	if (glob(pattern, 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct sst *s = NULL;
		struct sst_scan *sc = NULL;
		struct pit_err err = { 0 };
		const struct sst_partition *p;
		const struct sst_unfiltered *u;
		if (sst_open_path(&s, g.gl_pathv[i], &err) < 0 || sst_scan_open(&sc, s, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			sst_close(s);
			continue;
		}
		double t0 = tl_now();
		while (sst_scan_next_partition(sc, &p, &err) == 1)
			while (sst_scan_next(sc, &u, &err) == 1)
				(*rows)++;
		t += tl_now() - t0;
		*bytes += sst_data_length(s);
		sst_scan_close(sc);
		sst_close(s);
	}
	globfree(&g);
	return t;
}

int main(void)
{
	const char *bin = getenv("PITFS_BIN") && *getenv("PITFS_BIN") ? getenv("PITFS_BIN") : "./pitfs";
	uint64_t size = (getenv("PITFS_BENCH_VIEW_SIZE") ? strtoull(getenv("PITFS_BENCH_VIEW_SIZE"), NULL, 10) : 3072) << 20;
	char dir[] = "/tmp/pitfs-bench-view-XXXXXX", cluster[128], tags[3][256], cmd[4096], out[256];
	const char *tables[][2] = { { "metrics", "readings" }, { "shop", "page_views" } };

	if (!mkdtemp(dir))
		return 1;
	snprintf(cluster, sizeof(cluster), "%s/c", dir);
	printf("pitfs bench: views; generating a %llu MiB cluster of 3 nodes...\n", (unsigned long long)(size >> 20));
	fflush(stdout);
	struct gen_opts go = { .nodes = 3, .rf = 3, .size = size, .seed = 31, .miss = 0.05, .skew_us = 2000,
			       .no_truth = true };
	if (tl_gen_cluster_child(cluster, &go, tags) < 0)
		return 1;
	snprintf(cmd, sizeof(cmd), "%s init %s/r >/dev/null && for n in node1 node2 node3; do %s ingest %s/r %s/$n/data "
		 "--node $n --snapshot %s >/dev/null || exit 1; done", bin, dir, bin, dir, cluster, tags[2]);
	if (!tl_sh(cmd).ok)
		return 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("%-12s %10s %12s %10s %12s %14s %9s %16s %10s\n", "table", "SSTables", "decode only", "rows", "merge+render",
	       "render/decode", "CPU", "data.csv", "peak RSS");
	for (int t = 0; t < 2; t++) {
		uint64_t bytes, rows;
		char pattern[512];
		snprintf(pattern, sizeof(pattern), "%s/node*/data/%s/%s-*/snapshots/%s/*-Data.db", cluster, tables[t][0],
			 tables[t][1], tags[2]);
		double dt = decode(pattern, &bytes, &rows);
		snprintf(out, sizeof(out), "%s/%s.csv", dir, tables[t][1]);
		snprintf(cmd, sizeof(cmd), "%s cat %s/r /at/latest/%s/%s/data.csv > %s", bin, dir, tables[t][0], tables[t][1],
			 out);
		struct tl_run r = tl_sh(cmd);
		snprintf(cmd, sizeof(cmd), "wc -l < %s", out);
		FILE *p = popen(cmd, "r");
		unsigned long long lines = 0;
		if (!p || fscanf(p, "%llu", &lines) != 1)
			lines = 0;
		if (p)
			pclose(p);
		struct stat sst;
		double csv_mb = stat(out, &sst) == 0 ? (double)sst.st_size / 1048576 : 0;
		printf("%-12s %7.0f MB %9.2f s %10llu %10.2f s %13.2fx %7.2f s %6.0f MiB/s %4.0fk rows/s %5.0f MiB\n",
		       tables[t][1], (double)bytes / 1e6, dt, lines, r.secs, dt > 0 ? r.secs / dt : 0, r.cpu_secs,
		       r.secs > 0 ? csv_mb / r.secs : 0, r.secs > 0 ? (double)lines / r.secs / 1000 : 0,
		       (double)r.rss_kb / 1024);
	}
	/* random 1 MiB reads of the largest data.csv, each from a fresh open */
	char repo[300];
	snprintf(repo, sizeof(repo), "%s/r", dir);
	struct repo *rp;
	struct pit_err err = { 0 };
	struct tree_node n;
	double worst = 0, sum = 0;
	int reads = 0;
	static char buf[1 << 20];
	/* as the mount opens it: chunks kept for the next reads (fs/mount.c) */
	if (repo_open(&rp, repo, REPO_READ, &err) == 0 && repo_keep_chunks(rp, 128u << 20, &err) == 0 &&
	    tree_resolve(rp, "/at/latest/metrics/readings/data.csv", &n, &err) == 0) {
		unsigned seed = 7;
		for (int i = 0; i < 10; i++) {
			struct vfile *f;
			double t0 = tl_now();
			if (vfile_open(&f, rp, &n, "data.csv", &err) < 0)
				break;
			uint64_t off = (uint64_t)((double)rand_r(&seed) / RAND_MAX * (double)(vfile_size(f) - sizeof(buf)));
			ssize_t got = vfile_pread(f, buf, sizeof(buf), off, &err);
			double t = tl_now() - t0;
			vfile_close(f);
			if (got != (ssize_t)sizeof(buf))
				break;
			sum += t;
			worst = t > worst ? t : worst;
			reads++;
		}
		repo_close(rp);
	}
	if (reads)
		printf("1 MiB at a random offset of readings' data.csv, fresh open each, the repository kept open with "
		       "128 MiB of chunks as the mount keeps it: mean %.1f ms, worst %.1f ms (%d reads)\n",
		       sum / reads * 1000, worst * 1000, reads);
	else
		printf("random 1 MiB reads failed: %s\n", err.msg);
	printf("(decode only: every unfiltered of the 3 replicas' SSTables, read from the files, one thread; merge+render:\n"
	       " pitfs cat of data.csv through the repository, including opening it and its process start, by as many\n"
	       " threads as there are processors (%ld here, at most 4) for tables of 32 MiB or more; CPU: its user +\n"
	       " system time)\n", cpus);
	printf("targets: merge + render at most 2x the bare decode; RSS flat in table size and under 100 MiB;\n"
	       "a random 1 MiB read of a rendered file whose size is known under 50 ms\n");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
