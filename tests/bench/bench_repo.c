/* The repository against its peers, in one run on the same data: two
 * successive snapshots of a generated 3-node cluster stored by pitfs,
 * restic, borg (-C zstd,1) and tar | zstd -1 -T2; ingest throughput,
 * repository size after each snapshot, restore throughput against restic,
 * peak resident memory. Page cache warm for everyone (inputs read first).
 * Every timed command ends with sync: a backup counts once it is on disk.
 * PITFS_BENCH_REPO_SIZE sets the cluster's size in MiB (default 8192: two
 * snapshots of about 4 GiB in all; generated without the ground truth). */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/gen/gen.h"
#include "tests/lib/testlib.h"

static const char *bin;
static char dir[64], cluster[128];
static char tags[3][256];

/* A shell command, timed until what it wrote is on disk: pitfs flushes what
 * it writes, tar and some peers leave it to the page cache. Writeback left
 * by what ran before is flushed first, so nobody waits on another's bytes. */
static struct tl_run sh(const char *cmd)
{
	char durable[8300];

	snprintf(durable, sizeof(durable), "%s && sync", cmd);
	sync();
	return tl_sh(durable);
}

static uint64_t total;
static int add_size(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p, (void)f;
	if (flag == FTW_F)
		total += (uint64_t)st->st_size;
	return 0;
}

static uint64_t du(const char *path)
{
	total = 0;
	nftw(path, add_size, 32, FTW_PHYS);
	return total;
}

static bool have(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* The snapshot directories of tag on all nodes, as shell words. */
static void snap_paths(char *out, size_t n, const char *tag)
{
	snprintf(out, n, "%s/node*/data/*/*/snapshots/%s", cluster, tag);
}

struct tool {
	const char *name;
	struct tl_run ingest[2], restore;
	uint64_t size[2];
	long rss_kb;
	uint64_t restored;
};

static void note_rss(struct tool *t, struct tl_run r)
{
	if (r.rss_kb > t->rss_kb)
		t->rss_kb = r.rss_kb;
}

static double mbs(uint64_t bytes, double secs) { return secs > 0 ? (double)bytes / secs / 1048576 : 0; }

int main(void)
{
	struct tool tools[4] = { { .name = "pitfs" }, { .name = "restic" }, { .name = "borg -C zstd,1" },
				 { .name = "tar | zstd -1 -T2" } };
	char cmd[8192], paths[2][512], repo[256], target[256];
	uint64_t input[2] = { 0, 0 }, size = 8ull << 30;
	const char *env = getenv("PITFS_BENCH_REPO_SIZE");
	int nodes = 3;
	uint64_t cache_kb = 0;

	bin = getenv("PITFS_BIN");
	if (!bin || !*bin)
		bin = "./pitfs";
	if (env)
		size = strtoull(env, NULL, 10) << 20;
	snprintf(dir, sizeof(dir), "/tmp/pitfs-bench-repo-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(cluster, sizeof(cluster), "%s/gen-XXXXXX", dir);
	if (!mkdtemp(cluster))
		return 1;
	printf("pitfs bench: the repository; generating a %llu MiB cluster of 3 nodes...\n",
	       (unsigned long long)(size >> 20));
	fflush(stdout);
	/* in a child: a peak RSS survives fork and exec, and the measured
	 * commands are children of this process */
	struct gen_opts go = { .nodes = 3, .rf = 3, .size = size, .seed = 21, .miss = 0.05, .skew_us = 2000,
			       .no_truth = true };
	if (tl_gen_cluster_child(cluster, &go, tags) < 0)
		return 1;
	for (int s = 0; s < 2; s++) {
		snap_paths(paths[s], sizeof(paths[s]), tags[s + 1]);
		snprintf(cmd, sizeof(cmd), "du -scb %s | tail -1 | cut -f1", paths[s]);
		FILE *p = popen(cmd, "r");
		if (!p || fscanf(p, "%llu", (unsigned long long *)&input[s]) != 1)
			return 1;
		pclose(p);
		snprintf(cmd, sizeof(cmd), "cat %s/* > /dev/null", paths[s]);	/* warm the page cache */
		sh(cmd);
	}
	printf("input: snapshot 1 = %.0f MiB, snapshot 2 = %.0f MiB (the 2nd and 3rd snapshots gen takes)\n\n",
	       (double)input[0] / 1048576, (double)input[1] / 1048576);

	/* pitfs: one ingest per node and snapshot */
	struct tool *t = &tools[0];
	snprintf(repo, sizeof(repo), "%s/pitfs", dir);
	snprintf(cmd, sizeof(cmd), "%s init %s >/dev/null", bin, repo);
	sh(cmd);
	for (int s = 0; s < 2; s++) {
		for (int n = 1; n <= nodes; n++) {
			snprintf(cmd, sizeof(cmd), "%s ingest %s %s/node%d/data --node node%d --snapshot %s >/dev/null", bin,
				 repo, cluster, n, n, tags[s + 1]);
			struct tl_run r = sh(cmd);
			t->ingest[s].secs += r.secs;
			t->ingest[s].ok = r.ok;
			note_rss(t, r);
		}
		/* the repository's objects; the catalog in cache/ is local and
		 * rebuildable, as restic's and borg's caches (kept elsewhere) are */
		char cache[300];
		snprintf(cache, sizeof(cache), "%s/cache", repo);
		cache_kb = du(cache) / 1024;
		t->size[s] = du(repo) - cache_kb * 1024;
	}
	snprintf(target, sizeof(target), "%s/restore-pitfs", dir);
	snprintf(cmd, sizeof(cmd), "for id in $(%s backups %s --json | tr ',' '\\n' | sed -n 's/.*\"id\":\"\\(.*\\)\"/\\1/p' "
		 "| tail -3); do %s restore %s $id %s/$id >/dev/null || exit 1; done", bin, repo, bin, repo, target);
	t->restore = sh(cmd);
	note_rss(t, t->restore);
	t->restored = du(target);

	/* restic (always encrypted; that is restic) */
	t = &tools[1];
	if (have("restic")) {
		snprintf(repo, sizeof(repo), "%s/restic", dir);
		snprintf(cmd, sizeof(cmd), "RESTIC_PASSWORD=bench restic -q -r %s init >/dev/null", repo);
		sh(cmd);
		for (int s = 0; s < 2; s++) {
			snprintf(cmd, sizeof(cmd), "RESTIC_PASSWORD=bench restic -q -r %s backup %s >/dev/null", repo,
				 paths[s]);
			t->ingest[s] = sh(cmd);
			note_rss(t, t->ingest[s]);
			t->size[s] = du(repo);
		}
		snprintf(target, sizeof(target), "%s/restore-restic", dir);
		snprintf(cmd, sizeof(cmd), "RESTIC_PASSWORD=bench restic -q -r %s restore latest --target %s >/dev/null",
			 repo, target);
		t->restore = sh(cmd);
		note_rss(t, t->restore);
		t->restored = du(target);
	}
	/* borg, unencrypted like pitfs */
	t = &tools[2];
	if (have("borg")) {
		snprintf(repo, sizeof(repo), "%s/borg", dir);
		snprintf(cmd, sizeof(cmd), "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes borg init -e none %s", repo);
		sh(cmd);
		for (int s = 0; s < 2; s++) {
			snprintf(cmd, sizeof(cmd), "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes borg create -C zstd,1 "
				 "%s::s%d %s", repo, s, paths[s]);
			t->ingest[s] = sh(cmd);
			note_rss(t, t->ingest[s]);
			t->size[s] = du(repo);
		}
	}
	/* tar | zstd: no deduplication, each snapshot whole */
	t = &tools[3];
	for (int s = 0; s < 2; s++) {
		snprintf(cmd, sizeof(cmd), "tar -cf - %s 2>/dev/null | zstd -1 -T2 -q -o %s/snap%d.tar.zst", paths[s], dir, s);
		t->ingest[s] = sh(cmd);
		note_rss(t, t->ingest[s]);
		snprintf(repo, sizeof(repo), "%s/snap%d.tar.zst", dir, s);
		t->size[s] = du(repo) + (s ? t->size[0] : 0);
	}

	printf("%-20s %22s %22s %12s %12s %16s %10s\n", "", "snapshot 1 ingest", "snapshot 2 ingest", "repo after 1",
	       "repo after 2", "restore snap 2", "peak RSS");
	for (int i = 0; i < 4; i++) {
		t = &tools[i];
		if (!t->ingest[0].secs) {
			printf("%-20s not installed\n", t->name);
			continue;
		}
		char r[32] = "-";
		if (t->restore.secs)
			snprintf(r, sizeof(r), "%.0f MiB/s", mbs(t->restored, t->restore.secs));
		printf("%-20s %7.2f s %7.0f MiB/s %7.2f s %7.0f MiB/s %8.1f MiB %8.1f MiB %16s %6.0f MiB\n", t->name,
		       t->ingest[0].secs, mbs(input[0], t->ingest[0].secs), t->ingest[1].secs,
		       mbs(input[1], t->ingest[1].secs), (double)t->size[0] / 1048576, (double)t->size[1] / 1048576, r,
		       (double)t->rss_kb / 1024);
	}
	printf("(pitfs's repository sizes leave out its local catalog cache: %llu KiB)\n", (unsigned long long)cache_kb);
	printf("\ntargets:\n");
	struct tool *p = &tools[0], *rs = &tools[1], *bg = &tools[2], *tz = &tools[3];
#define RATIO(a, b) ((b) > 0 ? (a) / (b) : 0)
	double f1r = RATIO(rs->ingest[0].secs, p->ingest[0].secs), f1b = RATIO(bg->ingest[0].secs, p->ingest[0].secs),
	       f1t = RATIO(tz->ingest[0].secs, p->ingest[0].secs), f2b = RATIO(bg->ingest[1].secs, p->ingest[1].secs);
	printf("  snapshot 1 vs restic          %5.2fx  (target >= 3)     %s\n", f1r, f1r >= 3 ? "met" : "MISSED");
	printf("  snapshot 1 vs borg            %5.2fx  (target >= 1.5)   %s\n", f1b, f1b >= 1.5 ? "met" : "MISSED");
	printf("  snapshot 1 vs tar | zstd      %5.2fx  (target >= 1)     %s\n", f1t, f1t >= 1 ? "met" : "MISSED");
	printf("  snapshot 2 vs borg            %5.2fx  (target >= 2)     %s\n", f2b, f2b >= 2 ? "met" : "MISSED");
	printf("  repository vs restic after 2  %5.3fx (target <= 1)     %s\n", RATIO((double)p->size[1], (double)rs->size[1]),
	       p->size[1] <= rs->size[1] ? "met" : "MISSED");
	printf("  restore vs restic restore     %5.2fx\n",
	       RATIO(mbs(p->restored, p->restore.secs), mbs(rs->restored, rs->restore.secs)));
	printf("  pitfs peak RSS                %5.0f MiB (target < 200)  %s\n", (double)p->rss_kb / 1024,
	       p->rss_kb < 200 * 1024 ? "met" : "MISSED");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
