/* What the request handlers of fs/ops.c share with fs/mount.c. */
#ifndef PIT_FS_IMPL_H
#define PIT_FS_IMPL_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include "core/repo/repo.h"
#include "fs/inodes.h"

/* An open file; the list lets an unmount close what the kernel left open
 * (a lazy unmount under readers sends no release). */
struct open_file {
	struct vfile *f;
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
};

extern const struct fuse_lowlevel_ops fs_ops;

/* Widens the kernel's read-ahead for this mount, once (fs/mount.c). */
void fs_widen_readahead(struct fs *fs);

/* Closes the files still open; after the loop has ended. */
void fs_close_open_files(struct fs *fs);

void fs_log(const struct fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
