/* Growing a heap array: the one realloc-doubling rule. */
#ifndef PIT_VEC_H
#define PIT_VEC_H

#include <errno.h>
#include <stdlib.h>

/* Makes *v hold at least need elements of size bytes; *cap is its capacity.
 * 0, or -ENOMEM with *v untouched. */
static inline int vec_grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

#endif
