/* make bench: full scans of Data.db, next to bare LZ4 decompression of the
 * same bytes measured in the same run. Prints figures; asserts nothing. */
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/util/bytes.h"
#include "core/view/dump.h"
#include "tests/lib/sstbuild.h"
#include "tests/lib/testlib.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct scan_result {
	double secs;
	uint64_t bytes, partitions, rows, cells;
};

/* Decodes every partition, row and cell, as the merge will. Best of n runs. */
static int scan(const char *data_path, int runs, struct scan_result *best)
{
	memset(best, 0, sizeof(*best));
	for (int r = 0; r < runs; r++) {
		struct sst *s = NULL;
		struct sst_scan *sc = NULL;
		struct pit_err err = { 0 };
		const struct sst_partition *p;
		const struct sst_unfiltered *u;
		struct scan_result res = { 0 };
		double t0;
		int rc;
		if ((rc = sst_open_path(&s, data_path, &err)) < 0 || (sst_data_disk_size(s) >= (4u << 20) && (rc = sst_set_readahead(s, true)) < 0) ||
		    (rc = sst_scan_open(&sc, s, &err)) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			sst_close(s);
			return rc;
		}
		t0 = now();	/* opening (Statistics.db, CompressionInfo.db) is not decoding */
		while ((rc = sst_scan_next_partition(sc, &p, &err)) == 1) {
			res.partitions++;
			while ((rc = sst_scan_next(sc, &u, &err)) == 1) {
				res.rows++;
				res.cells += u->ncells;
			}
			if (rc < 0)
				break;
		}
		res.bytes = sst_data_length(s);
		res.secs = now() - t0;
		sst_scan_close(sc);
		sst_close(s);
		if (rc < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			return rc;
		}
		if (r == 0 || res.secs < best->secs)
			*best = res;
	}
	return 0;
}

/* The peer: LZ4-decompressing the same bytes, in chunks of chunk_len, from
 * memory. For an uncompressed Data.db the bytes are compressed first (not timed). */
static double lz4_peer(const uint8_t *raw, size_t n, uint32_t chunk_len, int runs)
{
	size_t nchunks = (n + chunk_len - 1) / chunk_len;
	char **comp = calloc(nchunks, sizeof(*comp));
	int *clen = calloc(nchunks, sizeof(*clen));
	char *out = malloc(chunk_len);
	double best = 0;

	for (size_t i = 0; i < nchunks; i++) {
		size_t len = i + 1 < nchunks ? chunk_len : n - i * chunk_len;
		comp[i] = malloc((size_t)LZ4_compressBound((int)len));
		clen[i] = LZ4_compress_default((const char *)raw + i * chunk_len, comp[i], (int)len,
					       LZ4_compressBound((int)len));
	}
	for (int r = 0; r < runs; r++) {
		double t0 = now();
		for (size_t i = 0; i < nchunks; i++) {
			size_t len = i + 1 < nchunks ? chunk_len : n - i * chunk_len;
			if (LZ4_decompress_safe(comp[i], out, clen[i], (int)len) != (int)len)
				abort();
		}
		double t = now() - t0;
		if (r == 0 || t < best)
			best = t;
	}
	for (size_t i = 0; i < nchunks; i++)
		free(comp[i]);
	free(comp);
	free(clen);
	free(out);
	return best;
}

/* The decompressed Data.db, read through the reader (not timed), for the peer. */
static uint8_t *raw_bytes(const char *path, size_t *n, uint32_t *chunk)
{
	struct sst *s = NULL;
	struct pit_err err = { 0 };
	uint8_t *buf = NULL;

	if (sst_open_path(&s, path, &err) < 0)
		return NULL;
	*n = (size_t)sst_data_length(s);
	*chunk = sst_compression(s)->chunk_len;
	if ((buf = malloc(*n ? *n : 1))) {
		for (size_t off = 0; off < *n;) {
			const uint8_t *q;
			ssize_t k = sst_data_map(s, off, &q, &err);
			if (k <= 0) {
				free(buf);
				buf = NULL;
				break;
			}
			memcpy(buf + off, q, (size_t)k);
			off += (size_t)k;
		}
	}
	sst_close(s);
	return buf;
}

static void report(const char *name, const struct scan_result *r, double peer_secs)
{
	double mb = (double)r->bytes / 1e6;
	printf("%-34s %9.1f MB  decode %8.1f MB/s %10.0f cells/s | lz4 alone %8.1f MB/s | decode/lz4 %.2f\n", name, mb,
	       mb / r->secs, (double)r->cells / r->secs, mb / peer_secs, peer_secs / r->secs);
}

/* A large table with realistic rows, written with LZ4 in 16 KiB chunks as
 * Cassandra 4 does, to a temporary directory. */
static const struct sb_col GEN_COLS[] = {
	{ "amount", "LongType" }, { "note", "UTF8Type" }, { "price", "DoubleType" }, { "qty", "Int32Type" },
	{ "status", "UTF8Type" }, { "tags", "SetType(UTF8Type)" },
};

static int generate(const char *dir, size_t target, char *data_path, size_t cap)
{
	struct sb_spec spec = { .version = "nb", .key_type = "UTF8Type", .nclust = 1, .clust = { "TimestampType" },
				.nregular = 6, .regulars = GEN_COLS, .min_ts = 1700000000000000ll, .min_ldt = 1700000000ll,
				.compressed = true, .codec = SST_CODEC_LZ4, .chunk_len = 16384 };
	struct sb *b = sb_new(&spec);
	struct sb_row r;
	uint64_t seed = 42;
	size_t approx = 0;
	char key[32], note[80], status[16], tag[3][8];
	uint8_t ck[8], amount[8], price[8], qty[4];

	for (int part = 0; approx < target; part++) {
		snprintf(key, sizeof(key), "customer-%08d", part);
		sb_partition(b, key, strlen(key), (struct sst_deletion){ SST_NO_TS, SST_NO_LDT });
		int rows = 20 + part % 200;
		for (int i = 0; i < rows; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			memset(&r, 0, sizeof(r));
			put_be64(ck, 1700000000000ull + (uint64_t)i * 1000);
			r.cval[0] = ck;
			r.clen[0] = 8;
			r.live = (struct sst_liveness){ 1700000000000000ll + i, 0, SST_NO_LDT };
			r.del = (struct sst_deletion){ SST_NO_TS, SST_NO_LDT };
			put_be64(amount, seed >> 20);
			put_be64(price, seed & 0x3fffffffffffffull);
			put_be32(qty, (uint32_t)(seed >> 40));
			snprintf(note, sizeof(note), "order %d of %s, shipped by carrier %llu", i, key,
				 (unsigned long long)(seed % 97));
			snprintf(status, sizeof(status), "%s", (seed >> 8) % 3 ? "DELIVERED" : "PENDING");
			r.cells[r.ncells++] = (struct sb_cell){ 0, SST_CELL_ROW_TS, r.live.ts, 0, SST_NO_LDT, NULL, 0, amount, 8 };
			r.cells[r.ncells++] = (struct sb_cell){ 1, SST_CELL_ROW_TS, r.live.ts, 0, SST_NO_LDT, NULL, 0, note, strlen(note) };
			r.cells[r.ncells++] = (struct sb_cell){ 2, SST_CELL_ROW_TS, r.live.ts, 0, SST_NO_LDT, NULL, 0, price, 8 };
			r.cells[r.ncells++] = (struct sb_cell){ 3, SST_CELL_ROW_TS, r.live.ts, 0, SST_NO_LDT, NULL, 0, qty, 4 };
			r.cells[r.ncells++] = (struct sb_cell){ 4, SST_CELL_ROW_TS, r.live.ts, 0, SST_NO_LDT, NULL, 0, status, strlen(status) };
			if (seed % 4 == 0) {
				r.cx[r.ncx++] = (struct sst_complex_del){ 5, { r.live.ts - 1, 1700000000 } };
				for (int t = 0; t < 3; t++) {
					snprintf(tag[t], sizeof(tag[t]), "t%d", t);
					r.cells[r.ncells++] = (struct sb_cell){ 5, SST_CELL_ROW_TS | SST_CELL_EMPTY_VALUE, r.live.ts, 0,
										SST_NO_LDT, tag[t], 2, NULL, 0 };
				}
			}
			sb_row(b, &r);
			approx += 90;
		}
		sb_end_partition(b);
	}
	int nf;
	struct sb_file *files = sb_files(b, &nf);
	for (int i = 0; i < nf; i++) {
		char path[4096];
		if (!files[i].name[0])
			continue;
		snprintf(path, sizeof(path), "%s/nb-1-big-%s", dir, files[i].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(files[i].p, 1, files[i].n, f) != files[i].n) {
			sb_free(b);
			return -1;
		}
		fclose(f);
	}
	snprintf(data_path, cap, "%s/nb-1-big-Data.db", dir);
	sb_free(b);
	return 0;
}

/* Peak resident memory of a child that scans the file. */
static long scan_rss_kb(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct scan_result r;
		_exit(scan(path, 1, &r) == 0 ? 0 : 1);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return ru.ru_maxrss;
}

static void bench_file(const char *name, const char *path)
{
	struct scan_result r;
	size_t n;
	uint32_t chunk;
	uint8_t *raw = raw_bytes(path, &n, &chunk);

	if (!raw || scan(path, 5, &r) < 0) {
		printf("%-34s failed\n", name);
		free(raw);
		return;
	}
	/* an uncompressed file is compared with LZ4 over 64 KiB chunks of its bytes */
	report(name, &r, lz4_peer(raw, n, chunk, 5));
	free(raw);
}

int main(void)
{
	const char *fx = tl_fixtures();
	char tmpl[] = "/tmp/pitfs-bench-XXXXXX", data[4096], path[4096];

	printf("pitfs bench: full Data.db scans (decode every partition, row and cell, after opening; best of 5),\n"
	       "next to LZ4 decompression alone of the same bytes in the same chunks\n");
	if (fx) {
		snprintf(path, sizeof(path), "%s/sstable-to-arrow-md-iot/baselines/iot-5b608090e03d11ebb4c1d335f841c590/md-2-big-Data.db", fx);
		bench_file("fixture md iot (CRC.db)", path);
		snprintf(path, sizeof(path), "%s/sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-Data.db", fx);
		bench_file("fixture oa 10k (LZ4)", path);
	} else {
		printf("(fixtures absent: the fixture scans are skipped)\n");
	}
	/* PITFS_BENCH_DIR keeps the generated table there, for profiling */
	const char *keep = getenv("PITFS_BENCH_DIR");
	if (keep)
		snprintf(tmpl, sizeof(tmpl), "%.23s", keep);
	if (!keep && !mkdtemp(tmpl))
		return 1;
	size_t target = getenv("PITFS_BENCH_MB") ? (size_t)atol(getenv("PITFS_BENCH_MB")) << 20 : (size_t)256 << 20;
	double t0 = now();
	if (generate(tmpl, target, data, sizeof(data)) < 0)
		return 1;
	printf("(generated a %zu MB nb table with LZ4 in 16 KiB chunks in %.1f s)\n", target >> 20, now() - t0);
	bench_file("generated nb (LZ4 16 KiB)", data);
	struct stat st;
	stat(data, &st);
	long kb = scan_rss_kb(data);
	printf("peak resident memory of a process scanning it (%.0f MB on disk): %.1f MB\n", (double)st.st_size / 1e6,
	       (double)kb / 1024);
	if (keep)
		return 0;
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	return system(cmd) == 0 ? 0 : 1;
}
