#include "core/util/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = 0;
}

void sbuf_release(struct sbuf *sb)
{
	free(sb->buf);
	sbuf_init(sb);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

int sbuf_grow(struct sbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *nb;

	if (sb->oom)
		return -1;
	if (want <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < want)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = 1;
		return -1;
	}
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

void sbuf_add_grown(struct sbuf *sb, const void *p, size_t n)
{
	if (sbuf_grow(sb, n) < 0)
		return;
	if (n)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sbuf_add_i64(struct sbuf *sb, int64_t v)
{
	char digits[24];
	size_t at = sizeof(digits);
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		digits[--at] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	if (v < 0)
		digits[--at] = '-';
	sbuf_add(sb, digits + at, sizeof(digits) - at);
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* format once into the room there is; again only when it did not fit */
	if (sbuf_grow(sb, 32) < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		return;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		if (sbuf_grow(sb, (size_t)n) < 0) {
			sb->buf[sb->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

void sbuf_addhex(struct sbuf *sb, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (sbuf_grow(sb, 2 * n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		sb->buf[sb->len++] = hex[p[i] >> 4];
		sb->buf[sb->len++] = hex[p[i] & 15];
	}
	sb->buf[sb->len] = '\0';
}

void sbuf_add_json_str(struct sbuf *sb, const void *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = v;

	sbuf_addc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		size_t run = i;	/* characters that need no escape go in one copy */
		while (run < n && p[run] >= 0x20 && p[run] != '"' && p[run] != '\\' && p[run] != 0x7f)
			run++;
		if (run > i) {
			sbuf_add(sb, p + i, run - i);
			i = run - 1;
			continue;
		}
		unsigned char c = p[i];
		switch (c) {
		case '"': sbuf_add(sb, "\\\"", 2); break;
		case '\\': sbuf_add(sb, "\\\\", 2); break;
		case '\n': sbuf_add(sb, "\\n", 2); break;
		case '\r': sbuf_add(sb, "\\r", 2); break;
		case '\t': sbuf_add(sb, "\\t", 2); break;
		case '\b': sbuf_add(sb, "\\b", 2); break;
		case '\f': sbuf_add(sb, "\\f", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				sbuf_add(sb, e, 6);
			} else {
				sbuf_addc(sb, (char)c);
			}
		}
	}
	sbuf_addc(sb, '"');
}
