/* Data.db decoding: partitions and their unfiltereds (rows, static rows,
 * range tombstone markers), one at a time, with bounded memory. */
#include "core/sstable/sstable_impl.h"

#include <stdlib.h>
#include <string.h>
#include "core/util/bytes.h"

enum {
	F_END = 0x01, F_MARKER = 0x02, F_TS = 0x04, F_TTL = 0x08, F_DEL = 0x10, F_ALL = 0x20,
	F_CDEL = 0x40, F_EXT = 0x80,
	X_STATIC = 0x01, X_SHADOWABLE = 0x02,
};

struct sst_scan {
	struct sst *s;
	struct sst_cursor cur;
	int state;		/* 0 between partitions, 1 inside one */
	bool first_unfiltered;
	uint8_t *key;
	size_t key_cap;
	struct sst_partition part;
	struct sst_unfiltered u;
	/* clustering values, copied out of the stream */
	uint8_t *cbuf;
	size_t cbuf_cap;
	size_t *coff;
	const uint8_t **cval;
	uint32_t *clen;
	uint8_t *cstate;
	int cmax;
	struct sst_cell *cells;
	size_t cells_cap;
	struct sst_complex_del *cx;
	size_t cx_cap;
	uint32_t *present;
	size_t present_cap;
	bool oa;
	int64_t min_ts, min_ldt;
	int32_t min_ttl;
	int *cfixed;		/* fixed length of each clustering type, or -1 */
	uint64_t data_len;
};

static const char *nm(const struct sst_scan *sc) { return sc->s->name; }

int sst_scan_open(struct sst_scan **out, struct sst *s, struct pit_err *err)
{
	struct sst_scan *sc;
	int n = s->hdr.nclustering > 0 ? s->hdr.nclustering : 1;

	*out = NULL;
	if (s->stats.partitioner == SST_LOCAL)
		return pit_errf(err, -ENOTSUP, "%s: uses %s: a node-local system table, not user data", s->name,
				s->stats.partitioner_class);
	if (!(sc = calloc(1, sizeof(*sc))))
		return -ENOMEM;
	sc->s = s;
	sst_cursor_init(&sc->cur, s->df, 0);
	sc->oa = s->ver.uint_deletion_time;
	sc->min_ts = s->stats.enc_min_timestamp;
	sc->min_ldt = s->stats.enc_min_ldt;
	sc->min_ttl = s->stats.enc_min_ttl;
	sc->cmax = n;
	sc->coff = calloc((size_t)n, sizeof(*sc->coff));
	sc->cval = calloc((size_t)n, sizeof(*sc->cval));
	sc->clen = calloc((size_t)n, sizeof(*sc->clen));
	sc->cstate = calloc((size_t)n, sizeof(*sc->cstate));
	sc->cfixed = calloc((size_t)n, sizeof(*sc->cfixed));
	if (!sc->coff || !sc->cval || !sc->clen || !sc->cstate || !sc->cfixed) {
		sst_scan_close(sc);
		return -ENOMEM;
	}
	for (int i = 0; i < s->hdr.nclustering; i++)
		sc->cfixed[i] = cql_type_fixed_len(s->hdr.clustering[i]);
	sc->data_len = sst_dfile_length(s->df);
	sc->u.cval = sc->cval;
	sc->u.clen = sc->clen;
	sc->u.cstate = sc->cstate;
	*out = sc;
	return 0;
}

void sst_scan_close(struct sst_scan *sc)
{
	if (!sc)
		return;
	sst_cursor_release(&sc->cur);
	free(sc->key);
	free(sc->cbuf);
	free(sc->coff);
	free(sc->cval);
	free(sc->clen);
	free(sc->cstate);
	free(sc->cfixed);
	free(sc->cells);
	free(sc->cx);
	free(sc->present);
	free(sc);
}

void sst_scan_seek(struct sst_scan *sc, uint64_t pos)
{
	sst_cursor_seek(&sc->cur, pos);
	sc->state = 0;
}

uint64_t sst_scan_position(const struct sst_scan *sc) { return sc->cur.pos; }

static int grow_slow(void **p, size_t *cap, size_t want, size_t elem);

static inline int grow(void **p, size_t *cap, size_t want, size_t elem)
{
	return want <= *cap ? 0 : grow_slow(p, cap, want, elem);
}

static int grow_slow(void **p, size_t *cap, size_t want, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	while (n < want)
		n *= 2;
	void *np = realloc(*p, n * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}

static int64_t ts_of(const struct sst_scan *sc, uint64_t delta)
{
	return (int64_t)(delta + (uint64_t)sc->min_ts);
}

static int64_t ldt_of(const struct sst_scan *sc, uint64_t delta)
{
	uint32_t raw = (uint32_t)(delta + (uint64_t)sc->min_ldt);
	if (sc->oa)
		return raw == UINT32_MAX ? SST_NO_LDT : (int64_t)raw;
	return (int32_t)raw == INT32_MAX ? SST_NO_LDT : (int64_t)(int32_t)raw;
}

static int32_t ttl_of(const struct sst_scan *sc, uint64_t delta)
{
	return (int32_t)(uint32_t)(delta + (uint64_t)(int64_t)sc->min_ttl);
}

/* ---- partition header ---- */

static int read_partition(struct sst_scan *sc, struct pit_err *err)
{
	const uint8_t *p;
	uint64_t at = sc->cur.pos;
	int rc;

	if ((rc = sst_cursor_get(&sc->cur, 2, &p, err)) < 0)
		return rc;
	size_t kl = be16(p);
	if ((rc = sst_cursor_get(&sc->cur, kl, &p, err)) < 0)
		return rc;
	if (grow((void **)&sc->key, &sc->key_cap, kl + 1, 1) < 0)
		return -ENOMEM;
	memcpy(sc->key, p, kl);
	sc->part.key = sc->key;
	sc->part.key_len = (uint32_t)kl;
	sc->part.offset = at;
	struct sst_deletion *d = &sc->part.deletion;
	if (sc->oa) {
		uint8_t first;
		if ((rc = sst_cursor_u8(&sc->cur, &first, err)) < 0)
			return rc;
		if (first == 0x80) {
			d->mfda = SST_NO_TS;
			d->ldt = SST_NO_LDT;
		} else if (first & 0x80) {
			return pit_errf(err, -EBADMSG, "%s: partition at offset %llu: bad deletion flag byte 0x%02x",
					nm(sc), (unsigned long long)at, first);
		} else {
			if ((rc = sst_cursor_get(&sc->cur, 11, &p, err)) < 0)
				return rc;
			uint8_t b[12];
			b[0] = first;
			memcpy(b + 1, p, 11);
			d->mfda = (int64_t)be64(b);
			d->ldt = be32(b + 8);
		}
	} else {
		if ((rc = sst_cursor_get(&sc->cur, 12, &p, err)) < 0)
			return rc;
		int32_t ldt = (int32_t)be32(p);
		int64_t mfda = (int64_t)be64(p + 4);
		if (mfda == SST_NO_TS) {
			if (ldt != INT32_MAX)
				return pit_errf(err, -EBADMSG, "%s: partition at offset %llu: live deletion with local "
						"deletion time %d", nm(sc), (unsigned long long)at, ldt);
			d->mfda = SST_NO_TS;
			d->ldt = SST_NO_LDT;
		} else {
			d->mfda = mfda;
			d->ldt = ldt;
		}
	}
	sc->state = 1;
	sc->first_unfiltered = true;
	return 0;
}

int sst_scan_next_partition(struct sst_scan *sc, const struct sst_partition **part, struct pit_err *err)
{
	const struct sst_unfiltered *u;
	int rc;

	while (sc->state == 1)
		if ((rc = sst_scan_next(sc, &u, err)) < 0)
			return rc;
	if (sst_cursor_eof(&sc->cur))
		return 0;
	if ((rc = read_partition(sc, err)) < 0)
		return rc;
	*part = &sc->part;
	return 1;
}

/* ---- clustering ---- */

static inline int read_clustering(struct sst_scan *sc, int n, uint64_t at, struct pit_err *err)
{
	size_t used = 0;
	uint64_t header = 0;
	int rc;

	for (int i = 0; i < n; i++) {
		const uint8_t *p;
		if (i % 32 == 0 && (rc = sst_cursor_uvint(&sc->cur, &header, err)) < 0)
			return rc;
		int bits = (int)(header >> (2 * (i % 32))) & 3;
		sc->cstate[i] = bits & 2 ? SST_CK_NULL : bits & 1 ? SST_CK_EMPTY : SST_CK_VALUE;
		sc->clen[i] = 0;
		sc->coff[i] = used;
		if (bits)
			continue;
		int fixed = sc->cfixed[i];
		uint64_t len;
		if (fixed >= 0) {
			len = (uint64_t)fixed;
		} else if ((rc = sst_cursor_uvint(&sc->cur, &len, err)) < 0) {
			return rc;
		}
		if (len > sc->data_len)
			return pit_errf(err, -EBADMSG, "%s: unfiltered at offset %llu: clustering value %d of %llu bytes",
					nm(sc), (unsigned long long)at, i, (unsigned long long)len);
		if ((rc = sst_cursor_get(&sc->cur, (size_t)len, &p, err)) < 0)
			return rc;
		if (grow((void **)&sc->cbuf, &sc->cbuf_cap, used + (size_t)len + 1, 1) < 0)
			return -ENOMEM;
		memcpy(sc->cbuf + used, p, (size_t)len);
		sc->clen[i] = (uint32_t)len;
		used += (size_t)len;
	}
	for (int i = 0; i < n; i++)
		sc->cval[i] = sc->cbuf ? sc->cbuf + sc->coff[i] : (const uint8_t *)"";
	sc->u.nclust = n;
	return 0;
}

/* ---- row and marker bodies ---- */

struct body {
	const uint8_t *p, *end;
};

static inline bool b_uv(struct body *b, uint64_t *v)
{
	if (b->p < b->end && !(*b->p & 0x80)) {	/* most vints are one byte */
		*v = *b->p++;
		return true;
	}
	int k = uvint_get(b->p, b->end, v);
	b->p += k;
	return k != 0;
}

static inline bool b_deletion(struct sst_scan *sc, struct body *b, struct sst_deletion *d)
{
	uint64_t m, l;
	if (!b_uv(b, &m) || !b_uv(b, &l))
		return false;
	d->mfda = ts_of(sc, m);
	d->ldt = ldt_of(sc, l);
	if (d->mfda == SST_NO_TS)
		d->ldt = SST_NO_LDT;
	return true;
}

static inline bool b_bytes(struct body *b, size_t n, const uint8_t **out)
{
	if ((size_t)(b->end - b->p) < n)
		return false;
	*out = b->p;
	b->p += n;
	return true;
}

static inline bool b_vbytes(struct body *b, const uint8_t **out, uint32_t *len)
{
	uint64_t n;
	if (!b_uv(b, &n) || n > (uint64_t)(b->end - b->p))
		return false;
	*len = (uint32_t)n;
	return b_bytes(b, (size_t)n, out);
}

/* Columns.deserializeSubset: which header columns this row has. */
static const char *read_subset(struct sst_scan *sc, struct body *b, uint32_t ncols, uint32_t *npresent)
{
	uint64_t enc;

	if (!b_uv(b, &enc))
		return "truncated column subset";
	if (grow((void **)&sc->present, &sc->present_cap, ncols + 1, sizeof(uint32_t)) < 0)
		return "out of memory";
	uint32_t k = 0;
	if (enc == 0) {
		for (uint32_t i = 0; i < ncols; i++)
			sc->present[k++] = i;
	} else if (ncols < 64) {
		if (enc >> ncols)
			return "column bitmap names columns the header lacks";
		for (uint32_t i = 0; i < ncols; i++)
			if (!(enc >> i & 1))
				sc->present[k++] = i;
	} else {
		if (enc > ncols)
			return "more missing columns than the header has";
		uint32_t count = ncols - (uint32_t)enc;
		if (count < ncols / 2) {
			for (uint32_t i = 0; i < count; i++) {
				uint64_t idx = 0;
				if (!b_uv(b, &idx) || idx >= ncols || (k && idx <= sc->present[k - 1]))
					return "bad present-column index";
				sc->present[k++] = (uint32_t)idx;
			}
		} else {
			uint32_t idx = 0;
			for (uint64_t i = 0; i < enc; i++) {
				uint64_t missing = 0;
				if (!b_uv(b, &missing) || missing >= ncols || missing < idx)
					return "bad missing-column index";
				while (idx < missing)
					sc->present[k++] = idx++;
				idx++;
			}
			while (idx < ncols)
				sc->present[k++] = idx++;
		}
	}
	*npresent = k;
	return NULL;
}

static inline __attribute__((always_inline)) const char *read_cell(struct sst_scan *sc, struct body *b, const struct sst_column *col, uint16_t ci,
			     struct sst_cell *c)
{
	const struct sst_liveness *row = &sc->u.liveness;
	uint64_t v;

	if (b->p >= b->end)
		return "truncated cell";
	uint8_t f = *b->p++;
	if (f & ~0x1f)
		return "unknown cell flags";
	c->col = ci;
	c->flags = f;
	c->ttl = 0;
	c->ldt = SST_NO_LDT;
	c->path = NULL;
	c->path_len = 0;
	c->value = (const uint8_t *)"";
	c->len = 0;
	if (f & SST_CELL_ROW_TS) {
		c->ts = row->ts;
	} else {
		if (!b_uv(b, &v))
			return "truncated cell timestamp";
		c->ts = ts_of(sc, v);
	}
	bool del = f & SST_CELL_DELETED, exp = f & SST_CELL_EXPIRING;
	if (f & SST_CELL_ROW_TTL) {
		c->ttl = row->ttl;
		c->ldt = row->ldt;
	} else {
		if (del || exp) {
			if (!b_uv(b, &v))
				return "truncated cell deletion time";
			c->ldt = ldt_of(sc, v);
		}
		if (exp) {
			if (!b_uv(b, &v))
				return "truncated cell ttl";
			c->ttl = ttl_of(sc, v);
		}
	}
	if (col->complex && !b_vbytes(b, &c->path, &c->path_len))
		return "truncated cell path";
	if (!(f & SST_CELL_EMPTY_VALUE)) {
		if (col->fixed >= 0 && !col->complex) {
			if (!b_bytes(b, (size_t)col->fixed, &c->value))
				return "truncated cell value";
			c->len = (uint32_t)col->fixed;
		} else if (!b_vbytes(b, &c->value, &c->len)) {
			return "truncated cell value";
		}
	}
	return NULL;
}

static const char *read_row_body(struct sst_scan *sc, struct body *b)
{
	struct sst_unfiltered *u = &sc->u;
	const struct sst_header *h = &sc->s->hdr;
	bool is_static = u->kind == SST_STATIC_ROW;
	const struct sst_column *cols = is_static ? h->statics : h->regulars;
	uint32_t ncols = (uint32_t)(is_static ? h->nstatic : h->nregular), npresent;
	uint64_t v;

	u->liveness.ts = SST_NO_TS;
	u->liveness.ttl = 0;
	u->liveness.ldt = SST_NO_LDT;
	u->deletion.mfda = SST_NO_TS;
	u->deletion.ldt = SST_NO_LDT;
	u->shadowable = false;
	u->ncells = u->ncomplex = 0;
	if (u->flags & F_TS) {
		if (!b_uv(b, &v))
			return "truncated row timestamp";
		u->liveness.ts = ts_of(sc, v);
		if (u->flags & F_TTL) {
			if (!b_uv(b, &v))
				return "truncated row ttl";
			u->liveness.ttl = ttl_of(sc, v);
			if (!b_uv(b, &v))
				return "truncated row expiration";
			u->liveness.ldt = ldt_of(sc, v);
		}
	} else if (u->flags & F_TTL) {
		return "row ttl without a row timestamp";
	}
	if (u->flags & F_DEL) {
		if (!b_deletion(sc, b, &u->deletion))
			return "truncated row deletion";
		u->shadowable = u->ext & X_SHADOWABLE;
	}
	if (u->flags & F_ALL) {
		npresent = ncols;
	} else {
		const char *why = read_subset(sc, b, ncols, &npresent);
		if (why)
			return why;
	}
	/* one cell per simple column at least: grow once, not per cell */
	if (grow((void **)&sc->cells, &sc->cells_cap, npresent + 1, sizeof(*sc->cells)) < 0)
		return "out of memory";
	uint32_t nc = 0, nx = 0;
	for (uint32_t k = 0; k < npresent; k++) {
		uint32_t ci = u->flags & F_ALL ? k : sc->present[k];
		const struct sst_column *col = &cols[ci];
		const char *why;
		if (!col->complex) {
			if ((why = read_cell(sc, b, col, (uint16_t)ci, &sc->cells[nc])))
				return why;
			nc++;
			continue;
		}
		struct sst_deletion cd = { SST_NO_TS, SST_NO_LDT };
		if (u->flags & F_CDEL) {
			if (!b_deletion(sc, b, &cd))
				return "truncated complex deletion";
			if (!sst_deletion_live(&cd)) {
				if (grow((void **)&sc->cx, &sc->cx_cap, nx + 1, sizeof(*sc->cx)) < 0)
					return "out of memory";
				sc->cx[nx].col = (uint16_t)ci;
				sc->cx[nx++].del = cd;
			}
		}
		uint64_t count;
		if (!b_uv(b, &count) || count > (uint64_t)(b->end - b->p))
			return "bad complex cell count";
		if (grow((void **)&sc->cells, &sc->cells_cap, nc + count + npresent + 1, sizeof(*sc->cells)) < 0)
			return "out of memory";
		for (uint64_t i = 0; i < count; i++) {
			if ((why = read_cell(sc, b, col, (uint16_t)ci, &sc->cells[nc])))
				return why;
			nc++;
		}
	}
	u->ncells = nc;
	u->cells = sc->cells;
	u->ncomplex = nx;
	u->complex = sc->cx;
	return NULL;
}

int sst_scan_next(struct sst_scan *sc, const struct sst_unfiltered **out, struct pit_err *err)
{
	struct sst_unfiltered *u = &sc->u;
	const struct sst_header *h = &sc->s->hdr;
	uint64_t at = sc->cur.pos, size;
	uint8_t flags, ext = 0;
	const uint8_t *p;
	const char *why = NULL;
	int rc;

	if (sc->state != 1)
		return 0;
	if ((rc = sst_cursor_u8(&sc->cur, &flags, err)) < 0)
		return rc;
	if (flags & F_END) {
		if (flags != F_END)
			return pit_errf(err, -EBADMSG, "%s: offset %llu: end-of-partition byte 0x%02x has other flags",
					nm(sc), (unsigned long long)at, flags);
		sc->state = 0;
		return 0;
	}
	if ((flags & F_EXT) && (rc = sst_cursor_u8(&sc->cur, &ext, err)) < 0)
		return rc;
	u->flags = flags;
	u->ext = ext;
	u->offset = at;
	u->nclust = 0;
	u->ncells = u->ncomplex = 0;
	if (flags & F_MARKER) {
		uint8_t kind;
		if ((rc = sst_cursor_u8(&sc->cur, &kind, err)) < 0 || (rc = sst_cursor_get(&sc->cur, 2, &p, err)) < 0)
			return rc;
		int n = be16(p);
		if (kind > 7 || kind == SST_STATIC_CLUSTERING || kind == SST_CLUSTERING)
			return pit_errf(err, -EBADMSG, "%s: marker at offset %llu: bound kind %u", nm(sc),
					(unsigned long long)at, kind);
		if (n > h->nclustering)
			return pit_errf(err, -EBADMSG, "%s: marker at offset %llu: %d clustering values, table has %d",
					nm(sc), (unsigned long long)at, n, h->nclustering);
		u->kind = SST_MARKER;
		u->bound = (enum sst_bound)kind;
		if ((rc = read_clustering(sc, n, at, err)) < 0)
			return rc;
	} else if (ext & X_STATIC) {
		if (!sc->first_unfiltered || h->nstatic == 0)
			return pit_errf(err, -EBADMSG, "%s: offset %llu: static row %s", nm(sc), (unsigned long long)at,
					h->nstatic ? "after other rows" : "in a table without static columns");
		u->kind = SST_STATIC_ROW;
	} else {
		u->kind = SST_ROW;
		if ((rc = read_clustering(sc, h->nclustering, at, err)) < 0)
			return rc;
	}
	sc->first_unfiltered = false;
	if ((rc = sst_cursor_uvint(&sc->cur, &size, err)) < 0)
		return rc;
	if (size > sc->data_len - sc->cur.pos)
		return pit_errf(err, -EBADMSG, "%s: unfiltered at offset %llu: size %llu runs past the end of the data",
				nm(sc), (unsigned long long)at, (unsigned long long)size);
	if ((rc = sst_cursor_get(&sc->cur, (size_t)size, &p, err)) < 0)
		return rc;
	struct body b = { p, p + size };
	uint64_t prev;
	if (!b_uv(&b, &prev)) {
		why = "truncated previous-unfiltered size";
	} else if (u->kind == SST_MARKER) {
		bool boundary = u->bound == SST_EXCL_END_INCL_START_BOUNDARY || u->bound == SST_INCL_END_EXCL_START_BOUNDARY;
		if (!b_deletion(sc, &b, &u->marker[0]) || (boundary && !b_deletion(sc, &b, &u->marker[1])))
			why = "truncated marker deletion";
		if (!boundary)
			u->marker[1] = u->marker[0];
	} else {
		why = read_row_body(sc, &b);
	}
	if (!why && b.p != b.end)
		why = "content ends before the recorded size";
	if (why)
		return pit_errf(err, -EBADMSG, "%s: %s at offset %llu (size %llu): %s", nm(sc),
				u->kind == SST_MARKER ? "marker" : u->kind == SST_STATIC_ROW ? "static row" : "row",
				(unsigned long long)at, (unsigned long long)size, why);
	*out = u;
	return 1;
}
