/* The generator's partitions: what a memtable keeps of the writes it gets. */
#include "core/gen/gen_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/sstable/token.h"
#include "core/util/bytes.h"

/* Allocation failures end the generator: it is a test tool, not a server. */
static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

/* Keys, clustering values, paths, values, rows and partitions live in the
 * model's arena and go with it at once: models are made and dropped by the
 * million while a cluster is simulated. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(16) uint8_t data[];
};

/* Full-size chunks are recycled: models come and go by the thousand, and
 * memory handed back to the kernel comes back as fresh pages it must zero
 * (a tenth of a 1 GiB run's time before this). */
#define CHUNK_CAP 65536
#define SPARE_MAX 4096		/* 256 MiB kept at most */
static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;
static struct arena_chunk *spare;
static unsigned nspare;

static struct arena_chunk *chunk_new(size_t cap)
{
	struct arena_chunk *c = NULL;

	if (cap == CHUNK_CAP) {
		pthread_mutex_lock(&spare_mu);
		if ((c = spare)) {
			spare = c->next;
			nspare--;
		}
		pthread_mutex_unlock(&spare_mu);
	}
	if (!c && !(c = malloc(sizeof(*c) + cap)))
		abort();
	return c;
}

static void chunk_free(struct arena_chunk *c)
{
	if (c->cap == CHUNK_CAP) {
		pthread_mutex_lock(&spare_mu);
		if (nspare < SPARE_MAX) {
			c->next = spare;
			spare = c;
			nspare++;
			c = NULL;
		}
		pthread_mutex_unlock(&spare_mu);
	}
	free(c);
}

static void *arena_alloc(struct gmem *m, size_t n)
{
	struct arena_chunk *c = m->arena;
	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_CAP ? n : CHUNK_CAP;
		if (!m->arena)
			cap = n > 1024 ? n : 1024;	/* most models hold one write */
		c = chunk_new(cap);
		c->next = m->arena;
		c->used = 0;
		c->cap = cap;
		m->arena = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

/* Grows an array kept in the arena to twice its capacity; the old one stays
 * until the model goes, which costs at most as much again and saves a
 * malloc and a free per row. */
static void *arena_grow(struct gmem *m, void *old, uint32_t n, uint32_t *cap, size_t size)
{
	uint32_t ncap = *cap ? 2 * *cap : 4;
	void *p = arena_alloc(m, (size_t)ncap * size);
	if (n)
		memcpy(p, old, (size_t)n * size);
	*cap = ncap;
	return p;
}

static struct gbytes bdup(struct gmem *m, const struct gbytes *b)
{
	struct gbytes d = { NULL, b->n };
	if (b->n) {
		d.p = arena_alloc(m, b->n);
		memcpy(d.p, b->p, b->n);
	}
	return d;
}

void gmem_init(struct gmem *m, const struct gtable *t)
{
	memset(m, 0, sizeof(*m));
	m->t = t;
	m->nbuckets = 8;	/* grows with the partitions: most models (mutations) hold one */
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets)
		abort();
}

void gmem_release(struct gmem *m)
{
	/* everything but the bucket array lives in the arena */
	for (struct arena_chunk *c = m->arena, *next; c; c = next) {
		next = c->next;
		chunk_free(c);
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

static uint32_t key_hash(const uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

static void rehash(struct gmem *m)
{
	uint32_t nb = m->nbuckets * 4;
	struct gpart **b = calloc(nb, sizeof(*b));
	if (!b)
		abort();
	for (uint32_t i = 0; i < m->nbuckets; i++)
		for (struct gpart *p = m->buckets[i], *next; p; p = next) {
			next = p->next;
			p->next = b[p->hash & (nb - 1)];
			b[p->hash & (nb - 1)] = p;
		}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

struct gpart *gmem_part(struct gmem *m, const uint8_t *key, uint32_t n)
{
	uint32_t h = key_hash(key, n);
	for (struct gpart *p = m->buckets[h & (m->nbuckets - 1)]; p; p = p->next)
		if (p->hash == h && p->key.n == n && !memcmp(p->key.p, key, n))
			return p;
	if (m->nparts >= m->nbuckets)
		rehash(m);
	struct gpart *p = arena_alloc(m, sizeof(*p));
	memset(p, 0, sizeof(*p));
	struct gbytes k = { (uint8_t *)key, n };
	p->key = bdup(m, &k);
	p->hash = h;
	p->token = sst_murmur3_token(key, n);
	p->del = (struct sst_deletion){ SST_NO_TS, SST_NO_LDT };
	p->next = m->buckets[h & (m->nbuckets - 1)];
	m->buckets[h & (m->nbuckets - 1)] = p;
	m->nparts++;
	m->bytes += 16 + n;
	return p;
}

int gtable_ck_compare(const struct gtable *t, const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
	uint32_t ia = 0, ib = 0;
	for (int i = 0; i < t->hdr.nclustering && ia < an && ib < bn; i++) {
		uint32_t la = be16(a + ia), lb = be16(b + ib);
		int c = cql_value_compare(t->hdr.clustering[i], a + ia + 2, la, b + ib + 2, lb);
		if (c)
			return c;
		ia += 2 + la;
		ib += 2 + lb;
	}
	return (ia < an) - (ib < bn);
}

static struct grow *row_new(struct gmem *m, const uint8_t *ck, uint32_t n, bool is_static)
{
	struct grow *r = arena_alloc(m, sizeof(*r));
	memset(r, 0, sizeof(*r));
	struct gbytes k = { (uint8_t *)ck, n };
	r->ck = bdup(m, &k);
	r->is_static = is_static;
	r->live = (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	r->del = (struct sst_deletion){ SST_NO_TS, SST_NO_LDT };
	return r;
}

static struct grow *insert_row(struct gmem *m, struct gpart *p, uint32_t at, const uint8_t *ck, uint32_t n)
{
	if (p->nrows == p->cap)
		p->rows = arena_grow(m, p->rows, p->nrows, &p->cap, sizeof(*p->rows));
	memmove(&p->rows[at + 1], &p->rows[at], (p->nrows - at) * sizeof(*p->rows));
	p->rows[at] = row_new(m, ck, n, false);
	p->nrows++;
	m->bytes += 8 + n;
	return p->rows[at];
}

struct grow *gpart_row_from(struct gmem *m, struct gpart *p, const uint8_t *ck, uint32_t n, uint32_t *hint)
{
	uint32_t lo = *hint <= p->nrows ? *hint : 0, hi;

	/* rows before the hint are smaller: gallop forward from it */
	if (lo > 0 && gtable_ck_compare(m->t, p->rows[lo - 1]->ck.p, p->rows[lo - 1]->ck.n, ck, n) >= 0)
		lo = 0;	/* not ascending after all: search everything */
	uint32_t step = 1;
	hi = lo;
	while (hi < p->nrows && gtable_ck_compare(m->t, p->rows[hi]->ck.p, p->rows[hi]->ck.n, ck, n) < 0) {
		lo = hi + 1;
		hi += step;
		step *= 2;
	}
	if (hi > p->nrows)
		hi = p->nrows;
	while (lo < hi) {	/* the first row >= ck lies in [lo, hi] */
		uint32_t mid = lo + (hi - lo) / 2;
		if (gtable_ck_compare(m->t, p->rows[mid]->ck.p, p->rows[mid]->ck.n, ck, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*hint = lo + 1;
	if (lo < p->nrows && gtable_ck_compare(m->t, p->rows[lo]->ck.p, p->rows[lo]->ck.n, ck, n) == 0)
		return p->rows[lo];
	return insert_row(m, p, lo, ck, n);
}

struct grow *gpart_row(struct gmem *m, struct gpart *p, const uint8_t *ck, uint32_t n)
{
	uint32_t hint = p->nrows;	/* writes mostly land at one end of a partition: try it first */
	return gpart_row_from(m, p, ck, n, &hint);
}

struct grow *gpart_static(struct gmem *m, struct gpart *p)
{
	if (!p->statik) {
		p->statik = row_new(m, NULL, 0, true);
		m->bytes += 4;
	}
	return p->statik;
}

bool gdeletion_wins(const struct sst_deletion *a, const struct sst_deletion *b)
{
	if (a->mfda != b->mfda)
		return a->mfda > b->mfda;
	return a->ldt > b->ldt && a->ldt != SST_NO_LDT;
}

static int bcmp_u(const struct gbytes *a, const struct gbytes *b)
{
	uint32_t m = a->n < b->n ? a->n : b->n;
	int c = m ? memcmp(a->p, b->p, m) : 0;
	return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Merges two counter contexts: per counter id the shard with the higher clock. */
static struct gbytes counter_merge(const struct gbytes *a, const struct gbytes *b)
{
	const uint8_t *sa = a->p + 2 + 2 * be16(a->p), *sb = b->p + 2 + 2 * be16(b->p);
	size_t na = (a->n - (size_t)(sa - a->p)) / 32, nb = (b->n - (size_t)(sb - b->p)) / 32, n = 0;
	uint8_t *shards = xrealloc(NULL, (na + nb) * 32);
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : memcmp(sa + 32 * i, sb + 32 * j, 16);
		const uint8_t *pick;
		if (c < 0)
			pick = sa + 32 * i++;
		else if (c > 0)
			pick = sb + 32 * j++;
		else {
			pick = (int64_t)be64(sa + 32 * i + 16) >= (int64_t)be64(sb + 32 * j + 16) ? sa + 32 * i : sb + 32 * j;
			i++;
			j++;
		}
		memcpy(shards + 32 * n++, pick, 32);
	}
	struct gbytes out;
	out.n = (uint32_t)(2 + 2 * n + 32 * n);
	out.p = xrealloc(NULL, out.n);
	put_be16(out.p, (uint16_t)n);
	for (size_t k = 0; k < n; k++)	/* every shard global */
		put_be16(out.p + 2 + 2 * k, (uint16_t)(k - 32768));
	memcpy(out.p + 2 + 2 * n, shards, 32 * n);
	free(shards);
	return out;
}

/* Does the new version v beat the current one c? (Cassandra 4.x rules) */
static bool cell_wins(const struct gcell *v, const struct gcell *c)
{
	if (v->ts != c->ts)
		return v->ts > c->ts;
	bool vd = v->kind == GC_TOMB || v->kind == GC_EXPIRING, cd = c->kind == GC_TOMB || c->kind == GC_EXPIRING;
	if (vd != cd)
		return vd;
	if (vd) {
		if ((v->kind == GC_TOMB) != (c->kind == GC_TOMB))
			return v->kind == GC_TOMB;
		if (v->ldt != c->ldt)
			return v->ldt > c->ldt;
		return false;
	}
	return bcmp_u(&v->value, &c->value) > 0;
}

static int cell_key_cmp(const struct gcell *a, const struct gcell *b, const struct gtable *t, bool is_static)
{
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if (!a->path.n && !b->path.n)
		return 0;
	const struct sst_column *col = is_static ? &t->hdr.statics[a->col] : &t->hdr.regulars[a->col];
	return cql_path_compare(col->type, a->path.p, a->path.n, b->path.p, b->path.n);
}

void gmem_cell(struct gmem *m, struct grow *r, const struct gcell *c)
{
	bool is_static = r->is_static;
	uint32_t lo = 0, hi = r->ncells;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int k = cell_key_cmp(&r->cells[mid], c, m->t, is_static);
		if (k == 0) {
			struct gcell *cur = &r->cells[mid];
			if (c->kind == GC_COUNTER && cur->kind == GC_COUNTER) {
				struct gbytes merged = counter_merge(&cur->value, &c->value);
				if (merged.n <= cur->value.n) {
					memcpy(cur->value.p, merged.p, merged.n);
					cur->value.n = merged.n;
				} else {
					cur->value = bdup(m, &merged);
				}
				free(merged.p);
				if (c->ts > cur->ts)
					cur->ts = c->ts;
			} else if (cur->kind == GC_TOMB && c->kind == GC_COUNTER) {
				/* a counter tombstone wins whatever the timestamps */
			} else if ((c->kind == GC_TOMB && cur->kind == GC_COUNTER) || cell_wins(c, cur)) {
				/* the new value goes where the old one was when it fits: a
				 * truth state lives through every overwrite of the run */
				struct gbytes path = cur->path, value = cur->value;
				*cur = *c;
				cur->path = path;
				if (c->value.n <= value.n) {
					if (c->value.n)
						memcpy(value.p, c->value.p, c->value.n);
					cur->value = (struct gbytes){ value.p, c->value.n };
				} else {
					cur->value = bdup(m, &c->value);
				}
			}
			return;
		}
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (r->ncells == r->cap)
		r->cells = arena_grow(m, r->cells, r->ncells, &r->cap, sizeof(*r->cells));
	memmove(&r->cells[lo + 1], &r->cells[lo], (r->ncells - lo) * sizeof(*r->cells));
	r->cells[lo] = *c;
	r->cells[lo].path = bdup(m, &c->path);
	r->cells[lo].value = bdup(m, &c->value);
	r->ncells++;
	m->bytes += 12 + c->path.n + c->value.n;
}

void gmem_liveness(struct gmem *m, struct grow *r, const struct sst_liveness *l)
{
	(void)m;
	/* higher timestamp; on a tie an expiring liveness over a plain one, the later expiry */
	if (l->ts > r->live.ts || (l->ts == r->live.ts && l->ldt != SST_NO_LDT &&
				   (r->live.ldt == SST_NO_LDT || l->ldt > r->live.ldt)))
		r->live = *l;
}

void gmem_row_deletion(struct gmem *m, struct grow *r, const struct sst_deletion *d)
{
	(void)m;
	if (gdeletion_wins(d, &r->del))
		r->del = *d;
}

void gmem_complex_deletion(struct gmem *m, struct grow *r, uint16_t col, const struct sst_deletion *d)
{
	for (uint32_t i = 0; i < r->ncx; i++)
		if (r->cx[i].col == col) {
			if (gdeletion_wins(d, &r->cx[i].del))
				r->cx[i].del = *d;
			return;
		}
	uint32_t i = r->ncx;
	while (i > 0 && r->cx[i - 1].col > col)
		i--;
	if (r->ncx == r->cxcap)
		r->cx = arena_grow(m, r->cx, r->ncx, &r->cxcap, sizeof(*r->cx));
	memmove(&r->cx[i + 1], &r->cx[i], (r->ncx - i) * sizeof(*r->cx));
	r->cx[i].col = col;
	r->cx[i].del = *d;
	r->ncx++;
	m->bytes += 12;
}

void gmem_partition_deletion(struct gmem *m, struct gpart *p, const struct sst_deletion *d)
{
	(void)m;
	if (gdeletion_wins(d, &p->del))
		p->del = *d;
}

void gmem_range_deletion(struct gmem *m, struct gpart *p, const struct grt *rt)
{
	for (uint32_t i = 0; i < p->nrts; i++)
		if (p->rts[i].start == rt->start && p->rts[i].end == rt->end) {
			if (gdeletion_wins(&rt->del, &p->rts[i].del))
				p->rts[i].del = rt->del;
			return;
		}
	if (p->nrts == p->rcap)
		p->rts = arena_grow(m, p->rts, p->nrts, &p->rcap, sizeof(*p->rts));
	p->rts[p->nrts++] = *rt;
	m->bytes += 30;
}

static void merge_row(struct gmem *dst, struct grow *to, const struct grow *from, int64_t max_ts)
{
	if (from->live.ts != SST_NO_TS && from->live.ts <= max_ts)
		gmem_liveness(dst, to, &from->live);
	if (!sst_deletion_live(&from->del) && from->del.mfda <= max_ts)
		gmem_row_deletion(dst, to, &from->del);
	for (uint32_t i = 0; i < from->ncx; i++)
		if (from->cx[i].del.mfda <= max_ts)
			gmem_complex_deletion(dst, to, from->cx[i].col, &from->cx[i].del);
	for (uint32_t i = 0; i < from->ncells; i++)
		if (from->cells[i].ts <= max_ts)
			gmem_cell(dst, to, &from->cells[i]);
}

void gmem_merge(struct gmem *dst, const struct gmem *src, int64_t max_ts)
{
	for (uint32_t b = 0; b < src->nbuckets; b++)
		for (const struct gpart *p = src->buckets[b]; p; p = p->next) {
			struct gpart *q = gmem_part(dst, p->key.p, p->key.n);
			if (!sst_deletion_live(&p->del) && p->del.mfda <= max_ts)
				gmem_partition_deletion(dst, q, &p->del);
			for (uint32_t i = 0; i < p->nrts; i++)
				if (p->rts[i].del.mfda <= max_ts)
					gmem_range_deletion(dst, q, &p->rts[i]);
			if (p->statik)
				merge_row(dst, gpart_static(dst, q), p->statik, max_ts);
			uint32_t hint = 0;	/* the source's rows come in order */
			for (uint32_t i = 0; i < p->nrows; i++)
				merge_row(dst, gpart_row_from(dst, q, p->rows[i]->ck.p, p->rows[i]->ck.n, &hint), p->rows[i],
					  max_ts);
		}
}

static int cmp_part(const void *a, const void *b)
{
	const struct gpart *x = *(const struct gpart *const *)a, *y = *(const struct gpart *const *)b;
	if (x->token != y->token)
		return x->token < y->token ? -1 : 1;
	return bcmp_u(&x->key, &y->key);
}

struct gpart **gmem_sorted(const struct gmem *m, uint32_t *n)
{
	struct gpart **v = xrealloc(NULL, (m->nparts + 1) * sizeof(*v));
	uint32_t k = 0;
	for (uint32_t b = 0; b < m->nbuckets; b++)
		for (struct gpart *p = m->buckets[b]; p; p = p->next)
			v[k++] = p;
	qsort(v, k, sizeof(*v), cmp_part);
	*n = k;
	return v;
}
