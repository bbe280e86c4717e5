#include "core/cql/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/util/bsrc.h"
#include "core/util/sbuf.h"

struct cql_table {
	char *ks, *name, *id;
	bool compact;
	int64_t gc_grace, default_ttl;
	int ncols;
	struct cql_column *cols;
};

struct cql_schema {
	char *name;
	int ntypes;
	struct cql_type **types;
	int ntables;
	struct cql_table **tables;
};

struct lex {
	const char *s, *end, *start;
	const char *name;
	struct pit_err *err;
};

static void skip_ws(struct lex *l)
{
	for (;;) {
		while (l->s < l->end && isspace((unsigned char)*l->s))
			l->s++;
		if (l->end - l->s >= 2 && ((l->s[0] == '-' && l->s[1] == '-') || (l->s[0] == '/' && l->s[1] == '/'))) {
			while (l->s < l->end && *l->s != '\n')
				l->s++;
		} else if (l->end - l->s >= 2 && l->s[0] == '/' && l->s[1] == '*') {
			const char *e = l->s + 2;
			while (e + 1 < l->end && !(e[0] == '*' && e[1] == '/'))
				e++;
			l->s = e + 1 < l->end ? e + 2 : l->end;
		} else {
			return;
		}
	}
}

static int line_of(const struct lex *l)
{
	int line = 1;
	for (const char *p = l->start; p < l->s && p < l->end; p++)
		line += *p == '\n';
	return line;
}

static int fail(struct lex *l, const char *what)
{
	int n = l->s < l->end ? (int)(l->end - l->s < 30 ? l->end - l->s : 30) : 0;
	return pit_errf(l->err, -EBADMSG, "%s: line %d: %s near \"%.*s\"", l->name, line_of(l), what, n,
			n ? l->s : "");
}

static bool is_kw(struct lex *l, const char *kw)
{
	size_t n = strlen(kw);
	skip_ws(l);
	if (l->s >= l->end || (size_t)(l->end - l->s) < n || strncasecmp(l->s, kw, n))
		return false;
	if (l->s + n < l->end && (isalnum((unsigned char)l->s[n]) || l->s[n] == '_'))
		return false;
	l->s += n;
	return true;
}

static bool is_ch(struct lex *l, char c)
{
	skip_ws(l);
	if (l->s < l->end && *l->s == c) {
		l->s++;
		return true;
	}
	return false;
}

/* An identifier: lower-cased unless double-quoted. */
static char *ident(struct lex *l)
{
	char buf[256];
	size_t n = 0;

	skip_ws(l);
	if (l->s < l->end && *l->s == '"') {
		l->s++;
		while (l->s < l->end && n < sizeof(buf) - 1) {
			if (*l->s == '"') {
				if (l->s + 1 < l->end && l->s[1] == '"') {
					buf[n++] = '"';
					l->s += 2;
					continue;
				}
				break;
			}
			buf[n++] = *l->s++;
		}
		if (l->s >= l->end || *l->s != '"')
			return NULL;
		l->s++;
	} else {
		while (l->s < l->end && (isalnum((unsigned char)*l->s) || *l->s == '_') && n < sizeof(buf) - 1)
			buf[n++] = (char)tolower((unsigned char)*l->s++);
	}
	if (!n)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* [keyspace.]name */
static int qualified(struct lex *l, char **ks, char **name)
{
	char *a = ident(l);
	*ks = *name = NULL;
	if (!a)
		return fail(l, "expected a name");
	if (is_ch(l, '.')) {
		char *b = ident(l);
		if (!b) {
			free(a);
			return fail(l, "expected a name after '.'");
		}
		*ks = a;
		*name = b;
	} else {
		*name = a;
	}
	return 0;
}

/* Skips to the end of the statement (the next ';' outside strings and braces). */
static void skip_statement(struct lex *l)
{
	int depth = 0;
	while (l->s < l->end) {
		skip_ws(l);
		if (l->s >= l->end)
			break;
		char c = *l->s++;
		if (c == '\'') {
			while (l->s < l->end && !(*l->s == '\'' && !(l->s + 1 < l->end && l->s[1] == '\'')))
				l->s += *l->s == '\'' && l->s + 1 < l->end ? 2 : 1;
			if (l->s < l->end)
				l->s++;
		} else if (c == '{' || c == '(') {
			depth++;
		} else if (c == '}' || c == ')') {
			depth--;
		} else if (c == ';' && depth <= 0) {
			return;
		}
	}
}

static struct cql_type *find_udt(void *ctx, const char *name)
{
	struct cql_schema *s = ctx;
	const char *dot = strrchr(name, '.');
	const char *bare = dot ? dot + 1 : name;
	for (int i = s->ntypes - 1; i >= 0; i--)
		if (!strcmp(cql_type_udt_name(s->types[i]), bare))
			return cql_type_dup(s->types[i]);
	return NULL;
}

/* The text of a type: up to ',' or ')' at depth 0, or a keyword after it. */
static int type_text(struct lex *l, struct cql_schema *s, struct cql_type **out)
{
	const char *start;
	int depth = 0;

	skip_ws(l);
	start = l->s;
	while (l->s < l->end) {
		char c = *l->s;
		if (c == '<')
			depth++;
		else if (c == '>')
			depth--;
		else if (depth == 0 && (c == ',' || c == ')' || c == ';'))
			break;
		else if (c == '\'') {
			l->s++;
			while (l->s < l->end && *l->s != '\'')
				l->s++;
			if (l->s >= l->end)
				break;
		} else if (depth == 0 && isspace((unsigned char)c)) {
			struct lex peek = *l;
			if (is_kw(&peek, "static") || is_kw(&peek, "primary"))
				break;
		}
		l->s++;
	}
	size_t n = (size_t)(l->s - start);
	while (n && isspace((unsigned char)start[n - 1]))
		n--;
	struct pit_err e2 = { 0 };
	int rc = cql_type_parse_cql(out, start, n, find_udt, s, &e2);
	if (rc < 0)
		return pit_errf(l->err, rc, "%s: line %d: %s", l->name, line_of(l), e2.msg);
	return 0;
}

static int create_type(struct lex *l, struct cql_schema *s)
{
	char *ks = NULL, *name = NULL, **names = NULL;
	struct cql_type **fields = NULL;
	int n = 0, rc;

	if (is_kw(l, "if") && !(is_kw(l, "not") && is_kw(l, "exists")))
		return fail(l, "expected IF NOT EXISTS");
	if ((rc = qualified(l, &ks, &name)) < 0)
		return rc;
	if (!is_ch(l, '(')) {
		rc = fail(l, "expected '(' after the type name");
		goto out;
	}
	do {
		char *f = ident(l);
		struct cql_type *t = NULL;
		if (!f) {
			rc = fail(l, "expected a field name");
			goto out;
		}
		if ((rc = type_text(l, s, &t)) < 0) {
			free(f);
			goto out;
		}
		char **nn = realloc(names, (size_t)(n + 1) * sizeof(*nn));
		struct cql_type **nf = realloc(fields, (size_t)(n + 1) * sizeof(*nf));
		if (nn)
			names = nn;
		if (nf)
			fields = nf;
		if (!nn || !nf) {
			free(f);
			cql_type_free(t);
			rc = -ENOMEM;
			goto out;
		}
		names[n] = f;
		fields[n++] = t;
	} while (is_ch(l, ','));
	if (!is_ch(l, ')')) {
		rc = fail(l, "expected ')' after the fields");
		goto out;
	}
	struct cql_type *udt = cql_type_new_udt(ks, name, n, names, fields);
	names = NULL;
	fields = NULL;
	n = 0;
	if (!udt) {
		rc = -ENOMEM;
		goto out;
	}
	struct cql_type **nt = realloc(s->types, (size_t)(s->ntypes + 1) * sizeof(*nt));
	if (!nt) {
		cql_type_free(udt);
		rc = -ENOMEM;
		goto out;
	}
	s->types = nt;
	s->types[s->ntypes++] = udt;
	rc = 0;
out:
	for (int i = 0; i < n; i++) {
		free(names[i]);
		cql_type_free(fields[i]);
	}
	free(names);
	free(fields);
	free(ks);
	free(name);
	return rc;
}

static void table_free(struct cql_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		cql_type_free(t->cols[i].type);
	}
	free(t->cols);
	free(t->ks);
	free(t->name);
	free(t->id);
	free(t);
}

static struct cql_column *col_find(struct cql_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return &t->cols[i];
	return NULL;
}

static int add_col(struct cql_table *t, char *name, struct cql_type *type, enum cql_col_kind kind)
{
	struct cql_column *nc = realloc(t->cols, (size_t)(t->ncols + 1) * sizeof(*nc));
	if (!nc) {
		free(name);
		cql_type_free(type);
		return -ENOMEM;
	}
	t->cols = nc;
	memset(&nc[t->ncols], 0, sizeof(*nc));
	nc[t->ncols].name = name;
	nc[t->ncols].type = type;
	nc[t->ncols].kind = kind;
	nc[t->ncols].dropped_at = INT64_MIN;
	t->ncols++;
	return 0;
}

static int key_column(struct lex *l, struct cql_table *t, enum cql_col_kind kind, int pos)
{
	char *n = ident(l);
	struct cql_column *c = n ? col_find(t, n) : NULL;
	free(n);
	if (!c)
		return fail(l, "PRIMARY KEY names an unknown column");
	if (c->kind != CQL_COL_REGULAR)
		return fail(l, "column appears twice in PRIMARY KEY");
	c->kind = kind;
	c->position = pos;
	return 0;
}

static int primary_key(struct lex *l, struct cql_table *t)
{
	int rc, np = 0, nc = 0;

	if (!is_ch(l, '('))
		return fail(l, "expected '(' after PRIMARY KEY");
	if (is_ch(l, '(')) {
		do {
			if ((rc = key_column(l, t, CQL_COL_PARTITION_KEY, np++)) < 0)
				return rc;
		} while (is_ch(l, ','));
		if (!is_ch(l, ')'))
			return fail(l, "expected ')' after the partition key");
	} else if ((rc = key_column(l, t, CQL_COL_PARTITION_KEY, np++)) < 0) {
		return rc;
	}
	while (is_ch(l, ','))
		if ((rc = key_column(l, t, CQL_COL_CLUSTERING, nc++)) < 0)
			return rc;
	if (!is_ch(l, ')'))
		return fail(l, "expected ')' after PRIMARY KEY");
	return 0;
}

/* A value in WITH options; returns a copy of simple values. */
static char *option_value(struct lex *l)
{
	skip_ws(l);
	const char *start = l->s;
	if (l->s < l->end && *l->s == '{') {
		int depth = 0;
		while (l->s < l->end) {
			char c = *l->s++;
			if (c == '\'') {
				/* skip the string, where '' stands for a quote */
				while (l->s < l->end) {
					if (*l->s == '\'' && !(l->s + 1 < l->end && l->s[1] == '\''))
						break;
					l->s += *l->s == '\'' ? 2 : 1;
				}
				if (l->s < l->end)
					l->s++;
			} else if (c == '{') {
				depth++;
			} else if (c == '}' && --depth == 0) {
				break;
			}
		}
		return NULL;
	}
	if (l->s < l->end && *l->s == '\'') {	/* 'text' with '' for a quote */
		struct sbuf sb;
		sbuf_init(&sb);
		for (l->s++; l->s < l->end; l->s++) {
			if (*l->s == '\'') {
				if (l->s + 1 < l->end && l->s[1] == '\'') {
					sbuf_addc(&sb, '\'');
					l->s++;
					continue;
				}
				l->s++;
				break;
			}
			sbuf_addc(&sb, *l->s);
		}
		if (!sb.buf)
			return strdup("");
		return sb.buf;
	}
	while (l->s < l->end && !isspace((unsigned char)*l->s) && *l->s != ';')
		l->s++;
	return strndup(start, (size_t)(l->s - start));
}

static int table_options(struct lex *l, struct cql_table *t)
{
	do {
		if (is_kw(l, "compact")) {
			if (!is_kw(l, "storage"))
				return fail(l, "expected STORAGE after COMPACT");
			t->compact = true;
		} else if (is_kw(l, "clustering")) {
			if (!is_kw(l, "order") || !is_kw(l, "by") || !is_ch(l, '('))
				return fail(l, "expected ORDER BY (");
			do {
				char *n = ident(l);
				struct cql_column *c = n ? col_find(t, n) : NULL;
				free(n);
				if (!c || c->kind != CQL_COL_CLUSTERING)
					return fail(l, "CLUSTERING ORDER names a column that is not a clustering column");
				if (is_kw(l, "desc"))
					cql_type_set_reversed(c->type, true);
				else
					is_kw(l, "asc");
			} while (is_ch(l, ','));
			if (!is_ch(l, ')'))
				return fail(l, "expected ')' after CLUSTERING ORDER");
		} else {
			char *key = ident(l);
			if (!key)
				return fail(l, "expected a table option");
			if (!is_ch(l, '=')) {
				free(key);
				return fail(l, "expected '=' after a table option");
			}
			char *v = option_value(l);
			if (!strcmp(key, "id") && v) {
				free(t->id);
				t->id = v;
				v = NULL;
			} else if (!strcmp(key, "gc_grace_seconds") && v) {
				t->gc_grace = strtoll(v, NULL, 10);
			} else if (!strcmp(key, "default_time_to_live") && v) {
				t->default_ttl = strtoll(v, NULL, 10);
			}
			free(v);
			free(key);
		}
	} while (is_kw(l, "and"));
	return 0;
}

static int create_table(struct lex *l, struct cql_schema *s)
{
	struct cql_table *t = calloc(1, sizeof(*t));
	int rc;
	bool has_pk = false;

	if (!t)
		return -ENOMEM;
	t->gc_grace = -1;
	if (is_kw(l, "if") && !(is_kw(l, "not") && is_kw(l, "exists"))) {
		rc = fail(l, "expected IF NOT EXISTS");
		goto out;
	}
	if ((rc = qualified(l, &t->ks, &t->name)) < 0)
		goto out;
	if (!is_ch(l, '(')) {
		rc = fail(l, "expected '(' after the table name");
		goto out;
	}
	do {
		if (is_kw(l, "primary")) {
			if (!is_kw(l, "key")) {
				rc = fail(l, "expected KEY after PRIMARY");
				goto out;
			}
			if ((rc = primary_key(l, t)) < 0)
				goto out;
			has_pk = true;
			continue;
		}
		char *n = ident(l);
		struct cql_type *ty = NULL;
		if (!n) {
			rc = fail(l, "expected a column name");
			goto out;
		}
		if ((rc = type_text(l, s, &ty)) < 0) {
			free(n);
			goto out;
		}
		bool is_static = is_kw(l, "static");
		if ((rc = add_col(t, n, ty, is_static ? CQL_COL_STATIC : CQL_COL_REGULAR)) < 0)
			goto out;
		if (is_kw(l, "primary")) {
			if (!is_kw(l, "key")) {
				rc = fail(l, "expected KEY after PRIMARY");
				goto out;
			}
			t->cols[t->ncols - 1].kind = CQL_COL_PARTITION_KEY;
			has_pk = true;
		}
	} while (is_ch(l, ','));
	if (!is_ch(l, ')')) {
		rc = fail(l, "expected ')' after the columns");
		goto out;
	}
	if (!has_pk) {
		rc = fail(l, "table has no PRIMARY KEY");
		goto out;
	}
	if (is_kw(l, "with") && (rc = table_options(l, t)) < 0)
		goto out;
	struct cql_table **nt = realloc(s->tables, (size_t)(s->ntables + 1) * sizeof(*nt));
	if (!nt) {
		rc = -ENOMEM;
		goto out;
	}
	s->tables = nt;
	s->tables[s->ntables++] = t;
	t = NULL;
	rc = 0;
out:
	table_free(t);
	return rc;
}

static struct cql_table *table_named(struct cql_schema *s, const char *ks, const char *name)
{
	for (int i = s->ntables - 1; i >= 0; i--)
		if (!strcmp(s->tables[i]->name, name) && (!ks || !s->tables[i]->ks || !strcmp(ks, s->tables[i]->ks)))
			return s->tables[i];
	return NULL;
}

static int64_t using_timestamp(struct lex *l)
{
	if (is_kw(l, "using") && is_kw(l, "timestamp")) {
		char *v = option_value(l);
		int64_t ts = v ? strtoll(v, NULL, 10) : INT64_MIN;
		free(v);
		return ts;
	}
	return INT64_MIN;
}

static int alter_table(struct lex *l, struct cql_schema *s)
{
	char *ks = NULL, *name = NULL;
	int rc;

	if ((rc = qualified(l, &ks, &name)) < 0)
		return rc;
	struct cql_table *t = table_named(s, ks, name);
	free(ks);
	free(name);
	if (!t)
		return fail(l, "ALTER TABLE of a table not created before");
	if (is_kw(l, "drop")) {
		/* DROP col [USING TIMESTAMP t]: the column's cells older than t are gone */
		bool paren = is_ch(l, '(');
		char *names[64];
		int n = 0;
		do {
			char *c = ident(l);
			if (!c)
				break;
			if (n < 64)
				names[n++] = c;
			else
				free(c);
		} while (paren && is_ch(l, ','));
		if (paren)
			is_ch(l, ')');
		int64_t ts = using_timestamp(l);
		for (int i = 0; i < n; i++) {
			struct cql_column *c = col_find(t, names[i]);
			if (c)
				c->dropped_at = ts == INT64_MIN ? INT64_MAX : ts;
			free(names[i]);
		}
		return 0;
	}
	if (is_kw(l, "add")) {
		char *c = ident(l);
		struct cql_type *ty = NULL;
		if (!c)
			return fail(l, "expected a column name after ADD");
		if ((rc = type_text(l, s, &ty)) < 0) {
			free(c);
			return rc;
		}
		bool st = is_kw(l, "static");
		struct cql_column *old = col_find(t, c);
		if (old) {	/* re-added after a drop */
			cql_type_free(old->type);
			old->type = ty;
			free(c);
			return 0;
		}
		return add_col(t, c, ty, st ? CQL_COL_STATIC : CQL_COL_REGULAR);
	}
	return 0;
}

int cql_schema_parse(struct cql_schema **out, const char *text, size_t n, const char *name, struct pit_err *err)
{
	struct cql_schema *s = calloc(1, sizeof(*s));
	struct lex l = { text, text + n, text, name, err };
	int rc = 0;

	*out = NULL;
	if (!s || !(s->name = strdup(name))) {
		free(s);
		return -ENOMEM;
	}
	for (;;) {
		skip_ws(&l);
		if (l.s >= l.end)
			break;
		if (is_ch(&l, ';'))
			continue;
		if (is_kw(&l, "create")) {
			if (is_kw(&l, "type"))
				rc = create_type(&l, s);
			else if (is_kw(&l, "table") || is_kw(&l, "columnfamily"))
				rc = create_table(&l, s);
			else
				skip_statement(&l);	/* keyspaces, indexes, views, functions */
		} else if (is_kw(&l, "alter") && is_kw(&l, "table")) {
			rc = alter_table(&l, s);
		} else {
			skip_statement(&l);
			continue;
		}
		if (rc < 0)
			break;
		skip_ws(&l);
		if (l.s < l.end && !is_ch(&l, ';')) {
			rc = fail(&l, "expected ';' at the end of the statement");
			break;
		}
	}
	if (rc < 0) {
		cql_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int cql_schema_load(struct cql_schema **out, const char *path, struct pit_err *err)
{
	struct bsrc *bs = NULL;
	uint8_t *buf = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = bsrc_open_file(&bs, path, err)) < 0)
		return rc;
	if ((rc = bsrc_read_all(bs, &buf, &n, 16u << 20, err)) == 0)
		rc = cql_schema_parse(out, (const char *)buf, n, path, err);
	free(buf);
	bsrc_close(bs);
	return rc;
}

void cql_schema_free(struct cql_schema *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ntypes; i++)
		cql_type_free(s->types[i]);
	free(s->types);
	for (int i = 0; i < s->ntables; i++)
		table_free(s->tables[i]);
	free(s->tables);
	free(s->name);
	free(s);
}

int cql_schema_ntables(const struct cql_schema *s) { return s->ntables; }
const struct cql_table *cql_schema_table(const struct cql_schema *s, int i) { return s->tables[i]; }
const char *cql_table_keyspace(const struct cql_table *t) { return t->ks; }
const char *cql_table_name(const struct cql_table *t) { return t->name; }
const char *cql_table_id(const struct cql_table *t) { return t->id; }
bool cql_table_compact(const struct cql_table *t) { return t->compact; }
int64_t cql_table_gc_grace(const struct cql_table *t) { return t->gc_grace; }
int64_t cql_table_default_ttl(const struct cql_table *t) { return t->default_ttl; }
int cql_table_ncolumns(const struct cql_table *t) { return t->ncols; }
const struct cql_column *cql_table_column(const struct cql_table *t, int i) { return &t->cols[i]; }

const struct cql_column *cql_table_find(const struct cql_table *t, const char *name)
{
	return col_find((struct cql_table *)t, name);
}

int cql_table_nkey(const struct cql_table *t, enum cql_col_kind kind)
{
	int n = 0;
	for (int i = 0; i < t->ncols; i++)
		n += t->cols[i].kind == kind;
	return n;
}

const struct cql_column *cql_table_key(const struct cql_table *t, enum cql_col_kind kind, int pos)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].kind == kind && t->cols[i].position == pos)
			return &t->cols[i];
	return NULL;
}
