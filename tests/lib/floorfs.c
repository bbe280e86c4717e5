#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/lib/floorfs.h"
#include "tests/lib/testlib.h"

#define TTL 86400.0
#define FILE_INO 2

static struct {
	const char *name;
	char *bytes;
	size_t size;
} the;

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)the.size;
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .ino = FILE_INO, .attr_timeout = TTL, .entry_timeout = TTL };

	if (parent != FUSE_ROOT_ID || strcmp(name, the.name) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_stat(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, TTL);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t n, off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	if ((uint64_t)off >= the.size)
		n = 0;
	else if (n > the.size - (size_t)off)
		n = the.size - (size_t)off;
	fuse_reply_buf(req, the.bytes + (n ? off : 0), n);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;	/* as pitfs's fs/ops.c */
}

static const struct fuse_lowlevel_ops floor_ops = {
	.init = op_init, .lookup = op_lookup, .getattr = op_getattr, .open = op_open, .read = op_read,
};

int floorfs_serve(const char *file, const char *mountpoint)
{
	char *argv[] = { "floorfs", "-o", "ro,default_permissions,fsname=floorfs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_loop_config *cfg = NULL;
	struct fuse_session *se;
	int rc = -1;

	the.name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	if (!(the.bytes = tl_read_file(file, &the.size))) {
		fprintf(stderr, "floorfs: cannot read %s\n", file);
		return -1;
	}
	if (!(se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL))) {
		fprintf(stderr, "floorfs: cannot set up the session\n");
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "floorfs: cannot install signal handlers\n");
		goto destroy;
	}
	if (fuse_session_mount(se, mountpoint) != 0) {
		fprintf(stderr, "floorfs: cannot mount %s\n", mountpoint);
	} else {
		if ((cfg = fuse_loop_cfg_create())) {
			/* as the pitfs mount runs its loop */
			fuse_loop_cfg_set_clone_fd(cfg, 0);
			fuse_loop_cfg_set_max_threads(cfg, 16);
			rc = fuse_session_loop_mt(se, cfg) < 0 ? -1 : 0;
			fuse_loop_cfg_destroy(cfg);
		}
		fuse_session_unmount(se);
	}
	fuse_remove_signal_handlers(se);
destroy:
	fuse_session_destroy(se);
out:
	free(the.bytes);
	return rc;
}
