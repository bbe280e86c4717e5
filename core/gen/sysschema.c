/* system_schema.keyspaces as the generated nodes hold it, so that a view's
 * keyspace schema.cql can say how each keyspace is replicated. */
#include "core/gen/gen_impl.h"

#include <stdlib.h>
#include <string.h>
#include "core/cql/type.h"
#include "core/sstable/token.h"
#include "core/sstable/writer.h"
#include "core/util/bytes.h"

static void put_text(struct sbuf *sb, const char *s)
{
	uint8_t len[4];
	put_be32(len, (uint32_t)strlen(s));
	sbuf_add(sb, len, 4);
	sbuf_adds(sb, s);
}

struct ksrow {
	const char *name;
	struct sst_token tok;
};

static int by_token(const void *a, const void *b)
{
	const struct ksrow *x = a, *y = b;
	return sst_key_compare(&x->tok, (const uint8_t *)x->name, strlen(x->name), &y->tok,
			       (const uint8_t *)y->name, strlen(y->name));
}

int gen_write_keyspaces(const char *dir, int rf, int64_t ts_us, const struct sst_writer_opts *o, struct pit_err *err)
{
	struct ksrow ks[] = { { "metrics", { 0 } }, { "shop", { 0 } } };
	struct sst_header h = { 0 };
	struct sst_column cols[2] = { { "durable_writes", NULL, false, 1 }, { "replication", NULL, false, -1 } };
	struct sst_writer *w = NULL;
	struct sbuf map;
	char rfs[16];
	int rc;

	/* frozen<map<text, text>>: entries in key order */
	snprintf(rfs, sizeof(rfs), "%d", rf);
	sbuf_init(&map);
	uint8_t count[4];
	put_be32(count, 2);
	sbuf_add(&map, count, 4);
	put_text(&map, "class");
	put_text(&map, "org.apache.cassandra.locator.NetworkTopologyStrategy");
	put_text(&map, "dc1");
	put_text(&map, rfs);
	if ((rc = cql_type_parse_marshal(&h.key_type, "org.apache.cassandra.db.marshal.UTF8Type", 40, err)) < 0 ||
	    (rc = cql_type_parse_marshal(&cols[0].type, "org.apache.cassandra.db.marshal.BooleanType", 43, err)) < 0 ||
	    (rc = cql_type_parse_cql(&cols[1].type, "frozen<map<text, text>>", 23, NULL, NULL, err)) < 0)
		goto out;
	h.nregular = 2;
	h.regulars = cols;
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
		sst_token_of(SST_MURMUR3, (const uint8_t *)ks[i].name, strlen(ks[i].name), &ks[i].tok);
	qsort(ks, sizeof(ks) / sizeof(ks[0]), sizeof(ks[0]), by_token);
	if ((rc = sst_writer_open(&w, dir, 1, &h, o, err)) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]) && rc == 0; i++) {
		static const uint8_t yes = 1;
		struct sst_deletion live = { SST_NO_TS, SST_NO_LDT };
		struct sst_cell cells[2] = {
			{ .col = 0, .ts = ts_us, .ldt = SST_NO_LDT, .value = &yes, .len = 1 },
			{ .col = 1, .ts = ts_us, .ldt = SST_NO_LDT, .value = (const uint8_t *)map.buf, .len = (uint32_t)map.len },
		};
		struct sst_unfiltered u = { .kind = SST_ROW, .liveness = { ts_us, 0, SST_NO_LDT }, .deletion = live,
					    .ncells = 2, .cells = cells };
		if ((rc = sst_writer_partition(w, (const uint8_t *)ks[i].name, strlen(ks[i].name), &live, err)) == 0 &&
		    (rc = sst_writer_add(w, &u, err)) == 0)
			rc = sst_writer_end_partition(w, err);
	}
	if (rc == 0)
		rc = sst_writer_finish(w, err);
out:
	sst_writer_close(w);
	cql_type_free(h.key_type);
	cql_type_free(cols[0].type);
	cql_type_free(cols[1].type);
	sbuf_release(&map);
	return rc;
}
