#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/repo/backend_local.h"
#include "core/util/fdio.h"

struct backend {
	int dirfd;
	char *root;
};

static const char *const subdirs[] = { "packs", "index", "backups", "locks", "tmp", "cache" };

int backend_create(const char *root, struct pit_err *err)
{
	DIR *d;

	if (mkdir(root, 0755) < 0) {
		if (errno != EEXIST)
			return pit_errf(err, -errno, "%s: cannot create: %s", root, strerror(errno));
		if (!(d = opendir(root)))
			return pit_errf(err, -errno, "%s: %s", root, strerror(errno));
		struct dirent *de;
		int used = 0;
		while ((de = readdir(d)))
			used |= strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
		closedir(d);
		if (used)
			return pit_errf(err, -EEXIST, "%s: exists and is not empty", root);
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", root, subdirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return pit_errf(err, -errno, "%s: cannot create: %s", p, strerror(errno));
	}
	return 0;
}

int backend_open(struct backend **out, const char *root, struct pit_err *err)
{
	struct backend *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b || !(b->root = strdup(root))) {
		free(b);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	if ((b->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int rc = pit_errf(err, -errno, "%s: cannot open repository: %s", root, strerror(errno));
		free(b->root);
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void backend_close(struct backend *b)
{
	if (!b)
		return;
	close(b->dirfd);
	free(b->root);
	free(b);
}

const char *backend_root(const struct backend *b) { return b->root; }
int backend_dirfd(const struct backend *b) { return b->dirfd; }

static int sys_err(struct backend *b, struct pit_err *err, const char *what, const char *name)
{
	int e = errno;
	return pit_errf(err, -e, "%s/%s: %s: %s", b->root, name, what, strerror(e));
}

/* The directory part of name must exist before a rename into it. */
static int make_parent(struct backend *b, const char *name, struct pit_err *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(name, '/');

	if (!slash || (size_t)(slash - name) >= sizeof(dir))
		return 0;
	memcpy(dir, name, (size_t)(slash - name));
	dir[slash - name] = 0;
	if (mkdirat(b->dirfd, dir, 0755) < 0 && errno != EEXIST)
		return sys_err(b, err, "cannot create directory", dir);
	return 0;
}

static int sync_parent(struct backend *b, const char *name)
{
	char dir[PATH_MAX] = ".";
	const char *slash = strrchr(name, '/');
	int fd, rc;

	if (slash && (size_t)(slash - name) < sizeof(dir)) {
		memcpy(dir, name, (size_t)(slash - name));
		dir[slash - name] = 0;
	}
	if ((fd = openat(b->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int backend_tmp_open(struct backend *b, struct backend_tmp *t, struct pit_err *err)
{
	static unsigned seq;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (int tries = 0; tries < 100; tries++) {
		snprintf(t->path, sizeof(t->path), "tmp/%ld-%lx-%u", (long)getpid(),
			 (unsigned long)ts.tv_nsec, __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
		t->fd = openat(b->dirfd, t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (t->fd >= 0) {
			t->size = 0;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	return sys_err(b, err, "cannot create", t->path);
}

int backend_tmp_write(struct backend *b, struct backend_tmp *t, const void *p, size_t n, struct pit_err *err)
{
	int rc = fd_write_all(t->fd, p, n);

	if (rc < 0) {
		errno = -rc;
		return sys_err(b, err, "cannot write", t->path);
	}
	t->size += n;
	return 0;
}

void backend_tmp_abort(struct backend *b, struct backend_tmp *t)
{
	if (t->fd >= 0) {
		close(t->fd);
		unlinkat(b->dirfd, t->path, 0);
		t->fd = -1;
	}
}

int backend_tmp_commit(struct backend *b, struct backend_tmp *t, const char *name, struct pit_err *err)
{
	int rc;

	if (fsync(t->fd) < 0) {
		rc = sys_err(b, err, "cannot flush", t->path);
		goto fail;
	}
	if (close(t->fd) < 0) {
		t->fd = -1;
		rc = sys_err(b, err, "cannot close", t->path);
		unlinkat(b->dirfd, t->path, 0);
		return rc;
	}
	t->fd = -1;
	if ((rc = make_parent(b, name, err)) < 0 || renameat(b->dirfd, t->path, b->dirfd, name) < 0) {
		if (!rc)
			rc = sys_err(b, err, "cannot rename into place", name);
		unlinkat(b->dirfd, t->path, 0);
		return rc;
	}
	if ((rc = sync_parent(b, name)) < 0)
		return pit_errf(err, rc, "%s/%s: cannot flush directory: %s", b->root, name, strerror(-rc));
	return 0;
fail:
	backend_tmp_abort(b, t);
	return rc;
}

int backend_put(struct backend *b, const char *name, const void *p, size_t n, struct pit_err *err)
{
	struct backend_tmp t;
	int rc;

	if ((rc = backend_tmp_open(b, &t, err)) < 0)
		return rc;
	if ((rc = backend_tmp_write(b, &t, p, n, err)) < 0) {
		backend_tmp_abort(b, &t);
		return rc;
	}
	return backend_tmp_commit(b, &t, name, err);
}

int backend_open_read(struct backend *b, const char *name, struct pit_err *err)
{
	int fd = openat(b->dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sys_err(b, err, "cannot open", name);
	return fd;
}

int backend_get(struct backend *b, const char *name, uint8_t **p, size_t *n, size_t max, struct pit_err *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, rc = 0;

	*p = NULL;
	*n = 0;
	if ((fd = backend_open_read(b, name, err)) < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		rc = sys_err(b, err, "cannot stat", name);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = pit_errf(err, -EFBIG, "%s/%s: %lld bytes, more than the %zu an object of this kind may have",
			      b->root, name, (long long)st.st_size, max);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = pit_errf(err, -ENOMEM, "out of memory reading %s", name);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			rc = sys_err(b, err, "cannot read", name);
			goto out;
		}
		got += (size_t)r;
	}
	*p = buf;
	*n = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int backend_remove(struct backend *b, const char *name, struct pit_err *err)
{
	if (unlinkat(b->dirfd, name, 0) < 0 && errno != ENOENT)
		return sys_err(b, err, "cannot remove", name);
	return sync_parent(b, name) < 0 ? sys_err(b, err, "cannot flush directory of", name) : 0;
}

static int list_dir(struct backend *b, const char *dir, int depth,
		    int (*fn)(void *ctx, const char *name, uint64_t size), void *ctx, struct pit_err *err)
{
	int fd = openat(b->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : sys_err(b, err, "cannot list", dir);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return sys_err(b, err, "cannot list", dir);
	}
	while (!rc && (errno = 0, de = readdir(d))) {
		char name[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
		if (fstatat(b->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)	/* removed by a concurrent prune */
				continue;
			rc = sys_err(b, err, "cannot stat", name);
		} else if (S_ISDIR(st.st_mode) && depth > 0) {
			rc = list_dir(b, name, depth - 1, fn, ctx, err);
		} else if (S_ISREG(st.st_mode)) {
			rc = fn(ctx, name, (uint64_t)st.st_size);
		}
	}
	if (!rc && errno)
		rc = sys_err(b, err, "cannot list", dir);
	closedir(d);
	return rc;
}

int backend_list(struct backend *b, const char *dir, int (*fn)(void *ctx, const char *name, uint64_t size),
		 void *ctx, struct pit_err *err)
{
	return list_dir(b, dir, !strcmp(dir, "packs") ? 1 : 0, fn, ctx, err);
}

static int count_remove(void *ctx, const char *name, uint64_t size)
{
	struct backend *b = ((void **)ctx)[0];
	unsigned *removed = ((void **)ctx)[1];

	(void)size;
	if (unlinkat(b->dirfd, name, 0) == 0 && removed)
		(*removed)++;
	return 0;
}

int backend_clean_tmp(struct backend *b, unsigned *removed, struct pit_err *err)
{
	void *ctx[2] = { b, removed };

	return list_dir(b, "tmp", 0, count_remove, ctx, err);
}
