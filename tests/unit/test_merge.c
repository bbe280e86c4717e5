/* The merge of every replica's backups at an instant, read through the
 * repository, against the ground truth `pitfs gen` computed from the
 * simulated writes: the whole cluster, and one node alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/ingest.h"
#include "core/repo/repo.h"
#include "core/util/instant.h"
#include "core/util/sbuf.h"
#include "core/view/rows.h"
#include "tests/lib/testlib.h"

static char cluster[64], work[64], tags[3][256];
static const char *nodes[] = { "node1", "node2", "node3" };
static const char *tables[][2] = { { "shop", "customers" }, { "shop", "orders" }, { "shop", "page_views" },
				   { "metrics", "readings" } };
static struct tl_json *cj;

static void ingest(const char *repo, const char *node, const char *tag)
{
	char data[256];
	struct ingest_opts o = { .node = node, .tag = tag, .incremental = !tag };
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;

	snprintf(data, sizeof(data), "%s/%s/data", cluster, node);
	o.source = data;
	if (repo_open(&r, repo, REPO_WRITE, &err) < 0 || ingest_run(r, &o, &res, &err) < 0) {
		printf("# ingest: %s\n", err.msg);
		exit(1);
	}
	repo_close(r);
}

/* One repository with everything, one with node2 alone. */
static int setup(void **state)
{
	char repo[256], path[256];
	struct pit_err err = { 0 };
	size_t n;
	char *text;

	(void)state;
	snprintf(cluster, sizeof(cluster), "/tmp/pitfs-merge-gen-XXXXXX");
	snprintf(work, sizeof(work), "/tmp/pitfs-merge-XXXXXX");
	if (!mkdtemp(work) || tl_gen_cluster(cluster, 3u << 20, 17, tags) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cluster.json", cluster);
	if (!(text = tl_read_file(path, &n)) || !(cj = tl_json_parse(text, n)))
		return -1;
	free(text);
	for (int k = 0; k < 2; k++) {
		snprintf(repo, sizeof(repo), "%s/%s", work, k ? "node2" : "all");
		if (repo_init(repo, 0, 0, &err) < 0)
			return -1;
		for (int i = 0; i < 3; i++) {
			if (k && i != 1)
				continue;
			for (int t = 0; t < 3; t++)
				ingest(repo, nodes[i], tags[t]);
			ingest(repo, nodes[i], NULL);
		}
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tl_json_free(cj);
	tl_rm_rf(cluster);
	tl_rm_rf(work);
	return 0;
}

static int collect(void *ctx, const char *p, size_t n)
{
	sbuf_add(ctx, p, n);
	return 0;
}

/* Every truth instant from the first snapshot on, every table. */
static void against_truth(const char *repo_name, const char *scope)
{
	char repo[256], path[512];
	const struct tl_json *truth = tl_json_get(cj, "truth"), *snaps = tl_json_get(cj, "snapshots");
	int64_t first;
	struct pit_err err = { 0 };
	struct repo *r;
	int compared = 0, rows = 0;

	assert_non_null(truth);
	assert_int_equal(instant_parse(tl_json_get(snaps->v[0], "instant")->s, &first, &err), 0);
	snprintf(repo, sizeof(repo), "%s/%s", work, repo_name);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	for (size_t k = 0; k < truth->n; k++) {
		int64_t at;
		assert_int_equal(instant_parse(tl_json_get(truth->v[k], "instant")->s, &at, &err), 0);
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			struct sbuf got;
			struct view_rows_report rep;
			size_t wn;
			char what[600];
			sbuf_init(&got);
			int rc = view_rows(r, at, tables[t][0], tables[t][1], collect, &got, &rep, &err);
			if (rc < 0)
				printf("# %s\n", err.msg);
			assert_int_equal(rc, 0);
			if (at < first) {	/* no full backup yet: nothing to show */
				assert_int_equal(got.len, 0);
				assert_true(rep.absent_nodes > 0);
				sbuf_release(&got);
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s%s/%s/%s.jsonl", cluster, tl_json_get(truth->v[k], "dir")->s,
				 scope, tables[t][0], tables[t][1]);
			char *want = tl_read_file(path, &wn);
			assert_non_null(want);
			snprintf(what, sizeof(what), "%s.%s at %s (%s)", tables[t][0], tables[t][1],
				 tl_json_get(truth->v[k], "instant")->s, repo_name);
			bool same = tl_jsonl_same(want, wn, got.buf ? got.buf : "", got.len, what);
			for (size_t i = 0; i < wn; i++)
				rows += want[i] == '\n';
			free(want);
			sbuf_release(&got);
			assert_true(same);
			compared++;
		}
	}
	repo_close(r);
	printf("# %s: %d views equal the truth (%d rows)\n", repo_name, compared, rows);
	assert_true(compared >= 8);
}

static void test_cluster(void **state)
{
	(void)state;
	against_truth("all", "");
}

static void test_one_node(void **state)
{
	(void)state;
	against_truth("node2", "/nodes/node2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_one_node),
	};
	return cmocka_run_group_tests_name("merge", tests, setup, teardown);
}
