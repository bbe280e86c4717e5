#include <stdlib.h>
#include <string.h>
#include "core/cql/type.h"
#include "core/cql/value.h"
#include "core/view/bind.h"
#include "core/view/render_jsonl.h"

struct jw {
	struct bind b;
	const struct sst_header *h;
	struct bind_col *cols;
	size_t ncols;
	struct sbuf out, tmp, key;
	struct cql_element *el;
	size_t el_cap;
	dump_write_fn write;
	void *ctx;
};

/* A JSON key as SELECT JSON writes a column name: the name as CQL writes it. */
static void add_name(struct sbuf *sb, const char *name)
{
	struct sbuf q;

	sbuf_init(&q);
	cql_ident(&q, name);
	sbuf_add_json_str(sb, q.buf ? q.buf : "", q.len);
	sbuf_release(&q);
}

/* Appends the members of a rendered {"a": 1, ...} object without its braces. */
static void add_members(struct sbuf *out, const struct sbuf *obj)
{
	if (obj->len > 2) {
		sbuf_adds(out, out->len && out->buf[out->len - 1] != '{' ? ", " : "");
		sbuf_add(out, obj->buf + 1, obj->len - 2);
	}
}

static int value(struct jw *w, const struct bind_col *c, const struct live_cells *lc, struct pit_err *err)
{
	const struct sst_column *col = c->idx < 0 ? NULL : c->is_static ? &w->h->statics[c->idx] : &w->h->regulars[c->idx];
	struct live_value lv;
	int rc = col ? live_cells_value(lc, c->idx, col->complex, &w->el, &w->el_cap, &lv) : 0;

	if (rc <= 0) {
		sbuf_adds(&w->out, "null");
		return rc;
	}
	return lv.cell ? cql_value_render(col->type, lv.cell->value, lv.cell->len, CQL_STYLE_JSON, &w->out, err)
		       : cql_elements_render(col->type, lv.el, lv.nel, CQL_STYLE_JSON, &w->out, err);
}

static int row(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *u,
	       const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct jw *w = ctx;
	int rc;

	size_t start = w->out.len;

	sbuf_addc(&w->out, '{');
	if (first) {	/* the partition key, once per partition */
		sbuf_reset(&w->key);
		if ((rc = bind_render_key(&w->b, p, CQL_STYLE_JSON, true, &w->key, err)) < 0)
			return rc;
	}
	add_members(&w->out, &w->key);
	if (u) {
		sbuf_reset(&w->tmp);
		if ((rc = bind_render_clustering(&w->b, u, CQL_STYLE_JSON, true, &w->tmp, err)) < 0)
			return rc;
		add_members(&w->out, &w->tmp);
	} else {
		for (int i = 0; i < w->b.nck; i++) {
			sbuf_adds(&w->out, ", ");
			add_name(&w->out, w->b.ck_name[i]);
			sbuf_adds(&w->out, ": null");
		}
	}
	for (size_t i = 0; i < w->ncols; i++) {
		sbuf_adds(&w->out, w->out.len > start + 1 ? ", " : "");
		add_name(&w->out, w->cols[i].name);
		sbuf_adds(&w->out, ": ");
		if ((rc = value(w, &w->cols[i], w->cols[i].is_static ? statics : (u ? cells : &(struct live_cells){ 0 }),
				err)) < 0)
			return pit_err_prefix(err, rc, "%s: column %s", w->b.name, w->cols[i].name);
	}
	sbuf_adds(&w->out, "}\n");
	return dump_flush(&w->out, false, w->write, w->ctx, err);
}

static int end(void *ctx, bool flush, struct pit_err *err)
{
	struct jw *w = ctx;
	int rc = flush ? dump_flush(&w->out, true, w->write, w->ctx, err) : 0;

	bind_release(&w->b);
	free(w->cols);
	free(w->el);
	sbuf_release(&w->out);
	sbuf_release(&w->tmp);
	sbuf_release(&w->key);
	free(w);
	return rc;
}

int render_jsonl_writer(struct row_writer *rw, const struct sst_header *h, const char *name,
			const struct cql_table *t, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct jw *w = calloc(1, sizeof(*w));
	struct dump_opts o = { .mode = DUMP_ROWS, .table = t };

	if (!w)
		return pit_errf(err, -ENOMEM, "out of memory");
	*w = (struct jw){ .h = h, .write = write, .ctx = ctx };
	sbuf_init(&w->out);
	sbuf_init(&w->tmp);
	sbuf_init(&w->key);
	if (bind_init(&w->b, h, name, &o) < 0 || bind_columns(&w->b, t, true, &w->cols, &w->ncols) < 0) {
		end(w, false, err);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	*rw = (struct row_writer){ row, end, w, &w->out, w->b.reg_dropped, w->b.st_dropped };
	return 0;
}
