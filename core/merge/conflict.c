/* Where the replicas disagree: for every partition, row, deletion and cell
 * of the merge, each node's own reconciled version, compared across the
 * nodes that hold the partition. A consistent backup yields nothing. */
#include <stdlib.h>
#include <string.h>
#include "core/merge/merge_impl.h"
#include "core/util/vec.h"

void kmerge_set_nodes(struct kmerge *km, const int *node, int nnodes)
{
	km->node = node;
	km->nnodes = nnodes;
}

static bool same_cell(const struct sst_cell *a, const struct sst_cell *b)
{
	const uint8_t kinds = SST_CELL_DELETED | SST_CELL_EXPIRING;

	return a->ts == b->ts && (a->flags & kinds) == (b->flags & kinds) && a->ttl == b->ttl && a->ldt == b->ldt &&
	       a->len == b->len && (!a->len || !memcmp(a->value, b->value, a->len));
}

static bool same_del(const struct sst_deletion *a, const struct sst_deletion *b)
{
	return a->mfda == b->mfda && a->ldt == b->ldt;
}

static bool same_live(const struct sst_liveness *a, const struct sst_liveness *b)
{
	return a->ts == b->ts && a->ttl == b->ttl && a->ldt == b->ldt;
}

static struct kconflict *add(struct kmerge *km, enum kconflict_kind kind, const struct sst_unfiltered *row,
			     const bool *holds)
{
	struct kversion *v;

	if (vec_grow((void **)&km->conf, &km->capconf, km->nconf + 1, sizeof(*km->conf)) < 0 ||
	    !(v = kmerge_alloc(&km->a, (size_t)km->nnodes * sizeof(*v))))
		return NULL;
	memset(v, 0, (size_t)km->nnodes * sizeof(*v));
	struct kconflict *c = &km->conf[km->nconf++];
	*c = (struct kconflict){ kind, row, 0, NULL, 0, -1, v, holds };
	return c;
}

/* The cell with o's (column, path) in a node's merged row, or NULL. */
static const struct sst_cell *find_cell(const struct sst_unfiltered *r, const struct sst_cell *key,
					const struct sst_column *cols)
{
	for (uint32_t i = 0; r && i < r->ncells; i++)
		if (!kmerge_cmp_cells(&r->cells[i], key, (void *)cols))
			return &r->cells[i];
	return NULL;
}

static const struct sst_deletion *find_cx(const struct sst_unfiltered *r, uint16_t col)
{
	for (uint32_t i = 0; r && i < r->ncomplex; i++)
		if (r->complex[i].col == col)
			return &r->complex[i].del;
	return NULL;
}

/* One group of versions (rows g[0..n) of one clustering, merged as o). */
static int compare_group(struct kmerge *km, struct row *g, size_t n, const struct sst_unfiltered *o, const bool *holds,
			 struct pit_err *err)
{
	int nn = km->nnodes;
	const struct sst_unfiltered **nr = kmerge_alloc(&km->a, (size_t)nn * sizeof(*nr));
	struct row *sub = kmerge_alloc(&km->a, (n + 1) * sizeof(*sub));
	const struct sst_column *cols = o->kind == SST_STATIC_ROW ? km->h->statics : km->h->regulars;
	const struct sst_liveness none = { SST_NO_TS, 0, SST_NO_LDT };
	const struct sst_deletion live = { SST_NO_TS, SST_NO_LDT };
	struct kconflict *c;

	if (!nr || !sub)
		return -ENOMEM;
	for (int k = 0; k < nn; k++) {
		size_t m = 0;
		nr[k] = NULL;
		for (size_t i = 0; i < n; i++)
			if (km->node[g[i].src] == k)
				sub[m++] = g[i];
		if (!holds[k])
			continue;
		struct sst_unfiltered *r = kmerge_alloc(&km->a, sizeof(*r));
		int rc;
		if (!r)
			return -ENOMEM;
		if (m) {
			if ((rc = kmerge_group(km, sub, m, r, err)) < 0)
				return rc;
		} else {	/* no version of the row: it may still lie under the node's range deletion */
			*r = *o;
			r->liveness = none;
			r->deletion = live;
			r->ncells = r->ncomplex = 0;
		}
		if (r->kind == SST_ROW)
			kmerge_fold_ranges(km, r, k);
		if (m || r->deletion.mfda != SST_NO_TS)
			nr[k] = r;
	}
	/* liveness and row deletion: absent rows have none */
	for (int what = 0; what < 2; what++) {
		bool differ = false;
		int first = -1;
		for (int k = 0; k < nn && !differ; k++) {
			if (!holds[k])
				continue;
			if (first < 0)
				first = k;
			else if (what ? !same_del(nr[k] ? &nr[k]->deletion : &live, nr[first] ? &nr[first]->deletion : &live)
				      : !same_live(nr[k] ? &nr[k]->liveness : &none, nr[first] ? &nr[first]->liveness : &none))
				differ = true;
		}
		if (!differ)
			continue;
		if (!(c = add(km, what ? KC_ROW_DELETION : KC_LIVENESS, o, holds)))
			return -ENOMEM;
		for (int k = 0; k < nn; k++) {
			struct kversion *v = (struct kversion *)&c->v[k];
			v->present = holds[k] && nr[k] && (what ? nr[k]->deletion.mfda != SST_NO_TS : nr[k]->liveness.ts != SST_NO_TS);
			v->live = nr[k] ? nr[k]->liveness : none;
			v->del = nr[k] ? nr[k]->deletion : live;
			if (c->winner < 0 && v->present &&
			    (what ? same_del(&v->del, &o->deletion) : same_live(&v->live, &o->liveness)))
				c->winner = k;
		}
	}
	/* complex deletions, column by column */
	for (uint32_t i = 0; i < o->ncomplex; i++) {
		uint16_t col = o->complex[i].col;
		bool differ = false;
		const struct sst_deletion *d0 = NULL;
		int seen = 0;
		for (int k = 0; k < nn && !differ; k++) {
			if (!holds[k])
				continue;
			const struct sst_deletion *d = find_cx(nr[k], col);
			if (seen++ && ((d == NULL) != (d0 == NULL) || (d && !same_del(d, d0))))
				differ = true;
			if (seen == 1)
				d0 = d;
		}
		if (!differ)
			continue;
		if (!(c = add(km, KC_COMPLEX_DELETION, o, holds)))
			return -ENOMEM;
		c->col = col;
		for (int k = 0; k < nn; k++) {
			const struct sst_deletion *d = holds[k] ? find_cx(nr[k], col) : NULL;
			struct kversion *v = (struct kversion *)&c->v[k];
			v->present = d != NULL;
			v->del = d ? *d : live;
			if (c->winner < 0 && d && same_del(d, &o->complex[i].del))
				c->winner = k;
		}
	}
	/* cells: every (column, path) of the merge is some node's */
	for (uint32_t i = 0; i < o->ncells; i++) {
		const struct sst_cell *w = &o->cells[i], *c0 = NULL;
		bool differ = false;
		int seen = 0;
		for (int k = 0; k < nn && !differ; k++) {
			if (!holds[k])
				continue;
			const struct sst_cell *x = find_cell(nr[k], w, cols);
			if (seen++ && ((x == NULL) != (c0 == NULL) || (x && !same_cell(x, c0))))
				differ = true;
			if (seen == 1)
				c0 = x;
		}
		if (!differ)
			continue;
		if (!(c = add(km, KC_CELL, o, holds)))
			return -ENOMEM;
		c->col = w->col;
		c->path = w->path;
		c->path_len = w->path_len;
		for (int k = 0; k < nn; k++) {
			const struct sst_cell *x = holds[k] ? find_cell(nr[k], w, cols) : NULL;
			struct kversion *v = (struct kversion *)&c->v[k];
			v->present = x != NULL;
			if (x)
				v->cell = *x;
			if (c->winner < 0 && x && same_cell(x, w))
				c->winner = k;
		}
	}
	return 0;
}

int kmerge_conflicts(struct kmerge *km, const struct kconflict **out, size_t *n, struct pit_err *err)
{
	int nn = km->nnodes, nh = 0, rc;
	bool *holds;
	struct sst_deletion *pd;

	km->nconf = 0;
	*out = NULL;
	*n = 0;
	if (!km->node || nn < 2 || (!km->at_partition && !km->ng))
		return 0;
	if (!(holds = kmerge_alloc(&km->a, (size_t)nn * sizeof(*holds))) ||
	    !(pd = kmerge_alloc(&km->a, (size_t)nn * sizeof(*pd))))
		return pit_errf(err, -ENOMEM, "out of memory");
	for (int k = 0; k < nn; k++) {
		holds[k] = false;
		pd[k] = (struct sst_deletion){ SST_NO_TS, SST_NO_LDT };
	}
	for (int i = 0; i < km->n; i++)
		if (km->src[i].in) {
			holds[km->node[i]] = true;
			pd[km->node[i]] = kmerge_del_max(pd[km->node[i]], km->src[i].ppdel);
		}
	for (int k = 0; k < nn; k++)
		nh += holds[k];
	if (nh < 2)
		return 0;
	if (!km->at_partition) {
		if ((rc = compare_group(km, km->g, (size_t)km->ng, &km->out, holds, err)) < 0)
			return rc == -ENOMEM ? pit_errf(err, rc, "out of memory") : rc;
		*out = km->conf;
		*n = km->nconf;
		return 0;
	}
	/* the partition deletion */
	int first = -1;
	bool differ = false;
	for (int k = 0; k < nn; k++)
		if (holds[k]) {
			if (first < 0)
				first = k;
			else
				differ |= !same_del(&pd[k], &pd[first]);
		}
	if (differ) {
		struct kconflict *c = add(km, KC_PARTITION_DELETION, NULL, holds);
		if (!c)
			return pit_errf(err, -ENOMEM, "out of memory");
		for (int k = 0; k < nn; k++) {
			struct kversion *v = (struct kversion *)&c->v[k];
			v->present = holds[k] && pd[k].mfda != SST_NO_TS;
			v->del = pd[k];
			if (c->winner < 0 && v->present && same_del(&pd[k], &km->cur.deletion))
				c->winner = k;
		}
	}
	*out = km->conf;
	*n = km->nconf;
	return 0;
}
