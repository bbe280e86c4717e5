/* The envelope every repository object but a pack wears: a magic, the kind,
 * a format version, the payload, and an XXH3-64 of all of it, so that a
 * damaged or truncated object is detected rather than read. */
#ifndef PIT_REPO_OBJ_H
#define PIT_REPO_OBJ_H

#include <stddef.h>
#include <stdint.h>
#include "core/err.h"
#include "core/util/sbuf.h"

#define OBJ_VERSION 1
#define OBJ_HEADER 16
#define OBJ_TRAILER 8

/* Starts sb with the header of an object of kind ("CONF", "INDX", "BKUP"). */
void obj_begin(struct sbuf *sb, const char kind[4]);
/* Appends the checksum; sb then holds the whole object. -ENOMEM if sb ran out. */
int obj_seal(struct sbuf *sb);
/* Checks magic, kind, version and checksum of the n bytes at p; the payload
 * is returned as a borrowed pointer into p. name is for messages. */
int obj_open(const uint8_t *p, size_t n, const char kind[4], const char *name,
	     const uint8_t **payload, size_t *len, struct pit_err *err);

/* Little-endian fields in payloads, with a cursor that fails once and stays failed. */
static inline void obj_put_u8(struct sbuf *sb, uint8_t v) { sbuf_add(sb, &v, 1); }
void obj_put_u32(struct sbuf *sb, uint32_t v);
void obj_put_u64(struct sbuf *sb, uint64_t v);
void obj_put_str(struct sbuf *sb, const char *s);	/* u32 length + bytes; NULL is "" */

struct obj_cur {
	const uint8_t *p, *end;
	int bad;
};
uint8_t obj_get_u8(struct obj_cur *c);
uint32_t obj_get_u32(struct obj_cur *c);
uint64_t obj_get_u64(struct obj_cur *c);
void obj_get_bytes(struct obj_cur *c, void *dst, size_t n);
/* A new NUL-terminated copy (NULL and bad set on failure or embedded NUL). */
char *obj_get_str(struct obj_cur *c);

#endif
