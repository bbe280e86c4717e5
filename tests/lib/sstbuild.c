#include "tests/lib/sstbuild.h"

#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/cql/type.h"
#include "core/util/bytes.h"
#include "core/util/sbuf.h"

struct sb {
	struct sb_spec spec;
	struct sst_version ver;
	struct sbuf data;
	int fixed_clust[8];
	int *fixed_reg, fixed_st[4];
	bool *complex_reg, complex_st[4];
	size_t last_size;	/* previous unfiltered's size */
	struct sb_file files[10];
	int nfiles;
	bool built;
	char prefix[32];
};

static void put_uv(struct sbuf *s, uint64_t v)
{
	uint8_t b[9];
	sbuf_add(s, b, (size_t)uvint_put(b, v));
}

static void put_u8(struct sbuf *s, uint8_t v) { sbuf_add(s, &v, 1); }
static void put_u16(struct sbuf *s, uint16_t v) { uint8_t b[2]; put_be16(b, v); sbuf_add(s, b, 2); }
static void put_u32(struct sbuf *s, uint32_t v) { uint8_t b[4]; put_be32(b, v); sbuf_add(s, b, 4); }
static void put_u64(struct sbuf *s, uint64_t v) { uint8_t b[8]; put_be64(b, v); sbuf_add(s, b, 8); }
static void put_vbytes(struct sbuf *s, const void *p, size_t n) { put_uv(s, n); sbuf_add(s, p, n); }
static void put_utf(struct sbuf *s, const char *str) { put_u16(s, (uint16_t)strlen(str)); sbuf_adds(s, str); }

static void type_info(const char *type, int *fixed, bool *complex)
{
	struct cql_type *t = NULL;
	if (cql_type_parse_marshal(&t, type, strlen(type), NULL) < 0) {
		fprintf(stderr, "sstbuild: bad type %s\n", type);
		abort();
	}
	*fixed = cql_type_fixed_len(t);
	if (complex)
		*complex = cql_type_multicell(t);
	cql_type_free(t);
}

struct sb *sb_new(const struct sb_spec *spec)
{
	struct sb *b = calloc(1, sizeof(*b));
	b->spec = *spec;
	if (!b->spec.chunk_len)
		b->spec.chunk_len = 4096;
	if (!b->spec.partitioner)
		b->spec.partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
	const char *format = spec->format ? spec->format : "big";
	sst_version_parse(&b->ver, format, spec->version);
	snprintf(b->prefix, sizeof(b->prefix), "%s-1-%s-", spec->version, format);
	for (int i = 0; i < spec->nclust; i++)
		type_info(spec->clust[i], &b->fixed_clust[i], NULL);
	for (int i = 0; i < spec->nstatic; i++)
		type_info(spec->statics[i].type, &b->fixed_st[i], &b->complex_st[i]);
	b->fixed_reg = calloc((size_t)spec->nregular + 1, sizeof(int));
	b->complex_reg = calloc((size_t)spec->nregular + 1, sizeof(bool));
	for (int i = 0; i < spec->nregular; i++)
		type_info(spec->regulars[i].type, &b->fixed_reg[i], &b->complex_reg[i]);
	sbuf_init(&b->data);
	return b;
}

void sb_free(struct sb *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nfiles; i++)
		free(b->files[i].p);
	sbuf_release(&b->data);
	free(b->fixed_reg);
	free(b->complex_reg);
	free(b);
}

static void put_ts(struct sb *b, struct sbuf *s, int64_t ts) { put_uv(s, (uint64_t)ts - (uint64_t)b->spec.min_ts); }
static void put_ldt(struct sb *b, struct sbuf *s, int64_t ldt)
{
	uint32_t raw = ldt == SST_NO_LDT ? (b->ver.uint_deletion_time ? UINT32_MAX : INT32_MAX) : (uint32_t)ldt;
	put_uv(s, (uint64_t)(uint32_t)(raw - (uint32_t)b->spec.min_ldt));
}
static void put_del(struct sb *b, struct sbuf *s, struct sst_deletion d)
{
	put_ts(b, s, d.mfda);
	put_ldt(b, s, d.ldt);
}

void sb_partition(struct sb *b, const void *key, size_t n, struct sst_deletion del)
{
	size_t start = b->data.len;
	put_u16(&b->data, (uint16_t)n);
	sbuf_add(&b->data, key, n);
	if (b->ver.uint_deletion_time) {
		if (sst_deletion_live(&del)) {
			put_u8(&b->data, 0x80);
		} else {
			put_u64(&b->data, (uint64_t)del.mfda);
			put_u32(&b->data, (uint32_t)del.ldt);
		}
	} else if (sst_deletion_live(&del)) {
		put_u32(&b->data, INT32_MAX);
		put_u64(&b->data, (uint64_t)INT64_MIN);
	} else {
		put_u32(&b->data, (uint32_t)del.ldt);
		put_u64(&b->data, (uint64_t)del.mfda);
	}
	b->last_size = b->data.len - start;
}

static void put_clustering(struct sb *b, struct sbuf *s, int n, const void *const *vals, const size_t *lens,
			   const uint8_t *states)
{
	for (int i = 0; i < n; i++) {
		if (i % 32 == 0) {
			uint64_t h = 0;
			for (int k = i; k < n && k < i + 32; k++) {
				if (states[k] == SST_CK_EMPTY)
					h |= 1ull << (2 * (k - i));
				else if (states[k] == SST_CK_NULL)
					h |= 1ull << (2 * (k - i) + 1);
			}
			put_uv(s, h);
		}
		if (states[i] != SST_CK_VALUE)
			continue;
		if (b->fixed_clust[i] >= 0)
			sbuf_add(s, vals[i], lens[i]);
		else
			put_vbytes(s, vals[i], lens[i]);
	}
}

static void put_cell(struct sb *b, struct sbuf *s, const struct sb_cell *c, bool complex, int fixed)
{
	put_u8(s, c->flags);
	if (!(c->flags & SST_CELL_ROW_TS))
		put_ts(b, s, c->ts);
	if ((c->flags & (SST_CELL_DELETED | SST_CELL_EXPIRING)) && !(c->flags & SST_CELL_ROW_TTL))
		put_ldt(b, s, c->ldt);
	if ((c->flags & SST_CELL_EXPIRING) && !(c->flags & SST_CELL_ROW_TTL))
		put_uv(s, (uint64_t)(uint32_t)(c->ttl - b->spec.min_ttl));
	if (complex)
		put_vbytes(s, c->path, c->path_len);
	if (!(c->flags & SST_CELL_EMPTY_VALUE)) {
		if (fixed >= 0 && !complex)
			sbuf_add(s, c->value, c->len);
		else
			put_vbytes(s, c->value, c->len);
	}
}

void sb_row(struct sb *b, const struct sb_row *r)
{
	int ncols = r->is_static ? b->spec.nstatic : b->spec.nregular;
	const int *fixed = r->is_static ? b->fixed_st : b->fixed_reg;
	const bool *complex = r->is_static ? b->complex_st : b->complex_reg;
	bool *present = calloc((size_t)ncols + 1, 1);
	int npresent = 0;
	struct sbuf body;
	uint8_t flags = 0, ext = 0;

	for (int i = 0; i < r->ncells; i++)
		present[r->cells[i].col] = true;
	for (int i = 0; i < r->ncx; i++)
		present[r->cx[i].col] = true;
	for (int i = 0; i < ncols; i++)
		npresent += present[i];
	if (r->live.ts != SST_NO_TS)
		flags |= 0x04;
	if (r->live.ldt != SST_NO_LDT)
		flags |= 0x08;
	if (!sst_deletion_live(&r->del))
		flags |= 0x10;
	if (npresent == ncols && !r->force_subset)
		flags |= 0x20;
	if (r->ncx)
		flags |= 0x40;
	if (r->is_static)
		ext |= 0x01;
	if (r->shadowable)
		ext |= 0x02;
	if (ext)
		flags |= 0x80;

	sbuf_init(&body);
	put_uv(&body, b->last_size);
	if (flags & 0x04)
		put_ts(b, &body, r->live.ts);
	if (flags & 0x08) {
		put_uv(&body, (uint64_t)(uint32_t)(r->live.ttl - b->spec.min_ttl));
		put_ldt(b, &body, r->live.ldt);
	}
	if (flags & 0x10)
		put_del(b, &body, r->del);
	if (!(flags & 0x20)) {
		if (ncols < 64) {
			uint64_t missing = 0;
			for (int i = 0; i < ncols; i++)
				if (!present[i])
					missing |= 1ull << i;
			put_uv(&body, missing);
		} else {
			int nmiss = ncols - npresent;
			put_uv(&body, (uint64_t)nmiss);
			if (npresent < ncols / 2) {
				for (int i = 0; i < ncols; i++)
					if (present[i])
						put_uv(&body, (uint64_t)i);
			} else {
				for (int i = 0; i < ncols; i++)
					if (!present[i])
						put_uv(&body, (uint64_t)i);
			}
		}
	}
	for (int col = 0; col < ncols; col++) {
		if (!present[col])
			continue;
		if (!complex[col]) {
			for (int i = 0; i < r->ncells; i++)
				if (r->cells[i].col == col)
					put_cell(b, &body, &r->cells[i], false, fixed[col]);
			continue;
		}
		if (flags & 0x40) {
			struct sst_deletion d = { SST_NO_TS, SST_NO_LDT };
			for (int i = 0; i < r->ncx; i++)
				if (r->cx[i].col == col)
					d = r->cx[i].del;
			put_del(b, &body, d);
		}
		int n = 0;
		for (int i = 0; i < r->ncells; i++)
			n += r->cells[i].col == col;
		put_uv(&body, (uint64_t)n);
		for (int i = 0; i < r->ncells; i++)
			if (r->cells[i].col == col)
				put_cell(b, &body, &r->cells[i], true, fixed[col]);
	}
	size_t start = b->data.len;
	put_u8(&b->data, flags);
	if (ext)
		put_u8(&b->data, ext);
	if (!r->is_static)
		put_clustering(b, &b->data, b->spec.nclust, r->cval, r->clen, r->cstate);
	put_uv(&b->data, body.len);
	sbuf_add(&b->data, body.buf, body.len);
	b->last_size = b->data.len - start;
	sbuf_release(&body);
	free(present);
}

void sb_marker(struct sb *b, enum sst_bound kind, int n, const void *const *vals, const size_t *lens,
	       struct sst_deletion d0, struct sst_deletion d1)
{
	uint8_t states[8] = { 0 };
	struct sbuf body;
	size_t start = b->data.len;

	sbuf_init(&body);
	put_uv(&body, b->last_size);
	put_del(b, &body, d0);
	if (kind == SST_EXCL_END_INCL_START_BOUNDARY || kind == SST_INCL_END_EXCL_START_BOUNDARY)
		put_del(b, &body, d1);
	put_u8(&b->data, 0x02);
	put_u8(&b->data, (uint8_t)kind);
	put_u16(&b->data, (uint16_t)n);
	put_clustering(b, &b->data, n, vals, lens, states);
	put_uv(&b->data, body.len);
	sbuf_add(&b->data, body.buf, body.len);
	b->last_size = b->data.len - start;
	sbuf_release(&body);
}

void sb_end_partition(struct sb *b)
{
	put_u8(&b->data, 0x01);
}

static void add_file(struct sb *b, const char *comp, struct sbuf *s)
{
	struct sb_file *f = &b->files[b->nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", comp);
	f->p = (uint8_t *)s->buf;
	f->n = s->len;
	if (!f->p)
		f->p = calloc(1, 1);
	sbuf_init(s);
}

static void put_stats_component(struct sb *b, struct sbuf *s)
{
	const struct sst_version *v = &b->ver;
	put_u32(s, 0);	/* partition sizes histogram */
	put_u32(s, 0);	/* cell counts */
	put_u64(s, 0); put_u32(s, 0);	/* commit log upper bound */
	put_u64(s, (uint64_t)b->spec.min_ts);
	put_u64(s, (uint64_t)b->spec.min_ts + 1000000);
	put_u32(s, v->uint_deletion_time ? UINT32_MAX : INT32_MAX);
	put_u32(s, v->uint_deletion_time ? UINT32_MAX : INT32_MAX);
	put_u32(s, (uint32_t)b->spec.min_ttl);
	put_u32(s, (uint32_t)b->spec.min_ttl);
	put_u64(s, 0xbff0000000000000ull);	/* -1.0 */
	put_u32(s, 0); put_u32(s, 0);		/* tombstone histogram */
	put_u32(s, 0);				/* level */
	put_u64(s, 0);				/* repaired at */
	if (v->legacy_minmax) {
		put_u32(s, 0);
		put_u32(s, 0);
	} else {
		put_uv(s, 0);
		put_u8(s, SST_INCL_START_BOUND); put_u16(s, 0);
		put_u8(s, SST_INCL_END_BOUND); put_u16(s, 0);
	}
	put_u8(s, 0);		/* legacy counter shards */
	put_u64(s, 0);
	put_u64(s, 0);
	if (v->commitlog_lower_bound) { put_u64(s, 0); put_u32(s, 0); }
	if (v->commitlog_intervals) put_u32(s, 0);
	if (v->pending_repair) { put_u8(s, 0); put_u8(s, 0); }
	if (v->host_id) { put_u8(s, 1); sbuf_add(s, "0123456789abcdef", 16); }
	if (v->partition_level_deletion_marker) put_u8(s, 1);
	if (v->improved_minmax && v->legacy_minmax) {
		put_uv(s, 0);
		put_u8(s, SST_INCL_START_BOUND); put_u16(s, 0);
		put_u8(s, SST_INCL_END_BOUND); put_u16(s, 0);
	}
	if (v->key_range) { put_uv(s, 0); put_uv(s, 0); }
	if (v->token_space_coverage) put_u64(s, 0);
}

static void build_stats(struct sb *b)
{
	struct sbuf comp[4], out;
	bool ck = b->ver.metadata_checksum;

	for (int i = 0; i < 4; i++)
		sbuf_init(&comp[i]);
	put_utf(&comp[0], b->spec.partitioner);
	put_u64(&comp[0], 0x3f847ae147ae147bull);	/* 0.01 */
	put_u32(&comp[1], 0);
	put_stats_component(b, &comp[2]);
	struct sbuf *h = &comp[3];
	put_uv(h, (uint64_t)(b->spec.min_ts - 1442880000000000ll));
	put_uv(h, (uint64_t)(b->spec.min_ldt - 1442880000ll));
	put_uv(h, (uint64_t)b->spec.min_ttl);
	put_vbytes(h, b->spec.key_type, strlen(b->spec.key_type));
	put_uv(h, (uint64_t)b->spec.nclust);
	for (int i = 0; i < b->spec.nclust; i++)
		put_vbytes(h, b->spec.clust[i], strlen(b->spec.clust[i]));
	put_uv(h, (uint64_t)b->spec.nstatic);
	for (int i = 0; i < b->spec.nstatic; i++) {
		put_vbytes(h, b->spec.statics[i].name, strlen(b->spec.statics[i].name));
		put_vbytes(h, b->spec.statics[i].type, strlen(b->spec.statics[i].type));
	}
	put_uv(h, (uint64_t)b->spec.nregular);
	for (int i = 0; i < b->spec.nregular; i++) {
		put_vbytes(h, b->spec.regulars[i].name, strlen(b->spec.regulars[i].name));
		put_vbytes(h, b->spec.regulars[i].type, strlen(b->spec.regulars[i].type));
	}
	sbuf_init(&out);
	put_u32(&out, 4);
	if (ck)
		put_u32(&out, (uint32_t)crc32(0, (const Bytef *)out.buf, 4));
	size_t toc_at = out.len;
	uint32_t off = (uint32_t)(toc_at + 32 + (ck ? 4 : 0));
	for (int i = 0; i < 4; i++) {
		put_u32(&out, (uint32_t)i);
		put_u32(&out, off);
		off += (uint32_t)comp[i].len + (ck ? 4 : 0);
	}
	if (ck) {
		uLong c = crc32(0, (const Bytef *)out.buf, 4);
		put_u32(&out, (uint32_t)crc32(c, (const Bytef *)out.buf + toc_at, 32));
	}
	for (int i = 0; i < 4; i++) {
		sbuf_add(&out, comp[i].buf, comp[i].len);
		if (ck)
			put_u32(&out, (uint32_t)crc32(0, (const Bytef *)comp[i].buf, (uInt)comp[i].len));
		sbuf_release(&comp[i]);
	}
	add_file(b, "Statistics.db", &out);
}

static void build(struct sb *b)
{
	struct sbuf s, data;
	const uint8_t *raw = (const uint8_t *)b->data.buf;
	size_t n = b->data.len, cl = b->spec.chunk_len, nchunks = (n + cl - 1) / cl;

	if (b->built)
		return;
	b->built = true;
	build_stats(b);
	sbuf_init(&s);
	sbuf_init(&data);
	if (b->spec.compressed) {
		static const char *cls[] = { "NoopCompressor", "LZ4Compressor", "SnappyCompressor", "DeflateCompressor",
					     "ZstdCompressor" };
		uint64_t *offs = calloc(nchunks + 1, sizeof(*offs));
		for (size_t i = 0; i < nchunks; i++) {
			size_t len = i + 1 < nchunks ? cl : n - i * cl;
			offs[i] = data.len;
			size_t at = data.len;
			if (b->spec.codec == SST_CODEC_LZ4) {
				int cap = LZ4_compressBound((int)len);
				char *tmp = malloc((size_t)cap + 4);
				int k = LZ4_compress_default((const char *)raw + i * cl, tmp + 4, (int)len, cap);
				tmp[0] = (char)len; tmp[1] = (char)(len >> 8); tmp[2] = (char)(len >> 16); tmp[3] = (char)(len >> 24);
				sbuf_add(&data, tmp, (size_t)k + 4);
				free(tmp);
			} else {
				sbuf_add(&data, raw + i * cl, len);
			}
			put_u32(&data, (uint32_t)crc32(0, (const Bytef *)data.buf + at, (uInt)(data.len - at)));
		}
		put_utf(&s, cls[b->spec.codec]);
		put_u32(&s, 0);
		put_u32(&s, (uint32_t)cl);
		if (b->ver.max_compressed_len)
			put_u32(&s, INT32_MAX);
		put_u64(&s, n);
		put_u32(&s, (uint32_t)nchunks);
		for (size_t i = 0; i < nchunks; i++)
			put_u64(&s, offs[i]);
		free(offs);
		add_file(b, "CompressionInfo.db", &s);
	} else {
		sbuf_add(&data, raw, n);
		if (b->spec.crc) {
			put_u32(&s, (uint32_t)cl);
			for (size_t i = 0; i < nchunks; i++) {
				size_t len = i + 1 < nchunks ? cl : n - i * cl;
				put_u32(&s, (uint32_t)crc32(0, raw + i * cl, (uInt)len));
			}
			add_file(b, "CRC.db", &s);
		}
	}
	sbuf_addf(&s, "%lu", (unsigned long)(uint32_t)crc32(0, (const Bytef *)data.buf, (uInt)data.len));
	add_file(b, "Digest.crc32", &s);
	add_file(b, "Data.db", &data);
	sbuf_adds(&s, "Data.db\nStatistics.db\nDigest.crc32\nTOC.txt\n");
	if (b->spec.compressed)
		sbuf_adds(&s, "CompressionInfo.db\n");
	else if (b->spec.crc)
		sbuf_adds(&s, "CRC.db\n");
	add_file(b, "TOC.txt", &s);
}

struct sb_file *sb_files(struct sb *b, int *n)
{
	build(b);
	*n = b->nfiles;
	return b->files;
}

void sb_remove(struct sb *b, const char *component)
{
	build(b);
	for (int i = 0; i < b->nfiles; i++)
		if (!strcmp(b->files[i].name, component))
			b->files[i].name[0] = '\0';
}

static int open_mem(void *ctx, const char *prefix, const char *comp, struct bsrc **out, struct pit_err *err)
{
	struct sb *b = ctx;
	(void)prefix;
	for (int i = 0; i < b->nfiles; i++)
		if (!strcmp(b->files[i].name, comp)) {
			char name[64];
			snprintf(name, sizeof(name), "%s%s", b->prefix, comp);
			return bsrc_open_mem(out, b->files[i].p, b->files[i].n, name);
		}
	return pit_errf(err, -ENOENT, "%s%s: no such component", b->prefix, comp);
}

int sb_open(struct sb *b, struct sst **out, struct pit_err *err)
{
	char name[64];
	build(b);
	snprintf(name, sizeof(name), "%sData.db", b->prefix);
	return sst_open(out, name, open_mem, b, err);
}
