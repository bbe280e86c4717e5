/* What the request handlers of fs/ops.c share with fs/mount.c. */
#ifndef PIT_FS_IMPL_H
#define PIT_FS_IMPL_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "core/repo/repo.h"
#include "fs/inodes.h"

/* An open file; the list lets an unmount close what the kernel left open
 * (a lazy unmount under readers sends no release). When an ingest changes
 * what it shows (fs/watch.c), it is marked stale and opened again before
 * its next read, so that its reads do not put old bytes back in the
 * kernel's cache after the kernel was told to forget them. */
struct open_file {
	struct vfile *f;
	pthread_rwlock_t lock;	/* f: shared while read, alone while opened again */
	atomic_bool stale;
	char *path;
	struct tree_node tn;
	struct open_file *prev, *next;
};

struct fs {
	struct repo *r;
	struct inodes *inodes;
	pthread_mutex_t open_mu;
	struct open_file *open;
	uid_t uid;
	gid_t gid;
	bool foreground;	/* log to stderr, else to syslog */
	char bdi[32];		/* the mount's device, "major:minor" */
	atomic_bool ra_set;
	struct dirs *dirs;	/* listings being read (fs/dirs.c) */
};

extern const struct fuse_lowlevel_ops fs_ops;

/* How long the kernel may keep a node's entry and attributes: a day where
 * it never changes, a second where an ingest changes it (tree_changes). */
double fs_ttl_of(const struct tree_node *tn);
/* The attributes of a node; -errno (logged unless ENOENT) on failure. */
int fs_attr_of(struct fs *fs, uint64_t ino, const char *path, const struct tree_node *tn, struct stat *st);

/* Widens the kernel's read-ahead for this mount, once (fs/mount.c). */
void fs_widen_readahead(struct fs *fs);

/* Marks stale the open files whose node pred accepts (fs/watch.c). */
void fs_stale_open_files(struct fs *fs, bool (*pred)(const struct tree_node *tn, void *ctx), void *ctx);

/* Closes the files still open; after the loop has ended. */
void fs_close_open_files(struct fs *fs);

void fs_log(const struct fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
