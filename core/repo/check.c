#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "core/repo/check.h"
#include "core/repo/manifest.h"
#include "core/repo/pack.h"
#include "core/util/vec.h"

struct cpack {
	struct chunk_id id;
	uint64_t size;
	bool indexed;
	char *bad;		/* why it cannot be trusted, or NULL */
	struct pack_entry *ents;	/* trailer, when readable */
	size_t nents;
};

struct badchunk {
	struct chunk_id id;
	char *why;
};

struct check {
	struct repo *r;
	const struct check_opts *o;
	struct check_result *res;
	struct cpack *packs;
	size_t npacks, cappacks;
	struct index_entry *ents;	/* every index entry, sorted by chunk id */
	const struct index_entry **bypack;	/* the same, by pack and offset (an entry is ~250 bytes) */
	size_t nents, capents;
	struct badchunk *bad;
	size_t nbad, capbad;
	struct pit_err *err;
};

static int cmp_id(const void *a, const void *b) { return memcmp(a, b, 16); }

__attribute__((format(printf, 2, 3))) static void problem(struct check *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->res->problems++;
	if (c->o->problem)
		c->o->problem(c->o->ctx, msg);
}

__attribute__((format(printf, 2, 3))) static void info(struct check *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->o->info)
		c->o->info(c->o->ctx, msg);
}

static int list_pack(void *ctx, const char *name, uint64_t size)
{
	struct check *c = ctx;
	struct chunk_id id;

	if (pack_name_parse(name, &id) < 0) {
		problem(c, "%s: stray file among the packs", name);
		return 0;
	}
	if (vec_grow((void **)&c->packs, &c->cappacks, c->npacks + 1, sizeof(*c->packs)) < 0)
		return pit_errf(c->err, -ENOMEM, "out of memory");
	c->packs[c->npacks++] = (struct cpack){ .id = id, .size = size };
	return 0;
}

static struct cpack *find_pack(struct check *c, const struct chunk_id *id)
{
	return c->npacks ? bsearch(id, c->packs, c->npacks, sizeof(*c->packs), cmp_id) : NULL;
}

static int list_seg(void *ctx, const char *name, uint64_t size)
{
	struct check *c = ctx;
	struct index_entry *e;
	struct pit_err perr = { 0 };
	size_t n;
	int rc;

	(void)size;
	c->res->segments++;
	if ((rc = index_read(repo_backend(c->r), name, &e, &n, &perr)) < 0) {
		if (rc == -ENOMEM)
			return pit_errf(c->err, rc, "out of memory");
		problem(c, "%s: %s", name, pit_err_msg(&perr, rc));
		return 0;
	}
	if (vec_grow((void **)&c->ents, &c->capents, c->nents + n, sizeof(*e)) < 0) {
		free(e);
		return pit_errf(c->err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		char pn[PACK_NAME_MAX], hex[33];
		struct cpack *p = find_pack(c, &e[i].loc.pack);
		if (!p) {
			pack_name(&e[i].loc.pack, pn);
			chunk_id_hex(&e[i].id, hex);
			problem(c, "%s: chunk %s is in %s, which does not exist", name, hex, pn);
			continue;
		}
		p->indexed = true;
		c->ents[c->nents++] = e[i];
	}
	free(e);
	return 0;
}

static const struct index_entry *find_entry(struct check *c, const struct chunk_id *id)
{
	return c->nents ? bsearch(id, c->ents, c->nents, sizeof(*c->ents), cmp_id) : NULL;
}

static int mark_bad(struct check *c, const struct chunk_id *id, const char *why)
{
	if (vec_grow((void **)&c->bad, &c->capbad, c->nbad + 1, sizeof(*c->bad)) < 0 || !(why = strdup(why)))
		return pit_errf(c->err, -ENOMEM, "out of memory");
	c->bad[c->nbad++] = (struct badchunk){ *id, (char *)why };
	repo_damage_note(c->r, id, why);	/* for the views' sources.json */
	return 0;
}

static int set_pack_bad(struct check *c, struct cpack *p, const char *why)
{
	if (!p->bad && !(p->bad = strdup(why)))
		return pit_errf(c->err, -ENOMEM, "out of memory");
	return 0;
}

static int cmp_pack_off(const void *a, const void *b)
{
	const struct index_entry *x = *(const struct index_entry *const *)a, *y = *(const struct index_entry *const *)b;
	int d = memcmp(x->loc.pack.b, y->loc.pack.b, 16);

	return d ? d : (x->loc.off > y->loc.off) - (x->loc.off < y->loc.off);
}

/* Index of the first entry (in bypack order) stored in pack. */
static size_t first_of_pack(struct check *c, const struct chunk_id *pack)
{
	size_t lo = 0, hi = c->nents;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (memcmp(c->bypack[mid]->loc.pack.b, pack->b, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Trailer vs index; with read_data the whole pack's hash and every chunk. */
static int check_pack(struct check *c, struct cpack *p, struct repo_reader *rr, uint8_t *buf)
{
	char name[PACK_NAME_MAX], why[600];
	struct pit_err perr = { 0 };
	int fd, rc;

	pack_name(&p->id, name);
	if ((fd = backend_open_read(repo_backend(c->r), name, &perr)) < 0) {
		problem(c, "%s", pit_err_msg(&perr, fd));
		return set_pack_bad(c, p, "pack cannot be opened");
	}
	if ((rc = pack_read_trailer(fd, p->size, name, &p->ents, &p->nents, &perr)) < 0) {
		if (rc == -ENOMEM) {
			close(fd);
			return pit_errf(c->err, rc, "out of memory");
		}
		problem(c, "%s", pit_err_msg(&perr, rc));
		snprintf(why, sizeof(why), "%s", pit_err_msg(&perr, rc));
		if ((rc = set_pack_bad(c, p, why)) < 0) {
			close(fd);
			return rc;
		}
	}
	if (c->o->read_data && !p->bad) {
		XXH3_state_t *h = XXH3_createState();
		uint64_t off = 0;
		struct chunk_id got;
		XXH128_canonical_t cano;
		if (!h) {
			close(fd);
			return pit_errf(c->err, -ENOMEM, "out of memory");
		}
		XXH3_128bits_reset(h);
		while (off < p->size) {
			ssize_t n = pread(fd, buf, CHUNK_SIZE, (off_t)off);
			if (n <= 0)
				break;
			XXH3_128bits_update(h, buf, (size_t)n);
			off += (uint64_t)n;
		}
		XXH128_canonicalFromHash(&cano, XXH3_128bits_digest(h));
		XXH3_freeState(h);
		memcpy(got.b, cano.digest, 16);
		c->res->bytes_read += off;
		if (off != p->size || !chunk_id_eq(&got, &p->id)) {
			problem(c, "%s: content does not match its name (damaged)", name);
			if ((rc = set_pack_bad(c, p, "pack damaged (content does not match its name)")) < 0) {
				close(fd);
				return rc;
			}
		}
	}
	close(fd);
	if (c->o->read_data) {
		size_t i = first_of_pack(c, &p->id);
		for (; i < c->nents && chunk_id_eq(&c->bypack[i]->loc.pack, &p->id); i++) {
			const struct index_entry *e = c->bypack[i];
			if ((rc = repo_read_loc(rr, &e->id, &e->loc, buf, &perr)) == 0 && e->loc.codec == CHUNK_PARTS) {
				char where[PACK_NAME_MAX + 40];
				snprintf(where, sizeof(where), "%s, offset %llu", name, (unsigned long long)e->loc.off);
				rc = chunk_parts_verify(&e->loc.parts, buf, e->loc.raw, where, &perr);
			}
			if (rc < 0) {
				if (rc == -ENOMEM)
					return pit_errf(c->err, rc, "out of memory");
				problem(c, "%s", pit_err_msg(&perr, rc));
				if ((rc = mark_bad(c, &e->id, pit_err_msg(&perr, rc))) < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int check_backup(void *ctx, const char *name, uint64_t size)
{
	struct check *c = ctx;
	struct chunk_id id;
	struct manifest *m;
	struct pit_err perr = { 0 };
	char hex[33];
	int rc;

	(void)size;
	if (backup_name_parse(name, &id) < 0) {
		problem(c, "%s: stray file among the backups", name);
		return 0;
	}
	c->res->backups++;
	if ((rc = manifest_read(repo_backend(c->r), &id, &m, &perr)) < 0) {
		if (rc == -ENOMEM)
			return pit_errf(c->err, rc, "out of memory");
		problem(c, "%s: %s (this whole backup is lost)", name, pit_err_msg(&perr, rc));
		return 0;
	}
	chunk_id_hex(&id, hex);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct mf_file *f = &m->files[i];
		const char *why = NULL;
		char chex[33], buf[700];
		c->res->files++;
		for (uint32_t k = 0; k < f->nchunks && !why; k++) {
			const struct index_entry *e = find_entry(c, &f->chunks[k].id);
			chunk_id_hex(&f->chunks[k].id, chex);
			if (!e) {
				snprintf(buf, sizeof(buf), "chunk %s is in no index", chex);
				why = buf;
			} else if (e->loc.raw != f->chunks[k].raw) {
				snprintf(buf, sizeof(buf), "chunk %s has %u bytes in the index, %u in the manifest", chex,
					 e->loc.raw, f->chunks[k].raw);
				why = buf;
			} else {
				struct cpack *p = find_pack(c, &e->loc.pack);
				struct badchunk *b = c->nbad ? bsearch(&f->chunks[k].id, c->bad, c->nbad,
								       sizeof(*c->bad), cmp_id) : NULL;
				if (p && p->bad) {
					char pn[PACK_NAME_MAX];
					pack_name(&p->id, pn);
					snprintf(buf, sizeof(buf), "chunk %s is in %s: %s", chex, pn, p->bad);
					why = buf;
				} else if (b) {
					why = b->why;
				}
			}
		}
		if (why)
			problem(c, "backup %.8s (%s, %s): %s: %s", hex, m->info.node,
				m->info.kind == BACKUP_FULL ? "full" : "incremental", f->path, why);
	}
	manifest_free(m);
	return 0;
}

int check_run(struct repo *r, const struct check_opts *o, struct check_result *res, struct pit_err *err)
{
	struct check c = { .r = r, .o = o, .res = res, .err = err };
	struct repo_reader *rr = NULL;
	uint8_t *buf = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = repo_reader_new(&rr, r, err)) < 0)
		return rc;
	if (!(buf = malloc(CHUNK_SIZE))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = backend_list(repo_backend(r), "packs", list_pack, &c, err)) < 0)
		goto out;
	if (c.npacks)
		qsort(c.packs, c.npacks, sizeof(*c.packs), cmp_id);
	res->packs = c.npacks;
	if ((rc = backend_list(repo_backend(r), "index", list_seg, &c, err)) < 0)
		goto out;
	if (c.nents) {
		qsort(c.ents, c.nents, sizeof(*c.ents), cmp_id);
		if (!(c.bypack = malloc(c.nents * sizeof(*c.bypack)))) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < c.nents; i++)
			c.bypack[i] = &c.ents[i];
		qsort(c.bypack, c.nents, sizeof(*c.bypack), cmp_pack_off);
	}
	for (size_t i = 0; i < c.npacks; i++) {
		if ((rc = check_pack(&c, &c.packs[i], rr, buf)) < 0)
			goto out;
		if (!c.packs[i].indexed) {
			char pn[PACK_NAME_MAX];
			pack_name(&c.packs[i].id, pn);
			res->unindexed_packs++;
			info(&c, "%s: in no index (left by an interrupted ingest; the next ingest adopts it, "
				 "prune removes it if unused)", pn);
		}
	}
	/* index entries must agree with the trailers; count chunks stored twice */
	for (size_t i = 0; i < c.nents; i++) {
		const struct index_entry *e = &c.ents[i];
		struct cpack *p = find_pack(&c, &e->loc.pack);
		bool found = !p || !p->ents;
		for (size_t k = 0; p && p->ents && k < p->nents && !found; k++)
			found = chunk_id_eq(&p->ents[k].id, &e->id) && p->ents[k].off == e->loc.off &&
				p->ents[k].stored == e->loc.stored && p->ents[k].raw == e->loc.raw &&
				p->ents[k].codec == e->loc.codec &&
				!memcmp(&p->ents[k].parts, &e->loc.parts, sizeof(e->loc.parts));
		if (!found) {
			char pn[PACK_NAME_MAX], hex[33];
			pack_name(&e->loc.pack, pn);
			chunk_id_hex(&e->id, hex);
			problem(&c, "%s: index places chunk %s where the pack's trailer does not", pn, hex);
			if ((rc = mark_bad(&c, &e->id, "index and pack disagree")) < 0)
				goto out;
		}
		if (i == 0 || !chunk_id_eq(&c.ents[i - 1].id, &e->id))
			res->chunks++;
	}
	{
		struct chunk_id *all = NULL;
		size_t n = 0, cap = 0;
		for (size_t i = 0; i < c.npacks; i++) {
			if (vec_grow((void **)&all, &cap, n + c.packs[i].nents, sizeof(*all)) < 0) {
				free(all);
				rc = pit_errf(err, -ENOMEM, "out of memory");
				goto out;
			}
			for (size_t k = 0; k < c.packs[i].nents; k++)
				all[n++] = c.packs[i].ents[k].id;
		}
		if (n)
			qsort(all, n, sizeof(*all), cmp_id);
		for (size_t i = 1; i < n; i++)
			res->duplicate_chunks += chunk_id_eq(&all[i - 1], &all[i]);
		free(all);
		if (res->duplicate_chunks)
			info(&c, "%llu chunks are stored in more than one pack (prune reclaims the copies)",
			     (unsigned long long)res->duplicate_chunks);
	}
	if (c.nbad)
		qsort(c.bad, c.nbad, sizeof(*c.bad), cmp_id);
	rc = backend_list(repo_backend(r), "backups", check_backup, &c, err);
out:
	for (size_t i = 0; i < c.npacks; i++) {
		free(c.packs[i].bad);
		free(c.packs[i].ents);
	}
	for (size_t i = 0; i < c.nbad; i++)
		free(c.bad[i].why);
	free(c.packs);
	free(c.ents);
	free(c.bypack);
	free(c.bad);
	free(buf);
	repo_reader_free(rr);
	return rc;
}
