#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "core/repo/pack.h"
#include "core/util/bytes.h"
#include "core/util/vec.h"

#define HDR 16
#define ENT 40		/* then the parts of a CHUNK_PARTS chunk (version 2) */
#define FOOT 24
#define VERSION 2	/* 1: no parts, fixed-size entries */
#define BUF (1u << 20)

static const char pack_magic[8] = { 'P', 'T', 'F', 'S', 'P', 'A', 'C', 'K' };
static const char end_magic[8] = { 'P', 'A', 'C', 'K', 'E', 'N', 'D', '.' };

struct pack_writer {
	struct backend *b;
	struct backend_tmp tmp;
	XXH3_state_t *hash;
	uint8_t *buf;
	size_t blen;
	uint64_t size;
	struct pack_entry *ents;
	size_t n, cap;
};

void pack_name(const struct chunk_id *pack, char out[PACK_NAME_MAX])
{
	char hex[33];

	chunk_id_hex(pack, hex);
	snprintf(out, PACK_NAME_MAX, "packs/%.2s/%s", hex, hex);
}

struct index_entry pack_entry_index(const struct pack_entry *pe, const struct chunk_id *pack)
{
	return (struct index_entry){ pe->id, { *pack, pe->off, pe->stored, pe->raw, pe->codec, pe->parts } };
}

int pack_name_parse(const char *name, struct chunk_id *pack)
{
	if (strlen(name) != 6 + 3 + 32 || strncmp(name, "packs/", 6) || name[8] != '/' ||
	    strncmp(name + 6, name + 9, 2))
		return -EINVAL;
	return chunk_id_parse(pack, name + 9);
}

static int flush_buf(struct pack_writer *pw, struct pit_err *err)
{
	int rc = backend_tmp_write(pw->b, &pw->tmp, pw->buf, pw->blen, err);

	pw->blen = 0;
	return rc;
}

static int emit(struct pack_writer *pw, const void *p, size_t n, struct pit_err *err)
{
	const uint8_t *c = p;
	int rc;

	XXH3_128bits_update(pw->hash, p, n);
	pw->size += n;
	while (n) {
		size_t k = BUF - pw->blen < n ? BUF - pw->blen : n;
		memcpy(pw->buf + pw->blen, c, k);
		pw->blen += k;
		c += k;
		n -= k;
		if (pw->blen == BUF && (rc = flush_buf(pw, err)) < 0)
			return rc;
	}
	return 0;
}

int pack_writer_open(struct pack_writer **out, struct backend *b, struct pit_err *err)
{
	struct pack_writer *pw = calloc(1, sizeof(*pw));
	uint8_t hdr[HDR] = { 0 };
	int rc;

	*out = NULL;
	if (!pw || !(pw->buf = malloc(BUF)) || !(pw->hash = XXH3_createState())) {
		if (pw) {
			free(pw->buf);
			free(pw);
		}
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	pw->b = b;
	pw->tmp.fd = -1;
	XXH3_128bits_reset(pw->hash);
	if ((rc = backend_tmp_open(b, &pw->tmp, err)) < 0) {
		pack_writer_abort(pw);
		return rc;
	}
	memcpy(hdr, pack_magic, 8);
	put_le32(hdr + 8, VERSION);
	if ((rc = emit(pw, hdr, HDR, err)) < 0) {
		pack_writer_abort(pw);
		return rc;
	}
	*out = pw;
	return 0;
}

int pack_writer_add(struct pack_writer *pw, const struct chunk_id *id, const void *p, uint32_t stored,
		    uint32_t raw, uint8_t codec, const struct chunk_parts *parts, struct pit_err *err)
{
	if (vec_grow((void **)&pw->ents, &pw->cap, pw->n + 1, sizeof(*pw->ents)) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	pw->ents[pw->n] = (struct pack_entry){ *id, pw->size, stored, raw, codec, { { 0 }, { 0 } } };
	if (codec == CHUNK_PARTS)
		pw->ents[pw->n].parts = *parts;
	pw->n++;
	return emit(pw, p, stored, err);
}

uint64_t pack_writer_size(const struct pack_writer *pw) { return pw->size; }
size_t pack_writer_count(const struct pack_writer *pw) { return pw->n; }

void pack_writer_abort(struct pack_writer *pw)
{
	if (!pw)
		return;
	backend_tmp_abort(pw->b, &pw->tmp);
	XXH3_freeState(pw->hash);
	free(pw->buf);
	free(pw->ents);
	free(pw);
}

int pack_writer_finish(struct pack_writer *pw, struct chunk_id *pack, struct pack_entry **entries, size_t *n,
		       struct pit_err *err)
{
	struct backend *b = pw->b;
	struct backend_tmp tmp;
	char name[PACK_NAME_MAX];
	int rc = pack_writer_seal(pw, pack, entries, n, &tmp, name, err);

	if (rc == 0 && (rc = backend_tmp_commit(b, &tmp, name, err)) < 0) {
		free(*entries);
		*entries = NULL;
		*n = 0;
	}
	return rc;
}

int pack_writer_seal(struct pack_writer *pw, struct chunk_id *pack, struct pack_entry **entries, size_t *n,
		     struct backend_tmp *tmp, char name[PACK_NAME_MAX], struct pit_err *err)
{
	uint8_t e[ENT + CHUNK_PARTS_LEN(CHUNK_SIZE)], foot[FOOT];
	XXH3_state_t *th = XXH3_createState();
	XXH128_canonical_t c;
	uint64_t tlen = 0;
	int rc = 0;

	*entries = NULL;
	*n = 0;
	if (!th) {
		pack_writer_abort(pw);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	XXH3_64bits_reset(th);
	for (size_t i = 0; i < pw->n && !rc; i++) {
		const struct pack_entry *pe = &pw->ents[i];
		memset(e, 0, sizeof(e));
		memcpy(e, pe->id.b, 16);
		put_le64(e + 16, pe->off);
		put_le32(e + 24, pe->stored);
		put_le32(e + 28, pe->raw);
		e[32] = pe->codec;
		size_t len = ENT;
		if (pe->codec == CHUNK_PARTS) {
			chunk_parts_put(e + ENT, &pe->parts, pe->raw);
			len += CHUNK_PARTS_LEN(pe->raw);
		}
		XXH3_64bits_update(th, e, len);
		tlen += len;
		rc = emit(pw, e, len, err);
	}
	memset(foot, 0, sizeof(foot));
	put_le32(foot, (uint32_t)pw->n);
	put_le32(foot + 4, (uint32_t)tlen);
	XXH3_64bits_update(th, foot, 8);
	put_le64(foot + 8, XXH3_64bits_digest(th));
	memcpy(foot + 16, end_magic, 8);
	XXH3_freeState(th);
	if (rc < 0 || (rc = emit(pw, foot, FOOT, err)) < 0 || (rc = flush_buf(pw, err)) < 0)
		goto fail;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(pw->hash));
	memcpy(pack->b, c.digest, 16);
	pack_name(pack, name);
	*tmp = pw->tmp;
	pw->tmp.fd = -1;	/* the caller's now */
	*entries = pw->ents;
	*n = pw->n;
	pw->ents = NULL;
fail:
	pack_writer_abort(pw);
	return rc;
}

int pack_read_trailer(int fd, uint64_t size, const char *name, struct pack_entry **entries, size_t *n,
		      struct pit_err *err)
{
	uint8_t foot[FOOT], hdr[HDR], *t = NULL;
	const uint8_t *e, *end;
	uint32_t count, version, i = 0;
	uint64_t tlen;
	struct pack_entry *ents = NULL;
	int rc = 0;

	*entries = NULL;
	*n = 0;
	if (size < HDR + FOOT || pread(fd, hdr, HDR, 0) != HDR || memcmp(hdr, pack_magic, 8))
		return pit_errf(err, -EIO, "%s: not a pack (bad header or %llu bytes)", name,
				(unsigned long long)size);
	if ((version = le32(hdr + 8)) != 1 && version != VERSION)
		return pit_errf(err, -ENOTSUP, "%s: pack format version %u unknown", name, version);
	if (pread(fd, foot, FOOT, (off_t)(size - FOOT)) != FOOT || memcmp(foot + 16, end_magic, 8))
		return pit_errf(err, -EIO, "%s: pack trailer missing (truncated or damaged)", name);
	count = le32(foot);
	tlen = version == 1 ? (uint64_t)count * ENT : le32(foot + 4);
	if (tlen > size - HDR - FOOT || (uint64_t)count * ENT > tlen)
		return pit_errf(err, -EIO, "%s: pack trailer claims %u chunks, more than fit", name, count);
	if (!(t = malloc(tlen + 8)) || !(ents = calloc(count ? count : 1, sizeof(*ents)))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (pread(fd, t, tlen, (off_t)(size - FOOT - tlen)) != (ssize_t)tlen) {
		rc = pit_errf(err, -EIO, "%s: cannot read pack trailer", name);
		goto out;
	}
	memcpy(t + tlen, foot, 8);
	if (XXH3_64bits(t, tlen + 8) != le64(foot + 8)) {
		rc = pit_errf(err, -EIO, "%s: pack trailer checksum mismatch (damaged)", name);
		goto out;
	}
	e = t;
	end = t + tlen;
	for (i = 0; i < count; i++) {
		struct pack_entry *pe = &ents[i];
		if (end - e < ENT)
			goto bad;
		memcpy(pe->id.b, e, 16);
		pe->off = le64(e + 16);
		pe->stored = le32(e + 24);
		pe->raw = le32(e + 28);
		pe->codec = e[32];
		e += ENT;
		if (pe->off < HDR || pe->off + pe->stored > size - FOOT - tlen || pe->raw > CHUNK_SIZE)
			goto bad;
		if (pe->codec == CHUNK_PARTS && version > 1) {
			if ((size_t)(end - e) < CHUNK_PARTS_LEN(pe->raw))
				goto bad;
			chunk_parts_get(e, &pe->parts, pe->raw);
			e += CHUNK_PARTS_LEN(pe->raw);
			if (chunk_parts_check(&pe->parts, pe->raw, pe->stored, name, NULL) < 0)
				goto bad;
		}
	}
	if (e != end) {
		rc = pit_errf(err, -EIO, "%s: pack trailer does not parse", name);
		goto out;
	}
	*entries = ents;
	*n = count;
	ents = NULL;
out:
	free(t);
	free(ents);
	return rc;
bad:
	rc = pit_errf(err, -EIO, "%s: pack trailer entry %u out of bounds", name, i);
	goto out;
}
