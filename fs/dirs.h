/* Directory listings for readdir. The kernel reads a directory in requests
 * of a page of entries each, with no open before them (fs/ops.c answers
 * opendir with ENOSYS), and keeps what it read in its cache. A listing is
 * made when a request starts at offset 0 and kept for the requests that
 * follow: made again for each page, a directory of n entries would cost
 * n^2 / 20 entries made. */
#ifndef PIT_FS_DIRS_H
#define PIT_FS_DIRS_H

#include "fs/fs_impl.h"

struct dirs;

int dirs_new(struct dirs **out);
void dirs_free(struct dirs *c);
/* Replies to a readdir of ino from offset off; plus: with the attributes
 * of its subdirectories and links. */
void dirs_reply(struct fs *fs, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus);

#endif
