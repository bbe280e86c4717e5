/* core/cql: type strings, values in every style, Cassandra's ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/type.h"
#include "core/cql/value.h"
#include "core/util/bytes.h"

static struct cql_type *T(const char *s)
{
	struct cql_type *t = NULL;
	struct pit_err err = { 0 };
	if (cql_type_parse_marshal(&t, s, strlen(s), &err) < 0)
		fail_msg("parse %s: %s", s, err.msg);
	return t;
}

static struct cql_type *C(const char *s)
{
	struct cql_type *t = NULL;
	struct pit_err err = { 0 };
	if (cql_type_parse_cql(&t, s, strlen(s), NULL, NULL, &err) < 0)
		fail_msg("parse %s: %s", s, err.msg);
	return t;
}

static char *cql_of(const struct cql_type *t)
{
	static char buf[512];
	struct sbuf sb;
	sbuf_init(&sb);
	cql_type_to_cql(t, &sb);
	snprintf(buf, sizeof(buf), "%s", sb.buf);
	sbuf_release(&sb);
	return buf;
}

static void test_marshal_types(void **state)
{
	static const struct { const char *in, *cql; int fixed; bool multi; } cases[] = {
		{ "org.apache.cassandra.db.marshal.Int32Type", "int", 4, false },
		{ "UTF8Type", "text", -1, false },
		{ "org.apache.cassandra.db.marshal.AsciiType", "ascii", -1, false },
		{ "LongType", "bigint", 8, false },
		{ "ShortType", "smallint", -1, false },
		{ "ByteType", "tinyint", -1, false },
		{ "IntegerType", "varint", -1, false },
		{ "DecimalType", "decimal", -1, false },
		{ "FloatType", "float", 4, false },
		{ "DoubleType", "double", 8, false },
		{ "BooleanType", "boolean", 1, false },
		{ "UUIDType", "uuid", 16, false },
		{ "TimeUUIDType", "timeuuid", 16, false },
		{ "TimestampType", "timestamp", 8, false },
		{ "DateType", "timestamp", 8, false },
		{ "SimpleDateType", "date", -1, false },
		{ "TimeType", "time", -1, false },
		{ "DurationType", "duration", -1, false },
		{ "InetAddressType", "inet", -1, false },
		{ "BytesType", "blob", -1, false },
		{ "CounterColumnType", "counter", -1, false },
		{ "org.apache.cassandra.db.marshal.ReversedType(org.apache.cassandra.db.marshal.TimestampType)", "timestamp", 8, false },
		{ "ListType(Int32Type)", "list<int>", -1, true },
		{ "SetType(UTF8Type)", "set<text>", -1, true },
		{ "MapType(UTF8Type,Int32Type)", "map<text, int>", -1, true },
		{ "FrozenType(MapType(UTF8Type,ListType(Int32Type)))", "frozen<map<text, list<int>>>", -1, false },
		{ "TupleType(Int32Type,UTF8Type)", "tuple<int, text>", -1, false },
		{ "UserType(ks,61646472657373,63697479:UTF8Type,7a6970:Int32Type)", "address", -1, true },
		{ "FrozenType(UserType(ks,61646472657373,63697479:UTF8Type))", "frozen<address>", -1, false },
		{ "VectorType(FloatType,3)", "vector<float, 3>", 12, false },
		{ "VectorType(UTF8Type,2)", "vector<text, 2>", -1, false },
		{ "CompositeType(UTF8Type,Int32Type)", "'org.apache.cassandra.db.marshal.CompositeType(org.apache.cassandra.db.marshal.UTF8Type,org.apache.cassandra.db.marshal.Int32Type)'", -1, false },
		{ "org.example.MyType", "'org.example.MyType'", -1, false },
		{ "PartitionerDefinedOrder(org.apache.cassandra.dht.Murmur3Partitioner)", "'PartitionerDefinedOrder(org.apache.cassandra.dht.Murmur3Partitioner)'", -1, false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cql_type *t = T(cases[i].in);
		assert_string_equal(cql_of(t), cases[i].cql);
		assert_int_equal(cql_type_fixed_len(t), cases[i].fixed);
		assert_int_equal(cql_type_multicell(t), cases[i].multi);
		/* back to a marshal string and parsed again: the same type */
		struct sbuf sb;
		sbuf_init(&sb);
		cql_type_to_marshal(t, &sb);
		struct cql_type *t2 = T(sb.buf);
		assert_true(cql_type_equal(t, t2));
		assert_int_equal(cql_type_frozen(t), cql_type_frozen(t2));
		assert_int_equal(cql_type_reversed(t), cql_type_reversed(t2));
		sbuf_release(&sb);
		cql_type_free(t2);
		cql_type_free(t);
	}
	struct cql_type *u = T("UserType(ks,61646472657373,63697479:UTF8Type,7a6970:Int32Type)");
	assert_string_equal(cql_type_udt_name(u), "address");
	assert_string_equal(cql_type_udt_keyspace(u), "ks");
	assert_string_equal(cql_type_field(u, 1), "zip");
	cql_type_free(u);
	struct cql_type *r = T("ReversedType(Int32Type)");
	assert_true(cql_type_reversed(r));
	cql_type_free(r);
}

static void test_bad_types(void **state)
{
	static const char *bad[] = { "", "ListType", "MapType(Int32Type)", "ListType(Int32Type", "Int32Type)",
				     "UserType(ks,zz,61:Int32Type)", "FrozenType", "VectorType(FloatType)",
				     "ListType(Int32Type,Int32Type)", "TupleType()" };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cql_type *t = NULL;
		struct pit_err err = { 0 };
		int rc = cql_type_parse_marshal(&t, bad[i], strlen(bad[i]), &err);
		if (rc != -EBADMSG)
			fail_msg("\"%s\" parsed (rc %d)", bad[i], rc);
		assert_non_null(strstr(err.msg, "type string"));
		assert_null(t);
	}
	/* deeply nested input is refused, not a stack overflow */
	char deep[4000] = "";
	for (int i = 0; i < 300; i++)
		strcat(deep, "ListType(");
	struct cql_type *t = NULL;
	assert_int_equal(cql_type_parse_marshal(&t, deep, strlen(deep), NULL), -EBADMSG);
}

static void test_cql_syntax(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "int", "int" }, { "VARCHAR", "text" }, { "frozen<list<int>>", "frozen<list<int>>" },
		{ "map<text, frozen<set<int>>>", "map<text, frozen<set<int>>>" },
		{ "tuple<int,text,  blob>", "tuple<int, text, blob>" }, { "vector<float, 5>", "vector<float, 5>" },
		{ "'org.apache.cassandra.db.marshal.DateType'", "timestamp" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cql_type *t = C(cases[i].in);
		assert_string_equal(cql_of(t), cases[i].out);
		cql_type_free(t);
	}
	struct cql_type *t = NULL;
	assert_int_equal(cql_type_parse_cql(&t, "address", 7, NULL, NULL, NULL), -EBADMSG);
	assert_int_equal(cql_type_parse_cql(&t, "list<int", 8, NULL, NULL, NULL), -EBADMSG);
}

/* ---- values ---- */

static char out[4096];

static const char *R(const char *type, const void *p, size_t n, enum cql_style style)
{
	struct cql_type *t = T(type);
	struct sbuf sb;
	struct pit_err err = { 0 };
	sbuf_init(&sb);
	int rc = cql_value_render(t, p, n, style, &sb, &err);
	snprintf(out, sizeof(out), "%s", rc < 0 ? err.msg : sb.buf ? sb.buf : "");
	sbuf_release(&sb);
	cql_type_free(t);
	return out;
}

#define LIT CQL_STYLE_LITERAL
#define JSON CQL_STYLE_JSON
#define ROWS CQL_STYLE_ROWS

static void test_numbers(void **state)
{
	(void)state;
	assert_string_equal(R("Int32Type", "\x80\x00\x00\x00", 4, LIT), "-2147483648");
	assert_string_equal(R("LongType", "\x7f\xff\xff\xff\xff\xff\xff\xff", 8, JSON), "9223372036854775807");
	assert_string_equal(R("ShortType", "\xff\xfe", 2, ROWS), "-2");
	assert_string_equal(R("ByteType", "\x80", 1, LIT), "-128");
	assert_string_equal(R("BooleanType", "\x01", 1, JSON), "true");
	assert_string_equal(R("BooleanType", "\x00", 1, LIT), "false");
	/* varint 10^25 = 0x084595161401484a000000 */
	assert_string_equal(R("IntegerType", "\x08\x45\x95\x16\x14\x01\x48\x4a\x00\x00\x00", 11, LIT),
			    "10000000000000000000000000");
	assert_string_equal(R("IntegerType", "\x08\x45\x95\x16\x14\x01\x48\x4a\x00\x00\x00", 11, ROWS),
			    "\"10000000000000000000000000\"");
	assert_string_equal(R("IntegerType", "\xff", 1, LIT), "-1");
	assert_string_equal(R("IntegerType", "\x00", 1, LIT), "0");
	assert_string_equal(R("IntegerType", "\x80\x00", 2, LIT), "-32768");
	/* decimal: scale 2, unscaled -12345 -> -123.45 */
	assert_string_equal(R("DecimalType", "\x00\x00\x00\x02\xcf\xc7", 6, LIT), "-123.45");
	assert_string_equal(R("DecimalType", "\x00\x00\x00\x05\x01", 5, LIT), "0.00001");
	assert_string_equal(R("DecimalType", "\x00\x00\x00\x08\x01", 5, LIT), "1E-8");
	assert_string_equal(R("DecimalType", "\xff\xff\xff\xfe\x07", 5, LIT), "7E+2");	/* scale -2 */
	assert_string_equal(R("DecimalType", "\x00\x00\x00\x00\x7b", 5, ROWS), "\"123\"");
	/* floats: shortest text that reads back, NaN and infinities */
	assert_string_equal(R("FloatType", "\x3d\xcc\xcc\xcd", 4, LIT), "0.1");
	assert_string_equal(R("FloatType", "\x42\x8c\x00\x00", 4, LIT), "70.0");
	assert_string_equal(R("DoubleType", "\x3f\xbc\x28\xf5\xc2\x8f\x5c\x29", 8, ROWS), "\"0.11\"");
	assert_string_equal(R("DoubleType", "\x7f\xf8\x00\x00\x00\x00\x00\x00", 8, LIT), "NaN");
	assert_string_equal(R("DoubleType", "\x7f\xf0\x00\x00\x00\x00\x00\x00", 8, JSON), "\"Infinity\"");
	assert_string_equal(R("FloatType", "\xff\x80\x00\x00", 4, LIT), "-Infinity");
	assert_string_equal(R("DoubleType", "\x3d\xdb\x7c\xdf\xd9\xd7\xbd\xbb", 8, LIT), "1.0E-10");
	assert_string_equal(R("DoubleType", "\x80\x00\x00\x00\x00\x00\x00\x00", 8, LIT), "-0.0");
	/* counters: a context's total, or a plain long */
	assert_string_equal(R("CounterColumnType", "\x00\x00\x00\x00\x00\x00\x00\x05", 8, JSON), "5");
}

static void test_times(void **state)
{
	(void)state;
	/* 2015-05-01T09:30:54.234Z = 1430472654234 ms */
	assert_string_equal(R("TimestampType", "\x00\x00\x01\x4d\x0e\xd0\x7d\x9a", 8, ROWS), "\"2015-05-01T09:30:54.234Z\"");
	assert_string_equal(R("TimestampType", "\x00\x00\x01\x4d\x0e\xd0\x7d\x9a", 8, JSON), "\"2015-05-01 09:30:54.234Z\"");
	assert_string_equal(R("TimestampType", "\x00\x00\x01\x4d\x0e\xd0\x7d\x9a", 8, LIT), "'2015-05-01T09:30:54.234Z'");
	/* pre-epoch: -1 ms and 1900-01-01 */
	assert_string_equal(R("TimestampType", "\xff\xff\xff\xff\xff\xff\xff\xff", 8, ROWS), "\"1969-12-31T23:59:59.999Z\"");
	assert_string_equal(R("TimestampType", "\xff\xff\xfd\xfd\xae\x01\xdc\x00", 8, ROWS), "\"1900-01-01T00:00:00.000Z\"");
	/* date: 2^31 = epoch */
	assert_string_equal(R("SimpleDateType", "\x80\x00\x00\x00", 4, LIT), "'1970-01-01'");
	assert_string_equal(R("SimpleDateType", "\x7f\xff\xff\xff", 4, JSON), "\"1969-12-31\"");
	assert_string_equal(R("SimpleDateType", "\x00\x00\x00\x00", 4, LIT), "'0'");	/* beyond year 0: raw days */
	/* time: 13:30:54.234000001 */
	assert_string_equal(R("TimeType", "\x00\x00\x2c\x40\x32\x55\x9a\x81", 8, LIT), "'13:30:54.234000001'");
	/* durations: months, days, nanoseconds as zigzag vints */
	assert_string_equal(R("DurationType", "\x1c\x06\x00", 3, LIT), "1y2mo3d");
	assert_string_equal(R("DurationType", "\x01\x01\x01", 3, JSON), "\"-1mo1d1ns\"");
	assert_string_equal(R("DurationType", "\x00\x00\xfc\x13\xa5\x24\x53\xc0\x00", 9, LIT), "3h");
	assert_string_equal(R("DurationType", "\x00\x00\x00", 3, LIT), "0s");
	assert_non_null(strstr(R("DurationType", "\x00\x00", 2, LIT), "malformed"));
}

static void test_strings_and_ids(void **state)
{
	(void)state;
	assert_string_equal(R("UTF8Type", "it's", 4, LIT), "'it''s'");
	assert_string_equal(R("UTF8Type", "a\"\n\x01", 4, JSON), "\"a\\\"\\n\\u0001\"");
	assert_string_equal(R("AsciiType", "", 0, ROWS), "\"\"");
	assert_string_equal(R("BytesType", "\x01\xab", 2, LIT), "0x01ab");
	assert_string_equal(R("BytesType", "\x01\xab", 2, JSON), "\"0x01ab\"");
	assert_string_equal(R("UUIDType", "\x01\x23\x45\x67\x01\x23\x01\x23\x01\x23\x01\x23\x45\x67\x89\xab", 16, LIT),
			    "01234567-0123-0123-0123-0123456789ab");
	assert_string_equal(R("InetAddressType", "\x0a\x00\x00\x05", 4, JSON), "\"10.0.0.5\"");
	assert_string_equal(R("InetAddressType", "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16, LIT), "'2001:db8::1'");
	assert_non_null(strstr(R("InetAddressType", "\x0a\x00", 2, LIT), "malformed"));
	assert_non_null(strstr(R("Int32Type", "\x00\x00\x01", 3, LIT), "expected 4 bytes"));
}

static void test_empty_values(void **state)
{
	(void)state;
	/* a zero-length value of a non-string type means "no value" */
	assert_string_equal(R("Int32Type", "", 0, ROWS), "{\"$bytes\": \"\"}");
	assert_string_equal(R("Int32Type", "", 0, LIT), "blobAsInt(0x)");
	assert_string_equal(R("TimestampType", "", 0, JSON), "null");
	assert_string_equal(R("UUIDType", "", 0, LIT), "blobAsUuid(0x)");
	assert_string_equal(R("BytesType", "", 0, LIT), "0x");
	assert_string_equal(R("UTF8Type", "", 0, LIT), "''");
}

static void test_collections(void **state)
{
	(void)state;
	/* frozen list<int> [1, 2] */
	const char lst[] = "\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02";
	assert_string_equal(R("FrozenType(ListType(Int32Type))", lst, sizeof(lst) - 1, LIT), "[1, 2]");
	assert_string_equal(R("FrozenType(SetType(Int32Type))", lst, sizeof(lst) - 1, LIT), "{1, 2}");
	/* frozen map<int,text> {1: 'a'} */
	const char map[] = "\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x01" "a";
	assert_string_equal(R("FrozenType(MapType(Int32Type,UTF8Type))", map, sizeof(map) - 1, LIT), "{1: 'a'}");
	assert_string_equal(R("FrozenType(MapType(Int32Type,UTF8Type))", map, sizeof(map) - 1, JSON), "{\"1\": \"a\"}");
	assert_string_equal(R("FrozenType(MapType(Int32Type,UTF8Type))", map, sizeof(map) - 1, ROWS), "[[1, \"a\"]]");
	/* tuple<int,text> (7, null), trailing field absent -> null */
	const char tup[] = "\x00\x00\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff";
	assert_string_equal(R("TupleType(Int32Type,UTF8Type)", tup, sizeof(tup) - 1, LIT), "(7, null)");
	assert_string_equal(R("TupleType(Int32Type,UTF8Type)", tup, 8, JSON), "[7, null]");
	/* frozen UDT */
	const char udt[] = "\x00\x00\x00\x01x\x00\x00\x00\x04\x00\x00\x00\x05";
	assert_string_equal(R("FrozenType(UserType(ks,75,61:UTF8Type,62:Int32Type))", udt, sizeof(udt) - 1, LIT), "{a: 'x', b: 5}");
	assert_string_equal(R("FrozenType(UserType(ks,75,61:UTF8Type,62:Int32Type))", udt, sizeof(udt) - 1, JSON), "{\"a\": \"x\", \"b\": 5}");
	/* vector<float, 2> */
	assert_string_equal(R("VectorType(FloatType,2)", "\x3f\x80\x00\x00\x40\x00\x00\x00", 8, LIT), "[1.0, 2.0]");
	/* malformed: a count that does not fit */
	assert_non_null(strstr(R("FrozenType(ListType(Int32Type))", "\x00\x00\x00\x09", 4, LIT), "malformed"));
	assert_non_null(strstr(R("FrozenType(ListType(Int32Type))", lst, sizeof(lst) - 2, LIT), "malformed"));

	/* non-frozen elements */
	struct cql_type *t = T("MapType(UTF8Type,Int32Type)");
	struct cql_element el[2] = { { (const uint8_t *)"a", 1, (const uint8_t *)"\0\0\0\1", 4 },
				     { (const uint8_t *)"b", 1, (const uint8_t *)"\0\0\0\2", 4 } };
	struct sbuf sb;
	sbuf_init(&sb);
	assert_int_equal(cql_elements_render(t, el, 2, ROWS, &sb, NULL), 0);
	assert_string_equal(sb.buf, "[[\"a\", 1], [\"b\", 2]]");
	sbuf_reset(&sb);
	assert_int_equal(cql_elements_render(t, el, 2, LIT, &sb, NULL), 0);
	assert_string_equal(sb.buf, "{'a': 1, 'b': 2}");
	cql_type_free(t);
	/* non-frozen UDT: fields by i16 index, missing ones null */
	t = T("UserType(ks,75,61:UTF8Type,62:Int32Type)");
	struct cql_element uf[1] = { { (const uint8_t *)"\0\1", 2, (const uint8_t *)"\0\0\0\7", 4 } };
	sbuf_reset(&sb);
	assert_int_equal(cql_elements_render(t, uf, 1, JSON, &sb, NULL), 0);
	assert_string_equal(sb.buf, "{\"a\": null, \"b\": 7}");
	cql_type_free(t);
	sbuf_release(&sb);
}

static const char *Q(const char *type, const void *p, size_t n)
{
	struct cql_type *t = T(type);
	struct sbuf sb;
	struct pit_err err = { 0 };
	sbuf_init(&sb);
	int rc = cql_value_cqlsh(t, p, n, &sb, &err);
	snprintf(out, sizeof(out), "%s", rc < 0 ? err.msg : sb.buf ? sb.buf : "");
	sbuf_release(&sb);
	cql_type_free(t);
	return out;
}

/* cqlsh's COPY TO formatting; the expected strings follow formatting.py and
 * the driver's str() of each type (floats checked against Python's own
 * "%.*g" with cqlsh's precision rule). */
static void test_cqlsh_values(void **state)
{
	(void)state;
	assert_string_equal(Q("Int32Type", "\xff\xff\xff\xfe", 4), "-2");
	assert_string_equal(Q("BooleanType", "\x01", 1), "True");
	assert_string_equal(Q("BooleanType", "\x00", 1), "False");
	assert_string_equal(Q("BytesType", "\x01\xab", 2), "0x01ab");
	assert_string_equal(Q("BytesType", "", 0), "0x");
	assert_string_equal(Q("Int32Type", "", 0), "");	/* EMPTY: NULL */
	assert_string_equal(Q("DecimalType", "\x00\x00\x00\x02\x30\x39", 6), "123.45");
	/* text: backslashes doubled, controls as repr() writes them, quotes untouched at the top */
	assert_string_equal(Q("UTF8Type", "it's a\\b\t\n\x01\x7f\xc2\x85\xc2\xa0\xc2\xa1", 18),
			    "it's a\\\\b\\t\\n\\x01\\x7f\\x85\\xa0\xc2\xa1");
	/* floats: FLOATPRECISION 5, DOUBLEPRECISION 12 */
	assert_string_equal(Q("FloatType", "\x3d\xcc\xcc\xcd", 4), "0.1");
	assert_string_equal(Q("FloatType", "\x47\xf1\x20\x5a", 4), "1.2346e+05");	/* 123456.7f */
	assert_string_equal(Q("FloatType", "\xb9\x01\x74\x2d", 4), "-0.000123");	/* -0.00012345678f */
	assert_string_equal(Q("DoubleType", "\x3f\xd5\x55\x55\x55\x55\x55\x55", 8), "0.3333333333333");
	assert_string_equal(Q("DoubleType", "\x41\x9d\x6f\x34\x54\x7e\x6b\x75", 8), "123456789.123456791043");
	assert_string_equal(Q("DoubleType", "\x3e\xe4\xf8\xb5\x88\xe3\x68\xf1", 8), "1e-05");
	assert_string_equal(Q("DoubleType", "\x00\x00\x00\x00\x00\x00\x00\x00", 8), "0");
	assert_string_equal(Q("DoubleType", "\x40\x59\x00\x00\x00\x00\x00\x00", 8), "100");
	assert_string_equal(Q("DoubleType", "\x7f\xf8\x00\x00\x00\x00\x00\x00", 8), "NaN");
	assert_string_equal(Q("DoubleType", "\xff\xf0\x00\x00\x00\x00\x00\x00", 8), "-Infinity");
	/* timestamps cut to milliseconds, +0000; beyond datetime: the number */
	assert_string_equal(Q("TimestampType", "\x00\x00\x01\x4d\x0e\xd0\x7d\x9a", 8), "2015-05-01 09:30:54.234+0000");
	assert_string_equal(Q("TimestampType", "\xff\xff\xff\xff\xff\xff\xff\xff", 8), "1969-12-31 23:59:59.999+0000");
	assert_string_equal(Q("TimestampType", "\x7f\xff\xff\xff\xff\xff\xff\xff", 8), "9223372036854775807");
	assert_string_equal(Q("TimestampType", "\x80\x00\x00\x00\x00\x00\x00\x06", 8), "-9223372036854775802");
	assert_string_equal(Q("TimestampType", "\x80\x00\x00\x00\x00\x00\x00\x00", 8), "-9223372036854775808");
	assert_string_equal(Q("SimpleDateType", "\x80\x00\x00\x00", 4), "1970-01-01");
	assert_string_equal(Q("SimpleDateType", "\x00\x00\x00\x00", 4), "-2147483648");
	assert_string_equal(Q("TimeType", "\x00\x00\x0b\xdd\x1e\x66\x0d\x15", 8), "03:37:24.325682453");
	assert_string_equal(Q("UUIDType", "\x55\x0e\x84\x00\xe2\x9b\x41\xd4\xa7\x16\x44\x66\x55\x44\x00\x00", 16),
			    "550e8400-e29b-41d4-a716-446655440000");
	assert_string_equal(Q("InetAddressType", "\x7f\x00\x00\x01", 4), "127.0.0.1");
	assert_string_equal(Q("InetAddressType", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16), "::1");
	/* duration: 1y2mo3d4h5ms; zero is nothing at all */
	assert_string_equal(Q("DurationType", "\x1c\x06\xfc\x1a\x31\x86\x5d\x96\x80", 9), "1y2mo3d4h5ms");
	assert_string_equal(Q("DurationType", "\x00\x00\x00", 3), "");
	/* nested: text, timestamps and inet quoted CQL-style */
	const char lst[] = "\x00\x00\x00\x02\x00\x00\x00\x04it's\x00\x00\x00\x01\\";
	assert_string_equal(Q("FrozenType(ListType(UTF8Type))", lst, sizeof(lst) - 1), "['it''s', '\\\\']");
	const char ts[] = "\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x01\x4d\x0e\xd0\x7d\x9a";
	assert_string_equal(Q("FrozenType(SetType(TimestampType))", ts, sizeof(ts) - 1),
			    "{'2015-05-01 09:30:54.234+0000'}");
	/* a set of inet in Python's order: as text, "10..." before "9..." */
	const char inets[] = "\x00\x00\x00\x02\x00\x00\x00\x04\x09\x00\x00\x01\x00\x00\x00\x04\x0a\x00\x00\x01";
	assert_string_equal(Q("FrozenType(SetType(InetAddressType))", inets, sizeof(inets) - 1),
			    "{'10.0.0.1', '9.0.0.1'}");
	const char map[] = "\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x01" "a";
	assert_string_equal(Q("FrozenType(MapType(Int32Type,UTF8Type))", map, sizeof(map) - 1), "{1: 'a'}");
	const char tup[] = "\x00\x00\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff";
	assert_string_equal(Q("TupleType(Int32Type,UTF8Type)", tup, sizeof(tup) - 1), "(7, None)");
	/* UDT: names bare, a null field empty */
	const char udt[] = "\x00\x00\x00\x01x\xff\xff\xff\xff";
	assert_string_equal(Q("FrozenType(UserType(ks,75,61:UTF8Type,62:Int32Type))", udt, sizeof(udt) - 1),
			    "{a: 'x', b: }");

	/* non-frozen: a set of timeuuids in Python's (byte) order, not Cassandra's (time) order */
	struct cql_type *t = T("SetType(TimeUUIDType)");
	const uint8_t u1[16] = { 0xff, 0, 0, 0, 0, 0, 0x11, 0xe0, 0x80, 0, 0, 0, 0, 0, 0, 1 };
	const uint8_t u2[16] = { 0x01, 0, 0, 0, 0, 0, 0x11, 0xe1, 0x80, 0, 0, 0, 0, 0, 0, 2 };
	struct cql_element el[2] = { { u1, 16, NULL, 0 }, { u2, 16, NULL, 0 } };
	struct sbuf sb;
	sbuf_init(&sb);
	assert_int_equal(cql_elements_cqlsh(t, el, 2, &sb, NULL), 0);
	assert_string_equal(sb.buf, "{01000000-0000-11e1-8000-000000000002, ff000000-0000-11e0-8000-000000000001}");
	cql_type_free(t);
	t = T("UserType(ks,75,61:UTF8Type,62:Int32Type)");
	struct cql_element uf[1] = { { (const uint8_t *)"\0\1", 2, (const uint8_t *)"\0\0\0\7", 4 } };
	sbuf_reset(&sb);
	assert_int_equal(cql_elements_cqlsh(t, uf, 1, &sb, NULL), 0);
	assert_string_equal(sb.buf, "{a: , b: 7}");
	cql_type_free(t);
	sbuf_release(&sb);
}

/* cqlsh's double formatting (Python: '%.*g' with the precision raised by
 * int(log10(|v|)) + 1 when that is in [-4, 12)) by printf, against the
 * renderer's printf-free path for short decimals, on 200,000 values. */
static void test_cqlsh_doubles(void **state)
{
	struct cql_type *t = T("DoubleType");
	struct sbuf sb;
	uint64_t x = 88172645463325252ull;
	int checked = 0;

	(void)state;
	sbuf_init(&sb);
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v;
		switch (i % 4) {
		case 0: v = (double)(x % 100000000) / 100.0; break;		/* money-like */
		case 1: v = (double)(x % 1000000) / 1000000.0; break;	/* fractions */
		case 2: v = (double)(int64_t)(x % 2000000001) / 1000.0 - 1e6; break;
		default: memcpy(&v, &x, 8); if (isnan(v) || isinf(v)) v = 1.5; break;
		}
		char want[64];
		int prec = 12;
		if (fabs(v) > 2.220446049250313e-16) {
			double e = trunc(log10(fabs(v)));
			if (e >= -4 && e < prec)
				prec += (int)e + 1;
		}
		snprintf(want, sizeof(want), "%.*g", prec, v);
		uint8_t be[8];
		uint64_t u;
		memcpy(&u, &v, 8);
		put_be64(be, u);
		sbuf_reset(&sb);
		assert_int_equal(cql_value_cqlsh(t, be, 8, &sb, NULL), 0);
		if (strcmp(sb.buf, want))
			fail_msg("%.17g: %s, printf gives %s", v, sb.buf, want);
		checked++;
	}
	sbuf_release(&sb);
	cql_type_free(t);
	assert_int_equal(checked, 200000);
}

static int CMP(const char *type, const void *a, size_t an, const void *b, size_t bn)
{
	struct cql_type *t = T(type);
	int c = cql_value_compare(t, a, an, b, bn);
	cql_type_free(t);
	return c;
}

static void test_ordering(void **state)
{
	(void)state;
	assert_true(CMP("Int32Type", "\xff\xff\xff\xff", 4, "\x00\x00\x00\x01", 4) < 0);
	assert_true(CMP("ReversedType(Int32Type)", "\xff\xff\xff\xff", 4, "\x00\x00\x00\x01", 4) > 0);
	assert_true(CMP("Int32Type", "", 0, "\x80\x00\x00\x00", 4) < 0);	/* empty first */
	assert_true(CMP("ReversedType(Int32Type)", "", 0, "\x80\x00\x00\x00", 4) < 0);
	assert_true(CMP("UTF8Type", "a", 1, "ab", 2) < 0);
	assert_true(CMP("UTF8Type", "b", 1, "ab", 2) > 0);
	assert_true(CMP("IntegerType", "\xff", 1, "\x00", 1) < 0);
	assert_true(CMP("IntegerType", "\x00\xff", 2, "\x7f", 1) > 0);	/* 255 > 127 */
	assert_true(CMP("IntegerType", "\xff\x00", 2, "\x80", 1) < 0);	/* -256 < -128 */
	assert_int_equal(CMP("IntegerType", "\x00\x05", 2, "\x05", 1), 0);
	/* decimals: 1.5 (15, scale 1) == 1.50 (150, scale 2) < 2 */
	assert_int_equal(CMP("DecimalType", "\0\0\0\1\x0f", 5, "\0\0\0\2\x00\x96", 6), 0);
	assert_true(CMP("DecimalType", "\0\0\0\1\x0f", 5, "\0\0\0\0\x02", 5) < 0);
	assert_true(CMP("DecimalType", "\0\0\0\1\xf1", 5, "\0\0\0\0\xff", 5) < 0);	/* -1.5 < -1 */
	/* floats: -0.0 < 0.0, NaN above everything */
	assert_true(CMP("FloatType", "\x80\0\0\0", 4, "\0\0\0\0", 4) < 0);
	assert_true(CMP("DoubleType", "\x7f\xf8\0\0\0\0\0\0", 8, "\x7f\xf0\0\0\0\0\0\0", 8) > 0);
	assert_true(CMP("DoubleType", "\xc0\0\0\0\0\0\0\0", 8, "\xbf\xf0\0\0\0\0\0\0", 8) < 0);	/* -2 < -1 */
	/* timeuuid by time: 1e0 later than 0e0 though its first bytes are smaller */
	const char a[] = "\xff\x00\x00\x00\x00\x00\x11\xe0\x80\x00\x00\x00\x00\x00\x00\x00";
	const char b[] = "\x00\x00\x00\x00\x00\x00\x11\xe1\x80\x00\x00\x00\x00\x00\x00\x00";
	assert_true(CMP("TimeUUIDType", a, 16, b, 16) < 0);
	assert_true(CMP("UUIDType", a, 16, b, 16) < 0);
	assert_true(CMP("BytesType", a, 16, b, 16) > 0);
	/* uuid: version first */
	const char v4[] = "\x00\x00\x00\x00\x00\x00\x40\x00\x80\x00\x00\x00\x00\x00\x00\x00";
	assert_true(CMP("UUIDType", v4, 16, a, 16) > 0);
	/* timeuuid low half compares signed bytes */
	const char lo1[] = "\x00\x00\x00\x00\x00\x00\x11\xe0\x80\x00\x00\x00\x00\x00\x00\x00";
	const char lo2[] = "\x00\x00\x00\x00\x00\x00\x11\xe0\x7f\x00\x00\x00\x00\x00\x00\x00";
	assert_true(CMP("TimeUUIDType", lo1, 16, lo2, 16) < 0);
	/* dates compare unsigned */
	assert_true(CMP("SimpleDateType", "\x7f\xff\xff\xff", 4, "\x80\x00\x00\x00", 4) < 0);
	/* frozen list: element by element, then length */
	const char l1[] = "\0\0\0\1\0\0\0\4\0\0\0\2";
	const char l2[] = "\0\0\0\2\0\0\0\4\0\0\0\1\0\0\0\4\0\0\0\3";
	assert_true(CMP("FrozenType(ListType(Int32Type))", l1, 12, l2, 20) > 0);
	/* composite keys component-wise */
	const char k1[] = "\0\1a\0\0\4\0\0\0\2\0";
	const char k2[] = "\0\1a\0\0\4\0\0\0\x0a\0";
	assert_true(CMP("CompositeType(UTF8Type,Int32Type)", k1, 11, k2, 11) < 0);
}

static void test_counter_context(void **state)
{
	uint8_t ctx[2 + 2 + 32 * 2];
	int64_t total = 0;
	struct pit_err err = { 0 };

	(void)state;
	memset(ctx, 0, sizeof(ctx));
	put_be16(ctx, 1);
	put_be16(ctx + 2, 0x8000);	/* shard 0 is global */
	put_be64(ctx + 4 + 16, 10);
	put_be64(ctx + 4 + 24, 7);
	ctx[4 + 32] = 1;
	put_be64(ctx + 4 + 32 + 16, 11);
	put_be64(ctx + 4 + 32 + 24, (uint64_t)-2);
	assert_int_equal(cql_counter_total(ctx, sizeof(ctx), &total, &err), 0);
	assert_int_equal(total, 5);
	assert_int_equal(cql_counter_total(ctx, sizeof(ctx) - 1, &total, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "counter context"));
}

/* Significant digits of the shortest of 15, 16, 17 that reads back as v. */
static int oracle_digits(double v)
{
	char buf[48];
	int prec = 15, nd = 0;

	for (; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	for (const char *p = buf; *p && *p != 'e'; p++)
		nd += *p >= '0' && *p <= '9';
	for (const char *p = strchr(buf, 'e') - 1; *p == '0' && nd > 1; p--)
		nd--;
	return nd;
}

/* Doubles rendered by the scaling shortcut (decimals of up to 15 digits) and
 * by the general path read back as themselves with the same digits. */
static void test_double_rendering(void **state)
{
	struct cql_type *t = T("org.apache.cassandra.db.marshal.DoubleType");
	uint64_t x = 0x9E3779B97F4A7C15ull;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double v;
		if (i % 2) {	/* decimal-like: n / 10^k */
			static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
			v = (double)(int64_t)(x % 100000000000ull - 50000000000ll) / p10[x % 7];
		} else {	/* any bits */
			memcpy(&v, &x, 8);
			if (!isfinite(v))
				continue;
		}
		uint8_t be[8];
		uint64_t bits;
		memcpy(&bits, &v, 8);
		put_be64(be, bits);
		struct sbuf sb;
		struct pit_err err = { 0 };
		sbuf_init(&sb);
		assert_int_equal(cql_value_render(t, be, 8, CQL_STYLE_LITERAL, &sb, &err), 0);
		/* Java's form: digits, a point, maybe E<exp> */
		assert_true(strtod(sb.buf, NULL) == v);
		int nd = 0, lead = 1;
		for (const char *p = sb.buf; *p && *p != 'E'; p++) {
			if (*p < '0' || *p > '9')
				continue;
			if (lead && *p == '0')
				continue;
			lead = 0;
			nd++;
		}
		/* trailing zeros of the mantissa ("70.0") are not digits of the value */
		const char *e = strchr(sb.buf, 'E'), *q = e ? e - 1 : sb.buf + sb.len - 1;
		for (; q > sb.buf && (*q == '0' || *q == '.') && nd > 1; q--)
			if (*q == '0')
				nd--;
		if (v != 0 && nd != oracle_digits(v))
			fail_msg("%.17g rendered %s: %d digits, expected %d", v, sb.buf, nd, oracle_digits(v));
		sbuf_release(&sb);
	}
	cql_type_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marshal_types),   cmocka_unit_test(test_bad_types),
		cmocka_unit_test(test_cql_syntax),      cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_times),           cmocka_unit_test(test_strings_and_ids),
		cmocka_unit_test(test_empty_values),    cmocka_unit_test(test_collections),
		cmocka_unit_test(test_ordering),        cmocka_unit_test(test_counter_context),
		cmocka_unit_test(test_double_rendering), cmocka_unit_test(test_cqlsh_values),
		cmocka_unit_test(test_cqlsh_doubles),
	};
	return cmocka_run_group_tests_name("cql", tests, NULL, NULL);
}
