#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/chunkpool.h"

#define BUCKETS 4096u
/* Evicted entries kept for the next chunks: a 1 MiB buffer malloc'd and
 * freed per chunk costs page faults and zeroing on every one. */
#define SPARES 8

struct pentry {
	struct chunk_id id;
	uint8_t *data;
	uint32_t len, cap;
	struct pentry *next;		/* in its bucket, or among the spares */
	struct pentry *older, *newer;	/* the LRU list */
};

struct chunkpool {
	pthread_mutex_t mu;
	struct pentry *bucket[BUCKETS];
	struct pentry *oldest, *newest;
	struct pentry *spare;
	int nspare;
	size_t bytes, max;
	uint64_t hits, misses;
};

int chunkpool_new(struct chunkpool **out, size_t max_bytes)
{
	struct chunkpool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	p->max = max_bytes;
	*out = p;
	return 0;
}

void chunkpool_free(struct chunkpool *p)
{
	if (!p)
		return;
	for (struct pentry *e = p->oldest, *n; e; e = n) {
		n = e->newer;
		free(e->data);
		free(e);
	}
	for (struct pentry *e = p->spare, *n; e; e = n) {
		n = e->next;
		free(e->data);
		free(e);
	}
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static size_t bucket_of(const struct chunk_id *id)
{
	uint32_t h;
	memcpy(&h, id->b, sizeof(h));	/* the id is a hash already */
	return h % BUCKETS;
}

static struct pentry *find(struct chunkpool *p, const struct chunk_id *id)
{
	struct pentry *e = p->bucket[bucket_of(id)];
	while (e && memcmp(e->id.b, id->b, sizeof(id->b)))
		e = e->next;
	return e;
}

static void unlink_lru(struct chunkpool *p, struct pentry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		p->newest = e->older;
	e->older = e->newer = NULL;
}

static void push_newest(struct chunkpool *p, struct pentry *e)
{
	e->older = p->newest;
	e->newer = NULL;
	if (p->newest)
		p->newest->newer = e;
	else
		p->oldest = e;
	p->newest = e;
}

bool chunkpool_get(struct chunkpool *p, const struct chunk_id *id, uint32_t raw, void *dst)
{
	return chunkpool_get_range(p, id, raw, 0, raw, dst);
}

bool chunkpool_get_range(struct chunkpool *p, const struct chunk_id *id, uint32_t raw, uint32_t off, size_t n,
			 void *dst)
{
	bool hit = false;

	if ((uint64_t)off + n > raw)
		return false;
	pthread_mutex_lock(&p->mu);
	struct pentry *e = find(p, id);
	if (e && e->len == raw) {
		memcpy(dst, e->data + off, n);
		unlink_lru(p, e);
		push_newest(p, e);
		hit = true;
		p->hits++;
	} else {
		p->misses++;
	}
	pthread_mutex_unlock(&p->mu);
	return hit;
}

static void evict(struct chunkpool *p, struct pentry *e)
{
	struct pentry **pp = &p->bucket[bucket_of(&e->id)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	unlink_lru(p, e);
	p->bytes -= e->cap;
	if (p->nspare < SPARES) {
		e->next = p->spare;
		p->spare = e;
		p->nspare++;
		return;
	}
	free(e->data);
	free(e);
}

/* A spare whose buffer holds from lo to hi bytes, taken from the spares;
 * NULL if none does. */
static struct pentry *take_spare(struct chunkpool *p, uint32_t lo, uint64_t hi)
{
	struct pentry *e = NULL;

	pthread_mutex_lock(&p->mu);
	for (struct pentry **pp = &p->spare; *pp; pp = &(*pp)->next)
		if ((*pp)->cap >= lo && (*pp)->cap <= hi) {
			e = *pp;
			*pp = e->next;
			p->nspare--;
			break;
		}
	pthread_mutex_unlock(&p->mu);
	return e;
}

/* An entry whose buffer holds raw bytes: a spare, else a new one. */
static struct pentry *entry_for(struct chunkpool *p, uint32_t raw)
{
	struct pentry *e = take_spare(p, raw, 2 * (uint64_t)raw + 1);	/* not a big buffer for a small chunk */

	if (e)
		return e;
	if (!(e = calloc(1, sizeof(*e))) || !(e->data = malloc(raw ? raw : 1))) {
		free(e);
		return NULL;
	}
	e->cap = raw;
	return e;
}

static void push_oldest(struct chunkpool *p, struct pentry *e)
{
	e->newer = p->oldest;
	e->older = NULL;
	if (p->oldest)
		p->oldest->older = e;
	else
		p->newest = e;
	p->oldest = e;
}

/* Puts e (its id, data, len and cap set) in the pool; false, and nothing
 * done, when the chunk is there already. */
static bool insert(struct chunkpool *p, struct pentry *e, bool cold)
{
	pthread_mutex_lock(&p->mu);
	if (find(p, &e->id)) {	/* another reader was first */
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	while (p->oldest && p->bytes + e->cap > p->max)
		evict(p, p->oldest);
	size_t b = bucket_of(&e->id);
	e->next = p->bucket[b];
	p->bucket[b] = e;
	if (cold)
		push_oldest(p, e);
	else
		push_newest(p, e);
	p->bytes += e->cap;
	pthread_mutex_unlock(&p->mu);
	return true;
}

void chunkpool_put(struct chunkpool *p, const struct chunk_id *id, const void *data, uint32_t raw, bool cold)
{
	struct pentry *e;

	if (raw > p->max || !(e = entry_for(p, raw)))
		return;	/* a cache: nothing lost when it cannot keep something */
	memcpy(e->data, data, raw);	/* outside the lock */
	e->id = *id;
	e->len = raw;
	e->next = e->older = e->newer = NULL;
	if (!insert(p, e, cold)) {
		free(e->data);
		free(e);
	}
}

void chunkpool_adopt(struct chunkpool *p, const struct chunk_id *id, uint8_t **data, uint32_t cap, uint32_t raw,
		     bool cold)
{
	struct pentry *e;

	if (raw < cap / 2 || cap > p->max) {
		chunkpool_put(p, id, *data, raw, cold);	/* a small chunk in a big buffer: copied */
		return;
	}
	if (!(e = calloc(1, sizeof(*e))))
		return;
	*e = (struct pentry){ .id = *id, .data = *data, .len = raw, .cap = cap };
	if (!insert(p, e, cold)) {
		free(e);
		return;
	}
	*data = NULL;
	if ((e = take_spare(p, cap, UINT64_MAX))) {	/* a buffer evicted to make room */
		*data = e->data;
		free(e);
	}
}

void chunkpool_stats(struct chunkpool *p, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&p->mu);
	*hits = p->hits;
	*misses = p->misses;
	pthread_mutex_unlock(&p->mu);
}
