/* The merge of every replica's backups at an instant, read through the
 * repository, against the ground truth `pitfs gen` computed from the
 * simulated writes: the whole cluster, and one node alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/gen/gen.h"
#include "core/merge/kmerge.h"
#include "core/merge/select.h"
#include "core/repo/ingest.h"
#include "core/repo/pack.h"
#include "core/repo/manifest.h"
#include "core/repo/repo.h"
#include "core/repo/catalog.h"
#include "core/util/instant.h"
#include "core/util/sbuf.h"
#include "core/view/render_jsonl.h"
#include "core/view/rows.h"
#include "core/view/tree.h"
#include "core/view/vfile.h"
#include "tests/lib/testlib.h"

/* A: 3 nodes, few misses. B: 5 nodes at RF 3, a third of the replicas
 * missing each write, client clocks 3 s apart. */
static char clusters[2][64], work[64], tags[2][3][256];
static const char *nodes[] = { "node1", "node2", "node3", "node4", "node5" };
static const int nnodes[2] = { 3, 5 };
static const char *tables[][2] = { { "shop", "customers" }, { "shop", "orders" }, { "shop", "page_views" },
				   { "metrics", "readings" } };
static struct tl_json *cj[2];

static void ingest(int c, const char *repo, const char *node, const char *tag)
{
	char data[256];
	struct ingest_opts o = { .node = node, .tag = tag, .incremental = !tag };
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r;

	snprintf(data, sizeof(data), "%s/%s/data", clusters[c], node);
	o.source = data;
	if (repo_open(&r, repo, REPO_WRITE, &err) < 0 || ingest_run(r, &o, &res, &err) < 0) {
		printf("# ingest: %s\n", err.msg);
		exit(1);
	}
	repo_close(r);
}

/* Per cluster one repository with everything, one with node2 alone. */
static int setup(void **state)
{
	struct gen_opts go[2] = {
		{ .nodes = 3, .rf = 3, .size = 3u << 20, .seed = 17, .miss = 0.05, .skew_us = 2000 },
		{ .nodes = 5, .rf = 3, .size = 4u << 20, .seed = 23, .miss = 0.33, .skew_us = 3000000 },
	};
	char repo[256], path[256];
	struct pit_err err = { 0 };
	size_t n;
	char *text;

	(void)state;
	/* make check-long: clusters twenty times the size */
	if (getenv("PITFS_LONG") && *getenv("PITFS_LONG")) {
		go[0].size *= 20;
		go[1].size *= 20;
		printf("# long run: clusters of %llu and %llu MiB\n", (unsigned long long)(go[0].size >> 20),
		       (unsigned long long)(go[1].size >> 20));
	}
	snprintf(work, sizeof(work), "/tmp/pitfs-merge-XXXXXX");
	if (!mkdtemp(work))
		return -1;
	for (int c = 0; c < 2; c++) {
		snprintf(clusters[c], sizeof(clusters[c]), "/tmp/pitfs-merge-gen-XXXXXX");
		if (tl_gen_cluster_opts(clusters[c], &go[c], tags[c]) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/cluster.json", clusters[c]);
		if (!(text = tl_read_file(path, &n)) || !(cj[c] = tl_json_parse(text, n)))
			return -1;
		free(text);
		for (int k = 0; k < 2; k++) {
			snprintf(repo, sizeof(repo), "%s/%c-%s", work, 'A' + c, k ? "node2" : "all");
			if (repo_init(repo, 0, 0, &err) < 0)
				return -1;
			for (int i = 0; i < nnodes[c]; i++) {
				if (k && i != 1)
					continue;
				for (int t = 0; t < 3; t++)
					ingest(c, repo, nodes[i], tags[c][t]);
				ingest(c, repo, nodes[i], NULL);
			}
		}
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int c = 0; c < 2; c++) {
		tl_json_free(cj[c]);
		tl_rm_rf(clusters[c]);
	}
	tl_rm_rf(work);
	return 0;
}

static int collect(void *ctx, const char *p, size_t n)
{
	sbuf_add(ctx, p, n);
	return 0;
}

/* Every truth instant from the first snapshot on, every table. */
static void against_truth(int c, const char *repo_name, const char *scope)
{
	char repo[256], path[512];
	const struct tl_json *truth = tl_json_get(cj[c], "truth"), *snaps = tl_json_get(cj[c], "snapshots");
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
			snprintf(path, sizeof(path), "%s/%s%s/%s/%s.jsonl", clusters[c], tl_json_get(truth->v[k], "dir")->s,
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

/* Counts per column of the rows that hold a value. */
struct colcount {
	char name[64];
	int n;
};

static void count_line(struct colcount *cc, int *ncc, const struct tl_json *obj)
{
	for (size_t i = 0; obj && i < obj->n; i++) {
		if (obj->v[i]->kind == TJ_NULL)
			continue;
		int k = 0;
		while (k < *ncc && strcmp(cc[k].name, obj->k[i]))
			k++;
		if (k == *ncc) {
			snprintf(cc[k].name, sizeof(cc[k].name), "%s", obj->k[i]);
			cc[k].n = 0;
			(*ncc)++;
		}
		cc[k].n++;
	}
}

static void count_lines(const char *text, size_t n, bool truth, struct colcount *cc, int *ncc, int *rows)
{
	const char *p = text, *end = text + n;

	*ncc = *rows = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct tl_json *j = tl_json_parse(p, len);
		assert_non_null(j);
		if (truth) {	/* {"pk": {..}, "ck": {..}, "cells": {..}} */
			count_line(cc, ncc, tl_json_get(j, "pk"));
			count_line(cc, ncc, tl_json_get(j, "ck"));
			count_line(cc, ncc, tl_json_get(j, "cells"));
		} else {
			count_line(cc, ncc, j);
		}
		tl_json_free(j);
		(*rows)++;
		p += len + 1;
	}
}

/* data.jsonl at every truth instant: one valid JSON object per live row,
 * and per column as many values as the truth has. */
static void test_jsonl(void **state)
{
	char repo[256], path[512];
	const struct tl_json *truth = tl_json_get(cj[0], "truth"), *snaps = tl_json_get(cj[0], "snapshots");
	struct pit_err err = { 0 };
	struct repo *r;
	int64_t first;
	int checked = 0;

	(void)state;
	assert_int_equal(instant_parse(tl_json_get(snaps->v[0], "instant")->s, &first, &err), 0);
	snprintf(repo, sizeof(repo), "%s/A-all", work);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	for (size_t k = 0; k < truth->n; k++) {
		int64_t at;
		assert_int_equal(instant_parse(tl_json_get(truth->v[k], "instant")->s, &at, &err), 0);
		if (at < first)
			continue;
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			struct sbuf got;
			struct view_rows_report rep;
			struct colcount a[64], b[64];
			int na, nb, ra, rb;
			size_t wn;
			sbuf_init(&got);
			assert_int_equal(view_render(r, at, tables[t][0], tables[t][1], VIEW_JSONL, collect, &got, &rep, &err), 0);
			snprintf(path, sizeof(path), "%s/%s/%s/%s.jsonl", clusters[0], tl_json_get(truth->v[k], "dir")->s,
				 tables[t][0], tables[t][1]);
			char *want = tl_read_file(path, &wn);
			assert_non_null(want);
			count_lines(want, wn, true, a, &na, &ra);
			count_lines(got.buf ? got.buf : "", got.len, false, b, &nb, &rb);
			assert_int_equal(ra, rb);
			assert_int_equal(na, nb);
			for (int i = 0; i < na; i++) {
				int j = 0;
				while (j < nb && strcmp(a[i].name, b[j].name))
					j++;
				assert_true(j < nb);
				if (a[i].n != b[j].n)
					printf("# %s.%s column %s: %d values in the truth, %d in data.jsonl\n", tables[t][0],
					       tables[t][1], a[i].name, a[i].n, b[j].n);
				assert_int_equal(a[i].n, b[j].n);
			}
			free(want);
			sbuf_release(&got);
			checked++;
		}
	}
	repo_close(r);
	printf("# %d data.jsonl views checked against the truth\n", checked);
}

/* The top-level elements of a cqlsh collection, UDT or tuple rendering. */
static size_t cqlsh_elements(const char *s)
{
	size_t n = 0, depth = 0;
	bool quoted = false, any = false;

	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			quoted = !quoted;
		} else if (!quoted && strchr("[{(", *p)) {
			depth++;
		} else if (!quoted && strchr("]})", *p)) {
			depth--;
		} else if (!quoted && depth == 1 && *p == ',') {
			n++;
		}
		if (depth == 1 && !strchr("[{( ", *p))
			any = true;
	}
	return any ? n + 1 : 0;
}

/* One data.csv field against the same column of data.jsonl's row. */
static bool csv_field_matches(const char *f, const struct tl_json *j)
{
	char want[512];

	switch (j->kind) {
	case TJ_NULL:
		return !*f;
	case TJ_BOOL:
		return !strcmp(f, j->b ? "True" : "False");
	case TJ_NUM: {
		double a = strtod(f, NULL), b = strtod(j->s, NULL);
		return *f && fabs(a - b) <= 1e-5 * fmax(1.0, fabs(b));
	}
	case TJ_STR: {
		size_t n = strlen(j->s), k = 0;
		/* a timestamp: SELECT JSON ends it with Z, cqlsh with +0000 */
		if (n == 24 && j->s[10] == ' ' && j->s[19] == '.' && j->s[23] == 'Z') {
			snprintf(want, sizeof(want), "%.23s+0000", j->s);
			return !strcmp(f, want);
		}
		for (size_t i = 0; i < n && k + 2 < sizeof(want); i++) {
			if (j->s[i] == '\\')
				want[k++] = '\\';
			want[k++] = j->s[i];
		}
		want[k] = '\0';
		return !strcmp(f, want);
	}
	case TJ_ARR:
	case TJ_OBJ:
		return strchr("[{(", f[0]) && cqlsh_elements(f) == j->n;
	}
	return false;
}

/* data.csv parsed back as a CSV reader reads it: the columns of data.jsonl
 * and, row by row, the same values (text equal, numbers equal to the
 * precision cqlsh prints, collections with as many elements). */
static void test_csv(void **state)
{
	char repo[256];
	const struct tl_json *truth = tl_json_get(cj[1], "truth"), *snaps = tl_json_get(cj[1], "snapshots");
	struct pit_err err = { 0 };
	struct repo *r;
	int64_t first;
	size_t rows = 0, fields = 0;

	(void)state;
	assert_int_equal(instant_parse(tl_json_get(snaps->v[0], "instant")->s, &first, &err), 0);
	snprintf(repo, sizeof(repo), "%s/B-all", work);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	for (size_t k = 0; k < truth->n; k++) {
		int64_t at;
		assert_int_equal(instant_parse(tl_json_get(truth->v[k], "instant")->s, &at, &err), 0);
		if (at < first)
			continue;
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			struct sbuf csv, jl;
			struct view_rows_report rep;
			char **head, **rec;
			size_t nh, nr;
			sbuf_init(&csv);
			sbuf_init(&jl);
			assert_int_equal(view_render(r, at, tables[t][0], tables[t][1], VIEW_CSV, collect, &csv, &rep, &err), 0);
			assert_int_equal(view_render(r, at, tables[t][0], tables[t][1], VIEW_JSONL, collect, &jl, &rep, &err), 0);
			const char *p = csv.buf, *end = csv.buf + csv.len, *jp = jl.buf ? jl.buf : "", *jend = jp + jl.len;
			assert_non_null(p = tl_csv_record(p, end, &head, &nh));
			while (p < end) {
				assert_non_null(p = tl_csv_record(p, end, &rec, &nr));
				assert_int_equal(nr, nh);
				const char *nl = memchr(jp, '\n', (size_t)(jend - jp));
				assert_non_null(nl);
				struct tl_json *j = tl_json_parse(jp, (size_t)(nl - jp));
				assert_non_null(j);
				assert_int_equal(j->n, nh);
				for (size_t i = 0; i < nh; i++) {
					const struct tl_json *v = tl_json_get(j, head[i]);
					assert_non_null(v);
					if (!csv_field_matches(rec[i], v)) {
						printf("# %s.%s column %s: data.csv has \"%s\", data.jsonl %s\n", tables[t][0],
						       tables[t][1], head[i], rec[i], v->s ? v->s : "(a non-string)");
						fail();
					}
					fields++;
				}
				tl_json_free(j);
				tl_csv_free(rec, nr);
				jp = nl + 1;
				rows++;
			}
			assert_ptr_equal(jp, jend);	/* as many rows */
			tl_csv_free(head, nh);
			sbuf_release(&csv);
			sbuf_release(&jl);
		}
	}
	repo_close(r);
	printf("# data.csv read back: %zu rows, %zu fields equal data.jsonl's\n", rows, fields);
	assert_true(rows > 100);
}

static int first_name(void *ctx, const char *name, bool is_dir, uint64_t size)
{
	struct sbuf *sb = ctx;

	(void)is_dir, (void)size;
	if (!sb->len)
		sbuf_adds(sb, name);
	return 0;
}

/* ---- vfile: the files of the namespace read at any offset ---- */

struct vreader {
	struct vfile *f;
	const char *want;
	size_t n;
	unsigned seed;
	int bad;
};

static void *vreader_main(void *arg)
{
	struct vreader *v = arg;
	char buf[70000];
	struct pit_err err = { 0 };

	/* check-long's larger clusters: each restart opens many more SSTables */
	int reads = getenv("PITFS_LONG") ? 8 : 40;
	for (int i = 0; i < reads; i++) {
		uint64_t off = (uint64_t)rand_r(&v->seed) % (v->n + 100);
		size_t len = 1 + (size_t)rand_r(&v->seed) % sizeof(buf);
		ssize_t got = vfile_pread(v->f, buf, len, off, &err);
		size_t exp = off >= v->n ? 0 : v->n - off < len ? v->n - off : len;
		if (got != (ssize_t)exp || (exp && memcmp(buf, v->want + off, exp)))
			v->bad++;
	}
	return NULL;
}

/* A rendered file and an original one: front to back in one rendering,
 * then at random offsets from 8 threads at once, always tree_read's bytes. */
static void test_vfile(void **state)
{
	char repo[256];
	struct pit_err err = { 0 };
	struct repo *r;
	const char *paths[] = { "/at/latest/shop/orders/data.cql", NULL, NULL };
	char raw[1024];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/B-all", work);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(repo_keep_chunks(r, 8u << 20, &err), 0);	/* as the mount does */
	struct backup_list l = { 0 };
	assert_int_equal(catalog_backup_list(repo_catalog(r), &l, &err), 0);
	const struct manifest *m;
	assert_int_equal(repo_manifest(r, &l.v[0].id, &m, &err), 0);
	size_t big = 0;
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].size > m->files[big].size)
			big = i;
	struct tree_node bn;
	assert_int_equal(tree_resolve(r, "/nodes", &bn, &err), 0);
	struct sbuf name;
	sbuf_init(&name);
	/* the backup's directory name, as tree_list gives it */
	struct tree_node nn;
	char nodepath[300];
	snprintf(nodepath, sizeof(nodepath), "/nodes/%s", l.v[0].node);
	assert_int_equal(tree_resolve(r, nodepath, &nn, &err), 0);
	assert_int_equal(tree_list(r, &nn, first_name, &name, &err), 0);
	snprintf(raw, sizeof(raw), "%s/%s/%s", nodepath, name.buf, m->files[big].path);
	paths[1] = raw;
	sbuf_release(&name);
	repo_manifest_release(r, m);
	backup_list_release(&l);

	/* the rendered file once more, rendered by threads in runs */
	for (int p = 0; p < 3; p++) {
		struct tree_node n;
		struct sbuf want;
		struct vfile *f;
		char buf[131072];
		sbuf_init(&want);
		if (p == 2) {
			paths[2] = paths[0];
			view_render_threads(2, 0);
		}
		assert_int_equal(tree_resolve(r, paths[p], &n, &err), 0);
		assert_int_equal(tree_read(r, &n, collect, &want, &err), 0);
		/* kept for the next opens, through /at/latest too */
		assert_true(tree_size_known(r, &n));
		/* a window of 256 KiB: random reads make the renderer restart */
		assert_int_equal(vfile_open_window(&f, r, &n, paths[p], 256 << 10, &err), 0);
		assert_int_equal(vfile_size(f), want.len);
		size_t off = 0;
		ssize_t got;
		while ((got = vfile_pread(f, buf, sizeof(buf), off, &err)) > 0) {
			assert_memory_equal(buf, want.buf + off, (size_t)got);
			off += (size_t)got;
		}
		assert_int_equal(got, 0);
		assert_int_equal(off, want.len);
		if (p != 1)
			assert_int_equal(vfile_renderings(f), 1);	/* front to back: one */
		pthread_t th[8];
		struct vreader v[8];
		for (int i = 0; i < 8; i++) {
			v[i] = (struct vreader){ f, want.buf, want.len, (unsigned)(i * 7 + p), 0 };
			assert_int_equal(pthread_create(&th[i], NULL, vreader_main, &v[i]), 0);
		}
		int bad = 0;
		for (int i = 0; i < 8; i++) {
			pthread_join(th[i], NULL);
			bad += v[i].bad;
		}
		printf("# %s: %zu bytes, %u renderings for %d random reads\n", paths[p], want.len,
		       vfile_renderings(f), getenv("PITFS_LONG") ? 64 : 320);
		assert_int_equal(bad, 0);
		assert_true(p == 1 || vfile_renderings(f) > 1);
		vfile_close(f);
		sbuf_release(&want);
	}
	view_render_threads(0, 32u << 20);
	repo_close(r);
}

/* The repository of every backup, and its newest instant. */
static int64_t open_all(struct repo **r)
{
	char repo[256];
	struct pit_err err = { 0 };
	struct backup_list l = { 0 };

	snprintf(repo, sizeof(repo), "%s/B-all", work);
	assert_int_equal(repo_open(r, repo, REPO_READ, &err), 0);
	assert_int_equal(catalog_backup_list(repo_catalog(*r), &l, &err), 0);
	int64_t at = l.v[l.n - 1].instant_us;
	backup_list_release(&l);
	return at;
}

/* Rendering from every checkpoint gives exactly the rest of the file, for
 * every format that has checkpoints, on the 5-node divergent cluster. */
static void test_checkpoints(void **state)
{
	struct pit_err err = { 0 };
	struct repo *r;
	const enum view_format fmts[] = { VIEW_CSV, VIEW_JSONL, VIEW_CQL, VIEW_NOW_CQL };
	int resumed = 0;

	(void)state;
	int64_t at = open_all(&r);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
			struct view_ckpts ck = { .interval = 16384 };
			struct view_rows_report rep;
			struct sbuf full;
			sbuf_init(&full);
			assert_int_equal(view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], NULL, 0, &ck, collect,
							&full, &rep, &err), 0);
			assert_true(ck.n >= 2 || full.len < 5 * 16384);
			/* every checkpoint of small files; of large ones 24 (6 in
			 * check-long) spread over the file, the last included */
			size_t most = getenv("PITFS_LONG") ? 6 : 24;
			size_t step = ck.n > most ? (ck.n + most - 1) / most : 1;
			for (size_t k = 0; k < ck.n; k = k + step < ck.n || k == ck.n - 1 ? k + step : ck.n - 1) {
				const uint64_t *rec = ck.v + k * (1 + ck.nsrc);
				struct sbuf tail;
				sbuf_init(&tail);
				assert_true(rec[0] < full.len && (k == 0 || rec[0] > rec[-(ptrdiff_t)(1 + ck.nsrc)]));
				int rc = view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], &ck, k, NULL, collect,
							&tail, &rep, &err);
				if (rc < 0)
					printf("# %s\n", err.msg);
				assert_int_equal(rc, 0);
				assert_int_equal(tail.len, full.len - rec[0]);
				assert_memory_equal(tail.buf, full.buf + rec[0], tail.len);
				sbuf_release(&tail);
				resumed++;
			}
			/* checkpoints of other SSTables are refused, not misread: the
			 * same count but another set, then another count */
			if (ck.n) {
				struct view_ckpts other = ck;
				other.sources.b[0] ^= 1;
				assert_int_equal(view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], &other, 0, NULL,
								collect, &full, &rep, &err), -ESTALE);
				other = ck;
				other.nsrc++;
				assert_int_equal(view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], &other, 0, NULL,
								collect, &full, &rep, &err), -ESTALE);
				/* and they survive the cache's encoding */
				struct sbuf enc;
				struct view_ckpts back = { 0 };
				sbuf_init(&enc);
				view_ckpts_encode(&ck, &enc);
				assert_int_equal(view_ckpts_decode(&back, enc.buf, enc.len), 0);
				assert_int_equal(back.n, ck.n);
				assert_memory_equal(back.v, ck.v, ck.n * (1 + ck.nsrc) * sizeof(*ck.v));
				assert_int_equal(view_ckpts_decode(&back, enc.buf, enc.len - 1), -EBADMSG);
				view_ckpts_release(&back);
				sbuf_release(&enc);
			}
			/* none at all (a small file) encodes and decodes too */
			struct view_ckpts none = { .nsrc = 3 }, back2 = { 0 };
			struct sbuf e2;
			sbuf_init(&e2);
			view_ckpts_encode(&none, &e2);
			assert_int_equal(view_ckpts_decode(&back2, e2.buf, e2.len), 0);
			assert_int_equal(back2.n, 0);
			view_ckpts_release(&back2);
			sbuf_release(&e2);
			view_ckpts_release(&ck);
			sbuf_release(&full);
		}
	repo_close(r);
	printf("# %d renderings from checkpoints equal the rest of the full rendering\n", resumed);
	assert_true(resumed > (getenv("PITFS_LONG") ? 40 : 100));
}

/* conflicts.jsonl: nothing for one node alone; for replicas that missed a
 * third of the writes, disagreements, each a JSON object with a winner. */
/* Whole files rendered by several threads, each a run of partitions, are
 * the bytes of one thread, and their checkpoints (one more at each run's
 * start) resume as any others do; a write that fails stops them all. */
static int fail_after(void *ctx, const char *p, size_t n)
{
	size_t *left = ctx;

	(void)p;
	if (n > *left)
		return -1;
	*left -= n;
	return 0;
}

static void test_parallel(void **state)
{
	struct pit_err err = { 0 };
	struct repo *r;
	const enum view_format fmts[] = { VIEW_CSV, VIEW_JSONL, VIEW_CQL, VIEW_NOW_CQL };
	int split = 0, resumed = 0, split_resumed = 0;

	(void)state;
	int64_t at = open_all(&r);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
			struct view_rows_report rep;
			struct sbuf one, many;
			sbuf_init(&one);
			sbuf_init(&many);
			view_render_threads(1, 0);
			assert_int_equal(view_render(r, at, tables[t][0], tables[t][1], fmts[f], collect, &one, &rep, &err), 0);
			assert_int_equal(rep.segments, 0);
			for (unsigned th = 2; th <= 3; th++) {
				struct view_ckpts ck = { .interval = 16384 };
				view_render_threads(th, 0);
				sbuf_reset(&many);
				assert_int_equal(view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], NULL, 0, &ck, collect,
								&many, &rep, &err), 0);
				assert_int_equal(many.len, one.len);
				assert_memory_equal(many.buf, one.buf, one.len);
				split += rep.segments > 1;
				/* a few checkpoints spread over the file */
				size_t step = ck.n > 6 ? ck.n / 6 : 1;
				for (size_t k = 0; k < ck.n; k += step) {
					const uint64_t *rec = ck.v + k * (1 + ck.nsrc);
					struct sbuf tail;
					sbuf_init(&tail);
					assert_true(k == 0 || rec[0] > rec[-(ptrdiff_t)(1 + ck.nsrc)]);
					assert_int_equal(view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], &ck, k, NULL,
									collect, &tail, &rep, &err), 0);
					split_resumed += rep.segments > 1;
					assert_int_equal(tail.len, one.len - rec[0]);
					assert_memory_equal(tail.buf, one.buf + rec[0], tail.len);
					sbuf_release(&tail);
					resumed++;
				}
				view_ckpts_release(&ck);
				if (rep.segments > 1 && one.len > 4096) {
					size_t left = one.len / 2;
					int rc = view_render(r, at, tables[t][0], tables[t][1], fmts[f], fail_after, &left, &rep, &err);
					assert_true(rc < 0);
				}
			}
			sbuf_release(&one);
			sbuf_release(&many);
		}
	view_render_threads(0, 32u << 20);
	repo_close(r);
	printf("# %d renderings cut into runs for threads, %d resumed from their checkpoints (%d of them in runs)\n",
	       split, resumed, split_resumed);
	assert_true(split >= 8);
	assert_true(split_resumed >= 8);
}

/* The four files of rows rendered from one merge: each with the bytes and
 * checkpoints it has rendered alone. A first look at the size of a view's
 * data.csv keeps the other three's too. */
static void test_render_together(void **state)
{
	const enum view_format fmts[] = { VIEW_CSV, VIEW_JSONL, VIEW_CQL, VIEW_NOW_CQL, VIEW_CONFLICTS };
	const char *files[] = { "data.csv", "data.jsonl", "data.cql", "data.now.cql", "conflicts.jsonl" };
	struct pit_err err = { 0 };
	struct view_rows_report rep;
	struct repo *r;
	struct sbuf got[5];
	struct view_ckpts recs[5];
	dump_write_fn writes[5] = { collect, collect, collect, collect, collect };
	void *ctxs[5] = { &got[0], &got[1], &got[2], &got[3], &got[4] };
	size_t compared = 0, conflicts = 0;

	(void)state;
	int64_t at = open_all(&r);
	view_render_threads(1, 0);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (int f = 0; f < 5; f++) {
			sbuf_init(&got[f]);
			recs[f] = (struct view_ckpts){ .interval = 16384 };
		}
		assert_int_equal(view_render_together(r, at, tables[t][0], tables[t][1], 5, fmts, recs, writes, ctxs, &rep,
						      &err), 0);
		for (int f = 0; f < 5; f++) {
			struct view_ckpts ck = { .interval = 16384 };
			struct sbuf one;
			sbuf_init(&one);
			assert_int_equal(view_render_at(r, at, tables[t][0], tables[t][1], fmts[f], NULL, 0, &ck, collect,
							&one, &rep, &err), 0);
			assert_true(one.len > 0 || fmts[f] == VIEW_CONFLICTS);
			if (fmts[f] == VIEW_CONFLICTS)
				conflicts += one.len;
			assert_int_equal(got[f].len, one.len);
			assert_memory_equal(got[f].buf, one.buf, one.len);
			assert_int_equal(recs[f].nsrc, ck.nsrc);
			assert_memory_equal(recs[f].sources.b, ck.sources.b, 16);
			assert_int_equal(recs[f].n, ck.n);
			compared += ck.n;
			assert_memory_equal(recs[f].v, ck.v, ck.n * (1 + (size_t)ck.nsrc) * sizeof(*ck.v));
			view_ckpts_release(&ck);
			sbuf_release(&one);
			sbuf_release(&got[f]);
			view_ckpts_release(&recs[f]);
		}
	}
	printf("# %zu checkpoints the same as those of each format alone; conflicts: %zu bytes\n", compared, conflicts);
	assert_true(compared >= 20);
	assert_true(conflicts > 0);
	/* a view that threads render faster one format at a time: nothing */
	view_render_threads(2, 0);
	for (int f = 0; f < 5; f++)
		sbuf_init(&got[f]);
	assert_int_equal(view_render_together(r, at, "shop", "orders", 5, fmts, recs, writes, ctxs, &rep, &err), -EAGAIN);
	for (int f = 0; f < 5; f++) {
		assert_int_equal(got[f].len, 0);
		view_ckpts_release(&recs[f]);
	}
	view_render_threads(0, 32u << 20);

	/* through the tree, at an instant nothing has been sized at */
	const struct tl_json *snaps = tl_json_get(cj[1], "snapshots");
	struct tree_node tn[5];
	char path[300];
	for (int f = 0; f < 5; f++) {
		snprintf(path, sizeof(path), "/at/%s/shop/orders/%s", tl_json_get(snaps->v[0], "instant")->s, files[f]);
		assert_int_equal(tree_resolve(r, path, &tn[f], &err), 0);
		assert_false(tree_size_known(r, &tn[f]));
	}
	uint64_t size;
	assert_int_equal(tree_size(r, &tn[0], &size, &err), 0);
	for (int f = 0; f < 5; f++) {
		struct sbuf whole;
		sbuf_init(&whole);
		assert_true(tree_size_known(r, &tn[f]));
		assert_int_equal(tree_size(r, &tn[f], &size, &err), 0);
		assert_int_equal(tree_read(r, &tn[f], collect, &whole, &err), 0);
		assert_int_equal(size, whole.len);
		sbuf_release(&whole);
	}
	repo_close(r);
}

static void test_conflicts(void **state)
{
	const char *repos[] = { "A-node2", "B-all" };
	struct pit_err err = { 0 };

	(void)state;
	for (int k = 0; k < 2; k++) {
		char repo[256];
		struct repo *r;
		const struct tl_json *truth = tl_json_get(cj[k], "truth");
		int64_t at;
		size_t lines = 0;
		snprintf(repo, sizeof(repo), "%s/%s", work, repos[k]);
		assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
		assert_int_equal(instant_parse(tl_json_get(truth->v[truth->n - 1], "instant")->s, &at, &err), 0);
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			struct sbuf got;
			struct view_rows_report rep;
			sbuf_init(&got);
			int rc = view_render(r, at, tables[t][0], tables[t][1], VIEW_CONFLICTS, collect, &got, &rep, &err);
			if (rc < 0)
				printf("# %s\n", err.msg);
			assert_int_equal(rc, 0);
			for (const char *p = got.buf; p && p < got.buf + got.len;) {
				const char *nl = memchr(p, '\n', (size_t)(got.buf + got.len - p));
				struct tl_json *j = tl_json_parse(p, (size_t)(nl - p));
				assert_non_null(j);
				assert_non_null(tl_json_get(j, "winner"));
				assert_non_null(tl_json_get(j, "versions"));
				if (lines == 0)
					printf("# %s: %.*s\n", repos[k], (int)(nl - p), p);
				tl_json_free(j);
				lines++;
				p = nl + 1;
			}
			sbuf_release(&got);
		}
		repo_close(r);
		printf("# %s: %zu conflicts at the last instant\n", repos[k], lines);
		if (k == 0)
			assert_int_equal(lines, 0);
		else
			assert_true(lines > 100);
	}
}

/* A damaged chunk under one table: that table's view fails with -EIO
 * naming the file; the other tables still render. */
static void test_damaged_chunk(void **state)
{
	char repo[256], data[256], pack[256], path[1200];
	struct pit_err err = { 0 };
	struct repo *r;
	struct ingest_opts o = { .node = "node1", .tag = NULL };
	struct ingest_result res;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/damaged", work);
	assert_int_equal(repo_init(repo, 64 << 10, 0, &err), 0);
	/* node1's whole snapshot; one chunk of the readings' Data.db damaged */
	snprintf(data, sizeof(data), "%s/node1/data", clusters[0]);
	o.source = data;
	o.tag = tags[0][2];
	assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
	assert_int_equal(ingest_run(r, &o, &res, &err), 0);
	/* the pack holding a chunk of the readings' largest Data.db */
	struct manifest *m;
	struct chunk_loc loc;
	assert_int_equal(manifest_read(repo_backend(r), &res.backup, &m, &err), 0);
	size_t fi = m->nfiles;
	for (size_t i = 0; i < m->nfiles; i++)
		if (strstr(m->files[i].path, "metrics/readings-") && strstr(m->files[i].path, "-Data.db") &&
		    (fi == m->nfiles || m->files[i].nchunks > m->files[fi].nchunks))
			fi = i;
	assert_true(fi < m->nfiles);
	printf("# %s: chunk %u of %u damaged\n", m->files[fi].path, m->files[fi].nchunks / 2, m->files[fi].nchunks);
	char damaged_path[1024];
	snprintf(damaged_path, sizeof(damaged_path), "%s", m->files[fi].path);
	/* the middle chunk (of several, where the file has them) */
	assert_int_equal(catalog_chunk_find(repo_catalog(r), &m->files[fi].chunks[m->files[fi].nchunks / 2].id, &loc, &err),
			 0);
	manifest_free(m);
	pack_name(&loc.pack, pack);
	repo_close(r);
	snprintf(path, sizeof(path), "%s/%s", repo, pack);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, (long)loc.off + 10, SEEK_SET);
	int c = fgetc(f);
	fseek(f, (long)loc.off + 10, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	struct sbuf got;
	struct view_rows_report rep;
	int64_t at;
	assert_int_equal(instant_parse(tl_json_get(tl_json_get(cj[0], "snapshots")->v[2], "instant")->s, &at, &err), 0);
	sbuf_init(&got);
	/* by one thread and by several */
	for (unsigned th = 1; th <= 2; th++) {
		view_render_threads(th, 0);
		memset(&err, 0, sizeof(err));
		int rc = view_render(r, at, "metrics", "readings", VIEW_JSONL, collect, &got, &rep, &err);
		printf("# %u thread(s), %u runs: %s\n", th, rep.segments, err.msg);
		assert_int_equal(rc, -EIO);
		assert_non_null(strstr(err.msg, "readings-"));
		assert_non_null(strstr(err.msg, pack));
	}
	view_render_threads(0, 32u << 20);
	/* the view's sources.json names the file, where, and what was wrong;
	 * its size is never kept, since it changes as damage is found */
	{
		struct tree_node tn;
		char want[1100], p[300];
		snprintf(p, sizeof(p), "/at/%s/metrics/readings/sources.json",
			 tl_json_get(tl_json_get(cj[0], "snapshots")->v[2], "instant")->s);
		assert_int_equal(tree_resolve(r, p, &tn, &err), 0);
		sbuf_reset(&got);
		assert_int_equal(tree_read(r, &tn, collect, &got, &err), 0);
		sbuf_addc(&got, 0);
		printf("# %s", got.buf);
		snprintf(want, sizeof(want), "\"file\": \"%s\"", damaged_path);
		assert_non_null(strstr(got.buf, want));
		assert_non_null(strstr(got.buf, "does not decompress") ? got.buf : strstr(got.buf, "hash mismatch"));
		assert_false(tree_size_known(r, &tn));
	}
	/* another table of the same node and instant still renders */
	sbuf_reset(&got);
	assert_int_equal(view_render(r, at, "shop", "orders", VIEW_JSONL, collect, &got, &rep, &err), 0);
	assert_true(got.len > 0);
	sbuf_release(&got);
	repo_close(r);
}

/* data.cql / data.now.cql at every truth instant: one INSERT or UPDATE per
 * line; in data.cql every write time at or before the instant (a replay can
 * never overwrite later data) and TTLs positive; data.now.cql without write
 * times; counters as increments. */
/* A mount's watch for ingests: the first look records the backups, later
 * ones say since which instant views changed; what depends on that. */
static void test_watch(void **state)
{
	char repo[256], path[300], inst[40];
	struct pit_err err = { 0 };
	struct tree_watch w = { 0 };
	struct backup_list l = { 0 };
	struct tree_node n;
	struct repo *r;
	int64_t from, t1;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/W", work);
	assert_int_equal(repo_init(repo, 0, 0, &err), 0);
	ingest(0, repo, "node1", tags[0][0]);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(tree_watch_poll(r, &w, &from, &err), 0);	/* records */
	assert_int_equal(tree_watch_poll(r, &w, &from, &err), 0);
	ingest(0, repo, "node1", tags[0][2]);
	ingest(0, repo, "node2", tags[0][1]);
	assert_int_equal(tree_watch_poll(r, &w, &from, &err), 1);
	assert_int_equal(catalog_backup_list(repo_catalog(r), &l, &err), 0);
	assert_int_equal(l.n, 3);
	t1 = l.v[1].instant_us;	/* in instant order: the first snapshot, then those added */
	assert_true(from == t1);
	assert_int_equal(tree_watch_poll(r, &w, &(int64_t){ 0 }, &err), 0);
	/* views at or after from change; before it, /at/latest and /nodes not */
	cql_time_us_str(t1, inst);
	snprintf(path, sizeof(path), "/at/%s/shop/orders/data.csv", inst);
	assert_int_equal(tree_resolve(r, path, &n, &err), 0);
	assert_true(tree_depends_from(&n, from));
	assert_true(tree_depends_from(&n, from - 1));
	assert_false(tree_depends_from(&n, from + 1));
	assert_int_equal(tree_resolve(r, "/at/latest/shop/orders/data.csv", &n, &err), 0);
	assert_false(tree_depends_from(&n, from));
	assert_int_equal(tree_resolve(r, "/nodes/node1", &n, &err), 0);
	assert_false(tree_depends_from(&n, INT64_MIN));
	backup_list_release(&l);
	tree_watch_release(&w);
	repo_close(r);
}

static void test_cql(void **state)
{
	char repo[256];
	const struct tl_json *truth = tl_json_get(cj[0], "truth"), *snaps = tl_json_get(cj[0], "snapshots");
	struct pit_err err = { 0 };
	struct repo *r;
	int64_t first;
	size_t statements = 0, inserts = 0;

	(void)state;
	assert_int_equal(instant_parse(tl_json_get(snaps->v[0], "instant")->s, &first, &err), 0);
	snprintf(repo, sizeof(repo), "%s/A-all", work);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	for (size_t k = 0; k < truth->n; k++) {
		int64_t at;
		assert_int_equal(instant_parse(tl_json_get(truth->v[k], "instant")->s, &at, &err), 0);
		if (at < first)
			continue;
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
			for (int now = 0; now < 2; now++) {
				struct sbuf got;
				struct view_rows_report rep;
				sbuf_init(&got);
				assert_int_equal(view_render(r, at, tables[t][0], tables[t][1], now ? VIEW_NOW_CQL : VIEW_CQL,
							     collect, &got, &rep, &err), 0);
				for (char *p = got.buf; p && p < got.buf + got.len;) {
					char *nl = memchr(p, '\n', (size_t)(got.buf + got.len - p));
					*nl = 0;
					bool ins = !strncmp(p, "INSERT INTO ", 12), upd = !strncmp(p, "UPDATE ", 7);
					assert_true(ins || upd);
					assert_int_equal(nl[-1], ';');
					const char *ts = strstr(p, "USING TIMESTAMP ");
					bool counter = strstr(p, "views = views + ") != NULL;
					if (now || counter) {
						assert_null(ts);
					} else {
						assert_non_null(ts);
						assert_true(strtoll(ts + 16, NULL, 10) <= at);
					}
					const char *ttl = strstr(p, " TTL ");
					if (ttl)
						assert_true(strtoll(ttl + 5, NULL, 10) > 0);
					statements++;
					inserts += ins;
					p = nl + 1;
				}
				sbuf_release(&got);
			}
	}
	repo_close(r);
	printf("# %zu statements (%zu INSERTs) in data.cql and data.now.cql\n", statements, inserts);
	assert_true(inserts > 0 && statements > inserts);
}

static int km_part(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return kmerge_next_partition(ctx, p, err);
}

static int km_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return kmerge_next(ctx, u, err);
}

/* The same sources merged in forward, reversed and rotated order give the
 * same bytes. */
static void test_any_order(void **state)
{
	static const struct scan_ops ops = { km_part, km_next };
	char repo[256];
	struct pit_err err = { 0 };
	struct repo *r;
	const struct tl_json *truth = tl_json_get(cj[1], "truth");
	int64_t at;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/B-all", work);
	assert_int_equal(repo_open(&r, repo, REPO_READ, &err), 0);
	assert_int_equal(instant_parse(tl_json_get(truth->v[truth->n - 1], "instant")->s, &at, &err), 0);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		struct view_sources vs;
		struct chunk_cache *cc;
		struct sbuf got[3];
		assert_int_equal(select_sources(r, at, tables[t][0], tables[t][1], &vs, &err), 0);
		assert_int_equal(chunk_cache_new(&cc, r, 64u << 20, &err), 0);
		size_t n = vs.nssts;
		assert_true(n > 3);
		struct sst **s = calloc(n, sizeof(*s)), **in = calloc(n, sizeof(*in));
		select_use_cache(&vs, cc);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(select_open(&vs.ssts[i], &s[i], &err), 0);
		for (int order = 0; order < 3; order++) {
			for (size_t i = 0; i < n; i++)
				in[i] = order == 0 ? s[i] : order == 1 ? s[n - 1 - i] : s[(i + n / 2) % n];
			struct kmerge *km;
			struct live_at la = { at / 1000000, at };
			sbuf_init(&got[order]);
			struct row_writer rw;
			assert_int_equal(kmerge_open(&km, in, (int)n, at, &err), 0);
			assert_int_equal(render_jsonl_writer(&rw, kmerge_header(km), tables[t][1], NULL, collect, &got[order],
							     &err), 0);
			assert_int_equal(liverows_write(&rw, kmerge_header(km), &la, NULL, &ops, km, &err), 0);
			kmerge_close(km);
		}
		assert_true(got[0].len > 0);
		for (int order = 1; order < 3; order++) {
			assert_int_equal(got[order].len, got[0].len);
			assert_memory_equal(got[order].buf, got[0].buf, got[0].len);
		}
		for (int order = 0; order < 3; order++)
			sbuf_release(&got[order]);
		for (size_t i = 0; i < n; i++)
			sst_close(s[i]);
		free(s);
		free(in);
		chunk_cache_free(cc);
		view_sources_release(&vs);
	}
	repo_close(r);
}

static void test_cluster(void **state)
{
	(void)state;
	against_truth(0, "A-all", "");
}

static void test_one_node(void **state)
{
	(void)state;
	against_truth(0, "A-node2", "/nodes/node2");
}

static void test_divergent_cluster(void **state)
{
	(void)state;
	against_truth(1, "B-all", "");
}

static void test_divergent_node(void **state)
{
	(void)state;
	against_truth(1, "B-node2", "/nodes/node2");
}

/* A bti SSTable (Cassandra 5.0's trie-indexed format: oa's Data.db and
 * Statistics.db, tries for keys) merges like its big twin. The oa fixture's
 * files under bti names, without Index.db and Summary.db, are node2's copy
 * of node1's table; threads are asked for, and the view falls back to one
 * (no key index to cut the ring with) and gives the bytes of a view whose
 * copies are both big. */
static void test_bti(void **state)
{
	const char *fx = tl_fixtures();
	static const char *comps[] = { "Data.db", "Statistics.db", "CompressionInfo.db", "Digest.crc32", "Filter.db" };
	char cmd[4096], d[1024], out[2][2][128];
	struct sbuf got[2];
	struct pit_err err = { 0 };

	(void)state;
	if (!fx) {
		printf("# skipped: no fixtures (../shared/fixtures or $PITFS_FIXTURES)\n");
		skip();
	}
	for (int twin = 0; twin < 2; twin++) {
		for (int n = 0; n < 2; n++) {
			snprintf(out[twin][n], sizeof(out[twin][n]), "%s/bti%d/node%d/data", work, twin, n + 1);
			snprintf(d, sizeof(d), "%s/spark_test/testtable-0123456789abcdef0123456789abcdef/snapshots/s",
				 out[twin][n]);
			snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s/sstable-transformer-oa-10k/spark_test/testtable/"
				 "schema.cql %s/", d, fx, d);
			assert_true(tl_sh(cmd).ok);
			bool bti = twin == 0 && n == 1;
			for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
				snprintf(cmd, sizeof(cmd), "cp %s/sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-%s "
					 "%s/%s-13-%s-%s", fx, comps[c], d, bti ? "da" : "oa", bti ? "bti" : "big", comps[c]);
				assert_true(tl_sh(cmd).ok);
			}
			if (!bti) {
				snprintf(cmd, sizeof(cmd), "cp %s/sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-*.db "
					 "%s/", fx, d);
				assert_true(tl_sh(cmd).ok);
			}
		}
		char repo[320];
		struct repo *r;
		struct ingest_result res;
		snprintf(repo, sizeof(repo), "%s/bti%d/repo", work, twin);
		assert_int_equal(repo_init(repo, 0, 0, &err), 0);
		assert_int_equal(repo_open(&r, repo, REPO_WRITE, &err), 0);
		for (int n = 0; n < 2; n++) {
			struct ingest_opts o = { .source = out[twin][n], .node = nodes[n], .tag = "s", .have_at = true,
						 .at_us = 1900000000000000ll };
			if (ingest_run(r, &o, &res, &err) < 0)
				fail_msg("%s", err.msg);
		}
		struct view_rows_report rep;
		sbuf_init(&got[twin]);
		view_render_threads(2, 0);
		if (view_render(r, 1900000000000000ll, "spark_test", "testtable", VIEW_CSV, collect, &got[twin], &rep,
				&err) < 0)
			fail_msg("%s", err.msg);
		view_render_threads(0, 32u << 20);
		assert_int_equal(rep.sstables, 2);
		assert_int_equal(rep.unreadable, 0);
		if (twin == 0)
			assert_int_equal(rep.segments, 0);
		repo_close(r);
	}
	assert_true(got[0].len > 10000 * 4);
	assert_int_equal(got[0].len, got[1].len);
	assert_memory_equal(got[0].buf, got[1].buf, got[0].len);
	sbuf_release(&got[0]);
	sbuf_release(&got[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_one_node),
		cmocka_unit_test(test_divergent_cluster),
		cmocka_unit_test(test_divergent_node),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_vfile),
		cmocka_unit_test(test_checkpoints),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_render_together),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_cql),
		cmocka_unit_test(test_any_order),
		cmocka_unit_test(test_damaged_chunk),
		cmocka_unit_test(test_bti),
	};
	return cmocka_run_group_tests_name("merge", tests, setup, teardown);
}
