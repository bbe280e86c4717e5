#include <stdlib.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/view/bind.h"
#include "core/view/render_conflicts.h"

static const char *const what_name[] = { "partition deletion", "liveness", "row deletion", "collection deletion",
					 "cell" };

static void deletion(struct sbuf *sb, const struct sst_deletion *d)
{
	sbuf_addf(sb, "{\"deleted_at\": %lld", (long long)d->mfda);
	if (d->ldt != SST_NO_LDT)
		sbuf_addf(sb, ", \"local_deletion_time\": %lld", (long long)d->ldt);
	sbuf_addc(sb, '}');
}

static int version(struct sbuf *sb, const struct sst_header *h, const struct kconflict *c, const struct kversion *v,
		   bool is_static, struct pit_err *err)
{
	if (!v->present) {
		sbuf_adds(sb, "null");
		return 0;
	}
	switch (c->kind) {
	case KC_LIVENESS:
		sbuf_addf(sb, "{\"timestamp\": %lld", (long long)v->live.ts);
		if (v->live.ldt != SST_NO_LDT)
			sbuf_addf(sb, ", \"ttl\": %d, \"expires\": %lld", v->live.ttl, (long long)v->live.ldt);
		sbuf_addc(sb, '}');
		return 0;
	case KC_CELL: {
		const struct sst_column *col = is_static ? &h->statics[c->col] : &h->regulars[c->col];
		const struct sst_cell *x = &v->cell;
		int rc = 0;
		sbuf_addf(sb, "{\"timestamp\": %lld", (long long)x->ts);
		if (x->flags & SST_CELL_DELETED) {
			sbuf_adds(sb, ", \"tombstone\": true");
		} else {
			sbuf_adds(sb, ", \"value\": ");
			if (col->complex) {
				struct cql_element el = { x->path, x->path_len, x->value, x->len };
				rc = cql_elements_render(col->type, &el, 1, CQL_STYLE_JSON, sb, err);
			} else {
				rc = cql_value_render(col->type, x->value, x->len, CQL_STYLE_JSON, sb, err);
			}
		}
		if (x->flags & SST_CELL_EXPIRING)
			sbuf_addf(sb, ", \"ttl\": %d, \"expires\": %lld", x->ttl, (long long)x->ldt);
		sbuf_addc(sb, '}');
		return rc;
	}
	default:
		deletion(sb, &v->del);
		return 0;
	}
}

/* One line of conflicts.jsonl. */
static int conflict_line(struct sbuf *out, struct bind *b, const struct sst_header *h, const struct sbuf *key,
			 const struct kconflict *c, const char *const *nodes, int nnodes, struct pit_err *err)
{
	bool is_static = c->row && c->row->kind == SST_STATIC_ROW;
	int rc = 0;

	sbuf_adds(out, "{\"pk\": ");
	sbuf_add(out, key->buf, key->len);
	sbuf_adds(out, ", \"ck\": ");
	if (!c->row)
		sbuf_adds(out, "null");
	else if (is_static)
		sbuf_adds(out, "\"static\"");
	else if ((rc = bind_render_clustering(b, c->row, CQL_STYLE_JSON, true, out, err)) < 0)
		return rc;
	sbuf_addf(out, ", \"what\": \"%s\"", what_name[c->kind]);
	if (c->kind == KC_CELL || c->kind == KC_COMPLEX_DELETION) {
		const char *cn = (is_static ? h->statics : h->regulars)[c->col].name;
		sbuf_adds(out, ", \"column\": ");
		sbuf_add_json_str(out, cn, strlen(cn));
	}
	sbuf_adds(out, ", \"versions\": {");
	bool firstv = true;
	for (int k = 0; k < nnodes && rc == 0; k++) {
		if (!c->holds[k])
			continue;
		sbuf_adds(out, firstv ? "" : ", ");
		firstv = false;
		sbuf_add_json_str(out, nodes[k], strlen(nodes[k]));
		sbuf_adds(out, ": ");
		rc = version(out, h, c, &c->v[k], is_static, err);
	}
	sbuf_adds(out, "}, \"winner\": ");
	if (c->winner >= 0)
		sbuf_add_json_str(out, nodes[c->winner], strlen(nodes[c->winner]));
	else
		sbuf_adds(out, "null");
	sbuf_adds(out, "}\n");
	return rc;
}

struct conflicts_writer {
	const struct sst_header *h;
	const char *const *nodes;
	int nnodes;
	struct bind b;
	struct sbuf out, key;
	bool keyed;		/* key holds the partition's */
	dump_write_fn write;
	void *ctx;
};

int conflicts_writer_open(struct conflicts_writer **out, const struct sst_header *h, const char *name,
			  const struct cql_table *t, const char *const *nodes, int nnodes, dump_write_fn write,
			  void *ctx, struct pit_err *err)
{
	struct conflicts_writer *w = calloc(1, sizeof(*w));
	struct dump_opts o = { .mode = DUMP_ROWS, .table = t };

	*out = NULL;
	if (!w)
		return pit_errf(err, -ENOMEM, "out of memory");
	*w = (struct conflicts_writer){ .h = h, .nodes = nodes, .nnodes = nnodes, .write = write, .ctx = ctx };
	sbuf_init(&w->out);
	sbuf_init(&w->key);
	if (bind_init(&w->b, h, name, &o) < 0) {
		conflicts_writer_end(w, false, err);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	*out = w;
	return 0;
}

int conflicts_writer_step(struct conflicts_writer *w, struct kmerge *km, const struct sst_partition *p,
			  bool partition, struct pit_err *err)
{
	const struct kconflict *cs;
	size_t n;
	int rc;

	if (partition)
		w->keyed = false;
	if ((rc = kmerge_conflicts(km, &cs, &n, err)) < 0)
		return rc;
	if (n && !w->keyed) {
		sbuf_reset(&w->key);
		if ((rc = bind_render_key(&w->b, p, CQL_STYLE_JSON, true, &w->key, err)) < 0)
			return rc;
		w->keyed = true;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = conflict_line(&w->out, &w->b, w->h, &w->key, &cs[i], w->nodes, w->nnodes, err);
	return rc < 0 ? rc : dump_flush(&w->out, false, w->write, w->ctx, err);
}

int conflicts_writer_end(struct conflicts_writer *w, bool flush, struct pit_err *err)
{
	int rc = flush ? dump_flush(&w->out, true, w->write, w->ctx, err) : 0;

	bind_release(&w->b);
	sbuf_release(&w->out);
	sbuf_release(&w->key);
	free(w);
	return rc;
}

int render_conflicts(struct kmerge *km, const char *name, const struct cql_table *t, const char *const *nodes,
		     int nnodes, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct conflicts_writer *w;
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	int rc;

	if ((rc = conflicts_writer_open(&w, kmerge_header(km), name, t, nodes, nnodes, write, ctx, err)) < 0)
		return rc;
	/* the partition's deletion, then row by row */
	while ((rc = kmerge_next_partition(km, &p, err)) > 0) {
		if ((rc = conflicts_writer_step(w, km, p, true, err)) < 0)
			break;
		while ((rc = kmerge_next(km, &u, err)) > 0 && (rc = conflicts_writer_step(w, km, p, false, err)) == 0)
			;
		if (rc < 0)
			break;
	}
	int end = conflicts_writer_end(w, rc == 0, err);
	return rc < 0 ? rc : end;
}
