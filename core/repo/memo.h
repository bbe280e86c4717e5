/* Derived facts kept in memory while a repository is open, shared by every
 * thread using it: immutable objects (a parsed manifest, the tables a view
 * shows) under a kind and a 16-byte key that says everything they depend
 * on, so they never go stale, only out (least recently used first, never
 * while someone holds them). Bounded in entries and in bytes: a manifest of
 * a backup of 1,000 tables takes 4 MB, of 10,000 tables 40. */
#ifndef PIT_REPO_MEMO_H
#define PIT_REPO_MEMO_H

#include <stddef.h>
#include <stdint.h>
#include "core/repo/chunk.h"

struct memo;

typedef void (*memo_free_fn)(void *obj);

int memo_new(struct memo **out, size_t max_entries, size_t max_bytes);
/* Frees every object; none may be held any more. */
void memo_free(struct memo *m);
/* The object kept under (kind, key), held for the caller, or NULL. */
void *memo_get(struct memo *m, uint32_t kind, const struct chunk_id *key);
/* Keeps obj, about bytes large (freed by fn when it goes), and returns it
 * held; when another thread kept one under the same key first, frees obj
 * and returns that one. NULL (obj freed) only when out of memory. */
void *memo_put(struct memo *m, uint32_t kind, const struct chunk_id *key, void *obj, size_t bytes,
	       memo_free_fn fn);
/* Lets go of an object memo_get or memo_put gave. */
void memo_release(struct memo *m, const void *obj);

#endif
