/* The mount against its peers, in one run on the same data: one snapshot of
 * a generated 3-node cluster stored by pitfs, restic and borg, each mounted
 * with FUSE, and the same files read directly from disk. Cold sequential
 * read of the largest Data.db in 1 MiB reads (page cache dropped first,
 * where allowed), a repeat read (served from the page cache), random 4 KiB
 * reads, ls -R of the whole mount, the snapshot's files under 1 MiB read
 * by tar (many small files), the time until a fresh mount answers,
 * the first byte of the largest table's data.csv at a random offset; then
 * ls -R of a repository of 1,000 tables backed up at 10 instants. A bare
 * FUSE filesystem serving the file from memory (tests/lib/floorfs.h) is
 * measured beside them: what FUSE itself costs here. So is the size of the
 * page-cache folios holding each file, and the disk's file cached in 4 KiB
 * pages: FUSE caches in those (kernel 6.18), ext4 in large folios, and a
 * read from the page cache costs more in small ones.
 * Cold sequential reads (each from a fresh mount) are the median of three
 * runs, repeat reads (four passes a run) and random reads of five: single
 * runs varied by 10 to 30 %, cold random reads by 2-3x. Warm random reads
 * of pitfs, the floor and the disk take turns, round by round.
 * PITFS_BENCH_MOUNT_SIZE sets the cluster's size in MiB (default 2048). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/gen/gen.h"
#include "tests/lib/floorfs.h"
#include "tests/lib/testlib.h"

static const char *bin;
static char dir[64], cluster[128], tags[3][256];
static bool can_drop = true;

static bool have(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Empties the page cache (root only): reads that follow are cold. */
static void drop_caches(void)
{
	sync();
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
	if (!f || fputs("3", f) < 0 || fclose(f) != 0)
		can_drop = false;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits until path exists; the seconds it took, or -1 after 60 s. */
static double wait_for(const char *path, double t0)
{
	struct stat st;
	while (stat(path, &st) != 0) {
		if (now() - t0 > 60)
			return -1;
		usleep(2000);
	}
	return now() - t0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The whole file front to back in 1 MiB reads, in this process (no
 * program start in the figure): seconds, or -1. */
static double seq_read(const char *path)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -1;
	double t0 = now();
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		;
	double t = now() - t0;
	close(fd);
	return got < 0 ? -1 : t;
}

/* n reads of 4 KiB at random 4 KiB-aligned offsets: mean microseconds, or
 * -1 if one failed. */
static double random_reads(const char *path, int n, unsigned seed)
{
	uint64_t size = file_size(path);
	char buf[4096];
	int fd = open(path, O_RDONLY), i = 0;

	if (fd < 0 || size < sizeof(buf)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	double t0 = now();
	for (; i < n; i++) {
		uint64_t off = ((uint64_t)rand_r(&seed) * 4096) % (size - sizeof(buf) + 1);
		if (pread(fd, buf, sizeof(buf), (off_t)(off & ~(uint64_t)4095)) < 0)
			break;
	}
	double t = now() - t0;
	close(fd);
	return i < n ? -1 : t / n * 1e6;
}

/* Empties the page cache of path alone (its dirty pages written first). */
static bool uncache(const char *path)
{
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* The mean size of the page-cache folios holding path's cached pages, in KiB,
 * or -1 where the kernel does not say (page frames are shown to root only).
 * Only pages already cached are touched (mincore), so it reads nothing.
 * ext4 caches a file read front to back in large folios, FUSE (through 6.18
 * at least) in 4 KiB pages, and a random read from the page cache costs
 * more in small pages: every 4 KiB lands in a different struct page. */
static double folio_kib(const char *path)
{
	uint64_t size = file_size(path), pages = (size + 4095) / 4096, cached = 0, folios = 0;
	int fd = open(path, O_RDONLY), pm = open("/proc/self/pagemap", O_RDONLY),
	    kf = open("/proc/kpageflags", O_RDONLY);
	unsigned char *in = calloc(pages ? pages : 1, 1);
	void *map = fd >= 0 && size ? mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;

	if (map != MAP_FAILED && in && pm >= 0 && kf >= 0 && mincore(map, size, in) == 0) {
		for (uint64_t i = 0; i < pages; i++) {
			uint64_t ent, flags;
			if (!(in[i] & 1))
				continue;
			(void)*(volatile const char *)((const char *)map + i * 4096);
			if (pread(pm, &ent, 8, (off_t)(((uintptr_t)map / 4096 + i) * 8)) != 8 || !(ent >> 63))
				break;
			uint64_t frame = ent & ((1ull << 55) - 1);
			if (!frame || pread(kf, &flags, 8, (off_t)(frame * 8)) != 8)
				break;	/* not root: no frame numbers */
			cached++;
			folios += !(flags >> 16 & 1);	/* a head or a single page */
		}
	}
	if (map != MAP_FAILED)
		munmap(map, size);
	free(in);
	int fds[] = { fd, pm, kf };
	for (int k = 0; k < 3; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return folios ? (double)cached * 4 / (double)folios : -1;
}

/* Puts path in the page cache again, one 4 KiB page at a time (readahead
 * off), as FUSE holds it: the disk with the page size of the mounts. */
static bool cache_in_pages(const char *path)
{
	static char buf[4096];
	uint64_t size = file_size(path);
	bool ok = uncache(path);
	int fd = open(path, O_RDONLY);

	ok = ok && fd >= 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) == 0;
	for (uint64_t off = 0; ok && off < size; off += sizeof(buf))
		ok = pread(fd, buf, sizeof(buf), (off_t)off) >= 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static double mbs(uint64_t bytes, double secs) { return secs > 0 ? (double)bytes / secs / 1048576 : 0; }

struct peer {
	const char *name;
	char mnt[256], file[2048], lsdir[300];
	char mount_cmd[4200], umount_cmd[600];	/* to mount afresh; empty for the disk */
	double up, cold, warm, rnd_cold, rnd_warm, ls;
	double folio;	/* mean page-cache folio after the repeat reads, KiB */
	char small[600];	/* where the snapshot's files are (find's starting points), or "" */
	double small_s;	/* its files under 1 MiB read by tar, or -1 */
	unsigned long small_n;	/* how many */
	bool warm_later;	/* warm random reads measured in alternation at the end */
	bool ok;
};

/* Figures that vary from run to run are the median of REPS measurements,
 * repeat and random reads of SHORT_REPS. */
#define REPS 3
#define SHORT_REPS 5

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && v[k] < v[k - 1]; k--) {
			double t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	return v[n / 2];
}

/* Drops path from the page cache and reads it front to back: cached as a
 * reader of the whole file leaves it. */
static bool cache_whole(const char *path)
{
	return uncache(path) && seq_read(path) >= 0;
}

/* One file of the warm random reads at the end, and what they gave. */
struct warm {
	const char *name, *file;
	bool in_pages;	/* cached 4 KiB at a time, else front to back */
	double *med;	/* the median goes there: -1 where a caching or a read failed */
	double round[SHORT_REPS];	/* in the order the rounds ran */
};
#define MAX_WARM 4

/* Warm random reads of each of w[] in turn, one run of each a round,
 * SHORT_REPS rounds: figures a minute apart on a shared VM drift by more
 * than the differences measured here (0.05 us). Every round first puts all
 * the files in the page cache again: where the kernel places a file's pages
 * moves its random reads by 5 % and more, and a figure should not rest on
 * one caching. The kernel often hands a file back the pages it just freed,
 * so the rounds are not independent draws; their figures are printed. Each
 * round starts, in caching and in reading, one file further on, so that no
 * file always comes first or after the same one. */
static void warm_alternating(struct warm *w, int n)
{
	for (int i = 0; i < SHORT_REPS; i++) {
		bool cached[MAX_WARM];
		for (int j = 0; j < n; j++) {
			int k = (i + j) % n;
			cached[k] = w[k].in_pages ? cache_in_pages(w[k].file) : cache_whole(w[k].file);
		}
		for (int j = 0; j < n; j++) {
			int k = (i + j) % n;
			w[k].round[i] = cached[k] ? random_reads(w[k].file, 100000, 7 + (unsigned)i) : -1;
		}
	}
	for (int k = 0; k < n; k++) {
		double sorted[SHORT_REPS];
		memcpy(sorted, w[k].round, sizeof(sorted));
		*w[k].med = median(sorted, SHORT_REPS);
		for (int i = 0; i < SHORT_REPS; i++)
			if (w[k].round[i] < 0)
				*w[k].med = -1;
	}
}

/* Mounts p again, so that no cache of its own holds the file. */
static void remount(struct peer *p)
{
	if (!p->mount_cmd[0])
		return;
	tl_sh(p->umount_cmd);
	tl_sh(p->mount_cmd);
	wait_for(p->file, now());
}

/* The snapshot's files under 1 MiB (most of an SSTable's), found and read
 * by tar from a fresh mount with the page cache dropped: what copying
 * many small files costs, a few requests each. */
static void small_files(struct peer *p)
{
	char cmd[1400];
	FILE *f;

	p->small_s = -1;
	p->small_n = 0;
	if (!p->small[0])
		return;
	remount(p);
	drop_caches();
	/* one walk: the archive's members counted as it streams by */
	snprintf(cmd, sizeof(cmd), "find -H %s -type f -size -1024k -print0 | tar --null -T - -cf - 2>/dev/null | "
		 "tar tf - | wc -l", p->small);
	double t0 = now();
	if (!(f = popen(cmd, "r")))
		return;
	bool got = fscanf(f, "%lu", &p->small_n) == 1;
	if (pclose(f) == 0 && got)
		p->small_s = now() - t0;
}

static void measure(struct peer *p)
{
	char cmd[4200];
	double v[REPS];

	for (int i = 0; i < REPS; i++) {	/* each from a fresh mount */
		if (i)
			remount(p);
		drop_caches();
		v[i] = seq_read(p->file);
	}
	p->cold = median(v, REPS);
	/* From here on each measurement is short (a 51 MiB read from the page
	 * cache takes 10 ms) or depends on which CPU the kernel wakes the
	 * daemon on: more runs, and four passes of the repeat read in each. */
	double rv[SHORT_REPS];
	for (int i = 0; i < SHORT_REPS; i++) {
		rv[i] = 0;
		for (int pass = 0; pass < 4 && rv[i] >= 0; pass++) {
			double t = seq_read(p->file);
			rv[i] = t < 0 ? -1 : rv[i] + t / 4;
		}
	}
	p->warm = median(rv, SHORT_REPS);
	if (!p->warm_later) {	/* all of it in the page cache; many: each is < 1 us */
		for (int i = 0; i < SHORT_REPS; i++)
			rv[i] = random_reads(p->file, 100000, 7 + (unsigned)i);
		p->rnd_warm = median(rv, SHORT_REPS);
	}
	p->folio = folio_kib(p->file);
	for (int i = 0; i < SHORT_REPS; i++) {
		drop_caches();
		rv[i] = random_reads(p->file, 1000, 9 + (unsigned)i);
	}
	p->rnd_cold = median(rv, SHORT_REPS);
	p->ls = -1;
	if (p->lsdir[0]) {
		drop_caches();
		snprintf(cmd, sizeof(cmd), "ls -R --color=never '%s' > /dev/null", p->lsdir);
		struct tl_run r = tl_sh(cmd);
		p->ls = r.ok ? r.secs : -1;
	}
	small_files(p);
	p->ok = true;
}

/* 1,000 tables, one small SSTable set each, backed up at 10 instants. */
static double thousand_tables(char *out_note, size_t cap)
{
	char cmd[8192], data[300], repo[300], mnt[300];
	snprintf(data, sizeof(data), "%s/wide/data/ks", dir);
	snprintf(repo, sizeof(repo), "%s/wide-repo", dir);
	snprintf(mnt, sizeof(mnt), "%s/wide-mnt", dir);
	/* page_views of the generated cluster is small: its newest snapshot
	 * on node1 becomes each table's SSTables */
	snprintf(cmd, sizeof(cmd),
		 "set -e; src=$(ls -d %s/node1/data/shop/page_views-*/snapshots/%s); mkdir -p %s %s; "
		 "for i in $(seq 1000); do t=$(printf 't%%04d-%%032x' $i $i); mkdir -p %s/$t/snapshots/s; "
		 "cp $src/*-big-* %s/$t/snapshots/s/; done; %s init %s >/dev/null; "
		 "for k in 10 11 12 13 14 15 16 17 18 19; do %s ingest %s %s/wide/data --node node1 --snapshot s "
		 "--at 2026-11-${k}T00:00:00Z >/dev/null; done",
		 cluster, tags[2], data, mnt, data, data, bin, repo, bin, repo, dir);
	if (!tl_sh(cmd).ok)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s mount %s %s", bin, repo, mnt);
	if (!tl_sh(cmd).ok)
		return -1;
	/* the views (/at: 10 instants x 1,000 tables x 7 files), then the
	 * whole tree (/nodes too: 10 backups x 1,000 table directories) */
	snprintf(cmd, sizeof(cmd), "ls -R --color=never %s/at > /dev/null", mnt);
	struct tl_run at = tl_sh(cmd);
	snprintf(cmd, sizeof(cmd), "fusermount3 -u %s && %s mount %s %s", mnt, bin, repo, mnt);
	tl_sh(cmd);
	snprintf(cmd, sizeof(cmd), "ls -R --color=never %s > /dev/null", mnt);
	struct tl_run all = tl_sh(cmd);
	snprintf(out_note, cap, "the whole mount with /nodes: %.2f s", all.ok ? all.secs : -1);
	double t = at.ok ? at.secs : -1;
	snprintf(cmd, sizeof(cmd), "fusermount3 -u %s", mnt);
	tl_sh(cmd);
	return t;
}

int main(int argc, char **argv)
{
	struct peer peers[5] = { { .name = "pitfs mount" }, { .name = "restic mount" }, { .name = "borg mount" },
				 { .name = "bare FUSE, memory" }, { .name = "direct from disk" } };
	char cmd[8192], repo[300], snap[512], big[1024];
	uint64_t size = 2048ull << 20;
	const char *env = getenv("PITFS_BENCH_MOUNT_SIZE");

	if (argc == 4 && strcmp(argv[1], "--floor") == 0)
		return floorfs_serve(argv[2], argv[3]) == 0 ? 0 : 1;
	bin = getenv("PITFS_BIN");
	if (!bin || !*bin)
		bin = "./pitfs";
	if (bin[0] != '/') {
		static char abs[1024];
		char cwd[512];
		snprintf(abs, sizeof(abs), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", bin);
		bin = abs;
	}
	if (env)
		size = strtoull(env, NULL, 10) << 20;
	snprintf(dir, sizeof(dir), "/tmp/pitfs-bench-mount-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(cluster, sizeof(cluster), "%s/gen", dir);
	printf("pitfs bench: the mount; generating a %llu MiB cluster of 3 nodes...\n", (unsigned long long)(size >> 20));
	fflush(stdout);
	struct gen_opts go = { .nodes = 3, .rf = 3, .size = size, .seed = 5, .miss = 0.05, .skew_us = 2000,
			       .no_truth = true };
	if (tl_gen_cluster_child(cluster, &go, tags) < 0)
		return 1;
	/* the newest snapshot of every node: the largest Data.db in it is read */
	snprintf(snap, sizeof(snap), "%s/node*/data/*/*/snapshots/%s", cluster, tags[2]);
	snprintf(cmd, sizeof(cmd), "ls -S %s/*Data.db | head -1", snap);
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(big, sizeof(big), p))
		return 1;
	pclose(p);
	big[strcspn(big, "\n")] = 0;
	uint64_t bigsize = file_size(big);
	/* big = <cluster>/<node>/data/<ks>/<tdir>/snapshots/<tag>/<file> */
	char node[64], ks[256], tdir[256], file[256];
	if (sscanf(big + strlen(cluster) + 1, "%63[^/]/data/%255[^/]/%255[^/]/snapshots/%*[^/]/%255s", node, ks, tdir,
		   file) != 4)
		return 1;
	printf("largest Data.db: %s/%s/%s of %s, %.0f MiB\n\n", ks, tdir, file, node, (double)bigsize / 1048576);

	/* pitfs */
	struct peer *pp = &peers[0];
	snprintf(repo, sizeof(repo), "%s/pitfs", dir);
	snprintf(cmd, sizeof(cmd), "%s init %s >/dev/null && for n in node1 node2 node3; do %s ingest %s %s/$n/data "
		 "--node $n --snapshot %s >/dev/null || exit 1; done", bin, repo, bin, repo, cluster, tags[2]);
	if (!tl_sh(cmd).ok)
		return 1;
	snprintf(pp->mnt, sizeof(pp->mnt), "%s/m-pitfs", dir);
	mkdir(pp->mnt, 0755);
	char probe[1400];
	snprintf(probe, sizeof(probe), "%s/at/latest", pp->mnt);
	drop_caches();
	double t0 = now();
	snprintf(pp->mount_cmd, sizeof(pp->mount_cmd), "%s mount %s %s", bin, repo, pp->mnt);
	snprintf(pp->umount_cmd, sizeof(pp->umount_cmd), "fusermount3 -u %s", pp->mnt);
	if (!tl_sh(pp->mount_cmd).ok)
		return 1;
	pp->up = wait_for(probe, t0);
	char inst[64] = "";
	ssize_t ln = readlink(probe, inst, sizeof(inst) - 1);
	inst[ln > 0 ? ln : 0] = 0;
	snprintf(pp->file, sizeof(pp->file), "%s/nodes/%s", pp->mnt, node);
	snprintf(cmd, sizeof(cmd), "ls %s/nodes/%s | head -1", pp->mnt, node);
	p = popen(cmd, "r");
	char bdir[128] = "";
	if (!p || !fgets(bdir, sizeof(bdir), p))
		return 1;
	pclose(p);
	bdir[strcspn(bdir, "\n")] = 0;
	snprintf(pp->file, sizeof(pp->file), "%s/nodes/%s/%s/%s/%s/%s", pp->mnt, node, bdir, ks, tdir, file);
	snprintf(pp->lsdir, sizeof(pp->lsdir), "%s", pp->mnt);
	snprintf(pp->small, sizeof(pp->small), "%s/nodes", pp->mnt);
	pp->warm_later = true;
	measure(pp);

	/* data.csv of the largest table: its size known (rendered once), then
	 * a fresh open and the first byte at a random offset */
	char csv[1400];
	snprintf(csv, sizeof(csv), "%s/at/%s/%s/%s/data.csv", pp->mnt, inst, ks,
		 strchr(tdir, '-') ? (*strrchr(tdir, '-') = 0, tdir) : tdir);
	double t1 = now();
	uint64_t csvsize = file_size(csv);
	double sized = now() - t1;
	uint64_t off = csvsize ? (uint64_t)(csvsize * 0.61) : 0;
	snprintf(cmd, sizeof(cmd), "dd if='%s' bs=1 count=1 skip=%llu status=none | wc -c", csv, (unsigned long long)off);
	struct tl_run first = tl_sh(cmd);
	snprintf(cmd, sizeof(cmd), "fusermount3 -u %s", pp->mnt);
	tl_sh(cmd);
	/* random reads in a fresh mount: no chunk of the file read before */
	double fresh = -1;
	snprintf(cmd, sizeof(cmd), "%s mount %s %s && stat '%s' >/dev/null", bin, repo, pp->mnt, pp->file);
	if (tl_sh(cmd).ok) {
		drop_caches();
		fresh = random_reads(pp->file, 200, 11);
	}	/* left mounted for the warm random reads at the end */

	/* restic */
	struct peer *rp = &peers[1];
	if (have("restic")) {
		snprintf(repo, sizeof(repo), "%s/restic", dir);
		snprintf(cmd, sizeof(cmd), "export RESTIC_PASSWORD=bench; restic -q -r %s init >/dev/null && "
			 "restic -q -r %s backup %s >/dev/null", repo, repo, snap);
		if (tl_sh(cmd).ok) {
			snprintf(rp->mnt, sizeof(rp->mnt), "%s/m-restic", dir);
			mkdir(rp->mnt, 0755);
			drop_caches();
			t0 = now();
			snprintf(rp->mount_cmd, sizeof(rp->mount_cmd),
				 "RESTIC_PASSWORD=bench restic -q -r %s mount %s >/dev/null 2>&1 &", repo, rp->mnt);
			snprintf(rp->umount_cmd, sizeof(rp->umount_cmd), "fusermount3 -u %s", rp->mnt);
			tl_sh(rp->mount_cmd);
			snprintf(probe, sizeof(probe), "%s/snapshots/latest", rp->mnt);
			rp->up = wait_for(probe, t0);
			snprintf(rp->file, sizeof(rp->file), "%s/snapshots/latest%s", rp->mnt, big);
			snprintf(rp->lsdir, sizeof(rp->lsdir), "%s/snapshots/latest", rp->mnt);
			snprintf(rp->small, sizeof(rp->small), "%s", rp->lsdir);
			if (rp->up >= 0)
				measure(rp);
			snprintf(cmd, sizeof(cmd), "fusermount3 -u %s", rp->mnt);
			tl_sh(cmd);
		}
	}
	/* borg */
	struct peer *bp = &peers[2];
	if (have("borg")) {
		snprintf(repo, sizeof(repo), "%s/borg", dir);
		snprintf(cmd, sizeof(cmd), "export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes; borg init -e none %s && "
			 "borg create -C zstd,1 %s::s %s", repo, repo, snap);
		if (tl_sh(cmd).ok) {
			snprintf(bp->mnt, sizeof(bp->mnt), "%s/m-borg", dir);
			mkdir(bp->mnt, 0755);
			drop_caches();
			t0 = now();
			snprintf(bp->mount_cmd, sizeof(bp->mount_cmd),
				 "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes borg mount %s::s %s", repo, bp->mnt);
			snprintf(bp->umount_cmd, sizeof(bp->umount_cmd), "borg umount %s", bp->mnt);
			if (tl_sh(bp->mount_cmd).ok) {
				snprintf(probe, sizeof(probe), "%s%s", bp->mnt, big);
				bp->up = wait_for(probe, t0);
				snprintf(bp->file, sizeof(bp->file), "%s%s", bp->mnt, big);
				snprintf(bp->lsdir, sizeof(bp->lsdir), "%s", bp->mnt);
				snprintf(bp->small, sizeof(bp->small), "%s", bp->mnt);
				measure(bp);
				snprintf(cmd, sizeof(cmd), "borg umount %s", bp->mnt);
				tl_sh(cmd);
			}
		}
	}
	/* the floor: the same file through FUSE from memory */
	struct peer *fp = &peers[3];
	char self[1024];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl > 0) {
		self[sl] = 0;
		snprintf(fp->mnt, sizeof(fp->mnt), "%s/m-floor", dir);
		mkdir(fp->mnt, 0755);
		snprintf(fp->mount_cmd, sizeof(fp->mount_cmd), "'%s' --floor '%s' %s >/dev/null 2>&1 &", self, big,
			 fp->mnt);
		snprintf(fp->umount_cmd, sizeof(fp->umount_cmd), "fusermount3 -u %s", fp->mnt);
		snprintf(fp->file, sizeof(fp->file), "%s/%s", fp->mnt, file);
		tl_sh(fp->mount_cmd);
		fp->warm_later = true;
		if (wait_for(fp->file, now()) >= 0)
			measure(fp);
	}
	/* the disk */
	struct peer *dp = &peers[4];
	snprintf(dp->file, sizeof(dp->file), "%s", big);
	snprintf(dp->lsdir, sizeof(dp->lsdir), "%s", cluster);
	snprintf(dp->small, sizeof(dp->small), "%s", snap);
	dp->warm_later = true;
	measure(dp);
	/* warm random reads: pitfs, the floor, the disk, and a copy of the
	 * disk's file cached 4 KiB at a time as FUSE caches its files */
	char copy[1100];
	double pages_warm = -1, pages_folio = -1;
	snprintf(copy, sizeof(copy), "%s/pages-Data.db", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", big, copy);
	struct warm w[MAX_WARM] = { { .name = "pitfs", .file = pp->file, .med = &pp->rnd_warm } };
	int nwarm = 1;
	if (fp->ok)
		w[nwarm++] = (struct warm){ .name = "floor", .file = fp->file, .med = &fp->rnd_warm };
	w[nwarm++] = (struct warm){ .name = "disk", .file = big, .med = &dp->rnd_warm };
	if (tl_sh(cmd).ok)
		w[nwarm++] = (struct warm){ .name = "disk in 4 KiB pages", .file = copy, .in_pages = true,
					    .med = &pages_warm };
	warm_alternating(w, nwarm);
	if (pages_warm >= 0)
		pages_folio = folio_kib(copy);
	snprintf(cmd, sizeof(cmd), "fusermount3 -u %s; fusermount3 -u %s", pp->mnt, fp->mnt);
	tl_sh(cmd);

	char note[64];
	double wide = thousand_tables(note, sizeof(note));

	printf("%-18s %10s %22s %22s %14s %14s %10s\n", "", "usable in", "cold sequential read", "repeat read",
	       "4K random cold", "4K random warm", "ls -R");
	for (int i = 0; i < 5; i++) {
		struct peer *x = &peers[i];
		if (!x->ok) {
			printf("%-18s not installed or did not mount\n", x->name);
			continue;
		}
		char up[32] = "-";
		if (i < 3)
			snprintf(up, sizeof(up), "%.3f s", x->up);
		char ls[32] = "-";
		if (x->ls >= 0)
			snprintf(ls, sizeof(ls), "%.2f s", x->ls);
		printf("%-18s %10s %7.2f s %7.0f MiB/s %7.3f s %7.0f MiB/s %11.0f us %11.2f us %10s\n", x->name, up,
		       x->cold, mbs(bigsize, x->cold), x->warm, mbs(bigsize, x->warm), x->rnd_cold, x->rnd_warm, ls);
	}
	if (!can_drop)
		printf("(the page cache could not be dropped: not root; the cold reads are not cold)\n");
	printf("4K random cold: page cache dropped after the sequential and repeat reads of the same file in the same "
	       "mount; in a fresh pitfs mount (no chunk of the file read before): %.0f us\n", fresh);
	printf("page cache of the file after the repeat reads, mean folio:");
	for (int i = 0; i < 5; i++)
		if (peers[i].ok && peers[i].folio > 0)
			printf(" %s %.0f KiB;", peers[i].name, peers[i].folio);
		else if (peers[i].ok)
			printf(" %s unknown;", peers[i].name);
	printf("\n4K random warm: pitfs, the floor and the disk measured in turn; beside them a copy of the disk's "
	       "file cached 4 KiB at a time (mean folio %.0f KiB), as FUSE caches: %.2f us\n", pages_folio, pages_warm);
	printf("4K random warm, each of %d rounds after caching all the files again (us):", SHORT_REPS);
	for (int k = 0; k < nwarm; k++) {
		printf("%s %s", k ? ";" : "", w[k].name);
		for (int i = 0; i < SHORT_REPS; i++)
			printf(" %.3f", w[k].round[i]);
	}
	printf("\n");
	printf("ls -R of the whole tree: pitfs lists /at/<instant>/... and /nodes; restic its snapshot; borg its "
	       "archive; the disk the cluster's data directories\n");
	printf("the snapshot's files under 1 MiB found and read by tar, fresh mount, page cache dropped:");
	for (int i = 0; i < 5; i++)
		if (peers[i].ok && peers[i].small_s >= 0)
			printf(" %s %.2f s (%lu files);", peers[i].name, peers[i].small_s, peers[i].small_n);
	printf("\n");
	printf("\ndata.csv of %s.%s: %.0f MiB, size known in %.2f s (rendered once); first byte at offset %llu of a "
	       "fresh open: %.3f s\n", ks, tdir, (double)csvsize / 1048576, sized, (unsigned long long)off, first.secs);
	printf("ls -R of /at of a repository of 1,000 tables backed up at 10 instants: %.2f s (%s)\n", wide, note);

	printf("\ntargets:\n");
	struct peer *d = dp;
#define RATIO(a, b) ((b) > 0 ? (a) / (b) : 0)
	double vr = RATIO(rp->cold, pp->cold), vb = RATIO(bp->cold, pp->cold);
	printf("  cold sequential vs restic mount  %6.2fx (target >= 3)      %s\n", vr,
	       !rp->ok ? "not measured" : vr >= 3 ? "met" : "MISSED");
	printf("  cold sequential vs borg mount    %6.2fx (target >= 2)      %s\n", vb,
	       !bp->ok ? "not measured" : vb >= 2 ? "met" : "MISSED");
	double rep = mbs(bigsize, pp->warm) / 1024;
	printf("  repeat read                      %6.2f GiB/s (target >= 5) %s\n", rep, rep >= 5 ? "met" : "MISSED");
	double r4 = RATIO(pp->rnd_cold, d->rnd_cold), r4w = RATIO(pp->rnd_warm, d->rnd_warm);
	/* a ratio <= 0: a figure missing (-1) */
	printf("  4K random read vs direct, cold   %6.3fx (target <= 1.25)  %s\n", r4,
	       r4 > 0 && r4 <= 1.25 ? "met" : "MISSED");
	printf("  4K random read vs direct, warm   %6.3fx (target <= 1.25)  %s\n", r4w,
	       r4w > 0 && r4w <= 1.25 ? "met" : "MISSED");
	printf("  4K random, fresh mount vs direct %6.2fx (reads and checks a 64 KiB part per read)\n",
	       RATIO(fresh, d->rnd_cold));
	if (fp->ok)
		printf("  bare FUSE floor vs direct        %6.2fx cold, %.2fx warm; pitfs vs the floor %.2fx cold, %.2fx warm\n",
		       RATIO(fp->rnd_cold, d->rnd_cold), RATIO(fp->rnd_warm, d->rnd_warm),
		       RATIO(pp->rnd_cold, fp->rnd_cold), RATIO(pp->rnd_warm, fp->rnd_warm));
	printf("  4K random warm vs direct, both in 4 KiB pages %.2fx (what FUSE and pitfs add to the page size)\n",
	       RATIO(pp->rnd_warm, pages_warm));
	printf("  mount usable                     %6.3f s (target <= 0.2)   %s\n", pp->up,
	       pp->up >= 0 && pp->up <= 0.2 ? "met" : "MISSED");
	printf("  ls -R 1,000 tables x 10 instants %6.2f s (target < 2)      %s\n", wide,
	       wide >= 0 && wide < 2 ? "met" : "MISSED");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
