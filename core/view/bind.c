#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/util/vec.h"
#include "core/view/bind.h"

int bind_init(struct bind *b, const struct sst_header *h, const char *name, struct dump_opts *o)
{
	const struct cql_table *t = o->table;
	const struct cql_type *kt = h->key_type;

	memset(b, 0, sizeof(*b));
	b->h = h;
	b->name = name;
	if (cql_type_kind(kt) == CQL_COMPOSITE) {
		b->npk = cql_type_nsub(kt) < 64 ? cql_type_nsub(kt) : 64;
		for (int i = 0; i < b->npk; i++)
			b->pk_type[i] = cql_type_sub(kt, i);
	} else {
		b->npk = 1;
		b->pk_type[0] = kt;
	}
	b->nck = h->nclustering < 64 ? h->nclustering : 64;
	for (int i = 0; i < b->npk; i++) {
		snprintf(b->pk_default[i], sizeof(b->pk_default[i]), i ? "PartitionKey%d" : "PartitionKey", i);
		b->pk_name[i] = b->pk_default[i];
	}
	for (int i = 0; i < b->nck; i++) {
		snprintf(b->ck_default[i], sizeof(b->ck_default[i]), i ? "clustering%d" : "clustering", i);
		b->ck_name[i] = b->ck_default[i];
	}
	b->reg_dropped = calloc((size_t)h->nregular + 1, sizeof(int64_t));
	b->st_dropped = calloc((size_t)h->nstatic + 1, sizeof(int64_t));
	if (!b->reg_dropped || !b->st_dropped)
		return -ENOMEM;
	for (int i = 0; i < h->nregular; i++)
		b->reg_dropped[i] = INT64_MIN;
	for (int i = 0; i < h->nstatic; i++)
		b->st_dropped[i] = INT64_MIN;
	if (!t) {
		snprintf(o->note, sizeof(o->note), "%s: no schema.cql: key columns named as sstabledump names them",
			 name);
		return 0;
	}
	if (cql_table_nkey(t, CQL_COL_PARTITION_KEY) != b->npk || cql_table_nkey(t, CQL_COL_CLUSTERING) != b->nck) {
		snprintf(o->note, sizeof(o->note), "%s: schema.cql's key (%d+%d columns) does not match the SSTable's "
			 "(%d+%d): key columns named as sstabledump names them", name,
			 cql_table_nkey(t, CQL_COL_PARTITION_KEY), cql_table_nkey(t, CQL_COL_CLUSTERING), b->npk, b->nck);
		return 0;
	}
	for (int i = 0; i < b->npk; i++)
		b->pk_name[i] = cql_table_key(t, CQL_COL_PARTITION_KEY, i)->name;
	for (int i = 0; i < b->nck; i++)
		b->ck_name[i] = cql_table_key(t, CQL_COL_CLUSTERING, i)->name;
	for (int st = 0; st < 2; st++) {
		int n = st ? h->nstatic : h->nregular;
		for (int i = 0; i < n; i++) {
			const struct sst_column *hc = st ? &h->statics[i] : &h->regulars[i];
			const struct cql_column *sc = cql_table_find(t, hc->name);
			if (!sc)
				continue;
			(st ? b->st_dropped : b->reg_dropped)[i] = sc->dropped_at;
		}
	}
	return 0;
}

int bind_fix_types(struct sst *s, const struct cql_table *t, struct pit_err *err)
{
	const struct sst_header *h = sst_header(s);
	int rc;

	for (int st = 0; t && st < 2; st++) {
		int n = st ? h->nstatic : h->nregular;
		for (int i = 0; i < n; i++) {
			const struct sst_column *hc = st ? &h->statics[i] : &h->regulars[i];
			const struct cql_column *sc = cql_table_find(t, hc->name);
			/* an m* header cannot tell a frozen UDT from a non-frozen one */
			if (sc && cql_type_kind(sc->type) == CQL_UDT && cql_type_kind(hc->type) == CQL_UDT &&
			    cql_type_multicell(sc->type) != cql_type_multicell(hc->type) &&
			    (rc = sst_column_set_type(s, st, i, sc->type, err)) < 0)
				return rc;
		}
	}
	return 0;
}

void bind_release(struct bind *b)
{
	free(b->reg_dropped);
	free(b->st_dropped);
}

int bind_key_parts(const struct bind *b, const struct sst_partition *p, const uint8_t *vals[64], size_t lens[64],
		   struct pit_err *err)
{
	if (b->npk > 1 || cql_type_kind(b->pk_type[0]) == CQL_COMPOSITE) {
		int n = cql_composite_split(p->key, p->key_len, vals, lens, 64);
		if (n != b->npk)
			return pit_errf(err, -EBADMSG, "partition key at offset %llu: %d components, type has %d",
					(unsigned long long)p->offset, n, b->npk);
		return n;
	}
	vals[0] = p->key;
	lens[0] = p->key_len;
	return 1;
}

int bind_render_key(struct bind *b, const struct sst_partition *p, enum cql_style style, bool named,
		    struct sbuf *sb, struct pit_err *err)
{
	const uint8_t *vals[64];
	size_t lens[64];
	int n, rc;

	if ((n = bind_key_parts(b, p, vals, lens, err)) < 0)
		return n;
	sbuf_addc(sb, named ? '{' : '[');
	for (int i = 0; i < n; i++) {
		if (i)
			sbuf_adds(sb, ", ");
		if (named) {
			sbuf_add_json_str(sb, b->pk_name[i], strlen(b->pk_name[i]));
			sbuf_adds(sb, ": ");
		}
		if ((rc = cql_value_render(b->pk_type[i], vals[i], lens[i], style, sb, err)) < 0)
			return rc;
	}
	sbuf_addc(sb, named ? '}' : ']');
	return 0;
}

int bind_render_clustering(struct bind *b, const struct sst_unfiltered *u, enum cql_style style, bool named,
			     struct sbuf *sb, struct pit_err *err)
{
	const struct sst_header *h = b->h;
	int rc;

	sbuf_addc(sb, named ? '{' : '[');
	for (int i = 0; i < u->nclust; i++) {
		if (i)
			sbuf_adds(sb, ", ");
		if (named) {
			sbuf_add_json_str(sb, b->ck_name[i], strlen(b->ck_name[i]));
			sbuf_adds(sb, ": ");
		}
		if (u->cstate[i] == SST_CK_NULL)
			sbuf_adds(sb, "null");
		else if ((rc = cql_value_render(h->clustering[i], u->cval[i], u->clen[i], style, sb, err)) < 0)
			return rc;
	}
	sbuf_addc(sb, named ? '}' : ']');
	return 0;
}

static int cmp_col(const void *a, const void *b, bool statics_first)
{
	const struct bind_col *x = a, *y = b;

	if (statics_first && x->is_static != y->is_static)
		return x->is_static ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_col_statics_first(const void *a, const void *b) { return cmp_col(a, b, true); }
static int cmp_col_by_name(const void *a, const void *b) { return cmp_col(a, b, false); }

static int add_col(const struct bind *b, struct bind_col **cols, size_t *n, size_t *cap, const char *name,
		   bool is_static)
{
	const struct sst_header *h = b->h;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*cols)[i].name, name))
			return 0;
	if (vec_grow((void **)cols, cap, *n + 1, sizeof(**cols)) < 0)
		return -ENOMEM;
	int idx = -1, nc = is_static ? h->nstatic : h->nregular;
	const struct sst_column *c = is_static ? h->statics : h->regulars;
	for (int i = 0; i < nc && idx < 0; i++)
		if (!strcmp(c[i].name, name))
			idx = i;
	(*cols)[(*n)++] = (struct bind_col){ name, is_static, idx };
	return 0;
}

int bind_columns(const struct bind *b, const struct cql_table *t, bool statics_first, struct bind_col **out,
		 size_t *nout)
{
	struct bind_col *cols = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (int i = 0; t && i < cql_table_ncolumns(t) && rc == 0; i++) {
		const struct cql_column *c = cql_table_column(t, i);
		if ((c->kind == CQL_COL_STATIC || c->kind == CQL_COL_REGULAR) && c->dropped_at == INT64_MIN)
			rc = add_col(b, &cols, &n, &cap, c->name, c->kind == CQL_COL_STATIC);
	}
	for (int st = 0; st < 2 && rc == 0; st++) {
		int nc = st ? b->h->nstatic : b->h->nregular;
		const struct sst_column *c = st ? b->h->statics : b->h->regulars;
		for (int i = 0; i < nc && rc == 0; i++) {
			const struct cql_column *sc = t ? cql_table_find(t, c[i].name) : NULL;
			if (!sc || sc->dropped_at == INT64_MIN)
				rc = add_col(b, &cols, &n, &cap, c[i].name, st);
		}
	}
	if (rc < 0) {
		free(cols);
		return rc;
	}
	if (n)
		qsort(cols, n, sizeof(*cols), statics_first ? cmp_col_statics_first : cmp_col_by_name);
	*out = cols;
	*nout = n;
	return 0;
}
