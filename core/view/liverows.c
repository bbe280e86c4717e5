#include <stdlib.h>
#include <string.h>
#include "core/util/sbuf.h"
#include "core/util/vec.h"
#include "core/view/liverows.h"

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

/* The live cells of u into lc; their bytes copied into bytes when keep
 * (statics outlive the scan's next call), else borrowed. */
static int collect(const struct liverows *lr, const struct sst_unfiltered *u, const struct sst_deletion *row_del,
		   struct live_cells *lc, struct sbuf *bytes, bool keep)
{
	bool st = u->kind == SST_STATIC_ROW;
	const int64_t *dropped = st ? lr->st_dropped : lr->reg_dropped;
	const struct sst_column *cols = st ? lr->h->statics : lr->h->regulars;

	lc->n = lc->ndel = 0;
	if (keep)
		sbuf_reset(bytes);
	for (uint32_t i = 0; i < u->ncells;) {
		uint16_t ci = u->cells[i].col;
		uint32_t j = i;
		while (j < u->ncells && u->cells[j].col == ci)
			j++;
		struct sst_deletion del = live_complex_deletion(&lr->at, u, ci, row_del);
		uint32_t before = lc->n;
		for (uint32_t k = i; k < j; k++) {
			const struct sst_cell *c = &u->cells[k];
			if (!live_cell(&lr->at, c, &del) || (dropped && c->ts <= dropped[ci]))
				continue;
			if (vec_grow((void **)&lc->v, &lc->cap, lc->n + 1, sizeof(*lc->v)) < 0)
				return -ENOMEM;
			struct sst_cell *d = (struct sst_cell *)&lc->v[lc->n++];
			*d = *c;
			if (keep) {	/* offsets now, pointers once the bytes stop moving */
				d->path = (const uint8_t *)(uintptr_t)bytes->len;
				sbuf_add(bytes, c->path, c->path_len);
				d->value = (const uint8_t *)(uintptr_t)bytes->len;
				sbuf_add(bytes, c->value, c->len);
			}
		}
		if (cols[ci].complex && lc->n > before && del.mfda != SST_NO_TS) {
			if (vec_grow((void **)&lc->del, &lc->del_cap, lc->ndel + 1, sizeof(*lc->del)) < 0)
				return -ENOMEM;
			lc->del[lc->ndel++] = (struct sst_complex_del){ ci, del };
		}
		i = j;
	}
	if (keep) {
		if (bytes->oom)
			return -ENOMEM;
		for (uint32_t k = 0; k < lc->n; k++) {
			struct sst_cell *d = (struct sst_cell *)&lc->v[k];
			d->path = (const uint8_t *)bytes->buf + (uintptr_t)d->path;
			d->value = (const uint8_t *)bytes->buf + (uintptr_t)d->value;
		}
	}
	return 0;
}

static int boundary(const struct liverows *lr, struct pit_err *err)
{
	if (!lr->ck || !lr->ck->boundary)
		return 0;
	return lr->ck->boundary(lr->ck->ctx, lr->pending ? lr->pending->len : 0, err);
}

int liverows_walk(const struct liverows *lr, const struct scan_ops *it, void *ictx, struct pit_err *err)
{
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	struct live_cells statics = { 0 }, cells = { 0 };
	struct sbuf sbytes;
	int rc;

	sbuf_init(&sbytes);
	while ((rc = it->next_partition(ictx, &p, err)) > 0) {
		struct live_range range;
		struct sst_deletion pdel = live_deletion_max(&lr->at, p->deletion, p->deletion);
		bool first = true;

		statics.n = 0;
		live_range_reset(&range);
		while ((rc = it->next(ictx, &u, err)) > 0) {
			if (u->kind == SST_MARKER) {
				live_range_apply(&lr->at, &range, u);
				continue;
			}
			if (u->kind == SST_STATIC_ROW) {
				struct sst_deletion d = live_row_deletion(&lr->at, &pdel, &LIVE, u);
				if ((rc = collect(lr, u, &d, &statics, &sbytes, true)) < 0)
					goto oom;
				continue;
			}
			struct sst_deletion d = live_row_deletion(&lr->at, &pdel, &range.open, u);
			if ((rc = collect(lr, u, &d, &cells, NULL, false)) < 0)
				goto oom;
			if (!cells.n && !live_liveness(&lr->at, &u->liveness, &d))
				continue;
			if ((first && (rc = boundary(lr, err)) < 0) ||
			    (rc = lr->row(lr->ctx, p, u, &statics, &cells, first, err)) < 0)
				goto out;
			first = false;
		}
		if (rc < 0)
			break;
		/* a partition with live statics and no live row still shows them */
		if (first && statics.n &&
		    ((rc = boundary(lr, err)) < 0 || (rc = lr->row(lr->ctx, p, NULL, &statics, &cells, true, err)) < 0))
			break;
	}
	goto out;
oom:
	rc = pit_errf(err, -ENOMEM, "out of memory");
out:
	free((void *)statics.v);
	free((void *)cells.v);
	free(statics.del);
	free(cells.del);
	sbuf_release(&sbytes);
	return rc;
}

int liverows_write(const struct row_writer *rw, const struct sst_header *h, const struct live_at *at,
		   const struct render_ckpt *ck, const struct scan_ops *it, void *ictx, struct pit_err *err)
{
	struct liverows lr = { h, *at, rw->reg_dropped, rw->st_dropped, rw->row, rw->ctx, ck, rw->pending };
	int rc = liverows_walk(&lr, it, ictx, err);
	int end = rw->end(rw->ctx, rc == 0, err);

	return rc < 0 ? rc : end;
}

int live_cells_value(const struct live_cells *lc, int col, bool complex, struct cql_element **el, size_t *cap,
		     struct live_value *out)
{
	uint32_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < lc->n && lc->v[i].col != col)
		i++;
	if (col < 0 || i == lc->n)
		return 0;
	if (!complex) {
		out->cell = &lc->v[i];
		return 1;
	}
	uint32_t j = live_cells_column_end(lc, i);
	if (vec_grow((void **)el, cap, j - i, sizeof(**el)) < 0)
		return -ENOMEM;
	for (uint32_t k = i; k < j; k++)
		(*el)[k - i] = (struct cql_element){ lc->v[k].path, lc->v[k].path_len, lc->v[k].value, lc->v[k].len };
	out->el = *el;
	out->nel = j - i;
	return 1;
}
