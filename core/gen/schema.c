/* The generated cluster's schema: a shop and its metrics, chosen to exercise
 * every kind of column and key Cassandra has. */
#include "core/gen/gen_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char gen_udt_cql[] = "CREATE TYPE IF NOT EXISTS shop.address (\n    street text,\n    city text,\n    zip text\n);\n";

static const struct {
	const char *ks, *name, *cql;
	bool counter, rts;
} defs[] = {
	{ "shop", "customers",
	  "CREATE TABLE IF NOT EXISTS shop.customers (\n    id text PRIMARY KEY,\n    address frozen<address>,\n"
	  "    email text,\n    name text,\n    prefs map<text, text>,\n    tags set<text>,\n    tier text\n)", false, false },
	{ "shop", "orders",
	  "CREATE TABLE IF NOT EXISTS shop.orders (\n    customer text,\n    placed timestamp,\n    order_id uuid,\n"
	  "    amount decimal,\n    items list<text>,\n    note text,\n    status text,\n    tier text static,\n"
	  "    PRIMARY KEY (customer, placed, order_id)\n) WITH CLUSTERING ORDER BY (placed DESC, order_id ASC)", false, false },
	{ "shop", "page_views", "CREATE TABLE IF NOT EXISTS shop.page_views (\n    page text PRIMARY KEY,\n    views counter\n)",
	  true, false },
	{ "metrics", "readings",
	  "CREATE TABLE IF NOT EXISTS metrics.readings (\n    sensor text,\n    day date,\n    ts timestamp,\n"
	  "    quality int,\n    value double,\n    PRIMARY KEY ((sensor, day), ts)\n)", false, true },
};

int gen_ntables(void) { return (int)(sizeof(defs) / sizeof(defs[0])); }

/* Cassandra's header order: simple columns, then complex ones, each by name. */
static int col_order(const void *a, const void *b)
{
	const struct sst_column *x = a, *y = b;
	if (x->complex != y->complex)
		return x->complex ? 1 : -1;
	return strcmp(x->name, y->name);
}

int gen_table_init(struct gtable *t, int i, uint64_t id_seed, struct pit_err *err)
{
	struct sbuf text;
	int rc;

	memset(t, 0, sizeof(*t));
	t->ks = defs[i].ks;
	t->name = defs[i].name;
	t->cql = defs[i].cql;
	t->counter = defs[i].counter;
	t->has_rts = defs[i].rts;
	t->gc_grace = 3600;
	snprintf(t->id, sizeof(t->id), "%016llx%016llx", (unsigned long long)(id_seed * 0x9e3779b97f4a7c15ull),
		 (unsigned long long)(id_seed ^ 0xc2b2ae3d27d4eb4full));
	sbuf_init(&text);
	sbuf_adds(&text, gen_udt_cql);
	sbuf_adds(&text, t->cql);
	sbuf_adds(&text, ";\n");
	rc = cql_schema_parse(&t->schema, text.buf, text.len, "generated schema", err);
	sbuf_release(&text);
	if (rc < 0)
		return rc;
	t->ct = cql_schema_table(t->schema, 0);
	struct sst_header *h = &t->hdr;
	t->npk = cql_table_nkey(t->ct, CQL_COL_PARTITION_KEY);
	t->nck = cql_table_nkey(t->ct, CQL_COL_CLUSTERING);
	if (t->npk == 1) {
		h->key_type = cql_type_dup(cql_table_key(t->ct, CQL_COL_PARTITION_KEY, 0)->type);
	} else {	/* CompositeType of the key columns */
		struct sbuf m;
		sbuf_init(&m);
		sbuf_adds(&m, "org.apache.cassandra.db.marshal.CompositeType(");
		for (int k = 0; k < t->npk; k++) {
			if (k)
				sbuf_addc(&m, ',');
			cql_type_to_marshal(cql_table_key(t->ct, CQL_COL_PARTITION_KEY, k)->type, &m);
		}
		sbuf_addc(&m, ')');
		rc = cql_type_parse_marshal(&h->key_type, m.buf, m.len, err);
		sbuf_release(&m);
		if (rc < 0)
			return rc;
	}
	for (int k = 0; k < t->npk; k++) {
		t->pk_names[k] = cql_table_key(t->ct, CQL_COL_PARTITION_KEY, k)->name;
		t->pk_types[k] = cql_table_key(t->ct, CQL_COL_PARTITION_KEY, k)->type;
	}
	h->nclustering = t->nck;
	h->clustering = calloc((size_t)t->nck + 1, sizeof(*h->clustering));
	for (int k = 0; k < t->nck; k++) {
		t->ck_names[k] = cql_table_key(t->ct, CQL_COL_CLUSTERING, k)->name;
		h->clustering[k] = cql_type_dup(cql_table_key(t->ct, CQL_COL_CLUSTERING, k)->type);
	}
	int n = cql_table_ncolumns(t->ct);
	h->statics = calloc((size_t)n + 1, sizeof(*h->statics));
	h->regulars = calloc((size_t)n + 1, sizeof(*h->regulars));
	for (int k = 0; k < n; k++) {
		const struct cql_column *c = cql_table_column(t->ct, k);
		if (c->kind != CQL_COL_STATIC && c->kind != CQL_COL_REGULAR)
			continue;
		struct sst_column *d = c->kind == CQL_COL_STATIC ? &h->statics[h->nstatic++] : &h->regulars[h->nregular++];
		d->name = strdup(c->name);
		d->type = cql_type_dup(c->type);
		d->complex = cql_type_multicell(c->type);
		d->fixed = cql_type_fixed_len(c->type);
	}
	qsort(h->statics, (size_t)h->nstatic, sizeof(*h->statics), col_order);
	qsort(h->regulars, (size_t)h->nregular, sizeof(*h->regulars), col_order);
	return 0;
}

void gen_table_release(struct gtable *t)
{
	sst_header_release(&t->hdr);
	cql_schema_free(t->schema);
}

/* Index of a column by name in the header (statics or regulars). */
int gen_col(const struct gtable *t, const char *name, bool *is_static)
{
	for (int i = 0; i < t->hdr.nstatic; i++)
		if (!strcmp(t->hdr.statics[i].name, name)) {
			*is_static = true;
			return i;
		}
	for (int i = 0; i < t->hdr.nregular; i++)
		if (!strcmp(t->hdr.regulars[i].name, name)) {
			*is_static = false;
			return i;
		}
	abort();
}

/* schema.cql as Cassandra writes it into a snapshot. */
void gen_schema_cql(const struct gtable *t, struct sbuf *out)
{
	if (!strcmp(t->ks, "shop") && strstr(t->cql, "address"))
		sbuf_adds(out, gen_udt_cql);
	bool has_with = strstr(t->cql, " WITH ") != NULL;
	sbuf_add(out, t->cql, strlen(t->cql));
	sbuf_addf(out, "%s ID = %.8s-%.4s-%.4s-%.4s-%.12s\n    AND gc_grace_seconds = %d;\n", has_with ? "\n    AND" : " WITH",
		  t->id, t->id + 8, t->id + 12, t->id + 16, t->id + 20, t->gc_grace);
}
