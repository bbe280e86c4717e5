/* The kernel keeps what a mount shows of a named instant for a day; an
 * ingest while mounted that adds backups at or before that instant changes
 * it. A thread asks every second (tree_watch_poll) and tells the kernel to
 * forget the attributes and cached bytes of every entry it knows that the
 * new backups change (tree_depends_from), so it never serves old bytes
 * beside new ones. */
#ifndef PIT_FS_WATCH_H
#define PIT_FS_WATCH_H

#include "fs/fs_impl.h"

struct fs_watch;

/* Records the backups there are now; the thread starts. */
int fs_watch_start(struct fs_watch **out, struct fs *fs, struct fuse_session *se, struct pit_err *err);
void fs_watch_stop(struct fs_watch *w);

#endif
