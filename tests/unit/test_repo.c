/* The repository: objects detect damage, ingest stores byte-exact and
 * deduplicated, restore gives back the same bytes, the catalog rebuilds,
 * forget and prune keep what backups need, check names damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>
#include "core/repo/check.h"
#include "core/repo/ingest.h"
#include "core/repo/manifest.h"
#include "core/repo/obj.h"
#include "core/repo/pack.h"
#include "core/repo/prune.h"
#include "core/repo/rfile.h"
#include "core/repo/rahead.h"
#include "core/repo/repo.h"
#include "core/repo/restore.h"
#include "core/view/tree.h"
#include "tests/lib/testlib.h"

static char cluster[64], work[64];
static char tags[3][256];
static const int ntags = 3;

static int setup(void **state)
{
	(void)state;
	snprintf(cluster, sizeof(cluster), "/tmp/pitfs-repo-gen-XXXXXX");
	snprintf(work, sizeof(work), "/tmp/pitfs-repo-XXXXXX");
	if (!mkdtemp(work))
		return -1;
	return tl_gen_cluster(cluster, 3u << 20, 5, tags);
}

static int teardown(void **state)
{
	(void)state;
	tl_rm_rf(cluster);
	tl_rm_rf(work);
	return 0;
}

static void new_repo(char *out, size_t n, const char *name, uint32_t pack)
{
	struct pit_err err = { 0 };

	snprintf(out, n, "%s/%s", work, name);
	tl_rm_rf(out);
	int rc = repo_init(out, pack, 0, &err);
	if (rc < 0)
		printf("# %s\n", err.msg);
	assert_int_equal(rc, 0);
}

static int warnings;
static void count_warn(void *ctx, const char *msg)
{
	(void)ctx;
	printf("# warning: %s\n", msg);
	warnings++;
}

static void ingest(const char *repo, const char *source, const char *node, const char *tag, struct ingest_result *res)
{
	struct ingest_opts o = { .source = source, .node = node, .tag = tag, .incremental = !tag, .warn = count_warn };
	struct pit_err err = { 0 };
	struct repo *r;
	int rc;

	assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
	rc = ingest_run(r, &o, res, &err);
	if (rc < 0)
		printf("# ingest %s: %s\n", source, err.msg);
	assert_int_equal(rc, 0);
	repo_close(r);
}

static void node_data(char *out, size_t n, const char *node) { snprintf(out, n, "%s/%s/data", cluster, node); }

/* Every file under src is in dst with the same bytes, mode and mtime. */
static const char *cmp_src, *cmp_dst;
static int cmp_files;
static int cmp_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char other[1024];
	struct stat st2;
	size_t a, b;

	(void)f;
	if (flag != FTW_F)
		return 0;
	snprintf(other, sizeof(other), "%s%s", cmp_dst, p + strlen(cmp_src));
	char *x = tl_read_file(p, &a), *y = tl_read_file(other, &b);
	int same = x && y && a == b && !memcmp(x, y, a) && stat(other, &st2) == 0 &&
		   st2.st_mtim.tv_sec == st->st_mtim.tv_sec && st2.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
		   (st2.st_mode & 07777) == (st->st_mode & 07777);
	if (!same)
		printf("# differs: %s vs %s\n", p, other);
	free(x);
	free(y);
	cmp_files++;
	return same ? 0 : 1;
}

static int same_tree(const char *src, const char *dst)
{
	cmp_src = src;
	cmp_dst = dst;
	cmp_files = 0;
	return nftw(src, cmp_one, 16, FTW_PHYS) == 0 ? cmp_files : -1;
}

/* The restored backup of a snapshot equals every table's snapshots/<tag>. */
static void restore_and_compare(const char *repo, const struct chunk_id *id, const char *node, const char *tag)
{
	char target[512], data[256], ksdir[512], src[1024], dst[1024];
	struct restore_opts o = { 0 };
	struct restore_result res;
	struct pit_err err = { 0 };
	struct repo *r;
	uint64_t files = 0;

	snprintf(target, sizeof(target), "%s/restore", work);
	tl_rm_rf(target);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	int rc = restore_run(r, id, target, &o, &res, &err);
	if (rc < 0)
		printf("# restore: %s\n", err.msg);
	assert_int_equal(rc, 0);
	repo_close(r);
	node_data(data, sizeof(data), node);
	const char *kss[] = { "shop", "metrics", "system_schema" };	/* a snapshot takes every keyspace */
	for (int k = 0; k < 3; k++) {
		snprintf(ksdir, sizeof(ksdir), "%s/%s", data, kss[k]);
		DIR *d = opendir(ksdir);
		struct dirent *de;
		assert_non_null(d);
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(src, sizeof(src), "%s/%s/snapshots/%s", ksdir, de->d_name, tag);
			snprintf(dst, sizeof(dst), "%s/%s/%s", target, kss[k], de->d_name);
			int n = same_tree(src, dst);
			assert_true(n > 0);
			files += (uint64_t)n;
		}
		closedir(d);
	}
	assert_int_equal(files, res.files);
}

static void check_clean(const char *repo, bool read_data)
{
	struct check_opts o = { .read_data = read_data };
	struct check_result res;
	struct pit_err err = { 0 };
	struct repo *r;

	assert_int_equal(repo_open(&r, repo, REPO_SHARED, &err), 0);
	assert_int_equal(check_run(r, &o, &res, &err), 0);
	repo_close(r);
	assert_int_equal(res.problems, 0);
	assert_int_equal(res.duplicate_chunks, 0);
}

static void test_objects(void **state)
{
	struct sbuf sb;
	const uint8_t *pl;
	size_t plen;
	struct pit_err err = { 0 };

	(void)state;
	sbuf_init(&sb);
	obj_begin(&sb, "TEST");
	obj_put_str(&sb, "hello");
	obj_put_u64(&sb, 42);
	assert_int_equal(obj_seal(&sb), 0);
	assert_int_equal(obj_open((uint8_t *)sb.buf, sb.len, "TEST", "t", &pl, &plen, &err), 0);
	assert_int_equal(plen, 4 + 5 + 8);
	assert_int_equal(obj_open((uint8_t *)sb.buf, sb.len, "INDX", "t", &pl, &plen, &err), -EBADMSG);
	for (size_t i = 0; i < sb.len; i++) {
		sb.buf[i] ^= 0x10;
		assert_true(obj_open((uint8_t *)sb.buf, sb.len, "TEST", "t", &pl, &plen, &err) < 0);
		sb.buf[i] ^= 0x10;
	}
	assert_true(obj_open((uint8_t *)sb.buf, sb.len - 1, "TEST", "t", &pl, &plen, &err) < 0);
	sbuf_release(&sb);

	assert_int_equal(parse_duration("7d", &(int64_t){ 0 }), 0);
	assert_int_equal(parse_duration("7", &(int64_t){ 0 }), -EINVAL);
}

/* Every snapshot of every node and their incremental backups; each restores
 * byte-exact; storing a snapshot again stores nothing new. */
static void xorshift_fill(uint8_t *p, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

/* Chunks in parts: compressible, incompressible and mixed; whole decoding
 * checks the id, part decoding each part's hash, and a damaged part fails
 * alone. Chunks of the older codecs still decode. */
static void test_chunk_parts(void **state)
{
	static uint8_t raw[200000], enc[CHUNK_MAX_STORED], back[200000];
	struct pit_err err = { 0 };
	struct chunk_parts parts;
	struct chunk_coder *cc;
	struct chunk_id id;
	enum chunk_codec codec;
	size_t stored;
	uint32_t np = chunk_nparts(sizeof(raw));

	(void)state;
	assert_int_equal(np, 4);
	assert_int_equal(chunk_coder_new(&cc, 1, 5), 0);
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i / 100);
	chunk_id_of(&id, raw, sizeof(raw));
	assert_int_equal(chunk_encode(cc, raw, sizeof(raw), enc, &stored, &codec, &parts, &err), 0);
	assert_int_equal(codec, CHUNK_PARTS);
	assert_true(stored < sizeof(raw) / 10);
	assert_int_equal(parts.end[np - 1], stored);
	assert_int_equal(chunk_parts_check(&parts, sizeof(raw), (uint32_t)stored, "t", &err), 0);
	assert_int_equal(chunk_decode(cc, codec, &parts, enc, stored, back, sizeof(raw), &id, "t", &err), 0);
	assert_memory_equal(raw, back, sizeof(raw));
	for (uint32_t p0 = 0; p0 < np; p0++)
		for (uint32_t p1 = p0; p1 < np; p1++) {
			memset(back, 0, sizeof(back));
			assert_int_equal(chunk_decode_parts(cc, &parts, sizeof(raw), p0, p1,
							    enc + (p0 ? parts.end[p0 - 1] : 0), back, "t", &err), 0);
			size_t to = (p1 + 1) * CHUNK_PART < sizeof(raw) ? (p1 + 1) * CHUNK_PART : sizeof(raw);
			assert_memory_equal(raw + p0 * CHUNK_PART, back, to - p0 * CHUNK_PART);
		}
	/* a damaged byte in part 1: the whole chunk and part 1 fail, the others read */
	enc[parts.end[0] + (parts.end[1] - parts.end[0]) / 2] ^= 1;
	assert_int_equal(chunk_decode(cc, codec, &parts, enc, stored, back, sizeof(raw), &id, "t", &err), -EIO);
	assert_int_equal(chunk_decode_parts(cc, &parts, sizeof(raw), 1, 1, enc + parts.end[0], back, "t", &err), -EIO);
	assert_non_null(strstr(err.msg, "part 1"));
	assert_int_equal(chunk_decode_parts(cc, &parts, sizeof(raw), 0, 0, enc, back, "t", &err), 0);
	assert_int_equal(chunk_decode_parts(cc, &parts, sizeof(raw), 2, 3, enc + parts.end[1], back, "t", &err), 0);
	/* a description that does not fit the stored bytes */
	struct chunk_parts bad = parts;
	bad.end[2] = bad.end[1];
	assert_int_equal(chunk_parts_check(&bad, sizeof(raw), (uint32_t)stored, "t", &err), -EIO);
	assert_int_equal(chunk_decode(cc, codec, &bad, enc, stored, back, sizeof(raw), &id, "t", &err), -EIO);
	assert_int_equal(chunk_parts_check(&parts, sizeof(raw), (uint32_t)stored + 1, "t", &err), -EIO);

	/* incompressible: every part raw, at its own offset */
	xorshift_fill(raw, sizeof(raw), 88172645463325252ull);
	chunk_id_of(&id, raw, sizeof(raw));
	assert_int_equal(chunk_encode(cc, raw, sizeof(raw), enc, &stored, &codec, &parts, &err), 0);
	assert_int_equal(stored, sizeof(raw));
	for (uint32_t i = 0; i + 1 < np; i++)
		assert_int_equal(parts.end[i], (i + 1) * CHUNK_PART);
	assert_int_equal(chunk_decode_parts(cc, &parts, sizeof(raw), 3, 3, enc + 3 * CHUNK_PART, back, "t", &err), 0);
	assert_memory_equal(back, raw + 3 * CHUNK_PART, sizeof(raw) - 3 * CHUNK_PART);
	enc[7] ^= 1;
	assert_int_equal(chunk_decode(cc, codec, &parts, enc, stored, back, sizeof(raw), &id, "t", &err), -EIO);
	assert_non_null(strstr(err.msg, "hash mismatch"));
	assert_int_equal(chunk_decode_parts(cc, &parts, sizeof(raw), 0, 0, enc, back, "t", &err), -EIO);

	/* mixed: a compressible first half, a random second half */
	for (size_t i = 0; i < sizeof(raw) / 2; i++)
		raw[i] = (uint8_t)(i / 100);
	chunk_id_of(&id, raw, sizeof(raw));
	assert_int_equal(chunk_encode(cc, raw, sizeof(raw), enc, &stored, &codec, &parts, &err), 0);
	assert_true(parts.end[0] < CHUNK_PART / 10);
	assert_int_equal(parts.end[3] - parts.end[2], sizeof(raw) - 3 * CHUNK_PART);	/* random: raw */
	assert_int_equal(chunk_decode(cc, codec, &parts, enc, stored, back, sizeof(raw), &id, "t", &err), 0);
	assert_memory_equal(raw, back, sizeof(raw));

	/* the codecs written before parts: one zstd frame, or raw */
	stored = ZSTD_compress(enc, sizeof(enc), raw, sizeof(raw), 1);
	assert_false(ZSTD_isError(stored));
	assert_int_equal(chunk_decode(cc, CHUNK_ZSTD, NULL, enc, stored, back, sizeof(raw), &id, "t", &err), 0);
	assert_memory_equal(raw, back, sizeof(raw));
	enc[stored / 2] ^= 1;
	assert_int_equal(chunk_decode(cc, CHUNK_ZSTD, NULL, enc, stored, back, sizeof(raw), &id, "t", &err), -EIO);
	memcpy(enc, raw, sizeof(raw));
	assert_int_equal(chunk_decode(cc, CHUNK_RAW, NULL, enc, sizeof(raw), back, sizeof(raw), &id, "t", &err), 0);
	chunk_coder_free(cc);
}

static void test_ingest_restore(void **state)
{
	char repo[256], data[256];
	struct ingest_result res;
	const char *nodes[] = { "node1", "node2", "node3" };
	uint64_t read = 0, stored = 0;

	(void)state;
	new_repo(repo, sizeof(repo), "all", 0);
	for (int t = 0; t < ntags; t++)
		for (int n = 0; n < 3; n++) {
			node_data(data, sizeof(data), nodes[n]);
			ingest(repo, data, nodes[n], tags[t], &res);
			assert_true(res.stored);
			assert_string_equal(res.instant_from, "manifest.json");
			assert_true(res.sstables > 0);
			assert_int_equal(res.unparsed, 0);
			read += res.bytes;
			stored += res.stored_bytes;
			restore_and_compare(repo, &res.backup, nodes[n], tags[t]);
			if (t > 0)
				assert_true(res.new_bytes < res.bytes);	/* shared SSTables deduplicated */
		}
	printf("# 9 snapshots: %llu bytes read, %llu stored\n", (unsigned long long)read, (unsigned long long)stored);
	node_data(data, sizeof(data), "node1");
	ingest(repo, data, "node1", tags[2], &res);
	assert_true(res.stored);
	assert_int_equal(res.new_bytes, 0);
	assert_int_equal(res.stored_bytes, 0);
	assert_int_equal(res.reused_files, res.files);	/* unchanged: not read again */
	restore_and_compare(repo, &res.backup, "node1", tags[2]);
	/* incremental: everything in backups/, storing what the node has not */
	ingest(repo, data, "node1", NULL, &res);
	assert_true(res.stored);
	assert_true(res.reused_files > 0 && res.reused_files < res.files);
	assert_string_equal(res.instant_from, "file mtime");
	ingest(repo, data, "node1", NULL, &res);
	assert_true(res.stored);
	assert_int_equal(res.reused_files, res.files);
	assert_int_equal(res.new_bytes, 0);
	check_clean(repo, true);
}

static int collect_sb(void *ctx, const char *p, size_t n)
{
	sbuf_add(ctx, p, n);
	return 0;
}

/* A file that does not parse is stored byte-exact, flagged and reported. */
static void test_unparsed(void **state)
{
	char repo[256], src[512], path[640], target[512];
	struct ingest_result res;
	struct repo *r;
	struct manifest *m;
	struct pit_err err = { 0 };
	struct restore_opts ro = { 0 };
	struct restore_result rres;

	(void)state;
	new_repo(repo, sizeof(repo), "unparsed", 0);
	snprintf(src, sizeof(src), "%s/data/ks/t-0123456789abcdef0123456789abcdef/snapshots/x", work);
	tl_rm_rf(work[0] ? src : "");
	snprintf(path, sizeof(path), "mkdir -p %s", src);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/nb-1-big-Data.db", src);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an sstable", f);
	fclose(f);
	warnings = 0;
	ingest(repo, src, "n1", "x", &res);
	assert_int_equal(res.unparsed, 1);
	assert_int_equal(warnings, 1);
	assert_string_equal(res.instant_from, "file mtime");
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(manifest_read(repo_backend(r), &res.backup, &m, &err), 0);
	assert_int_equal(m->nsst, 1);
	assert_true(m->ssts[0].flags & MF_SST_UNPARSED);
	assert_string_equal(m->ssts[0].prefix, "ks/t-0123456789abcdef0123456789abcdef/nb-1-big-");
	assert_true(strlen(m->ssts[0].error) > 0);
	manifest_free(m);
	snprintf(target, sizeof(target), "%s/restore-unparsed", work);
	assert_int_equal(restore_run(r, &res.backup, target, &ro, &rres, &err), 0);
	repo_close(r);
	snprintf(path, sizeof(path), "%s/ks/t-0123456789abcdef0123456789abcdef", target);
	assert_int_equal(same_tree(src, path), 1);

	/* a view of that table names the SSTable it could not use, and why */
	{
		struct tree_node tn;
		struct sbuf sj;
		sbuf_init(&sj);
		assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
		assert_int_equal(tree_resolve(r, "/at/latest/ks/t/sources.json", &tn, &err), 0);
		assert_int_equal(tree_read(r, &tn, collect_sb, &sj, &err), 0);
		repo_close(r);
		assert_non_null(strstr(sj.buf, "\"sstables_unparsable\": [{\"sstable\": \"ks/t-"));
		assert_non_null(strstr(sj.buf, "Statistics.db"));
		sbuf_release(&sj);
	}

	/* the same file again is reused; rewritten (same size, new mtime) it is read */
	ingest(repo, src, "n1", "x", &res);
	assert_int_equal(res.reused_files, 1);
	snprintf(path, sizeof(path), "%s/nb-1-big-Data.db", src);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an sstabl3", f);
	fclose(f);
	struct timespec ts[2] = { { 1000, 5 }, { 1000, 5 } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	ingest(repo, src, "n1", "x", &res);
	assert_int_equal(res.reused_files, 0);
	assert_int_equal(res.new_bytes, 22);
	tl_rm_rf(target);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(restore_run(r, &res.backup, target, &ro, &rres, &err), 0);
	repo_close(r);
	snprintf(path, sizeof(path), "%s/ks/t-0123456789abcdef0123456789abcdef", target);
	assert_int_equal(same_tree(src, path), 1);
}

/* The catalog is a cache: deleted, it is rebuilt from the objects. */
static void test_catalog_rebuild(void **state)
{
	char repo[256], data[256], cache[300];
	struct ingest_result res, again;
	struct repo *r;
	struct pit_err err = { 0 };
	struct chunk_id id;
	char hex[33];

	(void)state;
	new_repo(repo, sizeof(repo), "rebuild", 0);
	node_data(data, sizeof(data), "node2");
	ingest(repo, data, "node2", tags[0], &res);
	snprintf(cache, sizeof(cache), "%s/cache", repo);
	tl_rm_rf(cache);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	chunk_id_hex(&res.backup, hex);
	hex[8] = 0;
	assert_int_equal(repo_resolve_backup(r, hex, &id, &err), 0);
	assert_true(chunk_id_eq(&id, &res.backup));
	assert_int_equal(repo_resolve_backup(r, "ffffffff", &id, &err), -ENOENT);
	repo_close(r);
	restore_and_compare(repo, &res.backup, "node2", tags[0]);
	/* a rebuilt catalog still knows every chunk: nothing is stored twice */
	tl_rm_rf(cache);
	ingest(repo, data, "node2", tags[0], &again);
	assert_int_equal(again.new_bytes, 0);
	check_clean(repo, false);
}

/* The list of backups is made once and shared while the catalog does not
 * change; a backup stored meanwhile makes a new one, and a list still held
 * stays as it was. */
static void test_backups_held(void **state)
{
	char repo[256], data[256];
	struct ingest_result res;
	struct repo *r;
	struct pit_err err = { 0 };
	const struct backup_list *a, *b, *c;

	(void)state;
	new_repo(repo, sizeof(repo), "held", 0);
	node_data(data, sizeof(data), "node1");
	ingest(repo, data, "node1", tags[0], &res);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(catalog_backups_held(repo_catalog(r), &a, &err), 0);
	assert_int_equal(catalog_backups_held(repo_catalog(r), &b, &err), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(a->n, 1);
	catalog_backups_put(repo_catalog(r), b);
	/* in another process, as an ingest runs beside a mount: LMDB must
	 * not be opened twice in one process */
	node_data(data, sizeof(data), "node2");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ingest(repo, data, "node2", tags[0], &res);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(catalog_backups_held(repo_catalog(r), &c, &err), 0);
	assert_ptr_not_equal(a, c);
	assert_int_equal(c->n, 2);
	assert_true(strcmp(c->v[0].node, c->v[1].node) != 0);
	assert_int_equal(a->n, 1);
	assert_string_equal(a->v[0].node, "node1");
	catalog_backups_put(repo_catalog(r), a);
	catalog_backups_put(repo_catalog(r), c);
	repo_close(r);
}

static uint64_t dir_bytes;
static int sum_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p, (void)f;
	if (flag == FTW_F)
		dir_bytes += (uint64_t)st->st_size;
	return 0;
}

static uint64_t packs_size(const char *repo)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/packs", repo);
	dir_bytes = 0;
	nftw(p, sum_cb, 16, FTW_PHYS);
	return dir_bytes;
}

/* Retention keeps the newest full backup and the incrementals after it;
 * prune frees the rest and what remains still restores. */
static void test_forget_prune(void **state)
{
	char repo[256], data[256];
	struct ingest_result res[3], inc;
	struct repo *r;
	struct pit_err err = { 0 };
	struct forget_policy p = { .keep_last = 1 };
	struct prune_result pr;
	unsigned removed;
	uint64_t before, after;

	(void)state;
	new_repo(repo, sizeof(repo), "prune", 256 << 10);
	node_data(data, sizeof(data), "node3");
	for (int t = 0; t < 3; t++)
		ingest(repo, data, "node3", tags[t], &res[t]);
	/* an incremental backup taken between the first two snapshots */
	struct ingest_opts io = { .source = data, .node = "node3", .incremental = true, .have_at = true,
				  .at_us = atoll(tags[1]) * 1000 - 1000000 };
	assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
	assert_int_equal(ingest_run(r, &io, &inc, &err), 0);
	repo_close(r);
	before = packs_size(repo);
	assert_int_equal(repo_open(&r, repo, REPO_EXCLUSIVE, &err), 0);
	assert_int_equal(forget_policy_run(r, &p, &removed, &err), 0);
	assert_int_equal(removed, 3);	/* two full backups and the incremental built on the first */
	assert_int_equal(prune_run(r, &pr, &err), 0);
	repo_close(r);
	after = packs_size(repo);
	printf("# prune: %llu packs removed, %llu rewritten, %llu kept; packs %llu -> %llu bytes\n",
	       (unsigned long long)pr.packs_removed, (unsigned long long)pr.packs_rewritten,
	       (unsigned long long)pr.packs_kept, (unsigned long long)before, (unsigned long long)after);
	assert_true(after < before);
	check_clean(repo, true);
	restore_and_compare(repo, &res[2].backup, "node3", tags[2]);
	/* an incremental after the kept full backup is kept with it */
	ingest(repo, data, "node3", NULL, &inc);
	assert_int_equal(repo_open(&r, repo, REPO_EXCLUSIVE, &err), 0);
	assert_int_equal(forget_policy_run(r, &p, &removed, &err), 0);
	assert_int_equal(removed, 0);
	/* everything forgotten: nothing left */
	assert_int_equal(forget_backup(r, &res[2].backup, &err), 0);
	assert_int_equal(forget_backup(r, &inc.backup, &err), 0);
	assert_int_equal(repo_sync(r, &err), 0);
	assert_int_equal(prune_run(r, &pr, &err), 0);
	repo_close(r);
	assert_int_equal(packs_size(repo), 0);
	check_clean(repo, true);
}

/* --keyspace/--table restore only that table; a system keyspace's
 * SSTables are stored and marked as such. */
static void test_restore_filter_and_system(void **state)
{
	char repo[256], data[256], src[512], cmd[4096], target[512];
	struct ingest_result res;
	struct restore_opts ro = { .keyspace = "shop", .table = "orders" };
	struct restore_result rres;
	struct repo *r;
	struct manifest *m;
	struct pit_err err = { 0 };

	(void)state;
	new_repo(repo, sizeof(repo), "filter", 0);
	node_data(data, sizeof(data), "node1");
	ingest(repo, data, "node1", tags[1], &res);
	snprintf(target, sizeof(target), "%s/restore-filter", work);
	tl_rm_rf(target);
	assert_int_equal(repo_open(&r, repo, REPO_SHARED, &err), 0);
	assert_int_equal(restore_run(r, &res.backup, target, &ro, &rres, &err), 0);
	assert_true(rres.files > 0);
	snprintf(cmd, sizeof(cmd), "test $(ls %s) = shop && test $(ls %s/shop | grep -c .) = 1 && ls %s/shop | grep -q '^orders-'",
		 target, target, target);
	assert_int_equal(system(cmd), 0);
	ro.table = "nosuchtable";
	assert_int_equal(restore_run(r, &res.backup, target, &ro, &rres, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nosuchtable"));
	repo_close(r);

	/* one real SSTable set, placed as a system table's snapshot */
	snprintf(src, sizeof(src), "%s/sys/system/local-7ad54392bcdd35a684174e047860b377/snapshots/s", work);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s/shop/orders-*/snapshots/%s/nb-*-big-* %s/", src, data, tags[0], src);
	assert_int_equal(system(cmd), 0);
	ingest(repo, src, "node1", "s", &res);
	assert_true(res.sstables > 0);
	assert_int_equal(res.unparsed, 0);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(manifest_read(repo_backend(r), &res.backup, &m, &err), 0);
	for (size_t i = 0; i < m->nsst; i++) {
		assert_true(m->ssts[i].flags & MF_SST_SYSTEM);
		assert_true(m->ssts[i].partitions > 0);
		assert_true(m->ssts[i].min_ts <= m->ssts[i].max_ts);
		assert_string_equal(m->ssts[i].version, "nb");
		assert_non_null(strstr(m->ssts[i].partitioner, "Murmur3Partitioner"));
		assert_true(m->ssts[i].data_size > 0 && m->ssts[i].total_size > m->ssts[i].data_size);
	}
	manifest_free(m);
	repo_close(r);
}

static int problems;
static bool named_a_file;
static void on_problem(void *ctx, const char *msg)
{
	(void)ctx;
	problems++;
	if (strstr(msg, "backup ") && strstr(msg, "-big-"))
		named_a_file = true;
}

static int first_pack(void *ctx, const char *name, uint64_t size)
{
	(void)size;
	snprintf(ctx, 256, "%s", name);
	return 1;
}

/* One flipped byte anywhere in a pack: check --read-data fails and names
 * the files; restoring them fails without leaving wrong bytes. */
static void test_damage(void **state)
{
	char repo[256], data[256], pack[256], path[600], target[512];
	struct ingest_result res;
	struct repo *r;
	struct pit_err err = { 0 };
	struct stat st;

	(void)state;
	new_repo(repo, sizeof(repo), "damage", 0);
	node_data(data, sizeof(data), "node1");
	ingest(repo, data, "node1", tags[0], &res);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(backend_list(repo_backend(r), "packs", first_pack, pack, &err), 1);
	repo_close(r);
	snprintf(path, sizeof(path), "%s/%s", repo, pack);
	assert_int_equal(stat(path, &st), 0);
	uint64_t offs[] = { 3, 16, 100, (uint64_t)st.st_size / 2, (uint64_t)st.st_size - 30, (uint64_t)st.st_size - 1 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct check_opts co = { .read_data = true, .problem = on_problem };
		struct check_result cres;
		struct restore_opts ro = { 0 };
		struct restore_result rres;
		int fd = open(path, O_RDWR);
		uint8_t b;
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, (off_t)offs[i]), 1);
		b ^= 0x20;
		assert_int_equal(pwrite(fd, &b, 1, (off_t)offs[i]), 1);
		problems = 0;
		named_a_file = false;
		assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
		assert_int_equal(check_run(r, &co, &cres, &err), 0);
		assert_true(cres.problems > 0);
		assert_true(named_a_file);
		snprintf(target, sizeof(target), "%s/restore-damaged", work);
		tl_rm_rf(target);
		int rc = restore_run(r, &res.backup, target, &ro, &rres, &err);
		repo_close(r);
		if (offs[i] >= 16 && offs[i] < (uint64_t)st.st_size / 2 + 1) {
			/* inside chunk data: the restore must refuse */
			assert_int_equal(rc, -EIO);
			assert_non_null(strstr(err.msg, pack));
		}
		/* whatever it wrote equals the source */
		if (rc < 0) {
			char cmd[1200];
			snprintf(cmd, sizeof(cmd), "find %s -name '*.pitfs-tmp' | grep -q .", target);
			assert_int_not_equal(system(cmd), 0);
		}
		b ^= 0x20;
		assert_int_equal(pwrite(fd, &b, 1, (off_t)offs[i]), 1);
		close(fd);
	}
	check_clean(repo, true);
}

/* Where the instant comes from: manifest.json, else --at, else mtimes. */
static void test_instant(void **state)
{
	char repo[256], data[256];
	struct ingest_opts o = { .node = "node1", .incremental = true, .have_at = true, .at_us = 1234567890123456ll };
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;

	(void)state;
	new_repo(repo, sizeof(repo), "instant", 0);
	node_data(data, sizeof(data), "node1");
	o.source = data;
	assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
	assert_int_equal(ingest_run(r, &o, &res, &err), 0);
	repo_close(r);
	assert_string_equal(res.instant_from, "--at");
	assert_int_equal(res.instant_us, 1234567890123456ll);
	/* missing snapshot tag: an error naming it */
	o.incremental = false;
	o.tag = "nosuchtag";
	assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
	assert_int_equal(ingest_run(r, &o, &res, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nosuchtag"));
	repo_close(r);
}

/* A thread reading a file through rahead or a plain byte source, front to
 * back or at random places, counting reads that are not the file's bytes. */
/* A new repository (packs of pack bytes, 0: the default) holding one
 * backup of one file, ks/t-.../big.bin, indexed every index_every chunks
 * (0: the default). */
static void store_big_bin(char *repo, size_t cap, const char *name, const uint8_t *data, size_t n, uint32_t pack,
			  uint32_t index_every, struct ingest_result *res)
{
	char dir[300], path[400], cmd[400];
	struct ingest_opts o = { .node = "node1", .tag = "s", .have_at = true, .at_us = 1000000,
				 .index_every = index_every };
	struct pit_err err = { 0 };
	struct repo *r;

	new_repo(repo, cap, name, pack);
	snprintf(dir, sizeof(dir), "%s/%s-data/ks/t-0123456789abcdef0123456789abcdef/snapshots/s", work, name);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/big.bin", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	snprintf(dir, sizeof(dir), "%s/%s-data", work, name);
	o.source = dir;
	assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
	assert_int_equal(ingest_run(r, &o, res, &err), 0);
	repo_close(r);
}

/* big.bin of the backup res stored in r, its manifest held in *m. */
static const struct mf_file *big_bin_of(struct repo *r, const struct ingest_result *res, const struct manifest **m)
{
	struct pit_err err = { 0 };

	assert_int_equal(repo_manifest(r, &res->backup, m, &err), 0);
	const struct mf_file *mf = mf_find(*m, "ks/t-0123456789abcdef0123456789abcdef/big.bin");
	assert_non_null(mf);
	return mf;
}

struct rareader {
	struct rahead *ra;	/* or: */
	struct bsrc *bs;
	const uint8_t *want;
	size_t n;
	unsigned seed;
	bool sequential;
	int bad;
};

static void *rareader_main(void *arg)
{
	struct rareader *v = arg;
	static __thread uint8_t buf[300000];
	struct pit_err err = { 0 };
	uint64_t off = 0;

	for (int i = 0; i < 60; i++) {
		size_t len = v->sequential ? 131072 : 1 + (size_t)rand_r(&v->seed) % sizeof(buf);
		if (!v->sequential)
			off = (uint64_t)rand_r(&v->seed) % (v->n + 10);
		ssize_t got = v->ra ? rahead_pread(v->ra, buf, len, off, &err) : bsrc_pread(v->bs, buf, len, off, &err);
		size_t exp = off >= v->n ? 0 : v->n - off < len ? v->n - off : len;
		if (got != (ssize_t)exp || (exp && memcmp(buf, v->want + off, exp)))
			v->bad++;
		off += (size_t)(got > 0 ? got : 0);
		if (v->sequential && off >= v->n)
			off = 0;
	}
	return NULL;
}

/* A file of several chunks read back through the read-ahead reader: front
 * to back and at random places, by 6 threads at once, always its bytes. */
static void test_rahead(void **state)
{
	char repo[256];
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;
	size_t n = 5 * CHUNK_SIZE + 12345;
	uint8_t *data = malloc(n);

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	store_big_bin(repo, sizeof(repo), "rahead", data, n, 0, 0, &res);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	/* chunks kept for all readers, fewer than the file has: evictions too */
	assert_int_equal(repo_keep_chunks(r, 3 * CHUNK_SIZE, &err), 0);
	const struct manifest *m;
	const struct mf_file *mf = big_bin_of(r, &res, &m);
	assert_true(mf->nchunks >= 6);
	struct rahead *ra;
	assert_int_equal(rahead_open(&ra, r, mf, "big.bin", &err), 0);
	pthread_t th[6];
	struct rareader v[6];
	for (int i = 0; i < 6; i++) {
		v[i] = (struct rareader){ ra, NULL, data, n, (unsigned)i, i < 2, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, rareader_main, &v[i]), 0);
	}
	int bad = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		bad += v[i].bad;
	}
	assert_int_equal(bad, 0);
	rahead_close(ra);
	repo_manifest_release(r, m);
	repo_close(r);

	/* One chunk cache of two chunks shared by 6 threads, each with its own
	 * reader of the file, no pool behind it: loads happen outside the
	 * cache's lock, often with every entry held, and every read is the
	 * file's bytes. */
	struct chunk_cache *cc;
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	mf = big_bin_of(r, &res, &m);
	assert_int_equal(chunk_cache_new(&cc, r, 2 * CHUNK_SIZE, &err), 0);
	for (int i = 0; i < 6; i++) {
		v[i] = (struct rareader){ NULL, NULL, data, n, (unsigned)(i + 100), false, 0 };
		assert_int_equal(rfile_open(&v[i].bs, cc, mf, "big.bin", &err), 0);
		assert_int_equal(pthread_create(&th[i], NULL, rareader_main, &v[i]), 0);
	}
	bad = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		bad += v[i].bad;
		bsrc_close(v[i].bs);
	}
	uint64_t hits, misses;
	chunk_cache_stats(cc, &hits, &misses);
	printf("# shared chunk cache: %llu hits, %llu loads for 6 x 60 reads\n", (unsigned long long)hits,
	       (unsigned long long)misses);
	assert_int_equal(bad, 0);
	assert_true(misses > 2);	/* it did evict and load again */
	chunk_cache_free(cc);
	repo_manifest_release(r, m);
	repo_close(r);
	free(data);
}

/* A file of one chunk read front to back and from the end: its bytes, and
 * no whole chunk decompressed by a worker, as it starts none. */
static void test_rahead_one_chunk(void **state)
{
	char repo[256];
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;
	size_t n = 5 * CHUNK_PART + 1234;
	uint8_t *data = malloc(n), *buf = malloc(n);

	(void)state;
	assert_true(data && buf);
	xorshift_fill(data, n, 5);
	store_big_bin(repo, sizeof(repo), "onechunk", data, n, 0, 0, &res);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	const struct manifest *m;
	const struct mf_file *mf = big_bin_of(r, &res, &m);
	assert_int_equal(mf->nchunks, 1);
	struct rahead *ra;
	assert_int_equal(rahead_open(&ra, r, mf, "big.bin", &err), 0);
	for (size_t off = 0; off < n; off += 4096) {
		size_t exp = n - off < 4096 ? n - off : 4096;
		assert_int_equal(rahead_pread(ra, buf, 4096, off, &err), (ssize_t)exp);
		assert_memory_equal(buf, data + off, exp);
	}
	assert_int_equal(rahead_pread(ra, buf, n, 0, &err), (ssize_t)n);
	assert_memory_equal(buf, data, n);
	assert_int_equal(rahead_pread(ra, buf, 10, n - 10, &err), 10);
	assert_memory_equal(buf, data + n - 10, 10);
	assert_int_equal(rahead_pread(ra, buf, 10, n, &err), 0);
	assert_int_equal(rahead_loads(ra), 0);
	rahead_close(ra);
	repo_manifest_release(r, m);
	repo_close(r);
	free(data);
	free(buf);
}

/* Small reads at random offsets read only the parts of a chunk holding
 * them: the file's bytes from repo_read_range and from a rahead reader
 * going nowhere in order; a damaged part fails alone, naming its part, and
 * fails a whole-chunk read. */
static void test_read_parts(void **state)
{
	char repo[256], path[600];
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;
	size_t n = 3 * CHUNK_SIZE + 7000;
	uint8_t *data = malloc(n), *buf = malloc(CHUNK_SIZE), *whole = malloc(CHUNK_SIZE);
	unsigned seed = 3;

	(void)state;
	assert_true(data && buf && whole);
	/* compressible text with random stretches: zstd and raw parts */
	xorshift_fill(data, n, 7);
	for (size_t i = 0; i < n; i++)
		if ((i / 40000) % 3)
			data[i] = (uint8_t)('a' + i % 23);
	store_big_bin(repo, sizeof(repo), "parts", data, n, 0, 0, &res);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	const struct manifest *m;
	const struct mf_file *mf = big_bin_of(r, &res, &m);
	assert_int_equal(mf->nchunks, 4);
	struct repo_reader *rr;
	assert_int_equal(repo_reader_new(&rr, r, &err), 0);
	struct chunk_loc loc;
	int zstd_parts = 0, raw_parts = 0;
	for (uint32_t k = 0; k < mf->nchunks; k++) {
		assert_int_equal(catalog_chunk_find(repo_catalog(r), &mf->chunks[k].id, &loc, &err), 0);
		assert_int_equal(loc.codec, CHUNK_PARTS);
		for (uint32_t i = 0; i < chunk_nparts(loc.raw); i++) {
			uint32_t len = loc.parts.end[i] - (i ? loc.parts.end[i - 1] : 0);
			len < (i + 1 < chunk_nparts(loc.raw) ? CHUNK_PART : loc.raw - i * CHUNK_PART) ? zstd_parts++
												    : raw_parts++;
		}
	}
	assert_true(zstd_parts > 0 && raw_parts > 0);
	/* across part edges, chunk edges, single bytes */
	for (int i = 0; i < 300; i++) {
		uint32_t k = (uint32_t)rand_r(&seed) % mf->nchunks, raw = mf->chunks[k].raw;
		uint32_t off = i % 3 == 0 ? ((uint32_t)rand_r(&seed) % (raw / CHUNK_PART + 1)) * CHUNK_PART - 5
					  : (uint32_t)rand_r(&seed) % raw;
		if (off >= raw)
			off = raw - 1;
		size_t len = 1 + (size_t)rand_r(&seed) % (i % 2 ? 10 : 200000);
		if (len > raw - off)
			len = raw - off;
		assert_int_equal(repo_read_range(rr, &mf->chunks[k].id, raw, off, len, buf, &err), 0);
		assert_memory_equal(buf, data + (size_t)k * CHUNK_SIZE + off, len);
	}
	struct rahead *ra;
	assert_int_equal(rahead_open(&ra, r, mf, "big.bin", &err), 0);
	for (int i = 0; i < 200; i++) {
		uint64_t off = (uint64_t)rand_r(&seed) % n;
		size_t len = 1 + (size_t)rand_r(&seed) % 9000, exp = n - off < len ? n - off : len;
		assert_int_equal(rahead_pread(ra, buf, len, off, &err), (ssize_t)exp);
		assert_memory_equal(buf, data + off, exp);
	}
	rahead_close(ra);

	/* Whole chunks are decompressed for reads front to back only: not for
	 * a reader at random places whose read lands near the last one now and
	 * then (the third below), but once two reads in a row follow on. */
	assert_int_equal(rahead_open(&ra, r, mf, "big.bin", &err), 0);
	for (int i = 0; i < 5000 && rahead_loads(ra) < 1; i++)
		usleep(1000);	/* the first chunk, loaded when it opens */
	assert_int_equal(rahead_loads(ra), 1);
	const uint64_t away[] = { 2 * CHUNK_SIZE + 100, CHUNK_SIZE + 5000, CHUNK_SIZE + 5000 + 4096 + 60000,
				  3 * CHUNK_SIZE + 10 };
	for (size_t i = 0; i < sizeof(away) / sizeof(away[0]); i++) {
		assert_int_equal(rahead_pread(ra, buf, 4096, away[i], &err), 4096);
		assert_memory_equal(buf, data + away[i], 4096);
	}
	assert_int_equal(rahead_loads(ra), 1);
	for (uint64_t off = CHUNK_SIZE + 1000; off < CHUNK_SIZE + 1000 + 3 * 4096; off += 4096) {
		assert_int_equal(rahead_pread(ra, buf, 4096, off, &err), 4096);
		assert_memory_equal(buf, data + off, 4096);
	}
	assert_true(rahead_loads(ra) >= 2);
	rahead_close(ra);

	/* damage part 5 of chunk 1 */
	assert_int_equal(catalog_chunk_find(repo_catalog(r), &mf->chunks[1].id, &loc, &err), 0);
	char pn[PACK_NAME_MAX];
	pack_name(&loc.pack, pn);
	snprintf(path, sizeof(path), "%s/%s", repo, pn);
	uint64_t at = loc.off + loc.parts.end[4] + (loc.parts.end[5] - loc.parts.end[4]) / 2;
	int fd = open(path, O_RDWR);
	uint8_t b;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
	assert_int_equal(repo_read_range(rr, &mf->chunks[1].id, CHUNK_SIZE, 5 * CHUNK_PART + 10, 100, buf, &err), -EIO);
	assert_non_null(strstr(err.msg, "part 5"));
	assert_non_null(strstr(err.msg, pn));
	assert_int_equal(repo_read_range(rr, &mf->chunks[1].id, CHUNK_SIZE, 6 * CHUNK_PART, 100, buf, &err), 0);
	assert_memory_equal(buf, data + CHUNK_SIZE + 6 * CHUNK_PART, 100);
	assert_int_equal(repo_read_chunk(rr, &mf->chunks[1].id, CHUNK_SIZE, whole, &err), -EIO);
	assert_int_equal(rahead_open(&ra, r, mf, "big.bin", &err), 0);
	assert_int_equal(rahead_pread(ra, buf, 10, CHUNK_SIZE + 5 * CHUNK_PART + 77, &err), -EIO);
	assert_non_null(strstr(err.msg, "big.bin"));
	assert_int_equal(rahead_pread(ra, buf, 10, 3 * CHUNK_SIZE + 77, &err), 10);
	rahead_close(ra);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
	close(fd);
	repo_reader_free(rr);
	repo_manifest_release(r, m);
	repo_close(r);
	free(data);
	free(buf);
	free(whole);
}

static int count_object(void *ctx, const char *name, uint64_t size)
{
	(void)name, (void)size;
	(*(int *)ctx)++;
	return 0;
}

/* An ingest writes an index segment every so many new chunks: several for
 * one backup, all of them found again when the catalog is rebuilt. */
static void test_index_every(void **state)
{
	char repo[256], cache[300];
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;
	size_t n = 5 * CHUNK_SIZE + 100;
	uint8_t *data = malloc(n), *buf = malloc(n);
	int segs = 0;

	(void)state;
	assert_true(data && buf);
	xorshift_fill(data, n, 99);
	/* a pack a chunk, a segment every two */
	store_big_bin(repo, sizeof(repo), "segs", data, n, CHUNK_SIZE / 2, 2, &res);
	for (int rebuilt = 0; rebuilt < 2; rebuilt++) {
		assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
		if (!rebuilt) {
			assert_int_equal(backend_list(repo_backend(r), "index", count_object, &segs, &err), 0);
			assert_int_equal(segs, 3);
		}
		const struct manifest *m;
		const struct mf_file *mf = big_bin_of(r, &res, &m);
		struct rahead *ra;
		assert_int_equal(rahead_open(&ra, r, mf, "big.bin", &err), 0);
		assert_int_equal(rahead_pread(ra, buf, n, 0, &err), (ssize_t)n);
		assert_memory_equal(buf, data, n);
		rahead_close(ra);
		repo_manifest_release(r, m);
		repo_close(r);
		snprintf(cache, sizeof(cache), "%s/cache", repo);
		tl_rm_rf(cache);
	}
	free(data);
	free(buf);
}

/* The pool of decompressed chunks: what it keeps it gives back exactly,
 * within its bound, least recently used first out. */
static void test_chunkpool(void **state)
{
	struct chunkpool *p;
	static uint8_t a[1000], b[1000], out[1000];
	struct chunk_id ia, ib, ic;
	uint64_t hits, misses;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	chunk_id_of(&ia, a, sizeof(a));
	chunk_id_of(&ib, b, sizeof(b));
	chunk_id_of(&ic, "c", 1);
	assert_int_equal(chunkpool_new(&p, 2000), 0);
	assert_false(chunkpool_get(p, &ia, sizeof(a), out));
	chunkpool_put(p, &ia, a, sizeof(a), false);
	chunkpool_put(p, &ia, a, sizeof(a), false);	/* twice: kept once */
	assert_true(chunkpool_get(p, &ia, sizeof(a), out));
	assert_memory_equal(out, a, sizeof(a));
	assert_false(chunkpool_get(p, &ia, 999, out));	/* another length: not the same chunk */
	memset(out, 0, sizeof(out));
	assert_true(chunkpool_get_range(p, &ia, sizeof(a), 990, 10, out));	/* a piece of it */
	assert_memory_equal(out, a, 10);
	assert_false(chunkpool_get_range(p, &ia, sizeof(a), 995, 10, out));	/* past its end */
	chunkpool_put(p, &ib, b, sizeof(b), false);
	assert_true(chunkpool_get(p, &ia, sizeof(a), out));	/* a is now the most recent */
	chunkpool_put(p, &ic, a, sizeof(a), false);	/* over the bound: b goes */
	assert_false(chunkpool_get(p, &ib, sizeof(b), out));
	assert_true(chunkpool_get(p, &ia, sizeof(a), out));
	assert_true(chunkpool_get(p, &ic, sizeof(a), out));
	chunkpool_put(p, &ib, b, 3000, false);	/* larger than the whole pool: not kept */
	assert_false(chunkpool_get(p, &ib, 3000, out));
	chunkpool_stats(p, &hits, &misses);
	assert_int_equal(hits, 5);
	assert_int_equal(misses, 4);
	chunkpool_free(p);

	/* a front-to-back copy: kept while there is room, first to go after,
	 * so that it never pushes out what is in use (a, c) */
	struct chunk_id stream[4];
	assert_int_equal(chunkpool_new(&p, 2600), 0);
	chunkpool_put(p, &ia, a, sizeof(a), false);
	chunkpool_put(p, &ic, a, sizeof(a), false);
	for (int i = 0; i < 4; i++) {
		uint8_t x[500];
		memset(x, 'x' + i, sizeof(x));
		chunk_id_of(&stream[i], x, sizeof(x));
		chunkpool_put(p, &stream[i], x, sizeof(x), true);
		assert_true(chunkpool_get(p, &ia, sizeof(a), out));
		assert_true(chunkpool_get(p, &ic, sizeof(a), out));
	}
	assert_true(chunkpool_get_range(p, &stream[3], 500, 0, 10, out));	/* the last one fitted */
	for (int i = 0; i < 3; i++)
		assert_false(chunkpool_get_range(p, &stream[i], 500, 0, 10, out));
	chunkpool_free(p);
	/* room for all: every streamed chunk stays; one read again is in use */
	assert_int_equal(chunkpool_new(&p, 2000), 0);
	chunkpool_put(p, &ia, a, sizeof(a), true);
	chunkpool_put(p, &ib, b, sizeof(b), true);
	assert_true(chunkpool_get(p, &ia, sizeof(a), out));
	chunkpool_put(p, &ic, a, sizeof(a), false);	/* b, not read again, goes */
	assert_false(chunkpool_get(p, &ib, sizeof(b), out));
	assert_true(chunkpool_get(p, &ia, sizeof(a), out));
	chunkpool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_chunk_parts),
		cmocka_unit_test(test_ingest_restore),
		cmocka_unit_test(test_unparsed),
		cmocka_unit_test(test_catalog_rebuild),
		cmocka_unit_test(test_forget_prune),
		cmocka_unit_test(test_restore_filter_and_system),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_instant),
		cmocka_unit_test(test_rahead),
		cmocka_unit_test(test_rahead_one_chunk),
		cmocka_unit_test(test_backups_held),
		cmocka_unit_test(test_read_parts),
		cmocka_unit_test(test_index_every),
		cmocka_unit_test(test_chunkpool),
	};
	return cmocka_run_group_tests_name("repo", tests, setup, teardown);
}
