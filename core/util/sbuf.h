/* A growable byte/string buffer, always NUL-terminated for convenience. */
#ifndef PIT_SBUF_H
#define PIT_SBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sbuf {
	char *buf;
	size_t len, cap;
	int oom;		/* sticky: an allocation failed, contents are truncated */
};

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
int sbuf_grow(struct sbuf *sb, size_t extra);
/* sbuf_add where the bytes do not fit yet. */
void sbuf_add_grown(struct sbuf *sb, const void *p, size_t n);
/* Inline: renderers add their output a few bytes at a time, for every value
 * of every row. */
static inline void sbuf_add(struct sbuf *sb, const void *p, size_t n)
{
	if (n && n < sb->cap - sb->len) {	/* cap > len whenever cap > 0 */
		memcpy(sb->buf + sb->len, p, n);
		sb->len += n;
		sb->buf[sb->len] = '\0';
	} else {
		sbuf_add_grown(sb, p, n);
	}
}
static inline void sbuf_addc(struct sbuf *sb, char c)
{
	if (sb->len + 1 < sb->cap) {
		sb->buf[sb->len++] = c;
		sb->buf[sb->len] = '\0';
	} else {
		sbuf_add_grown(sb, &c, 1);
	}
}
static inline void sbuf_adds(struct sbuf *sb, const char *s)
{
	sbuf_add(sb, s, strlen(s));
}
/* v in decimal, without printf's parsing of a format. */
void sbuf_add_i64(struct sbuf *sb, int64_t v);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_addhex(struct sbuf *sb, const uint8_t *p, size_t n);
/* A JSON string literal (with the quotes) for n bytes of UTF-8 text. */
void sbuf_add_json_str(struct sbuf *sb, const void *p, size_t n);

#endif
