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
#include "core/gen/gen.h"
#include "core/sstable/writer.h"
#include "tests/lib/sstbuild.h"
#include "tests/lib/testlib.h"

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
		t0 = tl_now();	/* opening (Statistics.db, CompressionInfo.db) is not decoding */
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
		res.secs = tl_now() - t0;
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
		double t0 = tl_now();
		for (size_t i = 0; i < nchunks; i++) {
			size_t len = i + 1 < nchunks ? chunk_len : n - i * chunk_len;
			if (LZ4_decompress_safe(comp[i], out, clen[i], (int)len) != (int)len)
				abort();
		}
		double t = tl_now() - t0;
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

/* A large table with realistic rows, streamed through the SSTable writer:
 * nb, LZ4 in 16 KiB chunks as Cassandra 4 writes it. */
static const struct sb_col GEN_COLS[] = {
	{ "amount", "LongType" }, { "note", "UTF8Type" }, { "price", "DoubleType" }, { "qty", "Int32Type" },
	{ "status", "UTF8Type" }, { "tags", "SetType(UTF8Type)" },
};

static int generate(const char *dir, size_t target, char *data_path, size_t cap)
{
	struct sst_header h = { 0 };
	struct pit_err err = { 0 };
	struct sst_writer *w = NULL;
	struct sst_writer_opts o = { .compress = true, .enc_min_ts = 1700000000000000ll, .enc_min_ldt = 1700000000 };
	uint64_t seed = 42;
	char key[32], note[96], tag[3][8];
	uint8_t ck[8], amount[8], price[8], qty[4];
	const uint8_t *cval[1] = { ck };
	uint32_t clen[1] = { 8 };
	uint8_t cstate[1] = { SST_CK_VALUE };
	struct sst_cell cells[16];
	struct sst_complex_del cx[1];
	int rc = 0;

	cql_type_parse_marshal(&h.key_type, "UTF8Type", 8, NULL);
	h.nclustering = 1;
	h.clustering = calloc(1, sizeof(*h.clustering));
	cql_type_parse_marshal(&h.clustering[0], "TimestampType", 13, NULL);
	h.nregular = 6;
	h.regulars = calloc(6, sizeof(*h.regulars));
	for (int i = 0; i < 6; i++) {
		h.regulars[i].name = strdup(GEN_COLS[i].name);
		cql_type_parse_marshal(&h.regulars[i].type, GEN_COLS[i].type, strlen(GEN_COLS[i].type), NULL);
		h.regulars[i].complex = cql_type_multicell(h.regulars[i].type);
		h.regulars[i].fixed = cql_type_fixed_len(h.regulars[i].type);
	}
	if ((rc = sst_writer_open(&w, dir, 1, &h, &o, &err)) < 0)
		goto out;
	/* partitions must come in token order: generate keys, sort them by token */
	size_t nparts = target / 12000 + 1;
	struct { int64_t tok; uint32_t id; } *order = malloc(nparts * sizeof(*order));
	for (size_t i = 0; i < nparts; i++) {
		int n = snprintf(key, sizeof(key), "customer-%08zu", i);
		order[i].tok = sst_murmur3_token((const uint8_t *)key, (size_t)n);
		order[i].id = (uint32_t)i;
	}
	for (size_t gap = nparts / 2; gap > 0; gap /= 2)	/* shell sort: no comparator needed */
		for (size_t i = gap; i < nparts; i++)
			for (size_t j = i; j >= gap && order[j - gap].tok > order[j].tok; j -= gap) {
				__typeof__(*order) t = order[j];
				order[j] = order[j - gap];
				order[j - gap] = t;
			}
	for (size_t pi = 0; pi < nparts && rc == 0; pi++) {
		int n = snprintf(key, sizeof(key), "customer-%08u", order[pi].id);
		struct sst_deletion live = { SST_NO_TS, SST_NO_LDT };
		if ((rc = sst_writer_partition(w, (const uint8_t *)key, (size_t)n, &live, &err)) < 0)
			break;
		int rows = 20 + (int)(order[pi].id % 200);
		for (int i = 0; i < rows && rc == 0; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			int64_t ts = 1700000000000000ll + i;
			put_be64(ck, 1700000000000ull + (uint64_t)i * 1000);
			put_be64(amount, seed >> 20);
			put_be64(price, seed & 0x3fffffffffffffull);
			put_be32(qty, (uint32_t)(seed >> 40));
			int nn = snprintf(note, sizeof(note), "order %d of %s, shipped by carrier %llu", i, key,
					  (unsigned long long)(seed % 97));
			const char *status = (seed >> 8) % 3 ? "DELIVERED" : "PENDING";
			int nc = 0, ncx = 0;
			cells[nc++] = (struct sst_cell){ 0, 0, ts, 0, SST_NO_LDT, NULL, 0, amount, 8 };
			cells[nc++] = (struct sst_cell){ 1, 0, ts, 0, SST_NO_LDT, NULL, 0, (const uint8_t *)note, (uint32_t)nn };
			cells[nc++] = (struct sst_cell){ 2, 0, ts, 0, SST_NO_LDT, NULL, 0, price, 8 };
			cells[nc++] = (struct sst_cell){ 3, 0, ts, 0, SST_NO_LDT, NULL, 0, qty, 4 };
			cells[nc++] = (struct sst_cell){ 4, 0, ts, 0, SST_NO_LDT, NULL, 0, (const uint8_t *)status,
							 (uint32_t)strlen(status) };
			if (seed % 4 == 0) {
				cx[ncx++] = (struct sst_complex_del){ 5, { ts - 1, 1700000000 } };
				for (int t = 0; t < 3; t++) {
					snprintf(tag[t], sizeof(tag[t]), "t%d", t);
					cells[nc++] = (struct sst_cell){ 5, 0, ts, 0, SST_NO_LDT, (const uint8_t *)tag[t], 2, NULL, 0 };
				}
			}
			struct sst_unfiltered u = { .kind = SST_ROW, .nclust = 1, .cval = cval, .clen = clen, .cstate = cstate,
						    .liveness = { ts, 0, SST_NO_LDT }, .deletion = live, .ncells = (uint32_t)nc,
						    .cells = cells, .ncomplex = (uint32_t)ncx, .complex = cx };
			rc = sst_writer_add(w, &u, &err);
		}
		if (rc == 0)
			rc = sst_writer_end_partition(w, &err);
	}
	free(order);
	if (rc == 0)
		rc = sst_writer_finish(w, &err);
	snprintf(data_path, cap, "%s/nb-1-big-Data.db", dir);
out:
	if (rc < 0)
		fprintf(stderr, "bench: %s\n", err.msg);
	sst_writer_close(w);
	sst_header_release(&h);
	return rc;
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
	size_t target = getenv("PITFS_BENCH_MB") ? (size_t)atol(getenv("PITFS_BENCH_MB")) << 20 : (size_t)2048 << 20;
	double t0 = tl_now();
	if (generate(tmpl, target, data, sizeof(data)) < 0)
		return 1;
	double wt = tl_now() - t0;
	struct stat wst;
	stat(data, &wst);
	printf("writer: %.0f MB of rows written as nb (LZ4, 16 KiB chunks, every component) in %.1f s: %.0f MB/s\n",
	       (double)target / 1e6, wt, (double)target / 1e6 / wt);
	bench_file("written nb (LZ4 16 KiB)", data);
	struct stat st;
	stat(data, &st);
	long kb = scan_rss_kb(data);
	printf("peak resident memory of a process scanning it (%.0f MB on disk): %.1f MB\n", (double)st.st_size / 1e6,
	       (double)kb / 1024);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (!keep && system(cmd) != 0)
		return 1;
	/* pitfs gen: a simulated cluster, its backups and its truth */
	char gdir[] = "/tmp/pitfs-bench-gen-XXXXXX";
	if (!mkdtemp(gdir))
		return 1;
	size_t gsize = getenv("PITFS_BENCH_GEN_MB") ? (size_t)atol(getenv("PITFS_BENCH_GEN_MB")) << 20 : (size_t)128 << 20;
	struct gen_opts go = { .outdir = gdir, .nodes = 3, .rf = 3, .size = gsize, .seed = 1, .miss = 0.05, .skew_us = 2000 };
	struct gen_summary gs;
	struct pit_err gerr = { 0 };
	t0 = tl_now();
	if (gen_run(&go, &gs, &gerr) < 0) {
		fprintf(stderr, "bench: gen: %s\n", gerr.msg);
		return 1;
	}
	double gt = tl_now() - t0;
	printf("gen: %.0f MB of SSTables on 3 nodes (%llu writes, %llu flushes, %llu compactions) in %.1f s: %.1f MB/s; "
	       "%.1f s of it finishing the truth\n", (double)gs.bytes / 1e6, (unsigned long long)gs.writes,
	       (unsigned long long)gs.flushes, (unsigned long long)gs.compactions, gt, (double)gs.bytes / 1e6 / gt,
	       gs.truth_seconds);
	/* the floor: only putting that many bytes on disk (cp -a keeps the
	 * snapshots' hard links, as gen makes them) */
	char cdir[] = "/tmp/pitfs-bench-cp-XXXXXX";
	if (!mkdtemp(cdir))
		return 1;
	snprintf(cmd, sizeof(cmd), "cp -a %s/node* %s/ && sync", gdir, cdir);
	t0 = tl_now();
	if (system(cmd) != 0)
		return 1;
	double ct = tl_now() - t0;
	printf("%-36s %8.1f s\n%-36s %8.1f s   gen takes %.1fx the time\n", "gen (simulate, write, truth)", gt,
	       "cp -a + sync of the nodes it leaves", ct, gt / ct);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", gdir, cdir);
	return system(cmd) == 0 ? 0 : 1;
}
