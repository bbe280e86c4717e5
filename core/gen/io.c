/* Writing the generator's model out: SSTables through the writer (with range
 * tombstones turned into Cassandra's markers), and the log of every flush
 * from which the ground truth is rebuilt. */
#include "core/gen/gen_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sstable/writer.h"
#include "core/util/bytes.h"

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

struct rowbuf {
	struct sst_unfiltered u;
	const uint8_t *cval[8];
	uint32_t clen[8];
	uint8_t cstate[8];
	struct sst_cell *cells;
	size_t cap;
};

static void fill_ck(struct rowbuf *rb, const struct gbytes *ck)
{
	int n = 0;
	for (uint32_t at = 0; at < ck->n && n < 8; n++) {
		uint32_t len = be16(ck->p + at);
		rb->cval[n] = ck->p + at + 2;
		rb->clen[n] = len;
		rb->cstate[n] = SST_CK_VALUE;
		at += 2 + len;
	}
	rb->u.nclust = n;
	rb->u.cval = rb->cval;
	rb->u.clen = rb->clen;
	rb->u.cstate = rb->cstate;
}

static struct sst_deletion covering(const struct gpart *p, const struct grow *r)
{
	struct sst_deletion d = p->del;
	if (r->ck.n >= 10)
		for (uint32_t i = 0; i < p->nrts; i++) {
			int64_t ck = (int64_t)be64(r->ck.p + 2);
			if (p->rts[i].start <= ck && ck < p->rts[i].end && gdeletion_wins(&p->rts[i].del, &d))
				d = p->rts[i].del;
		}
	if (gdeletion_wins(&r->del, &d))
		d = r->del;
	return d;
}

/* A model row as the writer takes it. With pg (compaction), what deletions
 * shadow is dropped first, then the tombstones that may be purged. */
static int put_row(struct sst_writer *w, const struct gpart *p, const struct grow *r, const struct gen_purge *pg,
		   struct rowbuf *rb, struct pit_err *err)
{
	struct sst_unfiltered *u = &rb->u;
	struct sst_deletion shadow = pg ? covering(p, r) : LIVE;

	memset(u, 0, sizeof(*u));
	u->kind = r->is_static ? SST_STATIC_ROW : SST_ROW;
	fill_ck(rb, &r->ck);
	u->liveness = r->live;
	if (pg && shadow.mfda != SST_NO_TS && r->live.ts <= shadow.mfda)
		u->liveness = (struct sst_liveness){ SST_NO_TS, 0, SST_NO_LDT };
	u->deletion = r->del;
	if (pg && gen_purgeable(pg, &u->deletion))
		u->deletion = LIVE;
	if (r->ncells > rb->cap) {
		rb->cap = r->ncells * 2;
		rb->cells = realloc(rb->cells, rb->cap * sizeof(*rb->cells));
		if (!rb->cells)
			return -ENOMEM;
	}
	struct sst_complex_del cx[8];
	uint32_t ncx = 0;
	for (uint32_t i = 0; i < r->ncx && ncx < 8; i++)
		if (!pg || !gen_purgeable(pg, &r->cx[i].del))
			cx[ncx++] = r->cx[i];
	uint32_t n = 0;
	for (uint32_t i = 0; i < r->ncells; i++) {
		const struct gcell *c = &r->cells[i];
		if (pg) {
			struct sst_deletion d = shadow;
			for (uint32_t k = 0; k < r->ncx; k++)
				if (r->cx[k].col == c->col && gdeletion_wins(&r->cx[k].del, &d))
					d = r->cx[k].del;
			if ((d.mfda != SST_NO_TS && c->ts <= d.mfda) || gen_cell_purgeable(pg, c))
				continue;
		}
		struct sst_cell *s = &rb->cells[n++];
		memset(s, 0, sizeof(*s));
		s->col = c->col;
		s->flags = c->kind == GC_TOMB ? SST_CELL_DELETED : c->kind == GC_EXPIRING ? SST_CELL_EXPIRING : 0;
		s->ts = c->ts;
		s->ttl = c->ttl;
		s->ldt = c->kind == GC_TOMB || c->kind == GC_EXPIRING ? c->ldt : SST_NO_LDT;
		s->path = c->path.p;
		s->path_len = c->path.n;
		s->value = c->value.p;
		s->len = c->value.n;
	}
	u->cells = rb->cells;
	u->ncells = n;
	u->complex = cx;
	u->ncomplex = ncx;
	if (!n && !ncx && u->liveness.ts == SST_NO_TS && sst_deletion_live(&u->deletion))
		return 0;	/* nothing left to write */
	return sst_writer_add(w, u, err);
}

static int put_marker(struct sst_writer *w, enum sst_bound kind, int64_t at, struct sst_deletion a,
		      struct sst_deletion b, struct pit_err *err)
{
	uint8_t v[8];
	const uint8_t *cval[1] = { v };
	uint32_t clen[1] = { 8 };
	uint8_t cstate[1] = { SST_CK_VALUE };
	struct sst_unfiltered u = { .kind = SST_MARKER, .bound = kind, .nclust = 1, .cval = cval, .clen = clen,
				    .cstate = cstate, .marker = { a, b } };
	put_be64(v, (uint64_t)at);
	return sst_writer_add(w, &u, err);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Rows and the markers of the partition's range deletions, in clustering
 * order: at each point where the strongest covering deletion changes, an
 * open bound, a close bound or a boundary. */
static int put_rows(struct sst_writer *w, const struct gpart *p, const struct gen_purge *pg, struct rowbuf *rb,
		    struct pit_err *err)
{
	int64_t *pts = NULL;
	uint32_t npts = 0, ri = 0;
	struct sst_deletion cur = LIVE;
	int rc = 0;

	if (p->nrts) {
		pts = malloc(2 * p->nrts * sizeof(*pts));
		if (!pts)
			return -ENOMEM;
		for (uint32_t i = 0; i < p->nrts; i++) {
			if (pg && gen_purgeable(pg, &p->rts[i].del))
				continue;
			pts[npts++] = p->rts[i].start;
			pts[npts++] = p->rts[i].end;
		}
		qsort(pts, npts, sizeof(*pts), cmp_i64);
	}
	for (uint32_t k = 0; k <= npts && rc == 0; k++) {
		if (k < npts && k && pts[k] == pts[k - 1])
			continue;
		int64_t at = k < npts ? pts[k] : INT64_MAX;
		/* rows before this point */
		for (; ri < p->nrows && rc == 0; ri++) {
			const struct grow *r = p->rows[ri];
			if (r->ck.n >= 10 && (int64_t)be64(r->ck.p + 2) >= at)
				break;
			rc = put_row(w, p, r, pg, rb, err);
		}
		if (k == npts || rc)
			break;
		struct sst_deletion next = LIVE;
		int64_t to = INT64_MAX;
		for (uint32_t m = k + 1; m < npts; m++)
			if (pts[m] != at) {
				to = pts[m];
				break;
			}
		for (uint32_t i = 0; i < p->nrts; i++)
			if (p->rts[i].start <= at && to <= p->rts[i].end && !(pg && gen_purgeable(pg, &p->rts[i].del)) &&
			    gdeletion_wins(&p->rts[i].del, &next))
				next = p->rts[i].del;
		if (to == INT64_MAX)
			next = LIVE;
		if (sst_deletion_live(&cur) && !sst_deletion_live(&next))
			rc = put_marker(w, SST_INCL_START_BOUND, at, next, LIVE, err);
		else if (!sst_deletion_live(&cur) && sst_deletion_live(&next))
			rc = put_marker(w, SST_EXCL_END_BOUND, at, cur, LIVE, err);
		else if (!sst_deletion_live(&cur) && (cur.mfda != next.mfda || cur.ldt != next.ldt))
			rc = put_marker(w, SST_EXCL_END_INCL_START_BOUNDARY, at, cur, next, err);
		cur = next;
	}
	free(pts);
	return rc;
}

int gen_write_parts(struct sst_writer *w, const struct gmem *m, const struct gen_purge *pg, struct pit_err *err)
{
	struct rowbuf rb = { 0 };
	uint32_t n;
	struct gpart **parts = gmem_sorted(m, &n);
	int rc = 0;

	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const struct gpart *p = parts[i];
		struct sst_deletion d = p->del;
		if (pg && gen_purgeable(pg, &d))
			d = LIVE;
		if ((rc = sst_writer_partition(w, p->key.p, p->key.n, &d, err)) < 0)
			break;
		if (p->statik && (rc = put_row(w, p, p->statik, pg, &rb, err)) < 0)
			break;
		if ((rc = put_rows(w, p, pg, &rb, err)) < 0)
			break;
		rc = sst_writer_end_partition(w, err);
	}
	free(rb.cells);
	free(parts);
	return rc;
}

int gen_write_sstable(const struct gmem *m, const char *dir, int gen, const struct gen_purge *pg,
		      const struct sst_writer_opts *opts, uint64_t *bytes, struct pit_err *err)
{
	struct sst_writer *w = NULL;
	int rc;

	if ((rc = sst_writer_open(&w, dir, gen, &m->t->hdr, opts, err)) == 0 &&
	    (rc = gen_write_parts(w, m, pg, err)) == 0 && (rc = sst_writer_finish(w, err)) == 0 && bytes)
		*bytes = gen_sstable_bytes(dir, gen);
	sst_writer_close(w);
	return rc;
}

/* ---- the flush log ---- */

/* Records are built in memory and written in one piece. Inline, so that the
 * many fixed-size fields become plain stores. */
static inline void wr(struct sbuf *b, const void *p, size_t n)
{
	if (n && b->len + n < b->cap) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
	} else if (n) {
		sbuf_add(b, p, n);
	}
}

static void wr_bytes(struct sbuf *b, const struct gbytes *x)
{
	wr(b, &x->n, 4);
	wr(b, x->p, x->n);
}

/* The span of timestamps a record holds, so that a replay skips the records
 * that have nothing in its window. */
struct span {
	int64_t min, max;
};

static void span_add(struct span *sp, int64_t ts)
{
	if (ts == SST_NO_TS)
		return;
	if (ts < sp->min)
		sp->min = ts;
	if (ts > sp->max)
		sp->max = ts;
}

static void wr_row(struct sbuf *b, const struct grow *r, struct span *sp)
{
	wr_bytes(b, &r->ck);
	wr(b, &r->is_static, sizeof(r->is_static));
	wr(b, &r->live, sizeof(r->live));
	wr(b, &r->del, sizeof(r->del));
	span_add(sp, r->live.ts);
	span_add(sp, r->del.mfda);
	wr(b, &r->ncx, 4);
	wr(b, r->cx, r->ncx * sizeof(*r->cx));
	for (uint32_t i = 0; i < r->ncx; i++)
		span_add(sp, r->cx[i].del.mfda);
	wr(b, &r->ncells, 4);
	for (uint32_t i = 0; i < r->ncells; i++) {
		const struct gcell *c = &r->cells[i];
		wr(b, &c->col, 2);
		wr(b, &c->kind, 1);
		wr(b, &c->ts, 8);
		wr(b, &c->ttl, 4);
		wr(b, &c->ldt, 8);
		wr_bytes(b, &c->path);
		wr_bytes(b, &c->value);
		span_add(sp, c->ts);
	}
}

/* A record: node, table, partition count, its span of timestamps and its
 * length, then the partitions. */
struct log_hdr {
	uint32_t node, table, nparts;
	int64_t min_ts, max_ts;
	uint64_t len;
};

int gen_log_flush(FILE *f, int node, int table, const struct gmem *m)
{
	struct log_hdr h;
	struct span sp = { INT64_MAX, INT64_MIN };
	struct sbuf b;
	int rc = 0;

	memset(&h, 0, sizeof(h));	/* padding too: the record is written as it is */
	h.node = (uint32_t)node;
	h.table = (uint32_t)table;
	h.nparts = m->nparts;

	sbuf_init(&b);
	sbuf_grow(&b, m->bytes + m->bytes / 2 + 64);	/* about what the log takes */
	wr(&b, &h, sizeof(h));
	for (uint32_t k = 0; k < m->nbuckets; k++)
		for (const struct gpart *p = m->buckets[k]; p; p = p->next) {
			wr_bytes(&b, &p->key);
			wr(&b, &p->del, sizeof(p->del));
			span_add(&sp, p->del.mfda);
			wr(&b, &p->nrts, 4);
			wr(&b, p->rts, p->nrts * sizeof(*p->rts));
			for (uint32_t i = 0; i < p->nrts; i++)
				span_add(&sp, p->rts[i].del.mfda);
			uint32_t has_static = p->statik != NULL;
			wr(&b, &has_static, 4);
			if (p->statik)
				wr_row(&b, p->statik, &sp);
			wr(&b, &p->nrows, 4);
			for (uint32_t i = 0; i < p->nrows; i++)
				wr_row(&b, p->rows[i], &sp);
		}
	if (!b.oom) {
		h.min_ts = sp.min;
		h.max_ts = sp.max;
		h.len = b.len - sizeof(h);
		memcpy(b.buf, &h, sizeof(h));
	}
	if (b.oom || (b.len && fwrite(b.buf, 1, b.len, f) != b.len))
		rc = -EIO;
	sbuf_release(&b);
	return rc;
}

/* Replaying the log from memory: each version goes straight into the node's
 * and the cluster's state for its table, if written at or before `at`. */
struct cur {
	const uint8_t *p, *end;
};

static bool take(struct cur *c, void *out, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	memcpy(out, c->p, n);
	c->p += n;
	return true;
}

static bool take_bytes(struct cur *c, struct gbytes *b)
{
	if (!take(c, &b->n, 4) || (size_t)(c->end - c->p) < b->n)
		return false;
	b->p = (uint8_t *)c->p;
	c->p += b->n;
	return true;
}

/* A version counts when lo < its timestamp <= hi. */
#define IN(ts) ((ts) > lo && (ts) <= hi)

static bool replay_row(struct cur *c, struct gmem *dst[2], struct gpart *dp[2], uint32_t hint[2], int nd, int64_t lo,
		       int64_t hi)
{
	struct gbytes ck;
	bool is_static;
	struct sst_liveness live;
	struct sst_deletion del;
	uint32_t n;
	struct grow *r[2];

	if (!take_bytes(c, &ck) || !take(c, &is_static, sizeof(is_static)) || !take(c, &live, sizeof(live)) ||
	    !take(c, &del, sizeof(del)))
		return false;
	for (int k = 0; k < nd; k++) {
		r[k] = is_static ? gpart_static(dst[k], dp[k]) : gpart_row_from(dst[k], dp[k], ck.p, ck.n, &hint[k]);
		if (live.ts != SST_NO_TS && IN(live.ts))
			gmem_liveness(dst[k], r[k], &live);
		if (!sst_deletion_live(&del) && IN(del.mfda))
			gmem_row_deletion(dst[k], r[k], &del);
	}
	if (!take(c, &n, 4))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct sst_complex_del cd;
		if (!take(c, &cd, sizeof(cd)))
			return false;
		if (IN(cd.del.mfda))
			for (int k = 0; k < nd; k++)
				gmem_complex_deletion(dst[k], r[k], cd.col, &cd.del);
	}
	if (!take(c, &n, 4))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct gcell g;
		memset(&g, 0, sizeof(g));
		if (!take(c, &g.col, 2) || !take(c, &g.kind, 1) || !take(c, &g.ts, 8) || !take(c, &g.ttl, 4) ||
		    !take(c, &g.ldt, 8) || !take_bytes(c, &g.path) || !take_bytes(c, &g.value))
			return false;
		if (IN(g.ts))
			for (int k = 0; k < nd; k++)
				gmem_cell(dst[k], r[k], &g);
	}
	return true;
}

int gen_log_replay(const uint8_t *log, size_t n, struct gmem *states, int nnodes, int ntables, int64_t lo,
		   int64_t hi, uint64_t scopes)
{
	struct cur c = { log, log + n };
	struct log_hdr h;

	while (c.p < c.end) {
		if (!take(&c, &h, sizeof(h)) || (int)h.node >= nnodes || (int)h.table >= ntables ||
		    h.len > (uint64_t)(c.end - c.p))
			return -EIO;
		struct gmem *dst[2];
		int nd = 0;
		if (scopes >> h.node & 1)
			dst[nd++] = &states[h.node * (uint32_t)ntables + h.table];
		if (scopes >> nnodes & 1)
			dst[nd++] = &states[(uint32_t)nnodes * (uint32_t)ntables + h.table];
		if (nd == 0 || h.max_ts <= lo || h.min_ts > hi) {
			c.p += h.len;	/* nothing in the window, or for these scopes */
			continue;
		}
		const uint8_t *end = c.p + h.len;
		for (uint32_t k = 0; k < h.nparts; k++) {
			struct gbytes key;
			struct sst_deletion del;
			uint32_t m, has_static;
			struct gpart *dp[2];
			uint32_t hint[2] = { 0, 0 };
			if (!take_bytes(&c, &key) || !take(&c, &del, sizeof(del)) || !take(&c, &m, 4))
				return -EIO;
			for (int i = 0; i < nd; i++) {
				dp[i] = gmem_part(dst[i], key.p, key.n);
				if (!sst_deletion_live(&del) && IN(del.mfda))
					gmem_partition_deletion(dst[i], dp[i], &del);
			}
			for (uint32_t i = 0; i < m; i++) {
				struct grt rt;
				if (!take(&c, &rt, sizeof(rt)))
					return -EIO;
				if (IN(rt.del.mfda))
					for (int j = 0; j < nd; j++)
						gmem_range_deletion(dst[j], dp[j], &rt);
			}
			if (!take(&c, &has_static, 4) || (has_static && !replay_row(&c, dst, dp, hint, nd, lo, hi)) ||
			    !take(&c, &m, 4))
				return -EIO;
			for (uint32_t i = 0; i < m; i++)
				if (!replay_row(&c, dst, dp, hint, nd, lo, hi))
					return -EIO;
		}
		if (c.p != end)
			return -EIO;
	}
	return 0;
}
