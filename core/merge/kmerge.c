#include <stdlib.h>
#include <string.h>
#include "core/cql/type.h"
#include "core/cql/value.h"
#include "core/util/bytes.h"
#include "core/merge/merge_impl.h"
#include "core/merge/live.h"
#include "core/sstable/token.h"
#include "core/util/vec.h"

void *kmerge_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!a->head || a->head->cap - a->head->used < n) {
		size_t cap = n > (256u << 10) ? n : (256u << 10);
		struct block *b = malloc(sizeof(*b) + cap);
		if (!b) {
			a->oom = 1;
			return NULL;
		}
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += n;
	return p;
}

static void *arena_dup(struct arena *a, const void *p, size_t n)
{
	void *q = kmerge_alloc(a, n ? n : 1);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

static void arena_reset(struct arena *a)
{
	/* keep the newest block for the next partition */
	struct block *b = a->head ? a->head->next : NULL;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	if (a->head) {
		a->head->next = NULL;
		a->head->used = 0;
	}
	a->oom = 0;
}

static void arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

/* The union of every source's columns (Cassandra 3.x writes only the
 * columns a memtable held): ssts[0]'s first, then the others' new ones. */
static int map_columns(struct kmerge *km, struct src *sr, struct pit_err *err)
{
	const struct sst_header *h = sst_header(sr->s);
	struct sst_header *u = &km->uh;

	sr->smap = calloc((size_t)h->nstatic + 1, sizeof(int));
	sr->rmap = calloc((size_t)h->nregular + 1, sizeof(int));
	if (!sr->smap || !sr->rmap)
		return pit_errf(err, -ENOMEM, "out of memory");
	for (int st = 0; st < 2; st++) {
		int n = st ? h->nstatic : h->nregular, *nu = st ? &u->nstatic : &u->nregular;
		const struct sst_column *c = st ? h->statics : h->regulars;
		struct sst_column **uc = st ? &u->statics : &u->regulars;
		size_t *cap = st ? &km->capst : &km->capreg;
		for (int i = 0; i < n; i++) {
			int k = 0;
			while (k < *nu && strcmp(c[i].name, (*uc)[k].name))
				k++;
			if (k == *nu) {
				if (vec_grow((void **)uc, cap, (size_t)*nu + 1, sizeof(**uc)) < 0)
					return pit_errf(err, -ENOMEM, "out of memory");
				(*uc)[(*nu)++] = c[i];	/* name and type borrowed from the source */
			} else if (!cql_type_equal(c[i].type, (*uc)[k].type)) {
				return pit_errf(err, -ENOTSUP, "%s: column %s has another type than in %s", sst_name(sr->s),
						c[i].name, sst_name(km->s0));
			}
			(st ? sr->smap : sr->rmap)[i] = k;
		}
	}
	return 0;
}

const struct sst_header *kmerge_header(const struct kmerge *km) { return &km->uh; }

const uint64_t *kmerge_resume(const struct kmerge *km) { return km->resume; }

static int advance(struct kmerge *km, struct src *sr, struct pit_err *err)
{
	const struct sst_partition *p;
	int rc = sst_scan_next_partition(sr->sc, &p, err);

	sr->has = rc > 0;
	if (rc <= 0)
		return rc;
	if (p->key_len > sr->kcap) {
		uint8_t *k = realloc(sr->key, p->key_len);
		if (!k)
			return pit_errf(err, -ENOMEM, "out of memory");
		sr->key = k;
		sr->kcap = p->key_len;
	}
	memcpy(sr->key, p->key, p->key_len);
	sr->klen = p->key_len;
	sr->off = p->offset;
	sr->pdel = p->deletion;
	sst_token_of(km->part, sr->key, sr->klen, &sr->tok);
	return 1;
}

int kmerge_open(struct kmerge **out, struct sst **ssts, int n, int64_t max_ts, struct pit_err *err)
{
	return kmerge_open_at(out, ssts, n, max_ts, NULL, err);
}

int kmerge_open_at(struct kmerge **out, struct sst **ssts, int n, int64_t max_ts, const uint64_t *start,
		   struct pit_err *err)
{
	struct kmerge *km = calloc(1, sizeof(*km));
	int rc = 0;

	*out = NULL;
	if (!km || n < 1 || !(km->src = calloc((size_t)n, sizeof(*km->src)))) {
		free(km);
		return n < 1 ? pit_errf(err, -EINVAL, "nothing to merge") : pit_errf(err, -ENOMEM, "out of memory");
	}
	km->n = n;
	km->max_ts = max_ts;
	if (!(km->inpart = calloc((size_t)n, sizeof(*km->inpart))) || !(km->ppdel = calloc((size_t)n, sizeof(*km->ppdel))) ||
	    !(km->resume = calloc((size_t)n, sizeof(*km->resume))) ||
	    !(km->row_begin = calloc((size_t)n, sizeof(size_t))) || !(km->row_end = calloc((size_t)n, sizeof(size_t))) ||
	    !(km->rt_begin = calloc((size_t)n, sizeof(size_t))) || !(km->rt_end = calloc((size_t)n, sizeof(size_t)))) {
		kmerge_close(km);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	km->s0 = ssts[0];
	km->uh.key_type = sst_header(ssts[0])->key_type;
	km->uh.nclustering = sst_header(ssts[0])->nclustering;
	km->uh.clustering = sst_header(ssts[0])->clustering;
	km->h = &km->uh;
	if (!(km->fastcmp = calloc((size_t)km->uh.nclustering + 1, 1))) {
		kmerge_close(km);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	for (int i = 0; i < km->uh.nclustering; i++) {
		const struct cql_type *t = km->uh.clustering[i];
		enum cql_kind k = cql_type_kind(t);
		int w = k == CQL_BIGINT || k == CQL_TIMESTAMP ? 8 : k == CQL_INT ? 4 : 0;
		km->fastcmp[i] = (signed char)(cql_type_reversed(t) ? -w : w);
	}
	km->part = sst_stats(ssts[0])->partitioner;
	for (int i = 0; i < n && rc == 0; i++) {
		struct src *sr = &km->src[i];
		sr->s = ssts[i];
		if (sst_stats(ssts[i])->partitioner != km->part)
			rc = pit_errf(err, -EINVAL, "%s: partitioner %s, %s has %s", sst_name(ssts[i]),
				      sst_stats(ssts[i])->partitioner_class, sst_name(ssts[0]),
				      sst_stats(ssts[0])->partitioner_class);
		else if (sst_header(ssts[i])->nclustering != km->h->nclustering)
			rc = pit_errf(err, -EINVAL, "%s: %d clustering columns, %s has %d", sst_name(ssts[i]),
				      sst_header(ssts[i])->nclustering, sst_name(ssts[0]), km->h->nclustering);
		else if ((rc = map_columns(km, sr, err)) == 0 && (rc = sst_scan_open(&sr->sc, sr->s, err)) == 0) {
			if (start && start[i] == UINT64_MAX)
				continue;	/* this source had nothing left there */
			if (start)
				sst_scan_seek(sr->sc, start[i]);
			if ((rc = advance(km, sr, err)) > 0)
				rc = 0;
		}
	}
	if (rc < 0) {
		kmerge_close(km);
		return rc;
	}
	*out = km;
	return 0;
}

void kmerge_close(struct kmerge *km)
{
	if (!km)
		return;
	for (int i = 0; i < km->n; i++) {
		sst_scan_close(km->src[i].sc);
		free(km->src[i].key);
		free(km->src[i].smap);
		free(km->src[i].rmap);
	}
	arena_free(&km->a);
	free(km->uh.statics);
	free(km->uh.regulars);
	free(km->fastcmp);
	free(km->inpart);
	free(km->ppdel);
	free(km->resume);
	free(km->row_begin);
	free(km->row_end);
	free(km->rt_begin);
	free(km->rt_end);
	free(km->sorted);
	free(km->grp);
	free(km->conf);
	free(km->src);
	free(km->key);
	free(km->rows);
	free(km->rts);
	free(km->out);
	free(km->cells);
	free(km);
}

/* ---- reconciliation (sstable-format.md §9, the 4.x/5.0 form) ---- */

struct sst_deletion kmerge_del_max(struct sst_deletion a, struct sst_deletion b)
{
	return live_deletion_supersedes(&b, &a) ? b : a;
}

static struct sst_deletion cut_del(const struct kmerge *km, struct sst_deletion d)
{
	return d.mfda != SST_NO_TS && d.mfda > km->max_ts ? LIVE : d;
}

#define EXPIRED_LIVENESS_TTL INT32_MAX

static bool liveness_supersedes(const struct sst_liveness *a, const struct sst_liveness *b)
{
	if (a->ts != b->ts)
		return a->ts > b->ts;
	bool ax = a->ttl == EXPIRED_LIVENESS_TTL, bx = b->ttl == EXPIRED_LIVENESS_TTL;
	if (ax != bx)
		return ax;
	bool ae = a->ldt != SST_NO_LDT, be = b->ldt != SST_NO_LDT;
	if (ae == be)
		return a->ldt > b->ldt;
	return ae;
}

static int cmp_bytes(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* a wins over b: resolveRegular, then resolveCounter for counter columns. */
static bool cell_wins(const struct sst_cell *a, const struct sst_cell *b)
{
	if (a->ts != b->ts)
		return a->ts > b->ts;
	bool aet = a->ldt != SST_NO_LDT, bet = b->ldt != SST_NO_LDT;
	if (aet != bet)
		return aet;
	if (aet) {
		bool at = a->flags & SST_CELL_DELETED, bt = b->flags & SST_CELL_DELETED;
		if (at != bt)
			return at;
		if (a->ldt != b->ldt)
			return a->ldt > b->ldt;
	}
	return cmp_bytes(a->value, a->len, b->value, b->len) > 0;
}

/* Counter contexts: per counter id the shard with the higher clock. */
static int counter_merge(struct arena *ar, const struct sst_cell *a, const struct sst_cell *b, struct sst_cell *out)
{
	const struct sst_cell *in[2] = { a, b };
	const uint8_t *sh[2];
	int ns[2], hdr[2];
	for (int k = 0; k < 2; k++) {
		if (in[k]->len < 2)
			return -EBADMSG;
		hdr[k] = (int16_t)(in[k]->value[0] << 8 | in[k]->value[1]);
		if (hdr[k] < 0 || (uint32_t)(2 + 2 * hdr[k]) > in[k]->len || (in[k]->len - 2 - 2 * hdr[k]) % 32)
			return -EBADMSG;
		sh[k] = in[k]->value + 2 + 2 * hdr[k];
		ns[k] = (int)((in[k]->len - 2 - 2 * (uint32_t)hdr[k]) / 32);
	}
	uint8_t *v = kmerge_alloc(ar, 2 + (size_t)(ns[0] + ns[1]) * 34);
	if (!v)
		return -ENOMEM;
	/* shards are kept sorted by counter id in both: merge them */
	uint8_t *shards = v + 2 + 2 * (ns[0] + ns[1]);
	int i = 0, j = 0, n = 0;
	while (i < ns[0] || j < ns[1]) {
		const uint8_t *x = i < ns[0] ? sh[0] + 32 * i : NULL, *y = j < ns[1] ? sh[1] + 32 * j : NULL;
		int c = !x ? 1 : !y ? -1 : memcmp(x, y, 16);
		const uint8_t *take;
		if (c < 0) {
			take = x;
			i++;
		} else if (c > 0) {
			take = y;
			j++;
		} else {
			int64_t cx = 0, cy = 0;
			for (int k = 0; k < 8; k++) {
				cx = cx << 8 | x[16 + k];
				cy = cy << 8 | y[16 + k];
			}
			take = cy > cx ? y : x;
			i++;
			j++;
		}
		memcpy(shards + 32 * n++, take, 32);
	}
	/* every shard global: what a read of several replicas ends up with */
	uint8_t *p = v;
	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	for (int k = 0; k < n; k++) {
		int16_t e = (int16_t)(k + INT16_MIN);
		p[2 + 2 * k] = (uint8_t)((uint16_t)e >> 8);
		p[3 + 2 * k] = (uint8_t)e;
	}
	memmove(v + 2 + 2 * n, shards, (size_t)n * 32);
	*out = *a;
	out->ts = a->ts > b->ts ? a->ts : b->ts;
	out->value = v;
	out->len = 2 + 2 * (uint32_t)n + 32 * (uint32_t)n;
	return 0;
}

static bool is_counter(const struct sst_column *c) { return cql_type_kind(c->type) == CQL_COUNTER; }

/* ---- clustering order ---- */

int kmerge_cmp_values(const struct kmerge *km, int n, const uint8_t *const *av, const uint32_t *al,
		      const uint8_t *const *bv, const uint32_t *bl)
{
	for (int i = 0; i < n; i++) {
		int f = km->fastcmp ? km->fastcmp[i] : 0, w = f < 0 ? -f : f, c;
		if (w && al[i] == (uint32_t)w && bl[i] == (uint32_t)w) {
			/* the clustering of most time series: a timestamp, a bigint */
			int64_t x = w == 8 ? (int64_t)be64(av[i]) : (int32_t)be32(av[i]);
			int64_t y = w == 8 ? (int64_t)be64(bv[i]) : (int32_t)be32(bv[i]);
			c = (x > y) - (x < y);
			if (f < 0)
				c = -c;
		} else {
			c = cql_value_compare(km->h->clustering[i], av[i], al[i], bv[i], bl[i]);
		}
		if (c)
			return c;
	}
	return 0;
}

/* A row against a range bound: <0 before, >0 after. */
static int row_vs_bound(const struct kmerge *km, const struct sst_unfiltered *u, const struct bound *b)
{
	int n = b->n < u->nclust ? b->n : u->nclust;
	int c = kmerge_cmp_values(km, n, u->cval, u->clen, b->v, b->len);
	return c ? c : b->sign;
}

/* ---- reading one source's partition ---- */

static int bound_copy(struct kmerge *km, const struct sst_unfiltered *u, int sign, struct bound *b)
{
	b->n = u->nclust;
	b->sign = sign;
	const uint8_t **v = kmerge_alloc(&km->a, (size_t)(u->nclust + 1) * sizeof(*v));
	uint32_t *len = kmerge_alloc(&km->a, (size_t)(u->nclust + 1) * sizeof(*len));
	if (!v || !len)
		return -ENOMEM;
	for (int i = 0; i < u->nclust; i++) {
		len[i] = u->cstate[i] == SST_CK_VALUE ? u->clen[i] : 0;
		if (!(v[i] = arena_dup(&km->a, u->cval[i], len[i])))
			return -ENOMEM;
	}
	b->v = v;
	b->len = len;
	return 0;
}

static int copy_row(struct kmerge *km, int si, const struct sst_unfiltered *u, struct row *r)
{
	struct src *sr = &km->src[si];
	bool st = u->kind == SST_STATIC_ROW;
	struct sst_unfiltered *o = &r->u;
	struct bound b;

	r->src = si;
	memset(o, 0, sizeof(*o));
	o->kind = u->kind;
	o->bound = SST_CLUSTERING;
	if (bound_copy(km, u, 0, &b) < 0)
		return -ENOMEM;
	uint8_t *state = kmerge_alloc(&km->a, (size_t)u->nclust + 1);
	if (!state)
		return -ENOMEM;
	for (int i = 0; i < u->nclust; i++)
		state[i] = u->cstate[i] == SST_CK_NULL ? SST_CK_NULL : b.len[i] ? SST_CK_VALUE : u->cstate[i];
	o->nclust = u->nclust;
	o->cval = b.v;
	o->clen = b.len;
	o->cstate = state;
	o->liveness = u->liveness.ts != SST_NO_TS && u->liveness.ts <= km->max_ts ? u->liveness
										   : (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	o->deletion = cut_del(km, u->deletion);
	o->shadowable = u->shadowable;
	struct sst_cell *cells = kmerge_alloc(&km->a, (u->ncells + 1) * sizeof(*cells));
	struct sst_complex_del *cx = kmerge_alloc(&km->a, (u->ncomplex + 1) * sizeof(*cx));
	if (!cells || !cx)
		return -ENOMEM;
	for (uint32_t i = 0; i < u->ncells; i++) {
		const struct sst_cell *c = &u->cells[i];
		if (c->ts > km->max_ts)
			continue;
		struct sst_cell *d = &cells[o->ncells++];
		*d = *c;
		d->col = (uint16_t)(st ? sr->smap : sr->rmap)[c->col];
		if (!(d->value = arena_dup(&km->a, c->value, c->len)) ||
		    (c->path_len && !(d->path = arena_dup(&km->a, c->path, c->path_len))))
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < u->ncomplex; i++) {
		if (u->complex[i].del.mfda > km->max_ts)
			continue;
		cx[o->ncomplex] = u->complex[i];
		cx[o->ncomplex++].col = (uint16_t)(st ? sr->smap : sr->rmap)[u->complex[i].col];
	}
	o->cells = cells;
	o->complex = cx;
	return 0;
}

static int add_rt(struct kmerge *km, int si, const struct bound *start, const struct bound *end, bool open_end,
		  struct sst_deletion del)
{
	if ((del = cut_del(km, del)).mfda == SST_NO_TS)
		return 0;
	if (vec_grow((void **)&km->rts, &km->caprts, km->nrts + 1, sizeof(*km->rts)) < 0)
		return -ENOMEM;
	km->rts[km->nrts++] = (struct rt){ si, *start, end ? *end : (struct bound){ 0 }, open_end, del };
	return 0;
}

static int read_source(struct kmerge *km, int si, struct pit_err *err)
{
	struct src *sr = &km->src[si];
	const struct sst_unfiltered *u;
	struct bound open = { 0 }, b;
	struct sst_deletion open_del = LIVE;
	bool is_open = false;
	int rc;

	while ((rc = sst_scan_next(sr->sc, &u, err)) > 0) {
		if (u->kind != SST_MARKER) {
			if (vec_grow((void **)&km->rows, &km->caprows, km->nrows + 1, sizeof(*km->rows)) < 0 ||
			    copy_row(km, si, u, &km->rows[km->nrows]) < 0)
				return pit_errf(err, -ENOMEM, "out of memory");
			km->nrows++;
			continue;
		}
		switch (u->bound) {
		case SST_INCL_START_BOUND:
		case SST_EXCL_START_BOUND:
			if (bound_copy(km, u, u->bound == SST_INCL_START_BOUND ? 1 : -1, &open) < 0)
				return pit_errf(err, -ENOMEM, "out of memory");
			open_del = u->marker[0];
			is_open = true;
			break;
		case SST_INCL_END_BOUND:
		case SST_EXCL_END_BOUND:
			if (bound_copy(km, u, u->bound == SST_INCL_END_BOUND ? -1 : 1, &b) < 0 ||
			    (is_open && add_rt(km, si, &open, &b, false, open_del) < 0))
				return pit_errf(err, -ENOMEM, "out of memory");
			is_open = false;
			break;
		case SST_EXCL_END_INCL_START_BOUNDARY:
		case SST_INCL_END_EXCL_START_BOUNDARY: {
			bool excl_end = u->bound == SST_EXCL_END_INCL_START_BOUNDARY;
			if (bound_copy(km, u, excl_end ? 1 : -1, &b) < 0 ||
			    (is_open && add_rt(km, si, &open, &b, false, open_del) < 0) ||
			    bound_copy(km, u, excl_end ? 1 : -1, &open) < 0)
				return pit_errf(err, -ENOMEM, "out of memory");
			open_del = u->marker[1];
			is_open = true;
			break;
		}
		default:
			break;
		}
	}
	if (rc == 0 && is_open && add_rt(km, si, &open, NULL, true, open_del) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	return rc;
}

/* ---- one merged row from a group of versions ---- */

int kmerge_cmp_cells(const void *x, const void *y, void *ctx)
{
	const struct sst_cell *a = x, *b = y;
	const struct sst_column *cols = ctx;

	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if (!cols[a->col].complex)
		return 0;
	return cql_path_compare(cols[a->col].type, a->path, a->path_len, b->path, b->path_len);
}

int kmerge_group(struct kmerge *km, struct row *g, size_t n, struct sst_unfiltered *o, struct pit_err *err)
{
	bool st = g[0].u.kind == SST_STATIC_ROW;
	const struct sst_column *cols = st ? km->h->statics : km->h->regulars;
	size_t ncells = 0, ncx = 0;

	*o = g[0].u;
	o->deletion = LIVE;
	o->shadowable = false;
	o->liveness = (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	for (size_t i = 0; i < n; i++) {
		const struct sst_unfiltered *u = &g[i].u;
		if (u->liveness.ts != SST_NO_TS && liveness_supersedes(&u->liveness, &o->liveness))
			o->liveness = u->liveness;
		if (live_deletion_supersedes(&u->deletion, &o->deletion) ||
		    (u->deletion.mfda == o->deletion.mfda && u->deletion.ldt == o->deletion.ldt && !u->shadowable)) {
			o->deletion = u->deletion;
			o->shadowable = u->shadowable;
		}
		ncells += u->ncells;
		ncx += u->ncomplex;
	}
	/* complex deletions: the strongest per column */
	struct sst_complex_del *cx = kmerge_alloc(&km->a, (ncx + 1) * sizeof(*cx));
	if (!cx)
		return pit_errf(err, -ENOMEM, "out of memory");
	o->ncomplex = 0;
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < g[i].u.ncomplex; k++) {
			const struct sst_complex_del *d = &g[i].u.complex[k];
			uint32_t j = 0;
			while (j < o->ncomplex && cx[j].col != d->col)
				j++;
			if (j == o->ncomplex)
				cx[o->ncomplex++] = *d;
			else
				cx[j].del = kmerge_del_max(cx[j].del, d->del);
		}
	o->complex = cx;
	/* cells: sorted by column and path, then one per (column, path) */
	if (vec_grow((void **)&km->cells, &km->capcells, ncells + 1, sizeof(*km->cells)) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	/* each version's cells are in (column, path) order when its columns
	 * map in order: then a merge of the runs, else a sort */
	bool runs = n <= 8;
	for (size_t i = 0; runs && i < n; i++)
		for (uint32_t c = 1; runs && c < g[i].u.ncells; c++)
			runs = kmerge_cmp_cells(&g[i].u.cells[c - 1], &g[i].u.cells[c], (void *)cols) < 0;
	if (runs) {
		uint32_t at[8] = { 0 };
		for (size_t k = 0; k < ncells; k++) {
			size_t best = n;
			for (size_t i = 0; i < n; i++)
				if (at[i] < g[i].u.ncells &&
				    (best == n || kmerge_cmp_cells(&g[i].u.cells[at[i]], &g[best].u.cells[at[best]], (void *)cols) < 0))
					best = i;
			km->cells[k] = g[best].u.cells[at[best]++];
		}
	} else {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			memcpy(km->cells + k, g[i].u.cells, g[i].u.ncells * sizeof(*km->cells));
			k += g[i].u.ncells;
		}
		qsort_r(km->cells, ncells, sizeof(*km->cells), kmerge_cmp_cells, (void *)cols);
	}
	struct sst_cell *out = kmerge_alloc(&km->a, (ncells + 1) * sizeof(*out));
	if (!out)
		return pit_errf(err, -ENOMEM, "out of memory");
	o->ncells = 0;
	for (size_t i = 0; i < ncells; i++) {
		const struct sst_cell *c = &km->cells[i];
		struct sst_cell *w = o->ncells ? &out[o->ncells - 1] : NULL;
		if (!w || kmerge_cmp_cells(w, c, (void *)cols) != 0) {
			out[o->ncells++] = *c;
			continue;
		}
		if (is_counter(&cols[c->col])) {
			bool wt = w->flags & SST_CELL_DELETED, ct = c->flags & SST_CELL_DELETED;
			if (wt || ct) {	/* a counter tombstone wins whatever the timestamps */
				if (!wt || (ct && c->ts > w->ts))
					*w = *c;
			} else if (counter_merge(&km->a, w, c, w) < 0) {
				return pit_errf(err, -EBADMSG, "%s: a counter cell's context does not parse", sst_name(km->s0));
			}
		} else if (cell_wins(c, w)) {
			*w = *c;
		}
	}
	o->cells = out;
	/* a shadowable deletion stops counting once the row is newer */
	if (o->shadowable && o->liveness.ts != SST_NO_TS && o->liveness.ts > o->deletion.mfda)
		o->deletion = LIVE;
	o->shadowable = false;
	return 0;
}

/* Range deletions covering o, of every source (node < 0) or of one node's. */
void kmerge_fold_ranges(const struct kmerge *km, struct sst_unfiltered *o, int node)
{
	for (size_t r = 0; r < km->nrts; r++) {
		const struct rt *t = &km->rts[r];
		if (node >= 0 && km->node[t->src] != node)
			continue;
		if (row_vs_bound(km, o, &t->start) > 0 && (t->open_end || row_vs_bound(km, o, &t->end) < 0))
			o->deletion = kmerge_del_max(o->deletion, t->del);
	}
}

static int push(struct kmerge *km, const struct row *r)
{
	if (vec_grow((void **)&km->sorted, &km->capsorted, km->nsorted + 1, sizeof(*km->sorted)) < 0)
		return -ENOMEM;
	km->sorted[km->nsorted++] = *r;
	return 0;
}

static int close_group(struct kmerge *km, size_t first)
{
	if (vec_grow((void **)&km->grp, &km->capgrp, km->ngrp + 1, sizeof(*km->grp)) < 0)
		return -ENOMEM;
	km->grp[km->ngrp++] = (struct kgroup){ first, km->nsorted - first };
	return 0;
}

/* Source a's next row before source b's (ties: the lower source first). */
static bool heads_before(const struct kmerge *km, const size_t *head, int a, int b)
{
	const struct sst_unfiltered *x = &km->rows[head[a]].u, *y = &km->rows[head[b]].u;
	int c = kmerge_cmp_values(km, km->h->nclustering, x->cval, x->clen, y->cval, y->clen);

	return c ? c < 0 : a < b;
}

static void sift_up(const struct kmerge *km, int *heap, const size_t *head, int i)
{
	while (i > 0 && heads_before(km, head, heap[i], heap[(i - 1) / 2])) {
		int t = heap[i];
		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void sift_down(const struct kmerge *km, int *heap, const size_t *head, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && heads_before(km, head, heap[l], heap[m]))
			m = l;
		if (r < n && heads_before(km, head, heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		int t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

/* Every source's rows are in clustering order already: a k-way merge
 * groups equal clusterings (the static rows first), and each source's
 * range deletions are walked alongside. */
static int build(struct kmerge *km, struct pit_err *err)
{
	size_t *head = NULL, *rtp = NULL, first;
	int *heap = NULL, rc = 0;
	bool *started = NULL;

	km->nout = km->next = km->nsorted = km->ngrp = 0;
	if (!(head = malloc((size_t)km->n * sizeof(*head))) || !(rtp = malloc((size_t)km->n * sizeof(*rtp))) ||
	    !(heap = malloc((size_t)km->n * sizeof(*heap))) || !(started = calloc((size_t)km->n, sizeof(*started))))
		goto oom;
	first = 0;
	for (int s = 0; s < km->n; s++) {
		head[s] = km->row_begin[s];
		rtp[s] = km->rt_begin[s];
		while (head[s] < km->row_end[s] && km->rows[head[s]].u.kind == SST_STATIC_ROW)
			if (push(km, &km->rows[head[s]++]) < 0)
				goto oom;
	}
	if (km->nsorted && close_group(km, first) < 0)
		goto oom;
	/* a binary heap of the sources by their next row (ties: source order) */
	int nh = 0;
	for (int s = 0; s < km->n; s++)
		if (head[s] < km->row_end[s]) {
			heap[nh] = s;
			sift_up(km, heap, head, nh++);
		}
	while (nh) {
		const struct row *m = &km->rows[head[heap[0]]];
		struct row mr = *m;
		first = km->nsorted;
		while (nh && !kmerge_cmp_values(km, km->h->nclustering, km->rows[head[heap[0]]].u.cval,
						 km->rows[head[heap[0]]].u.clen, mr.u.cval, mr.u.clen)) {
			int s = heap[0];
			if (push(km, &km->rows[head[s]++]) < 0)
				goto oom;
			if (head[s] == km->row_end[s])
				heap[0] = heap[--nh];
			sift_down(km, heap, head, nh, 0);
		}
		if (close_group(km, first) < 0)
			goto oom;
	}
	if (vec_grow((void **)&km->out, &km->capout, km->ngrp + 1, sizeof(*km->out)) < 0)
		goto oom;
	for (size_t g = 0; g < km->ngrp; g++) {
		struct sst_unfiltered *o = &km->out[km->nout++];
		if ((rc = kmerge_group(km, km->sorted + km->grp[g].first, km->grp[g].n, o, err)) < 0)
			goto out;
		if (o->kind != SST_ROW)
			continue;
		/* each source's range deletions are ordered and disjoint: skip those
		 * ending before the row; rows only go up, so once a range has
		 * started it stays started until it ends */
		for (int s = 0; s < km->n; s++) {
			if (rtp[s] == km->rt_end[s])
				continue;
			while (rtp[s] < km->rt_end[s] && !km->rts[rtp[s]].open_end &&
			       row_vs_bound(km, o, &km->rts[rtp[s]].end) >= 0) {
				rtp[s]++;
				started[s] = false;
			}
			if (rtp[s] < km->rt_end[s]) {
				const struct rt *t = &km->rts[rtp[s]];
				if (!started[s])
					started[s] = row_vs_bound(km, o, &t->start) > 0;
				if (started[s])
					o->deletion = kmerge_del_max(o->deletion, t->del);
			}
		}
	}
	rc = km->a.oom ? pit_errf(err, -ENOMEM, "out of memory") : 0;
	goto out;
oom:
	rc = pit_errf(err, -ENOMEM, "out of memory");
out:
	free(head);
	free(rtp);
	free(heap);
	free(started);
	return rc;
}

int kmerge_next_partition(struct kmerge *km, const struct sst_partition **p, struct pit_err *err)
{
	struct src *min = NULL;
	int rc;

	for (int i = 0; i < km->n; i++) {
		struct src *sr = &km->src[i];
		if (sr->has && (!min || sst_key_compare(&sr->tok, sr->key, sr->klen, &min->tok, min->key, min->klen) < 0))
			min = sr;
	}
	if (!min)
		return 0;
	for (int i = 0; i < km->n; i++)
		km->resume[i] = km->src[i].has ? km->src[i].off : UINT64_MAX;
	arena_reset(&km->a);
	km->nrows = km->nrts = 0;
	if (min->klen > km->kcap) {
		uint8_t *k = realloc(km->key, min->klen);
		if (!k)
			return pit_errf(err, -ENOMEM, "out of memory");
		km->key = k;
		km->kcap = min->klen;
	}
	memcpy(km->key, min->key, min->klen);
	km->cur = (struct sst_partition){ km->key, min->klen, LIVE, 0 };
	struct sst_token tok = min->tok;
	tok.key = km->key;
	for (int i = 0; i < km->n; i++) {
		struct src *sr = &km->src[i];
		km->inpart[i] = false;
		km->row_begin[i] = km->row_end[i] = km->rt_begin[i] = km->rt_end[i] = 0;
		if (!sr->has || sst_key_compare(&sr->tok, sr->key, sr->klen, &tok, km->key, km->cur.key_len) != 0)
			continue;
		km->inpart[i] = true;
		km->ppdel[i] = cut_del(km, sr->pdel);
		km->cur.deletion = kmerge_del_max(km->cur.deletion, cut_del(km, sr->pdel));
		km->row_begin[i] = km->nrows;
		km->rt_begin[i] = km->nrts;
		if ((rc = read_source(km, i, err)) < 0 || (rc = advance(km, sr, err)) < 0)
			return rc;
		km->row_end[i] = km->nrows;
		km->rt_end[i] = km->nrts;
	}
	if ((rc = build(km, err)) < 0)
		return rc;
	*p = &km->cur;
	return 1;
}

int kmerge_next(struct kmerge *km, const struct sst_unfiltered **u, struct pit_err *err)
{
	(void)err;
	if (km->next >= km->nout)
		return 0;
	*u = &km->out[km->next++];
	return 1;
}
