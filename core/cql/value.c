#include "core/cql/value.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value_impl.h"
#include "core/util/bytes.h"

#define MAX_NUM_BYTES 8192	/* varint/decimal magnitudes rendered in decimal */

/* ---- dates and times ----------------------------------------------------- */

void cql_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v (0 <= v < 10^width) in exactly width digits. */
static char *put_digits(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* sep: 'T' or ' '; frac: number of fractional digits of sub (0, 3 or 6).
 * Written digit by digit: the truth of a generated cluster renders millions. */
static bool format_instant(int64_t secs, int64_t sub, int frac, char sep, struct sbuf *out)
{
	int64_t days = cql_floordiv(secs, 86400), rem = cql_floormod(secs, 86400), y;
	unsigned m, d;
	char buf[32], *p = buf;

	cql_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return false;
	p = put_digits(p, (uint64_t)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = sep;
	p = put_digits(p, (uint64_t)(rem / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t)(rem / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t)(rem % 60), 2);
	if (frac) {
		*p++ = '.';
		p = put_digits(p, (uint64_t)sub, frac);
	}
	*p++ = 'Z';
	sbuf_add(out, buf, (size_t)(p - buf));
	return true;
}

void cql_format_timestamp_ms(int64_t ms, struct sbuf *out)
{
	if (!format_instant(cql_floordiv(ms, 1000), cql_floormod(ms, 1000), 3, 'T', out))
		sbuf_addf(out, "%lld", (long long)ms);
}

void cql_format_time_s(int64_t s, struct sbuf *out)
{
	if (!format_instant(s, 0, 0, 'T', out))
		sbuf_addf(out, "%lld", (long long)s);
}

void cql_format_time_us(int64_t us, struct sbuf *out)
{
	if (!format_instant(cql_floordiv(us, 1000000), cql_floormod(us, 1000000), 6, 'T', out))
		sbuf_addf(out, "%lld", (long long)us);
}

/* ---- big numbers ----------------------------------------------------------- */

/* Appends the decimal digits of the magnitude of a two's complement big-endian
 * integer; sets *neg. */
static int varint_digits(const uint8_t *p, size_t n, bool *neg, struct sbuf *out)
{
	uint32_t *limbs;	/* base 1e9, least significant first */
	size_t nl = 0;
	uint8_t *mag;

	*neg = n && (p[0] & 0x80);
	if (n == 0) {
		sbuf_addc(out, '0');
		return 0;
	}
	if (n > MAX_NUM_BYTES)
		return -E2BIG;
	if (n <= 8) {	/* fits a long, as most amounts do: no bignum needed */
		uint64_t u = *neg ? UINT64_MAX : 0;
		for (size_t i = 0; i < n; i++)
			u = u << 8 | p[i];
		if (*neg)
			u = ~u + 1;	/* the magnitude, INT64_MIN included */
		char digits[20];
		int at = (int)sizeof(digits);
		do {
			digits[--at] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		sbuf_add(out, digits + at, sizeof(digits) - (size_t)at);
		return 0;
	}
	mag = malloc(n);
	limbs = malloc(sizeof(*limbs) * (n * 2 / 7 + 2));
	if (!mag || !limbs) {
		free(mag);
		free(limbs);
		return -ENOMEM;
	}
	memcpy(mag, p, n);
	if (*neg) {	/* two's complement negate */
		int carry = 1;
		for (size_t i = n; i-- > 0;) {
			int v = (uint8_t)~mag[i] + carry;
			mag[i] = (uint8_t)v;
			carry = v >> 8;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t carry = mag[i];
		for (size_t j = 0; j < nl; j++) {
			uint64_t v = (uint64_t)limbs[j] * 256 + carry;
			limbs[j] = (uint32_t)(v % 1000000000u);
			carry = v / 1000000000u;
		}
		while (carry) {
			limbs[nl++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	if (nl == 0)
		sbuf_addc(out, '0');
	else {
		sbuf_addf(out, "%u", limbs[nl - 1]);
		for (size_t j = nl - 1; j-- > 0;)
			sbuf_addf(out, "%09u", limbs[j]);
	}
	free(mag);
	free(limbs);
	return 0;
}

static int render_varint(const uint8_t *p, size_t n, struct sbuf *out)
{
	struct sbuf d;
	bool neg;
	int rc;

	sbuf_init(&d);
	if ((rc = varint_digits(p, n, &neg, &d)) == 0) {
		if (neg)
			sbuf_addc(out, '-');
		sbuf_add(out, d.buf, d.len);
	}
	sbuf_release(&d);
	return rc;
}

/* java.math.BigDecimal.toString(): plain when the exponent is small, else
 * scientific with one digit before the point. */
static int render_decimal(const uint8_t *p, size_t n, struct sbuf *out)
{
	struct sbuf d;
	bool neg;
	int rc;

	if (n < 4)
		return -EBADMSG;
	int64_t scale = (int32_t)be32(p);
	sbuf_init(&d);
	if ((rc = varint_digits(p + 4, n - 4, &neg, &d)) < 0)
		goto out;
	int64_t len = (int64_t)d.len, adjusted = -scale + (len - 1);
	if (neg)
		sbuf_addc(out, '-');
	if (scale == 0) {
		sbuf_add(out, d.buf, d.len);
	} else if (scale > 0 && adjusted >= -6) {
		if (len > scale) {
			sbuf_add(out, d.buf, (size_t)(len - scale));
			sbuf_addc(out, '.');
			sbuf_add(out, d.buf + (len - scale), (size_t)scale);
		} else {
			sbuf_adds(out, "0.");
			for (int64_t i = 0; i < scale - len; i++)
				sbuf_addc(out, '0');
			sbuf_add(out, d.buf, d.len);
		}
	} else {
		sbuf_addc(out, d.buf[0]);
		if (len > 1) {
			sbuf_addc(out, '.');
			sbuf_add(out, d.buf + 1, d.len - 1);
		}
		sbuf_addf(out, "E%s%lld", adjusted >= 0 ? "+" : "", (long long)adjusted);
	}
out:
	sbuf_release(&d);
	return rc;
}

/* The shortest decimal that reads back as the same float/double, written
 * the way Java prints it: plain for moderate exponents ("70.0", "0.001"),
 * else scientific ("1.0E-10"). */
/* Doubles that are a decimal of at most 15 digits (most data: 363.43) are
 * found by scaling, without printf and strtod: if n / 10^k gives back v,
 * rounding v to 15 significant digits gives n * 10^-k too, so the digits are
 * those the general path below would find. */
bool cql_short_decimal(double v, char digits[24], int *nd, int *e)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
				      1e15, 1e16, 1e17, 1e18 };
	double a = v < 0 ? -v : v;
	int e10 = 0;

	if (!(a >= 1e-3 && a < 1e9))
		return false;
	while (e10 < 9 && a >= p10[e10 + 1])
		e10++;
	if (a < 1)
		e10 = a >= 0.1 ? -1 : a >= 0.01 ? -2 : -3;
	for (int k = 0; e10 + 1 + k <= 15 && k <= 18; k++) {
		double scaled = a * p10[k];
		uint64_t n = (uint64_t)(scaled + 0.5);
		if ((double)n / p10[k] != a)
			continue;
		char tmp[24];
		int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
		*e = len - 1 - k;
		while (len > 1 && tmp[len - 1] == '0')
			len--;
		memcpy(digits, tmp, (size_t)len);
		digits[len] = '\0';
		*nd = len;
		return true;
	}
	return false;
}

static void format_float(double v, bool single, char *out, size_t cap)
{
	char buf[48], digits[24];
	int prec, nd = 0, e = 0;
	bool neg = v < 0;

	if (single || !cql_short_decimal(v, digits, &nd, &e)) {
		/* A value whose shortest form has k digits prints as that form when
		 * given the type's full decimal precision less one (15, or 6) */
		for (prec = single ? 6 : 15; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
			if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
				break;
		}
		const char *p = buf;
		neg = *p == '-';
		if (neg)
			p++;
		nd = 0;
		for (; *p && *p != 'e'; p++)
			if (*p != '.' && nd < (int)sizeof(digits) - 1)
				digits[nd++] = *p;
		e = *p == 'e' ? atoi(p + 1) : 0;
		while (nd > 1 && digits[nd - 1] == '0')
			nd--;
		digits[nd] = '\0';
	}
	struct sbuf sb;
	sbuf_init(&sb);
	if (neg)
		sbuf_addc(&sb, '-');
	if (e >= -7 && e < 21) {
		if (e >= 0) {
			for (int i = 0; i <= e; i++)
				sbuf_addc(&sb, i < nd ? digits[i] : '0');
			sbuf_addc(&sb, '.');
			if (e + 1 < nd)
				sbuf_adds(&sb, digits + e + 1);
			else
				sbuf_addc(&sb, '0');
		} else {
			sbuf_adds(&sb, "0.");
			for (int i = 0; i < -e - 1; i++)
				sbuf_addc(&sb, '0');
			sbuf_adds(&sb, digits);
		}
	} else {
		sbuf_addc(&sb, digits[0]);
		sbuf_addc(&sb, '.');
		sbuf_adds(&sb, nd > 1 ? digits + 1 : "0");
		sbuf_addf(&sb, "E%d", e);
	}
	snprintf(out, cap, "%s", sb.buf ? sb.buf : "0.0");
	sbuf_release(&sb);
}

static void render_float(double v, bool single, enum cql_style style, struct sbuf *out)
{
	char buf[64];
	bool quote = style != CQL_STYLE_LITERAL;

	if (isnan(v) || isinf(v)) {
		const char *s = isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
		if (quote)
			sbuf_addf(out, "\"%s\"", s);
		else
			sbuf_adds(out, s);
		return;
	}
	format_float(v, single, buf, sizeof(buf));
	if (style == CQL_STYLE_ROWS)
		sbuf_add_json_str(out, buf, strlen(buf));
	else
		sbuf_adds(out, buf);
}

/* ---- counters --------------------------------------------------------------- */

int cql_counter_shards(const uint8_t *p, size_t n, int (*fn)(void *, const struct cql_counter_shard *), void *ctx,
		       struct pit_err *err)
{
	if (n < 2)
		return pit_errf(err, -EBADMSG, "counter context of %zu bytes is too short", n);
	int16_t hc = (int16_t)be16(p);
	if (hc < 0 || (size_t)2 + 2 * (size_t)hc > n || (n - 2 - 2 * (size_t)hc) % 32)
		return pit_errf(err, -EBADMSG, "counter context: %d header entries do not fit %zu bytes", hc, n);
	size_t base = 2 + 2 * (size_t)hc, nshards = (n - base) / 32;
	for (size_t i = 0; i < nshards; i++) {
		struct cql_counter_shard s;
		const uint8_t *sp = p + base + 32 * i;
		s.id = sp;
		s.clock = (int64_t)be64(sp + 16);
		s.count = (int64_t)be64(sp + 24);
		s.kind = 2;
		for (int h = 0; h < hc; h++) {
			int16_t e = (int16_t)be16(p + 2 + 2 * h);
			if (e < 0 && (size_t)(e - INT16_MIN) == i)
				s.kind = 0;
			else if (e >= 0 && (size_t)e == i)
				s.kind = 1;
		}
		int rc = fn(ctx, &s);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_count(void *ctx, const struct cql_counter_shard *s)
{
	int64_t *total = ctx;
	*total = (int64_t)((uint64_t)*total + (uint64_t)s->count);
	return 0;
}

int cql_counter_total(const uint8_t *p, size_t n, int64_t *total, struct pit_err *err)
{
	*total = 0;
	return cql_counter_shards(p, n, add_count, total, err);
}

/* ---- rendering --------------------------------------------------------------- */

static int bad(struct pit_err *err, const struct cql_type *t, size_t n, const char *why)
{
	struct sbuf ts;
	sbuf_init(&ts);
	cql_type_to_cql(t, &ts);
	pit_errf(err, -EBADMSG, "malformed %s value of %zu bytes: %s", ts.buf ? ts.buf : "?", n, why);
	sbuf_release(&ts);
	return -EBADMSG;
}

static void render_quoted(const uint8_t *p, size_t n, enum cql_style style, struct sbuf *out)
{
	if (style != CQL_STYLE_LITERAL) {
		sbuf_add_json_str(out, p, n);
		return;
	}
	/* quotes doubled: each run up to one and the quote added at once */
	sbuf_addc(out, '\'');
	for (const uint8_t *q; n && (q = memchr(p, '\'', n)); n -= (size_t)(q + 1 - p), p = q + 1) {
		sbuf_add(out, p, (size_t)(q + 1 - p));
		sbuf_addc(out, '\'');
	}
	sbuf_add(out, p, n);
	sbuf_addc(out, '\'');
}

/* Renders text that is a string in every style ('…' in CQL, "…" in JSON). */
static void render_strlike(const char *s, enum cql_style style, struct sbuf *out)
{
	render_quoted((const uint8_t *)s, strlen(s), style, out);
}

static void render_uuid(const uint8_t *p, enum cql_style style, struct sbuf *out)
{
	char s[37];
	static const char hex[] = "0123456789abcdef";
	int j = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[j++] = '-';
		s[j++] = hex[p[i] >> 4];
		s[j++] = hex[p[i] & 15];
	}
	s[j] = '\0';
	if (style == CQL_STYLE_LITERAL)
		sbuf_adds(out, s);
	else
		sbuf_addf(out, "\"%s\"", s);
}

void cql_duration_text(struct sbuf *out, int64_t months, int64_t days, int64_t nanos)
{
	static const struct { uint64_t div; const char *unit; } parts[] = {
		{ 3600000000000ull, "h" }, { 60000000000ull, "m" }, { 1000000000ull, "s" },
		{ 1000000ull, "ms" }, { 1000ull, "us" }, { 1, "ns" },
	};
	uint64_t um = months < 0 ? -(uint64_t)months : (uint64_t)months;
	uint64_t ud = days < 0 ? -(uint64_t)days : (uint64_t)days;
	uint64_t un = nanos < 0 ? -(uint64_t)nanos : (uint64_t)nanos;

	if (months < 0 || days < 0 || nanos < 0)
		sbuf_addc(out, '-');
	if (um >= 12)
		sbuf_addf(out, "%lluy", (unsigned long long)(um / 12));
	if (um % 12)
		sbuf_addf(out, "%llumo", (unsigned long long)(um % 12));
	if (ud)
		sbuf_addf(out, "%llud", (unsigned long long)ud);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && un; i++) {
		if (un >= parts[i].div) {
			sbuf_addf(out, "%llu%s", (unsigned long long)(un / parts[i].div), parts[i].unit);
			un %= parts[i].div;
		}
	}
}

static void render_duration(int64_t months, int64_t days, int64_t nanos, enum cql_style style, struct sbuf *out)
{
	struct sbuf s;

	sbuf_init(&s);
	cql_duration_text(&s, months, days, nanos);
	if (!months && !days && !nanos)
		sbuf_adds(&s, "0s");
	if (style == CQL_STYLE_LITERAL)
		sbuf_add(out, s.buf, s.len);
	else
		sbuf_add_json_str(out, s.buf, s.len);
	sbuf_release(&s);
}

/* Reads a signed vint (duration fields) from [*p, end). */
static bool get_vint(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	uint64_t u;
	int k = uvint_get(*p, end, &u);
	if (!k)
		return false;
	*p += k;
	*v = zigzag_dec(u);
	return true;
}

/* Frozen collections and tuples nest values as i32 length + bytes. */
bool cql_get_i32_value(const uint8_t **p, const uint8_t *end, const uint8_t **v, int32_t *len)
{
	if (end - *p < 4)
		return false;
	*len = (int32_t)be32(*p);
	*p += 4;
	if (*len < 0) {
		*v = NULL;
		return true;
	}
	if ((size_t)(end - *p) < (size_t)*len)
		return false;
	*v = *p;
	*p += *len;
	return true;
}

static int render(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
		  struct sbuf *out, struct pit_err *err, int depth);

static void render_null(struct sbuf *out)
{
	sbuf_adds(out, "null");
}

/* A map key in SELECT JSON output is always a JSON string. */
static int render_json_key(const struct cql_type *kt, const uint8_t *k, size_t kn, struct sbuf *out,
			   struct pit_err *err, int depth)
{
	struct sbuf ks;
	int rc;

	sbuf_init(&ks);
	rc = render(kt, k, kn, CQL_STYLE_JSON, &ks, err, depth + 1);
	if (rc == 0) {
		if (ks.len && ks.buf[0] == '"')
			sbuf_add(out, ks.buf, ks.len);
		else
			sbuf_add_json_str(out, ks.buf, ks.len);
	}
	sbuf_release(&ks);
	return rc;
}

static int render_frozen_collection(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
				    struct sbuf *out, struct pit_err *err, int depth)
{
	const uint8_t *q = p, *end = p + n;
	enum cql_kind k = cql_type_kind(t);
	int32_t count;
	int rc;

	if (n < 4)
		return bad(err, t, n, "missing element count");
	count = (int32_t)be32(q);
	q += 4;
	if (count < 0 || (size_t)count > n)
		return bad(err, t, n, "bad element count");
	bool lit = style == CQL_STYLE_LITERAL;
	if (k == CQL_MAP)
		sbuf_addc(out, lit ? '{' : style == CQL_STYLE_JSON ? '{' : '[');
	else
		sbuf_addc(out, lit && k == CQL_SET ? '{' : '[');
	for (int32_t i = 0; i < count; i++) {
		const uint8_t *v, *kv = NULL;
		int32_t vl, kl = 0;
		if (i)
			sbuf_adds(out, ", ");
		if (k == CQL_MAP) {
			if (!cql_get_i32_value(&q, end, &kv, &kl) || !kv)
				return bad(err, t, n, "truncated map key");
		}
		if (!cql_get_i32_value(&q, end, &v, &vl))
			return bad(err, t, n, "truncated element");
		if (k == CQL_MAP) {
			const struct cql_type *kt = cql_type_sub(t, 0), *vt = cql_type_sub(t, 1);
			if (style == CQL_STYLE_ROWS)
				sbuf_addc(out, '[');
			if (style == CQL_STYLE_JSON)
				rc = render_json_key(kt, kv, (size_t)kl, out, err, depth);
			else
				rc = render(kt, kv, (size_t)kl, style, out, err, depth + 1);
			if (rc < 0)
				return rc;
			sbuf_adds(out, style == CQL_STYLE_ROWS ? ", " : ": ");
			if (!v)
				render_null(out);
			else if ((rc = render(vt, v, (size_t)vl, style, out, err, depth + 1)) < 0)
				return rc;
			if (style == CQL_STYLE_ROWS)
				sbuf_addc(out, ']');
		} else if (!v) {
			render_null(out);
		} else if ((rc = render(cql_type_sub(t, 0), v, (size_t)vl, style, out, err, depth + 1)) < 0) {
			return rc;
		}
	}
	if (q != end)
		return bad(err, t, n, "trailing bytes after the last element");
	if (k == CQL_MAP)
		sbuf_addc(out, lit ? '}' : style == CQL_STYLE_JSON ? '}' : ']');
	else
		sbuf_addc(out, lit && k == CQL_SET ? '}' : ']');
	return 0;
}

static void render_field_name(const char *name, enum cql_style style, struct sbuf *out)
{
	if (style == CQL_STYLE_LITERAL)
		sbuf_adds(out, name);
	else
		sbuf_add_json_str(out, name, strlen(name));
	sbuf_adds(out, ": ");
}

/* Tuples and frozen UDTs: per field i32 length (-1 null); trailing fields may
 * be absent (null). */
static int render_fields(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
			 struct sbuf *out, struct pit_err *err, int depth)
{
	const uint8_t *q = p, *end = p + n;
	bool udt = cql_type_kind(t) == CQL_UDT;
	int nf = cql_type_nsub(t), rc;

	sbuf_addc(out, udt ? '{' : style == CQL_STYLE_LITERAL ? '(' : '[');
	for (int i = 0; i < nf; i++) {
		const uint8_t *v = NULL;
		int32_t vl = -1;
		if (i)
			sbuf_adds(out, ", ");
		if (udt)
			render_field_name(cql_type_field(t, i), style, out);
		if (q < end && !cql_get_i32_value(&q, end, &v, &vl))
			return bad(err, t, n, "truncated field");
		if (!v)
			render_null(out);
		else if ((rc = render(cql_type_sub(t, i), v, (size_t)vl, style, out, err, depth + 1)) < 0)
			return rc;
	}
	if (q != end)
		return bad(err, t, n, "more fields than the type has");
	sbuf_addc(out, udt ? '}' : style == CQL_STYLE_LITERAL ? ')' : ']');
	return 0;
}

static int render_vector(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
			 struct sbuf *out, struct pit_err *err, int depth)
{
	const struct cql_type *et = cql_type_sub(t, 0);
	int fixed = cql_type_fixed_len(et), dim = cql_type_vector_dim(t), rc;
	const uint8_t *q = p, *end = p + n;

	sbuf_addc(out, '[');
	for (int i = 0; i < dim; i++) {
		uint64_t len;
		if (i)
			sbuf_adds(out, ", ");
		if (fixed >= 0) {
			len = (uint64_t)fixed;
		} else {
			int k = uvint_get(q, end, &len);
			if (!k)
				return bad(err, t, n, "truncated element length");
			q += k;
		}
		if ((uint64_t)(end - q) < len)
			return bad(err, t, n, "truncated element");
		if ((rc = render(et, q, (size_t)len, style, out, err, depth + 1)) < 0)
			return rc;
		q += len;
	}
	if (q != end)
		return bad(err, t, n, "trailing bytes");
	sbuf_addc(out, ']');
	return 0;
}

static const char *blob_fn_name(enum cql_kind k)
{
	switch (k) {
	case CQL_BOOLEAN: return "Boolean";
	case CQL_INT: return "Int";
	case CQL_BIGINT: return "Bigint";
	case CQL_SMALLINT: return "Smallint";
	case CQL_TINYINT: return "Tinyint";
	case CQL_VARINT: return "Varint";
	case CQL_DECIMAL: return "Decimal";
	case CQL_FLOAT: return "Float";
	case CQL_DOUBLE: return "Double";
	case CQL_UUID: return "Uuid";
	case CQL_TIMEUUID: return "Timeuuid";
	case CQL_TIMESTAMP: return "Timestamp";
	case CQL_DATE: return "Date";
	case CQL_TIME: return "Time";
	case CQL_DURATION: return "Duration";
	case CQL_INET: return "Inet";
	default: return NULL;
	}
}

static int render(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
		  struct sbuf *out, struct pit_err *err, int depth)
{
	enum cql_kind k = cql_type_kind(t);
	bool lit = style == CQL_STYLE_LITERAL;
	char buf[64];

	if (depth > 64)
		return bad(err, t, n, "nested too deeply");
	/* An empty value of a non-string type means "no value" (blobAsInt(0x)). */
	if (n == 0 && k != CQL_ASCII && k != CQL_TEXT && k != CQL_BLOB && k != CQL_CUSTOM && k != CQL_EMPTY &&
	    k != CQL_DYNCOMPOSITE) {
		const char *fn = blob_fn_name(k);
		if (style == CQL_STYLE_ROWS)
			sbuf_adds(out, "{\"$bytes\": \"\"}");
		else if (lit && fn)
			sbuf_addf(out, "blobAs%s(0x)", fn);
		else
			render_null(out);
		return 0;
	}
	switch (k) {
	case CQL_ASCII:
	case CQL_TEXT:
		render_quoted(p, n, style, out);
		return 0;
	case CQL_BLOB:
	case CQL_CUSTOM:
	case CQL_DYNCOMPOSITE:
	case CQL_EMPTY:
	case CQL_LEXICALUUID:
		if (!lit)
			sbuf_addc(out, '"');
		sbuf_adds(out, "0x");
		sbuf_addhex(out, p, n);
		if (!lit)
			sbuf_addc(out, '"');
		return 0;
	case CQL_BOOLEAN:
		if (n != 1)
			return bad(err, t, n, "expected 1 byte");
		sbuf_adds(out, p[0] ? "true" : "false");
		return 0;
	case CQL_TINYINT:
	case CQL_SMALLINT:
	case CQL_INT:
	case CQL_BIGINT: {	/* formatted by hand: this runs for every number of every row */
		size_t w = k == CQL_TINYINT ? 1 : k == CQL_SMALLINT ? 2 : k == CQL_INT ? 4 : 8;
		if (n != w) {
			snprintf(buf, sizeof(buf), "expected %zu byte%s", w, w > 1 ? "s" : "");
			return bad(err, t, n, buf);
		}
		uint64_t u = 0;
		for (size_t i = 0; i < w; i++)
			u = u << 8 | p[i];
		sbuf_add_i64(out, (int64_t)(u << (64 - 8 * w)) >> (64 - 8 * w));	/* sign-extended */
		return 0;
	}
	case CQL_COUNTER: {
		int64_t total;
		if (n == 8) {	/* a plain long: counter values as clients send them */
			total = (int64_t)be64(p);
		} else if (cql_counter_total(p, n, &total, err) < 0) {
			return -EBADMSG;
		}
		sbuf_add_i64(out, total);
		return 0;
	}
	case CQL_VARINT:
	case CQL_DECIMAL: {
		struct sbuf num;
		int rc;
		sbuf_init(&num);
		rc = k == CQL_VARINT ? render_varint(p, n, &num) : render_decimal(p, n, &num);
		if (rc == 0) {
			if (style == CQL_STYLE_ROWS)
				sbuf_add_json_str(out, num.buf, num.len);
			else
				sbuf_add(out, num.buf, num.len);
		}
		sbuf_release(&num);
		if (rc == -E2BIG)
			return bad(err, t, n, "too large to render in decimal");
		return rc < 0 ? bad(err, t, n, "cannot decode") : 0;
	}
	case CQL_FLOAT: {
		if (n != 4)
			return bad(err, t, n, "expected 4 bytes");
		uint32_t u = be32(p);
		float f;
		memcpy(&f, &u, 4);
		render_float(f, true, style, out);
		return 0;
	}
	case CQL_DOUBLE: {
		if (n != 8)
			return bad(err, t, n, "expected 8 bytes");
		uint64_t u = be64(p);
		double d;
		memcpy(&d, &u, 8);
		render_float(d, false, style, out);
		return 0;
	}
	case CQL_UUID:
	case CQL_TIMEUUID:
		if (n != 16)
			return bad(err, t, n, "expected 16 bytes");
		render_uuid(p, style, out);
		return 0;
	case CQL_TIMESTAMP: {
		if (n != 8)
			return bad(err, t, n, "expected 8 bytes");
		int64_t ms = (int64_t)be64(p);
		struct sbuf ts;
		sbuf_init(&ts);
		if (!format_instant(cql_floordiv(ms, 1000), cql_floormod(ms, 1000), 3, style == CQL_STYLE_JSON ? ' ' : 'T', &ts))
			sbuf_addf(out, "%lld", (long long)ms);
		else
			render_strlike(ts.buf, style, out);
		sbuf_release(&ts);
		return 0;
	}
	case CQL_DATE: {
		if (n != 4)
			return bad(err, t, n, "expected 4 bytes");
		int64_t days = (int64_t)be32(p) - (1ll << 31), y;
		unsigned m, d;
		cql_civil_from_days(days, &y, &m, &d);
		if (y < 0 || y > 9999)
			snprintf(buf, sizeof(buf), "%u", be32(p));
		else
			snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", (long long)y, m, d);
		render_strlike(buf, style, out);
		return 0;
	}
	case CQL_TIME: {
		if (n != 8)
			return bad(err, t, n, "expected 8 bytes");
		int64_t ns = (int64_t)be64(p);
		if (ns < 0 || ns >= 86400000000000ll)
			return bad(err, t, n, "time of day out of range");
		snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld.%09lld", (long long)(ns / 3600000000000ll),
			 (long long)(ns / 60000000000ll % 60), (long long)(ns / 1000000000ll % 60),
			 (long long)(ns % 1000000000ll));
		render_strlike(buf, style, out);
		return 0;
	}
	case CQL_DURATION: {
		const uint8_t *q = p, *end = p + n;
		int64_t mo, d, ns;
		if (!get_vint(&q, end, &mo) || !get_vint(&q, end, &d) || !get_vint(&q, end, &ns) || q != end)
			return bad(err, t, n, "expected three vints");
		if (mo < INT32_MIN || mo > INT32_MAX || d < INT32_MIN || d > INT32_MAX)
			return bad(err, t, n, "months or days out of range");
		render_duration(mo, d, ns, style, out);
		return 0;
	}
	case CQL_INET: {
		if (n != 4 && n != 16)
			return bad(err, t, n, "expected 4 or 16 bytes");
		inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf, sizeof(buf));
		render_strlike(buf, style, out);
		return 0;
	}
	case CQL_LIST:
	case CQL_SET:
	case CQL_MAP:
		return render_frozen_collection(t, p, n, style, out, err, depth);
	case CQL_TUPLE:
	case CQL_UDT:
		return render_fields(t, p, n, style, out, err, depth);
	case CQL_VECTOR:
		return render_vector(t, p, n, style, out, err, depth);
	case CQL_COMPOSITE: {
		const uint8_t *vals[64];
		size_t lens[64];
		int nc = cql_composite_split(p, n, vals, lens, 64), rc;
		if (nc < 0)
			return bad(err, t, n, "bad composite encoding");
		sbuf_addc(out, lit ? '(' : '[');
		for (int i = 0; i < nc && i < cql_type_nsub(t); i++) {
			if (i)
				sbuf_adds(out, ", ");
			if ((rc = render(cql_type_sub(t, i), vals[i], lens[i], style, out, err, depth + 1)) < 0)
				return rc;
		}
		sbuf_addc(out, lit ? ')' : ']');
		return 0;
	}
	}
	return bad(err, t, n, "unknown type");
}

int cql_value_render(const struct cql_type *t, const uint8_t *p, size_t n, enum cql_style style,
		     struct sbuf *out, struct pit_err *err)
{
	return render(t, p, n, style, out, err, 0);
}

int cql_elements_render(const struct cql_type *t, const struct cql_element *el, size_t n,
			enum cql_style style, struct sbuf *out, struct pit_err *err)
{
	enum cql_kind k = cql_type_kind(t);
	bool lit = style == CQL_STYLE_LITERAL;
	int rc;

	if (k == CQL_UDT) {
		int nf = cql_type_nsub(t);
		size_t j = 0;
		sbuf_addc(out, '{');
		for (int i = 0; i < nf; i++) {
			if (i)
				sbuf_adds(out, ", ");
			render_field_name(cql_type_field(t, i), style, out);
			while (j < n && (el[j].path_len != 2 || (int16_t)be16(el[j].path) < i))
				j++;
			if (j < n && (int16_t)be16(el[j].path) == i) {
				rc = render(cql_type_sub(t, i), el[j].value, el[j].value_len, style, out, err, 1);
				if (rc < 0)
					return rc;
			} else {
				render_null(out);
			}
		}
		sbuf_addc(out, '}');
		return 0;
	}
	if (k == CQL_MAP)
		sbuf_addc(out, lit || style == CQL_STYLE_JSON ? '{' : '[');
	else
		sbuf_addc(out, lit && k == CQL_SET ? '{' : '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_adds(out, ", ");
		if (k == CQL_SET) {
			rc = render(cql_type_sub(t, 0), el[i].path, el[i].path_len, style, out, err, 1);
		} else if (k == CQL_LIST) {
			rc = render(cql_type_sub(t, 0), el[i].value, el[i].value_len, style, out, err, 1);
		} else {
			const struct cql_type *kt = cql_type_sub(t, 0);
			if (style == CQL_STYLE_ROWS)
				sbuf_addc(out, '[');
			if (style == CQL_STYLE_JSON)
				rc = render_json_key(kt, el[i].path, el[i].path_len, out, err, 1);
			else
				rc = render(kt, el[i].path, el[i].path_len, style, out, err, 1);
			if (rc < 0)
				return rc;
			sbuf_adds(out, style == CQL_STYLE_ROWS ? ", " : ": ");
			rc = render(cql_type_sub(t, 1), el[i].value, el[i].value_len, style, out, err, 1);
			if (style == CQL_STYLE_ROWS)
				sbuf_addc(out, ']');
		}
		if (rc < 0)
			return rc;
	}
	if (k == CQL_MAP)
		sbuf_addc(out, lit || style == CQL_STYLE_JSON ? '}' : ']');
	else
		sbuf_addc(out, lit && k == CQL_SET ? '}' : ']');
	return 0;
}

/* ---- comparison -------------------------------------------------------------- */

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static int cmp_signed_be(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	if (an != bn || an == 0)
		return cmp_bytes(a, an, b, bn);
	int sa = (int8_t)a[0], sb = (int8_t)b[0];
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return cmp_bytes(a + 1, an - 1, b + 1, bn - 1);
}

static int cmp_varint(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	bool na = an && (a[0] & 0x80), nb = bn && (b[0] & 0x80);
	if (na != nb)
		return na ? -1 : 1;
	/* drop redundant sign bytes so lengths compare magnitudes */
	while (an > 1 && ((a[0] == 0 && !(a[1] & 0x80)) || (a[0] == 0xff && (a[1] & 0x80))))
		a++, an--;
	while (bn > 1 && ((b[0] == 0 && !(b[1] & 0x80)) || (b[0] == 0xff && (b[1] & 0x80))))
		b++, bn--;
	if (an != bn)
		return (an < bn) != na ? -1 : 1;
	int c = an ? memcmp(a, b, an) : 0;
	return c < 0 ? -1 : c > 0;
}

static int cmp_decimal(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	struct sbuf da, db;
	bool nega, negb;
	int c;

	if (an < 4 || bn < 4)
		return cmp_bytes(a, an, b, bn);
	sbuf_init(&da);
	sbuf_init(&db);
	if (varint_digits(a + 4, an - 4, &nega, &da) < 0 || varint_digits(b + 4, bn - 4, &negb, &db) < 0 ||
	    da.oom || db.oom) {
		c = cmp_bytes(a, an, b, bn);
		goto out;
	}
	bool za = da.len == 1 && da.buf[0] == '0', zb = db.len == 1 && db.buf[0] == '0';
	int sa = za ? 0 : nega ? -1 : 1, sb = zb ? 0 : negb ? -1 : 1;
	if (sa != sb || sa == 0) {
		c = sa < sb ? -1 : sa > sb;
		goto out;
	}
	int64_t adja = (int64_t)da.len - 1 - (int32_t)be32(a), adjb = (int64_t)db.len - 1 - (int32_t)be32(b);
	if (adja != adjb) {
		c = adja < adjb ? -1 : 1;
	} else {
		size_t m = da.len > db.len ? da.len : db.len;
		c = 0;
		for (size_t i = 0; i < m && !c; i++) {
			char ca = i < da.len ? da.buf[i] : '0', cb = i < db.len ? db.buf[i] : '0';
			c = ca < cb ? -1 : ca > cb;
		}
	}
	if (sa < 0)
		c = -c;
out:
	sbuf_release(&da);
	sbuf_release(&db);
	return c;
}

/* Java's Float.compare/Double.compare: -0.0 < 0.0, NaN above everything. */
static int cmp_float(const uint8_t *a, const uint8_t *b, bool single)
{
	int64_t ia, ib;
	if (single) {
		uint32_t ua = be32(a), ub = be32(b);
		float fa, fb;
		memcpy(&fa, &ua, 4);
		memcpy(&fb, &ub, 4);
		if (isnan(fa)) ua = 0x7fc00000u;
		if (isnan(fb)) ub = 0x7fc00000u;
		ia = (int32_t)ua;
		ib = (int32_t)ub;
		ia ^= (ia >> 31) & 0x7fffffff;
		ib ^= (ib >> 31) & 0x7fffffff;
	} else {
		uint64_t ua = be64(a), ub = be64(b);
		double fa, fb;
		memcpy(&fa, &ua, 8);
		memcpy(&fb, &ub, 8);
		if (isnan(fa)) ua = 0x7ff8000000000000ull;
		if (isnan(fb)) ub = 0x7ff8000000000000ull;
		ia = (int64_t)ua;
		ib = (int64_t)ub;
		ia ^= (ia >> 63) & INT64_MAX;
		ib ^= (ib >> 63) & INT64_MAX;
	}
	return ia < ib ? -1 : ia > ib;
}

/* A version-1 UUID's timestamp, rearranged so that it compares as a number
 * (version nibble on top). */
static int64_t uuid_time_order(uint64_t msb)
{
	return (int64_t)((msb << 48) | ((msb << 16) & 0xFFFF00000000ull) | (msb >> 32));
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }
static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int cmp_uuid(const uint8_t *a, const uint8_t *b, bool timeuuid)
{
	uint64_t ma = be64(a), mb = be64(b);
	int c;

	if (timeuuid) {
		if ((c = cmp_i64(uuid_time_order(ma), uuid_time_order(mb))))
			return c;
		/* a signed per-byte comparison of the low half, kept for compatibility */
		return cmp_i64((int64_t)(be64(a + 8) ^ 0x0080808080808080ull),
			       (int64_t)(be64(b + 8) ^ 0x0080808080808080ull));
	}
	int va = (int)(ma >> 12 & 0xf), vb = (int)(mb >> 12 & 0xf);
	if (va != vb)
		return va < vb ? -1 : 1;
	c = va == 1 ? cmp_i64(uuid_time_order(ma), uuid_time_order(mb)) : cmp_u64(ma, mb);
	return c ? c : cmp_u64(be64(a + 8), be64(b + 8));
}

static int compare(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int depth);

static int cmp_collection(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
			  int depth)
{
	const uint8_t *pa = a + 4, *pb = b + 4, *ea = a + an, *eb = b + bn;
	bool map = cql_type_kind(t) == CQL_MAP;

	if (an < 4 || bn < 4)
		return cmp_bytes(a, an, b, bn);
	int32_t ca = (int32_t)be32(a), cb = (int32_t)be32(b);
	for (int32_t i = 0; i < ca && i < cb; i++) {
		for (int part = 0; part < (map ? 2 : 1); part++) {
			const uint8_t *va, *vb;
			int32_t la, lb;
			if (!cql_get_i32_value(&pa, ea, &va, &la) || !cql_get_i32_value(&pb, eb, &vb, &lb))
				return cmp_bytes(a, an, b, bn);
			if (!va || !vb) {
				if (va != vb)
					return va ? 1 : -1;
				continue;
			}
			int c = compare(cql_type_sub(t, map ? part : 0), va, (size_t)la, vb, (size_t)lb, depth + 1);
			if (c)
				return c;
		}
	}
	return ca < cb ? -1 : ca > cb;
}

static int cmp_fields(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int depth)
{
	const uint8_t *pa = a, *pb = b, *ea = a + an, *eb = b + bn;

	for (int i = 0; i < cql_type_nsub(t) && pa < ea && pb < eb; i++) {
		const uint8_t *va, *vb;
		int32_t la, lb;
		if (!cql_get_i32_value(&pa, ea, &va, &la) || !cql_get_i32_value(&pb, eb, &vb, &lb))
			return cmp_bytes(a, an, b, bn);
		if (!va || !vb) {
			if (va != vb)
				return va ? 1 : -1;
			continue;
		}
		int c = compare(cql_type_sub(t, i), va, (size_t)la, vb, (size_t)lb, depth + 1);
		if (c)
			return c;
	}
	/* a value with more (non-null) fields sorts after */
	return (pa < ea) - (pb < eb);
}

static int compare(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int depth)
{
	enum cql_kind k = cql_type_kind(t);
	int c;

	if (an == 0 || bn == 0)
		return an ? 1 : bn ? -1 : 0;	/* empty sorts first, reversed or not */
	if (depth > 64)
		return cmp_bytes(a, an, b, bn);
	switch (k) {
	case CQL_INT: case CQL_BIGINT: case CQL_SMALLINT: case CQL_TINYINT: case CQL_TIMESTAMP: case CQL_TIME:
		c = cmp_signed_be(a, an, b, bn);
		break;
	case CQL_VARINT:
		c = cmp_varint(a, an, b, bn);
		break;
	case CQL_DECIMAL:
		c = cmp_decimal(a, an, b, bn);
		break;
	case CQL_FLOAT:
	case CQL_DOUBLE:
		c = an == bn && an == (k == CQL_FLOAT ? 4u : 8u) ? cmp_float(a, b, k == CQL_FLOAT) : cmp_bytes(a, an, b, bn);
		break;
	case CQL_UUID:
	case CQL_TIMEUUID:
		c = an == 16 && bn == 16 ? cmp_uuid(a, b, k == CQL_TIMEUUID) : cmp_bytes(a, an, b, bn);
		break;
	case CQL_LIST: case CQL_SET: case CQL_MAP:
		c = cmp_collection(t, a, an, b, bn, depth);
		break;
	case CQL_TUPLE: case CQL_UDT:
		c = cmp_fields(t, a, an, b, bn, depth);
		break;
	case CQL_COMPOSITE: {
		const uint8_t *va[64], *vb[64];
		size_t la[64], lb[64];
		int na = cql_composite_split(a, an, va, la, 64), nb = cql_composite_split(b, bn, vb, lb, 64);
		if (na < 0 || nb < 0) {
			c = cmp_bytes(a, an, b, bn);
			break;
		}
		c = 0;
		for (int i = 0; i < na && i < nb && i < cql_type_nsub(t) && !c; i++)
			c = compare(cql_type_sub(t, i), va[i], la[i], vb[i], lb[i], depth + 1);
		if (!c)
			c = na < nb ? -1 : na > nb;
		break;
	}
	default:	/* text, ascii, blob, inet, boolean, date, custom: unsigned bytes */
		c = cmp_bytes(a, an, b, bn);
	}
	return cql_type_reversed(t) ? -c : c;
}

int cql_value_compare(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return compare(t, a, an, b, bn, 0);
}

int cql_path_compare(const struct cql_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	switch (cql_type_kind(t)) {
	case CQL_LIST:
		return an == 16 && bn == 16 ? cmp_uuid(a, b, true) : cmp_bytes(a, an, b, bn);
	case CQL_SET:
	case CQL_MAP: {
		/* element order ignores any reversal of the column itself */
		return compare(cql_type_sub(t, 0), a, an, b, bn, 1);
	}
	case CQL_UDT:
		return cmp_signed_be(a, an, b, bn);
	default:
		return cmp_bytes(a, an, b, bn);
	}
}

int cql_composite_split(const uint8_t *p, size_t n, const uint8_t **vals, size_t *lens, int max)
{
	size_t off = 0;
	int k = 0;

	while (off < n) {
		if (k >= max || n - off < 3)
			return -EBADMSG;
		size_t len = be16(p + off);
		off += 2;
		if (n - off < len + 1)
			return -EBADMSG;
		vals[k] = p + off;
		lens[k] = len;
		k++;
		off += len + 1;	/* the end-of-component byte */
	}
	return k;
}

void cql_time_us_str(int64_t us, char out[40])
{
	struct sbuf sb;

	sbuf_init(&sb);
	cql_format_time_us(us, &sb);
	snprintf(out, 40, "%s", sb.buf ? sb.buf : "?");
	sbuf_release(&sb);
}
