#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/memo.h"

struct entry {
	uint32_t kind;
	struct chunk_id key;
	void *obj;
	memo_free_fn fn;
	unsigned refs;
	uint64_t used;		/* the clock at its last use */
	size_t bytes;
};

struct memo {
	pthread_mutex_t mu;
	struct entry *v;
	size_t n, cap, max;
	size_t bytes, max_bytes;	/* of the objects kept */
	uint64_t clock;
};

int memo_new(struct memo **out, size_t max_entries, size_t max_bytes)
{
	struct memo *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->mu, NULL);
	m->max = max_entries ? max_entries : 1;
	m->max_bytes = max_bytes;
	*out = m;
	return 0;
}

void memo_free(struct memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		m->v[i].fn(m->v[i].obj);
	free(m->v);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static struct entry *find(struct memo *m, uint32_t kind, const struct chunk_id *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == kind && !memcmp(&m->v[i].key, key, sizeof(*key)))
			return &m->v[i];
	return NULL;
}

void *memo_get(struct memo *m, uint32_t kind, const struct chunk_id *key)
{
	void *obj = NULL;

	pthread_mutex_lock(&m->mu);
	struct entry *e = find(m, kind, key);
	if (e) {
		e->refs++;
		e->used = ++m->clock;
		obj = e->obj;
	}
	pthread_mutex_unlock(&m->mu);
	return obj;
}

/* Makes room for one more entry of bytes: the least recently used unheld
 * ones go until it fits; with every entry held the memo grows past its
 * bounds for a while. */
static bool room(struct memo *m, size_t bytes)
{
	while (m->n >= m->max || m->bytes + bytes > m->max_bytes) {
		size_t victim = m->n;
		for (size_t i = 0; i < m->n; i++)
			if (!m->v[i].refs && (victim == m->n || m->v[i].used < m->v[victim].used))
				victim = i;
		if (victim == m->n)
			break;
		m->v[victim].fn(m->v[victim].obj);
		m->bytes -= m->v[victim].bytes;
		m->v[victim] = m->v[--m->n];
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct entry *nv = realloc(m->v, cap * sizeof(*nv));
		if (!nv)
			return false;
		m->v = nv;
		m->cap = cap;
	}
	return true;
}

void *memo_put(struct memo *m, uint32_t kind, const struct chunk_id *key, void *obj, size_t bytes,
	       memo_free_fn fn)
{
	pthread_mutex_lock(&m->mu);
	struct entry *e = find(m, kind, key);
	if (e) {	/* another thread was first */
		e->refs++;
		e->used = ++m->clock;
		pthread_mutex_unlock(&m->mu);
		fn(obj);
		return e->obj;
	}
	if (!room(m, bytes)) {
		pthread_mutex_unlock(&m->mu);
		fn(obj);
		return NULL;
	}
	m->v[m->n++] = (struct entry){ kind, *key, obj, fn, 1, ++m->clock, bytes };
	m->bytes += bytes;
	pthread_mutex_unlock(&m->mu);
	return obj;
}

void memo_release(struct memo *m, const void *obj)
{
	if (!obj)
		return;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].obj == obj && m->v[i].refs) {
			m->v[i].refs--;
			break;
		}
	pthread_mutex_unlock(&m->mu);
}
