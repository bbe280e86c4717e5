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
	/* each column's key and ": " (partition key, clustering, then cols),
	 * from keys + at[k] to keys + at[k + 1]: made once, written per row */
	struct sbuf keys;
	size_t *at;
	struct sbuf out, key;
	struct cql_element *el;
	size_t el_cap;
	dump_write_fn write;
	void *ctx;
};

/* A column's key as SELECT JSON writes it (Cassandra's Selection.rowToJson):
 * the name in double quotes where its lower case differs (capitals; of the
 * letters beyond ASCII, Latin-1's), as a JSON string. */
static void add_key(struct sbuf *sb, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	bool upper = false;

	for (; *p && !upper; p++)
		upper = (*p >= 'A' && *p <= 'Z') || (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e && p[1] != 0x97);
	if (upper) {
		struct sbuf q;
		sbuf_init(&q);
		sbuf_addc(&q, '"');
		sbuf_adds(&q, name);
		sbuf_addc(&q, '"');
		sbuf_add_json_str(sb, q.buf ? q.buf : "", q.len);
		sbuf_release(&q);
	} else {
		sbuf_add_json_str(sb, name, strlen(name));
	}
	sbuf_adds(sb, ": ");
}

/* Column k's key into sb, after the member before it unless first. */
static void put_key(const struct jw *w, struct sbuf *sb, size_t k, bool first)
{
	if (!first)
		sbuf_adds(sb, ", ");
	sbuf_add(sb, w->keys.buf + w->at[k], w->at[k + 1] - w->at[k]);
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
	size_t npk = (size_t)w->b.npk, nck = (size_t)w->b.nck;
	int rc;

	if (first) {	/* the partition key's members, once per partition */
		const uint8_t *vals[64];
		size_t lens[64];
		int n = bind_key_parts(&w->b, p, vals, lens, err);
		if (n < 0)
			return n;
		sbuf_reset(&w->key);
		for (size_t i = 0; i < (size_t)n; i++) {
			put_key(w, &w->key, i, i == 0);
			if ((rc = cql_value_render(w->b.pk_type[i], vals[i], lens[i], CQL_STYLE_JSON, &w->key, err)) < 0)
				return pit_err_prefix(err, rc, "%s: partition key at offset %llu", w->b.name,
						      (unsigned long long)p->offset);
		}
	}
	sbuf_addc(&w->out, '{');
	sbuf_add(&w->out, w->key.buf, w->key.len);
	for (size_t i = 0; i < nck; i++) {
		put_key(w, &w->out, npk + i, false);
		if (!u || i >= (size_t)u->nclust || u->cstate[i] == SST_CK_NULL)
			sbuf_adds(&w->out, "null");
		else if ((rc = cql_value_render(w->h->clustering[i], u->cval[i], u->clen[i], CQL_STYLE_JSON, &w->out,
						err)) < 0)
			return pit_err_prefix(err, rc, "%s: clustering column %s", w->b.name, w->b.ck_name[i]);
	}
	for (size_t i = 0; i < w->ncols; i++) {
		put_key(w, &w->out, npk + nck + i, false);
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
	free(w->at);
	sbuf_release(&w->keys);
	sbuf_release(&w->out);
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
	sbuf_init(&w->keys);
	sbuf_init(&w->out);
	sbuf_init(&w->key);
	if (bind_init(&w->b, h, name, &o) < 0 || bind_columns(&w->b, t, true, &w->cols, &w->ncols) < 0)
		goto oom;
	size_t nk = (size_t)w->b.npk + (size_t)w->b.nck + w->ncols;
	if (!(w->at = malloc((nk + 1) * sizeof(*w->at))))
		goto oom;
	for (size_t k = 0; k < nk; k++) {
		w->at[k] = w->keys.len;
		add_key(&w->keys, k < (size_t)w->b.npk ? w->b.pk_name[k]
				  : k < (size_t)(w->b.npk + w->b.nck) ? w->b.ck_name[k - (size_t)w->b.npk]
				  : w->cols[k - (size_t)w->b.npk - (size_t)w->b.nck].name);
	}
	w->at[nk] = w->keys.len;
	if (w->keys.oom)
		goto oom;
	*rw = (struct row_writer){ row, end, w, &w->out, w->b.reg_dropped, w->b.st_dropped };
	return 0;
oom:
	end(w, false, err);
	return pit_errf(err, -ENOMEM, "out of memory");
}
