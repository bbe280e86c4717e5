#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/merge/select.h"
#include "core/repo/rfile.h"
#include "core/util/instant.h"
#include "core/util/vec.h"
#include "core/view/keyspace.h"
#include "core/view/rows.h"
#include "core/view/tree.h"

static const char *const view_files[] = { "conflicts.jsonl", "data.cql", "data.csv", "data.jsonl", "data.now.cql",
					  "schema.cql", "sources.json" };
#define NVIEW (sizeof(view_files) / sizeof(view_files[0]))

static const char readme[] =
	"This is a pitfs repository of Cassandra backups, read-only.\n"
	"\n"
	"at/                          every moment, merged from every replica's backups\n"
	"  <instant>/                 the instants of all backups; any other one can be\n"
	"                             opened by name: RFC 3339 (2026-11-20T03:00:00Z, with\n"
	"                             fractions or an offset) or @<unix seconds>\n"
	"  latest -> <instant>        the newest backup's instant\n"
	"    <keyspace>/schema.cql    CREATE TYPE and CREATE TABLE of the keyspace\n"
	"    <keyspace>/<table>/      the table as a read at consistency ALL would have\n"
	"                             returned it at that instant:\n"
	"      data.csv               as cqlsh's COPY TO writes it (COPY FROM loads it)\n"
	"      data.jsonl             one row per line, as SELECT JSON * gives it\n"
	"      data.cql               INSERT/UPDATE statements with the original write\n"
	"                             times and remaining TTLs: replaying them with cqlsh\n"
	"                             never overwrites anything written later\n"
	"      data.now.cql           the same without write times: forces this state back\n"
	"      schema.cql             the table's CREATE TABLE\n"
	"      conflicts.jsonl        where the replicas disagreed, and which version won\n"
	"      sources.json           which backups and SSTables made this view\n"
	"nodes/<node>/<instant>/      one backup of one node: its files byte for byte, in\n"
	"                             <keyspace>/<table>-<id>/, with their original mtimes\n"
	"\n"
	"Copy from it with cp, rsync, tar; `pitfs cat REPO PATH` gives the same bytes.\n";

/* ---- the backups of the repository, in instant order ---- */

/* Every backup, shared (catalog_backups_held): let go with backups_put. */
static int backups(struct repo *r, const struct backup_list **l, struct pit_err *err)
{
	return catalog_backups_held(repo_catalog(r), l, err);
}

static void backups_put(struct repo *r, const struct backup_list *l)
{
	catalog_backups_put(repo_catalog(r), l);
}

static int cmp_seen(const void *a, const void *b)
{
	return memcmp(((const struct tree_seen *)a)->id.b, ((const struct tree_seen *)b)->id.b, 16);
}

int tree_watch_poll(struct repo *r, struct tree_watch *w, int64_t *from, struct pit_err *err)
{
	const struct backup_list *l = NULL;
	struct tree_seen *v;
	int rc, changed = 0;

	*from = INT64_MAX;
	if ((rc = backups(r, &l, err)) < 0)
		return rc;
	if (!(v = calloc(l->n ? l->n : 1, sizeof(*v)))) {
		backups_put(r, l);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < l->n; i++)
		v[i] = (struct tree_seen){ l->v[i].id, l->v[i].instant_us };
	qsort(v, l->n, sizeof(*v), cmp_seen);
	/* both by id: what only one of them holds was added or went */
	for (size_t i = 0, k = 0; w->primed && (i < l->n || k < w->n);) {
		int c = i == l->n ? 1 : k == w->n ? -1 : cmp_seen(&v[i], &w->v[k]);
		const struct tree_seen *d = c < 0 ? &v[i] : c > 0 ? &w->v[k] : NULL;
		if (d && d->instant_us < *from)
			*from = d->instant_us;
		changed |= d != NULL;
		i += c <= 0;
		k += c >= 0;
	}
	free(w->v);
	w->v = v;
	w->n = l->n;
	w->primed = true;
	backups_put(r, l);
	return changed;
}

void tree_watch_release(struct tree_watch *w)
{
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* A backup's directory name under /nodes/<node>: its instant, and its
 * short id too when another backup of the node has the same instant. */
static void backup_dirname(const struct backup_list *l, size_t i, char out[64])
{
	char inst[40], hex[33];
	bool clash = false;

	cql_time_us_str(l->v[i].instant_us, inst);
	for (size_t k = 0; k < l->n && !clash; k++)
		clash = k != i && !strcmp(l->v[k].node, l->v[i].node) && l->v[k].instant_us == l->v[i].instant_us;
	chunk_id_hex(&l->v[i].id, hex);
	if (clash)
		snprintf(out, 64, "%s~%.8s", inst, hex);
	else
		snprintf(out, 64, "%s", inst);
}

/* ---- what a view at T holds: keyspaces and tables of the chosen backups ---- */

struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *ns, const char *s, size_t len)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strlen(ns->v[i]) == len && !strncmp(ns->v[i], s, len))
			return 0;
	if (vec_grow((void **)&ns->v, &ns->cap, ns->n + 1, sizeof(*ns->v)) < 0 || !(ns->v[ns->n] = strndup(s, len)))
		return -ENOMEM;
	ns->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

/* The keyspaces a view at T can show and the tables of each: those with
 * SSTables that are not LocalPartitioner internals in the backups the view
 * reads, sorted. They depend on those backups only, so they are worked out
 * once per set of backups and kept (core/repo/memo.h). */
struct vnames {
	struct names ks;
	struct names *tables;	/* per keyspace */
};

static void vnames_free(void *p)
{
	struct vnames *vn = p;

	for (size_t i = 0; i < vn->ks.n; i++)
		names_free(&vn->tables[i]);
	names_free(&vn->ks);
	free(vn->tables);
	free(vn);
}

/* About the memory vn takes, for the memo. */
static size_t vnames_bytes(const struct vnames *vn)
{
	size_t b = sizeof(*vn) + vn->ks.cap * (sizeof(*vn->tables) + sizeof(char *)) + 32;

	for (size_t i = 0; i < vn->ks.n; i++) {
		b += strlen(vn->ks.v[i]) + 17 + vn->tables[i].cap * sizeof(char *);
		for (size_t k = 0; k < vn->tables[i].n; k++)
			b += strlen(vn->tables[i].v[k]) + 17;
	}
	return b;
}

static int cmp_pair(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int c = strcmp(x[0], y[0]);
	return c ? c : strcmp(x[1], y[1]);
}

static struct vnames *vnames_build(const struct view_sources *vs)
{
	struct vnames *vn = calloc(1, sizeof(*vn));
	char **pairs = NULL;	/* ks, table, ks, table, ... */
	size_t np = 0, cap = 0;
	bool ok = vn != NULL;

	for (size_t b = 0; ok && b < vs->nbackups; b++) {
		const struct manifest *m = vs->backups[b];
		for (size_t i = 0; ok && i < m->nsst; i++) {
			char k[256], tdir[256], name[256];
			if (mf_path_split(m->ssts[i].prefix, k, tdir, NULL) < 0 ||
			    strstr(m->ssts[i].partitioner, "LocalPartitioner"))
				continue;
			mf_table_name(tdir, name);
			if (!(ok = vec_grow((void **)&pairs, &cap, 2 * np + 2, sizeof(*pairs)) == 0))
				break;
			pairs[2 * np] = strdup(k);
			pairs[2 * np + 1] = strdup(name);
			np++;	/* freed below even when a copy failed */
			ok = pairs[2 * np - 2] && pairs[2 * np - 1];
		}
	}
	if (ok && np)
		qsort(pairs, np, 2 * sizeof(*pairs), cmp_pair);
	for (size_t i = 0; ok && i < np; i++) {
		const char *k = pairs[2 * i], *t = pairs[2 * i + 1];
		if (!vn->ks.n || strcmp(vn->ks.v[vn->ks.n - 1], k)) {
			size_t old = vn->ks.cap;
			ok = names_add(&vn->ks, k, strlen(k)) == 0;
			if (ok && vn->ks.cap != old) {
				struct names *nt = realloc(vn->tables, vn->ks.cap * sizeof(*nt));
				ok = nt != NULL;
				if (ok) {
					vn->tables = nt;
					memset(nt + old, 0, (vn->ks.cap - old) * sizeof(*nt));
				}
			}
		}
		struct names *tl = &vn->tables[vn->ks.n - 1];
		if (ok && (!tl->n || strcmp(tl->v[tl->n - 1], t)))
			ok = names_add(tl, t, strlen(t)) == 0;
	}
	for (size_t i = 0; i < 2 * np; i++)
		free(pairs[i]);
	free(pairs);
	if (!ok && vn) {
		vnames_free(vn);
		vn = NULL;
	}
	return vn;
}

static int vnames_get(struct repo *r, int64_t at_us, const struct vnames **out, struct pit_err *err)
{
	struct view_sources vs;
	struct sbuf key;
	struct chunk_id k;
	int rc;

	if ((rc = select_sources(r, at_us, NULL, NULL, &vs, err)) < 0)
		return rc;
	sbuf_init(&key);
	sbuf_adds(&key, "names v1");
	for (size_t b = 0; b < vs.nbackups; b++)
		sbuf_add(&key, vs.backups[b]->info.id.b, 16);
	chunk_id_of(&k, key.buf, key.len);
	rc = key.oom ? pit_errf(err, -ENOMEM, "out of memory") : 0;
	sbuf_release(&key);
	if (rc == 0 && !(*out = memo_get(repo_memo(r), MEMO_VIEW_NAMES, &k))) {
		struct vnames *vn = vnames_build(&vs);
		if (!vn || !(*out = memo_put(repo_memo(r), MEMO_VIEW_NAMES, &k, vn, vnames_bytes(vn), vnames_free)))
			rc = pit_errf(err, -ENOMEM, "out of memory");
	}
	view_sources_release(&vs);
	return rc;
}

static void vnames_release(struct repo *r, const struct vnames *vn)
{
	memo_release(repo_memo(r), vn);
}

/* Where s is in a sorted list, or -1. */
static ssize_t names_find(const struct names *ns, const char *s)
{
	size_t lo = 0, hi = ns->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ns->v[mid], s);
		if (!c)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool names_has(const struct names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], s))
			return true;
	return false;
}

/* ---- resolving ---- */

static int parse_instant(struct repo *r, const char *s, int64_t *us, struct pit_err *err)
{
	if (!strcmp(s, "latest")) {
		const struct backup_list *l = NULL;
		int rc = backups(r, &l, err);
		if (rc < 0)
			return rc;
		bool none = !l->n;
		if (!none)
			*us = l->v[l->n - 1].instant_us;
		backups_put(r, l);
		return none ? pit_errf(err, -ENOENT, "/at/latest: the repository has no backup yet") : 0;
	}
	return instant_parse(s, us, err);
}

/* The components of path, at most max. */
static int split(const char *path, char comp[][256], int max)
{
	int n = 0;
	const char *p = path;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (n == max || len >= 256)
			return -1;
		memcpy(comp[n], p, len);
		comp[n][len] = 0;
		n++;
		p += len;
	}
	return n;
}

static int resolve_nodes(struct repo *r, char comp[][256], int n, const char *path, struct tree_node *out,
			 struct pit_err *err)
{
	const struct backup_list *l = NULL;
	int rc;

	if (n == 1) {
		out->kind = T_NODES;
		return 0;
	}
	if ((rc = backups(r, &l, err)) < 0)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; i < l->n && rc == -ENOENT; i++) {
		char dn[64];
		if (strcmp(l->v[i].node, comp[1]))
			continue;
		snprintf(out->node, sizeof(out->node), "%s", comp[1]);
		if (n == 2) {
			out->kind = T_NODE;
			rc = 0;
			break;
		}
		backup_dirname(l, i, dn);
		if (strcmp(dn, comp[2]))
			continue;
		out->backup = l->v[i].id;
		out->kind = T_BACKUP;
		rc = 0;
		if (n == 3)
			break;
		/* inside the backup: a file, or a directory on the way to files */
		const struct manifest *m;
		char rel[1024] = "";
		for (int k = 3; k < n; k++)
			snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "%s%s", k > 3 ? "/" : "", comp[k]);
		if ((rc = repo_manifest(r, &out->backup, &m, err)) < 0)
			break;
		rc = -ENOENT;
		if (mf_find(m, rel)) {
			out->kind = T_BACKUP_FILE, rc = 0;
		} else {	/* a directory: some path starts with rel/ */
			char dirp[1100];
			snprintf(dirp, sizeof(dirp), "%s/", rel);
			size_t f = mf_lower_bound(m, dirp), dl = strlen(dirp);
			for (; f < m->nfiles && rc == -ENOENT; f++) {
				if (!strncmp(m->files[f].path, dirp, dl))
					out->kind = T_BACKUP_DIR, rc = 0;
				else if (m->sorted)
					break;
			}
		}
		snprintf(out->rel, sizeof(out->rel), "%s", rel);
		repo_manifest_release(r, m);
	}
	backups_put(r, l);
	if (rc == -ENOENT)
		return pit_errf(err, -ENOENT, "%s: no such file or directory", path);
	return rc;
}

int tree_resolve(struct repo *r, const char *path, struct tree_node *out, struct pit_err *err)
{
	char comp[16][256];
	int n = split(path, comp, 16), rc;

	memset(out, 0, sizeof(*out));
	if (n < 0)
		return pit_errf(err, -ENOENT, "%s: no such file or directory", path);
	if (n == 0) {
		out->kind = T_ROOT;
		return 0;
	}
	if (n == 1 && !strcmp(comp[0], "README")) {
		out->kind = T_README;
		return 0;
	}
	if (!strcmp(comp[0], "nodes"))
		return resolve_nodes(r, comp, n, path, out, err);
	if (strcmp(comp[0], "at"))
		return pit_errf(err, -ENOENT, "%s: no such file or directory (the top holds at/ and nodes/)", path);
	if (n == 1) {
		out->kind = T_AT;
		return 0;
	}
	if ((rc = parse_instant(r, comp[1], &out->at_us, err)) < 0)
		return pit_errf(err, -ENOENT, "%s: '%s' is not an instant (RFC 3339, @<unix seconds> or latest)", path,
				comp[1]);
	out->kind = T_INSTANT;
	out->latest = !strcmp(comp[1], "latest");
	if (n == 2)
		return 0;
	const struct vnames *vn;
	if ((rc = vnames_get(r, out->at_us, &vn, err)) < 0)
		return rc;
	ssize_t ki = names_find(&vn->ks, comp[2]);
	bool known = ki >= 0, table_known = known && n > 3 && names_find(&vn->tables[ki], comp[3]) >= 0;
	vnames_release(r, vn);
	if (!known)
		return pit_errf(err, -ENOENT, "%s: no keyspace %s in the backups at that instant", path, comp[2]);
	snprintf(out->ks, sizeof(out->ks), "%s", comp[2]);
	out->kind = T_KEYSPACE;
	if (n == 3)
		return 0;
	if (n == 4 && !strcmp(comp[3], "schema.cql")) {
		out->kind = T_KS_SCHEMA;
		return 0;
	}
	if (!table_known)
		return pit_errf(err, -ENOENT, "%s: no table %s.%s in the backups at that instant", path, out->ks, comp[3]);
	snprintf(out->table, sizeof(out->table), "%s", comp[3]);
	out->kind = T_TABLE;
	if (n == 4)
		return 0;
	for (size_t i = 0; n == 5 && i < NVIEW; i++)
		if (!strcmp(comp[4], view_files[i])) {
			snprintf(out->file, sizeof(out->file), "%s", view_files[i]);
			out->kind = T_VIEW_FILE;
			return 0;
		}
	return pit_errf(err, -ENOENT, "%s: no such file or directory", path);
}

static int sources_digest(struct repo *r, const struct tree_node *n, struct chunk_id *d, struct pit_err *err);
static void size_key(const struct chunk_id *sources, const char *file, struct chunk_id *key);

/* ---- listing ---- */

/* The fixed part of a packed node; the names follow, each ending in NUL. */
struct packed_node {
	int64_t at_us;
	struct chunk_id backup;
	int32_t kind;
	bool latest;
};

size_t tree_node_pack(const struct tree_node *n, void *buf, size_t cap)
{
	const char *names[] = { n->ks, n->table, n->file, n->node, n->rel };
	struct packed_node h = { n->at_us, n->backup, (int32_t)n->kind, n->latest };
	size_t len = sizeof(h);

	if (buf && cap >= len)
		memcpy(buf, &h, sizeof(h));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t k = strlen(names[i]) + 1;
		if (buf && cap >= len + k)
			memcpy((char *)buf + len, names[i], k);
		len += k;
	}
	return len;
}

void tree_node_unpack(const void *buf, struct tree_node *n)
{
	struct packed_node h;
	const char *p = (const char *)buf + sizeof(h);
	char *names[] = { n->ks, n->table, n->file, n->node, n->rel };
	size_t caps[] = { sizeof(n->ks), sizeof(n->table), sizeof(n->file), sizeof(n->node), sizeof(n->rel) };

	memcpy(&h, buf, sizeof(h));
	memset(n, 0, sizeof(*n));
	n->at_us = h.at_us;
	n->backup = h.backup;
	n->kind = (enum tree_kind)h.kind;
	n->latest = h.latest;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t k = strlen(p) + 1;
		memcpy(names[i], p, k <= caps[i] ? k : caps[i]);	/* pack's names came from such arrays */
		names[i][caps[i] - 1] = '\0';
		p += k;
	}
}

bool tree_child_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name);

	return n >= 0 && (size_t)n < cap;
}

int tree_list(struct repo *r, const struct tree_node *dir,
	      int (*fn)(void *ctx, const char *name, bool is_dir, uint64_t size), void *ctx, struct pit_err *err)
{
	const struct backup_list *l = NULL;
	struct names ns = { 0 };
	int rc = 0;

	switch (dir->kind) {
	case T_ROOT:
		if ((rc = fn(ctx, "README", false, sizeof(readme) - 1)) == 0 && (rc = fn(ctx, "at", true, 0)) == 0)
			rc = fn(ctx, "nodes", true, 0);
		return rc;
	case T_AT:
		if ((rc = backups(r, &l, err)) < 0)
			return rc;
		for (size_t i = 0; i < l->n && rc == 0; i++) {
			char name[40];
			if (i && l->v[i].instant_us == l->v[i - 1].instant_us)
				continue;
			cql_time_us_str(l->v[i].instant_us, name);
			rc = fn(ctx, name, true, 0);
		}
		if (rc == 0 && l->n)
			rc = fn(ctx, "latest", true, 0);
		break;
	case T_INSTANT:
	case T_KEYSPACE: {
		const struct vnames *vn;
		bool in_ks = dir->kind == T_KEYSPACE;
		if ((rc = vnames_get(r, dir->at_us, &vn, err)) < 0)
			return rc;
		ssize_t ki = in_ks ? names_find(&vn->ks, dir->ks) : -1;
		if (in_ks)
			rc = fn(ctx, "schema.cql", false, UINT64_MAX);
		const struct names *list = !in_ks ? &vn->ks : ki >= 0 ? &vn->tables[ki] : NULL;
		for (size_t i = 0; list && i < list->n && rc == 0; i++)
			rc = fn(ctx, list->v[i], true, 0);
		vnames_release(r, vn);
		break;
	}
	case T_TABLE: {
		struct chunk_id sources;
		bool have = sources_digest(r, dir, &sources, NULL) == 0;
		for (size_t i = 0; i < NVIEW && rc == 0; i++) {
			struct chunk_id key;
			uint64_t size = UINT64_MAX;
			size_key(&sources, view_files[i], &key);
			if (!have || catalog_size_get(repo_catalog(r), &key, &size) < 0)
				size = UINT64_MAX;
			rc = fn(ctx, view_files[i], false, size);
		}
		return rc;
	}
	case T_NODES:
	case T_NODE:
		if ((rc = backups(r, &l, err)) < 0)
			return rc;
		for (size_t i = 0; i < l->n && rc == 0; i++) {
			if (dir->kind == T_NODES) {
				bool seen = false;
				for (size_t k = 0; k < i && !seen; k++)
					seen = !strcmp(l->v[k].node, l->v[i].node);
				if (!seen && (rc = names_add(&ns, l->v[i].node, strlen(l->v[i].node))) < 0)
					break;
			} else if (!strcmp(l->v[i].node, dir->node)) {
				char dn[64];
				backup_dirname(l, i, dn);
				rc = fn(ctx, dn, true, 0);
			}
		}
		if (rc == 0 && dir->kind == T_NODES) {
			if (ns.n)
				qsort(ns.v, ns.n, sizeof(*ns.v), cmp_str);
			for (size_t i = 0; i < ns.n && rc == 0; i++)
				rc = fn(ctx, ns.v[i], true, 0);
		}
		break;
	case T_BACKUP:
	case T_BACKUP_DIR: {
		const struct manifest *m;
		size_t rl = strlen(dir->rel);
		if ((rc = repo_manifest(r, &dir->backup, &m, err)) < 0)
			return rc;
		/* the next component of every path under rel, once each: in a
		 * sorted manifest the paths under rel/ follow one another and so
		 * do those under each rel/<name>/ */
		char dirp[1100], last[256] = "";
		snprintf(dirp, sizeof(dirp), "%s%s", dir->rel, rl ? "/" : "");
		size_t dl = strlen(dirp);
		for (size_t f = mf_lower_bound(m, dirp); f < m->nfiles && rc == 0; f++) {
			const char *p = m->files[f].path;
			if (strncmp(p, dirp, dl)) {
				if (m->sorted)
					break;
				continue;
			}
			const char *rest = p + dl, *slash = strchr(rest, '/');
			size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
			char name[256];
			snprintf(name, sizeof(name), "%.*s", (int)len, rest);
			if (m->sorted ? !strcmp(name, last) : names_has(&ns, name))
				continue;
			snprintf(last, sizeof(last), "%s", name);
			if (m->sorted || (rc = names_add(&ns, name, strlen(name))) == 0)
				rc = fn(ctx, name, slash != NULL, slash ? 0 : m->files[f].size);
		}
		repo_manifest_release(r, m);
		break;
	}
	default:
		return pit_errf(err, -ENOTDIR, "not a directory");
	}
	backups_put(r, l);
	names_free(&ns);
	return rc == -ENOMEM ? pit_errf(err, rc, "out of memory") : rc;
}

/* ---- exact sizes, once a file has been rendered ---- */

/* What a table's view files depend on: the instant, the table and the
 * backups the view reads (a later ingest can change those). */
static int sources_digest(struct repo *r, const struct tree_node *n, struct chunk_id *d, struct pit_err *err)
{
	struct view_sources vs;
	struct sbuf sb;
	int rc;

	if ((rc = select_sources(r, n->at_us, NULL, NULL, &vs, err)) < 0)
		return rc;
	sbuf_init(&sb);
	sbuf_addf(&sb, "v%d %lld %s %s", VIEW_BYTES_VERSION, (long long)n->at_us, n->ks, n->table);
	for (size_t b = 0; b < vs.nbackups; b++)	/* in catalog order: instant, node, id */
		sbuf_add(&sb, vs.backups[b]->info.id.b, 16);
	rc = sb.oom ? pit_errf(err, -ENOMEM, "out of memory") : 0;
	if (!rc)
		chunk_id_of(d, sb.buf, sb.len);
	sbuf_release(&sb);
	view_sources_release(&vs);
	return rc;
}

/* The catalog key of one view file's size. */
static void size_key(const struct chunk_id *sources, const char *file, struct chunk_id *key)
{
	uint8_t buf[16 + 64];
	size_t n = strlen(file) < 64 ? strlen(file) : 64;

	memcpy(buf, sources->b, 16);
	memcpy(buf + 16, file, n);
	chunk_id_of(key, buf, 16 + n);
}

struct counting {
	dump_write_fn write;
	void *ctx;
	uint64_t n;
};

static int discard(void *ctx, const char *p, size_t n)
{
	(void)ctx, (void)p, (void)n;
	return 0;
}

static int count_through(void *ctx, const char *p, size_t n)
{
	struct counting *c = ctx;

	c->n += n;
	return c->write(c->ctx, p, n);
}

/* ---- reading ---- */

static int read_backup_file(struct repo *r, const struct tree_node *n, dump_write_fn write, void *ctx,
			    struct pit_err *err)
{
	const struct manifest *m;
	struct chunk_cache *cc = NULL;
	struct bsrc *bs = NULL;
	uint8_t *buf = NULL;
	int rc;

	if ((rc = repo_manifest(r, &n->backup, &m, err)) < 0)
		return rc;
	rc = -ENOENT;
	for (size_t f = 0; f < m->nfiles && rc == -ENOENT; f++) {
		if (strcmp(m->files[f].path, n->rel))
			continue;
		if ((rc = chunk_cache_new(&cc, r, 2 * CHUNK_SIZE, err)) < 0 ||
		    (rc = rfile_open(&bs, cc, &m->files[f], n->rel, err)) < 0)
			break;
		if (!(buf = malloc(CHUNK_SIZE))) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			break;
		}
		for (uint64_t off = 0; off < m->files[f].size && rc >= 0;) {
			ssize_t got = bsrc_pread(bs, buf, CHUNK_SIZE, off, err);
			if (got <= 0) {
				rc = got < 0 ? (int)got : pit_errf(err, -EIO, "%s: ends early", n->rel);
				break;
			}
			if (write(ctx, (const char *)buf, (size_t)got) < 0)
				rc = -EIO;
			off += (uint64_t)got;
		}
		if (rc >= 0)
			rc = 0;
	}
	free(buf);
	bsrc_close(bs);
	chunk_cache_free(cc);
	repo_manifest_release(r, m);
	return rc;
}

/* The schema.cql the newest chosen backup keeps for ks.table (or for every
 * table of ks with table NULL), as the snapshot wrote it. */
static int read_schema(struct repo *r, const struct tree_node *n, const char *table, dump_write_fn write, void *ctx,
		       struct pit_err *err)
{
	struct view_sources vs;
	struct chunk_cache *cc = NULL;
	struct names done = { 0 };
	int rc;

	if (!table) {	/* a keyspace's: CREATE KEYSPACE first */
		struct sbuf ksc;
		sbuf_init(&ksc);
		rc = view_keyspace_cql(r, n->at_us, n->ks, &ksc, err);
		if (rc == 0 && (ksc.oom || write(ctx, ksc.buf, ksc.len) < 0))
			rc = pit_errf(err, -EIO, "%s: cannot write", n->ks);
		sbuf_release(&ksc);
		if (rc < 0)
			return rc;
	}
	if ((rc = select_sources(r, n->at_us, NULL, NULL, &vs, err)) < 0)
		return rc;
	if ((rc = chunk_cache_new(&cc, r, 2 * CHUNK_SIZE, err)) < 0)
		goto out;
	for (size_t b = vs.nbackups; b-- > 0 && rc == 0;) {
		const struct manifest *m = vs.backups[b];
		for (size_t f = 0; f < m->nfiles && rc == 0; f++) {
			const char *p = m->files[f].path, *rest;
			char k[256], tdir[256];
			if (mf_path_split(p, k, tdir, &rest) < 0 || strcmp(rest, "schema.cql") || strcmp(k, n->ks))
				continue;
			if ((table && !mf_table_matches(tdir, table)) || names_has(&done, tdir))
				continue;
			struct bsrc *bs;
			uint8_t *text;
			size_t len;
			if ((rc = names_add(&done, tdir, strlen(tdir))) < 0 ||
			    (rc = rfile_open(&bs, cc, &m->files[f], p, err)) < 0)
				break;
			rc = bsrc_read_all(bs, &text, &len, 1u << 24, err);
			bsrc_close(bs);
			if (rc < 0)
				break;
			if (write(ctx, (const char *)text, len) < 0 || (len && text[len - 1] != '\n' && write(ctx, "\n", 1) < 0))
				rc = -EIO;
			free(text);
		}
	}
	if (rc == 0 && !done.n) {
		/* Cassandra writes schema.cql into snapshots only (since 3.0.x):
		 * an empty statement list would read as "no tables" */
		char msg[700];
		int len = snprintf(msg, sizeof(msg), "-- no schema.cql for %s%s%s in the backups at this instant: "
				   "the snapshots that would carry it were not taken or not ingested\n", n->ks,
				   table ? "." : "", table ? table : "");
		if (write(ctx, msg, (size_t)len) < 0)
			rc = -EIO;
	}
out:
	names_free(&done);
	chunk_cache_free(cc);
	view_sources_release(&vs);
	return rc;
}

/* The chunks of the view's SSTables found damaged so far (by a read that
 * failed, or pitfs check): which file, where in it, and what was wrong. */
static void damaged(struct repo *r, const struct view_sources *vs, struct sbuf *sb)
{
	bool any = false;
	char msg[600];

	for (size_t i = 0; i < vs->nssts; i++) {
		const struct manifest *m = vs->ssts[i].m;
		const char *prefix = vs->ssts[i].sum->prefix;
		size_t plen = strlen(prefix);
		for (size_t f = mf_lower_bound(m, prefix); f < m->nfiles && !strncmp(m->files[f].path, prefix, plen); f++) {
			uint64_t off = 0;
			for (uint32_t k = 0; k < m->files[f].nchunks; off += m->files[f].chunks[k++].raw) {
				if (!repo_damage(r, &m->files[f].chunks[k].id, msg, sizeof(msg)))
					continue;
				sbuf_adds(sb, any ? ",\n  {\"sstable\": " : "\n  {\"sstable\": ");
				sbuf_add_json_str(sb, prefix, plen);
				sbuf_adds(sb, ", \"file\": ");
				sbuf_add_json_str(sb, m->files[f].path, strlen(m->files[f].path));
				sbuf_addf(sb, ", \"offset\": %llu, \"length\": %u, \"error\": ", (unsigned long long)off,
					  m->files[f].chunks[k].raw);
				sbuf_add_json_str(sb, msg, strlen(msg));
				sbuf_addc(sb, '}');
				any = true;
			}
		}
	}
}

static int read_sources(struct repo *r, const struct tree_node *n, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct view_sources vs;
	struct sbuf sb;
	char inst[40], hex[33];
	int rc;

	if ((rc = select_sources(r, n->at_us, n->ks, n->table, &vs, err)) < 0)
		return rc;
	sbuf_init(&sb);
	cql_time_us_str(n->at_us, inst);
	sbuf_addf(&sb, "{\"instant\": \"%s\", \"keyspace\": ", inst);
	sbuf_add_json_str(&sb, n->ks, strlen(n->ks));
	sbuf_adds(&sb, ", \"table\": ");
	sbuf_add_json_str(&sb, n->table, strlen(n->table));
	sbuf_adds(&sb, ",\n \"backups\": [");
	for (size_t b = 0; b < vs.nbackups; b++) {
		const struct backup_info *bi = &vs.backups[b]->info;
		chunk_id_hex(&bi->id, hex);
		cql_time_us_str(bi->instant_us, inst);
		sbuf_addf(&sb, "%s\n  {\"node\": ", b ? "," : "");
		sbuf_add_json_str(&sb, bi->node, strlen(bi->node));
		sbuf_addf(&sb, ", \"backup\": \"%s\", \"kind\": \"%s\", \"instant\": \"%s\", \"sstables\": [", hex,
			  bi->kind == BACKUP_FULL ? "full" : "incremental", inst);
		bool any = false;
		for (size_t i = 0; i < vs.nssts; i++) {
			if (vs.ssts[i].m != vs.backups[b])
				continue;
			sbuf_adds(&sb, any ? ", " : "");
			sbuf_add_json_str(&sb, vs.ssts[i].sum->prefix, strlen(vs.ssts[i].sum->prefix));
			any = true;
		}
		sbuf_adds(&sb, "]}");
	}
	sbuf_adds(&sb, "],\n \"nodes_without_backup\": [");
	for (size_t i = 0; i < vs.nabsent; i++) {
		sbuf_adds(&sb, i ? ", " : "");
		sbuf_add_json_str(&sb, vs.absent[i], strlen(vs.absent[i]));
	}
	sbuf_addf(&sb, "],\n \"sstables_after_instant\": %zu,\n \"sstables_unparsable\": [", vs.skipped_after);
	for (size_t i = 0; i < vs.unreadable; i++) {
		sbuf_adds(&sb, i ? ", " : "");
		sbuf_adds(&sb, "{\"sstable\": ");
		sbuf_add_json_str(&sb, vs.unparsed[i]->prefix, strlen(vs.unparsed[i]->prefix));
		sbuf_adds(&sb, ", \"error\": ");
		sbuf_add_json_str(&sb, vs.unparsed[i]->error, strlen(vs.unparsed[i]->error));
		sbuf_addc(&sb, '}');
	}
	sbuf_adds(&sb, "],\n \"damaged\": [");
	damaged(r, &vs, &sb);
	sbuf_adds(&sb, "]}\n");
	rc = sb.oom ? pit_errf(err, -ENOMEM, "out of memory") : write(ctx, sb.buf, sb.len) < 0 ? -EIO : 0;
	sbuf_release(&sb);
	view_sources_release(&vs);
	return rc;
}

static int view_read(struct repo *r, const struct tree_node *n, dump_write_fn write, void *ctx, struct pit_err *err);

/* The files of a view that come of its merge: the rows in every format,
 * and the conflicts. One of them sized, all are (size_together). */
static const struct {
	const char *file;
	enum view_format fmt;
} merged_files[] = {
	{ "data.csv", VIEW_CSV }, { "data.jsonl", VIEW_JSONL }, { "data.cql", VIEW_CQL },
	{ "data.now.cql", VIEW_NOW_CQL }, { "conflicts.jsonl", VIEW_CONFLICTS },
};
#define NMERGED_FILES (sizeof(merged_files) / sizeof(merged_files[0]))

/* n's view format among merged_files, or -1. */
static int merged_format(const struct tree_node *n)
{
	for (size_t i = 0; n->kind == T_VIEW_FILE && i < NMERGED_FILES; i++)
		if (!strcmp(n->file, merged_files[i].file))
			return (int)merged_files[i].fmt;
	return -1;
}

/* The view format of a file that has checkpoints, or -1. */
static int resumable(const struct tree_node *n)
{
	int fmt = merged_format(n);

	return fmt >= 0 && view_format_resumes((enum view_format)fmt) ? fmt : -1;
}

/* The catalog key of a view file's checkpoints. */
static void ckpt_key(const struct chunk_id *sources, const char *file, struct chunk_id *key)
{
	char name[80];

	snprintf(name, sizeof(name), "%s@ckpt", file);
	size_key(sources, name, key);
}

/* The sizes of n rendered files of a view, and their checkpoints (ck[i], or
 * NULL), kept for ls, the mount and reads at any offset: in one commit. */
static void keep_rendered(struct repo *r, const struct chunk_id *sources, size_t n, const char *const *files,
			  const uint64_t *sizes, const struct view_ckpts *const *ck)
{
	struct catalog_blob v[2 * NMERGED_FILES];
	struct sbuf enc[NMERGED_FILES];
	size_t nv = 0;

	for (size_t i = 0; i < n && i < NMERGED_FILES; i++) {
		sbuf_init(&enc[i]);
		size_key(sources, files[i], &v[nv].key);
		v[nv].data = &sizes[i];
		v[nv++].len = 8;
		if (!ck[i])
			continue;
		view_ckpts_encode(ck[i], &enc[i]);
		ckpt_key(sources, files[i], &v[nv].key);
		v[nv].data = enc[i].buf;
		v[nv].len = enc[i].len;
		nv += !enc[i].oom;
	}
	catalog_blobs_put(repo_catalog(r), v, nv, NULL);	/* best effort: a read-only cache keeps nothing */
	for (size_t i = 0; i < n && i < NMERGED_FILES; i++)
		sbuf_release(&enc[i]);
}

int tree_read(struct repo *r, const struct tree_node *n, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct counting c = { write, ctx, 0 };
	struct chunk_id sources;
	struct view_ckpts ck = { 0 };
	struct view_rows_report rep;
	int rc, fmt = resumable(n);

	if (n->kind != T_VIEW_FILE)
		return view_read(r, n, write, ctx, err);
	if (fmt >= 0)
		rc = view_render_at(r, n->at_us, n->ks, n->table, (enum view_format)fmt, NULL, 0, &ck, count_through, &c,
				    &rep, err);
	else
		rc = view_read(r, n, count_through, &c, err);
	if (rc == 0 && !tree_shows_damage(n) && sources_digest(r, n, &sources, NULL) == 0) {
		const char *file = n->file;
		const struct view_ckpts *kept = fmt >= 0 ? &ck : NULL;
		keep_rendered(r, &sources, 1, &file, &c.n, &kept);
	}
	view_ckpts_release(&ck);
	return rc;
}

/* The sizes (and checkpoints) of a view's files that come of its merge,
 * from one merge (view_render_together): who asks the size of one of them
 * (ls -l, a lookup, rsync, cp -r) asks for the others next, and the merge
 * is most of what a rendering costs. *size: n's. -EAGAIN where the view is
 * large enough for its files to be rendered one at a time by several
 * threads. */
static int size_together(struct repo *r, const struct tree_node *n, uint64_t *size, struct pit_err *err)
{
	struct counting c[NMERGED_FILES];
	enum view_format fmts[NMERGED_FILES];
	dump_write_fn writes[NMERGED_FILES];
	void *ctxs[NMERGED_FILES];
	struct view_ckpts ck[NMERGED_FILES] = { 0 };
	struct view_rows_report rep;
	struct chunk_id sources;
	int rc;

	for (size_t i = 0; i < NMERGED_FILES; i++) {
		c[i] = (struct counting){ discard, NULL, 0 };
		fmts[i] = merged_files[i].fmt;
		writes[i] = count_through;
		ctxs[i] = &c[i];
	}
	rc = view_render_together(r, n->at_us, n->ks, n->table, NMERGED_FILES, fmts, ck, writes, ctxs, &rep, err);
	for (size_t i = 0; rc == 0 && i < NMERGED_FILES; i++)
		if (!strcmp(n->file, merged_files[i].file))
			*size = c[i].n;
	if (rc == 0 && sources_digest(r, n, &sources, NULL) == 0) {
		const char *files[NMERGED_FILES];
		uint64_t sizes[NMERGED_FILES];
		const struct view_ckpts *kept[NMERGED_FILES];
		for (size_t i = 0; i < NMERGED_FILES; i++) {
			files[i] = merged_files[i].file;
			sizes[i] = c[i].n;
			kept[i] = view_format_resumes(fmts[i]) ? &ck[i] : NULL;
		}
		keep_rendered(r, &sources, NMERGED_FILES, files, sizes, kept);
	}
	for (size_t i = 0; i < NMERGED_FILES; i++)
		view_ckpts_release(&ck[i]);
	return rc;
}

int tree_read_from(struct repo *r, const struct tree_node *n, uint64_t want, uint64_t *start, dump_write_fn write,
		   void *ctx, struct pit_err *err)
{
	struct chunk_id sources, key;
	struct view_rows_report rep;
	void *blob = NULL;
	size_t len = 0;
	int fmt = resumable(n), rc;

	*start = 0;
	if (fmt < 0 || want == 0 || sources_digest(r, n, &sources, NULL) < 0)
		return tree_read(r, n, write, ctx, err);
	ckpt_key(&sources, n->file, &key);
	struct view_ckpts ck = { 0 };
	if (catalog_blob_get(repo_catalog(r), &key, &blob, &len) < 0 || view_ckpts_decode(&ck, blob, len) < 0) {
		free(blob);
		view_ckpts_release(&ck);
		return tree_read(r, n, write, ctx, err);
	}
	free(blob);
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < ck.n && ck.v[i * (1 + (size_t)ck.nsrc)] <= want; i++)
		best = i;
	if (best == SIZE_MAX) {
		view_ckpts_release(&ck);
		return tree_read(r, n, write, ctx, err);
	}
	*start = ck.v[best * (1 + (size_t)ck.nsrc)];
	rc = view_render_at(r, n->at_us, n->ks, n->table, (enum view_format)fmt, &ck, best, NULL, write, ctx, &rep, err);
	view_ckpts_release(&ck);
	if (rc == -ESTALE) {	/* checkpoints of other sources: nothing written yet */
		*start = 0;
		return tree_read(r, n, write, ctx, err);
	}
	return rc;
}

static int view_read(struct repo *r, const struct tree_node *n, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct view_rows_report rep;

	switch (n->kind) {
	case T_BACKUP_FILE:
		return read_backup_file(r, n, write, ctx, err);
	case T_KS_SCHEMA:
		return read_schema(r, n, NULL, write, ctx, err);
	case T_README:
		return write(ctx, readme, sizeof(readme) - 1) < 0 ? -EIO : 0;
	case T_VIEW_FILE:
		if (merged_format(n) >= 0)
			return view_render(r, n->at_us, n->ks, n->table, (enum view_format)merged_format(n), write, ctx,
					   &rep, err);
		if (!strcmp(n->file, "schema.cql"))
			return read_schema(r, n, n->table, write, ctx, err);
		if (!strcmp(n->file, "sources.json"))
			return read_sources(r, n, write, ctx, err);
		return pit_errf(err, -ENOENT, "%s: no such view file", n->file);
	default:
		return pit_errf(err, -EISDIR, "is a directory");
	}
}

static int stat_backup_file(struct repo *r, const struct tree_node *n, struct tree_stat *st, struct pit_err *err);

static bool kept_size(struct repo *r, const struct tree_node *n, uint64_t *size);

int tree_size(struct repo *r, const struct tree_node *n, uint64_t *size, struct pit_err *err)
{
	struct counting c = { discard, NULL, 0 };
	struct pit_err alone = { 0 };
	int rc;

	if (n->kind == T_BACKUP_FILE) {
		struct tree_stat st;
		if ((rc = stat_backup_file(r, n, &st, err)) == 0)
			*size = st.size;
		return rc;
	}
	if (kept_size(r, n, size))
		return 0;
	if (merged_format(n) >= 0 && size_together(r, n, size, &alone) == 0)
		return 0;
	/* a large view, or a rendering that failed: this file alone, to say
	 * what failed in it */
	if ((rc = tree_read(r, n, count_through, &c, err)) < 0)
		return rc;
	*size = c.n;
	return 0;
}

/* A view file's size as a rendering left it in the catalog. */
static bool kept_size(struct repo *r, const struct tree_node *n, uint64_t *size)
{
	struct chunk_id sources, key;

	if (n->kind != T_VIEW_FILE || tree_shows_damage(n) || sources_digest(r, n, &sources, NULL) < 0)
		return false;
	size_key(&sources, n->file, &key);
	return catalog_size_get(repo_catalog(r), &key, size) == 0;
}

bool tree_size_known(struct repo *r, const struct tree_node *n)
{
	uint64_t size;

	return n->kind != T_VIEW_FILE || kept_size(r, n, &size);
}

/* The newest backup's instant: the time of the directories above the views. */
static int newest_instant(struct repo *r, int64_t *us, struct pit_err *err)
{
	const struct backup_list *l = NULL;
	int rc = backups(r, &l, err);

	if (rc < 0)
		return rc;
	*us = l->n ? l->v[l->n - 1].instant_us : 0;
	backups_put(r, l);
	return 0;
}

static int stat_backup_file(struct repo *r, const struct tree_node *n, struct tree_stat *st, struct pit_err *err)
{
	const struct manifest *m;
	int rc;

	if ((rc = repo_manifest(r, &n->backup, &m, err)) < 0)
		return rc;
	const struct mf_file *f = mf_find(m, n->rel);
	if (f) {
		st->size = f->size;
		st->mtime_us = f->mtime_ns / 1000;
		st->perm = f->mode & 0444;
	} else {
		rc = pit_errf(err, -ENOENT, "%s: not in the backup", n->rel);
	}
	repo_manifest_release(r, m);
	return rc;
}

int tree_stat(struct repo *r, const struct tree_node *n, struct tree_stat *st, struct pit_err *err)
{
	memset(st, 0, sizeof(*st));
	st->is_dir = tree_is_dir(n);
	st->perm = st->is_dir ? 0555 : 0444;
	switch (n->kind) {
	case T_ROOT:
	case T_AT:
	case T_NODES:
	case T_NODE:
		return newest_instant(r, &st->mtime_us, err);
	case T_README:
		st->size = sizeof(readme) - 1;
		return newest_instant(r, &st->mtime_us, err);
	case T_INSTANT:
	case T_KEYSPACE:
	case T_TABLE:
		st->mtime_us = n->at_us;
		if (n->kind == T_INSTANT && n->latest) {
			st->is_dir = false;
			st->is_link = true;
			st->perm = 0777;
			cql_time_us_str(n->at_us, st->link);
			st->size = strlen(st->link);
		}
		return 0;
	case T_BACKUP:
	case T_BACKUP_DIR: {
		const struct manifest *m;
		int rc = repo_manifest(r, &n->backup, &m, err);
		if (rc < 0)
			return rc;
		st->mtime_us = m->info.instant_us;
		repo_manifest_release(r, m);
		return 0;
	}
	case T_BACKUP_FILE:
		return stat_backup_file(r, n, st, err);
	case T_VIEW_FILE:
	case T_KS_SCHEMA:
		st->mtime_us = n->at_us;
		return tree_size(r, n, &st->size, err);
	}
	return pit_errf(err, -EINVAL, "unknown node");
}

int tree_usage(struct repo *r, uint64_t *bytes, uint64_t *files, struct pit_err *err)
{
	const struct backup_list *l = NULL;
	int rc = backups(r, &l, err);

	*bytes = *files = 0;
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l->n; i++) {
		*bytes += l->v[i].stored_bytes;
		*files += l->v[i].nfiles;
	}
	backups_put(r, l);
	return 0;
}
