#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "core/util/vec.h"
#include "fs/inodes.h"

#define NBUCKETS 65536u

struct inodes {
	pthread_mutex_t mu;
	struct inode *by_ino[NBUCKETS], *by_path[NBUCKETS];
};

static uint64_t path_hash(const char *path)
{
	return XXH3_64bits(path, strlen(path));
}

uint64_t inodes_number_of(const char *path)
{
	uint64_t h = path_hash(path);

	if (!strcmp(path, "/"))
		return 1;
	return h < 2 ? h + 2 : h;
}

static struct inode *find_ino(struct inodes *t, uint64_t ino)
{
	struct inode *e = t->by_ino[ino % NBUCKETS];
	while (e && e->ino != ino)
		e = e->next_ino;
	return e;
}

int inodes_new(struct inodes **out)
{
	struct tree_node rn = { .kind = T_ROOT };
	size_t packed = tree_node_pack(&rn, NULL, 0);
	struct inodes *t = calloc(1, sizeof(*t));
	struct inode *root = calloc(1, sizeof(*root) + packed);

	if (!t || !root || !(root->path = strdup("/"))) {
		free(t);
		free(root);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->mu, NULL);
	root->ino = 1;	/* FUSE_ROOT_ID */
	root->nlookup = 1;
	tree_node_pack(&rn, root->tn, packed);
	t->by_ino[1] = root;
	t->by_path[path_hash("/") % NBUCKETS] = root;
	*out = t;
	return 0;
}

void inodes_free(struct inodes *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct inode *e = t->by_ino[b], *next; e; e = next) {
			next = e->next_ino;
			free(e->path);
			free(e);
		}
	pthread_mutex_destroy(&t->mu);
	free(t);
}

struct inode *inodes_lookup(struct inodes *t, const char *path, const struct tree_node *tn)
{
	uint64_t h = path_hash(path);
	size_t packed = tree_node_pack(tn, NULL, 0);
	struct inode *e;

	pthread_mutex_lock(&t->mu);
	for (e = t->by_path[h % NBUCKETS]; e && strcmp(e->path, path); e = e->next_path)
		;
	if (!e && (e = calloc(1, sizeof(*e) + packed)) && !(e->path = strdup(path))) {
		free(e);
		e = NULL;
	}
	if (e && !e->ino) {
		/* 0 and 1 are not for paths; another path with the same hash
		 * (never seen in practice) moves this one to the next free number */
		uint64_t ino = inodes_number_of(path);
		while (find_ino(t, ino))
			ino = ino + 1 < 2 ? 2 : ino + 1;
		e->ino = ino;
		tree_node_pack(tn, e->tn, packed);
		e->next_ino = t->by_ino[ino % NBUCKETS];
		t->by_ino[ino % NBUCKETS] = e;
		e->next_path = t->by_path[h % NBUCKETS];
		t->by_path[h % NBUCKETS] = e;
	}
	if (e)
		e->nlookup++;
	pthread_mutex_unlock(&t->mu);
	return e;
}

bool inodes_get(struct inodes *t, uint64_t ino, char **path, struct tree_node *tn)
{
	bool ok = false;

	pthread_mutex_lock(&t->mu);
	struct inode *e = find_ino(t, ino);
	if (e && (*path = strdup(e->path))) {
		tree_node_unpack(e->tn, tn);
		ok = true;
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void inodes_forget(struct inodes *t, uint64_t ino, uint64_t n)
{
	struct inode **pp, *e;

	pthread_mutex_lock(&t->mu);
	e = find_ino(t, ino);
	if (!e || ino == 1 || (e->nlookup -= n < e->nlookup ? n : e->nlookup) > 0) {
		pthread_mutex_unlock(&t->mu);
		return;
	}
	for (pp = &t->by_ino[ino % NBUCKETS]; *pp != e; pp = &(*pp)->next_ino)
		;
	*pp = e->next_ino;
	for (pp = &t->by_path[path_hash(e->path) % NBUCKETS]; *pp != e; pp = &(*pp)->next_path)
		;
	*pp = e->next_path;
	pthread_mutex_unlock(&t->mu);
	free(e->path);
	free(e);
}

ssize_t inodes_select(struct inodes *t, bool (*pred)(const struct tree_node *tn, void *ctx), void *ctx,
		      uint64_t **out)
{
	struct tree_node tn;
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	pthread_mutex_lock(&t->mu);
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct inode *e = t->by_ino[b]; e; e = e->next_ino) {
			tree_node_unpack(e->tn, &tn);
			if (!pred(&tn, ctx))
				continue;
			if (vec_grow((void **)&v, &cap, n + 1, sizeof(*v)) < 0) {
				pthread_mutex_unlock(&t->mu);
				free(v);
				return -ENOMEM;
			}
			v[n++] = e->ino;
		}
	pthread_mutex_unlock(&t->mu);
	*out = v;
	return (ssize_t)n;
}
