/* The FUSE mount: the namespace of core/view/tree.h as a read-only
 * filesystem. Every name, attribute and byte comes from core/view; fs/
 * only translates inode numbers and requests. */
#ifndef PIT_FS_H
#define PIT_FS_H

#include <stdbool.h>
#include "core/err.h"

struct fs_opts {
	bool foreground;	/* else daemonise and log to syslog */
	bool debug;		/* libfuse's request log */
	const char *fuse_opts;	/* -o for the kernel and libfuse (allow_other, ...), or NULL */
};

/* Mounts repo at mountpoint and serves it until unmounted (fusermount3 -u,
 * umount) or told to stop (SIGINT, SIGTERM, SIGHUP). */
int fs_mount(const char *repo, const char *mountpoint, const struct fs_opts *o, struct pit_err *err);

#endif
