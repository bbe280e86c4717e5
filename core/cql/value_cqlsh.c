/* Values as cqlsh's COPY TO writes them (pylib/cqlshlib/formatting.py with
 * copyutil's options: NULL '', FLOATPRECISION 5, DOUBLEPRECISION 12,
 * BOOLSTYLE True/False, timestamps "%Y-%m-%d %H:%M:%S.%f%z" cut to
 * milliseconds), on the values the Python driver deserializes. Inside a
 * collection, UDT or tuple, text, timestamps and inet addresses are quoted
 * CQL-style; sets and maps are ordered as Python sorts the driver's values. */
#include "core/cql/value.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value_impl.h"
#include "core/util/bytes.h"

static int bad(struct pit_err *err, size_t n, const char *why)
{
	return pit_errf(err, -EBADMSG, "malformed value (%zu bytes): %s", n, why);
}

/* format_value_text: backslashes doubled, C0 controls and U+007F..U+00A0 as
 * Python's repr() writes them; quoted: single quotes doubled, in '…'. */
static void text(const uint8_t *p, size_t n, bool quote, struct sbuf *out)
{
	static const char hex[] = "0123456789abcdef";

	if (quote)
		sbuf_addc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0xa0)
			c = p[++i];	/* U+0080..U+00A0 */
		else if (c >= 0x20 && c != 0x7f) {
			if (c == '\\' || (quote && c == '\''))
				sbuf_addc(out, (char)c);
			sbuf_addc(out, (char)c);
			continue;
		}
		if (c == '\t')
			sbuf_adds(out, "\\t");
		else if (c == '\n')
			sbuf_adds(out, "\\n");
		else if (c == '\r')
			sbuf_adds(out, "\\r");
		else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			sbuf_add(out, e, 4);
		}
	}
	if (quote)
		sbuf_addc(out, '\'');
}

/* format_floating_point_type: %g with the precision raised by the digits
 * left of the point while that keeps %g from scientific notation. */
static void floating(double v, int precision, struct sbuf *out)
{
	if (isnan(v)) {
		sbuf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		sbuf_adds(out, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (fabs(v) > 2.220446049250313e-16) {
		double e = trunc(log10(fabs(v)));	/* Python's int() truncates */
		if (e >= -4 && e < precision)
			precision += (int)e + 1;
	}
	/* Most data is a short decimal (363.43): when it has no more digits
	 * than the precision and the precision is at most 15, %g rounds the
	 * double back to exactly that decimal, in fixed notation (the value is
	 * in [1e-3, 1e9)); written here without printf. */
	char digits[24];
	int nd, e10;
	if (precision <= 15 && cql_short_decimal(v, digits, &nd, &e10) && nd <= precision) {
		if (v < 0)
			sbuf_addc(out, '-');
		if (e10 < 0) {
			sbuf_adds(out, "0.");
			for (int i = 0; i < -e10 - 1; i++)
				sbuf_addc(out, '0');
			sbuf_add(out, digits, (size_t)nd);
		} else {
			for (int i = 0; i <= e10; i++)
				sbuf_addc(out, i < nd ? digits[i] : '0');
			if (nd > e10 + 1) {
				sbuf_addc(out, '.');
				sbuf_add(out, digits + e10 + 1, (size_t)(nd - e10 - 1));
			}
		}
		return;
	}
	sbuf_addf(out, "%.*g", precision, v);
}

/* v's last width decimal digits, zero-padded. */
static void put_digits(char *p, unsigned v, int width)
{
	for (int k = width - 1; k >= 0; k--, v /= 10)
		p[k] = (char)('0' + v % 10);
}

static void timestamp(int64_t ms, bool quote, struct sbuf *out)
{
	int64_t s = cql_floordiv(ms, 1000), sub = cql_floormod(ms, 1000);
	int64_t days = cql_floordiv(s, 86400), sod = cql_floormod(s, 86400), y;
	unsigned m, d;

	cql_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999) {	/* beyond Python's datetime: cqlsh prints the number */
		sbuf_addf(out, "%lld", (long long)ms);
		return;
	}
	if (y < 1000) {	/* glibc's %Y does not pad */
		sbuf_addf(out, "%s%lld-%02u-%02u %02lld:%02lld:%02lld.%03lld+0000%s", quote ? "'" : "", (long long)y, m,
			  d, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60), (long long)sub,
			  quote ? "'" : "");
		return;
	}
	/* one row in two has a timestamp: by hand, not printf */
	char b[32], *p = b;
	unsigned v[7] = { (unsigned)y, m, d, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
			  (unsigned)sub };
	static const char sep[] = "-- ::.";
	static const int width[] = { 4, 2, 2, 2, 2, 2, 3 };
	if (quote)
		*p++ = '\'';
	for (int i = 0; i < 7; i++) {
		put_digits(p, v[i], width[i]);
		p += width[i];
		if (i < 6)
			*p++ = sep[i];
	}
	memcpy(p, "+0000", 5);
	p += 5;
	if (quote)
		*p++ = '\'';
	sbuf_add(out, b, (size_t)(p - b));
}

static int render(const struct cql_type *t, const uint8_t *p, size_t n, int depth, struct sbuf *out,
		  struct pit_err *err);

/* ---- Python's order for sets and map keys ------------------------------------ */

/* The driver gives uuid.UUID (ordered by its 128-bit integer) and inet as
 * str (ordered as text), where Cassandra orders by time and by bytes; every
 * other type Python orders as Cassandra does. */
static bool python_orders_differently(const struct cql_type *t)
{
	enum cql_kind k = cql_type_kind(t);
	return k == CQL_UUID || k == CQL_TIMEUUID || k == CQL_INET;
}

struct item {
	const struct cql_type *t;
	const uint8_t *k, *v;	/* key (or element), value */
	size_t kn, vn;
	char text[48];		/* inet as the driver's str */
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (cql_type_kind(x->t) == CQL_INET)
		return strcmp(x->text, y->text);
	int c = memcmp(x->k, y->k, x->kn < y->kn ? x->kn : y->kn);
	return c ? c : (x->kn > y->kn) - (x->kn < y->kn);
}

static void sort_items(struct item *it, size_t n)
{
	if (!n || !python_orders_differently(it[0].t))
		return;
	for (size_t i = 0; i < n; i++)
		if (cql_type_kind(it[i].t) == CQL_INET && (it[i].kn == 4 || it[i].kn == 16))
			inet_ntop(it[i].kn == 4 ? AF_INET : AF_INET6, it[i].k, it[i].text, sizeof(it[i].text));
	qsort(it, n, sizeof(*it), cmp_item);
}

/* list [a, b], set {a, b}, map {k: v}; the elements rendered as nested values. */
static int render_items(const struct cql_type *t, struct item *it, size_t n, int depth, struct sbuf *out,
			struct pit_err *err)
{
	enum cql_kind k = cql_type_kind(t);
	int rc;

	if (k != CQL_LIST)
		sort_items(it, n);
	sbuf_addc(out, k == CQL_LIST ? '[' : '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_adds(out, ", ");
		if ((rc = render(it[i].t, it[i].k, it[i].kn, depth + 1, out, err)) < 0)
			return rc;
		if (k == CQL_MAP) {
			sbuf_adds(out, ": ");
			if ((rc = render(cql_type_sub(t, 1), it[i].v, it[i].vn, depth + 1, out, err)) < 0)
				return rc;
		}
	}
	sbuf_addc(out, k == CQL_LIST ? ']' : '}');
	return 0;
}

static int frozen_collection(const struct cql_type *t, const uint8_t *p, size_t n, int depth, struct sbuf *out,
			     struct pit_err *err)
{
	const uint8_t *q = p, *end = p + n;
	bool map = cql_type_kind(t) == CQL_MAP;
	struct item *it;
	int rc = 0;

	if (n < 4)
		return bad(err, n, "missing element count");
	int32_t count = (int32_t)be32(q);
	q += 4;
	if (count < 0 || (size_t)count > n)
		return bad(err, n, "bad element count");
	if (!(it = calloc((size_t)count + 1, sizeof(*it))))
		return pit_errf(err, -ENOMEM, "out of memory");
	for (int32_t i = 0; i < count && rc == 0; i++) {
		int32_t kl = 0, vl = 0;
		it[i].t = cql_type_sub(t, 0);
		if (!cql_get_i32_value(&q, end, &it[i].k, &kl) || !it[i].k ||
		    (map && (!cql_get_i32_value(&q, end, &it[i].v, &vl) || !it[i].v)))
			rc = bad(err, n, "truncated element");
		it[i].kn = (size_t)kl;
		it[i].vn = (size_t)vl;
	}
	if (rc == 0 && q != end)
		rc = bad(err, n, "trailing bytes after the last element");
	if (rc == 0)
		rc = render_items(t, it, (size_t)count, depth, out, err);
	free(it);
	return rc;
}

/* format_value_utype: {name: value, ...}, a null field as NULL ('');
 * format_value_tuple: (a, b), a null as Python's None. */
static int fields(const struct cql_type *t, const uint8_t *p, size_t n, int depth, struct sbuf *out,
		  struct pit_err *err)
{
	const uint8_t *q = p, *end = p + n;
	bool udt = cql_type_kind(t) == CQL_UDT;
	int rc;

	sbuf_addc(out, udt ? '{' : '(');
	for (int i = 0; i < cql_type_nsub(t); i++) {
		const uint8_t *v = NULL;
		int32_t vl = -1;
		if (i)
			sbuf_adds(out, ", ");
		if (udt) {
			const char *name = cql_type_field(t, i);
			text((const uint8_t *)name, strlen(name), false, out);
			sbuf_adds(out, ": ");
		}
		if (q < end && !cql_get_i32_value(&q, end, &v, &vl))
			return bad(err, n, "truncated field");
		if (!v)
			sbuf_adds(out, udt ? "" : "None");
		else if ((rc = render(cql_type_sub(t, i), v, (size_t)vl, depth + 1, out, err)) < 0)
			return rc;
	}
	if (q != end)
		return bad(err, n, "more fields than the type has");
	sbuf_addc(out, udt ? '}' : ')');
	return 0;
}

static int render(const struct cql_type *t, const uint8_t *p, size_t n, int depth, struct sbuf *out,
		  struct pit_err *err)
{
	enum cql_kind k = cql_type_kind(t);
	bool quote = depth > 0;

	if (depth > 64)
		return bad(err, n, "nested too deeply");
	/* cqlsh reads an empty value of a non-string type as EMPTY: NULL ('') */
	if (n == 0 && k != CQL_ASCII && k != CQL_TEXT && k != CQL_BLOB && k != CQL_CUSTOM && k != CQL_EMPTY &&
	    k != CQL_DYNCOMPOSITE)
		return 0;
	switch (k) {
	case CQL_ASCII:
	case CQL_TEXT:
		text(p, n, quote, out);
		return 0;
	case CQL_BOOLEAN:
		if (n != 1)
			return bad(err, n, "expected 1 byte");
		sbuf_adds(out, p[0] ? "True" : "False");
		return 0;
	case CQL_FLOAT:
	case CQL_DOUBLE: {
		if (n != (k == CQL_FLOAT ? 4u : 8u))
			return bad(err, n, k == CQL_FLOAT ? "expected 4 bytes" : "expected 8 bytes");
		double d;
		if (k == CQL_FLOAT) {
			uint32_t u = be32(p);
			float f;
			memcpy(&f, &u, 4);
			d = f;
		} else {
			uint64_t u = be64(p);
			memcpy(&d, &u, 8);
		}
		floating(d, k == CQL_FLOAT ? 5 : 12, out);
		return 0;
	}
	case CQL_TIMESTAMP:
		if (n != 8)
			return bad(err, n, "expected 8 bytes");
		timestamp((int64_t)be64(p), quote, out);
		return 0;
	case CQL_DATE: {	/* the driver's Date: ISO inside datetime's range, else days */
		if (n != 4)
			return bad(err, n, "expected 4 bytes");
		int64_t days = (int64_t)be32(p) - (1ll << 31), y;
		unsigned m, d;
		cql_civil_from_days(days, &y, &m, &d);
		if (y < 1 || y > 9999) {
			sbuf_addf(out, "%lld", (long long)days);
		} else {	/* a date is often part of the key of every row: not printf */
			char b[10];
			put_digits(b, (unsigned)y, 4);
			b[4] = '-';
			put_digits(b + 5, m, 2);
			b[7] = '-';
			put_digits(b + 8, d, 2);
			sbuf_add(out, b, sizeof(b));
		}
		return 0;
	}
	case CQL_TIME: {
		if (n != 8)
			return bad(err, n, "expected 8 bytes");
		int64_t ns = (int64_t)be64(p);
		if (ns < 0 || ns >= 86400000000000ll)
			return bad(err, n, "time of day out of range");
		sbuf_addf(out, "%02lld:%02lld:%02lld.%09lld", (long long)(ns / 3600000000000ll),
			  (long long)(ns / 60000000000ll % 60), (long long)(ns / 1000000000ll % 60),
			  (long long)(ns % 1000000000ll));
		return 0;
	}
	case CQL_DURATION: {
		const uint8_t *q = p, *end = p + n;
		uint64_t u[3];
		for (int i = 0; i < 3; i++) {
			int l = uvint_get(q, end, &u[i]);
			if (!l)
				return bad(err, n, "expected three vints");
			q += l;
		}
		if (q != end)
			return bad(err, n, "expected three vints");
		/* duration_as_str: nothing at all for a zero duration */
		cql_duration_text(out, zigzag_dec(u[0]), zigzag_dec(u[1]), zigzag_dec(u[2]));
		return 0;
	}
	case CQL_INET: {
		char buf[48];
		if (n != 4 && n != 16)
			return bad(err, n, "expected 4 or 16 bytes");
		inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf, sizeof(buf));
		sbuf_addf(out, quote ? "'%s'" : "%s", buf);
		return 0;
	}
	case CQL_LIST:
	case CQL_SET:
	case CQL_MAP:
		return frozen_collection(t, p, n, depth, out, err);
	case CQL_TUPLE:
	case CQL_UDT:
		return fields(t, p, n, depth, out, err);
	default:	/* integers, varint, decimal, counters, uuids, blobs: as CQL writes them */
		return cql_value_render(t, p, n, CQL_STYLE_LITERAL, out, err);
	}
}

int cql_value_cqlsh(const struct cql_type *t, const uint8_t *p, size_t n, struct sbuf *out, struct pit_err *err)
{
	return render(t, p, n, 0, out, err);
}

int cql_elements_cqlsh(const struct cql_type *t, const struct cql_element *el, size_t n, struct sbuf *out,
		       struct pit_err *err)
{
	enum cql_kind k = cql_type_kind(t);
	struct item *it;
	int rc;

	if (k == CQL_UDT) {	/* cells by field index; missing fields are null */
		size_t j = 0;
		sbuf_addc(out, '{');
		for (int i = 0; i < cql_type_nsub(t); i++) {
			const char *name = cql_type_field(t, i);
			if (i)
				sbuf_adds(out, ", ");
			text((const uint8_t *)name, strlen(name), false, out);
			sbuf_adds(out, ": ");
			while (j < n && (el[j].path_len != 2 || (int16_t)be16(el[j].path) < i))
				j++;
			if (j < n && (int16_t)be16(el[j].path) == i &&
			    (rc = render(cql_type_sub(t, i), el[j].value, el[j].value_len, 1, out, err)) < 0)
				return rc;
		}
		sbuf_addc(out, '}');
		return 0;
	}
	if (!(it = calloc(n + 1, sizeof(*it))))
		return pit_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		it[i].t = cql_type_sub(t, 0);
		if (k == CQL_LIST) {
			it[i].k = el[i].value;
			it[i].kn = el[i].value_len;
		} else {
			it[i].k = el[i].path;
			it[i].kn = el[i].path_len;
			it[i].v = el[i].value;
			it[i].vn = el[i].value_len;
		}
	}
	rc = render_items(t, it, n, 0, out, err);
	free(it);
	return rc;
}
