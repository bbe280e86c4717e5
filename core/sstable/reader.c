#include "core/sstable/sstable_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/util/bytes.h"
#include "core/util/sbuf.h"

#define MAX_STATS (64u << 20)

int sst_desc_parse(const char *filename, struct sst_desc *d)
{
	const char *base = strrchr(filename, '/');
	char tmp[256], *parts[8];
	int n = 0;

	base = base ? base + 1 : filename;
	memset(d, 0, sizeof(*d));
	if (strlen(base) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, base);
	for (char *p = tmp, *tok; n < 8 && (tok = strsep(&p, "-"));)
		parts[n++] = tok;
	/* <version>-<generation>-<format>-<Component> */
	if (n != 4 || strlen(parts[0]) != 2 || !parts[1][0] || strlen(parts[1]) >= sizeof(d->generation) ||
	    strlen(parts[2]) >= sizeof(d->format) || !parts[3][0])
		return -EINVAL;
	strcpy(d->version, parts[0]);
	strcpy(d->generation, parts[1]);
	strcpy(d->format, parts[2]);
	snprintf(d->prefix, sizeof(d->prefix), "%s-%s-%s-", d->version, d->generation, d->format);
	return 0;
}

static int open_component(struct sst *s, const char *comp, struct bsrc **out, bool required, struct pit_err *err)
{
	int rc = s->open_fn(s->ctx, s->desc.prefix, comp, out, err);

	if (rc == -ENOENT && !required) {
		if (err)
			err->msg[0] = '\0';
		*out = NULL;
		return 0;
	}
	return rc;
}

static void read_toc(struct sst *s)
{
	struct bsrc *bs = NULL;
	struct pit_err e2 = { 0 };
	uint8_t *buf = NULL;
	size_t n;

	if (s->open_fn(s->ctx, s->desc.prefix, "TOC.txt", &bs, &e2) < 0)
		return;
	if (bsrc_read_all(bs, &buf, &n, 64 * 1024, &e2) == 0) {
		s->toc_known = true;
		for (size_t i = 0; i < n && s->ntoc < 16;) {
			size_t j = i;
			while (j < n && buf[j] != '\n' && buf[j] != '\r')
				j++;
			if (j > i && j - i < sizeof(s->toc[0])) {
				memcpy(s->toc[s->ntoc], buf + i, j - i);
				s->toc[s->ntoc++][j - i] = '\0';
			}
			i = j + 1;
		}
	}
	free(buf);
	bsrc_close(bs);
}

bool sst_has_component(const struct sst *s, const char *comp)
{
	for (int i = 0; i < s->ntoc; i++)
		if (!strcmp(s->toc[i], comp))
			return true;
	if (!s->toc_known) {
		struct bsrc *bs = NULL;
		struct sst *m = (struct sst *)s;
		if (m->open_fn(m->ctx, m->desc.prefix, comp, &bs, NULL) == 0) {
			bsrc_close(bs);
			return true;
		}
	}
	return false;
}

int sst_open(struct sst **out, const char *data_name, sst_component_fn fn, void *ctx, struct pit_err *err)
{
	struct sst *s = calloc(1, sizeof(*s));
	struct bsrc *stats = NULL;
	uint8_t *sbuf = NULL;
	size_t sn;
	int rc;

	*out = NULL;
	if (!s || !(s->name = strdup(data_name))) {
		rc = -ENOMEM;
		goto out;
	}
	s->open_fn = fn;
	s->ctx = ctx;
	if (sst_desc_parse(data_name, &s->desc) < 0) {
		rc = pit_errf(err, -EINVAL, "%s: not an SSTable file name (<version>-<generation>-<format>-Data.db)",
			      data_name);
		goto out;
	}
	if ((rc = sst_version_parse(&s->ver, s->desc.format, s->desc.version)) < 0) {
		rc = pit_errf(err, rc == -ENOTSUP ? -ENOTSUP : -EINVAL, "%s: SSTable format \"%s\" version \"%s\" is "
			      "not supported (big: ma to oa, Cassandra 3.0 to 5.0; bti: da, Cassandra 5.0)", data_name,
			      s->desc.format, s->desc.version);
		goto out;
	}
	read_toc(s);
	if ((rc = open_component(s, "Statistics.db", &stats, true, err)) < 0)
		goto out;
	if ((rc = bsrc_read_all(stats, &sbuf, &sn, MAX_STATS, err)) < 0)
		goto out;
	if ((rc = sst_stats_parse(sbuf, sn, &s->ver, bsrc_name(stats), &s->stats, &s->hdr, err)) < 0)
		goto out;
	if ((rc = open_component(s, "Data.db", &s->data, true, err)) < 0)
		goto out;
	if ((rc = open_component(s, "CompressionInfo.db", &s->compinfo, false, err)) < 0)
		goto out;
	if (!s->compinfo && s->toc_known && sst_has_component(s, "CompressionInfo.db")) {
		rc = pit_errf(err, -ENOENT, "%s: TOC.txt lists CompressionInfo.db but the file is missing", data_name);
		goto out;
	}
	if (!s->compinfo && (rc = open_component(s, "CRC.db", &s->crc, false, err)) < 0)
		goto out;
	if ((rc = sst_dfile_open(&s->df, s->data, s->compinfo, s->crc, s->ver.max_compressed_len, err)) < 0)
		goto out;
out:
	free(sbuf);
	bsrc_close(stats);
	if (rc < 0)
		sst_close(s);
	else
		*out = s;
	return rc;
}

void sst_close(struct sst *s)
{
	if (!s)
		return;
	sst_dfile_close(s->df);
	bsrc_close(s->data);
	bsrc_close(s->compinfo);
	bsrc_close(s->crc);
	sst_header_release(&s->hdr);
	free(s->owned_ctx);
	free(s->name);
	free(s);
}

/* ---- files on disk ---- */

static int path_component(void *ctx, const char *prefix, const char *comp, struct bsrc **out, struct pit_err *err)
{
	const char *dir = ctx;
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dir, prefix, comp) >= sizeof(path))
		return pit_errf(err, -ENAMETOOLONG, "%s%s: path too long", prefix, comp);
	return bsrc_open_file(out, path, err);
}

int sst_open_path(struct sst **out, const char *data_path, struct pit_err *err)
{
	const char *slash = strrchr(data_path, '/');
	size_t dlen = slash ? (size_t)(slash - data_path + 1) : 0;
	char *dir = malloc(dlen + 1);
	int rc;

	if (!dir)
		return -ENOMEM;
	memcpy(dir, data_path, dlen);
	dir[dlen] = '\0';
	rc = sst_open(out, data_path, path_component, dir, err);
	if (rc < 0) {
		free(dir);
		return rc;
	}
	/* the directory string lives as long as the handle: hand it over */
	(*out)->owned_ctx = dir;
	return 0;
}

const char *sst_name(const struct sst *s) { return s->name; }
const struct sst_desc *sst_descriptor(const struct sst *s) { return &s->desc; }
const struct sst_version *sst_version(const struct sst *s) { return &s->ver; }
const struct sst_stats *sst_stats(const struct sst *s) { return &s->stats; }
const struct sst_header *sst_header(const struct sst *s) { return &s->hdr; }
const struct sst_compinfo *sst_compression(const struct sst *s) { return sst_dfile_info(s->df); }
uint64_t sst_data_length(const struct sst *s) { return sst_dfile_length(s->df); }
uint64_t sst_data_disk_size(const struct sst *s) { return bsrc_size(s->data); }

ssize_t sst_data_map(struct sst *s, uint64_t off, const uint8_t **p, struct pit_err *err)
{
	return sst_dfile_map(s->df, off, p, err);
}

int sst_column_set_type(struct sst *s, bool is_static, int idx, const struct cql_type *type, struct pit_err *err)
{
	struct sst_header *h = &s->hdr;
	struct sst_column *c;

	if (idx < 0 || idx >= (is_static ? h->nstatic : h->nregular))
		return pit_errf(err, -EINVAL, "%s: no %s column %d", s->name, is_static ? "static" : "regular", idx);
	c = is_static ? &h->statics[idx] : &h->regulars[idx];
	struct cql_type *t = cql_type_dup(type);
	if (!t)
		return -ENOMEM;
	cql_type_free(c->type);
	c->type = t;
	c->complex = cql_type_multicell(t);
	c->fixed = cql_type_fixed_len(t);
	return 0;
}

int sst_verify_digest(struct sst *s, struct pit_err *err)
{
	struct bsrc *dg = NULL;
	uint8_t *txt = NULL, *buf = NULL;
	size_t n;
	int rc;
	uLong crc = crc32(0, NULL, 0);

	if ((rc = open_component(s, "Digest.crc32", &dg, true, err)) < 0)
		goto out;
	if ((rc = bsrc_read_all(dg, &txt, &n, 64, err)) < 0)
		goto out;
	char num[65];
	memcpy(num, txt, n);
	num[n] = '\0';
	char *end;
	unsigned long long want = strtoull(num, &end, 10);
	while (*end == '\n' || *end == '\r' || *end == ' ')
		end++;
	if (end == num || *end) {
		rc = pit_errf(err, -EBADMSG, "%s: not a decimal CRC-32", bsrc_name(dg));
		goto out;
	}
	if (!(buf = malloc(1 << 20))) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint64_t off = 0, size = bsrc_size(s->data); off < size;) {
		size_t k = size - off < (1u << 20) ? (size_t)(size - off) : (1u << 20);
		if ((rc = bsrc_read_exact(s->data, buf, k, off, err)) < 0)
			goto out;
		crc = crc32(crc, buf, (uInt)k);
		off += k;
	}
	if ((uint32_t)crc != (uint32_t)want)
		rc = pit_errf(err, -EIO, "%s: digest mismatch: Digest.crc32 says %llu, Data.db has %lu", s->name, want,
			      (unsigned long)(uint32_t)crc);
out:
	free(buf);
	free(txt);
	bsrc_close(dg);
	return rc;
}

int sst_set_readahead(struct sst *s, bool on)
{
	return sst_dfile_set_readahead(s->df, on);
}

int sst_verify_chunks(struct sst *s, struct pit_err *err)
{
	return sst_dfile_verify_chunks(s->df, err);
}

/* ---- Summary.db and Index.db ---- */

struct summary {
	uint8_t *buf;
	size_t n;
	uint32_t count;
	size_t offs_at;		/* offsets array start */
	size_t entries_end;	/* end of the last entry */
	bool native_le;
};

static int summary_load(struct sst *s, struct summary *sm, struct pit_err *err)
{
	struct bsrc *bs = NULL;
	int rc;

	memset(sm, 0, sizeof(*sm));
	if ((rc = open_component(s, "Summary.db", &bs, false, err)) < 0 || !bs)
		return rc;
	rc = bsrc_read_all(bs, &sm->buf, &sm->n, 256u << 20, err);
	if (rc < 0)
		goto out;
	if (sm->n < 24) {
		rc = pit_errf(err, -EBADMSG, "%s: truncated header", bsrc_name(bs));
		goto out;
	}
	int32_t count = (int32_t)be32(sm->buf + 4);
	uint64_t offheap = be64(sm->buf + 8);
	sm->offs_at = 24;
	if (count < 0 || (uint64_t)count * 4 > offheap || offheap > sm->n - 24) {
		rc = pit_errf(err, -EBADMSG, "%s: offset 4: %d entries do not fit", bsrc_name(bs), count);
		goto out;
	}
	sm->count = (uint32_t)count;
	sm->entries_end = (size_t)offheap;
	/* the offsets are in the writer's native byte order */
	sm->native_le = count == 0 || le32(sm->buf + 24) == 4u * (uint32_t)count;
	if (count && !sm->native_le && be32(sm->buf + 24) != 4u * (uint32_t)count) {
		rc = pit_errf(err, -EBADMSG, "%s: offset 24: first entry offset is neither order of %u",
			      bsrc_name(bs), 4u * (uint32_t)count);
		goto out;
	}
out:
	bsrc_close(bs);
	if (rc < 0) {
		free(sm->buf);
		sm->buf = NULL;
	}
	return rc;
}

static bool summary_entry(const struct summary *sm, uint32_t i, const uint8_t **key, size_t *klen, uint64_t *pos)
{
	const uint8_t *offs = sm->buf + sm->offs_at;
	uint32_t a = sm->native_le ? le32(offs + 4 * i) : be32(offs + 4 * i);
	uint32_t b = i + 1 < sm->count ? (sm->native_le ? le32(offs + 4 * (i + 1)) : be32(offs + 4 * (i + 1)))
				       : (uint32_t)sm->entries_end;
	if (a > b || b > sm->entries_end || b - a < 8)
		return false;
	*key = offs + a;
	*klen = b - a - 8;
	*pos = sm->native_le ? le64(offs + b - 8) : be64(offs + b - 8);
	return true;
}

/* Summary.db and Index.db open for lookups of several keys. */
struct lookup {
	struct sst *s;
	struct summary sm;
	struct bsrc *idx;
	uint8_t *buf;		/* a window of Index.db */
	size_t cap, wlen;
	uint64_t wstart;
};

static void lookup_close(struct lookup *lk)
{
	free(lk->buf);
	free(lk->sm.buf);
	bsrc_close(lk->idx);
}

static int lookup_open(struct lookup *lk, struct sst *s, struct pit_err *err)
{
	int rc;

	memset(lk, 0, sizeof(*lk));
	lk->s = s;
	if (!sst_has_key_index(s))
		return pit_errf(err, -ENOTSUP, "%s: its partition index is a trie (Partitions.db), which is not read",
				s->name);
	if ((rc = summary_load(s, &lk->sm, err)) < 0 || (rc = open_component(s, "Index.db", &lk->idx, true, err)) < 0)
		lookup_close(lk);
	return rc;
}

/* The window holds [off, off + need) when Index.db has it. */
static int window(struct lookup *lk, uint64_t off, size_t need, struct pit_err *err)
{
	if (off >= lk->wstart && off - lk->wstart + need <= lk->wlen)
		return 0;
	size_t want = need < (16u << 10) ? (16u << 10) : need;
	if (want > lk->cap) {
		uint8_t *b = realloc(lk->buf, want);
		if (!b)
			return pit_errf(err, -ENOMEM, "out of memory");
		lk->buf = b;
		lk->cap = want;
	}
	ssize_t got = bsrc_pread(lk->idx, lk->buf, want, off, err);
	if (got < 0)
		return (int)got;
	lk->wstart = off;
	lk->wlen = (size_t)got;
	return 0;
}

/* Index.db's entry for key (exact), or for the first partition at or after
 * it (UINT64_MAX: none). */
static int lookup(struct lookup *lk, const uint8_t *key, size_t n, bool exact, uint64_t *pos, struct pit_err *err)
{
	struct sst *s = lk->s;
	struct sst_token want, t;
	uint64_t start = 0;
	int rc;

	sst_token_of(s->stats.partitioner, key, n, &want);
	if (lk->sm.buf) {	/* binary search: the last sample <= key */
		uint32_t lo = 0, hi = lk->sm.count;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			const uint8_t *k;
			size_t kl;
			uint64_t p;
			if (!summary_entry(&lk->sm, mid, &k, &kl, &p))
				return pit_errf(err, -EBADMSG, "%s: Summary.db entry %u is malformed", s->name, mid);
			sst_token_of(s->stats.partitioner, k, kl, &t);
			if (sst_key_compare(&t, k, kl, &want, key, n) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0) {
			const uint8_t *k;
			size_t kl;
			summary_entry(&lk->sm, lo - 1, &k, &kl, &start);
		}
	}
	/* walk Index.db entries from start until the key or a greater one: a
	 * 16-bit key length, the key, two unsigned vints and the promoted
	 * index the second one sizes */
	uint64_t size = bsrc_size(lk->idx), off = start;
	while (off < size) {
		if ((rc = window(lk, off, 2, err)) < 0 ||
		    (rc = window(lk, off, 2 + (size_t)be16(lk->buf + (off - lk->wstart)) + 18, err)) < 0)
			return rc;
		const uint8_t *p = lk->buf + (off - lk->wstart), *end = lk->buf + lk->wlen;
		if (end - p < 2 || (size_t)(end - p) < 2 + (size_t)be16(p))
			goto bad;
		size_t kl = be16(p);
		const uint8_t *k = p + 2;
		p += 2 + kl;
		uint64_t dpos, psize;
		int a = uvint_get(p, end, &dpos);
		int b = a ? uvint_get(p + a, end, &psize) : 0;
		if (!a || !b || psize > size)
			goto bad;
		p += a + b;
		sst_token_of(s->stats.partitioner, k, kl, &t);
		int c = sst_key_compare(&t, k, kl, &want, key, n);
		if (c == 0 || (c > 0 && !exact)) {
			*pos = dpos;
			return 0;
		}
		if (c > 0)
			break;
		off = lk->wstart + (uint64_t)(p - lk->buf) + psize;
	}
	if (exact)
		return -ENOENT;
	*pos = UINT64_MAX;
	return 0;
bad:
	return pit_errf(err, -EBADMSG, "%s: offset %llu: malformed index entry", bsrc_name(lk->idx),
			(unsigned long long)off);
}

bool sst_has_key_index(const struct sst *s)
{
	return strcmp(s->desc.format, "big") == 0;
}

int sst_find_partition(struct sst *s, const uint8_t *key, size_t n, uint64_t *pos, struct pit_err *err)
{
	struct lookup lk;
	int rc = lookup_open(&lk, s, err);

	if (rc == 0) {
		rc = lookup(&lk, key, n, true, pos, err);
		lookup_close(&lk);
	}
	return rc;
}

int sst_lower_bounds(struct sst *s, const struct sbuf *keys, uint64_t *pos, struct pit_err *err)
{
	struct lookup lk;
	int rc, i = 0;

	if ((rc = lookup_open(&lk, s, err)) < 0)
		return rc;
	for (size_t at = 0; rc == 0 && at + 2 <= keys->len; i++) {
		const uint8_t *k = (const uint8_t *)keys->buf + at;
		size_t kl = (size_t)k[0] << 8 | k[1];
		if (at + 2 + kl > keys->len)
			rc = pit_errf(err, -EINVAL, "%s: a key list that does not parse", s->name);
		else
			rc = lookup(&lk, k + 2, kl, false, &pos[i], err);
		at += 2 + kl;
	}
	lookup_close(&lk);
	return rc;
}

int sst_split_keys(struct sst *s, int parts, struct sbuf *keys, struct pit_err *err)
{
	struct summary sm;
	int rc, got = 0;

	sbuf_reset(keys);
	if (!sst_has_key_index(s))
		return 0;
	if ((rc = summary_load(s, &sm, err)) < 0 || !sm.buf)
		return rc;
	for (int i = 1; i < parts && sm.count; i++) {
		uint32_t at = (uint32_t)((uint64_t)sm.count * (uint64_t)i / (uint64_t)parts);
		const uint8_t *k;
		size_t kl;
		uint64_t pos;
		if (at == 0 || (got && at == (uint32_t)((uint64_t)sm.count * (uint64_t)(i - 1) / (uint64_t)parts)))
			continue;
		if (!summary_entry(&sm, at, &k, &kl, &pos) || kl > UINT16_MAX) {
			rc = pit_errf(err, -EBADMSG, "%s: Summary.db entry %u is malformed", s->name, at);
			break;
		}
		uint8_t len[2] = { (uint8_t)(kl >> 8), (uint8_t)kl };
		sbuf_add(keys, len, 2);
		sbuf_add(keys, k, kl);
		got++;
	}
	free(sm.buf);
	if (rc == 0 && keys->oom)
		rc = pit_errf(err, -ENOMEM, "out of memory");
	return rc < 0 ? rc : got;
}
