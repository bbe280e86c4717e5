/* core/cql/schema: the statements Cassandra writes into snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "core/cql/schema.h"

static const char SNAPSHOT[] =
	"-- a comment\n"
	"CREATE TYPE IF NOT EXISTS shop.address (\n    city text,\n    \"Zip\" int\n);\n\n"
	"/* block\n comment */\n"
	"CREATE TABLE IF NOT EXISTS shop.orders (\n"
	"\tcustomer text,\n\tregion int,\n\tday date,\n\tat timestamp,\n\tnote text static,\n"
	"\tship frozen<address>,\n\tbill address,\n\ttags set<text>,\n\told int,\n"
	"\tPRIMARY KEY ((customer, region), day, at))\n"
	"\tWITH ID = 5b608090-e03d-11eb-b4c1-d335f841c590\n"
	"\tAND CLUSTERING ORDER BY (day DESC, at ASC)\n"
	"\tAND comment = 'it''s; here'\n"
	"\tAND compaction = { 'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32' }\n"
	"\tAND gc_grace_seconds = 3600\n"
	"\tAND default_time_to_live = 60;\n"
	"ALTER TABLE shop.orders DROP old USING TIMESTAMP 1600000000000000;\n"
	"CREATE INDEX IF NOT EXISTS orders_note ON shop.orders (note);\n";

static void test_snapshot_schema(void **state)
{
	struct cql_schema *s = NULL;
	struct pit_err err = { 0 };
	struct sbuf sb;

	(void)state;
	assert_int_equal(cql_schema_parse(&s, SNAPSHOT, strlen(SNAPSHOT), "schema.cql", &err), 0);
	assert_int_equal(cql_schema_ntables(s), 1);
	const struct cql_table *t = cql_schema_table(s, 0);
	assert_string_equal(cql_table_keyspace(t), "shop");
	assert_string_equal(cql_table_name(t), "orders");
	assert_string_equal(cql_table_id(t), "5b608090-e03d-11eb-b4c1-d335f841c590");
	assert_int_equal(cql_table_gc_grace(t), 3600);
	assert_int_equal(cql_table_default_ttl(t), 60);
	assert_false(cql_table_compact(t));
	assert_int_equal(cql_table_nkey(t, CQL_COL_PARTITION_KEY), 2);
	assert_int_equal(cql_table_nkey(t, CQL_COL_CLUSTERING), 2);
	assert_string_equal(cql_table_key(t, CQL_COL_PARTITION_KEY, 1)->name, "region");
	assert_string_equal(cql_table_key(t, CQL_COL_CLUSTERING, 0)->name, "day");
	assert_true(cql_type_reversed(cql_table_key(t, CQL_COL_CLUSTERING, 0)->type));
	assert_false(cql_type_reversed(cql_table_key(t, CQL_COL_CLUSTERING, 1)->type));
	assert_int_equal(cql_table_find(t, "note")->kind, CQL_COL_STATIC);
	const struct cql_column *ship = cql_table_find(t, "ship"), *bill = cql_table_find(t, "bill");
	assert_int_equal(cql_type_kind(ship->type), CQL_UDT);
	assert_false(cql_type_multicell(ship->type));
	assert_true(cql_type_multicell(bill->type));	/* a non-frozen UDT */
	assert_string_equal(cql_type_field(bill->type, 1), "Zip");
	assert_int_equal(cql_table_find(t, "old")->dropped_at, 1600000000000000ll);
	assert_int_equal(cql_table_find(t, "tags")->dropped_at, INT64_MIN);
	sbuf_init(&sb);
	cql_type_to_cql(ship->type, &sb);
	assert_string_equal(sb.buf, "frozen<address>");
	sbuf_release(&sb);
	cql_schema_free(s);
}

static void test_inline_primary_key_and_compact(void **state)
{
	const char *q = "CREATE TABLE ks.t (k int PRIMARY KEY, v text) WITH COMPACT STORAGE;"
			"create table \"KS\".\"T2\" (\"Key\" int, c int, primary key (\"Key\", c));";
	struct cql_schema *s = NULL;

	(void)state;
	assert_int_equal(cql_schema_parse(&s, q, strlen(q), "x", NULL), 0);
	assert_int_equal(cql_schema_ntables(s), 2);
	assert_true(cql_table_compact(cql_schema_table(s, 0)));
	assert_string_equal(cql_table_key(cql_schema_table(s, 0), CQL_COL_PARTITION_KEY, 0)->name, "k");
	assert_string_equal(cql_table_keyspace(cql_schema_table(s, 1)), "KS");
	assert_string_equal(cql_table_key(cql_schema_table(s, 1), CQL_COL_PARTITION_KEY, 0)->name, "Key");
	cql_schema_free(s);
}

static void test_errors(void **state)
{
	static const char *bad[] = {
		"CREATE TABLE ks.t (k int, v text);",			/* no primary key */
		"CREATE TABLE ks.t (k int PRIMARY KEY, v nosuchtype);",
		"CREATE TABLE ks.t (k int, PRIMARY KEY (x));",
		"CREATE TABLE ks.t (k int PRIMARY KEY) WITH CLUSTERING ORDER BY (k DESC);",
		"CREATE TABLE ks.t (k int PRIMARY KEY",
		"CREATE TYPE ks.u (a int",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cql_schema *s = NULL;
		struct pit_err err = { 0 };
		int rc = cql_schema_parse(&s, bad[i], strlen(bad[i]), "schema.cql", &err);
		if (rc != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err.msg, "schema.cql"));
		assert_non_null(strstr(err.msg, "line 1"));
		assert_null(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_schema),
		cmocka_unit_test(test_inline_primary_key_and_compact),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
