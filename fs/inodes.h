/* Inode numbers for the paths of the namespace: the XXH3-64 of the path,
 * so the same path has the same number on every mount, with the kernel's
 * lookup counts deciding when an entry can go. */
#ifndef PIT_FS_INODES_H
#define PIT_FS_INODES_H

#include <stdint.h>
#include <sys/types.h>
#include "core/view/tree.h"

struct inode {
	uint64_t ino;
	uint64_t nlookup;
	char *path;		/* absolute: "/", "/at/...", "/nodes/..." */
	struct inode *next_ino, *next_path;
	unsigned char tn[];	/* its tree_node, packed (tree_node_pack) */
};

struct inodes;

/* The number a path gets (readdir shows it before any lookup). */
uint64_t inodes_number_of(const char *path);
int inodes_new(struct inodes **out);
void inodes_free(struct inodes *t);
/* The entry of path, made with tn where new; its lookup count raised by
 * one. The pointer stays valid until inodes_forget drops it to zero. */
struct inode *inodes_lookup(struct inodes *t, const char *path, const struct tree_node *tn);
/* A copy of what an inode number names (root: 1); false if unknown. */
bool inodes_get(struct inodes *t, uint64_t ino, char **path, struct tree_node *tn);
void inodes_forget(struct inodes *t, uint64_t ino, uint64_t n);
/* The numbers of the entries whose node pred accepts, into *out (free()
 * it): their count, or -ENOMEM. */
ssize_t inodes_select(struct inodes *t, bool (*pred)(const struct tree_node *tn, void *ctx), void *ctx,
		      uint64_t **out);

#endif
