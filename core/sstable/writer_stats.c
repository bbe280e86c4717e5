/* Statistics.db as Cassandra 4.1 writes it for nb: what MetadataCollector
 * gathers while the data is written, then the four components with their
 * checksums. */
#include "core/sstable/writer_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/cql/value.h"
#include "core/util/bytes.h"

static void put_u8(struct sbuf *s, uint8_t v) { sbuf_add(s, &v, 1); }
static void put_u16(struct sbuf *s, uint16_t v) { uint8_t b[2]; put_be16(b, v); sbuf_add(s, b, 2); }
static void put_u32(struct sbuf *s, uint32_t v) { uint8_t b[4]; put_be32(b, v); sbuf_add(s, b, 4); }
static void put_u64(struct sbuf *s, uint64_t v) { uint8_t b[8]; put_be64(b, v); sbuf_add(s, b, 8); }
static void put_f64(struct sbuf *s, double d) { uint64_t u; memcpy(&u, &d, 8); put_u64(s, u); }

void put_uvint(struct sbuf *s, uint64_t v)
{
	uint8_t b[9];
	sbuf_add(s, b, (size_t)uvint_put(b, v));
}

int collector_init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	c->min_ts = INT64_MAX;
	c->max_ts = INT64_MIN;
	c->min_ldt = INT32_MAX;
	c->max_ldt = INT32_MIN;
	c->min_ttl = INT32_MAX;
	c->max_ttl = 0;
	sbuf_init(&c->min_ck);
	sbuf_init(&c->max_ck);
	return sst_hll_new(&c->hll);
}

void collector_release(struct collector *c)
{
	sst_hll_free(c->hll);
	free(c->spool);
	sbuf_release(&c->min_ck);
	sbuf_release(&c->max_ck);
}

void collector_timestamp(struct collector *c, int64_t ts)
{
	if (ts < c->min_ts)
		c->min_ts = ts;
	if (ts > c->max_ts)
		c->max_ts = ts;
}

/* Tombstone drop times as Cassandra 4.x's StreamingTombstoneHistogramBuilder
 * (bins 100, spool 100000, rounding 60 s) gathers them. The spool's slot
 * order is the order its points reach the bins, and merges depend on that
 * order, so the spool is kept exactly as Cassandra keeps it. */
#define MAX_DELETION_TIME (INT32_MAX - 1)

static int32_t round_point(int64_t p)
{
	int64_t d = p % 60;
	if (d)
		p += 60 - d;
	return p > MAX_DELETION_TIME || p < 0 ? MAX_DELETION_TIME : (int32_t)p;
}

/* Adds to the bins; when there are more than 100, the two nearest points
 * (the leftmost pair on a tie) become their weighted mean, rounded up. */
static void bin_add(struct collector *c, int32_t p, int64_t n)
{
	int lo = 0, hi = c->ntomb;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (c->tomb_point[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->ntomb && c->tomb_point[lo] == p) {
		c->tomb_count[lo] += n;
		return;
	}
	memmove(&c->tomb_point[lo + 1], &c->tomb_point[lo], (size_t)(c->ntomb - lo) * sizeof(*c->tomb_point));
	memmove(&c->tomb_count[lo + 1], &c->tomb_count[lo], (size_t)(c->ntomb - lo) * sizeof(*c->tomb_count));
	c->tomb_point[lo] = p;
	c->tomb_count[lo] = n;
	if (++c->ntomb <= TOMBSTONE_BINS)
		return;
	int best = 0;
	for (int k = 1; k + 1 < c->ntomb; k++)
		if (c->tomb_point[k + 1] - c->tomb_point[k] < c->tomb_point[best + 1] - c->tomb_point[best])
			best = k;
	int64_t v1 = c->tomb_count[best], v2 = c->tomb_count[best + 1];
	/* Java int arithmetic for the counts, long for the products */
	int32_t sum = (int32_t)(uint32_t)(v1 + v2);
	int64_t mean = ((int64_t)c->tomb_point[best] * v1 + (int64_t)c->tomb_point[best + 1] * v2) / sum;
	c->tomb_point[best] = round_point((int32_t)mean);
	c->tomb_count[best] = v1 + v2;
	c->ntomb--;
	memmove(&c->tomb_point[best + 1], &c->tomb_point[best + 2], (size_t)(c->ntomb - best - 1) * sizeof(*c->tomb_point));
	memmove(&c->tomb_count[best + 1], &c->tomb_count[best + 2], (size_t)(c->ntomb - best - 1) * sizeof(*c->tomb_count));
}

static void spool_drain(struct collector *c)
{
	if (!c->spool)
		return;
	for (uint32_t i = 0; i < 2 * TOMBSTONE_SPOOL; i++)
		if (c->spool[2 * i] != -1)
			bin_add(c, c->spool[2 * i], c->spool[2 * i + 1]);
	memset(c->spool, 0xff, 4 * TOMBSTONE_SPOOL * sizeof(*c->spool));
	c->nspool = 0;
}

/* Linear probing from the point's hash, giving up after 100 slots. */
static bool spool_add(struct collector *c, int32_t p)
{
	if (c->nspool > TOMBSTONE_SPOOL)
		return false;
	uint32_t h = (uint32_t)((uint64_t)(int64_t)p * 948701839u);
	uint32_t slot = (TOMBSTONE_SPOOL - 1) & h;
	for (uint32_t a = 0; a < 100; a++) {
		int32_t *e = &c->spool[2 * ((slot + a) % (2 * TOMBSTONE_SPOOL))];
		if (e[0] == -1) {
			e[0] = p;
			e[1] = 1;
			c->nspool++;
			return true;
		}
		if (e[0] == p) {
			e[1]++;
			return true;
		}
	}
	return false;
}

static void tombstone_point(struct collector *c, int64_t ldt)
{
	int32_t p = round_point(ldt);
	if (!c->spool) {
		c->spool = malloc(4 * TOMBSTONE_SPOOL * sizeof(*c->spool));
		if (!c->spool) {
			bin_add(c, p, 1);	/* no room for the spool: straight to the bins */
			return;
		}
		memset(c->spool, 0xff, 4 * TOMBSTONE_SPOOL * sizeof(*c->spool));
	}
	if (!spool_add(c, p)) {
		spool_drain(c);
		spool_add(c, p);
	}
}

void collector_finish(struct collector *c)
{
	spool_drain(c);
}

/* ldt SST_NO_LDT stands for "lives forever", stored as Integer.MAX_VALUE. */
void collector_ldt(struct collector *c, int64_t ldt)
{
	int64_t v = ldt == SST_NO_LDT ? INT32_MAX : ldt;
	if (v < c->min_ldt)
		c->min_ldt = v;
	if (v > c->max_ldt)
		c->max_ldt = v;
	if (ldt != SST_NO_LDT)
		tombstone_point(c, ldt);
}

void collector_ttl(struct collector *c, int32_t ttl)
{
	if (ttl < c->min_ttl)
		c->min_ttl = ttl;
	if (ttl > c->max_ttl)
		c->max_ttl = ttl;
}

void collector_deletion(struct collector *c, const struct sst_deletion *d)
{
	if (sst_deletion_live(d))
		return;
	collector_timestamp(c, d->mfda);
	collector_ldt(c, d->ldt);
}

/* EstimatedHistogram: offsets 1, 2, 3, ... each ~1.2 times the last; a value
 * goes to the first offset >= it, past the last one to the overflow bucket. */
static void histogram_add(uint64_t *buckets, int n, uint64_t value)
{
	uint64_t off = 1;
	int i = 0;
	while (i < n && off < value) {
		uint64_t next = (uint64_t)llround((double)off * 1.2);
		off = next == off ? off + 1 : next;
		i++;
	}
	buckets[i]++;
}

static void histogram_put(struct sbuf *s, const uint64_t *buckets, int n)
{
	uint64_t off = 1, prev = 1;
	put_u32(s, (uint32_t)n + 1);
	for (int i = 0; i <= n; i++) {
		/* bucket i is written with offsets[i - 1] (offsets[0] for the first) */
		put_u64(s, i == 0 ? 1 : prev);
		put_u64(s, buckets[i]);
		prev = off;
		uint64_t next = (uint64_t)llround((double)off * 1.2);
		off = next == off ? off + 1 : next;
	}
}

void collector_partition(struct collector *c, uint64_t size, uint64_t cells)
{
	histogram_add(c->part_sizes, PART_SIZE_BUCKETS, size);
	histogram_add(c->cell_counts, CELL_COUNT_BUCKETS, cells);
}

static void clustering_bytes(const struct sst_unfiltered *u, struct sbuf *out)
{
	sbuf_reset(out);
	for (int i = 0; i < u->nclust; i++) {
		put_u16(out, (uint16_t)u->clen[i]);
		sbuf_add(out, u->cval[i], u->clen[i]);
	}
}

/* Compares a clustering against one kept as u16-prefixed values. */
static int clustering_cmp(const struct sst_header *h, const struct sst_unfiltered *u, const struct sbuf *kept, int n)
{
	const uint8_t *p = (const uint8_t *)kept->buf;
	for (int i = 0; i < u->nclust && i < n; i++) {
		size_t len = be16(p);
		int c = cql_value_compare(h->clustering[i], u->cval[i], u->clen[i], p + 2, len);
		if (c)
			return c;
		p += 2 + len;
	}
	return u->nclust < n ? -1 : u->nclust > n;
}

void collector_clustering(struct collector *c, const struct sst_header *h, const struct sst_unfiltered *u)
{
	if (h->nclustering == 0 || u->kind == SST_STATIC_ROW)
		return;
	if (!c->has_ck || clustering_cmp(h, u, &c->min_ck, c->min_ck_n) < 0) {
		clustering_bytes(u, &c->min_ck);
		c->min_ck_n = u->nclust;
	}
	if (!c->has_ck || clustering_cmp(h, u, &c->max_ck, c->max_ck_n) > 0) {
		clustering_bytes(u, &c->max_ck);
		c->max_ck_n = u->nclust;
	}
	c->has_ck = true;
}

static void put_type(struct sbuf *s, const struct cql_type *t)
{
	struct sbuf ts;
	sbuf_init(&ts);
	cql_type_to_marshal(t, &ts);
	put_uvint(s, ts.len);
	sbuf_add(s, ts.buf, ts.len);
	sbuf_release(&ts);
}

static void put_columns(struct sbuf *s, const struct sst_column *cols, int n)
{
	put_uvint(s, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		put_uvint(s, strlen(cols[i].name));
		sbuf_adds(s, cols[i].name);
		put_type(s, cols[i].type);
	}
}

int stats_serialize(const struct collector *c, const struct sst_header *h, const struct sst_writer_opts *o,
		    double ratio, struct sbuf *out)
{
	struct sbuf comp[4];
	int rc = 0;
	bool empty = c->min_ts == INT64_MAX;

	for (int i = 0; i < 4; i++)
		sbuf_init(&comp[i]);
	/* VALIDATION */
	put_u16(&comp[0], (uint16_t)strlen(o->partitioner));
	sbuf_adds(&comp[0], o->partitioner);
	put_f64(&comp[0], o->bloom_fp_chance);
	/* COMPACTION: the cardinality estimator */
	struct sbuf hll;
	sbuf_init(&hll);
	if ((rc = sst_hll_serialize(c->hll, &hll)) == 0) {
		put_u32(&comp[1], (uint32_t)hll.len);
		sbuf_add(&comp[1], hll.buf, hll.len);
	}
	sbuf_release(&hll);
	/* STATS */
	struct sbuf *s = &comp[2];
	histogram_put(s, c->part_sizes, PART_SIZE_BUCKETS);
	histogram_put(s, c->cell_counts, CELL_COUNT_BUCKETS);
	put_u64(s, (uint64_t)-1);	/* commit log upper bound: none (this did not come from a commit log) */
	put_u32(s, 0);
	put_u64(s, (uint64_t)(empty ? INT64_MIN : c->min_ts));
	put_u64(s, (uint64_t)(empty ? INT64_MIN : c->max_ts));
	put_u32(s, (uint32_t)(int32_t)c->min_ldt);
	put_u32(s, (uint32_t)(int32_t)(c->max_ldt == INT32_MIN ? INT32_MAX : c->max_ldt));
	put_u32(s, (uint32_t)(c->min_ttl == INT32_MAX ? 0 : c->min_ttl));
	put_u32(s, (uint32_t)c->max_ttl);
	put_f64(s, ratio);
	put_u32(s, (uint32_t)c->ntomb);	/* maxBinSize: 4.1 writes the bin count */
	put_u32(s, (uint32_t)c->ntomb);
	for (int i = 0; i < c->ntomb; i++) {
		put_f64(s, (double)c->tomb_point[i]);
		put_u64(s, (uint64_t)c->tomb_count[i]);
	}
	put_u32(s, 0);			/* sstable level */
	put_u64(s, (uint64_t)o->repaired_at);
	put_u32(s, c->has_ck ? (uint32_t)c->min_ck_n : 0);
	if (c->has_ck)
		sbuf_add(s, c->min_ck.buf, c->min_ck.len);
	put_u32(s, c->has_ck ? (uint32_t)c->max_ck_n : 0);
	if (c->has_ck)
		sbuf_add(s, c->max_ck.buf, c->max_ck.len);
	put_u8(s, 0);			/* no legacy counter shards */
	put_u64(s, (uint64_t)c->total_columns);
	put_u64(s, (uint64_t)c->total_rows);
	put_u64(s, (uint64_t)-1);	/* commit log lower bound: none */
	put_u32(s, 0);
	put_u32(s, 0);			/* no commit log intervals */
	put_u8(s, 0);			/* no pending repair */
	put_u8(s, 0);			/* not transient */
	put_u8(s, o->has_host_id);
	if (o->has_host_id)
		sbuf_add(s, o->host_id, 16);
	/* HEADER */
	struct sbuf *hd = &comp[3];
	put_uvint(hd, (uint64_t)(o->enc_min_ts - 1442880000000000ll));
	put_uvint(hd, (uint64_t)(o->enc_min_ldt - 1442880000ll));
	put_uvint(hd, (uint64_t)(uint32_t)o->enc_min_ttl);
	put_type(hd, h->key_type);
	put_uvint(hd, (uint64_t)h->nclustering);
	for (int i = 0; i < h->nclustering; i++)
		put_type(hd, h->clustering[i]);
	put_columns(hd, h->statics, h->nstatic);
	put_columns(hd, h->regulars, h->nregular);

	/* table of contents with checksums, then each component and its CRC32 */
	put_u32(out, 4);
	put_u32(out, (uint32_t)crc32(0, (const Bytef *)out->buf + out->len - 4, 4));
	size_t toc = out->len;
	uint32_t off = (uint32_t)(toc + 4 * 8 + 4);
	for (int i = 0; i < 4; i++) {
		put_u32(out, (uint32_t)i);
		put_u32(out, off);
		off += (uint32_t)comp[i].len + 4;
	}
	uLong crc = crc32(0, (const Bytef *)out->buf + toc - 8, 4);
	put_u32(out, (uint32_t)crc32(crc, (const Bytef *)out->buf + toc, 32));
	for (int i = 0; i < 4; i++) {
		sbuf_add(out, comp[i].buf, comp[i].len);
		put_u32(out, (uint32_t)crc32(0, (const Bytef *)comp[i].buf, (uInt)comp[i].len));
		if (comp[i].oom)
			rc = -ENOMEM;
		sbuf_release(&comp[i]);
	}
	return rc < 0 ? rc : out->oom ? -ENOMEM : 0;
}
