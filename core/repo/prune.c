#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/repo/manifest.h"
#include "core/repo/pack.h"
#include "core/util/vec.h"
#include "core/repo/prune.h"

int parse_duration(const char *s, int64_t *us)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t unit;

	if (end == s || v <= 0 || end[0] == 0 || end[1] != 0)
		return -EINVAL;
	switch (*end) {
	case 's': unit = 1000000LL; break;
	case 'm': unit = 60 * 1000000LL; break;
	case 'h': unit = 3600 * 1000000LL; break;
	case 'd': unit = 86400 * 1000000LL; break;
	case 'w': unit = 7 * 86400 * 1000000LL; break;
	case 'y': unit = 365 * 86400 * 1000000LL; break;
	default: return -EINVAL;
	}
	if (v > INT64_MAX / unit)
		return -EINVAL;
	*us = v * unit;
	return 0;
}

int forget_backup(struct repo *r, const struct chunk_id *id, struct pit_err *err)
{
	char name[BACKUP_NAME_MAX];

	backup_name(id, name);
	return backend_remove(repo_backend(r), name, err);
}


int forget_policy_run(struct repo *r, const struct forget_policy *p, unsigned *removed, struct pit_err *err)
{
	struct backup_list l = { 0 };
	bool *keep = NULL;
	int rc;

	*removed = 0;
	if ((rc = catalog_backup_list(repo_catalog(r), &l, err)) < 0)
		goto out;
	if (!(keep = calloc(l.n + 1, sizeof(*keep)))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* l is in instant order; decide node by node, newest first */
	for (size_t i = 0; i < l.n; i++) {
		const char *node = l.v[i].node;
		bool first = true;
		for (size_t k = 0; k < i; k++)
			first &= strcmp(l.v[k].node, node) != 0;
		if (!first)
			continue;
		if (p->node && strcmp(p->node, node)) {
			for (size_t k = i; k < l.n; k++)
				if (!strcmp(l.v[k].node, node))
					keep[k] = true;
			continue;
		}
		int64_t newest = INT64_MIN, oldest_kept_full = INT64_MAX;
		int fulls = 0;
		bool any_full = false;
		for (size_t k = l.n; k-- > i;)
			if (!strcmp(l.v[k].node, node) && newest == INT64_MIN)
				newest = l.v[k].instant_us;
		for (size_t k = l.n; k-- > i;) {
			if (strcmp(l.v[k].node, node) || l.v[k].kind != BACKUP_FULL)
				continue;
			any_full = true;
			fulls++;
			if ((p->keep_last && fulls <= p->keep_last) ||
			    (p->keep_within_us && l.v[k].instant_us >= newest - p->keep_within_us)) {
				keep[k] = true;
				oldest_kept_full = l.v[k].instant_us;
			}
		}
		for (size_t k = i; k < l.n; k++)
			if (!strcmp(l.v[k].node, node) && l.v[k].kind == BACKUP_INCREMENTAL)
				keep[k] = !any_full || l.v[k].instant_us >= oldest_kept_full;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (p->report)
			p->report(p->ctx, &l.v[i], keep[i]);
		if (keep[i] || p->dry_run)
			continue;
		if ((rc = forget_backup(r, &l.v[i].id, err)) < 0)
			goto out;
		(*removed)++;
	}
	if (*removed)
		rc = repo_sync(r, err);
out:
	if (rc == -ENOMEM)
		pit_errf(err, rc, "out of memory");
	backup_list_release(&l);
	free(keep);
	return rc;
}

/* The set of chunk ids some backup references, sorted. */
struct idvec {
	struct chunk_id *v;
	size_t n, cap;
};

static int cmp_id(const void *a, const void *b) { return memcmp(a, b, 16); }

static int add_refs(void *ctx, const char *name, uint64_t size)
{
	void **a = ctx;
	struct repo *r = a[0];
	struct idvec *iv = a[1];
	struct pit_err *err = a[2];
	struct chunk_id id;
	struct manifest *m;
	int rc;

	(void)size;
	if (backup_name_parse(name, &id) < 0)
		return 0;
	if ((rc = manifest_read(repo_backend(r), &id, &m, err)) < 0)
		return pit_err_prefix(err, rc, "prune stops: a backup cannot be read (run 'pitfs check')");
	for (size_t i = 0; i < m->nfiles && !rc; i++)
		for (uint32_t k = 0; k < m->files[i].nchunks; k++) {
			if (vec_grow((void **)&iv->v, &iv->cap, iv->n + 1, sizeof(*iv->v)) < 0) {
				rc = pit_errf(err, -ENOMEM, "out of memory");
				break;
			}
			iv->v[iv->n++] = m->files[i].chunks[k].id;
		}
	manifest_free(m);
	return rc;
}

struct lists {
	struct index_entry *e;	/* the catalog's location of every chunk */
	size_t n, cap;
	struct {
		struct chunk_id id;
		uint64_t size;
	} *packs;
	size_t npacks, cappacks;
	char **segs;
	size_t nsegs, capsegs;
};

static int add_entry(void *ctx, const struct index_entry *e)
{
	struct lists *l = ctx;

	if (vec_grow((void **)&l->e, &l->cap, l->n + 1, sizeof(*l->e)) < 0)
		return -ENOMEM;
	l->e[l->n++] = *e;
	return 0;
}

static int add_pack(void *ctx, const char *name, uint64_t size)
{
	struct lists *l = ctx;
	struct chunk_id id;

	if (pack_name_parse(name, &id) < 0)
		return 0;
	if (vec_grow((void **)&l->packs, &l->cappacks, l->npacks + 1, sizeof(*l->packs)) < 0)
		return -ENOMEM;
	l->packs[l->npacks].id = id;
	l->packs[l->npacks].size = size;
	l->npacks++;
	return 0;
}

static int add_seg(void *ctx, const char *name, uint64_t size)
{
	struct lists *l = ctx;

	(void)size;
	if (vec_grow((void **)&l->segs, &l->capsegs, l->nsegs + 1, sizeof(*l->segs)) < 0 ||
	    !(l->segs[l->nsegs] = strdup(name)))
		return -ENOMEM;
	l->nsegs++;
	return 0;
}

static int cmp_by_pack(const void *a, const void *b)
{
	const struct index_entry *x = a, *y = b;
	int d = memcmp(x->loc.pack.b, y->loc.pack.b, 16);

	return d ? d : (x->loc.off > y->loc.off) - (x->loc.off < y->loc.off);
}

static bool referenced(const struct idvec *refs, const struct chunk_id *id)
{
	return refs->n && bsearch(id, refs->v, refs->n, sizeof(*refs->v), cmp_id);
}

/* Closes the pack being written; its chunks' new places go to keep[*nkeep...]. */
static int finish_into(struct pack_writer **pw, struct index_entry *keep, size_t *nkeep, struct pit_err *err)
{
	struct chunk_id pid;
	struct pack_entry *pe;
	size_t n;
	int rc = pack_writer_finish(*pw, &pid, &pe, &n, err);

	*pw = NULL;
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		keep[(*nkeep)++] = pack_entry_index(&pe[i], &pid);
	free(pe);
	return 0;
}

static int cmp_entry_id(const void *a, const void *b) { return memcmp(a, b, 16); }

/* Every referenced chunk has a place in keep. */
static int covers(const struct idvec *refs, struct index_entry *keep, size_t nkeep, const char *repo,
		  struct pit_err *err)
{
	if (nkeep)
		qsort(keep, nkeep, sizeof(*keep), cmp_entry_id);
	for (size_t i = 0; i < refs->n; i++)
		if (!nkeep || !bsearch(&refs->v[i], keep, nkeep, sizeof(*keep), cmp_entry_id)) {
			char hex[33];
			chunk_id_hex(&refs->v[i], hex);
			return pit_errf(err, -EIO, "%s: prune stops before removing anything: chunk %s would have "
				       "no place left (a bug; please report it)", repo, hex);
		}
	return 0;
}

/* A pack is rewritten when more than this share of it is unused. */
#define REWRITE_UNUSED_PCT 20

int prune_run(struct repo *r, struct prune_result *res, struct pit_err *err)
{
	struct backend *b = repo_backend(r);
	struct idvec refs = { 0 };
	struct lists l = { 0 };
	struct index_entry *keep = NULL;	/* the new index: l.e's front, see below */
	size_t nkeep = 0, from = 0;
	bool *drop = NULL;
	struct repo_reader *rr = NULL;
	struct pack_writer *pw = NULL;
	struct chunk_coder *cc = NULL;
	uint8_t *raw = NULL, *enc = NULL;
	char segname[INDEX_NAME_MAX] = "";
	void *ctx[3] = { r, &refs, err };
	int rc;

	memset(res, 0, sizeof(*res));
	if (repo_sync_skipped(r))
		return pit_errf(err, -EIO, "%s: prune stops: %u objects cannot be read (run 'pitfs check')",
				repo_path(r), repo_sync_skipped(r));
	if ((rc = backend_clean_tmp(b, &res->tmp_removed, err)) < 0 ||
	    (rc = backend_list(b, "backups", add_refs, ctx, err)) < 0)
		goto out;
	if (refs.n)
		qsort(refs.v, refs.n, sizeof(*refs.v), cmp_id);
	if ((rc = catalog_chunks(repo_catalog(r), add_entry, &l, err)) < 0 ||
	    (rc = backend_list(b, "packs", add_pack, &l, err)) < 0 || (rc = backend_list(b, "index", add_seg, &l, err)) < 0)
		goto oom;
	/* every referenced chunk must be indexed, or removing packs could lose it */
	for (size_t i = 0, k = 0; i < refs.n; i++) {
		while (k < l.n && memcmp(l.e[k].id.b, refs.v[i].b, 16) < 0)
			k++;
		if (k == l.n || !chunk_id_eq(&l.e[k].id, &refs.v[i])) {
			char hex[33];
			chunk_id_hex(&refs.v[i], hex);
			rc = pit_errf(err, -EIO, "%s: prune stops: chunk %s is referenced but in no index (run "
				      "'pitfs check')", repo_path(r), hex);
			goto out;
		}
	}
	if (l.n)
		qsort(l.e, l.n, sizeof(*l.e), cmp_by_pack);
	if (l.npacks)
		qsort(l.packs, l.npacks, sizeof(*l.packs), cmp_id);	/* the id leads the struct */
	if (!(drop = calloc(l.npacks + 1, sizeof(*drop))) || !(raw = malloc(CHUNK_SIZE)) ||
	    !(enc = malloc(CHUNK_MAX_STORED)))
		goto oom;
	/* The new index is written over the front of l.e as the packs go by, in
	 * order: each place it gets is that of a referenced chunk already looked
	 * at (kept where it is, or moved and its new pack closed), so it never
	 * reaches an entry not looked at yet, and a pack's entries are searched
	 * for from the end of the last pack's on. An entry is 248 bytes: one
	 * array of them, not two. */
	keep = l.e;
	if ((rc = repo_reader_new(&rr, r, err)) < 0 ||
	    (rc = chunk_coder_new(&cc, repo_config(r)->zstd_level, (int)repo_config(r)->zstd_min_match)) < 0)
		goto out;
	for (size_t p = 0; p < l.npacks; p++) {
		/* the pack's entries in the catalog: a run in l.e */
		size_t lo = from, hi = l.n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (memcmp(l.e[mid].loc.pack.b, l.packs[p].id.b, 16) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint64_t used = 0;
		size_t end = lo;
		for (; end < l.n && chunk_id_eq(&l.e[end].loc.pack, &l.packs[p].id); end++)
			if (referenced(&refs, &l.e[end].id))
				used += l.e[end].loc.stored;
		from = end;
		if (!used) {
			drop[p] = true;
			res->packs_removed++;
			res->bytes_freed += l.packs[p].size;
			continue;
		}
		if ((l.packs[p].size - used) * 100 <= (uint64_t)REWRITE_UNUSED_PCT * l.packs[p].size) {
			for (size_t k = lo; k < end; k++)
				if (referenced(&refs, &l.e[k].id)) {
					if (nkeep != k)
						keep[nkeep] = l.e[k];
					nkeep++;
				}
			res->packs_kept++;
			continue;
		}
		/* rewrite: every chunk read back and verified before it moves */
		drop[p] = true;
		res->packs_rewritten++;
		res->bytes_freed += l.packs[p].size - used;
		for (size_t k = lo; k < end; k++) {
			size_t stored;
			enum chunk_codec codec;
			struct chunk_parts parts;
			if (!referenced(&refs, &l.e[k].id))
				continue;
			if ((rc = repo_read_loc(rr, &l.e[k].id, &l.e[k].loc, raw, err)) < 0) {
				pit_err_prefix(err, rc, "prune stops, nothing removed");
				goto out;
			}
			if ((rc = chunk_encode(cc, raw, l.e[k].loc.raw, enc, &stored, &codec, &parts, err)) < 0)
				goto out;
			if (!pw && (rc = pack_writer_open(&pw, b, err)) < 0)
				goto out;
			if ((rc = pack_writer_add(pw, &l.e[k].id, enc, (uint32_t)stored, l.e[k].loc.raw, (uint8_t)codec,
						  &parts, err)) < 0)
				goto out;
			res->bytes_repacked += stored;
			if (pack_writer_size(pw) >= repo_config(r)->pack_target &&
			    (rc = finish_into(&pw, keep, &nkeep, err)) < 0)
				goto out;
		}
	}
	if (pw && (rc = finish_into(&pw, keep, &nkeep, err)) < 0)
		goto out;
	/* the new index must hold every referenced chunk before anything goes */
	if ((rc = covers(&refs, keep, nkeep, repo_path(r), err)) < 0)
		goto out;
	if (!res->packs_removed && !res->packs_rewritten && l.nsegs <= 1)
		goto out;	/* nothing to reclaim */
	/* new index first, then old segments go, then the packs */
	if (nkeep && (rc = index_write(b, keep, nkeep, segname, err)) < 0)
		goto out;
	for (size_t i = 0; i < l.nsegs; i++) {
		if (!strcmp(l.segs[i], segname))
			continue;
		if ((rc = backend_remove(b, l.segs[i], err)) < 0)
			goto out;
		res->segments_replaced++;
	}
	/* A rewritten pack can come out byte-identical to a pack being dropped
	 * (a prune cut short had written it): the new index names it, so it stays. */
	for (size_t i = 0; i < nkeep; i++) {
		size_t lo = 0, hi = l.npacks;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (memcmp(l.packs[mid].id.b, keep[i].loc.pack.b, 16) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < l.npacks && chunk_id_eq(&l.packs[lo].id, &keep[i].loc.pack))
			drop[lo] = false;
	}
	for (size_t p = 0; p < l.npacks; p++) {
		char name[PACK_NAME_MAX];
		if (!drop[p])
			continue;
		pack_name(&l.packs[p].id, name);
		if ((rc = backend_remove(b, name, err)) < 0)
			goto out;
	}
	rc = repo_sync(r, err);
	goto out;
oom:
	if (rc == 0 || rc == -ENOMEM)
		rc = pit_errf(err, -ENOMEM, "out of memory");
out:
	pack_writer_abort(pw);
	chunk_coder_free(cc);
	repo_reader_free(rr);
	free(raw);
	free(enc);
	free(refs.v);
	free(l.e);
	free(l.packs);
	for (size_t i = 0; i < l.nsegs; i++)
		free(l.segs[i]);
	free(l.segs);
	free(drop);
	return rc;
}
