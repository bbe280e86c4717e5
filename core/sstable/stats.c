#include "core/sstable/stats.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/util/bytes.h"

/* BTI, Cassandra 5.0's trie-indexed format, writes Data.db and
 * Statistics.db as big's oa does (BtiFormat.BtiVersion: every feature of
 * oa, no legacy min/max); only its key indexes differ (Partitions.db,
 * Rows.db). Its ea (6.0) adds to CompressionInfo.db, eb to Statistics.db:
 * not known here. */
static int bti_version(struct sst_version *v, const char *s)
{
	if (strcmp(s, "da") != 0)
		return -ENOTSUP;
	memcpy(v->v, s, 3);
	v->commitlog_lower_bound = v->commitlog_intervals = v->accurate_minmax = v->host_id = true;
	v->max_compressed_len = v->pending_repair = v->metadata_checksum = v->improved_minmax = true;
	v->partition_level_deletion_marker = v->key_range = v->uint_deletion_time = v->token_space_coverage = true;
	return 0;
}

int sst_version_parse(struct sst_version *v, const char *format, const char *s)
{
	memset(v, 0, sizeof(*v));
	if (strlen(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z')
		return -EINVAL;
	if (strcmp(format, "bti") == 0)
		return bti_version(v, s);
	if (strcmp(format, "big") != 0 || strcmp(s, "ma") < 0 || s[0] > 'o')
		return -ENOTSUP;
	memcpy(v->v, s, 3);
	char a = s[0], b = s[1];
	v->commitlog_lower_bound = strcmp(s, "mb") >= 0;
	v->commitlog_intervals = strcmp(s, "mc") >= 0;
	v->accurate_minmax = (a == 'm' && b >= 'd') || a == 'n';
	v->legacy_minmax = a == 'm' || a == 'n';
	v->host_id = strcmp(s, "nb") >= 0 || (a == 'm' && b >= 'e');
	v->max_compressed_len = strcmp(s, "na") >= 0;
	v->pending_repair = v->metadata_checksum = strcmp(s, "na") >= 0;
	v->improved_minmax = v->partition_level_deletion_marker = v->key_range = strcmp(s, "nc") >= 0;
	v->uint_deletion_time = v->token_space_coverage = strcmp(s, "oa") >= 0;
	return 0;
}

struct rd {
	const uint8_t *p;
	size_t n, off;
	const char *name;
	struct pit_err *err;
	int failed;
};

static bool need(struct rd *r, size_t k, const char *what)
{
	if (r->failed)
		return false;
	if (r->n - r->off < k) {
		pit_errf(r->err, -EBADMSG, "%s: offset %zu: truncated %s", r->name, r->off, what);
		r->failed = -EBADMSG;
		return false;
	}
	return true;
}

static uint8_t u8(struct rd *r, const char *what) { if (!need(r, 1, what)) return 0; return r->p[r->off++]; }
static uint32_t u32(struct rd *r, const char *what)
{
	if (!need(r, 4, what))
		return 0;
	uint32_t v = be32(r->p + r->off);
	r->off += 4;
	return v;
}
static uint64_t u64(struct rd *r, const char *what)
{
	if (!need(r, 8, what))
		return 0;
	uint64_t v = be64(r->p + r->off);
	r->off += 8;
	return v;
}
static double f64(struct rd *r, const char *what)
{
	uint64_t u = u64(r, what);
	double d;
	memcpy(&d, &u, 8);
	return d;
}
static uint64_t uv(struct rd *r, const char *what)
{
	uint64_t v = 0;
	if (r->failed)
		return 0;
	int k = uvint_get(r->p + r->off, r->p + r->n, &v);
	if (!k) {
		need(r, r->n - r->off + 1, what);
		return 0;
	}
	r->off += (size_t)k;
	return v;
}
static void skip(struct rd *r, size_t k, const char *what)
{
	if (need(r, k, what))
		r->off += k;
}
static int bad(struct rd *r, const char *fmt_what, long long v)
{
	if (!r->failed) {
		pit_errf(r->err, -EBADMSG, "%s: offset %zu: %s %lld", r->name, r->off, fmt_what, v);
		r->failed = -EBADMSG;
	}
	return r->failed;
}

static enum sst_partitioner partitioner_kind(const char *cls)
{
	const char *dot = strrchr(cls, '.');
	const char *s = dot ? dot + 1 : cls;
	if (!strcmp(s, "Murmur3Partitioner")) return SST_MURMUR3;
	if (!strcmp(s, "RandomPartitioner")) return SST_RANDOM;
	if (!strcmp(s, "ByteOrderedPartitioner")) return SST_BYTE_ORDERED;
	if (!strcmp(s, "LocalPartitioner") || !strncmp(s, "LocalPartitioner(", 17)) return SST_LOCAL;
	return SST_OTHER;
}

static void parse_validation(struct rd *r, struct sst_stats *st)
{
	uint32_t len = (uint32_t)(need(r, 2, "partitioner name") ? be16(r->p + r->off) : 0);
	if (r->failed)
		return;
	r->off += 2;
	if (!need(r, len, "partitioner name"))
		return;
	size_t c = len < sizeof(st->partitioner_class) - 1 ? len : sizeof(st->partitioner_class) - 1;
	memcpy(st->partitioner_class, r->p + r->off, c);
	st->partitioner_class[c] = '\0';
	r->off += len;
	st->partitioner = partitioner_kind(st->partitioner_class);
	st->bloom_fp_chance = f64(r, "bloom filter fp chance");
}

static uint64_t histogram(struct rd *r, const char *what)
{
	uint32_t n = u32(r, what);
	uint64_t sum = 0;
	if (n > (r->n - r->off) / 16) {
		bad(r, "histogram with too many buckets:", (long long)n);
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		u64(r, what);
		sum += u64(r, what);
	}
	return sum;
}

static int64_t ldt_value(uint32_t raw, const struct sst_version *v)
{
	if (v->uint_deletion_time)
		return raw == UINT32_MAX ? SST_NO_LDT : (int64_t)raw;
	return (int32_t)raw == INT32_MAX ? SST_NO_LDT : (int64_t)(int32_t)raw;
}

static void commitlog_position(struct rd *r)
{
	skip(r, 12, "commit log position");
}

static void clustering_bound(struct rd *r, int ntypes)
{
	u8(r, "clustering bound kind");
	uint32_t size = need(r, 2, "clustering bound size") ? be16(r->p + r->off) : 0;
	skip(r, 2, "clustering bound size");
	if ((int)size > ntypes) {
		bad(r, "clustering bound with more values than types:", size);
		return;
	}
	/* values block-encoded: a header vint per 32 values, then vbytes per value
	 * (the improved min/max writes every value length-prefixed) */
	for (uint32_t i = 0; i < size && !r->failed; i++) {
		uint64_t header = 0;
		if (i % 32 == 0)
			header = uv(r, "clustering header");
		int bits = (int)(header >> (2 * (i % 32))) & 3;
		if (bits)
			continue;
		uint64_t len = uv(r, "clustering value length");
		if (len > r->n)
			bad(r, "clustering value length", (long long)len);
		else
			skip(r, (size_t)len, "clustering value");
	}
}

static void improved_minmax(struct rd *r)
{
	uint64_t ntypes = uv(r, "clustering type count");
	if (ntypes > 1024) {
		bad(r, "clustering type count", (long long)ntypes);
		return;
	}
	for (uint64_t i = 0; i < ntypes && !r->failed; i++) {
		uint64_t len = uv(r, "clustering type");
		if (len > r->n)
			bad(r, "clustering type length", (long long)len);
		else
			skip(r, (size_t)len, "clustering type");
	}
	clustering_bound(r, (int)ntypes);
	clustering_bound(r, (int)ntypes);
}

static void parse_stats(struct rd *r, const struct sst_version *v, struct sst_stats *st)
{
	st->partition_count_estimate = histogram(r, "partition size histogram");
	st->cell_count_estimate = histogram(r, "cell count histogram");
	commitlog_position(r);
	st->min_timestamp = (int64_t)u64(r, "min timestamp");
	st->max_timestamp = (int64_t)u64(r, "max timestamp");
	st->min_ldt = ldt_value(u32(r, "min local deletion time"), v);
	st->max_ldt = ldt_value(u32(r, "max local deletion time"), v);
	st->min_ttl = (int32_t)u32(r, "min ttl");
	st->max_ttl = (int32_t)u32(r, "max ttl");
	st->compression_ratio = f64(r, "compression ratio");
	if (v->uint_deletion_time) {	/* i32 maxBinSize; i32 n; n x (i64 point, i32 count) */
		u32(r, "tombstone histogram max bins");
		uint32_t n = u32(r, "tombstone histogram");
		if (n > (r->n - r->off) / 12) {
			bad(r, "tombstone histogram with too many bins:", n);
			return;
		}
		for (uint32_t i = 0; i < n; i++) {
			u64(r, "tombstone histogram");
			st->tombstone_count_estimate = (int64_t)((uint64_t)st->tombstone_count_estimate +
								 (uint64_t)(int64_t)(int32_t)u32(r, "tombstone histogram"));
		}
	} else {
		u32(r, "tombstone histogram max bins");
		uint32_t n = u32(r, "tombstone histogram");
		if (n > (r->n - r->off) / 16) {
			bad(r, "tombstone histogram with too many bins:", n);
			return;
		}
		for (uint32_t i = 0; i < n; i++) {
			f64(r, "tombstone histogram");
			st->tombstone_count_estimate = (int64_t)((uint64_t)st->tombstone_count_estimate +
								 u64(r, "tombstone histogram"));
		}
	}
	st->sstable_level = (int32_t)u32(r, "sstable level");
	st->repaired_at = (int64_t)u64(r, "repaired at");
	if (v->legacy_minmax) {
		for (int side = 0; side < 2; side++) {
			uint32_t k = u32(r, "min/max clustering count");
			if (k > (r->n - r->off) / 2) {
				bad(r, "min/max clustering count", k);
				return;
			}
			for (uint32_t i = 0; i < k; i++) {
				uint32_t len = need(r, 2, "min/max clustering value") ? be16(r->p + r->off) : 0;
				skip(r, 2, "min/max clustering value");
				skip(r, len, "min/max clustering value");
			}
			if (side == 0)
				st->nmin_clustering = (int)k;
			else
				st->nmax_clustering = (int)k;
		}
	} else {
		improved_minmax(r);
	}
	st->has_legacy_counter_shards = u8(r, "legacy counter shards flag");
	st->total_columns_set = (int64_t)u64(r, "total columns set");
	st->total_rows = (int64_t)u64(r, "total rows");
	if (v->commitlog_lower_bound)
		commitlog_position(r);
	if (v->commitlog_intervals) {
		uint32_t n = u32(r, "commit log intervals");
		if (n > (r->n - r->off) / 24) {
			bad(r, "commit log interval count", n);
			return;
		}
		skip(r, 24 * (size_t)n, "commit log intervals");
	}
	if (v->pending_repair) {
		if ((st->has_pending_repair = u8(r, "pending repair flag")) && need(r, 16, "pending repair id")) {
			memcpy(st->pending_repair, r->p + r->off, 16);
			r->off += 16;
		}
		st->is_transient = u8(r, "transient flag");
	}
	if (v->host_id) {
		if ((st->has_host_id = u8(r, "host id flag")) && need(r, 16, "host id")) {
			memcpy(st->host_id, r->p + r->off, 16);
			r->off += 16;
		}
	}
	st->has_partition_level_deletions = -1;
	if (v->partition_level_deletion_marker)
		st->has_partition_level_deletions = u8(r, "partition level deletions flag");
	/* the rest (nc: improved min/max; first/last key; token coverage) is not needed */
}

static int read_vstring(struct rd *r, char **out, const char *what)
{
	uint64_t len = uv(r, what);
	*out = NULL;
	if (r->failed)
		return r->failed;
	if (len > r->n - r->off)
		return bad(r, "string length beyond the component:", (long long)len);
	if (!(*out = malloc((size_t)len + 1)))
		return r->failed = -ENOMEM;
	memcpy(*out, r->p + r->off, (size_t)len);
	(*out)[len] = '\0';
	r->off += (size_t)len;
	return 0;
}

static int read_type(struct rd *r, struct cql_type **out, const char *what)
{
	char *s = NULL;
	int rc;
	size_t at = r->off;

	*out = NULL;
	if ((rc = read_vstring(r, &s, what)) < 0)
		return rc;
	struct pit_err e2 = { 0 };
	rc = cql_type_parse_marshal(out, s, strlen(s), &e2);
	if (rc < 0) {
		pit_errf(r->err, rc, "%s: offset %zu: %s: %s", r->name, at, what, e2.msg);
		r->failed = rc;
	}
	free(s);
	return rc;
}

static int read_columns(struct rd *r, int *count, struct sst_column **cols, bool m_format, const char *what)
{
	uint64_t n = uv(r, what);
	if (r->failed)
		return r->failed;
	if (n > 65535 || n > r->n)
		return bad(r, "column count", (long long)n);
	*cols = calloc(n ? (size_t)n : 1, sizeof(**cols));
	if (!*cols)
		return r->failed = -ENOMEM;
	*count = (int)n;
	for (uint64_t i = 0; i < n; i++) {
		struct sst_column *c = &(*cols)[i];
		if (read_vstring(r, &c->name, "column name") < 0 || read_type(r, &c->type, "column type") < 0)
			return r->failed;
		/* 3.x wrote frozen UDTs without FrozenType (CASSANDRA-15035): a bare
		 * UserType in an m* header is frozen unless the schema says otherwise */
		if (m_format && cql_type_kind(c->type) == CQL_UDT && !cql_type_frozen(c->type))
			cql_type_set_frozen(c->type, true);
		c->complex = cql_type_multicell(c->type);
		c->fixed = cql_type_fixed_len(c->type);
	}
	return 0;
}

static void parse_header(struct rd *r, const struct sst_version *v, struct sst_stats *st, struct sst_header *h)
{
	st->enc_min_timestamp = (int64_t)(uv(r, "min timestamp") + 1442880000000000ull);
	st->enc_min_ldt = (int64_t)(uv(r, "min local deletion time") + 1442880000ull);
	st->enc_min_ttl = (int32_t)uv(r, "min ttl");
	if (read_type(r, &h->key_type, "partition key type") < 0)
		return;
	uint64_t nc = uv(r, "clustering count");
	if (r->failed)
		return;
	if (nc > 65535 || nc > r->n) {
		bad(r, "clustering column count", (long long)nc);
		return;
	}
	if (!(h->clustering = calloc(nc ? (size_t)nc : 1, sizeof(*h->clustering)))) {
		r->failed = -ENOMEM;
		return;
	}
	h->nclustering = (int)nc;
	for (uint64_t i = 0; i < nc; i++)
		if (read_type(r, &h->clustering[i], "clustering type") < 0)
			return;
	bool m = v->v[0] == 'm';
	if (read_columns(r, &h->nstatic, &h->statics, m, "static column count") < 0)
		return;
	read_columns(r, &h->nregular, &h->regulars, m, "regular column count");
}

void sst_header_release(struct sst_header *h)
{
	cql_type_free(h->key_type);
	for (int i = 0; i < h->nclustering; i++)
		cql_type_free(h->clustering[i]);
	free(h->clustering);
	for (int i = 0; i < h->nstatic; i++) {
		free(h->statics[i].name);
		cql_type_free(h->statics[i].type);
	}
	free(h->statics);
	for (int i = 0; i < h->nregular; i++) {
		free(h->regulars[i].name);
		cql_type_free(h->regulars[i].type);
	}
	free(h->regulars);
	memset(h, 0, sizeof(*h));
}

int sst_stats_parse(const uint8_t *p, size_t n, const struct sst_version *v, const char *name,
		    struct sst_stats *st, struct sst_header *h, struct pit_err *err)
{
	struct rd r = { p, n, 0, name, err, 0 };
	int32_t count;
	struct { int32_t type; uint32_t off; } toc[8];
	bool seen[4] = { false };

	memset(st, 0, sizeof(*st));
	memset(h, 0, sizeof(*h));
	count = (int32_t)u32(&r, "component count");
	if (r.failed)
		return r.failed;
	if (count < 1 || count > 8)
		return pit_errf(err, -EBADMSG, "%s: offset 0: %d metadata components", name, count);
	if (v->metadata_checksum) {
		uint32_t want = u32(&r, "count checksum");
		uint32_t got = (uint32_t)crc32(0, p, 4);
		if (!r.failed && want != got)
			return pit_errf(err, -EIO, "%s: offset 4: checksum of the component count mismatch (%08x, computed %08x)",
					name, want, got);
	}
	size_t toc_start = r.off;
	for (int i = 0; i < count; i++) {
		toc[i].type = (int32_t)u32(&r, "table of contents");
		toc[i].off = u32(&r, "table of contents");
	}
	if (r.failed)
		return r.failed;
	if (v->metadata_checksum) {
		uint32_t want = u32(&r, "table of contents checksum");
		uint32_t got = (uint32_t)crc32(crc32(0, p, 4), p + toc_start, (uInt)(8 * count));
		if (!r.failed && want != got)
			return pit_errf(err, -EIO, "%s: offset %zu: table of contents checksum mismatch (%08x, computed %08x)",
					name, r.off - 4, want, got);
	}
	for (int i = 0; i < count && !r.failed; i++) {
		int32_t type = toc[i].type;
		size_t start = toc[i].off, end = n;
		/* a component ends where the next one (by offset) starts */
		for (int j = 0; j < count; j++)
			if (toc[j].off > start && toc[j].off < end)
				end = toc[j].off;
		if (type < 0 || type > 3 || start >= n || seen[type]) {
			pit_errf(err, -EBADMSG, "%s: table of contents entry %d: component %d at offset %zu is invalid",
				 name, i, type, start);
			r.failed = -EBADMSG;
			break;
		}
		seen[type] = true;
		if (v->metadata_checksum) {
			/* each component is followed by the CRC32 of its bytes */
			if (end - start < 4)
				return pit_errf(err, -EBADMSG, "%s: offset %zu: component %d too short for its checksum",
						name, start, type);
			uint32_t want = be32(p + end - 4), got = (uint32_t)crc32(0, p + start, (uInt)(end - start - 4));
			if (want != got)
				return pit_errf(err, -EIO, "%s: offset %zu: checksum mismatch in metadata component %d "
						"(stored %08x, computed %08x)", name, end - 4, type, want, got);
			end -= 4;
		}
		struct rd c = { p, end, start, name, err, 0 };
		switch (type) {
		case 0: parse_validation(&c, st); break;
		case 1: {
			uint32_t len = u32(&c, "compaction metadata");
			skip(&c, len, "compaction metadata");
			break;
		}
		case 2: parse_stats(&c, v, st); break;
		case 3: parse_header(&c, v, st, h); break;
		}
		if (c.failed)
			r.failed = c.failed;
	}
	if (!r.failed && (!seen[0] || !seen[2] || !seen[3]))
		r.failed = pit_errf(err, -EBADMSG, "%s: missing the %s component", name,
				    !seen[0] ? "validation" : !seen[2] ? "stats" : "serialization header");
	if (r.failed)
		sst_header_release(h);
	return r.failed;
}
