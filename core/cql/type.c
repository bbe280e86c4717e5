#include "core/cql/type.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct cql_type {
	enum cql_kind kind;
	bool frozen, reversed;
	int n;			/* sub-types (collections, tuple, udt, composite, vector) */
	struct cql_type **sub;
	char **names;		/* UDT field names, decoded */
	char *ks, *name;	/* UDT keyspace and name; custom class name */
	int dim;		/* vector dimension */
};

static const struct {
	const char *cls, *cql;
	enum cql_kind kind;
	int fixed;
} natives[] = {
	{ "AsciiType", "ascii", CQL_ASCII, -1 },
	{ "UTF8Type", "text", CQL_TEXT, -1 },
	{ "BytesType", "blob", CQL_BLOB, -1 },
	{ "BooleanType", "boolean", CQL_BOOLEAN, 1 },
	{ "Int32Type", "int", CQL_INT, 4 },
	{ "LongType", "bigint", CQL_BIGINT, 8 },
	{ "ShortType", "smallint", CQL_SMALLINT, -1 },
	{ "ByteType", "tinyint", CQL_TINYINT, -1 },
	{ "IntegerType", "varint", CQL_VARINT, -1 },
	{ "DecimalType", "decimal", CQL_DECIMAL, -1 },
	{ "FloatType", "float", CQL_FLOAT, 4 },
	{ "DoubleType", "double", CQL_DOUBLE, 8 },
	{ "UUIDType", "uuid", CQL_UUID, 16 },
	{ "TimeUUIDType", "timeuuid", CQL_TIMEUUID, 16 },
	{ "LexicalUUIDType", "'org.apache.cassandra.db.marshal.LexicalUUIDType'", CQL_LEXICALUUID, 16 },
	{ "TimestampType", "timestamp", CQL_TIMESTAMP, 8 },
	{ "DateType", "timestamp", CQL_TIMESTAMP, 8 },
	{ "SimpleDateType", "date", CQL_DATE, -1 },
	{ "TimeType", "time", CQL_TIME, -1 },
	{ "DurationType", "duration", CQL_DURATION, -1 },
	{ "InetAddressType", "inet", CQL_INET, -1 },
	{ "CounterColumnType", "counter", CQL_COUNTER, -1 },
	{ "EmptyType", "'org.apache.cassandra.db.marshal.EmptyType'", CQL_EMPTY, 0 },
};

static const struct {
	const char *cls, *cql;
	enum cql_kind kind;
} composites[] = {
	{ "ListType", "list", CQL_LIST },
	{ "SetType", "set", CQL_SET },
	{ "MapType", "map", CQL_MAP },
	{ "TupleType", "tuple", CQL_TUPLE },
	{ "UserType", NULL, CQL_UDT },
	{ "VectorType", "vector", CQL_VECTOR },
	{ "CompositeType", NULL, CQL_COMPOSITE },
	{ "DynamicCompositeType", NULL, CQL_DYNCOMPOSITE },
};

/* At most 40 characters of the input from s, which need not be NUL-terminated. */
#define SNIP(s, end) (int)((end) - (s) < 40 ? ((end) > (s) ? (end) - (s) : 0) : 40), (s)

static struct cql_type *type_new(enum cql_kind kind)
{
	struct cql_type *t = calloc(1, sizeof(*t));
	if (t)
		t->kind = kind;
	return t;
}

void cql_type_free(struct cql_type *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++) {
		cql_type_free(t->sub[i]);
		if (t->names)
			free(t->names[i]);
	}
	free(t->sub);
	free(t->names);
	free(t->ks);
	free(t->name);
	free(t);
}

static char *strdup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

struct cql_type *cql_type_dup(const struct cql_type *t)
{
	struct cql_type *d;

	if (!t || !(d = type_new(t->kind)))
		return NULL;
	d->frozen = t->frozen;
	d->reversed = t->reversed;
	d->dim = t->dim;
	if ((t->ks && !(d->ks = strdup(t->ks))) || (t->name && !(d->name = strdup(t->name))))
		goto fail;
	if (t->n) {
		d->sub = calloc((size_t)t->n, sizeof(*d->sub));
		if (!d->sub)
			goto fail;
		if (t->names && !(d->names = calloc((size_t)t->n, sizeof(*d->names))))
			goto fail;
		d->n = t->n;
		for (int i = 0; i < t->n; i++) {
			if (!(d->sub[i] = cql_type_dup(t->sub[i])))
				goto fail;
			if (t->names && !(d->names[i] = strdup(t->names[i])))
				goto fail;
		}
	}
	return d;
fail:
	cql_type_free(d);
	return NULL;
}

struct cql_type *cql_type_new_udt(const char *ks, const char *name, int n, char **names, struct cql_type **fields)
{
	struct cql_type *t = type_new(CQL_UDT);

	if (!t || !(t->ks = strdup(ks ? ks : "")) || !(t->name = strdup(name))) {
		cql_type_free(t);
		for (int i = 0; i < n; i++) {
			free(names[i]);
			cql_type_free(fields[i]);
		}
		free(names);
		free(fields);
		return NULL;
	}
	t->n = n;
	t->names = names;
	t->sub = fields;
	return t;
}

enum cql_kind cql_type_kind(const struct cql_type *t) { return t->kind; }
bool cql_type_frozen(const struct cql_type *t) { return t->frozen; }
bool cql_type_reversed(const struct cql_type *t) { return t->reversed; }
int cql_type_nsub(const struct cql_type *t) { return t->n; }
const struct cql_type *cql_type_sub(const struct cql_type *t, int i) { return i >= 0 && i < t->n ? t->sub[i] : NULL; }
const char *cql_type_field(const struct cql_type *t, int i) { return t->names && i >= 0 && i < t->n ? t->names[i] : NULL; }
const char *cql_type_udt_name(const struct cql_type *t) { return t->name; }
const char *cql_type_udt_keyspace(const struct cql_type *t) { return t->ks; }
int cql_type_vector_dim(const struct cql_type *t) { return t->dim; }
void cql_type_set_reversed(struct cql_type *t, bool reversed) { t->reversed = reversed; }

static void freeze_all(struct cql_type *t)
{
	t->frozen = true;
	for (int i = 0; i < t->n; i++)
		freeze_all(t->sub[i]);
}

void cql_type_set_frozen(struct cql_type *t, bool frozen)
{
	if (frozen)
		freeze_all(t);
	else
		t->frozen = false;
}

bool cql_type_is_collection(const struct cql_type *t)
{
	return t->kind == CQL_LIST || t->kind == CQL_SET || t->kind == CQL_MAP;
}

bool cql_type_multicell(const struct cql_type *t)
{
	return !t->frozen && (cql_type_is_collection(t) || t->kind == CQL_UDT);
}

int cql_type_fixed_len(const struct cql_type *t)
{
	if (t->kind == CQL_VECTOR) {
		int e = cql_type_fixed_len(t->sub[0]);
		return e >= 0 ? e * t->dim : -1;
	}
	if (t->kind == CQL_CUSTOM || t->kind >= CQL_LIST)
		return -1;
	for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
		if (natives[i].kind == t->kind)
			return natives[i].fixed;
	return -1;
}

bool cql_type_equal(const struct cql_type *a, const struct cql_type *b)
{
	if (a->kind != b->kind || a->n != b->n || a->dim != b->dim)
		return false;
	if (a->kind == CQL_UDT && (strcmp(a->name, b->name) || strcmp(a->ks, b->ks)))
		return false;
	for (int i = 0; i < a->n; i++)
		if (!cql_type_equal(a->sub[i], b->sub[i]))
			return false;
	return true;
}

/* ---- marshal class strings ---------------------------------------------- */

struct mparse {
	const char *s, *end;
	struct pit_err *err;
	int depth;
};

static void mskip_ws(struct mparse *m)
{
	while (m->s < m->end && isspace((unsigned char)*m->s))
		m->s++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static char *unhex(const char *s, size_t n)
{
	char *d;

	if (n % 2)
		return NULL;
	if (!(d = malloc(n / 2 + 1)))
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(d);
			return NULL;
		}
		d[i] = (char)(hi << 4 | lo);
	}
	d[n / 2] = '\0';
	return d;
}

static int mparse_type(struct mparse *m, struct cql_type **out);

/* A bare token up to one of ",():" at depth 0 (keyspace, hex names, numbers). */
static size_t mtoken(struct mparse *m, const char **start)
{
	mskip_ws(m);
	*start = m->s;
	while (m->s < m->end && !strchr(",():", *m->s))
		m->s++;
	size_t n = (size_t)(m->s - *start);
	while (n && isspace((unsigned char)(*start)[n - 1]))
		n--;
	return n;
}

static int mexpect(struct mparse *m, char c)
{
	mskip_ws(m);
	if (m->s >= m->end || *m->s != c)
		return pit_errf(m->err, -EBADMSG, "type string: expected '%c' at \"%.*s\"", c, SNIP(m->s, m->end));
	m->s++;
	return 0;
}

static int madd_sub(struct cql_type *t, struct cql_type *sub, char *name)
{
	struct cql_type **ns = realloc(t->sub, (size_t)(t->n + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	t->sub = ns;
	if (name || t->names) {
		char **nn = realloc(t->names, (size_t)(t->n + 1) * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		t->names = nn;
		nn[t->n] = name;
	}
	ns[t->n++] = sub;
	return 0;
}

static int mparse_item(struct mparse *m, struct cql_type *t)
{
	struct cql_type *sub = NULL;
	char *fname = NULL;
	const char *tok;
	size_t n;
	int rc;

	if (t->kind == CQL_UDT) {
		n = mtoken(m, &tok);
		if (!(fname = unhex(tok, n)))
			return pit_errf(m->err, -EBADMSG, "type string: bad hex field name \"%.*s\"", (int)n, tok);
		if ((rc = mexpect(m, ':')) < 0)
			goto fail;
	} else if (t->kind == CQL_VECTOR && t->n == 1) {
		char buf[16];
		n = mtoken(m, &tok);
		if (n == 0 || n >= sizeof(buf))
			return pit_errf(m->err, -EBADMSG, "type string: bad vector dimension");
		memcpy(buf, tok, n);
		buf[n] = '\0';
		t->dim = atoi(buf);
		if (t->dim <= 0 || t->dim > 1 << 20)
			return pit_errf(m->err, -EBADMSG, "type string: bad vector dimension %s", buf);
		return 0;
	} else if (t->kind == CQL_DYNCOMPOSITE) {
		/* "a=>T": skip the alias */
		const char *p = m->s;
		while (p + 1 < m->end && !(p[0] == '=' && p[1] == '>') && *p != ',' && *p != ')')
			p++;
		if (p + 1 < m->end && p[0] == '=' && p[1] == '>')
			m->s = p + 2;
	}
	if ((rc = mparse_type(m, &sub)) < 0)
		goto fail;
	if ((rc = madd_sub(t, sub, fname)) < 0)
		goto fail;
	return 0;
fail:
	free(fname);
	cql_type_free(sub);
	return rc;
}

static int mparse_args(struct mparse *m, struct cql_type *t)
{
	int rc;

	if ((rc = mexpect(m, '(')) < 0)
		return rc;
	if (t->kind == CQL_UDT) {
		const char *tok;
		size_t n = mtoken(m, &tok);
		if (!(t->ks = strdup_n(tok, n)))
			return -ENOMEM;
		if ((rc = mexpect(m, ',')) < 0)
			return rc;
		n = mtoken(m, &tok);
		if (!(t->name = unhex(tok, n)))
			return pit_errf(m->err, -EBADMSG, "type string: bad hex UDT name \"%.*s\"", (int)n, tok);
		mskip_ws(m);
		while (m->s < m->end && *m->s == ',') {
			m->s++;
			if ((rc = mparse_item(m, t)) < 0)
				return rc;
			mskip_ws(m);
		}
		return mexpect(m, ')');
	}
	mskip_ws(m);
	if (m->s < m->end && *m->s == ')') {
		m->s++;
		return 0;
	}
	for (;;) {
		if ((rc = mparse_item(m, t)) < 0)
			return rc;
		mskip_ws(m);
		if (m->s < m->end && *m->s == ',') {
			m->s++;
			continue;
		}
		return mexpect(m, ')');
	}
}

static int mcheck_arity(struct mparse *m, struct cql_type *t)
{
	int want = t->kind == CQL_LIST || t->kind == CQL_SET || t->kind == CQL_VECTOR ? 1 : t->kind == CQL_MAP ? 2 : -1;
	if (want >= 0 && t->n != want)
		return pit_errf(m->err, -EBADMSG, "type string: %s takes %d parameter(s), got %d",
				t->kind == CQL_MAP ? "MapType" : "collection", want, t->n);
	if ((t->kind == CQL_TUPLE || t->kind == CQL_COMPOSITE) && t->n == 0)
		return pit_errf(m->err, -EBADMSG, "type string: empty tuple or composite");
	if (t->kind == CQL_VECTOR && t->dim <= 0)
		return pit_errf(m->err, -EBADMSG, "type string: vector without dimension");
	return 0;
}

static int mparse_type(struct mparse *m, struct cql_type **out)
{
	const char *tok, *cls;
	size_t n, cn;
	struct cql_type *t = NULL;
	int rc = 0;

	*out = NULL;
	if (++m->depth > 64)
		return pit_errf(m->err, -EBADMSG, "type string: nested too deeply");
	n = mtoken(m, &tok);
	if (n == 0) {
		rc = pit_errf(m->err, -EBADMSG, "type string: missing class name at \"%.*s\"", SNIP(m->s, m->end));
		goto out;
	}
	cls = tok;
	for (size_t i = 0; i < n; i++)
		if (tok[i] == '.')
			cls = tok + i + 1;
	cn = (size_t)(tok + n - cls);
	mskip_ws(m);
	bool has_args = m->s < m->end && *m->s == '(';

#define IS(name) (cn == strlen(name) && !memcmp(cls, name, cn))
	if (IS("FrozenType") || IS("ReversedType")) {
		bool frozen = IS("FrozenType");
		if (!has_args) {
			rc = pit_errf(m->err, -EBADMSG, "type string: %.*s without a parameter", (int)cn, cls);
			goto out;
		}
		if ((rc = mexpect(m, '(')) < 0 || (rc = mparse_type(m, &t)) < 0 || (rc = mexpect(m, ')')) < 0)
			goto out;
		if (frozen)
			freeze_all(t);
		else
			t->reversed = true;
		goto out;
	}
	for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
		if (IS(natives[i].cls)) {
			if (!(t = type_new(natives[i].kind)))
				rc = -ENOMEM;
			goto out;
		}
	for (size_t i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		if (IS(composites[i].cls)) {
			if (!(t = type_new(composites[i].kind))) {
				rc = -ENOMEM;
				goto out;
			}
			if (!has_args) {
				rc = pit_errf(m->err, -EBADMSG, "type string: %s without parameters", composites[i].cls);
				goto out;
			}
			if ((rc = mparse_args(m, t)) < 0 || (rc = mcheck_arity(m, t)) < 0)
				goto out;
			if (t->kind == CQL_TUPLE)
				freeze_all(t);	/* tuples are always frozen */
			goto out;
		}
#undef IS
	/* Unknown class (custom type, PartitionerDefinedOrder, ...): keep its name,
	 * skip its parameters, handle its values as bytes. */
	if (!(t = type_new(CQL_CUSTOM)) || !(t->name = strdup_n(tok, n))) {
		rc = -ENOMEM;
		goto out;
	}
	if (has_args) {
		int depth = 0;
		const char *start = tok;
		do {
			if (*m->s == '(') depth++;
			else if (*m->s == ')') depth--;
			m->s++;
		} while (m->s < m->end && depth > 0);
		if (depth) {
			rc = pit_errf(m->err, -EBADMSG, "type string: unbalanced parentheses");
			goto out;
		}
		free(t->name);
		if (!(t->name = strdup_n(start, (size_t)(m->s - start))))
			rc = -ENOMEM;
	}
out:
	m->depth--;
	if (rc < 0) {
		cql_type_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int cql_type_parse_marshal(struct cql_type **out, const char *s, size_t n, struct pit_err *err)
{
	struct mparse m = { s, s + n, err, 0 };
	int rc = mparse_type(&m, out);

	if (rc < 0)
		return rc;
	mskip_ws(&m);
	if (m.s != m.end) {
		cql_type_free(*out);
		*out = NULL;
		return pit_errf(err, -EBADMSG, "type string: trailing characters \"%.*s\"", SNIP(m.s, m.end));
	}
	return 0;
}

/* ---- CQL syntax ---------------------------------------------------------- */

struct cparse {
	const char *s, *end;
	cql_udt_lookup_fn lookup;
	void *ctx;
	struct pit_err *err;
	int depth;
};

static void cskip_ws(struct cparse *c)
{
	while (c->s < c->end && isspace((unsigned char)*c->s))
		c->s++;
}

/* An identifier, possibly quoted and possibly keyspace-qualified; lower-cased
 * unless quoted. */
static char *cident(struct cparse *c)
{
	struct sbuf sb;

	sbuf_init(&sb);
	for (;;) {
		cskip_ws(c);
		if (c->s < c->end && *c->s == '"') {
			c->s++;
			while (c->s < c->end) {
				if (*c->s == '"') {
					if (c->s + 1 < c->end && c->s[1] == '"') {
						sbuf_addc(&sb, '"');
						c->s += 2;
						continue;
					}
					break;
				}
				sbuf_addc(&sb, *c->s++);
			}
			if (c->s < c->end)
				c->s++;
		} else {
			while (c->s < c->end && (isalnum((unsigned char)*c->s) || *c->s == '_'))
				sbuf_addc(&sb, (char)tolower((unsigned char)*c->s++));
		}
		cskip_ws(c);
		if (c->s < c->end && *c->s == '.' && sb.len) {
			sbuf_addc(&sb, '.');
			c->s++;
			continue;
		}
		break;
	}
	if (!sb.len || sb.oom) {
		sbuf_release(&sb);
		return NULL;
	}
	return sb.buf;
}

static int cparse_type(struct cparse *c, struct cql_type **out);

static int cexpect(struct cparse *c, char ch)
{
	cskip_ws(c);
	if (c->s >= c->end || *c->s != ch)
		return pit_errf(c->err, -EBADMSG, "CQL type: expected '%c' at \"%.*s\"", ch, SNIP(c->s, c->end));
	c->s++;
	return 0;
}

static int cparse_type(struct cparse *c, struct cql_type **out)
{
	struct cql_type *t = NULL;
	char *name = NULL;
	int rc = 0;

	*out = NULL;
	if (++c->depth > 64)
		return pit_errf(c->err, -EBADMSG, "CQL type: nested too deeply");
	cskip_ws(c);
	if (c->s < c->end && *c->s == '\'') {	/* custom type: 'class.Name' */
		const char *start = ++c->s;
		while (c->s < c->end && *c->s != '\'')
			c->s++;
		if (c->s >= c->end) {
			rc = pit_errf(c->err, -EBADMSG, "CQL type: unterminated custom type");
			goto out;
		}
		rc = cql_type_parse_marshal(&t, start, (size_t)(c->s - start), c->err);
		c->s++;
		goto out;
	}
	if (!(name = cident(c))) {
		rc = pit_errf(c->err, -EBADMSG, "CQL type: expected a type name at \"%.*s\"", SNIP(c->s, c->end));
		goto out;
	}
	cskip_ws(c);
	bool has_args = c->s < c->end && *c->s == '<';
	if (!strcmp(name, "frozen")) {
		if (!has_args) {
			rc = pit_errf(c->err, -EBADMSG, "CQL type: frozen without '<'");
			goto out;
		}
		c->s++;
		if ((rc = cparse_type(c, &t)) < 0 || (rc = cexpect(c, '>')) < 0)
			goto out;
		freeze_all(t);
		goto out;
	}
	if (!strcmp(name, "varchar")) {
		t = type_new(CQL_TEXT);
		goto alloc;
	}
	for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
		if (natives[i].cql[0] != '\'' && !strcmp(name, natives[i].cql)) {
			t = type_new(natives[i].kind);
			goto alloc;
		}
	for (size_t i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		if (composites[i].cql && !strcmp(name, composites[i].cql)) {
			if (!has_args) {
				rc = pit_errf(c->err, -EBADMSG, "CQL type: %s without '<'", name);
				goto out;
			}
			if (!(t = type_new(composites[i].kind)))
				goto alloc;
			c->s++;
			for (;;) {
				struct cql_type *sub = NULL;
				cskip_ws(c);
				if (t->kind == CQL_VECTOR && t->n == 1) {
					char num[16], *end;
					size_t k = 0;
					while (c->s + k < c->end && k < sizeof(num) - 1 && isdigit((unsigned char)c->s[k]))
						num[k] = c->s[k], k++;
					num[k] = '\0';
					long d = strtol(num, &end, 10);
					if (k == 0 || d <= 0 || d > 1 << 20) {
						rc = pit_errf(c->err, -EBADMSG, "CQL type: bad vector dimension");
						goto out;
					}
					t->dim = (int)d;
					c->s += k;
				} else {
					if ((rc = cparse_type(c, &sub)) < 0)
						goto out;
					if ((rc = madd_sub(t, sub, NULL)) < 0) {
						cql_type_free(sub);
						goto out;
					}
				}
				cskip_ws(c);
				if (c->s < c->end && *c->s == ',') {
					c->s++;
					continue;
				}
				break;
			}
			if ((rc = cexpect(c, '>')) < 0)
				goto out;
			struct mparse m = { 0, 0, c->err, 0 };
			if ((rc = mcheck_arity(&m, t)) < 0)
				goto out;
			if (t->kind == CQL_TUPLE)
				freeze_all(t);
			goto out;
		}
	/* a user-defined type */
	if (c->lookup && (t = c->lookup(c->ctx, name)))
		goto out;
	rc = pit_errf(c->err, -EBADMSG, "CQL type: unknown type \"%s\"", name);
	goto out;
alloc:
	if (!t)
		rc = -ENOMEM;
out:
	c->depth--;
	free(name);
	if (rc < 0) {
		cql_type_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int cql_type_parse_cql(struct cql_type **out, const char *s, size_t n,
		       cql_udt_lookup_fn lookup, void *ctx, struct pit_err *err)
{
	struct cparse c = { s, s + n, lookup, ctx, err, 0 };
	int rc = cparse_type(&c, out);

	if (rc < 0)
		return rc;
	cskip_ws(&c);
	if (c.s != c.end) {
		cql_type_free(*out);
		*out = NULL;
		return pit_errf(err, -EBADMSG, "CQL type: trailing characters \"%.*s\"", SNIP(c.s, c.end));
	}
	return 0;
}

/* ---- rendering ----------------------------------------------------------- */

static const char *native_name(enum cql_kind k, bool marshal)
{
	for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
		if (natives[i].kind == k)
			return marshal ? natives[i].cls : natives[i].cql;
	return NULL;
}

void cql_ident(struct sbuf *out, const char *s)
{
	bool plain = s[0] && !isdigit((unsigned char)s[0]);
	for (const char *p = s; *p && plain; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			plain = false;
	if (plain) {
		sbuf_adds(out, s);
		return;
	}
	sbuf_addc(out, '"');
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {	/* quotes doubled */
		sbuf_add(out, s, (size_t)(q + 1 - s));
		sbuf_addc(out, '"');
	}
	sbuf_adds(out, s);
	sbuf_addc(out, '"');
}

static void to_cql(const struct cql_type *t, struct sbuf *out, bool inside_frozen)
{
	bool frz = t->frozen && !inside_frozen && (cql_type_is_collection(t) || t->kind == CQL_UDT);

	if (frz)
		sbuf_adds(out, "frozen<");
	switch (t->kind) {
	case CQL_LIST: case CQL_SET: case CQL_MAP: case CQL_TUPLE: case CQL_VECTOR:
		for (size_t i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
			if (composites[i].kind == t->kind)
				sbuf_adds(out, composites[i].cql);
		sbuf_addc(out, '<');
		for (int i = 0; i < t->n; i++) {
			if (i)
				sbuf_adds(out, ", ");
			to_cql(t->sub[i], out, inside_frozen || t->frozen);
		}
		if (t->kind == CQL_VECTOR)
			sbuf_addf(out, ", %d", t->dim);
		sbuf_addc(out, '>');
		break;
	case CQL_UDT:
		cql_ident(out, t->name);
		break;
	case CQL_CUSTOM: case CQL_COMPOSITE: case CQL_DYNCOMPOSITE:
		sbuf_addc(out, '\'');
		cql_type_to_marshal(t, out);
		sbuf_addc(out, '\'');
		break;
	default:
		sbuf_adds(out, native_name(t->kind, false));
	}
	if (frz)
		sbuf_addc(out, '>');
}

void cql_type_to_cql(const struct cql_type *t, struct sbuf *out)
{
	to_cql(t, out, false);
}

static void to_marshal(const struct cql_type *t, struct sbuf *out, bool inside_frozen)
{
	static const char pkg[] = "org.apache.cassandra.db.marshal.";
	bool frz = t->frozen && !inside_frozen && (cql_type_is_collection(t) || t->kind == CQL_UDT);

	if (t->reversed)
		sbuf_addf(out, "%sReversedType(", pkg);
	if (frz)
		sbuf_addf(out, "%sFrozenType(", pkg);
	if (t->kind == CQL_CUSTOM) {
		sbuf_adds(out, t->name);
	} else if (t->kind < CQL_LIST) {
		sbuf_adds(out, pkg);
		sbuf_adds(out, native_name(t->kind, true));
	} else {
		for (size_t i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
			if (composites[i].kind == t->kind)
				sbuf_addf(out, "%s%s", pkg, composites[i].cls);
		sbuf_addc(out, '(');
		if (t->kind == CQL_UDT) {
			sbuf_addf(out, "%s,", t->ks);
			sbuf_addhex(out, (const uint8_t *)t->name, strlen(t->name));
		}
		for (int i = 0; i < t->n; i++) {
			if (i || t->kind == CQL_UDT)
				sbuf_addc(out, ',');
			if (t->kind == CQL_UDT) {
				sbuf_addhex(out, (const uint8_t *)t->names[i], strlen(t->names[i]));
				sbuf_addc(out, ':');
			}
			to_marshal(t->sub[i], out, inside_frozen || t->frozen);
		}
		if (t->kind == CQL_VECTOR)
			sbuf_addf(out, ",%d", t->dim);
		sbuf_addc(out, ')');
	}
	if (frz)
		sbuf_addc(out, ')');
	if (t->reversed)
		sbuf_addc(out, ')');
}

void cql_type_to_marshal(const struct cql_type *t, struct sbuf *out)
{
	to_marshal(t, out, false);
}
