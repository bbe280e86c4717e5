#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "fs/dirs.h"
#include "fs/fs.h"
#include "fs/fs_impl.h"
#include "fs/watch.h"

#define MOUNT_CHUNK_BYTES (128u << 20)

/* libfuse's option parser splits at commas: escape them (and backslashes)
 * in the repository path that names the filesystem. */
static void escape_opt(const char *s, char *out, size_t cap)
{
	size_t k = 0;

	for (; *s && k + 2 < cap; s++) {
		if (*s == ',' || *s == '\\')
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k] = '\0';
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The mount's device ("0:39") from mountinfo: a stat of the mount point
 * would ask this very process, not serving yet. */
static void find_bdi(const char *abs, char dev[32])
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];

	dev[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char id[32], parent[32], d[32], root[4096], point[4096];
		if (sscanf(line, "%31s %31s %31s %4095s %4095s", id, parent, d, root, point) != 5)
			continue;
		unescape(point);
		if (!strcmp(point, abs) && strstr(line, " - fuse.pitfs "))
			snprintf(dev, 32, "%s", d);	/* the last one: ours */
	}
	if (f)
		fclose(f);
}

/* The kernel reads a FUSE file ahead in requests of at most its read-ahead
 * window, 128 KiB unless told otherwise; backed-up files are read in 1 MiB
 * chunks, so a 1 MiB window means fewer, larger requests (about 10 % more
 * cold sequential throughput measured). Only root may set it: others keep
 * the default. The kernel sets the window when the filesystem starts, so
 * this waits for the first open. */
void fs_widen_readahead(struct fs *fs)
{
	char path[96];

	if (!fs->bdi[0] || atomic_exchange(&fs->ra_set, true))
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", fs->bdi);
	FILE *ra = fopen(path, "w");
	if (ra) {
		fputs("1024\n", ra);
		fclose(ra);
	}
}

int fs_mount(const char *repo, const char *mountpoint, const struct fs_opts *o, struct pit_err *err)
{
	struct fs fs = { .uid = getuid(), .gid = getgid(), .foreground = o->foreground,
			 .open_mu = PTHREAD_MUTEX_INITIALIZER };
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	struct fuse_loop_config *cfg = NULL;
	struct fs_watch *watch = NULL;
	char *abs = NULL, *mnt_abs = NULL, opts[8192], esc[4096];
	int rc;

	/* a shared lock for as long as it is mounted: prune waits rather than
	 * take packs away under the readers */
	if ((rc = repo_open(&fs.r, repo, REPO_SHARED_IF_ABLE, err)) < 0)
		return rc;
	/* a mount serves reads for hours: chunks read once stay for the next
	 * readers (random reads of rendered files start by decompressing a
	 * chunk of every SSTable of the view) */
	if ((rc = repo_keep_chunks(fs.r, MOUNT_CHUNK_BYTES, err)) < 0)
		goto out;
	if (inodes_new(&fs.inodes) < 0 || dirs_new(&fs.dirs) < 0) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	abs = realpath(repo, NULL);
	escape_opt(abs ? abs : repo, esc, sizeof(esc));
	/* read-only in the kernel too, permissions checked by the kernel
	 * against the modes we give (0555/0444, the mounting user's) */
	snprintf(opts, sizeof(opts), "ro,default_permissions,fsname=pitfs:%s,subtype=pitfs%s%s", esc,
		 o->fuse_opts && *o->fuse_opts ? "," : "", o->fuse_opts ? o->fuse_opts : "");
	if (fuse_opt_add_arg(&args, "pitfs") < 0 || fuse_opt_add_arg(&args, "-o") < 0 ||
	    fuse_opt_add_arg(&args, opts) < 0 || (o->debug && fuse_opt_add_arg(&args, "-d") < 0)) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (!(se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), &fs))) {
		rc = pit_errf(err, -EINVAL, "cannot set up the filesystem (options: %s)", opts);
		goto out;
	}
	if (fuse_set_signal_handlers(se) < 0) {
		rc = pit_errf(err, -EIO, "cannot install signal handlers");
		goto out;
	}
	mnt_abs = realpath(mountpoint, NULL);
	if (fuse_session_mount(se, mountpoint) < 0) {
		fuse_remove_signal_handlers(se);
		rc = pit_errf(err, -EIO, "%s: cannot mount (is /dev/fuse there, fusermount3 installed, the "
			      "directory empty?)", mountpoint);
		goto out;
	}
	if (mnt_abs)
		find_bdi(mnt_abs, fs.bdi);
	if (!o->foreground)
		openlog("pitfs", LOG_PID, LOG_DAEMON);
	fuse_daemonize(o->foreground);
	/* after daemonizing: a thread does not live through the fork */
	if ((rc = fs_watch_start(&watch, &fs, se, err)) < 0) {
		fs_log(&fs, "%s", pit_err_msg(err, rc));
	} else if (!(cfg = fuse_loop_cfg_create())) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
	} else {
		fuse_loop_cfg_set_clone_fd(cfg, 0);
		fuse_loop_cfg_set_max_threads(cfg, 16);
		if (fuse_session_loop_mt(se, cfg) < 0)
			rc = pit_errf(err, -EIO, "%s: the filesystem loop failed", mountpoint);
		fuse_loop_cfg_destroy(cfg);
	}
	fs_watch_stop(watch);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	if (!o->foreground)
		closelog();
out:
	if (se)
		fuse_session_destroy(se);
	fs_close_open_files(&fs);
	fuse_opt_free_args(&args);
	free(abs);
	free(mnt_abs);
	dirs_free(fs.dirs);
	inodes_free(fs.inodes);
	repo_close(fs.r);
	return rc;
}
