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
	struct sbuf out;
	struct sbuf pk_where, pk_vals;	/* the partition key's, once per partition */
	struct sbuf where, vals;	/* the row's key: WHERE clause, INSERT values */
	uint8_t *done;		/* per cell of the current row: FREE, DONE or TAKEN */
	size_t done_cap;
	dump_write_fn write;
	void *ctx;
};

/* One key column's name and value: "name = value" onto where, "value"
 * onto vals (a statement's WHERE clause and an INSERT's VALUES). */
static int key_column(struct sbuf *where, struct sbuf *vals, const char *name, const struct cql_type *t,
		      const uint8_t *v, size_t len, bool null, struct pit_err *err)
{
	size_t at;
	int rc;

	if (where->len)
		sbuf_adds(where, " AND ");
	if (vals->len)
		sbuf_adds(vals, ", ");
	at = vals->len;
	if (null)
		sbuf_adds(vals, "null");
	else if ((rc = cql_value_render(t, v, len, CQL_STYLE_LITERAL, vals, err)) < 0)
		return rc;
	cql_ident(where, name);
	sbuf_adds(where, " = ");
	sbuf_add(where, vals->buf + at, vals->len - at);
	return 0;
}

/* The partition key's columns, once per partition. */
static int partition_key(struct cw *w, const struct sst_partition *p, struct pit_err *err)
{
	const uint8_t *vals[64];
	size_t lens[64];
	int n = bind_key_parts(&w->b, p, vals, lens, err), rc;

	if (n < 0)
		return pit_err_prefix(err, n, "%s", w->b.name);
	sbuf_reset(&w->pk_where);
	sbuf_reset(&w->pk_vals);
	for (int i = 0; i < n; i++)
		if ((rc = key_column(&w->pk_where, &w->pk_vals, w->b.pk_name[i], w->b.pk_type[i], vals[i], lens[i], false,
				     err)) < 0)
			return rc;
	return 0;
}

/* "k1 = v1 AND c1 = v2" and "v1, v2" for the row's key (the partition's
 * alone without row). */
static int row_key(struct cw *w, const struct sst_unfiltered *row, struct pit_err *err)
{
	int rc;

	sbuf_reset(&w->where);
	sbuf_reset(&w->vals);
	sbuf_add(&w->where, w->pk_where.buf, w->pk_where.len);
	sbuf_add(&w->vals, w->pk_vals.buf, w->pk_vals.len);
	for (int i = 0; row && i < row->nclust; i++)
		if ((rc = key_column(&w->where, &w->vals, w->b.ck_name[i], w->h->clustering[i], row->cval[i],
				     row->clen[i], row->cstate[i] == SST_CK_NULL, err)) < 0)
			return rc;
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

/* What the row's cells are to the statement being written. */
enum { FREE, DONE, TAKEN };

/* A cell goes with the write (ts, ldt): the same expiry, and in data.cql the
 * same write time. */
static bool same_write(const struct cw *w, const struct sst_cell *c, int64_t ts, int64_t ldt)
{
	return (!w->ts || c->ts == ts) && c->ldt == ldt;
}

static int udt_field(const struct cw *w, const struct sst_column *col, const struct sst_cell *c, struct pit_err *err)
{
	int f = c->path_len == 2 ? (int)be16(c->path) : -1;

	if (f < 0 || f >= cql_type_nsub(col->type))
		return pit_errf(err, -EBADMSG, "%s: column %s: bad UDT field path", w->b.name, col->name);
	return f;
}

/* "col = value" or, for one element of a collection or UDT, "m['k'] = v" /
 * "u.f = v". */
static int assignment(struct cw *w, const struct sst_column *col, const struct sst_cell *c, struct pit_err *err)
{
	const struct cql_type *t = col->type;
	int rc, f;

	cql_ident(&w->out, col->name);
	if (!col->complex) {
		sbuf_adds(&w->out, " = ");
		if (cql_type_kind(t) == CQL_COUNTER) {	/* counters only add */
			cql_ident(&w->out, col->name);
			sbuf_adds(&w->out, " + ");
		}
		return cql_value_render(t, c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	}
	switch (cql_type_kind(t)) {
	case CQL_MAP:
		sbuf_addc(&w->out, '[');
		if ((rc = cql_value_render(cql_type_sub(t, 0), c->path, c->path_len, CQL_STYLE_LITERAL, &w->out, err)) < 0)
			return rc;
		sbuf_adds(&w->out, "] = ");
		return cql_value_render(cql_type_sub(t, 1), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	case CQL_UDT:
		if ((f = udt_field(w, col, c, err)) < 0)
			return f;
		sbuf_addc(&w->out, '.');
		cql_ident(&w->out, cql_type_field(t, f));
		sbuf_adds(&w->out, " = ");
		return cql_value_render(cql_type_sub(t, f), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
	default:
		return pit_errf(err, -ENOTSUP, "%s: column %s: multi-cell type not written as CQL", w->b.name, col->name);
	}
}

/* Marks TAKEN the unwritten elements of the complex column at [b, e) that go
 * with the write (ts, ldt); of a list only the run from its first unwritten
 * element, as appends in statement order are what keeps a list's order. */
static uint32_t take(struct cw *w, const struct live_cells *lc, uint32_t b, uint32_t e, bool list, int64_t ts,
		     int64_t ldt)
{
	uint32_t n = 0;

	for (uint32_t k = b; k < e; k++) {
		if (w->done[k] == DONE)
			continue;
		if (!same_write(w, &lc->v[k], ts, ldt)) {
			if (list)
				break;
			continue;
		}
		w->done[k] = TAKEN;
		n++;
	}
	return n;
}

/* The complex column at [b, e) is set whole ("c = [...]", which also
 * deletes what it held): in data.now.cql by its first statement, so that
 * the collection is forced back as it was; in data.cql where the deletion
 * over it is just below the write time, as setting it whole left it, so
 * that the replay leaves that deletion too. */
static bool whole(const struct cw *w, const struct live_cells *lc, uint32_t b, uint32_t e, int64_t ts)
{
	if (w->ts)
		return ts != SST_NO_TS && live_cells_deleted(lc, lc->v[b].col) == ts - 1;
	while (b > 0 && lc->v[b - 1].col == lc->v[e - 1].col)
		b--;
	for (uint32_t k = b; k < e; k++)
		if (w->done[k] == DONE)
			return false;
	return true;
}

/* The TAKEN elements of the complex column at [b, e) as one CQL value,
 * [v, ...], {e, ...}, {k: v, ...} or {field: v, ...}; then DONE. */
static int literal(struct cw *w, const struct sst_column *col, const struct live_cells *lc, uint32_t b, uint32_t e,
		   struct pit_err *err)
{
	const struct cql_type *t = col->type;
	enum cql_kind kind = cql_type_kind(t);
	bool first = true;
	int rc = 0, f;

	sbuf_addc(&w->out, kind == CQL_LIST ? '[' : '{');
	for (uint32_t k = b; k < e && rc >= 0; k++) {
		const struct sst_cell *c = &lc->v[k];
		if (w->done[k] != TAKEN)
			continue;
		w->done[k] = DONE;
		sbuf_adds(&w->out, first ? "" : ", ");
		first = false;
		switch (kind) {
		case CQL_LIST:
			rc = cql_value_render(cql_type_sub(t, 0), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
			break;
		case CQL_SET:
			rc = cql_value_render(cql_type_sub(t, 0), c->path, c->path_len, CQL_STYLE_LITERAL, &w->out, err);
			break;
		case CQL_MAP:
			if ((rc = cql_value_render(cql_type_sub(t, 0), c->path, c->path_len, CQL_STYLE_LITERAL, &w->out,
						   err)) < 0)
				break;
			sbuf_adds(&w->out, ": ");
			rc = cql_value_render(cql_type_sub(t, 1), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
			break;
		case CQL_UDT:
			if ((rc = f = udt_field(w, col, c, err)) < 0)
				break;
			cql_ident(&w->out, cql_type_field(t, f));
			sbuf_adds(&w->out, ": ");
			rc = cql_value_render(cql_type_sub(t, f), c->value, c->len, CQL_STYLE_LITERAL, &w->out, err);
			break;
		default:
			rc = pit_errf(err, -ENOTSUP, "%s: column %s: multi-cell type not written as CQL", w->b.name,
				      col->name);
		}
	}
	sbuf_addc(&w->out, kind == CQL_LIST ? ']' : '}');
	return rc < 0 ? rc : 0;
}

/* The complex column at [b, e)'s part of an UPDATE for the write (ts, ldt):
 * "c = [...]" (whole), "c = c + [...]" / "c = c + {...}", or "m['k'] = v,
 * ..." / "u.f = v, ...". 1 when it had elements there, 0, -errno. */
static int complex_assignment(struct cw *w, const struct sst_column *col, const struct live_cells *lc, uint32_t b,
			      uint32_t e, int64_t ts, int64_t ldt, bool first, struct pit_err *err)
{
	enum cql_kind kind = cql_type_kind(col->type);
	bool all = whole(w, lc, b, e, ts);
	int rc;

	if (!take(w, lc, b, e, kind == CQL_LIST, ts, ldt))
		return 0;
	sbuf_adds(&w->out, first ? "" : ", ");
	if (all || kind == CQL_LIST || kind == CQL_SET) {
		cql_ident(&w->out, col->name);
		sbuf_adds(&w->out, " = ");
		if (!all) {
			cql_ident(&w->out, col->name);
			sbuf_adds(&w->out, " + ");
		}
		return (rc = literal(w, col, lc, b, e, err)) < 0 ? rc : 1;
	}
	first = true;
	for (uint32_t k = b; k < e; k++) {
		if (w->done[k] != TAKEN)
			continue;
		w->done[k] = DONE;
		sbuf_adds(&w->out, first ? "" : ", ");
		first = false;
		if ((rc = assignment(w, col, &lc->v[k], err)) < 0)
			return rc;
	}
	return 1;
}

/* UPDATE statements for the cells not yet written, one per write (time and
 * expiry in data.cql, expiry in data.now.cql). */
static int updates(struct cw *w, const struct live_cells *lc, bool is_static, struct pit_err *err)
{
	const struct sst_column *cols = is_static ? w->h->statics : w->h->regulars;
	int rc;

	for (uint32_t i = 0; i < lc->n; i++) {
		if (w->done[i])
			continue;
		int64_t ts = lc->v[i].ts, ldt = lc->v[i].ldt;
		bool counter = cql_type_kind(cols[lc->v[i].col].type) == CQL_COUNTER;
		sbuf_adds(&w->out, "UPDATE ");
		cql_ident(&w->out, w->ks);
		sbuf_addc(&w->out, '.');
		cql_ident(&w->out, w->table);
		if (!counter)	/* counter updates take no timestamp and no TTL */
			using(w, ts, ldt);
		sbuf_adds(&w->out, " SET ");
		bool first = true;
		for (uint32_t k = i, e; k < lc->n; k = e) {
			const struct sst_column *col = &cols[lc->v[k].col];
			e = live_cells_column_end(lc, k);
			if (col->complex) {
				if ((rc = complex_assignment(w, col, lc, k, e, ts, ldt, first, err)) < 0)
					return rc;
				first = first && !rc;
			} else if (!w->done[k] && same_write(w, &lc->v[k], ts, ldt)) {
				sbuf_adds(&w->out, first ? "" : ", ");
				first = false;
				if ((rc = assignment(w, col, &lc->v[k], err)) < 0)
					return rc;
				w->done[k] = DONE;
			}
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
	if (lc->n)	/* done is NULL until a row has cells */
		memset(w->done, 0, lc->n);
	return 0;
}

static bool taken(const struct cw *w, uint32_t b, uint32_t e)
{
	for (uint32_t k = b; k < e; k++)
		if (w->done[k] == TAKEN)
			return true;
	return false;
}

/* An INSERT makes the row marker; the cells written with it go along, and
 * the collections set whole with it. */
static int insert(struct cw *w, const struct sst_unfiltered *u, const struct live_cells *cells, struct pit_err *err)
{
	const struct sst_liveness *l = &u->liveness;
	int rc;

	for (uint32_t k = 0, e; k < cells->n; k = e) {
		const struct sst_column *col = &w->h->regulars[cells->v[k].col];
		e = live_cells_column_end(cells, k);
		if (!col->complex) {
			if (same_write(w, &cells->v[k], l->ts, l->ldt))
				w->done[k] = TAKEN;
		} else if (whole(w, cells, k, e, l->ts)) {
			take(w, cells, k, e, cql_type_kind(col->type) == CQL_LIST, l->ts, l->ldt);
		}
	}
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
	for (uint32_t k = 0, e; k < cells->n; k = e) {
		e = live_cells_column_end(cells, k);
		if (taken(w, k, e)) {
			sbuf_adds(&w->out, ", ");
			cql_ident(&w->out, w->h->regulars[cells->v[k].col].name);
		}
	}
	sbuf_adds(&w->out, ") VALUES (");
	sbuf_add(&w->out, w->vals.buf, w->vals.len);
	for (uint32_t k = 0, e; k < cells->n; k = e) {
		const struct sst_column *col = &w->h->regulars[cells->v[k].col];
		e = live_cells_column_end(cells, k);
		if (!taken(w, k, e))
			continue;
		sbuf_adds(&w->out, ", ");
		if (col->complex)
			rc = literal(w, col, cells, k, e, err);
		else if ((rc = cql_value_render(col->type, cells->v[k].value, cells->v[k].len, CQL_STYLE_LITERAL,
						&w->out, err)) >= 0)
			w->done[k] = DONE;
		if (rc < 0)
			return rc;
	}
	sbuf_adds(&w->out, ")");
	using(w, l->ts, l->ldt);
	sbuf_adds(&w->out, ";\n");
	return 0;
}

static int row(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *u,
	       const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct cw *w = ctx;
	int rc;

	if (first && (rc = partition_key(w, p, err)) < 0)
		return rc;
	/* the static cells, once per partition */
	if (first && statics->n) {
		if ((rc = row_key(w, NULL, err)) < 0 || (rc = mark(w, statics)) < 0 ||
		    (rc = updates(w, statics, true, err)) < 0)
			return rc;
	}
	if (u) {
		if ((rc = row_key(w, u, err)) < 0 || (rc = mark(w, cells)) < 0)
			return rc;
		const struct sst_liveness *l = &u->liveness;
		if (l->ts != SST_NO_TS && (l->ldt == SST_NO_LDT || l->ldt > w->now_s) &&
		    (rc = insert(w, u, cells, err)) < 0)
			return rc;
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
	sbuf_release(&w->pk_where);
	sbuf_release(&w->pk_vals);
	sbuf_release(&w->where);
	sbuf_release(&w->vals);
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
	sbuf_init(&w->pk_where);
	sbuf_init(&w->pk_vals);
	sbuf_init(&w->where);
	sbuf_init(&w->vals);
	if (bind_init(&w->b, h, table, &o) < 0) {
		end(w, false, err);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	*rw = (struct row_writer){ row, end, w, &w->out, w->b.reg_dropped, w->b.st_dropped };
	return 0;
}
