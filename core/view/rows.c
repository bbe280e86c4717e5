#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/schema.h"
#include "core/merge/kmerge.h"
#include "core/merge/select.h"
#include "core/repo/rfile.h"
#include "core/view/bind.h"
#include "core/view/liverows.h"
#include "core/view/render_conflicts.h"
#include "core/view/render_csv.h"
#include "core/view/render_cql.h"
#include "core/view/render_jsonl.h"
#include "core/view/rows.h"

#define CACHE_BYTES (64u << 20)

static int km_next_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return kmerge_next_partition(ctx, p, err);
}

static int km_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return kmerge_next(ctx, u, err);
}

static const struct scan_ops km_ops = { km_next_partition, km_next };

/* The schema.cql a snapshot keeps next to a table's SSTables. */
static int load_schema(struct chunk_cache *cc, const struct view_sources *vs, struct cql_schema **out,
		       struct pit_err *err)
{
	*out = NULL;
	for (size_t i = 0; i < vs->nssts; i++) {
		const struct manifest *m = vs->ssts[i].m;
		const char *prefix = vs->ssts[i].sum->prefix, *base = strrchr(prefix, '/');
		char path[1024];
		snprintf(path, sizeof(path), "%.*sschema.cql", base ? (int)(base - prefix) + 1 : 0, prefix);
		for (size_t k = 0; k < m->nfiles; k++) {
			struct bsrc *bs;
			uint8_t *text;
			size_t n;
			int rc;
			if (strcmp(m->files[k].path, path))
				continue;
			if ((rc = rfile_open(&bs, cc, &m->files[k], path, err)) < 0)
				return rc;
			rc = bsrc_read_all(bs, &text, &n, 1u << 24, err);
			bsrc_close(bs);
			if (rc < 0)
				return rc;
			rc = cql_schema_parse(out, (const char *)text, n, path, err);
			free(text);
			return rc;
		}
	}
	return 0;	/* none: columns named as the SSTables' headers name them */
}

int view_rows(struct repo *r, int64_t at_us, const char *ks, const char *table, dump_write_fn write, void *ctx,
	      struct view_rows_report *rep, struct pit_err *err)
{
	return view_render(r, at_us, ks, table, VIEW_ROWS, write, ctx, rep, err);
}

int view_render(struct repo *r, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		dump_write_fn write, void *ctx, struct view_rows_report *rep, struct pit_err *err)
{
	struct view_sources vs;
	struct chunk_cache *cc = NULL;
	struct cql_schema *schema = NULL;
	struct sst **ssts = NULL;
	struct kmerge *km = NULL;
	size_t opened = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = select_sources(r, at_us, ks, table, &vs, err)) < 0)
		return rc;
	rep->backups = (unsigned)vs.nbackups;
	rep->sstables = (unsigned)vs.nssts;
	rep->skipped_after = (unsigned)vs.skipped_after;
	rep->unreadable = (unsigned)vs.unreadable;
	rep->absent_nodes = (unsigned)vs.nabsent;
	if (!vs.nssts)
		goto out;	/* nothing written by T: an empty table */
	if ((rc = chunk_cache_new(&cc, r, CACHE_BYTES, err)) < 0 || (rc = load_schema(cc, &vs, &schema, err)) < 0)
		goto out;
	if (!(ssts = calloc(vs.nssts, sizeof(*ssts)))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	struct dump_opts o = { .mode = DUMP_ROWS, .write = write, .ctx = ctx };
	o.now_s = at_us >= 0 ? at_us / 1000000 : -((-at_us + 999999) / 1000000);
	for (int i = 0; schema && i < cql_schema_ntables(schema) && !o.table; i++)
		if (!strcmp(cql_table_name(cql_schema_table(schema, i)), table))
			o.table = cql_schema_table(schema, i);
	for (; opened < vs.nssts; opened++)
		if ((rc = select_open(cc, &vs.ssts[opened], &ssts[opened], err)) < 0 ||
		    (rc = bind_fix_types(ssts[opened], o.table, err)) < 0) {
			if (ssts[opened])
				opened++;
			goto out;
		}
	if ((rc = kmerge_open(&km, ssts, (int)vs.nssts, at_us, err)) < 0)
		goto out;
	char name[300];
	snprintf(name, sizeof(name), "%s.%s", ks, table);
	if (fmt == VIEW_CONFLICTS) {
		const char *nodes[256];
		int *node_of = calloc(vs.nssts, sizeof(int)), nn = 0;
		if (!node_of) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < vs.nssts; i++) {
			const char *nd = vs.ssts[i].m->info.node;
			int k = 0;
			while (k < nn && strcmp(nodes[k], nd))
				k++;
			if (k == nn && nn < 256)
				nodes[nn++] = nd;
			node_of[i] = k < 256 ? k : 255;
		}
		kmerge_set_nodes(km, node_of, nn);
		rc = render_conflicts(km, name, o.table, nodes, nn, write, ctx, err);
		free(node_of);
	} else if (fmt == VIEW_CQL || fmt == VIEW_NOW_CQL) {
		struct live_at at = { o.now_s, at_us };
		rc = render_cql(kmerge_header(km), ks, table, o.table, &km_ops, km, &at, fmt == VIEW_CQL, write, ctx, err);
	} else if (fmt == VIEW_CSV) {
		struct live_at at = { o.now_s, at_us };
		rc = render_csv(kmerge_header(km), name, o.table, &km_ops, km, &at, write, ctx, err);
	} else if (fmt == VIEW_JSONL) {
		struct live_at at = { o.now_s, at_us };
		rc = render_jsonl(kmerge_header(km), name, o.table, &km_ops, km, &at, write, ctx, err);
	} else {
		rc = dump_rows_from(kmerge_header(km), name, &km_ops, km, &o, at_us, err);
	}
out:
	kmerge_close(km);
	for (size_t i = 0; i < opened; i++)
		sst_close(ssts[i]);
	free(ssts);
	cql_schema_free(schema);
	chunk_cache_free(cc);
	view_sources_release(&vs);
	return rc;
}
