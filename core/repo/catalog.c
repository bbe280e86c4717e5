#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/repo/catalog.h"
#include "core/repo/obj.h"
#include "core/util/vec.h"

/* The list of backups as of one catalog transaction, shared by readers.
 * Only the newest is kept, not in the repository's memo: keyed by the
 * transaction, the memo would keep a stale list (thousands of backups
 * each) for every size a rendering writes, until its 256 places ran out. */
struct held_list {
	struct backup_list l;	/* first: what readers are given */
	size_t txnid;
	int refs;		/* under list_mu; the catalog's own is one */
};

struct catalog {
	MDB_env *env;
	MDB_dbi chunks, packs, segs, backups, files, sizes;
	char *dir;
	pthread_mutex_t list_mu;
	struct held_list *list;	/* the newest made, or NULL */
};

struct catalog_txn {
	struct catalog *cat;
	MDB_txn *txn;
};

#define LOC_LEN 33	/* then the parts of a CHUNK_PARTS chunk */
#define LOC_MAX (LOC_LEN + CHUNK_PARTS_LEN(CHUNK_SIZE))

/* LMDB codes -> negative errno, with mdb_strerror() in the message. */
static int mdb_err(struct pit_err *err, int rc, const char *dir, const char *what)
{
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc == MDB_MAP_FULL)
		return pit_errf(err, -ENOSPC, "%s: catalog full while %s", dir, what);
	if (rc > 0)
		return pit_errf(err, -rc, "%s: catalog: %s: %s", dir, what, strerror(rc));
	return pit_errf(err, -EIO, "%s: catalog: %s: %s", dir, what, mdb_strerror(rc));
}

/* Bytes written to p (LOC_MAX of room). */
static size_t loc_put(uint8_t *p, const struct chunk_loc *l)
{
	memcpy(p, l->pack.b, 16);
	memcpy(p + 16, &l->off, 8);
	memcpy(p + 24, &l->stored, 4);
	memcpy(p + 28, &l->raw, 4);
	p[32] = l->codec;
	if (l->codec != CHUNK_PARTS)
		return LOC_LEN;
	chunk_parts_put(p + LOC_LEN, &l->parts, l->raw);
	return LOC_LEN + CHUNK_PARTS_LEN(l->raw);
}

/* false when n bytes at p are not a location. */
static bool loc_get(const uint8_t *p, size_t n, struct chunk_loc *l)
{
	if (n < LOC_LEN)
		return false;
	memcpy(l->pack.b, p, 16);
	memcpy(&l->off, p + 16, 8);
	memcpy(&l->stored, p + 24, 4);
	memcpy(&l->raw, p + 28, 4);
	l->codec = p[32];
	memset(&l->parts, 0, sizeof(l->parts));
	if (l->codec != CHUNK_PARTS)
		return n == LOC_LEN;
	if (l->raw > CHUNK_SIZE || n != LOC_LEN + CHUNK_PARTS_LEN(l->raw))
		return false;
	chunk_parts_get(p + LOC_LEN, &l->parts, l->raw);
	return true;
}

int catalog_open(struct catalog **out, const char *dir, struct pit_err *err)
{
	struct catalog *cat = calloc(1, sizeof(*cat));
	MDB_txn *txn = NULL;
	int rc;

	*out = NULL;
	if (!cat || !(cat->dir = strdup(dir))) {
		free(cat);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&cat->list_mu, NULL);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = pit_errf(err, -errno, "%s: cannot create catalog: %s", dir, strerror(errno));
		goto fail;
	}
	if ((rc = mdb_env_create(&cat->env)) || (rc = mdb_env_set_maxdbs(cat->env, 8)) ||
	    (rc = mdb_env_set_mapsize(cat->env, sizeof(size_t) > 4 ? (size_t)1 << 36 : (size_t)1 << 30)) ||
	    (rc = mdb_env_open(cat->env, dir, MDB_NOTLS, 0644))) {
		rc = mdb_err(err, rc, dir, "opening");
		goto fail;
	}
	if ((rc = mdb_txn_begin(cat->env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "chunks", MDB_CREATE, &cat->chunks)) ||
	    (rc = mdb_dbi_open(txn, "packs", MDB_CREATE, &cat->packs)) ||
	    (rc = mdb_dbi_open(txn, "segs", MDB_CREATE, &cat->segs)) ||
	    (rc = mdb_dbi_open(txn, "backups", MDB_CREATE, &cat->backups)) ||
	    (rc = mdb_dbi_open(txn, "files", MDB_CREATE, &cat->files)) ||
	    (rc = mdb_dbi_open(txn, "sizes", MDB_CREATE, &cat->sizes)) || (rc = mdb_txn_commit(txn))) {
		if (txn && rc)
			mdb_txn_abort(txn);
		rc = mdb_err(err, rc, dir, "opening its tables");
		goto fail;
	}
	*out = cat;
	return 0;
fail:
	catalog_close(cat);
	return rc;
}

static void held_put(struct catalog *cat, struct held_list *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&cat->list_mu);
	bool last = --h->refs == 0;
	pthread_mutex_unlock(&cat->list_mu);
	if (last) {
		backup_list_release(&h->l);
		free(h);
	}
}

void catalog_close(struct catalog *cat)
{
	if (!cat)
		return;
	held_put(cat, cat->list);
	pthread_mutex_destroy(&cat->list_mu);
	if (cat->env)
		mdb_env_close(cat->env);
	free(cat->dir);
	free(cat);
}

static int rtxn(struct catalog *cat, MDB_txn **txn, struct pit_err *err)
{
	int rc = mdb_txn_begin(cat->env, NULL, MDB_RDONLY, txn);

	return rc ? mdb_err(err, rc, cat->dir, "starting a read") : 0;
}

int catalog_chunk_find(struct catalog *cat, const struct chunk_id *id, struct chunk_loc *loc, struct pit_err *err)
{
	MDB_txn *txn;
	MDB_val k = { 16, (void *)id->b }, v;
	int rc;

	if ((rc = rtxn(cat, &txn, err)) < 0)
		return rc;
	rc = mdb_get(txn, cat->chunks, &k, &v);
	if (!rc && !loc_get(v.mv_data, v.mv_size, loc))
		rc = pit_errf(err, -EIO, "%s: catalog holds a bad chunk entry (delete the cache to rebuild it)",
			      cat->dir);
	else if (rc)
		rc = mdb_err(err, rc, cat->dir, "looking up a chunk");
	mdb_txn_abort(txn);
	return rc;
}

bool catalog_pack_known(struct catalog *cat, const struct chunk_id *pack)
{
	MDB_txn *txn;
	MDB_val k = { 16, (void *)pack->b }, v;
	bool found;

	if (rtxn(cat, &txn, NULL) < 0)
		return false;
	found = mdb_get(txn, cat->packs, &k, &v) == 0;
	mdb_txn_abort(txn);
	return found;
}

static int file_key(const char *node, const char *path, char **key, size_t *len)
{
	size_t a = strlen(node), b = strlen(path);

	if (!(*key = malloc(a + b + 1)))
		return -ENOMEM;
	memcpy(*key, node, a);
	(*key)[a] = 0;
	memcpy(*key + a + 1, path, b);
	*len = a + b + 1;
	return 0;
}

int catalog_file_find(struct catalog *cat, const char *node, const char *path, struct catalog_file *f,
		      struct pit_err *err)
{
	MDB_txn *txn;
	MDB_val k, v;
	char *key;
	int rc;

	memset(f, 0, sizeof(*f));
	if (file_key(node, path, &key, &k.mv_size) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	k.mv_data = key;
	if ((rc = rtxn(cat, &txn, err)) == 0) {
		rc = mdb_get(txn, cat->files, &k, &v);
		if (rc) {
			rc = mdb_err(err, rc, cat->dir, "looking up a file");
		} else {
			struct obj_cur c = { v.mv_data, (const uint8_t *)v.mv_data + v.mv_size, 0 };
			f->size = obj_get_u64(&c);
			f->mtime_ns = (int64_t)obj_get_u64(&c);
			f->nchunks = obj_get_u32(&c);
			if (c.bad || f->nchunks > v.mv_size / 20 ||
			    !(f->chunks = calloc(f->nchunks + 1, sizeof(*f->chunks)))) {
				rc = pit_errf(err, -EIO, "%s: catalog holds a bad file entry (delete the cache to rebuild "
					      "it)", cat->dir);
			} else {
				for (uint32_t i = 0; i < f->nchunks; i++) {
					obj_get_bytes(&c, f->chunks[i].id.b, 16);
					f->chunks[i].raw = obj_get_u32(&c);
				}
			}
		}
		mdb_txn_abort(txn);
	}
	free(key);
	return rc;
}

static int cmp_info(const void *a, const void *b)
{
	const struct backup_info *x = a, *y = b;
	int c;

	if (x->instant_us != y->instant_us)
		return x->instant_us < y->instant_us ? -1 : 1;
	if ((c = strcmp(x->node, y->node)))
		return c;
	return memcmp(x->id.b, y->id.b, 16);
}

int catalog_backups(struct catalog *cat, int (*fn)(void *ctx, const struct backup_info *bi), void *ctx,
		    struct pit_err *err)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct backup_info *all = NULL;
	size_t n = 0, cap = 0;
	int rc, mrc;

	if ((rc = rtxn(cat, &txn, err)) < 0)
		return rc;
	if ((mrc = mdb_cursor_open(txn, cat->backups, &cur))) {
		rc = mdb_err(err, mrc, cat->dir, "listing backups");
		goto out;
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (vec_grow((void **)&all, &cap, n + 1, sizeof(*all)) < 0) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (k.mv_size != 16 || backup_info_decode(v.mv_data, v.mv_size, &all[n]) < 0) {
			rc = pit_errf(err, -EIO, "%s: catalog holds a bad backup entry (delete the cache to rebuild it)",
				      cat->dir);
			goto out;
		}
		memcpy(all[n].id.b, k.mv_data, 16);
		n++;
	}
	if (mrc != MDB_NOTFOUND) {
		rc = mdb_err(err, mrc, cat->dir, "listing backups");
		goto out;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	mdb_txn_abort(txn);
	txn = NULL;
	if (n)
		qsort(all, n, sizeof(*all), cmp_info);
	for (size_t i = 0; i < n && !rc; i++)
		rc = fn(ctx, &all[i]);
out:
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	for (size_t i = 0; i < n; i++)
		backup_info_release(&all[i]);
	free(all);
	return rc;
}

int catalog_chunks(struct catalog *cat, int (*fn)(void *ctx, const struct index_entry *e), void *ctx,
		   struct pit_err *err)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, mrc;

	if ((rc = rtxn(cat, &txn, err)) < 0)
		return rc;
	if ((mrc = mdb_cursor_open(txn, cat->chunks, &cur))) {
		rc = mdb_err(err, mrc, cat->dir, "listing chunks");
		goto out;
	}
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct index_entry e;
		if (k.mv_size != 16 || !loc_get(v.mv_data, v.mv_size, &e.loc)) {
			rc = pit_errf(err, -EIO, "%s: catalog holds a bad chunk entry", cat->dir);
			break;
		}
		memcpy(e.id.b, k.mv_data, 16);
		rc = fn(ctx, &e);
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = mdb_err(err, mrc, cat->dir, "listing chunks");
out:
	if (cur)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc;
}

int catalog_txn_begin(struct catalog *cat, struct catalog_txn **out, struct pit_err *err)
{
	struct catalog_txn *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!t)
		return pit_errf(err, -ENOMEM, "out of memory");
	t->cat = cat;
	if ((rc = mdb_txn_begin(cat->env, NULL, 0, &t->txn))) {
		free(t);
		return mdb_err(err, rc, cat->dir, "starting an update");
	}
	*out = t;
	return 0;
}

int catalog_txn_commit(struct catalog_txn *t, struct pit_err *err)
{
	int rc = mdb_txn_commit(t->txn);
	struct catalog *cat = t->cat;

	free(t);
	return rc ? mdb_err(err, rc, cat->dir, "committing") : 0;
}

void catalog_txn_abort(struct catalog_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int catalog_txn_clear(struct catalog_txn *t, int what, struct pit_err *err)
{
	struct catalog *c = t->cat;
	int rc = 0;

	if (what & CAT_CHUNKS)
		if ((rc = mdb_drop(t->txn, c->chunks, 0)) || (rc = mdb_drop(t->txn, c->packs, 0)) ||
		    (rc = mdb_drop(t->txn, c->segs, 0)))
			return mdb_err(err, rc, c->dir, "clearing");
	if (what & CAT_BACKUPS)
		if ((rc = mdb_drop(t->txn, c->backups, 0)) || (rc = mdb_drop(t->txn, c->files, 0)))
			return mdb_err(err, rc, c->dir, "clearing");
	return 0;
}

bool catalog_txn_has_segment(struct catalog_txn *t, const char *name)
{
	MDB_val k = { strlen(name), (void *)name }, v;

	return mdb_get(t->txn, t->cat->segs, &k, &v) == 0;
}

int catalog_txn_add_segment(struct catalog_txn *t, const char *name, const struct index_entry *e, size_t n,
			    struct pit_err *err)
{
	struct catalog *c = t->cat;
	uint8_t loc[LOC_MAX], one = 1;
	MDB_val k, v;
	int rc;

	for (size_t i = 0; i < n; i++) {
		k = (MDB_val){ 16, (void *)e[i].id.b };
		v = (MDB_val){ loc_put(loc, &e[i].loc), loc };
		/* The first location recorded wins; a duplicate is just as good. */
		if ((rc = mdb_put(t->txn, c->chunks, &k, &v, MDB_NOOVERWRITE)) && rc != MDB_KEYEXIST)
			return mdb_err(err, rc, c->dir, "adding chunks");
		k = (MDB_val){ 16, (void *)e[i].loc.pack.b };
		v = (MDB_val){ 1, &one };
		if ((rc = mdb_put(t->txn, c->packs, &k, &v, 0)))
			return mdb_err(err, rc, c->dir, "adding packs");
	}
	k = (MDB_val){ strlen(name), (void *)name };
	v = (MDB_val){ 1, &one };
	if ((rc = mdb_put(t->txn, c->segs, &k, &v, 0)))
		return mdb_err(err, rc, c->dir, "adding an index segment");
	return 0;
}

int catalog_txn_segments(struct catalog_txn *t, int (*fn)(void *ctx, const char *name), void *ctx,
			 struct pit_err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = 0, mrc;

	if ((mrc = mdb_cursor_open(t->txn, t->cat->segs, &cur)))
		return mdb_err(err, mrc, t->cat->dir, "listing segments");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[128];
		if (k.mv_size >= sizeof(name))
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		rc = fn(ctx, name);
	}
	mdb_cursor_close(cur);
	return rc;
}

bool catalog_txn_has_backup(struct catalog_txn *t, const struct chunk_id *id)
{
	MDB_val k = { 16, (void *)id->b }, v;

	return mdb_get(t->txn, t->cat->backups, &k, &v) == 0;
}

int catalog_txn_add_backup(struct catalog_txn *t, const struct manifest *m, struct pit_err *err)
{
	struct catalog *c = t->cat;
	struct sbuf sb;
	MDB_val k, v;
	int rc = 0;

	sbuf_init(&sb);
	backup_info_encode(&m->info, &sb);
	if (sb.oom) {
		sbuf_release(&sb);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	k = (MDB_val){ 16, (void *)m->info.id.b };
	v = (MDB_val){ sb.len, sb.buf };
	if ((rc = mdb_put(t->txn, c->backups, &k, &v, 0))) {
		sbuf_release(&sb);
		return mdb_err(err, rc, c->dir, "adding a backup");
	}
	for (size_t i = 0; i < m->nfiles && !rc; i++) {
		const struct mf_file *f = &m->files[i];
		char *key;
		sbuf_reset(&sb);
		obj_put_u64(&sb, f->size);
		obj_put_u64(&sb, (uint64_t)f->mtime_ns);
		obj_put_u32(&sb, f->nchunks);
		for (uint32_t k2 = 0; k2 < f->nchunks; k2++) {
			sbuf_add(&sb, f->chunks[k2].id.b, 16);
			obj_put_u32(&sb, f->chunks[k2].raw);
		}
		if (sb.oom || file_key(m->info.node, f->path, &key, &k.mv_size) < 0) {
			sbuf_release(&sb);
			return pit_errf(err, -ENOMEM, "out of memory");
		}
		k.mv_data = key;
		v = (MDB_val){ sb.len, sb.buf };
		rc = mdb_put(t->txn, c->files, &k, &v, 0);
		free(key);
	}
	sbuf_release(&sb);
	return rc ? mdb_err(err, rc, c->dir, "adding files") : 0;
}

int catalog_txn_backup_ids(struct catalog_txn *t, int (*fn)(void *ctx, const struct chunk_id *id), void *ctx,
			   struct pit_err *err)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = 0, mrc;

	if ((mrc = mdb_cursor_open(t->txn, t->cat->backups, &cur)))
		return mdb_err(err, mrc, t->cat->dir, "listing backups");
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !mrc && !rc;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct chunk_id id;
		if (k.mv_size != 16)
			continue;
		memcpy(id.b, k.mv_data, 16);
		rc = fn(ctx, &id);
	}
	mdb_cursor_close(cur);
	return rc;
}

static int list_one(void *ctx, const struct backup_info *bi)
{
	struct backup_list *l = ctx;

	if (vec_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) < 0 || backup_info_copy(&l->v[l->n], bi) < 0)
		return -ENOMEM;
	l->n++;
	return 0;
}

int catalog_backup_list(struct catalog *cat, struct backup_list *out, struct pit_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = catalog_backups(cat, list_one, out, err)) < 0) {
		if (rc == -ENOMEM)
			pit_errf(err, rc, "out of memory");
		backup_list_release(out);
	}
	return rc;
}

int catalog_backups_held(struct catalog *cat, const struct backup_list **out, struct pit_err *err)
{
	MDB_envinfo info;
	struct held_list *h, *old;
	int rc;

	*out = NULL;
	/* the last transaction any process committed: a backup stored or
	 * forgotten since the list was made is one (so is a size kept) */
	mdb_env_info(cat->env, &info);
	pthread_mutex_lock(&cat->list_mu);
	if ((h = cat->list) && h->txnid == info.me_last_txnid) {
		h->refs++;
		pthread_mutex_unlock(&cat->list_mu);
		*out = &h->l;
		return 0;
	}
	pthread_mutex_unlock(&cat->list_mu);
	if (!(h = calloc(1, sizeof(*h))))
		return pit_errf(err, -ENOMEM, "out of memory");
	if ((rc = catalog_backup_list(cat, &h->l, err)) < 0) {
		free(h);
		return rc;
	}
	h->txnid = info.me_last_txnid;	/* the list is as of then or later: at worst made again */
	h->refs = 2;
	pthread_mutex_lock(&cat->list_mu);
	old = cat->list;
	cat->list = h;
	pthread_mutex_unlock(&cat->list_mu);
	held_put(cat, old);
	*out = &h->l;
	return 0;
}

void catalog_backups_put(struct catalog *cat, const struct backup_list *l)
{
	held_put(cat, (struct held_list *)(uintptr_t)l);	/* l is its held_list's first member */
}

void backup_list_release(struct backup_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		backup_info_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int catalog_blob_get(struct catalog *cat, const struct chunk_id *key, void **data, size_t *len)
{
	MDB_txn *txn;
	MDB_val k = { 16, (void *)key->b }, v;
	int rc;

	*data = NULL;
	*len = 0;
	if (rtxn(cat, &txn, NULL) < 0)
		return -EIO;
	rc = mdb_get(txn, cat->sizes, &k, &v);
	if (!rc && (*data = malloc(v.mv_size ? v.mv_size : 1)))
		memcpy(*data, v.mv_data, *len = v.mv_size);
	mdb_txn_abort(txn);
	return rc ? -ENOENT : *data ? 0 : -ENOMEM;
}

int catalog_blobs_put(struct catalog *cat, const struct catalog_blob *v, size_t n, struct pit_err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(cat->env, NULL, 0, &txn)))
		return mdb_err(err, rc, cat->dir, "starting an update");
	for (size_t i = 0; i < n; i++) {
		MDB_val k = { 16, (void *)v[i].key.b }, d = { v[i].len, (void *)v[i].data };
		if ((rc = mdb_put(txn, cat->sizes, &k, &d, 0))) {
			mdb_txn_abort(txn);
			return mdb_err(err, rc, cat->dir, "storing a rendered file's size or checkpoints");
		}
	}
	return (rc = mdb_txn_commit(txn)) ? mdb_err(err, rc, cat->dir, "committing") : 0;
}

int catalog_blob_put(struct catalog *cat, const struct chunk_id *key, const void *data, size_t len,
		     struct pit_err *err)
{
	struct catalog_blob b = { *key, data, len };

	return catalog_blobs_put(cat, &b, 1, err);
}

int catalog_size_get(struct catalog *cat, const struct chunk_id *key, uint64_t *size)
{
	void *d;
	size_t n;
	int rc = catalog_blob_get(cat, key, &d, &n);

	if (rc == 0 && n == 8)
		memcpy(size, d, 8);
	free(d);
	return rc < 0 ? rc : n == 8 ? 0 : -ENOENT;
}
