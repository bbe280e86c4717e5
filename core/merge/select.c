#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/merge/select.h"
#include "core/util/vec.h"


void view_sources_release(struct view_sources *vs)
{
	for (size_t i = 0; i < vs->nbackups; i++)
		repo_manifest_release(vs->r, vs->backups[i]);
	for (size_t i = 0; i < vs->nabsent; i++)
		free(vs->absent[i]);
	free(vs->backups);
	free(vs->ssts);
	free(vs->absent);
	free(vs->unparsed);
	memset(vs, 0, sizeof(*vs));
}

/* "<ks>/<table dir>/..." belongs to ks.table. */
static bool of_table(const char *prefix, const char *ks, const char *table)
{
	char k[256], tdir[256];

	return mf_path_split(prefix, k, tdir, NULL) == 0 && !strcmp(k, ks) && mf_table_matches(tdir, table);
}

static int add_backup(struct repo *r, const struct backup_info *bi, int64_t at_us, const char *ks,
		      const char *table, struct view_sources *vs, size_t *capb, size_t *caps, struct pit_err *err)
{
	const struct manifest *m;
	int rc;

	if ((rc = repo_manifest(r, &bi->id, &m, err)) < 0)
		return rc;
	if (vec_grow((void **)&vs->backups, capb, vs->nbackups + 1, sizeof(*vs->backups)) < 0) {
		repo_manifest_release(r, m);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	vs->backups[vs->nbackups++] = m;
	for (size_t i = 0; ks && i < m->nsst; i++) {
		const struct mf_sstable *s = &m->ssts[i];
		bool dup = false;
		if (!of_table(s->prefix, ks, table))
			continue;
		if (s->flags & MF_SST_UNPARSED) {
			const struct mf_sstable **u = realloc(vs->unparsed, (vs->unreadable + 1) * sizeof(*u));
			if (!u)
				return pit_errf(err, -ENOMEM, "out of memory");
			vs->unparsed = u;
			vs->unparsed[vs->unreadable++] = s;
			continue;
		}
		if (s->min_ts != INT64_MIN && s->min_ts > at_us) {
			vs->skipped_after++;
			continue;
		}
		/* an incremental backup holds SSTables the full one has too */
		for (size_t k = 0; k < vs->nssts && !dup; k++)
			dup = !strcmp(vs->ssts[k].m->info.node, m->info.node) && !strcmp(vs->ssts[k].sum->prefix, s->prefix);
		if (dup)
			continue;
		if (vec_grow((void **)&vs->ssts, caps, vs->nssts + 1, sizeof(*vs->ssts)) < 0)
			return pit_errf(err, -ENOMEM, "out of memory");
		vs->ssts[vs->nssts++] = (struct view_sst){ m, s, NULL };
	}
	return 0;
}

int select_sources(struct repo *r, int64_t at_us, const char *ks, const char *table, struct view_sources *out,
		   struct pit_err *err)
{
	const struct backup_list *l;
	const char **seen = NULL;	/* the nodes done, in l's strings */
	size_t capb = 0, caps = 0, capa = 0, nseen = 0, cap_seen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->r = r;
	if ((rc = catalog_backups_held(repo_catalog(r), &l, err)) < 0)
		return rc;
	/* l is in instant order; node by node (a few nodes, many backups) */
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		const char *node = l->v[i].node;
		bool first = true;
		for (size_t k = 0; k < nseen && first; k++)
			first = strcmp(seen[k], node) != 0;
		if (!first)
			continue;
		if (vec_grow((void **)&seen, &cap_seen, nseen + 1, sizeof(*seen)) < 0) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			break;
		}
		seen[nseen++] = node;
		ssize_t full = -1;
		for (size_t k = i; k < l->n; k++)
			if (!strcmp(l->v[k].node, node) && l->v[k].kind == BACKUP_FULL && l->v[k].instant_us <= at_us)
				full = (ssize_t)k;
		if (full < 0) {
			if (vec_grow((void **)&out->absent, &capa, out->nabsent + 1, sizeof(char *)) < 0 ||
			    !(out->absent[out->nabsent] = strdup(node)))
				rc = pit_errf(err, -ENOMEM, "out of memory");
			else
				out->nabsent++;
			continue;
		}
		rc = add_backup(r, &l->v[full], at_us, ks, table, out, &capb, &caps, err);
		/* by instant, not by place in the list: an incremental backup may
		 * carry the same instant as the full one */
		for (size_t k = 0; k < l->n && rc == 0; k++)
			if (!strcmp(l->v[k].node, node) && l->v[k].kind == BACKUP_INCREMENTAL &&
			    l->v[k].instant_us >= l->v[full].instant_us)
				rc = add_backup(r, &l->v[k], at_us, ks, table, out, &capb, &caps, err);
	}
	free(seen);
	catalog_backups_put(repo_catalog(r), l);
	if (rc < 0)
		view_sources_release(out);
	return rc;
}

static int component(void *ctx, const char *prefix, const char *comp, struct bsrc **out, struct pit_err *err)
{
	const struct view_sst *v = ctx;
	const struct manifest *m = v->m;
	const char *dir = v->sum->prefix;
	const char *base = strrchr(dir, '/');
	size_t dl = base ? (size_t)(base - dir) + 1 : 0;
	char path[1024], name[1200];

	snprintf(path, sizeof(path), "%.*s%s%s", (int)dl, dir, prefix, comp);
	const struct mf_file *f = mf_find(m, path);
	if (!f)
		return -ENOENT;
	char hex[33];
	chunk_id_hex(&m->info.id, hex);
	snprintf(name, sizeof(name), "%s:%.8s:%s", m->info.node, hex, path);
	return rfile_open(out, v->cc, f, name, err);
}

void select_use_cache(struct view_sources *vs, struct chunk_cache *cc)
{
	for (size_t i = 0; i < vs->nssts; i++)
		vs->ssts[i].cc = cc;
}

int select_open(const struct view_sst *v, struct sst **out, struct pit_err *err)
{
	const char *base = strrchr(v->sum->prefix, '/');
	char data[256];

	snprintf(data, sizeof(data), "%sData.db", base ? base + 1 : v->sum->prefix);
	return sst_open(out, data, component, (void *)v, err);
}
