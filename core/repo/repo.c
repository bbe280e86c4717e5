#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>
#include "core/repo/manifest.h"
#include "core/repo/obj.h"
#include "core/repo/pack.h"
#include "core/repo/repo.h"
#include "core/util/vec.h"

#define FD_CACHE 16
#define READERS_KEPT 8	/* idle readers kept for threads that read now and then */

struct repo {
	char *path;
	struct backend *b;
	struct catalog *cat;
	struct repo_config cfg;
	int lockfd;
	unsigned skipped;
	struct memo *memo;
	struct chunkpool *pool;		/* NULL unless repo_keep_chunks */
	pthread_mutex_t rd_mu;
	struct repo_reader *idle[READERS_KEPT];	/* for repo_reader_take */
	int nidle;
	pthread_mutex_t fd_mu;
	struct {
		struct chunk_id pack;
		int fd, refs;
		uint64_t used;
	} fds[FD_CACHE];
	uint64_t fd_clock;
};

struct repo_reader {
	struct repo *r;
	struct chunk_coder *cc;
	uint8_t *buf;		/* stored bytes */
	uint8_t *raw;		/* raw bytes for a range read: its parts, or an older chunk whole; made on first use */
};

static int write_config(struct backend *b, const struct repo_config *cfg, struct pit_err *err)
{
	struct sbuf sb;
	int rc;

	sbuf_init(&sb);
	obj_begin(&sb, "CONF");
	sbuf_add(&sb, cfg->id, 16);
	obj_put_u32(&sb, cfg->chunk_size);
	obj_put_u32(&sb, (uint32_t)cfg->zstd_level);
	obj_put_u32(&sb, cfg->zstd_min_match);
	obj_put_u32(&sb, cfg->pack_target);
	if ((rc = obj_seal(&sb)) == 0)
		rc = backend_put(b, "config", sb.buf, sb.len, err);
	else
		rc = pit_errf(err, rc, "out of memory");
	sbuf_release(&sb);
	return rc;
}

static int read_config(struct backend *b, struct repo_config *cfg, struct pit_err *err)
{
	uint8_t *p;
	size_t n, plen;
	const uint8_t *pl;
	char name[PATH_MAX];
	int rc;

	snprintf(name, sizeof(name), "%s/config", backend_root(b));
	if ((rc = backend_get(b, "config", &p, &n, 4096, err)) < 0) {
		if (rc == -ENOENT)
			return pit_errf(err, -ENOENT, "%s: not a pitfs repository (no config; see 'pitfs init')",
					backend_root(b));
		return rc;
	}
	if ((rc = obj_open(p, n, "CONF", name, &pl, &plen, err)) == 0) {
		struct obj_cur c = { pl, pl + plen, 0 };
		obj_get_bytes(&c, cfg->id, 16);
		cfg->chunk_size = obj_get_u32(&c);
		cfg->zstd_level = (int32_t)obj_get_u32(&c);
		cfg->zstd_min_match = obj_get_u32(&c);
		cfg->pack_target = obj_get_u32(&c);
		if (c.bad || c.p != c.end || (cfg->zstd_min_match && (cfg->zstd_min_match < 3 || cfg->zstd_min_match > 7)) || cfg->chunk_size < 4096 || cfg->chunk_size > CHUNK_SIZE || cfg->pack_target < 4096 ||
		    cfg->zstd_level < -7 || cfg->zstd_level > 22)
			rc = pit_errf(err, -EBADMSG, "%s: config does not parse or has values out of range", name);
	}
	free(p);
	return rc;
}

int repo_init(const char *path, uint32_t pack_target, int zstd_level, struct pit_err *err)
{
	struct backend *b = NULL;
	struct repo_config cfg = { .chunk_size = CHUNK_SIZE, .zstd_level = REPO_ZSTD_LEVEL,
				   .zstd_min_match = REPO_ZSTD_MIN_MATCH, .pack_target = PACK_TARGET };
	int rc;

	if (pack_target)
		cfg.pack_target = pack_target;
	if (zstd_level && zstd_level != REPO_ZSTD_LEVEL) {
		cfg.zstd_level = zstd_level;
		cfg.zstd_min_match = 0;	/* the tuning above is for level 1 */
	}
	if (cfg.zstd_level < 1 || cfg.zstd_level > 19)
		return pit_errf(err, -EINVAL, "compression level %d is out of range (1 to 19)", cfg.zstd_level);
	if (cfg.pack_target < 4096)
		return pit_errf(err, -EINVAL, "pack size %u is too small (at least 4 KiB)", cfg.pack_target);
	if (getrandom(cfg.id, sizeof(cfg.id), 0) != (ssize_t)sizeof(cfg.id))
		return pit_errf(err, -EIO, "cannot get random bytes for the repository id");
	if ((rc = backend_create(path, err)) < 0 || (rc = backend_open(&b, path, err)) < 0)
		return rc;
	rc = write_config(b, &cfg, err);
	backend_close(b);
	return rc;
}

static int lock(struct repo *r, int how, struct pit_err *err)
{
	while (flock(r->lockfd, how) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return -EWOULDBLOCK;
		return pit_errf(err, -errno, "%s/locks/lock: cannot lock: %s", r->path, strerror(errno));
	}
	return 0;
}

int repo_open(struct repo **out, const char *path, enum repo_mode mode, struct pit_err *err)
{
	struct repo *r = calloc(1, sizeof(*r));
	char dir[PATH_MAX];
	int rc;

	*out = NULL;
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	r->lockfd = -1;
	pthread_mutex_init(&r->fd_mu, NULL);
	pthread_mutex_init(&r->rd_mu, NULL);
	if (memo_new(&r->memo, MEMO_ENTRIES, MEMO_BYTES) < 0) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < FD_CACHE; i++)
		r->fds[i].fd = -1;
	if ((rc = backend_open(&r->b, path, err)) < 0 || (rc = read_config(r->b, &r->cfg, err)) < 0)
		goto fail;
	if (mode != REPO_READ) {
		r->lockfd = openat(backend_dirfd(r->b), "locks/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (r->lockfd < 0 && mode == REPO_SHARED_IF_ABLE && (errno == EACCES || errno == EROFS || errno == EPERM))
			mode = REPO_READ;
		else if (r->lockfd < 0) {
			rc = pit_errf(err, -errno, "%s/locks/lock: %s", path, strerror(errno));
			goto fail;
		}
	}
	snprintf(dir, sizeof(dir), "%s/cache", path);
	if ((rc = catalog_open(&r->cat, dir, err)) < 0)
		goto fail;
	if (mode == REPO_EXCLUSIVE || mode == REPO_EXCLUSIVE_NOWAIT) {
		if ((rc = lock(r, mode == REPO_EXCLUSIVE ? LOCK_EX : LOCK_EX | LOCK_NB, err)) < 0) {
			if (rc == -EWOULDBLOCK)
				pit_errf(err, rc, "%s: in use (an ingest, check, restore or mount holds it)", path);
			goto fail;
		}
	} else if (mode == REPO_WRITE) {
		/* Alone in the repository: tidy up after crashed writers first. */
		if (lock(r, LOCK_EX | LOCK_NB, err) == 0) {
			if ((rc = repo_sync(r, err)) < 0 || (rc = repo_adopt_packs(r, NULL, err)) < 0 ||
			    (rc = backend_clean_tmp(r->b, NULL, err)) < 0)
				goto fail;
		}
		if ((rc = lock(r, LOCK_SH, err)) < 0)
			goto fail;
	} else if (mode == REPO_SHARED || mode == REPO_SHARED_IF_ABLE) {
		if ((rc = lock(r, LOCK_SH, err)) < 0)
			goto fail;
	}
	if ((rc = repo_sync(r, err)) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	repo_close(r);
	return rc;
}

void repo_close(struct repo *r)
{
	if (!r)
		return;
	for (int i = 0; i < FD_CACHE; i++)
		if (r->fds[i].fd >= 0)
			close(r->fds[i].fd);
	if (r->lockfd >= 0)
		close(r->lockfd);	/* releases the flock */
	memo_free(r->memo);
	for (int i = 0; i < r->nidle; i++)
		repo_reader_free(r->idle[i]);
	chunkpool_free(r->pool);
	catalog_close(r->cat);
	backend_close(r->b);
	pthread_mutex_destroy(&r->fd_mu);
	pthread_mutex_destroy(&r->rd_mu);
	free(r->path);
	free(r);
}

const char *repo_path(const struct repo *r) { return r->path; }
const struct repo_config *repo_config(const struct repo *r) { return &r->cfg; }
struct backend *repo_backend(struct repo *r) { return r->b; }
struct catalog *repo_catalog(struct repo *r) { return r->cat; }
unsigned repo_sync_skipped(const struct repo *r) { return r->skipped; }

/* Names listed under a directory, sorted, for membership tests. */
struct names {
	char **v;
	size_t n, cap;
};

static int names_add(void *ctx, const char *name, uint64_t size)
{
	struct names *ns = ctx;

	(void)size;
	if (vec_grow((void **)&ns->v, &ns->cap, ns->n + 1, sizeof(*ns->v)) < 0)
		return -ENOMEM;
	if (!(ns->v[ns->n] = strdup(name)))
		return -ENOMEM;
	ns->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool names_has(const struct names *ns, const char *name)
{
	return ns->n && bsearch(&name, ns->v, ns->n, sizeof(char *), cmp_str);
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static int list_sorted(struct repo *r, const char *dir, struct names *ns, struct pit_err *err)
{
	int rc = backend_list(r->b, dir, names_add, ns, err);

	if (rc == -ENOMEM)
		return pit_errf(err, rc, "out of memory listing %s", dir);
	if (rc < 0)
		return rc;
	if (ns->n)
		qsort(ns->v, ns->n, sizeof(char *), cmp_str);
	return 0;
}

static int seg_vanished(void *ctx, const char *name) { return !names_has(ctx, name); }

struct id_check {
	struct names *ns;
};

static int backup_vanished(void *ctx, const struct chunk_id *id)
{
	char name[BACKUP_NAME_MAX];

	backup_name(id, name);
	return !names_has(ctx, name);
}

int repo_sync(struct repo *r, struct pit_err *err)
{
	struct names segs = { 0 }, bks = { 0 };
	struct catalog_txn *t = NULL;
	int rc;

	r->skipped = 0;
	if ((rc = list_sorted(r, "index", &segs, err)) < 0 || (rc = list_sorted(r, "backups", &bks, err)) < 0)
		goto out;
	if ((rc = catalog_txn_begin(r->cat, &t, err)) < 0)
		goto out;
	/* Something was removed (prune, forget): rebuild that half from scratch. */
	if ((rc = catalog_txn_segments(t, seg_vanished, &segs, err)) > 0)
		rc = catalog_txn_clear(t, CAT_CHUNKS, err);
	if (rc < 0)
		goto out;
	if ((rc = catalog_txn_backup_ids(t, backup_vanished, &bks, err)) > 0)
		rc = catalog_txn_clear(t, CAT_BACKUPS, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < segs.n; i++) {
		struct index_entry *e;
		size_t n;
		if (catalog_txn_has_segment(t, segs.v[i]))
			continue;
		if ((rc = index_read(r->b, segs.v[i], &e, &n, err)) < 0) {
			if (rc == -ENOMEM)
				goto out;
			r->skipped++;	/* check reports it */
			rc = 0;
			continue;
		}
		rc = catalog_txn_add_segment(t, segs.v[i], e, n, err);
		free(e);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < bks.n; i++) {
		struct chunk_id id;
		struct manifest *m;
		if (backup_name_parse(bks.v[i], &id) < 0 || catalog_txn_has_backup(t, &id))
			continue;
		if ((rc = manifest_read(r->b, &id, &m, err)) < 0) {
			if (rc == -ENOMEM)
				goto out;
			r->skipped++;
			rc = 0;
			continue;
		}
		rc = catalog_txn_add_backup(t, m, err);
		manifest_free(m);
		if (rc < 0)
			goto out;
	}
	rc = catalog_txn_commit(t, err);
	t = NULL;
out:
	catalog_txn_abort(t);
	names_free(&segs);
	names_free(&bks);
	return rc;
}

struct adopt {
	struct repo *r;
	struct index_entry *e;
	size_t n, cap;
	unsigned packs;
	struct pit_err *err;
};

static int adopt_one(void *ctx, const char *name, uint64_t size)
{
	struct adopt *a = ctx;
	struct chunk_id pack;
	struct pack_entry *pe;
	size_t n;
	int fd, rc;

	if (pack_name_parse(name, &pack) < 0 || catalog_pack_known(a->r->cat, &pack))
		return 0;
	if ((fd = backend_open_read(a->r->b, name, a->err)) < 0)
		return fd == -ENOENT ? 0 : fd;
	rc = pack_read_trailer(fd, size, name, &pe, &n, NULL);
	close(fd);
	if (rc < 0)		/* damaged: left to check and prune */
		return 0;
	if (vec_grow((void **)&a->e, &a->cap, a->n + n, sizeof(*a->e)) < 0) {
		free(pe);
		return pit_errf(a->err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		a->e[a->n++] = pack_entry_index(&pe[i], &pack);
	free(pe);
	a->packs++;
	return 0;
}

int repo_adopt_packs(struct repo *r, unsigned *adopted, struct pit_err *err)
{
	struct adopt a = { .r = r, .err = err };
	char name[INDEX_NAME_MAX];
	int rc;

	if ((rc = backend_list(r->b, "packs", adopt_one, &a, err)) >= 0 && a.n)
		if ((rc = index_write(r->b, a.e, a.n, name, err)) >= 0)
			rc = repo_sync(r, err);
	free(a.e);
	if (adopted)
		*adopted = a.packs;
	return rc < 0 ? rc : 0;
}

int repo_reader_new(struct repo_reader **out, struct repo *r, struct pit_err *err)
{
	struct repo_reader *rr = calloc(1, sizeof(*rr));

	*out = NULL;
	if (!rr || chunk_coder_new(&rr->cc, r->cfg.zstd_level, (int)r->cfg.zstd_min_match) < 0 ||
	    !(rr->buf = malloc(CHUNK_MAX_STORED))) {
		repo_reader_free(rr);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	rr->r = r;
	*out = rr;
	return 0;
}

int repo_reader_take(struct repo *r, struct repo_reader **out, struct pit_err *err)
{
	pthread_mutex_lock(&r->rd_mu);
	*out = r->nidle ? r->idle[--r->nidle] : NULL;
	pthread_mutex_unlock(&r->rd_mu);
	return *out ? 0 : repo_reader_new(out, r, err);
}

void repo_reader_give(struct repo_reader *rr)
{
	struct repo *r;

	if (!rr)
		return;
	r = rr->r;
	pthread_mutex_lock(&r->rd_mu);
	if (r->nidle < READERS_KEPT) {
		r->idle[r->nidle++] = rr;
		rr = NULL;
	}
	pthread_mutex_unlock(&r->rd_mu);
	repo_reader_free(rr);
}

void repo_reader_free(struct repo_reader *rr)
{
	if (!rr)
		return;
	chunk_coder_free(rr->cc);
	free(rr->buf);
	free(rr->raw);
	free(rr);
}

/* An open descriptor for a pack, from a small LRU shared by all readers.
 * A slot in use is never closed under a reader; when every slot is busy the
 * caller gets a private descriptor (*slot = -1) that pack_fd_put closes. */
static int pack_fd_get(struct repo *r, const struct chunk_id *pack, int *slot, struct pit_err *err)
{
	char name[PACK_NAME_MAX];
	int victim = -1, fd;

	pthread_mutex_lock(&r->fd_mu);
	for (int i = 0; i < FD_CACHE; i++) {
		if (r->fds[i].fd >= 0 && chunk_id_eq(&r->fds[i].pack, pack)) {
			r->fds[i].used = ++r->fd_clock;
			r->fds[i].refs++;
			*slot = i;
			pthread_mutex_unlock(&r->fd_mu);
			return r->fds[i].fd;
		}
		if (!r->fds[i].refs && (victim < 0 || r->fds[i].used < r->fds[victim].used))
			victim = i;
	}
	pack_name(pack, name);
	*slot = -1;
	if ((fd = backend_open_read(r->b, name, err)) >= 0 && victim >= 0) {
		if (r->fds[victim].fd >= 0)
			close(r->fds[victim].fd);
		r->fds[victim].pack = *pack;
		r->fds[victim].fd = fd;
		r->fds[victim].used = ++r->fd_clock;
		r->fds[victim].refs = 1;
		*slot = victim;
	}
	pthread_mutex_unlock(&r->fd_mu);
	return fd;
}

static void pack_fd_put(struct repo *r, int slot, int fd)
{
	if (slot < 0) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&r->fd_mu);
	r->fds[slot].refs--;
	pthread_mutex_unlock(&r->fd_mu);
}

/* len stored bytes at from of the chunk at loc into rr->buf. */
static int pack_read(struct repo_reader *rr, const struct chunk_loc *loc, uint32_t from, uint32_t len,
		     const char *where, struct pit_err *err)
{
	ssize_t got;
	int fd, slot, e;

	if ((fd = pack_fd_get(rr->r, &loc->pack, &slot, err)) < 0)
		return fd;
	got = pread(fd, rr->buf, len, (off_t)(loc->off + from));
	e = errno;
	pack_fd_put(rr->r, slot, fd);
	errno = e;
	if (got != (ssize_t)len)
		return pit_errf(err, -EIO, "%s: %s", where, got < 0 ? strerror(errno) : "pack ends inside the chunk");
	return 0;
}

static void loc_where(const struct chunk_loc *loc, char *where, size_t cap)
{
	char name[PACK_NAME_MAX];

	pack_name(&loc->pack, name);
	snprintf(where, cap, "%s, offset %llu", name, (unsigned long long)loc->off);
}

int repo_read_loc(struct repo_reader *rr, const struct chunk_id *id, const struct chunk_loc *loc, void *dst,
		  struct pit_err *err)
{
	char where[PACK_NAME_MAX + 40];
	int rc;

	loc_where(loc, where, sizeof(where));
	if (loc->stored > CHUNK_MAX_STORED || loc->raw > CHUNK_SIZE)
		return pit_errf(err, -EIO, "%s: chunk lengths out of range", where);
	if ((rc = pack_read(rr, loc, 0, loc->stored, where, err)) < 0)
		return rc;
	return chunk_decode(rr->cc, loc->codec, &loc->parts, rr->buf, loc->stored, dst, loc->raw, id, where, err);
}

/* n bytes at off of a CHUNK_PARTS chunk: only the parts holding them are
 * read and checked. */
static int read_parts(struct repo_reader *rr, const struct chunk_loc *loc, uint32_t off, size_t n, void *dst,
		      struct pit_err *err)
{
	char where[PACK_NAME_MAX + 40];
	uint32_t p0 = off / CHUNK_PART, p1 = (uint32_t)((off + n - 1) / CHUNK_PART);
	uint32_t from = p0 ? loc->parts.end[p0 - 1] : 0;
	int rc;

	loc_where(loc, where, sizeof(where));
	if ((rc = chunk_parts_check(&loc->parts, loc->raw, loc->stored, where, err)) < 0)
		return rc;
	if ((rc = pack_read(rr, loc, from, loc->parts.end[p1] - from, where, err)) < 0 ||
	    (rc = chunk_decode_parts(rr->cc, &loc->parts, loc->raw, p0, p1, rr->buf, rr->raw, where, err)) < 0)
		return rc;
	memcpy(dst, rr->raw + (off - (size_t)p0 * CHUNK_PART), n);
	return 0;
}

/* The catalog key under which a damaged chunk's first error is kept. */
static void damage_key(const struct chunk_id *id, struct chunk_id *key)
{
	uint8_t b[8 + sizeof(id->b)];

	memcpy(b, "damaged:", 8);
	memcpy(b + 8, id->b, sizeof(id->b));
	chunk_id_of(key, b, sizeof(b));
}

void repo_damage_note(struct repo *r, const struct chunk_id *id, const char *msg)
{
	struct chunk_id key;

	damage_key(id, &key);
	catalog_blob_put(r->cat, &key, msg, strlen(msg), NULL);	/* best effort: a read-only cache keeps nothing */
}

bool repo_damage(struct repo *r, const struct chunk_id *id, char *msg, size_t cap)
{
	struct chunk_id key;
	void *data = NULL;
	size_t len = 0;

	damage_key(id, &key);
	if (catalog_blob_get(r->cat, &key, &data, &len) < 0)
		return false;
	if (cap) {
		len = len < cap - 1 ? len : cap - 1;
		memcpy(msg, data, len);
		msg[len] = '\0';
	}
	free(data);
	return true;
}

static int find_and_read(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst, bool keep,
			 struct pit_err *err);

/* rc, with chunk id noted as damaged when it is -EIO. */
static int noted(struct repo *r, const struct chunk_id *id, int rc, struct pit_err *err)
{
	if (rc == -EIO)
		repo_damage_note(r, id, pit_err_msg(err, rc));
	return rc;
}

/* A chunk read, kept in the pool (keep) when it verifies, noted as damaged
 * when it does not. */
static int read_chunk(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst, bool keep,
		      struct pit_err *err)
{
	return noted(rr->r, id, find_and_read(rr, id, raw, dst, keep, err), err);
}

int repo_read_chunk(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst, struct pit_err *err)
{
	return read_chunk(rr, id, raw, dst, true, err);
}

int repo_read_chunk_once(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst,
			 struct pit_err *err)
{
	return read_chunk(rr, id, raw, dst, false, err);
}

/* Where chunk id (raw bytes, says the manifest) is stored. */
static int find_loc(struct repo *r, const struct chunk_id *id, uint32_t raw, struct chunk_loc *loc,
		    struct pit_err *err)
{
	char hex[33];
	int rc;

	if ((rc = catalog_chunk_find(r->cat, id, loc, err)) < 0) {
		if (rc != -ENOENT)
			return rc;
		chunk_id_hex(id, hex);
		return pit_errf(err, -EIO, "%s: chunk %s is in no index (missing pack or index segment)", r->path,
				hex);
	}
	if (loc->raw != raw) {
		chunk_id_hex(id, hex);
		return pit_errf(err, -EIO, "%s: chunk %s: index says %u bytes, manifest %u", r->path, hex, loc->raw,
				raw);
	}
	return 0;
}

/* The whole chunk at loc into dst, kept in the pool (keep) when it verifies. */
static int read_whole(struct repo_reader *rr, const struct chunk_id *id, const struct chunk_loc *loc, void *dst,
		      bool keep, struct pit_err *err)
{
	int rc = repo_read_loc(rr, id, loc, dst, err);

	if (rc == 0 && rr->r->pool && keep)
		chunkpool_put(rr->r->pool, id, dst, loc->raw, false);
	return rc;
}

static int find_and_read(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, void *dst, bool keep,
			 struct pit_err *err)
{
	struct chunk_loc loc;
	int rc;

	if (rr->r->pool && chunkpool_get(rr->r->pool, id, raw, dst))
		return 0;	/* verified when it was read */
	if ((rc = find_loc(rr->r, id, raw, &loc, err)) < 0)
		return rc;
	return read_whole(rr, id, &loc, dst, keep, err);
}

void repo_prefetch(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw)
{
	struct chunk_loc loc;
	int fd, slot;

	if (find_loc(rr->r, id, raw, &loc, NULL) < 0 || (fd = pack_fd_get(rr->r, &loc.pack, &slot, NULL)) < 0)
		return;
	posix_fadvise(fd, (off_t)loc.off, loc.stored, POSIX_FADV_WILLNEED);
	pack_fd_put(rr->r, slot, fd);
}

int repo_read_range(struct repo_reader *rr, const struct chunk_id *id, uint32_t raw, uint32_t off, size_t n,
		    void *dst, struct pit_err *err)
{
	struct chunk_loc loc;
	int rc;

	if (n == 0 || off > raw || n > raw - off)
		return pit_errf(err, -EINVAL, "%zu bytes at %u of a chunk of %u", n, off, raw);
	if (rr->r->pool && chunkpool_get_range(rr->r->pool, id, raw, off, n, dst))
		return 0;
	if ((rc = find_loc(rr->r, id, raw, &loc, err)) < 0)
		return noted(rr->r, id, rc, err);
	if (!rr->raw && !(rr->raw = malloc(CHUNK_SIZE)))
		return pit_errf(err, -ENOMEM, "out of memory");
	if (loc.codec == CHUNK_PARTS)
		return noted(rr->r, id, read_parts(rr, &loc, off, n, dst, err), err);
	if ((rc = read_whole(rr, id, &loc, rr->raw, true, err)) == 0)	/* stored before parts */
		memcpy(dst, rr->raw + off, n);
	return noted(rr->r, id, rc, err);
}

int repo_keep_chunks(struct repo *r, size_t max_bytes, struct pit_err *err)
{
	if (r->pool)
		return 0;
	return chunkpool_new(&r->pool, max_bytes) < 0 ? pit_errf(err, -ENOMEM, "out of memory") : 0;
}

struct chunkpool *repo_chunkpool(struct repo *r)
{
	return r->pool;
}

struct resolve {
	const char *prefix;
	struct chunk_id id;
	int matches;
};

static int resolve_one(void *ctx, const struct backup_info *bi)
{
	struct resolve *rs = ctx;
	char hex[33];

	chunk_id_hex(&bi->id, hex);
	if (!strncmp(hex, rs->prefix, strlen(rs->prefix))) {
		rs->id = bi->id;
		rs->matches++;
	}
	return 0;
}

int repo_resolve_backup(struct repo *r, const char *prefix, struct chunk_id *id, struct pit_err *err)
{
	struct resolve rs = { prefix, { { 0 } }, 0 };
	size_t n = strlen(prefix);
	int rc;

	if (n < 4 || n > 32 || strspn(prefix, "0123456789abcdef") != n)
		return pit_errf(err, -EINVAL, "'%s' is not a backup id (4 to 32 lowercase hex digits)", prefix);
	if ((rc = catalog_backups(r->cat, resolve_one, &rs, err)) < 0)
		return rc;
	if (!rs.matches)
		return pit_errf(err, -ENOENT, "%s: no backup %s (see 'pitfs backups')", r->path, prefix);
	if (rs.matches > 1)
		return pit_errf(err, -EINVAL, "%s: backup id %s is ambiguous (%d backups start with it)", r->path,
				prefix, rs.matches);
	*id = rs.id;
	return 0;
}

struct memo *repo_memo(struct repo *r)
{
	return r->memo;
}

static void free_manifest(void *m)
{
	manifest_free(m);
}

int repo_manifest(struct repo *r, const struct chunk_id *id, const struct manifest **out, struct pit_err *err)
{
	struct manifest *m;
	int rc;

	if ((*out = memo_get(r->memo, MEMO_MANIFEST, id)))
		return 0;
	if ((rc = manifest_read(r->b, id, &m, err)) < 0)
		return rc;
	mf_sort(m);
	if (!(*out = memo_put(r->memo, MEMO_MANIFEST, id, m, manifest_bytes(m), free_manifest)))
		return pit_errf(err, -ENOMEM, "out of memory");
	return 0;
}

void repo_manifest_release(struct repo *r, const struct manifest *m)
{
	memo_release(r->memo, m);
}
