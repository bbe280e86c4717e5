/* pitfs gen: a generated cluster's files hold what its truth says, the same
 * arguments give the same bytes, the layout is Cassandra's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/cql/schema.h"
#include "core/gen/gen.h"
#include "core/sstable/reader.h"
#include "core/util/instant.h"
#include "core/util/sbuf.h"
#include "tests/lib/testlib.h"

static char dir1[64], dir2[64];
static struct tl_json *cluster;

static const char *tables[][2] = { { "shop", "customers" }, { "shop", "orders" }, { "shop", "page_views" },
				   { "metrics", "readings" } };

static int gen_into(char *dir, uint64_t seed)
{
	/* clients' clocks up to 40 minutes apart: writes land well before the
	 * instants of the truth written while the simulation goes on, which must
	 * still count them */
	struct gen_opts o = { .outdir = dir, .nodes = 3, .rf = 3, .size = 1u << 20, .seed = seed, .miss = 0.05,
			      .skew_us = 2400000000ll };
	struct gen_summary sum;
	struct pit_err err = { 0 };
	int rc = gen_run(&o, &sum, &err);
	if (rc < 0)
		printf("# gen: %s\n", err.msg);
	else
		printf("# generated %llu writes, %llu flushes, %llu compactions, %d snapshots\n",
		       (unsigned long long)sum.writes, (unsigned long long)sum.flushes,
		       (unsigned long long)sum.compactions, sum.snapshots);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir1, sizeof(dir1), "/tmp/pitfs-gen-XXXXXX");
	if (!mkdtemp(dir1) || gen_into(dir1, 11) < 0)
		return -1;
	char path[128];
	size_t n;
	snprintf(path, sizeof(path), "%s/cluster.json", dir1);
	char *text = tl_read_file(path, &n);
	cluster = text ? tl_json_parse(text, n) : NULL;
	free(text);
	return cluster ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];
	(void)state;
	tl_json_free(cluster);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir1, dir2[0] ? dir2 : "");
	return system(cmd) == 0 ? 0 : -1;
}

/* The table directory of a node: <node>/data/<ks>/<table>-<id>. */
static void table_dir(const char *node, const char *ks, const char *t, char *out, size_t cap)
{
	char base[256];
	snprintf(base, sizeof(base), "%s/%s/data/%s", dir1, node, ks);
	DIR *d = opendir(base);
	struct dirent *e;
	out[0] = '\0';
	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, t, strlen(t)) && e->d_name[strlen(t)] == '-' && strlen(e->d_name + strlen(t) + 1) == 32)
			snprintf(out, cap, "%s/%s", base, e->d_name);
	closedir(d);
	assert_true(out[0]);
}

static void compare(const char *const *dirs, int n, const char *ks, const char *t, int64_t at, const char *truth_file)
{
	struct sbuf got;
	struct pit_err err = { 0 };
	size_t wn;
	char *want = tl_read_file(truth_file, &wn);

	assert_non_null(want);
	sbuf_init(&got);
	if (gen_render_files(dirs, n, ks, t, at, &got, &err) < 0)
		fail_msg("%s", err.msg);
	if (!tl_jsonl_same(want, wn, got.buf ? got.buf : "", got.len, truth_file))
		fail_msg("%s: the files do not hold the truth", truth_file);
	sbuf_release(&got);
	free(want);
}

static void test_layout(void **state)
{
	const struct tl_json *nodes = tl_json_get(cluster, "nodes"), *snaps = tl_json_get(cluster, "snapshots");
	(void)state;
	assert_int_equal(nodes->n, 3);
	assert_int_equal(snaps->n, 3);
	assert_int_equal(tl_json_get(cluster, "truth")->n, 6);
	assert_string_equal(tl_json_get(nodes->v[0], "data_dir")->s, "node1/data");
	assert_int_equal(tl_json_get(nodes->v[0], "tokens")->n, 8);
	const char *tag = tl_json_get(snaps->v[2], "tag")->s;
	for (size_t i = 0; i < nodes->n; i++)
		for (int t = 0; t < 4; t++) {
			char td[512], p[1024];
			struct stat st;
			table_dir(tl_json_get(nodes->v[i], "name")->s, tables[t][0], tables[t][1], td, sizeof(td));
			snprintf(p, sizeof(p), "%s/snapshots/%s/manifest.json", td, tag);
			size_t n;
			char *m = tl_read_file(p, &n);
			assert_non_null(m);
			struct tl_json *mj = tl_json_parse(m, n);
			assert_non_null(mj);
			assert_non_null(tl_json_get(mj, "files"));
			assert_string_equal(tl_json_get(mj, "created_at")->s, tl_json_get(snaps->v[2], "instant")->s);
			for (size_t f = 0; f < tl_json_get(mj, "files")->n; f++) {
				snprintf(p, sizeof(p), "%s/snapshots/%s/%s", td, tag, tl_json_get(mj, "files")->v[f]->s);
				assert_int_equal(stat(p, &st), 0);
			}
			tl_json_free(mj);
			free(m);
			snprintf(p, sizeof(p), "%s/snapshots/%s/schema.cql", td, tag);
			struct cql_schema *sch = NULL;
			struct pit_err err = { 0 };
			assert_int_equal(cql_schema_load(&sch, p, &err), 0);
			assert_string_equal(cql_table_name(cql_schema_table(sch, cql_schema_ntables(sch) - 1)), tables[t][1]);
			cql_schema_free(sch);
			snprintf(p, sizeof(p), "%s/backups", td);
			assert_int_equal(stat(p, &st), 0);
		}
	/* every SSTable written opens and checks out */
	char **files;
	int n = tl_find(dir1, "-Data.db", &files), ok = 0;
	for (int i = 0; i < n; i++) {
		struct sst *s = NULL;
		struct pit_err err = { 0 };
		struct stat st;
		if (sst_open_path(&s, files[i], &err) < 0 || sst_verify_digest(s, &err) < 0 || sst_verify_chunks(s, &err) < 0)
			fail_msg("%s: %s", files[i], err.msg);
		assert_int_equal(stat(files[i], &st), 0);
		assert_true(st.st_mtime >= 1793491200);	/* simulated time, 2026-11-01 on */
		sst_close(s);
		ok++;
	}
	printf("# %d SSTable files (snapshots and backups included) verified\n", ok);
	assert_true(ok > 50);
	tl_free_list(files, n);
}

/* Every node's flushed SSTables (its incremental backups) hold its truth at
 * every instant, and all of them together the cluster's. */
static void test_files_hold_the_truth(void **state)
{
	const struct tl_json *nodes = tl_json_get(cluster, "nodes"), *truth = tl_json_get(cluster, "truth");
	(void)state;
	for (size_t k = 0; k < truth->n; k++) {
		int64_t at;
		assert_int_equal(instant_parse(tl_json_get(truth->v[k], "instant")->s, &at, NULL), 0);
		for (int t = 0; t < 4; t++) {
			char td[3][512], bk[3][600], path[1024];
			const char *dirs[3];
			for (size_t i = 0; i < nodes->n; i++) {
				const char *node = tl_json_get(nodes->v[i], "name")->s;
				table_dir(node, tables[t][0], tables[t][1], td[i], sizeof(td[i]));
				snprintf(bk[i], sizeof(bk[i]), "%s/backups", td[i]);
				dirs[i] = bk[i];
				snprintf(path, sizeof(path), "%s/%s/nodes/%s/%s/%s.jsonl", dir1,
					 tl_json_get(truth->v[k], "dir")->s, node, tables[t][0], tables[t][1]);
				compare(&dirs[i], 1, tables[t][0], tables[t][1], at, path);
			}
			snprintf(path, sizeof(path), "%s/%s/%s/%s.jsonl", dir1, tl_json_get(truth->v[k], "dir")->s,
				 tables[t][0], tables[t][1]);
			compare(dirs, 3, tables[t][0], tables[t][1], at, path);
		}
	}
}

/* The last snapshot alone, compacted and purged, still holds each node's truth
 * at its instant: compaction dropped only what could no longer matter. */
static void test_snapshot_holds_the_truth(void **state)
{
	const struct tl_json *nodes = tl_json_get(cluster, "nodes"), *snaps = tl_json_get(cluster, "snapshots");
	const char *tag = tl_json_get(snaps->v[2], "tag")->s;
	int64_t at;
	(void)state;
	assert_int_equal(instant_parse(tl_json_get(snaps->v[2], "instant")->s, &at, NULL), 0);
	for (size_t i = 0; i < nodes->n; i++)
		for (int t = 0; t < 4; t++) {
			char td[512], sd[700], path[1024];
			const char *node = tl_json_get(nodes->v[i], "name")->s, *dirs[1] = { sd };
			table_dir(node, tables[t][0], tables[t][1], td, sizeof(td));
			snprintf(sd, sizeof(sd), "%s/snapshots/%s", td, tag);
			snprintf(path, sizeof(path), "%s/truth/6/nodes/%s/%s/%s.jsonl", dir1, node, tables[t][0], tables[t][1]);
			compare(dirs, 1, tables[t][0], tables[t][1], at, path);
		}
}

/* Replicas really diverge: some node misses what another has. */
static void test_replicas_diverge(void **state)
{
	int differ = 0;
	(void)state;
	for (int t = 0; t < 4; t++) {
		char a[512], b[512];
		size_t na, nb;
		snprintf(a, sizeof(a), "%s/truth/6/nodes/node1/%s/%s.jsonl", dir1, tables[t][0], tables[t][1]);
		snprintf(b, sizeof(b), "%s/truth/6/nodes/node2/%s/%s.jsonl", dir1, tables[t][0], tables[t][1]);
		char *x = tl_read_file(a, &na), *y = tl_read_file(b, &nb);
		differ += na != nb || memcmp(x, y, na);
		free(x);
		free(y);
	}
	assert_true(differ > 0);
}

static void test_deterministic(void **state)
{
	char cmd[2048];
	(void)state;
	snprintf(dir2, sizeof(dir2), "/tmp/pitfs-gen-XXXXXX");
	assert_non_null(mkdtemp(dir2));
	assert_int_equal(gen_into(dir2, 11), 0);
	/* every file, its bytes and its mtime */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && find . -type f -printf '%%p %%T@\\n' | sort > ../%s.list && find . -type f | sort | xargs md5sum >> ../%s.list; "
		 "cd %s && find . -type f -printf '%%p %%T@\\n' | sort > ../%s.list && find . -type f | sort | xargs md5sum >> ../%s.list; "
		 "cmp /tmp/%s.list /tmp/%s.list", dir1, dir1 + 5, dir1 + 5, dir2, dir2 + 5, dir2 + 5, dir1 + 5, dir2 + 5);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -f /tmp/%s.list /tmp/%s.list", dir1 + 5, dir2 + 5);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_files_hold_the_truth),
		cmocka_unit_test(test_snapshot_holds_the_truth),
		cmocka_unit_test(test_replicas_diverge),
		cmocka_unit_test(test_deterministic),
	};
	return cmocka_run_group_tests_name("gen", tests, setup, teardown);
}
