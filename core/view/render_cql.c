#include <stdlib.h>
#include <string.h>
#include "core/cql/type.h"
#include "core/cql/value.h"
#include "core/util/bytes.h"
#include "core/view/bind.h"
#include "core/view/render_cql.h"

struct cw {
	struct bind b;
	const struct sst_header *h;
	const char *ks, *table;
	bool ts;
	int64_t now_s;
	struct sbuf out, where, tmp;
	uint8_t *done;		/* per cell of the current row: written */
	size_t done_cap;
	dump_write_fn write;
	void *ctx;
};

/* "k1 = v1 AND c1 = v2" for the row's key. */
static int where_clause(struct cw *w, const struct sst_partition *p, const struct sst_unfiltered *row,
			struct pit_err *err)
{
	const uint8_t *vals[64];
	size_t lens[64];
	int n = 1, rc;

	sbuf_reset(&w->where);
	if (w->b.npk > 1 || cql_type_kind(w->b.pk_type[0]) == CQL_COMPOSITE) {
		if ((n = cql_composite_split(p->key, p->key_len, vals, lens, 64)) != w->b.npk)
			return pit_errf(err, -EBADMSG, "%s: partition key with %d components, %d expected", w->b.name, n,
					w->b.npk);
	} else {
		vals[0] = p->key;
		lens[0] = p->key_len;
	}
	for (int i = 0; i < n; i++) {
		sbuf_adds(&w->where, i ? " AND " : "");
		cql_ident(&w->where, w->b.pk_name[i]);
		sbuf_adds(&w->where, " = ");
		if ((rc = cql_value_render(w->b.pk_type[i], vals[i], lens[i], CQL_STYLE_LITERAL, &w->where, err)) < 0)
			return rc;
	}
	for (int i = 0; row && i < row->nclust; i++) {
		sbuf_adds(&w->where, " AND ");
		cql_ident(&w->where, w->b.ck_name[i]);
		sbuf_adds(&w->where, " = ");
		if (row->cstate[i] == SST_CK_NULL)
			sbuf_adds(&w->where, "null");
		else if ((rc = cql_value_render(w->h->clustering[i], row->cval[i], row->clen[i], CQL_STYLE_LITERAL,
						&w->where, err)) < 0)
			return rc;
	}
	return 0;
}

static void using(struct cw *w, int64_t ts, int64_t ldt)
{
	bool any = false;

	if (w->ts) {
		sbuf_adds(&w->out, " USING TIMESTAMP ");
		sbuf_add_i64(&w->out, ts);
		any = true;
	}
	if (ldt != SST_NO_LDT && ldt > w->now_s) {
		sbuf_adds(&w->out, any ? " AND TTL " : " USING TTL ");
		sbuf_add_i64(&w->out, ldt - w->now_s);
	}
}

/* "col = value" or, for a collection element, "m['k'] = v" / "s = s + {e}"
 * / "l = l + [v]" / "u.f = v". */
static int assignment(struct cw *w, const struct sst_column *col, const struct sst_cell *c, struct pit_err *err)
{
	const struct cql_type *t = col->type;
	int rc = 0;

	if (!col->complex) {
		cql_ident(&w->out, col->name);
		sbuf_adds(&w->out, " = ");
		if (cql_type_kind(t) == CQL_COUNTER) {	/* counters only add */
			cql_ident(&w->out, col->name);
			sbuf_adds(&w->out, " + ");
		}
		return cql_value_render(t, c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	}
	switch (cql_type_kind(t)) {
	case CQL_MAP:
		cql_ident(&w->out, col->name);
		sbuf_addc(&w->out, '[');
		if ((rc = cql_value_render(cql_type_sub(t, 0), c->path, c->path_len, CQL_STYLE_LITERAL, &w->out, err)) < 0)
			return rc;
		sbuf_adds(&w->out, "] = ");
		return cql_value_render(cql_type_sub(t, 1), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	case CQL_SET:
	case CQL_LIST:	/* one element here; updates() gathers a column's elements */
		if (cql_type_kind(t) == CQL_SET)
			return cql_value_render(cql_type_sub(t, 0), c->path, c->path_len, CQL_STYLE_LITERAL, &w->out, err);
		return cql_value_render(cql_type_sub(t, 0), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	case CQL_UDT: {
		int f = c->path_len == 2 ? (int)be16(c->path) : -1;
		if (f < 0 || f >= cql_type_nsub(t))
			return pit_errf(err, -EBADMSG, "%s: column %s: bad UDT field path", w->b.name, col->name);
		cql_ident(&w->out, col->name);
		sbuf_addc(&w->out, '.');
		cql_ident(&w->out, cql_type_field(t, f));
		sbuf_adds(&w->out, " = ");
		return cql_value_render(cql_type_sub(t, f), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	}
	default:
		return pit_errf(err, -ENOTSUP, "%s: column %s: multi-cell type not written as CQL", w->b.name, col->name);
	}
}

/* UPDATE statements for the cells not yet written, one per (write time, expiry). */
static int updates(struct cw *w, const struct live_cells *lc, bool is_static, struct pit_err *err)
{
	const struct sst_column *cols = is_static ? w->h->statics : w->h->regulars;
	int rc;

	for (uint32_t i = 0; i < lc->n; i++) {
		if (w->done[i])
			continue;
		bool counter = cql_type_kind(cols[lc->v[i].col].type) == CQL_COUNTER;
		sbuf_adds(&w->out, "UPDATE ");
		cql_ident(&w->out, w->ks);
		sbuf_addc(&w->out, '.');
		cql_ident(&w->out, w->table);
		if (!counter)	/* counter updates take no timestamp and no TTL */
			using(w, lc->v[i].ts, lc->v[i].ldt);
		sbuf_adds(&w->out, " SET ");
		bool first = true;
		for (uint32_t k = i; k < lc->n; k++) {
			const struct sst_column *col = &cols[lc->v[k].col];
			enum cql_kind kind = cql_type_kind(col->type);
			if (w->done[k] || lc->v[k].ts != lc->v[i].ts || lc->v[k].ldt != lc->v[i].ldt)
				continue;
			sbuf_adds(&w->out, first ? "" : ", ");
			first = false;
			if (col->complex && (kind == CQL_SET || kind == CQL_LIST)) {
				/* every element of the column with this write: one operation */
				cql_ident(&w->out, col->name);
				sbuf_adds(&w->out, " = ");
				cql_ident(&w->out, col->name);
				sbuf_adds(&w->out, kind == CQL_SET ? " + {" : " + [");
				for (uint32_t e = k; e < lc->n && lc->v[e].col == lc->v[k].col; e++) {
					if (w->done[e] || lc->v[e].ts != lc->v[i].ts || lc->v[e].ldt != lc->v[i].ldt)
						continue;
					sbuf_adds(&w->out, e > k ? ", " : "");
					if ((rc = assignment(w, col, &lc->v[e], err)) < 0)
						return rc;
					w->done[e] = 1;
				}
				sbuf_addc(&w->out, kind == CQL_SET ? '}' : ']');
				continue;
			}
			if ((rc = assignment(w, col, &lc->v[k], err)) < 0)
				return rc;
			w->done[k] = 1;
		}
		sbuf_adds(&w->out, " WHERE ");
		sbuf_add(&w->out, w->where.buf, w->where.len);
		sbuf_adds(&w->out, ";\n");
	}
	return 0;
}

static int mark(struct cw *w, const struct live_cells *lc)
{
	if (lc->n > w->done_cap) {
		uint8_t *d = realloc(w->done, lc->n);
		if (!d)
			return -ENOMEM;
		w->done = d;
		w->done_cap = lc->n;
	}
	memset(w->done, 0, lc->n);
	return 0;
}

static int row(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *u,
	       const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct cw *w = ctx;
	int rc;

	/* the static cells, once per partition */
	if (first && statics->n) {
		if ((rc = where_clause(w, p, NULL, err)) < 0 || (rc = mark(w, statics)) < 0 ||
		    (rc = updates(w, statics, true, err)) < 0)
			return rc;
	}
	if (u) {
		if ((rc = where_clause(w, p, u, err)) < 0 || (rc = mark(w, cells)) < 0)
			return rc;
		const struct sst_liveness *l = &u->liveness;
		bool marker = l->ts != SST_NO_TS && (l->ldt == SST_NO_LDT || l->ldt > w->now_s);
		if (marker) {
			/* INSERT makes the row marker; cells written with it go along */
			sbuf_adds(&w->out, "INSERT INTO ");
			cql_ident(&w->out, w->ks);
			sbuf_addc(&w->out, '.');
			cql_ident(&w->out, w->table);
			sbuf_adds(&w->out, " (");
			for (int i = 0; i < w->b.npk; i++) {
				sbuf_adds(&w->out, i ? ", " : "");
				cql_ident(&w->out, w->b.pk_name[i]);
			}
			for (int i = 0; i < u->nclust; i++) {
				sbuf_adds(&w->out, ", ");
				cql_ident(&w->out, w->b.ck_name[i]);
			}
			for (uint32_t k = 0; k < cells->n; k++) {
				const struct sst_column *col = &w->h->regulars[cells->v[k].col];
				if (col->complex || cells->v[k].ts != l->ts || cells->v[k].ldt != l->ldt)
					continue;
				sbuf_adds(&w->out, ", ");
				cql_ident(&w->out, col->name);
			}
			sbuf_adds(&w->out, ") VALUES (");
			/* the key values, from the WHERE clause's renderings */
			sbuf_reset(&w->tmp);
			if ((rc = bind_render_key(&w->b, p, CQL_STYLE_LITERAL, false, &w->tmp, err)) < 0)
				return rc;
			sbuf_add(&w->out, w->tmp.buf + 1, w->tmp.len - 2);
			if (u->nclust) {
				sbuf_reset(&w->tmp);
				if ((rc = bind_render_clustering(&w->b, u, CQL_STYLE_LITERAL, false, &w->tmp, err)) < 0)
					return rc;
				sbuf_adds(&w->out, ", ");
				sbuf_add(&w->out, w->tmp.buf + 1, w->tmp.len - 2);
			}
			for (uint32_t k = 0; k < cells->n; k++) {
				const struct sst_column *col = &w->h->regulars[cells->v[k].col];
				if (col->complex || cells->v[k].ts != l->ts || cells->v[k].ldt != l->ldt)
					continue;
				sbuf_adds(&w->out, ", ");
				if ((rc = cql_value_render(col->type, cells->v[k].value, cells->v[k].len, CQL_STYLE_LITERAL,
							   &w->out, err)) < 0)
					return rc;
				w->done[k] = 1;
			}
			sbuf_adds(&w->out, ")");
			using(w, l->ts, l->ldt);
			sbuf_adds(&w->out, ";\n");
		}
		if ((rc = updates(w, cells, false, err)) < 0)
			return rc;
	}
	return dump_flush(&w->out, false, w->write, w->ctx, err);
}

static int end(void *ctx, bool flush, struct pit_err *err)
{
	struct cw *w = ctx;
	int rc = flush ? dump_flush(&w->out, true, w->write, w->ctx, err) : 0;

	bind_release(&w->b);
	free(w->done);
	sbuf_release(&w->out);
	sbuf_release(&w->where);
	sbuf_release(&w->tmp);
	free(w);
	return rc;
}

int render_cql_writer(struct row_writer *rw, const struct sst_header *h, const char *ks, const char *table,
		      const struct cql_table *t, const struct live_at *at, bool timestamps, dump_write_fn write,
		      void *ctx, struct pit_err *err)
{
	struct cw *w = calloc(1, sizeof(*w));
	struct dump_opts o = { .mode = DUMP_ROWS, .table = t };

	if (!w)
		return pit_errf(err, -ENOMEM, "out of memory");
	*w = (struct cw){ .h = h, .ks = ks, .table = table, .ts = timestamps, .now_s = at->now_s, .write = write,
			  .ctx = ctx };
	sbuf_init(&w->out);
	sbuf_init(&w->where);
	sbuf_init(&w->tmp);
	if (bind_init(&w->b, h, table, &o) < 0) {
		end(w, false, err);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	*rw = (struct row_writer){ row, end, w, &w->out, w->b.reg_dropped, w->b.st_dropped };
	return 0;
}
