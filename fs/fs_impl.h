/* What the request handlers of fs/ops.c share with fs/mount.c. */
#ifndef PIT_FS_IMPL_H
#define PIT_FS_IMPL_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <sys/types.h>
#include "core/repo/repo.h"
#include "fs/inodes.h"

struct fs {
	struct repo *r;
	struct inodes *inodes;
	uid_t uid;
	gid_t gid;
	bool foreground;	/* log to stderr, else to syslog */
};

extern const struct fuse_lowlevel_ops fs_ops;

void fs_log(const struct fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
