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

int gen_write_sstable(const struct gmem *m, const char *dir, int gen, const struct gen_purge *pg,
		      const struct sst_writer_opts *opts, uint64_t *bytes, struct pit_err *err)
{
	struct sst_writer *w = NULL;
	struct rowbuf rb = { 0 };
	uint32_t n;
	struct gpart **parts = gmem_sorted(m, &n);
	int rc;

	if ((rc = sst_writer_open(&w, dir, gen, &m->t->hdr, opts, err)) < 0)
		goto out;
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
	if (rc == 0)
		rc = sst_writer_finish(w, err);
	if (rc == 0 && bytes)
		*bytes = gen_sstable_bytes(dir, gen);
out:
	sst_writer_close(w);
	free(rb.cells);
	free(parts);
	return rc;
}

/* ---- the flush log ---- */

static void wr(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n)
		abort();
}

static void wr_bytes(FILE *f, const struct gbytes *b)
{
	wr(f, &b->n, 4);
	wr(f, b->p, b->n);
}

static void wr_row(FILE *f, const struct grow *r)
{
	wr_bytes(f, &r->ck);
	wr(f, &r->is_static, sizeof(r->is_static));
	wr(f, &r->live, sizeof(r->live));
	wr(f, &r->del, sizeof(r->del));
	wr(f, &r->ncx, 4);
	wr(f, r->cx, r->ncx * sizeof(*r->cx));
	wr(f, &r->ncells, 4);
	for (uint32_t i = 0; i < r->ncells; i++) {
		const struct gcell *c = &r->cells[i];
		wr(f, &c->col, 2);
		wr(f, &c->kind, 1);
		wr(f, &c->ts, 8);
		wr(f, &c->ttl, 4);
		wr(f, &c->ldt, 8);
		wr_bytes(f, &c->path);
		wr_bytes(f, &c->value);
	}
}

void gen_log_flush(FILE *f, int node, int table, const struct gmem *m)
{
	uint32_t hdr[3] = { (uint32_t)node, (uint32_t)table, m->nparts };
	wr(f, hdr, sizeof(hdr));
	for (uint32_t b = 0; b < m->nbuckets; b++)
		for (const struct gpart *p = m->buckets[b]; p; p = p->next) {
			wr_bytes(f, &p->key);
			wr(f, &p->del, sizeof(p->del));
			wr(f, &p->nrts, 4);
			wr(f, p->rts, p->nrts * sizeof(*p->rts));
			uint32_t has_static = p->statik != NULL;
			wr(f, &has_static, 4);
			if (p->statik)
				wr_row(f, p->statik);
			wr(f, &p->nrows, 4);
			for (uint32_t i = 0; i < p->nrows; i++)
				wr_row(f, p->rows[i]);
		}
}

static bool rd(FILE *f, void *p, size_t n)
{
	return n == 0 || fread(p, 1, n, f) == n;
}

static bool rd_bytes(FILE *f, struct gbytes *b)
{
	if (!rd(f, &b->n, 4))
		return false;
	b->p = b->n ? malloc(b->n) : NULL;
	return !b->n || (b->p && rd(f, b->p, b->n));
}

static bool rd_row(FILE *f, struct gmem *m, struct gpart *p)
{
	struct gbytes ck;
	bool is_static;
	struct sst_liveness live;
	struct sst_deletion del;
	uint32_t n;

	if (!rd_bytes(f, &ck) || !rd(f, &is_static, sizeof(is_static)) || !rd(f, &live, sizeof(live)) ||
	    !rd(f, &del, sizeof(del)) || !rd(f, &n, 4)) {
		free(ck.p);
		return false;
	}
	struct grow *r = is_static ? gpart_static(m, p) : gpart_row(m, p, ck.p, ck.n);
	free(ck.p);
	if (live.ts != SST_NO_TS)
		gmem_liveness(m, r, &live);
	if (!sst_deletion_live(&del))
		gmem_row_deletion(m, r, &del);
	for (uint32_t i = 0; i < n; i++) {
		struct sst_complex_del cd;
		if (!rd(f, &cd, sizeof(cd)))
			return false;
		gmem_complex_deletion(m, r, cd.col, &cd.del);
	}
	if (!rd(f, &n, 4))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		struct gcell c;
		memset(&c, 0, sizeof(c));
		if (!rd(f, &c.col, 2) || !rd(f, &c.kind, 1) || !rd(f, &c.ts, 8) || !rd(f, &c.ttl, 4) ||
		    !rd(f, &c.ldt, 8) || !rd_bytes(f, &c.path) || !rd_bytes(f, &c.value)) {
			free(c.path.p);
			free(c.value.p);
			return false;
		}
		gmem_cell(m, r, &c);
		free(c.path.p);
		free(c.value.p);
	}
	return true;
}

/* Reads the next flushed memtable into m (initialized for its table by the
 * caller through *table). 1, 0 at the end, -EIO. */
int gen_log_read(FILE *f, int *node, int *table, struct gmem *m, const struct gtable *tables)
{
	uint32_t hdr[3];
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr))
		return 0;
	*node = (int)hdr[0];
	*table = (int)hdr[1];
	gmem_init(m, &tables[hdr[1]]);
	for (uint32_t k = 0; k < hdr[2]; k++) {
		struct gbytes key;
		struct sst_deletion del;
		uint32_t n, has_static;
		if (!rd_bytes(f, &key))
			return -EIO;
		struct gpart *p = gmem_part(m, key.p, key.n);
		free(key.p);
		if (!rd(f, &del, sizeof(del)) || !rd(f, &n, 4))
			return -EIO;
		if (!sst_deletion_live(&del))
			gmem_partition_deletion(m, p, &del);
		for (uint32_t i = 0; i < n; i++) {
			struct grt rt;
			if (!rd(f, &rt, sizeof(rt)))
				return -EIO;
			gmem_range_deletion(m, p, &rt);
		}
		if (!rd(f, &has_static, 4) || (has_static && !rd_row(f, m, p)) || !rd(f, &n, 4))
			return -EIO;
		for (uint32_t i = 0; i < n; i++)
			if (!rd_row(f, m, p))
				return -EIO;
	}
	return 1;
}
