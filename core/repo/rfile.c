#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/rfile.h"

struct centry {
	struct chunk_id id;	/* all zero: empty */
	uint8_t *data;
	uint32_t len;
	uint64_t used;		/* LRU clock */
	int pins;		/* threads copying out of it or filling it */
	bool loading;		/* being filled: data not valid yet */
};

/* Chunks are read and decompressed outside the lock, so that threads
 * sharing a cache (a view rendered by several) wait for each other only
 * when they need the very same chunk. */
struct chunk_cache {
	struct repo *r;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a load ended, a pin went */
	struct centry *e;
	size_t n, cap;		/* cap entries of up to CHUNK_SIZE */
	uint64_t clock, hits, misses;
};

int chunk_cache_new(struct chunk_cache **out, struct repo *r, size_t max_bytes, struct pit_err *err)
{
	struct chunk_cache *cc = calloc(1, sizeof(*cc));

	*out = NULL;
	if (!cc)
		return pit_errf(err, -ENOMEM, "out of memory");
	cc->r = r;
	cc->cap = max_bytes / CHUNK_SIZE < 2 ? 2 : max_bytes / CHUNK_SIZE;
	pthread_mutex_init(&cc->mu, NULL);
	pthread_cond_init(&cc->cv, NULL);
	if (!(cc->e = calloc(cc->cap, sizeof(*cc->e)))) {
		chunk_cache_free(cc);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	*out = cc;
	return 0;
}

void chunk_cache_free(struct chunk_cache *cc)
{
	if (!cc)
		return;
	for (size_t i = 0; i < cc->n; i++)
		free(cc->e[i].data);
	free(cc->e);
	pthread_cond_destroy(&cc->cv);
	pthread_mutex_destroy(&cc->mu);
	free(cc);
}

void chunk_cache_stats(const struct chunk_cache *cc, uint64_t *hits, uint64_t *misses)
{
	*hits = cc->hits;
	*misses = cc->misses;
}

static struct centry *find(struct chunk_cache *cc, const struct chunk_id *id)
{
	for (size_t i = 0; i < cc->n; i++)
		if (chunk_id_eq(&cc->e[i].id, id))
			return &cc->e[i];
	return NULL;
}

/* An entry to fill: a new one, or the least recently used that no thread
 * holds; NULL when every one is held. */
static struct centry *victim(struct chunk_cache *cc)
{
	struct centry *v = NULL;

	if (cc->n < cc->cap) {
		v = &cc->e[cc->n++];
		memset(v, 0, sizeof(*v));
		return v;
	}
	for (size_t i = 0; i < cc->n; i++)
		if (!cc->e[i].pins && !cc->e[i].loading && (!v || cc->e[i].used < v->used))
			v = &cc->e[i];
	return v;
}

/* Copies n bytes at off of chunk (id, raw) into dst. */
static int cache_read(struct chunk_cache *cc, const struct mf_chunk *ch, uint32_t off, void *dst, size_t n,
		      struct pit_err *err)
{
	struct centry *e;
	struct repo_reader *rr = NULL;
	int rc = 0;

	pthread_mutex_lock(&cc->mu);
	for (;;) {
		if ((e = find(cc, &ch->id))) {
			if (e->loading) {
				pthread_cond_wait(&cc->cv, &cc->mu);
				continue;
			}
			cc->hits++;
			e->used = ++cc->clock;
			e->pins++;
			pthread_mutex_unlock(&cc->mu);
			memcpy(dst, e->data + off, n);
			pthread_mutex_lock(&cc->mu);
			e->pins--;
			pthread_cond_broadcast(&cc->cv);
			pthread_mutex_unlock(&cc->mu);
			return 0;
		}
		if ((e = victim(cc)))
			break;
		pthread_cond_wait(&cc->cv, &cc->mu);
	}
	cc->misses++;
	e->id = ch->id;
	e->loading = true;
	pthread_mutex_unlock(&cc->mu);

	if (!e->data && !(e->data = malloc(CHUNK_SIZE)))
		rc = pit_errf(err, -ENOMEM, "out of memory");
	else
		rc = repo_reader_take(cc->r, &rr, err);
	if (rc == 0 && (rc = repo_read_chunk(rr, &ch->id, ch->raw, e->data, err)) == 0)
		memcpy(dst, e->data + off, n);
	repo_reader_give(rr);

	pthread_mutex_lock(&cc->mu);
	if (rc < 0) {
		memset(&e->id, 0, sizeof(e->id));	/* never a half-filled entry */
		e->len = 0;
	} else {
		e->len = ch->raw;
	}
	e->loading = false;
	e->used = ++cc->clock;
	pthread_cond_broadcast(&cc->cv);
	pthread_mutex_unlock(&cc->mu);
	return rc;
}

struct rfile {
	struct chunk_cache *cc;
	const struct mf_file *f;
	uint64_t *start;	/* offset of each chunk in the file */
	char *name;
};

static ssize_t rfile_pread(void *ctx, void *buf, size_t n, uint64_t off, struct pit_err *err)
{
	struct rfile *rf = ctx;
	const struct mf_file *f = rf->f;
	uint8_t *p = buf;
	size_t done = 0;
	uint32_t lo = 0, hi = f->nchunks;

	while (lo + 1 < hi) {	/* the last chunk starting at or before off */
		uint32_t mid = (lo + hi) / 2;
		if (rf->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	for (uint32_t k = lo; k < f->nchunks && done < n; k++) {
		uint64_t at = off + done;
		if (at < rf->start[k] || at >= rf->start[k] + f->chunks[k].raw)
			continue;
		uint32_t in = (uint32_t)(at - rf->start[k]);
		size_t take = f->chunks[k].raw - in < n - done ? f->chunks[k].raw - in : n - done;
		int rc = cache_read(rf->cc, &f->chunks[k], in, p + done, take, err);
		if (rc < 0)
			return pit_err_prefix(err, rc, "%s", rf->name);
		done += take;
	}
	return (ssize_t)done;
}

static void rfile_close(void *ctx)
{
	struct rfile *rf = ctx;

	free(rf->start);
	free(rf->name);
	free(rf);
}

static const struct bsrc_ops rfile_ops = { rfile_pread, rfile_close };

int rfile_open(struct bsrc **out, struct chunk_cache *cc, const struct mf_file *f, const char *name,
	       struct pit_err *err)
{
	struct rfile *rf = calloc(1, sizeof(*rf));
	uint64_t at = 0;

	*out = NULL;
	if (!rf || !(rf->start = calloc(f->nchunks + 1, sizeof(*rf->start))) || !(rf->name = strdup(name))) {
		if (rf)
			free(rf->start);
		free(rf);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	rf->cc = cc;
	rf->f = f;
	for (uint32_t k = 0; k < f->nchunks; k++) {
		rf->start[k] = at;
		at += f->chunks[k].raw;
	}
	if (at != f->size) {
		rfile_close(rf);
		return pit_errf(err, -EIO, "%s: chunks add up to %llu bytes, manifest says %llu", name,
				(unsigned long long)at, (unsigned long long)f->size);
	}
	if (bsrc_new(out, &rfile_ops, rf, f->size, name) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	return 0;
}
