#include <stdlib.h>
#include <string.h>
#include "core/cql/type.h"
#include "core/cql/value.h"
#include "core/view/bind.h"
#include "core/view/render_csv.h"

struct cw {
	struct bind b;
	const struct sst_header *h;
	struct bind_col *cols;
	size_t ncols;
	size_t nfields;		/* in a line */
	struct sbuf out, field, key;
	struct cql_element *el;
	size_t el_cap;
	dump_write_fn write;
	void *ctx;
};

/* Python's csv.writer as COPY sets it up (delimiter ',', quotechar '"',
 * escapechar '\\', doublequote off, QUOTE_MINIMAL, "\r\n"): '"' and '\\'
 * are escaped with '\\'; a field holding ',', '\r' or '\n' is quoted; a line
 * of one empty field is written "". */
static void add_field(struct sbuf *out, const char *p, size_t n, bool first, bool only)
{
	bool quoted = only && n == 0;

	for (size_t i = 0; i < n && !quoted; i++)
		quoted = p[i] == ',' || p[i] == '\r' || p[i] == '\n';
	if (!first)
		sbuf_addc(out, ',');
	if (quoted)
		sbuf_addc(out, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '"' && p[i] != '\\')
			continue;
		sbuf_add(out, p + run, i - run);
		sbuf_addc(out, '\\');
		run = i;
	}
	sbuf_add(out, p + run, n - run);
	if (quoted)
		sbuf_addc(out, '"');
}

static void end_field(struct cw *w, bool first)
{
	add_field(&w->out, w->field.buf ? w->field.buf : "", w->field.len, first, w->nfields == 1);
	sbuf_reset(&w->field);
}

static int value(struct cw *w, const struct bind_col *c, const struct live_cells *lc, struct pit_err *err)
{
	const struct sst_column *col = c->idx < 0 ? NULL : c->is_static ? &w->h->statics[c->idx] : &w->h->regulars[c->idx];
	struct live_value lv;
	int rc = col ? live_cells_value(lc, c->idx, col->complex, &w->el, &w->el_cap, &lv) : 0;

	if (rc <= 0)	/* no live value: NULL, an empty field */
		return rc < 0 ? pit_errf(err, rc, "out of memory") : 0;
	return lv.cell ? cql_value_cqlsh(col->type, lv.cell->value, lv.cell->len, &w->field, err)
		       : cql_elements_cqlsh(col->type, lv.el, lv.nel, &w->field, err);
}

static int row(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *u,
	       const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct cw *w = ctx;
	int rc;

	if (first) {	/* the partition key's fields, once per partition */
		const uint8_t *vals[64];
		size_t lens[64];
		int n = bind_key_parts(&w->b, p, vals, lens, err);
		if (n < 0)
			return n;
		sbuf_reset(&w->key);
		for (int i = 0; i < n; i++) {
			if ((rc = cql_value_cqlsh(w->b.pk_type[i], vals[i], lens[i], &w->field, err)) < 0)
				return pit_err_prefix(err, rc, "%s: partition key at offset %llu", w->b.name,
						      (unsigned long long)p->offset);
			add_field(&w->key, w->field.buf ? w->field.buf : "", w->field.len, i == 0, w->nfields == 1);
			sbuf_reset(&w->field);
		}
	}
	sbuf_add(&w->out, w->key.buf, w->key.len);
	for (int i = 0; i < w->b.nck; i++) {
		if (u && u->cstate[i] != SST_CK_NULL &&
		    (rc = cql_value_cqlsh(w->h->clustering[i], u->cval[i], u->clen[i], &w->field, err)) < 0)
			return pit_err_prefix(err, rc, "%s: clustering column %s", w->b.name, w->b.ck_name[i]);
		end_field(w, false);
	}
	for (size_t i = 0; i < w->ncols; i++) {
		const struct live_cells *lc = w->cols[i].is_static ? statics : u ? cells : NULL;
		if (lc && (rc = value(w, &w->cols[i], lc, err)) < 0)
			return pit_err_prefix(err, rc, "%s: column %s", w->b.name, w->cols[i].name);
		end_field(w, false);
	}
	sbuf_adds(&w->out, "\r\n");
	return dump_flush(&w->out, false, w->write, w->ctx, err);
}

static int end(void *ctx, bool flush, struct pit_err *err)
{
	struct cw *w = ctx;
	int rc = flush ? dump_flush(&w->out, true, w->write, w->ctx, err) : 0;

	bind_release(&w->b);
	free(w->cols);
	free(w->el);
	sbuf_release(&w->out);
	sbuf_release(&w->field);
	sbuf_release(&w->key);
	free(w);
	return rc;
}

int render_csv_writer(struct row_writer *rw, const struct sst_header *h, const char *name, const struct cql_table *t,
		      bool resume, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct cw *w = calloc(1, sizeof(*w));
	struct dump_opts o = { .mode = DUMP_ROWS, .table = t };

	if (!w)
		return pit_errf(err, -ENOMEM, "out of memory");
	*w = (struct cw){ .h = h, .write = write, .ctx = ctx };
	sbuf_init(&w->out);
	sbuf_init(&w->field);
	sbuf_init(&w->key);
	if (bind_init(&w->b, h, name, &o) < 0 || bind_columns(&w->b, t, false, &w->cols, &w->ncols) < 0) {
		end(w, false, err);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	w->nfields = (size_t)w->b.npk + (size_t)w->b.nck + w->ncols;
	/* the header: column names as the driver's metadata has them, unquoted */
	for (size_t i = 0; i < w->nfields && !resume; i++) {
		const char *cn = i < (size_t)w->b.npk ? w->b.pk_name[i]
				 : i < (size_t)(w->b.npk + w->b.nck) ? w->b.ck_name[i - (size_t)w->b.npk]
				 : w->cols[i - (size_t)w->b.npk - (size_t)w->b.nck].name;
		add_field(&w->out, cn, strlen(cn), i == 0, w->nfields == 1);
	}
	if (!resume)
		sbuf_adds(&w->out, "\r\n");
	*rw = (struct row_writer){ row, end, w, &w->out, w->b.reg_dropped, w->b.st_dropped };
	return 0;
}
