#include <string.h>
#include "core/cql/type.h"
#include "core/cql/value.h"
#include "core/view/keyspace.h"
#include "core/view/liverows.h"
#include "core/view/rows.h"

struct ksrow {
	const char *ks;
	struct sbuf replication, durable;
	bool found;
};

static int column(const struct sst_header *h, const char *name)
{
	for (int i = 0; i < h->nregular; i++)
		if (!strcmp(h->regulars[i].name, name))
			return i;
	return -1;
}

static int value_of(const struct sst_header *h, const struct live_cells *cells, int col, struct sbuf *out,
		    struct pit_err *err)
{
	for (uint32_t i = 0; col >= 0 && i < cells->n; i++)
		if (cells->v[i].col == col && !h->regulars[col].complex)
			return cql_value_render(h->regulars[col].type, cells->v[i].value, cells->v[i].len,
						CQL_STYLE_LITERAL, out, err);
	return 0;
}

static int row(void *ctx, const struct sst_header *h, const struct sst_partition *p, const struct sst_unfiltered *u,
	       const struct live_cells *statics, const struct live_cells *cells, struct pit_err *err)
{
	struct ksrow *k = ctx;
	int rc;

	(void)statics;
	if (!u || p->key_len != strlen(k->ks) || memcmp(p->key, k->ks, p->key_len))
		return 0;
	sbuf_reset(&k->replication);
	sbuf_reset(&k->durable);
	if ((rc = value_of(h, cells, column(h, "replication"), &k->replication, err)) < 0 ||
	    (rc = value_of(h, cells, column(h, "durable_writes"), &k->durable, err)) < 0)
		return rc;
	k->found = k->replication.len > 0;
	return 0;
}

int view_keyspace_cql(struct repo *r, int64_t at_us, const char *ks, struct sbuf *out, struct pit_err *err)
{
	struct ksrow k = { .ks = ks };
	int rc;

	sbuf_init(&k.replication);
	sbuf_init(&k.durable);
	rc = view_walk(r, at_us, "system_schema", "keyspaces", row, &k, err);
	if (rc == 0 && k.found) {
		static const char pkg[] = "org.apache.cassandra.locator.";
		sbuf_adds(out, "CREATE KEYSPACE IF NOT EXISTS ");
		cql_ident(out, ks);
		sbuf_adds(out, " WITH replication = ");
		/* class names as DESCRIBE writes them, without the package */
		const char *p = k.replication.buf, *end = p + k.replication.len;
		while (p < end) {
			const char *q = memmem(p, (size_t)(end - p), pkg, sizeof(pkg) - 1);
			size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
			sbuf_add(out, p, n);
			p += n + (q ? sizeof(pkg) - 1 : 0);
		}
		if (k.durable.len) {
			sbuf_adds(out, " AND durable_writes = ");
			sbuf_add(out, k.durable.buf, k.durable.len);
		}
		sbuf_adds(out, ";\n\n");
	} else if (rc == 0) {
		sbuf_adds(out, "-- CREATE KEYSPACE ");
		cql_ident(out, ks);
		sbuf_adds(out, " WITH replication = {...};\n-- (no backup at this instant holds system_schema.keyspaces "
			  "with this keyspace: its replication is not known; create it first)\n\n");
	}
	sbuf_release(&k.replication);
	sbuf_release(&k.durable);
	return rc;
}
