/* A growable byte/string buffer, always NUL-terminated for convenience. */
#ifndef PIT_SBUF_H
#define PIT_SBUF_H

#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char *buf;
	size_t len, cap;
	int oom;		/* sticky: an allocation failed, contents are truncated */
};

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
int sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *p, size_t n);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_addhex(struct sbuf *sb, const uint8_t *p, size_t n);
/* A JSON string literal (with the quotes) for n bytes of UTF-8 text. */
void sbuf_add_json_str(struct sbuf *sb, const void *p, size_t n);

#endif
