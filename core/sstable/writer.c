/* Data.db, its chunks and checksums, Index.db, Summary.db, Filter.db,
 * Digest.crc32 and TOC.txt; Statistics.db comes from writer_stats.c. */
#include "core/sstable/writer_impl.h"

#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "core/sstable/bloom.h"
#include "core/util/bytes.h"

#define SUMMARY_INTERVAL 128	/* min_index_interval at the base sampling level */

struct sst_writer {
	char *dir;
	int gen;
	struct sst_writer_opts o;
	struct sst_header hdr;
	bool finished, in_partition, failed;
	FILE *data, *index;
	/* Data.db */
	uint8_t *chunk;		/* uncompressed bytes of the chunk being filled */
	size_t chunk_n;
	uint8_t *packed;
	uint64_t data_len;	/* uncompressed bytes so far */
	uint64_t disk_len;
	uLong digest;
	uint64_t *offsets;	/* compressed: where each chunk starts */
	uint32_t *crcs;		/* uncompressed: each chunk's CRC32 */
	size_t nchunks, chunks_cap;
	/* the partition being written */
	uint64_t part_start, prev_start, part_cells;
	struct sbuf row, key;
	/* Index.db and Summary.db */
	uint64_t index_len, nkeys;
	struct sbuf summary;	/* entries: key + LE index position */
	struct sbuf summary_offs;
	uint32_t nsummary;
	struct sbuf first_key, last_key;
	/* Filter.db: key hashes kept when the filter is sized at the end */
	struct sst_bloom *bloom;
	struct sbuf key_list;	/* u32 length + key, when expected_keys is 0 */
	struct collector col;
};

static const char *component_names[] = { "Data.db", "Index.db", "Summary.db", "Filter.db", "Statistics.db",
					  "CompressionInfo.db", "CRC.db", "Digest.crc32", "TOC.txt" };

static char *path_of(const struct sst_writer *w, const char *comp)
{
	char *p = NULL;
	if (asprintf(&p, "%s/nb-%d-big-%s", w->dir, w->gen, comp) < 0)
		return NULL;
	return p;
}

static FILE *create(const struct sst_writer *w, const char *comp, struct pit_err *err, int *rc)
{
	char *p = path_of(w, comp);
	FILE *f = p ? fopen(p, "wbx") : NULL;
	if (!f)
		*rc = pit_errf(err, p ? -errno : -ENOMEM, "%s: %s", p ? p : comp, strerror(errno));
	else
		setvbuf(f, NULL, _IOFBF, 256u << 10);	/* fewer, larger writes */
	free(p);
	return f;
}

static int write_file(const struct sst_writer *w, const char *comp, const void *buf, size_t n, struct pit_err *err)
{
	int rc = 0;
	FILE *f = create(w, comp, err, &rc);
	if (!f)
		return rc;
	if (fwrite(buf, 1, n, f) != n || fflush(f) != 0 || (!w->o.no_sync && fsync(fileno(f)) != 0))
		rc = pit_errf(err, -errno, "%s/nb-%d-big-%s: %s", w->dir, w->gen, comp, strerror(errno));
	if (fclose(f) != 0 && rc == 0)
		rc = pit_errf(err, -errno, "%s/nb-%d-big-%s: %s", w->dir, w->gen, comp, strerror(errno));
	return rc;
}

static int copy_header(struct sst_header *d, const struct sst_header *s)
{
	memset(d, 0, sizeof(*d));
	if (!(d->key_type = cql_type_dup(s->key_type)))
		return -ENOMEM;
	d->clustering = calloc((size_t)s->nclustering + 1, sizeof(*d->clustering));
	d->statics = calloc((size_t)s->nstatic + 1, sizeof(*d->statics));
	d->regulars = calloc((size_t)s->nregular + 1, sizeof(*d->regulars));
	if (!d->clustering || !d->statics || !d->regulars)
		return -ENOMEM;
	for (; d->nclustering < s->nclustering; d->nclustering++)
		if (!(d->clustering[d->nclustering] = cql_type_dup(s->clustering[d->nclustering])))
			return -ENOMEM;
	for (int st = 0; st < 2; st++) {
		const struct sst_column *from = st ? s->statics : s->regulars;
		struct sst_column *to = st ? d->statics : d->regulars;
		int n = st ? s->nstatic : s->nregular, *count = st ? &d->nstatic : &d->nregular;
		for (; *count < n; (*count)++) {
			to[*count] = from[*count];
			to[*count].name = strdup(from[*count].name);
			to[*count].type = cql_type_dup(from[*count].type);
			if (!to[*count].name || !to[*count].type)
				return -ENOMEM;
		}
	}
	return 0;
}

int sst_writer_open(struct sst_writer **out, const char *dir, int generation, const struct sst_header *hdr,
		    const struct sst_writer_opts *opts, struct pit_err *err)
{
	struct sst_writer *w = calloc(1, sizeof(*w));
	int rc = 0;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->o = *opts;
	if (!w->o.chunk_len)
		w->o.chunk_len = 16384;
	if (!w->o.partitioner)
		w->o.partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
	if (w->o.bloom_fp_chance <= 0)
		w->o.bloom_fp_chance = 0.01;
	w->gen = generation;
	w->digest = crc32(0, NULL, 0);
	sbuf_init(&w->row);
	sbuf_init(&w->key);
	sbuf_init(&w->summary);
	sbuf_init(&w->summary_offs);
	sbuf_init(&w->first_key);
	sbuf_init(&w->last_key);
	sbuf_init(&w->key_list);
	if (!(w->dir = strdup(dir)) || copy_header(&w->hdr, hdr) < 0 || collector_init(&w->col) < 0 ||
	    !(w->chunk = malloc(w->o.chunk_len)) ||
	    !(w->packed = malloc((size_t)LZ4_compressBound((int)w->o.chunk_len) + 8))) {
		rc = -ENOMEM;
		goto out;
	}
	if (w->o.expected_keys && (rc = sst_bloom_new(&w->bloom, w->o.expected_keys, w->o.bloom_fp_chance)) < 0)
		goto out;
	if (!(w->data = create(w, "Data.db", err, &rc)) || !(w->index = create(w, "Index.db", err, &rc)))
		goto out;
out:
	*out = w;
	if (rc < 0) {
		w->failed = true;
		sst_writer_close(w);
		*out = NULL;
	}
	return rc;
}

/* ---- Data.db chunks ---- */

static int flush_chunk(struct sst_writer *w, struct pit_err *err)
{
	const uint8_t *out = w->chunk;
	size_t n = w->chunk_n;

	if (n == 0)
		return 0;
	if (w->nchunks == w->chunks_cap) {
		size_t cap = w->chunks_cap ? 2 * w->chunks_cap : 256;
		uint64_t *no = realloc(w->offsets, cap * sizeof(*no));
		if (no)
			w->offsets = no;
		uint32_t *nc = realloc(w->crcs, cap * sizeof(*nc));
		if (nc)
			w->crcs = nc;
		if (!no || !nc)
			return -ENOMEM;
		w->chunks_cap = cap;
	}
	if (w->o.compress) {
		/* Cassandra's LZ4 chunk: the raw length (LE), the block, then CRC32 of both */
		int k = LZ4_compress_default((const char *)w->chunk, (char *)w->packed + 4, (int)n,
					     LZ4_compressBound((int)n));
		if (k <= 0)
			return pit_errf(err, -EIO, "%s: LZ4 compression of chunk %zu failed", w->dir, w->nchunks);
		w->packed[0] = (uint8_t)n;
		w->packed[1] = (uint8_t)(n >> 8);
		w->packed[2] = (uint8_t)(n >> 16);
		w->packed[3] = (uint8_t)(n >> 24);
		n = (size_t)k + 4;
		put_be32(w->packed + n, (uint32_t)crc32(0, w->packed, (uInt)n));
		out = w->packed;
		w->offsets[w->nchunks] = w->disk_len;
		n += 4;
	} else {
		w->crcs[w->nchunks] = (uint32_t)crc32(0, w->chunk, (uInt)n);
	}
	if (fwrite(out, 1, n, w->data) != n)
		return pit_errf(err, -errno, "%s/nb-%d-big-Data.db: %s", w->dir, w->gen, strerror(errno));
	w->digest = crc32(w->digest, out, (uInt)n);
	w->disk_len += n;
	w->nchunks++;
	w->chunk_n = 0;
	return 0;
}

static int data_write(struct sst_writer *w, const void *p, size_t n, struct pit_err *err)
{
	const uint8_t *s = p;
	while (n) {
		size_t k = w->o.chunk_len - w->chunk_n;
		if (k > n)
			k = n;
		memcpy(w->chunk + w->chunk_n, s, k);
		w->chunk_n += k;
		w->data_len += k;
		s += k;
		n -= k;
		int rc;
		if (w->chunk_n == w->o.chunk_len && (rc = flush_chunk(w, err)) < 0)
			return rc;
	}
	return 0;
}

/* ---- partitions ---- */

static int fail(struct sst_writer *w, int rc)
{
	w->failed = true;
	return rc;
}

int sst_writer_partition(struct sst_writer *w, const uint8_t *key, size_t n, const struct sst_deletion *del,
			 struct pit_err *err)
{
	uint8_t b[12];
	int rc;

	if (w->failed || w->in_partition || w->finished)
		return pit_errf(err, -EINVAL, "%s: writer: partition started out of order", w->dir);
	if (n > 65535)
		return fail(w, pit_errf(err, -EINVAL, "%s: partition key of %zu bytes is over 65535", w->dir, n));
	/* Index.db entry: key, Data.db position, no promoted index */
	sbuf_reset(&w->key);
	put_be16(b, (uint16_t)n);
	sbuf_add(&w->key, b, 2);
	sbuf_add(&w->key, key, n);
	put_uvint(&w->key, w->data_len);
	put_uvint(&w->key, 0);
	if (w->nkeys % SUMMARY_INTERVAL == 0) {
		/* offsets are kept relative to the entries; the header's size is added when written */
		uint32_t off = (uint32_t)w->summary.len;
		memcpy(b, &off, 4);
		sbuf_add(&w->summary_offs, b, 4);
		sbuf_add(&w->summary, key, n);
		uint64_t pos = w->index_len;
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(pos >> (8 * i));
		sbuf_add(&w->summary, b, 8);
		w->nsummary++;
	}
	if (fwrite(w->key.buf, 1, w->key.len, w->index) != w->key.len)
		return fail(w, pit_errf(err, -errno, "%s/nb-%d-big-Index.db: %s", w->dir, w->gen, strerror(errno)));
	w->index_len += w->key.len;
	if (w->nkeys == 0)
		sbuf_add(&w->first_key, key, n);
	sbuf_reset(&w->last_key);
	sbuf_add(&w->last_key, key, n);
	w->nkeys++;
	if (w->bloom) {
		sst_bloom_add(w->bloom, key, n);
	} else {
		uint8_t l[4];
		put_be32(l, (uint32_t)n);
		sbuf_add(&w->key_list, l, 4);
		sbuf_add(&w->key_list, key, n);
	}
	if ((rc = sst_hll_offer(w->col.hll, sst_murmur2_64(key, n))) < 0)
		return fail(w, rc);
	/* Data.db: key and the partition deletion (legacy form: ldt, then mfda) */
	w->part_start = w->prev_start = w->data_len;
	w->part_cells = 0;
	put_be16(b, (uint16_t)n);
	if ((rc = data_write(w, b, 2, err)) < 0 || (rc = data_write(w, key, n, err)) < 0)
		return fail(w, rc);
	if (sst_deletion_live(del)) {
		put_be32(b, INT32_MAX);
		put_be64(b + 4, (uint64_t)INT64_MIN);
	} else {
		put_be32(b, (uint32_t)del->ldt);
		put_be64(b + 4, (uint64_t)del->mfda);
		collector_deletion(&w->col, del);
	}
	if ((rc = data_write(w, b, 12, err)) < 0)
		return fail(w, rc);
	w->in_partition = true;
	return 0;
}

static void put_ts(const struct sst_writer *w, struct sbuf *s, int64_t ts)
{
	put_uvint(s, (uint64_t)ts - (uint64_t)w->o.enc_min_ts);
}

static void put_ldt(const struct sst_writer *w, struct sbuf *s, int64_t ldt)
{
	uint32_t raw = ldt == SST_NO_LDT ? INT32_MAX : (uint32_t)ldt;
	put_uvint(s, (uint32_t)(raw - (uint32_t)w->o.enc_min_ldt));
}

static void put_del(const struct sst_writer *w, struct sbuf *s, const struct sst_deletion *d)
{
	if (sst_deletion_live(d)) {
		put_ts(w, s, INT64_MIN);
		put_ldt(w, s, SST_NO_LDT);
	} else {
		put_ts(w, s, d->mfda);
		put_ldt(w, s, d->ldt);
	}
}

static void put_clustering(const struct sst_writer *w, struct sbuf *s, const struct sst_unfiltered *u)
{
	for (int i = 0; i < u->nclust; i++) {
		if (i % 32 == 0) {
			uint64_t h = 0;
			for (int k = i; k < u->nclust && k < i + 32; k++) {
				if (u->cstate[k] == SST_CK_EMPTY || (u->cstate[k] == SST_CK_VALUE && u->clen[k] == 0))
					h |= 1ull << (2 * (k - i));
				else if (u->cstate[k] == SST_CK_NULL)
					h |= 1ull << (2 * (k - i) + 1);
			}
			put_uvint(s, h);
		}
		if (u->cstate[i] != SST_CK_VALUE || u->clen[i] == 0)
			continue;
		if (cql_type_fixed_len(w->hdr.clustering[i]) < 0)
			put_uvint(s, u->clen[i]);
		sbuf_add(s, u->cval[i], u->clen[i]);
	}
}

/* A cell as Cassandra's serializer flags it: the row's timestamp and TTL
 * are reused when equal, an empty value is flagged, not written. */
static void put_cell(struct sst_writer *w, struct sbuf *s, const struct sst_unfiltered *u, const struct sst_cell *c,
		     const struct sst_column *col)
{
	bool deleted = c->flags & SST_CELL_DELETED, expiring = !deleted && (c->flags & SST_CELL_EXPIRING);
	bool row_ts = u->liveness.ts != SST_NO_TS && c->ts == u->liveness.ts;
	bool row_ttl = expiring && u->liveness.ldt != SST_NO_LDT && c->ttl == u->liveness.ttl &&
		       c->ldt == u->liveness.ldt;
	uint8_t f = (uint8_t)((deleted ? SST_CELL_DELETED : 0) | (expiring ? SST_CELL_EXPIRING : 0) |
			      (c->len == 0 ? SST_CELL_EMPTY_VALUE : 0) | (row_ts ? SST_CELL_ROW_TS : 0) |
			      (row_ttl ? SST_CELL_ROW_TTL : 0));

	sbuf_add(s, &f, 1);
	if (!row_ts)
		put_ts(w, s, c->ts);
	if ((deleted || expiring) && !row_ttl)
		put_ldt(w, s, c->ldt);
	if (expiring && !row_ttl)
		put_uvint(s, (uint32_t)(c->ttl - w->o.enc_min_ttl));
	if (col->complex) {
		put_uvint(s, c->path_len);
		sbuf_add(s, c->path, c->path_len);
	}
	if (c->len) {
		if (col->fixed < 0 || col->complex)
			put_uvint(s, c->len);
		sbuf_add(s, c->value, c->len);
	}
	collector_timestamp(&w->col, c->ts);
	collector_ldt(&w->col, deleted || expiring ? c->ldt : SST_NO_LDT);
	collector_ttl(&w->col, expiring ? c->ttl : 0);
	w->part_cells++;
}

static int row_body(struct sst_writer *w, const struct sst_unfiltered *u, uint8_t *flags, uint8_t *ext,
		    struct sbuf *s, struct pit_err *err)
{
	bool is_static = u->kind == SST_STATIC_ROW;
	const struct sst_column *cols = is_static ? w->hdr.statics : w->hdr.regulars;
	uint32_t ncols = (uint32_t)(is_static ? w->hdr.nstatic : w->hdr.nregular);
	uint8_t *present = calloc(ncols + 1, 1);
	uint32_t npresent = 0, ncolset = 0;

	if (!present)
		return -ENOMEM;
	for (uint32_t i = 0; i < u->ncells; i++) {
		if (u->cells[i].col >= ncols || (i && u->cells[i].col < u->cells[i - 1].col)) {
			free(present);
			return pit_errf(err, -EINVAL, "%s: writer: row at %llu has cells out of column order",
					w->dir, (unsigned long long)w->data_len);
		}
		present[u->cells[i].col] = 1;
	}
	for (uint32_t i = 0; i < u->ncomplex; i++)
		if (u->complex[i].col < ncols)
			present[u->complex[i].col] = 1;
	for (uint32_t i = 0; i < ncols; i++)
		npresent += present[i];
	*flags = 0;
	*ext = (uint8_t)((is_static ? 0x01 : 0) | (u->shadowable && !sst_deletion_live(&u->deletion) ? 0x02 : 0));
	if (u->liveness.ts != SST_NO_TS)
		*flags |= 0x04;
	if (u->liveness.ts != SST_NO_TS && u->liveness.ldt != SST_NO_LDT)
		*flags |= 0x08;
	if (!sst_deletion_live(&u->deletion))
		*flags |= 0x10;
	if (npresent == ncols)
		*flags |= 0x20;
	if (u->ncomplex)
		*flags |= 0x40;
	if (*ext)
		*flags |= 0x80;
	if (*flags & 0x04) {
		put_ts(w, s, u->liveness.ts);
		collector_timestamp(&w->col, u->liveness.ts);
		collector_ldt(&w->col, u->liveness.ldt);
		collector_ttl(&w->col, u->liveness.ldt != SST_NO_LDT ? u->liveness.ttl : 0);
	}
	if (*flags & 0x08) {
		put_uvint(s, (uint32_t)(u->liveness.ttl - w->o.enc_min_ttl));
		put_ldt(w, s, u->liveness.ldt);
	}
	if (*flags & 0x10) {
		put_del(w, s, &u->deletion);
		collector_deletion(&w->col, &u->deletion);
	}
	if (!(*flags & 0x20)) {
		if (ncols < 64) {
			uint64_t missing = 0;
			for (uint32_t i = 0; i < ncols; i++)
				if (!present[i])
					missing |= 1ull << i;
			put_uvint(s, missing);
		} else {	/* the shorter list: present or missing indices */
			put_uvint(s, ncols - npresent);
			for (uint32_t i = 0; i < ncols; i++)
				if (npresent < ncols / 2 ? present[i] : !present[i])
					put_uvint(s, i);
		}
	}
	uint32_t ci = 0;
	for (uint32_t col = 0; col < ncols; col++) {
		if (!present[col])
			continue;
		ncolset++;
		if (!cols[col].complex) {
			for (; ci < u->ncells && u->cells[ci].col == col; ci++)
				put_cell(w, s, u, &u->cells[ci], &cols[col]);
			continue;
		}
		if (*flags & 0x40) {
			struct sst_deletion d = { SST_NO_TS, SST_NO_LDT };
			for (uint32_t k = 0; k < u->ncomplex; k++)
				if (u->complex[k].col == col)
					d = u->complex[k].del;
			put_del(w, s, &d);
			collector_deletion(&w->col, &d);
		}
		uint32_t first = ci;
		while (ci < u->ncells && u->cells[ci].col == col)
			ci++;
		put_uvint(s, ci - first);
		for (uint32_t k = first; k < ci; k++)
			put_cell(w, s, u, &u->cells[k], &cols[col]);
	}
	w->col.total_columns += ncolset;
	w->col.total_rows++;
	free(present);
	return 0;
}

int sst_writer_add(struct sst_writer *w, const struct sst_unfiltered *u, struct pit_err *err)
{
	uint8_t flags, ext = 0;
	int rc;

	if (w->failed || !w->in_partition)
		return pit_errf(err, -EINVAL, "%s: writer: row outside a partition", w->dir);
	sbuf_reset(&w->row);
	put_uvint(&w->row, w->data_len - w->prev_start);	/* previous unfiltered's size */
	if (u->kind == SST_MARKER) {
		bool boundary = u->bound == SST_EXCL_END_INCL_START_BOUNDARY || u->bound == SST_INCL_END_EXCL_START_BOUNDARY;
		flags = 0x02;
		put_del(w, &w->row, &u->marker[0]);
		collector_deletion(&w->col, &u->marker[0]);
		if (boundary) {
			put_del(w, &w->row, &u->marker[1]);
			collector_deletion(&w->col, &u->marker[1]);
		}
	} else if ((rc = row_body(w, u, &flags, &ext, &w->row, err)) < 0) {
		return fail(w, rc);
	}
	if (w->row.oom)
		return fail(w, -ENOMEM);
	collector_clustering(&w->col, &w->hdr, u);
	/* flags, clustering, size, then the body */
	struct sbuf head;
	uint8_t b[4];
	sbuf_init(&head);
	sbuf_add(&head, &flags, 1);
	if (flags & 0x80)
		sbuf_add(&head, &ext, 1);
	if (u->kind == SST_MARKER) {
		b[0] = (uint8_t)u->bound;
		put_be16(b + 1, (uint16_t)u->nclust);
		sbuf_add(&head, b, 3);
	}
	if (u->kind != SST_STATIC_ROW)
		put_clustering(w, &head, u);
	put_uvint(&head, w->row.len);
	uint64_t start = w->data_len;
	rc = head.oom ? -ENOMEM : data_write(w, head.buf, head.len, err);
	if (rc == 0)
		rc = data_write(w, w->row.buf, w->row.len, err);
	sbuf_release(&head);
	if (rc < 0)
		return fail(w, rc);
	w->prev_start = start;
	return 0;
}

int sst_writer_end_partition(struct sst_writer *w, struct pit_err *err)
{
	uint8_t end = 0x01;
	int rc;

	if (w->failed || !w->in_partition)
		return pit_errf(err, -EINVAL, "%s: writer: no partition to end", w->dir);
	if ((rc = data_write(w, &end, 1, err)) < 0)
		return fail(w, rc);
	collector_partition(&w->col, w->data_len - w->part_start, w->part_cells);
	w->in_partition = false;
	return 0;
}

/* ---- the other components ---- */

static int write_summary(struct sst_writer *w, struct pit_err *err)
{
	struct sbuf s;
	uint8_t b[8];
	uint32_t base = 4 * w->nsummary;
	int rc;

	sbuf_init(&s);
	put_be32(b, SUMMARY_INTERVAL);
	sbuf_add(&s, b, 4);
	put_be32(b, w->nsummary);
	sbuf_add(&s, b, 4);
	put_be64(b, base + w->summary.len);	/* the offsets and entries in memory */
	sbuf_add(&s, b, 8);
	put_be32(b, 128);			/* base sampling level */
	sbuf_add(&s, b, 4);
	put_be32(b, w->nsummary);		/* entries at full sampling */
	sbuf_add(&s, b, 4);
	for (uint32_t i = 0; i < w->nsummary; i++) {	/* native (little-endian) offsets */
		uint32_t rel;
		memcpy(&rel, w->summary_offs.buf + 4 * i, 4);
		rel += base;
		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(rel >> (8 * k));
		sbuf_add(&s, b, 4);
	}
	sbuf_add(&s, w->summary.buf, w->summary.len);
	put_be32(b, (uint32_t)w->first_key.len);
	sbuf_add(&s, b, 4);
	sbuf_add(&s, w->first_key.buf, w->first_key.len);
	put_be32(b, (uint32_t)w->last_key.len);
	sbuf_add(&s, b, 4);
	sbuf_add(&s, w->last_key.buf, w->last_key.len);
	rc = s.oom ? -ENOMEM : write_file(w, "Summary.db", s.buf, s.len, err);
	sbuf_release(&s);
	return rc;
}

static int write_filter(struct sst_writer *w, struct pit_err *err)
{
	struct sbuf s;
	int rc;

	if (!w->bloom) {	/* sized by the keys written, which were kept */
		if ((rc = sst_bloom_new(&w->bloom, w->nkeys, w->o.bloom_fp_chance)) < 0)
			return rc;
		for (size_t off = 0; off < w->key_list.len;) {
			uint32_t n = be32((const uint8_t *)w->key_list.buf + off);
			sst_bloom_add(w->bloom, (const uint8_t *)w->key_list.buf + off + 4, n);
			off += 4 + n;
		}
	}
	sbuf_init(&s);
	rc = sst_bloom_serialize(w->bloom, &s);
	if (rc == 0)
		rc = write_file(w, "Filter.db", s.buf, s.len, err);
	sbuf_release(&s);
	return rc;
}

static int write_compression(struct sst_writer *w, struct pit_err *err)
{
	struct sbuf s;
	uint8_t b[8];
	int rc;

	sbuf_init(&s);
	if (w->o.compress) {
		static const char cls[] = "LZ4Compressor";	/* the simple name, as 4.x writes it */
		put_be16(b, sizeof(cls) - 1);
		sbuf_add(&s, b, 2);
		sbuf_adds(&s, cls);
		put_be32(b, 0);				/* options */
		sbuf_add(&s, b, 4);
		put_be32(b, w->o.chunk_len);
		sbuf_add(&s, b, 4);
		put_be32(b, INT32_MAX);			/* maxCompressedLength: always compress */
		sbuf_add(&s, b, 4);
		put_be64(b, w->data_len);
		sbuf_add(&s, b, 8);
		put_be32(b, (uint32_t)w->nchunks);
		sbuf_add(&s, b, 4);
		for (size_t i = 0; i < w->nchunks; i++) {
			put_be64(b, w->offsets[i]);
			sbuf_add(&s, b, 8);
		}
		rc = s.oom ? -ENOMEM : write_file(w, "CompressionInfo.db", s.buf, s.len, err);
	} else {
		put_be32(b, w->o.chunk_len);
		sbuf_add(&s, b, 4);
		for (size_t i = 0; i < w->nchunks; i++) {
			put_be32(b, w->crcs[i]);
			sbuf_add(&s, b, 4);
		}
		rc = s.oom ? -ENOMEM : write_file(w, "CRC.db", s.buf, s.len, err);
	}
	sbuf_release(&s);
	return rc;
}

int sst_writer_finish(struct sst_writer *w, struct pit_err *err)
{
	struct sbuf s;
	int rc;

	if (w->failed || w->in_partition || w->finished)
		return pit_errf(err, -EINVAL, "%s: writer: cannot finish (%s)", w->dir,
				w->in_partition ? "a partition is open" : "failed or finished before");
	if ((rc = flush_chunk(w, err)) < 0)
		return fail(w, rc);
	if (fflush(w->data) || fflush(w->index) ||
	    (!w->o.no_sync && (fsync(fileno(w->data)) || fsync(fileno(w->index)))))
		return fail(w, pit_errf(err, -errno, "%s: writing nb-%d-big: %s", w->dir, w->gen, strerror(errno)));
	double ratio = -1.0;
	if (w->o.compress && w->data_len)
		ratio = (double)(w->disk_len - 4 * w->nchunks) / (double)w->data_len;
	sbuf_init(&s);
	collector_finish(&w->col);
	rc = stats_serialize(&w->col, &w->hdr, &w->o, ratio, &s);
	if (rc == 0)
		rc = write_file(w, "Statistics.db", s.buf, s.len, err);
	sbuf_reset(&s);
	if (rc == 0 && (rc = write_summary(w, err)) == 0 && (rc = write_filter(w, err)) == 0)
		rc = write_compression(w, err);
	if (rc == 0) {
		sbuf_addf(&s, "%lu", (unsigned long)(uint32_t)w->digest);
		rc = write_file(w, "Digest.crc32", s.buf, s.len, err);
	}
	if (rc == 0) {	/* the table of contents last: its presence marks a complete SSTable */
		sbuf_reset(&s);
		for (size_t i = 0; i < sizeof(component_names) / sizeof(component_names[0]); i++) {
			const char *c = component_names[i];
			if (!strcmp(c, w->o.compress ? "CRC.db" : "CompressionInfo.db"))
				continue;
			sbuf_addf(&s, "%s\n", c);
		}
		rc = write_file(w, "TOC.txt", s.buf, s.len, err);
	}
	sbuf_release(&s);
	if (rc < 0)
		return fail(w, rc);
	w->finished = true;
	return 0;
}

void sst_writer_close(struct sst_writer *w)
{
	if (!w)
		return;
	if (w->data)
		fclose(w->data);
	if (w->index)
		fclose(w->index);
	if (!w->finished && w->dir)
		for (size_t i = 0; i < sizeof(component_names) / sizeof(component_names[0]); i++) {
			char *p = path_of(w, component_names[i]);
			if (p)
				unlink(p);
			free(p);
		}
	sst_bloom_free(w->bloom);
	collector_release(&w->col);
	sst_header_release(&w->hdr);
	sbuf_release(&w->row);
	sbuf_release(&w->key);
	sbuf_release(&w->summary);
	sbuf_release(&w->summary_offs);
	sbuf_release(&w->first_key);
	sbuf_release(&w->last_key);
	sbuf_release(&w->key_list);
	free(w->chunk);
	free(w->packed);
	free(w->offsets);
	free(w->crcs);
	free(w->dir);
	free(w);
}
