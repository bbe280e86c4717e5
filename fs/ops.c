#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include "core/view/vfile.h"
#include "fs/dirs.h"
#include "fs/fs_impl.h"

/* What never changes stays in the kernel's caches; what an ingest changes
 * (tree_changes) is asked again after a second. */
#define LONG_TTL 86400.0
#define SHORT_TTL 1.0

void fs_log(const struct fs *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (fs->foreground) {
		fputs("pitfs: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(LOG_ERR, fmt, ap);
	}
	va_end(ap);
}

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

double fs_ttl_of(const struct tree_node *tn)
{
	return tree_changes(tn) ? SHORT_TTL : LONG_TTL;
}

int fs_attr_of(struct fs *fs, uint64_t ino, const char *path, const struct tree_node *tn, struct stat *st)
{
	struct tree_stat ts;
	struct pit_err err = { 0 };
	int rc = tree_stat(fs->r, tn, &ts, &err);

	if (rc < 0) {
		if (rc != -ENOENT)
			fs_log(fs, "%s: %s", path, pit_err_msg(&err, rc));
		return rc == -ENOENT || rc == -ENOMEM ? rc : -EIO;
	}
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = (ts.is_dir ? S_IFDIR : ts.is_link ? S_IFLNK : S_IFREG) | ts.perm;
	st->st_nlink = ts.is_dir ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = (off_t)ts.size;
	st->st_blksize = 128 * 1024;
	st->st_blocks = (blkcnt_t)((ts.size + 511) / 512);
	st->st_mtim.tv_sec = ts.mtime_us >= 0 ? ts.mtime_us / 1000000 : -((-ts.mtime_us + 999999) / 1000000);
	st->st_mtim.tv_nsec = (long)(ts.mtime_us - (int64_t)st->st_mtim.tv_sec * 1000000) * 1000;
	st->st_atim = st->st_ctim = st->st_mtim;
	return 0;
}

static void reply_err(fuse_req_t req, int rc)
{
	fuse_reply_err(req, rc < 0 ? -rc : EIO);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct tree_node ptn, tn;
	struct pit_err err = { 0 };
	struct fuse_entry_param e;
	char *ppath, path[4096];
	int rc;

	if (!inodes_get(fs->inodes, parent, &ppath, &ptn)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	bool fits = tree_child_path(path, sizeof(path), ppath, name);
	free(ppath);
	if (!fits) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if ((rc = tree_resolve(fs->r, path, &tn, &err)) < 0) {
		memset(&e, 0, sizeof(e));	/* not there: asked again next time */
		if (rc == -ENOENT)
			fuse_reply_entry(req, &e);
		else
			reply_err(req, rc);
		return;
	}
	memset(&e, 0, sizeof(e));
	struct inode *in = inodes_lookup(fs->inodes, path, &tn);
	if (!in) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((rc = fs_attr_of(fs, in->ino, path, &tn, &e.attr)) < 0) {
		inodes_forget(fs->inodes, in->ino, 1);
		reply_err(req, rc);
		return;
	}
	e.ino = in->ino;
	e.attr_timeout = e.entry_timeout = fs_ttl_of(&tn);
	fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inodes_forget(fs_of(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		inodes_forget(fs_of(req)->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct tree_node tn;
	struct stat st;
	char *path;
	int rc;

	(void)fi;
	if (!inodes_get(fs->inodes, ino, &path, &tn)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	rc = fs_attr_of(fs, ino, path, &tn, &st);
	free(path);
	if (rc < 0)
		reply_err(req, rc);
	else
		fuse_reply_attr(req, &st, fs_ttl_of(&tn));
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_of(req);
	struct tree_node tn;
	struct tree_stat ts;
	struct pit_err err = { 0 };
	char *path;

	if (!inodes_get(fs->inodes, ino, &path, &tn)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	free(path);
	if (tree_stat(fs->r, &tn, &ts, &err) < 0 || !ts.is_link)
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, ts.link);
}

/* No extended attributes: an empty list, so that tar --xattrs copies none
 * without a warning for every file ("not supported"; rsync -X and cp
 * --preserve=xattr say nothing of it). getxattr stays unimplemented: the
 * kernel then answers "not supported" by itself, where an answer from here
 * would cost ls -l a request for every file (it asks for ACLs). */
static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

/* ---- directories (fs/dirs.c) ---- */

/* No open before a directory is read: the kernel takes ENOSYS for yes and
 * sends no opendir or releasedir again, two requests fewer a directory. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	fuse_reply_err(req, ENOSYS);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	dirs_reply(fs_of(req), req, ino, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	dirs_reply(fs_of(req), req, ino, size, off, true);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* entries with attributes on every readdir, not when the kernel guesses */
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/* With it the kernel checks a file's attributes on every read, to drop
	 * cached pages when the mtime moves. A file here changes only with a
	 * backup, and fs/watch.c then tells the kernel which to forget; the
	 * check cost about 5 % of a 4 KiB read from the page cache. */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
}

/* ---- files ---- */

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct tree_node tn;
	struct pit_err err = { 0 };
	struct vfile *f;
	char *path;
	int rc;

	fs_widen_readahead(fs);

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (!inodes_get(fs->inodes, ino, &path, &tn)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	rc = vfile_open(&f, fs->r, &tn, path, &err);
	if (rc < 0) {
		fs_log(fs, "open %s: %s", path, pit_err_msg(&err, rc));
		free(path);
		reply_err(req, rc == -ENOENT || rc == -EISDIR || rc == -ENOMEM ? rc : -EIO);
		return;
	}
	struct open_file *of = calloc(1, sizeof(*of));
	if (!of) {
		vfile_close(f);
		free(path);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	of->f = f;
	of->path = path;
	of->tn = tn;
	pthread_rwlock_init(&of->lock, NULL);
	pthread_mutex_lock(&fs->open_mu);
	of->next = fs->open;
	if (fs->open)
		fs->open->prev = of;
	fs->open = of;
	pthread_mutex_unlock(&fs->open_mu);
	fi->fh = (uint64_t)(uintptr_t)of;
	fi->keep_cache = fs_ttl_of(&tn) == LONG_TTL;	/* its bytes never change */
	fuse_reply_open(req, fi);
}

/* A stale open file opened again on what the repository holds now. */
static int reopen(struct fs *fs, struct open_file *of, struct pit_err *err)
{
	struct vfile *f;
	int rc = 0;

	pthread_rwlock_wrlock(&of->lock);
	if (atomic_load(&of->stale)) {
		if ((rc = vfile_open(&f, fs->r, &of->tn, of->path, err)) == 0) {
			vfile_close(of->f);
			of->f = f;
			atomic_store(&of->stale, false);
		}
	}
	pthread_rwlock_unlock(&of->lock);
	return rc;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	struct pit_err err = { 0 };
	char *buf = malloc(size ? size : 1);
	ssize_t got;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (atomic_load(&of->stale) && (got = reopen(fs, of, &err)) < 0) {
		fs_log(fs, "open %s again after an ingest: %s", of->path, pit_err_msg(&err, (int)got));
		fuse_reply_err(req, got == -ENOMEM ? ENOMEM : got == -ENOENT ? ENOENT : EIO);
		free(buf);
		return;
	}
	pthread_rwlock_rdlock(&of->lock);
	got = vfile_pread(of->f, buf, size, (uint64_t)off, &err);
	/* before the reply: once replied, the kernel may release the file */
	pthread_rwlock_unlock(&of->lock);
	if (got < 0) {
		fs_log(fs, "read at %lld: %s", (long long)off, pit_err_msg(&err, (int)got));
		fuse_reply_err(req, got == -ENOMEM ? ENOMEM : EIO);
	} else {
		fuse_reply_buf(req, buf, (size_t)got);
	}
	free(buf);
}

void fs_stale_open_files(struct fs *fs, bool (*pred)(const struct tree_node *tn, void *ctx), void *ctx)
{
	pthread_mutex_lock(&fs->open_mu);
	for (struct open_file *of = fs->open; of; of = of->next)
		if (pred(&of->tn, ctx))
			atomic_store(&of->stale, true);
	pthread_mutex_unlock(&fs->open_mu);
}

static void free_open(struct open_file *of)
{
	vfile_close(of->f);
	pthread_rwlock_destroy(&of->lock);
	free(of->path);
	free(of);
}

static void forget_open(struct fs *fs, struct open_file *of)
{
	if (of->prev)
		of->prev->next = of->next;
	else
		fs->open = of->next;
	if (of->next)
		of->next->prev = of->prev;
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;

	(void)ino;
	pthread_mutex_lock(&fs->open_mu);
	forget_open(fs, of);
	pthread_mutex_unlock(&fs->open_mu);
	free_open(of);
	fuse_reply_err(req, 0);
}

void fs_close_open_files(struct fs *fs)
{
	pthread_mutex_lock(&fs->open_mu);
	while (fs->open) {
		struct open_file *of = fs->open;
		forget_open(fs, of);
		free_open(of);
	}
	pthread_mutex_unlock(&fs->open_mu);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_of(req);
	struct statvfs sv = { 0 };
	uint64_t bytes = 0, files = 0;

	(void)ino;
	tree_usage(fs->r, &bytes, &files, NULL);	/* nothing known: an empty filesystem */
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = (bytes + 4095) / 4096;
	sv.f_files = files;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

/* ---- everything that would change something ---- */

static void rofs(fuse_req_t req)
{
	fuse_reply_err(req, EROFS);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *a, int set, struct fuse_file_info *fi)
{
	(void)ino, (void)a, (void)set, (void)fi;
	rofs(req);
}

static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{
	(void)p, (void)n, (void)m, (void)d;
	rofs(req);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
	(void)p, (void)n, (void)m;
	rofs(req);
}

static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p, (void)n;
	rofs(req);
}

static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	(void)l, (void)p, (void)n;
	rofs(req);
}

static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn, unsigned fl)
{
	(void)p, (void)n, (void)np, (void)nn, (void)fl;
	rofs(req);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
	(void)ino, (void)np, (void)nn;
	rofs(req);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *b, size_t s, off_t o, struct fuse_file_info *fi)
{
	(void)ino, (void)b, (void)s, (void)o, (void)fi;
	rofs(req);
}

static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *fi)
{
	(void)p, (void)n, (void)m, (void)fi;
	rofs(req);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *n, const char *v, size_t s, int fl)
{
	(void)ino, (void)n, (void)v, (void)s, (void)fl;
	rofs(req);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *n)
{
	(void)ino, (void)n;
	rofs(req);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int m, off_t o, off_t l, struct fuse_file_info *fi)
{
	(void)ino, (void)m, (void)o, (void)l, (void)fi;
	rofs(req);
}

const struct fuse_lowlevel_ops fs_ops = {
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.listxattr = op_listxattr,
	.opendir = op_opendir,
	.init = op_init,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.statfs = op_statfs,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_unlink,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.write = op_write,
	.create = op_create,
	.setxattr = op_setxattr,
	.removexattr = op_removexattr,
	.fallocate = op_fallocate,
};
