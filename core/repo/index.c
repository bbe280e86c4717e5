#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/index.h"
#include "core/repo/obj.h"

#define INDEX_MAX ((size_t)1 << 30)

int index_write(struct backend *b, const struct index_entry *e, size_t n, char name[INDEX_NAME_MAX],
		struct pit_err *err)
{
	struct sbuf sb;
	struct chunk_id h;
	char hex[33];
	int rc;

	sbuf_init(&sb);
	obj_begin(&sb, "INDX");
	obj_put_u32(&sb, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		sbuf_add(&sb, e[i].id.b, 16);
		sbuf_add(&sb, e[i].loc.pack.b, 16);
		obj_put_u64(&sb, e[i].loc.off);
		obj_put_u32(&sb, e[i].loc.stored);
		obj_put_u32(&sb, e[i].loc.raw);
		obj_put_u8(&sb, e[i].loc.codec);
		if (e[i].loc.codec == CHUNK_PARTS) {
			uint8_t parts[CHUNK_PARTS_LEN(CHUNK_SIZE)];
			chunk_parts_put(parts, &e[i].loc.parts, e[i].loc.raw);
			sbuf_add(&sb, parts, CHUNK_PARTS_LEN(e[i].loc.raw));
		}
	}
	if ((rc = obj_seal(&sb)) < 0) {
		sbuf_release(&sb);
		return pit_errf(err, rc, "out of memory writing an index segment");
	}
	chunk_id_of(&h, sb.buf, sb.len);
	chunk_id_hex(&h, hex);
	snprintf(name, INDEX_NAME_MAX, "index/%s", hex);
	rc = backend_put(b, name, sb.buf, sb.len, err);
	sbuf_release(&sb);
	return rc;
}

int index_read(struct backend *b, const char *name, struct index_entry **out, size_t *n, struct pit_err *err)
{
	uint8_t *p = NULL;
	size_t len, plen;
	const uint8_t *pl;
	struct index_entry *e = NULL;
	struct obj_cur c;
	uint32_t count;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = backend_get(b, name, &p, &len, INDEX_MAX, err)) < 0)
		return rc;
	if ((rc = obj_open(p, len, "INDX", name, &pl, &plen, err)) < 0)
		goto out;
	c = (struct obj_cur){ pl, pl + plen, 0 };
	count = obj_get_u32(&c);
	if ((size_t)count > plen / 49 || !(e = calloc(count ? count : 1, sizeof(*e)))) {
		rc = pit_errf(err, count > plen / 49 ? -EBADMSG : -ENOMEM, "%s: bad index segment (%u entries)",
			      name, count);
		goto out;
	}
	for (uint32_t i = 0; i < count; i++) {
		obj_get_bytes(&c, e[i].id.b, 16);
		obj_get_bytes(&c, e[i].loc.pack.b, 16);
		e[i].loc.off = obj_get_u64(&c);
		e[i].loc.stored = obj_get_u32(&c);
		e[i].loc.raw = obj_get_u32(&c);
		e[i].loc.codec = obj_get_u8(&c);
		if (e[i].loc.codec != CHUNK_PARTS)
			continue;
		if (e[i].loc.raw > CHUNK_SIZE || (size_t)(c.end - c.p) < CHUNK_PARTS_LEN(e[i].loc.raw)) {
			c.bad = true;
			break;
		}
		chunk_parts_get(c.p, &e[i].loc.parts, e[i].loc.raw);
		c.p += CHUNK_PARTS_LEN(e[i].loc.raw);
	}
	if (c.bad || c.p != c.end) {
		rc = pit_errf(err, -EBADMSG, "%s: index segment does not parse", name);
		goto out;
	}
	*out = e;
	*n = count;
	e = NULL;
out:
	free(e);
	free(p);
	return rc;
}
