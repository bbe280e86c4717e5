#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "core/repo/obj.h"
#include "core/util/bytes.h"

static const char magic[4] = { 'P', 'T', 'F', 'S' };

void obj_begin(struct sbuf *sb, const char kind[4])
{
	uint8_t h[OBJ_HEADER] = { 0 };

	memcpy(h, magic, 4);
	memcpy(h + 4, kind, 4);
	put_le32(h + 8, OBJ_VERSION);
	sbuf_reset(sb);
	sbuf_add(sb, h, sizeof(h));
}

void obj_put_u32(struct sbuf *sb, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	sbuf_add(sb, b, 4);
}

void obj_put_u64(struct sbuf *sb, uint64_t v)
{
	obj_put_u32(sb, (uint32_t)v);
	obj_put_u32(sb, (uint32_t)(v >> 32));
}

void obj_put_str(struct sbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	obj_put_u32(sb, (uint32_t)n);
	sbuf_add(sb, s ? s : "", n);
}

int obj_seal(struct sbuf *sb)
{
	if (sb->oom || sb->len < OBJ_HEADER)
		return -ENOMEM;
	obj_put_u64(sb, XXH3_64bits(sb->buf, sb->len));
	return sb->oom ? -ENOMEM : 0;
}

int obj_open(const uint8_t *p, size_t n, const char kind[4], const char *name,
	     const uint8_t **payload, size_t *len, struct pit_err *err)
{
	if (n < OBJ_HEADER + OBJ_TRAILER || memcmp(p, magic, 4))
		return pit_errf(err, -EBADMSG, "%s: not a pitfs object (bad magic or %zu bytes)", name, n);
	if (memcmp(p + 4, kind, 4))
		return pit_errf(err, -EBADMSG, "%s: object kind %.4s, expected %.4s", name, (const char *)p + 4, kind);
	if (le32(p + 8) != OBJ_VERSION)
		return pit_errf(err, -ENOTSUP, "%s: object format version %u, this pitfs reads %u", name,
				le32(p + 8), OBJ_VERSION);
	if (le64(p + n - OBJ_TRAILER) != XXH3_64bits(p, n - OBJ_TRAILER))
		return pit_errf(err, -EIO, "%s: object checksum mismatch (damaged or truncated)", name);
	*payload = p + OBJ_HEADER;
	*len = n - OBJ_HEADER - OBJ_TRAILER;
	return 0;
}

static const uint8_t *take(struct obj_cur *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	return p;
}

uint8_t obj_get_u8(struct obj_cur *c)
{
	const uint8_t *p = take(c, 1);
	return p ? *p : 0;
}

uint32_t obj_get_u32(struct obj_cur *c)
{
	const uint8_t *p = take(c, 4);
	return p ? le32(p) : 0;
}

uint64_t obj_get_u64(struct obj_cur *c)
{
	const uint8_t *p = take(c, 8);
	return p ? le64(p) : 0;
}

void obj_get_bytes(struct obj_cur *c, void *dst, size_t n)
{
	const uint8_t *p = take(c, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

char *obj_get_str(struct obj_cur *c)
{
	uint32_t n = obj_get_u32(c);
	const uint8_t *p = take(c, n);
	char *s;

	if (!p || memchr(p, 0, n) || !(s = malloc((size_t)n + 1))) {
		c->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}
