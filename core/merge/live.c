#include "core/merge/live.h"

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

bool live_deletion_supersedes(const struct sst_deletion *a, const struct sst_deletion *b)
{
	if (a->mfda != b->mfda)
		return a->mfda > b->mfda;
	return a->ldt > b->ldt && a->ldt != SST_NO_LDT;
}

static struct sst_deletion cut(const struct live_at *at, struct sst_deletion d)
{
	return d.mfda != SST_NO_TS && d.mfda > at->max_ts ? LIVE : d;
}

struct sst_deletion live_deletion_max(const struct live_at *at, struct sst_deletion a, struct sst_deletion b)
{
	a = cut(at, a);
	b = cut(at, b);
	return live_deletion_supersedes(&b, &a) ? b : a;
}

struct sst_deletion live_row_deletion(const struct live_at *at, const struct sst_deletion *partition,
				      const struct sst_deletion *range, const struct sst_unfiltered *row)
{
	struct sst_deletion d = live_deletion_max(at, *partition, *range), own = cut(at, row->deletion);

	/* a shadowable deletion (materialized views) gives way to a newer row liveness */
	if (row->shadowable && row->liveness.ts != SST_NO_TS && row->liveness.ts <= at->max_ts &&
	    row->liveness.ts > own.mfda)
		own = LIVE;
	return live_deletion_max(at, d, own);
}

bool live_liveness(const struct live_at *at, const struct sst_liveness *l, const struct sst_deletion *del)
{
	if (l->ts == SST_NO_TS || l->ts > at->max_ts || live_deletes(del, l->ts))
		return false;
	if (l->ttl == INT32_MAX)	/* EXPIRED_LIVENESS_TTL: dead by construction */
		return false;
	return l->ldt == SST_NO_LDT || at->now_s < l->ldt;
}

bool live_cell(const struct live_at *at, const struct sst_cell *c, const struct sst_deletion *del)
{
	if (c->flags & SST_CELL_DELETED)
		return false;
	if (c->ts > at->max_ts || live_deletes(del, c->ts))
		return false;
	if ((c->flags & SST_CELL_EXPIRING) || (c->flags & SST_CELL_ROW_TTL && c->ldt != SST_NO_LDT))
		return at->now_s < c->ldt;
	return true;
}

struct sst_deletion live_complex_deletion(const struct live_at *at, const struct sst_unfiltered *u, uint16_t col,
					  const struct sst_deletion *row_del)
{
	for (uint32_t i = 0; i < u->ncomplex; i++)
		if (u->complex[i].col == col)
			return live_deletion_max(at, *row_del, u->complex[i].del);
	return *row_del;
}

void live_range_reset(struct live_range *r)
{
	r->open = LIVE;
}

void live_range_apply(const struct live_at *at, struct live_range *r, const struct sst_unfiltered *m)
{
	(void)at;
	switch (m->bound) {
	case SST_INCL_START_BOUND:
	case SST_EXCL_START_BOUND:
		r->open = m->marker[0];
		break;
	case SST_EXCL_END_BOUND:
	case SST_INCL_END_BOUND:
		r->open = LIVE;
		break;
	default:	/* boundaries close one deletion and open the next */
		r->open = m->marker[1];
	}
}
