#include <pthread.h>
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
	sr->same_cols = true;
	for (int i = 0; i < h->nstatic; i++)
		sr->same_cols &= sr->smap[i] == i;
	for (int i = 0; i < h->nregular; i++)
		sr->same_cols &= sr->rmap[i] == i;
	return 0;
}

const struct sst_header *kmerge_header(const struct kmerge *km) { return &km->uh; }

const uint64_t *kmerge_resume(const struct kmerge *km) { return km->resume; }

static int advance(struct kmerge *km, struct src *sr, struct pit_err *err)
{
	const struct sst_partition *p;
	int rc = sst_scan_next_partition(sr->sc, &p, err);

	sr->has = rc > 0 && (!km->end || p->offset < km->end[sr - km->src]);
	sr->ended = rc > 0 && !sr->has;
	if (rc > 0)
		sr->off = p->offset;
	if (!sr->has)
		return rc < 0 ? rc : 0;
	if (p->key_len > sr->kcap || !sr->key) {	/* a buffer even for an empty key (a damaged file) */
		uint8_t *k = realloc(sr->key, p->key_len ? p->key_len : 1);
		if (!k)
			return pit_errf(err, -ENOMEM, "out of memory");
		sr->key = k;
		sr->kcap = p->key_len;
	}
	memcpy(sr->key, p->key, p->key_len);
	sr->klen = p->key_len;
	sr->pdel = p->deletion;
	sst_token_of(km->part, sr->key, sr->klen, &sr->tok);
	return 1;
}

/* Every source's first partition header: sources apart read different
 * chunks, two threads load them in about half the time (the chunk cache
 * lets them). */
struct opener {
	struct kmerge *km;
	const uint64_t *start;
	int first, rc;
	struct pit_err err;
};

static void *open_some(void *arg)
{
	struct opener *o = arg;

	for (int i = o->first; i < o->km->n && o->rc >= 0; i += 2)
		if (!o->start || o->start[i] != UINT64_MAX)	/* else it had nothing left there */
			o->rc = advance(o->km, &o->km->src[i], &o->err);
	return NULL;
}

static int first_partitions(struct kmerge *km, const uint64_t *start, struct pit_err *err)
{
	struct opener o[2] = { { km, start, 0, 0, { 0 } }, { km, start, 1, 0, { 0 } } };
	pthread_t th;
	bool two = km->n >= 4 && pthread_create(&th, NULL, open_some, &o[1]) == 0;

	open_some(&o[0]);
	if (two)
		pthread_join(th, NULL);
	else
		open_some(&o[1]);
	for (int k = 0; k < 2; k++)
		if (o[k].rc < 0) {
			*err = o[k].err;
			return o[k].rc;
		}
	return 0;
}

int kmerge_open(struct kmerge **out, struct sst **ssts, int n, int64_t max_ts, struct pit_err *err)
{
	return kmerge_open_at(out, ssts, n, max_ts, NULL, NULL, err);
}

int kmerge_open_at(struct kmerge **out, struct sst **ssts, int n, int64_t max_ts, const uint64_t *start,
		   const uint64_t *end, struct pit_err *err)
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
	km->end = end;
	if (!(km->resume = calloc((size_t)n, sizeof(*km->resume))) || !(km->heap = calloc((size_t)n, sizeof(*km->heap))) ||
	    !(km->act = calloc((size_t)n, sizeof(*km->act))) ||
	    !(km->g = calloc((size_t)n, sizeof(*km->g)))) {
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
		else if ((rc = map_columns(km, sr, err)) == 0 && (rc = sst_scan_open(&sr->sc, sr->s, err)) == 0 && start &&
			 start[i] != UINT64_MAX)
			sst_scan_seek(sr->sc, start[i]);
	}
	if (rc == 0)
		rc = first_partitions(km, start, err);
	if (rc < 0) {
		kmerge_close(km);
		return rc;
	}
	for (int i = 0; i < km->uh.nstatic + km->uh.nregular; i++) {
		const struct sst_column *c = i < km->uh.nstatic ? &km->uh.statics[i] : &km->uh.regulars[i - km->uh.nstatic];
		km->counters |= cql_type_kind(c->type) == CQL_COUNTER;
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
	free(km->resume);
	free(km->heap);
	free(km->act);
	free(km->g);
	free(km->conf);
	free(km->src);
	free(km->key);
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

static int cmp_values_from(const struct kmerge *km, int from, int n, const uint8_t *const *av, const uint32_t *al,
			   const uint8_t *const *bv, const uint32_t *bl)
{
	for (int i = from; i < n; i++) {
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

/* Where a marker sits against rows sharing its clustering prefix: before
 * them (-1) or after them (1); Cassandra's Kind.comparedToClustering. */
static int bound_side(enum sst_bound b)
{
	switch (b) {
	case SST_INCL_START_BOUND:
	case SST_EXCL_END_BOUND:
	case SST_EXCL_END_INCL_START_BOUNDARY:
		return -1;
	default:
		return 1;
	}
}

/* The order of one partition's unfiltereds: the static row, then rows and
 * range markers by clustering (ClusteringComparator.compare). Markers and
 * rows are never equal. */
static int place_cmp(const struct kmerge *km, const struct sst_unfiltered *a, const struct sst_unfiltered *b)
{
	bool as = a->kind == SST_STATIC_ROW, bs = b->kind == SST_STATIC_ROW;
	if (as || bs)
		return bs - as;
	int n = a->nclust < b->nclust ? a->nclust : b->nclust;
	int f = km->fastcmp[0], c, from = 0;
	if (n && f > 0 && a->clen[0] == (uint32_t)f && b->clen[0] == (uint32_t)f) {
		/* the clustering of most time series (a timestamp, a bigint)
		 * decides here without a call */
		int64_t x = f == 8 ? (int64_t)be64(a->cval[0]) : (int32_t)be32(a->cval[0]);
		int64_t y = f == 8 ? (int64_t)be64(b->cval[0]) : (int32_t)be32(b->cval[0]);
		if (x != y)
			return x < y ? -1 : 1;
		from = 1;
	}
	if ((c = cmp_values_from(km, from, n, a->cval, a->clen, b->cval, b->clen)))
		return c;
	int sa = a->kind == SST_MARKER ? bound_side(a->bound) : 0, sb = b->kind == SST_MARKER ? bound_side(b->bound) : 0;
	if (a->nclust == b->nclust)
		return sa - sb;
	return a->nclust < b->nclust ? (sa ? sa : -1) : (sb ? -sb : 1);
}

/* Source si's head as a version: cut at max_ts, its columns mapped to the
 * union header's. Values stay the scan's. */
static int version_of(struct kmerge *km, int si, struct row *r)
{
	const struct src *sr = &km->src[si];
	const struct sst_unfiltered *u = sr->head;
	struct sst_unfiltered *o = &r->u;
	bool st = u->kind == SST_STATIC_ROW, keep = sr->same_cols;

	r->src = si;
	*o = *u;
	if (o->liveness.ts != SST_NO_TS && o->liveness.ts > km->max_ts)
		o->liveness = (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	o->deletion = cut_del(km, u->deletion);
	for (uint32_t i = 0; keep && i < u->ncells; i++)
		keep = u->cells[i].ts <= km->max_ts;
	for (uint32_t i = 0; keep && i < u->ncomplex; i++)
		keep = u->complex[i].del.mfda <= km->max_ts;
	if (keep)
		return 0;
	struct sst_cell *cells = kmerge_alloc(&km->a, (u->ncells + 1) * sizeof(*cells));
	struct sst_complex_del *cx = kmerge_alloc(&km->a, (u->ncomplex + 1) * sizeof(*cx));
	const int *map = st ? sr->smap : sr->rmap;
	if (!cells || !cx)
		return -ENOMEM;
	o->ncells = o->ncomplex = 0;
	for (uint32_t i = 0; i < u->ncells; i++)
		if (u->cells[i].ts <= km->max_ts) {
			cells[o->ncells] = u->cells[i];
			cells[o->ncells++].col = (uint16_t)map[u->cells[i].col];
		}
	for (uint32_t i = 0; i < u->ncomplex; i++)
		if (u->complex[i].del.mfda <= km->max_ts) {
			cx[o->ncomplex] = u->complex[i];
			cx[o->ncomplex++].col = (uint16_t)map[u->complex[i].col];
		}
	o->cells = cells;
	o->complex = cx;
	return 0;
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

/* A shadowable deletion stops counting once the row is newer. */
static void shadow(struct sst_unfiltered *o)
{
	if (o->shadowable && o->liveness.ts != SST_NO_TS && o->liveness.ts > o->deletion.mfda)
		o->deletion = LIVE;
	o->shadowable = false;
}

/* The same cells and collection deletions, in the same order. */
static bool same_version(const struct sst_unfiltered *a, const struct sst_unfiltered *b)
{
	if (a->ncells != b->ncells || a->ncomplex != b->ncomplex)
		return false;
	for (uint32_t i = 0; i < a->ncells; i++) {
		const struct sst_cell *x = &a->cells[i], *y = &b->cells[i];
		if (x->col != y->col || x->ts != y->ts || x->flags != y->flags || x->ttl != y->ttl || x->ldt != y->ldt ||
		    x->len != y->len || x->path_len != y->path_len || (x->len && memcmp(x->value, y->value, x->len)) ||
		    (x->path_len && memcmp(x->path, y->path, x->path_len)))
			return false;
	}
	for (uint32_t i = 0; i < a->ncomplex; i++)
		if (a->complex[i].col != b->complex[i].col || a->complex[i].del.mfda != b->complex[i].del.mfda ||
		    a->complex[i].del.ldt != b->complex[i].del.ldt)
			return false;
	return true;
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
	/* replicas that agree (the usual case) give each of their cells and
	 * deletions once, already in order: any of them is the merge */
	bool same = !km->counters;
	for (size_t i = 0; same && i < n; i++)
		same = km->src[g[i].src].same_cols && (i == 0 || same_version(&g[0].u, &g[i].u));
	if (same) {
		shadow(o);
		return 0;
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
	shadow(o);
	return 0;
}

/* Range deletions covering o: those open at o in every source (node < 0)
 * or in that node's sources. */
void kmerge_fold_ranges(const struct kmerge *km, struct sst_unfiltered *o, int node)
{
	for (int s = 0; km->nopen && s < km->n; s++)
		if (km->src[s].in && km->src[s].open && (node < 0 || km->node[s] == node))
			o->deletion = kmerge_del_max(o->deletion, km->src[s].open_del);
}

/* ---- the sources of one partition, by their heads ---- */

static bool heads_before(const struct kmerge *km, int a, int b)
{
	int c = place_cmp(km, km->src[a].head, km->src[b].head);

	return c ? c < 0 : a < b;
}

static void sift_up(struct kmerge *km, int i)
{
	int *heap = km->heap;
	while (i > 0 && heads_before(km, heap[i], heap[(i - 1) / 2])) {
		int t = heap[i];
		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void sift_down(struct kmerge *km, int i)
{
	int *heap = km->heap, n = km->nh;
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && heads_before(km, heap[l], heap[m]))
			m = l;
		if (r < n && heads_before(km, heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		int t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static int pop(struct kmerge *km)
{
	int s = km->heap[0];

	km->heap[0] = km->heap[--km->nh];
	sift_down(km, 0);
	return s;
}

/* Source s's next unfiltered of the partition into the heap. */
static int step(struct kmerge *km, int s, struct pit_err *err)
{
	struct src *sr = &km->src[s];
	int rc = sst_scan_next(sr->sc, &sr->head, err);

	if (rc <= 0) {
		sr->head = NULL;
		return rc;
	}
	km->heap[km->nh++] = s;
	sift_up(km, km->nh - 1);
	return 0;
}

/* A source's range markers come in order and never overlap: what is open
 * after one holds until its next. */
static void take_marker(struct kmerge *km, struct src *sr)
{
	const struct sst_unfiltered *u = sr->head;

	km->nopen -= sr->open;

	switch (u->bound) {
	case SST_INCL_START_BOUND:
	case SST_EXCL_START_BOUND:
		sr->open = true;
		sr->open_del = cut_del(km, u->marker[0]);
		break;
	case SST_INCL_END_BOUND:
	case SST_EXCL_END_BOUND:
		sr->open = false;
		sr->open_del = LIVE;
		break;
	case SST_EXCL_END_INCL_START_BOUNDARY:
	case SST_INCL_END_EXCL_START_BOUNDARY:
		sr->open = true;
		sr->open_del = cut_del(km, u->marker[1]);
		break;
	default:
		break;
	}
	km->nopen += sr->open;
}

int kmerge_next_partition(struct kmerge *km, const struct sst_partition **p, struct pit_err *err)
{
	struct src *min = NULL;
	int rc;

	arena_reset(&km->a);
	km->nh = km->nact = km->ng = km->nopen = 0;
	km->at_partition = true;
	for (int i = 0; i < km->n; i++) {
		struct src *sr = &km->src[i];
		if (sr->in && (rc = advance(km, sr, err)) < 0)	/* skips what the caller left of it */
			return rc;
		sr->in = false;
		sr->head = NULL;
	}
	for (int i = 0; i < km->n; i++) {
		struct src *sr = &km->src[i];
		if (sr->has && (!min || sst_key_compare(&sr->tok, sr->key, sr->klen, &min->tok, min->key, min->klen) < 0))
			min = sr;
	}
	if (!min)
		return 0;
	for (int i = 0; i < km->n; i++)
		km->resume[i] = km->src[i].has || km->src[i].ended ? km->src[i].off : UINT64_MAX;
	if (min->klen > km->kcap || !km->key) {
		uint8_t *k = realloc(km->key, min->klen ? min->klen : 1);
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
		if (!sr->has || sst_key_compare(&sr->tok, sr->key, sr->klen, &tok, km->key, km->cur.key_len) != 0)
			continue;
		sr->in = true;
		sr->ppdel = cut_del(km, sr->pdel);
		sr->open = false;
		sr->open_del = LIVE;
		km->cur.deletion = kmerge_del_max(km->cur.deletion, sr->ppdel);
		if ((rc = step(km, i, err)) < 0)
			return rc;
	}
	*p = &km->cur;
	return 1;
}

/* Source s of the active set moves on: out of it at the end of its
 * partition, back into the heap once its head is no longer ahead of the
 * heap's. */
static int move_on(struct kmerge *km, int s, struct pit_err *err)
{
	struct src *sr = &km->src[s];
	int rc = sst_scan_next(sr->sc, &sr->head, err), i = 0;

	if (rc < 0)
		return rc;
	if (rc > 0 && (!km->nh || place_cmp(km, sr->head, km->src[km->heap[0]].head) < 0))
		return 0;
	if (rc == 0)
		sr->head = NULL;
	while (km->act[i] != s)
		i++;
	km->act[i] = km->act[--km->nact];
	if (rc > 0) {
		km->heap[km->nh++] = s;
		sift_up(km, km->nh - 1);
	}
	return 0;
}

int kmerge_next(struct kmerge *km, const struct sst_unfiltered **u, struct pit_err *err)
{
	int rc, m;

	/* the sources of the row yielded last move on only now: it pointed
	 * into their scans */
	arena_reset(&km->a);
	km->at_partition = false;
	for (int i = 0; i < km->ng; i++)
		if ((rc = move_on(km, km->g[i].src, err)) < 0)
			return rc;
	km->ng = 0;
	/* The active set holds the sources whose heads come before every head
	 * in the heap: replicas of one stretch of rows move through it with a
	 * comparison or two per row instead of a trip through the heap. */
	for (;;) {
		if (!km->nact) {
			if (!km->nh)
				return 0;
			int top = km->heap[0];
			do
				km->act[km->nact++] = pop(km);
			while (km->nh && place_cmp(km, km->src[km->heap[0]].head, km->src[top].head) == 0);
		}
		m = km->act[0];
		for (int i = 1; i < km->nact; i++)
			if (place_cmp(km, km->src[km->act[i]].head, km->src[m].head) < 0)
				m = km->act[i];
		if (km->src[m].head->kind != SST_MARKER)
			break;
		take_marker(km, &km->src[m]);
		if ((rc = move_on(km, m, err)) < 0)
			return rc;
	}
	/* every version of that row, in source order */
	const struct sst_unfiltered *top = km->src[m].head;
	for (int i = 0; i < km->nact; i++) {
		int s = km->act[i], k;
		if (s != m && place_cmp(km, km->src[s].head, top) != 0)
			continue;
		for (k = km->ng++; k > 0 && km->g[k - 1].src > s; k--)
			km->g[k].src = km->g[k - 1].src;
		km->g[k].src = s;
	}
	for (int i = 0; i < km->ng; i++)
		if (version_of(km, km->g[i].src, &km->g[i]) < 0)
			return pit_errf(err, -ENOMEM, "out of memory");
	if ((rc = kmerge_group(km, km->g, (size_t)km->ng, &km->out, err)) < 0)
		return rc;
	if (km->out.kind == SST_ROW)
		kmerge_fold_ranges(km, &km->out, -1);
	if (km->a.oom)
		return pit_errf(err, -ENOMEM, "out of memory");
	*u = &km->out;
	return 1;
}
