#include "core/util/bsrc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct bsrc {
	const struct bsrc_ops *ops;
	void *ctx;
	uint64_t size;
	char *name;
};

int bsrc_new(struct bsrc **out, const struct bsrc_ops *ops, void *ctx, uint64_t size, const char *name)
{
	struct bsrc *bs = calloc(1, sizeof(*bs));

	if (!bs || !(bs->name = strdup(name ? name : "?"))) {
		free(bs);
		ops->close(ctx);
		return -ENOMEM;
	}
	bs->ops = ops;
	bs->ctx = ctx;
	bs->size = size;
	*out = bs;
	return 0;
}

void bsrc_close(struct bsrc *bs)
{
	if (!bs)
		return;
	bs->ops->close(bs->ctx);
	free(bs->name);
	free(bs);
}

uint64_t bsrc_size(const struct bsrc *bs) { return bs->size; }
const char *bsrc_name(const struct bsrc *bs) { return bs->name; }

ssize_t bsrc_pread(struct bsrc *bs, void *buf, size_t n, uint64_t off, struct pit_err *err)
{
	if (off >= bs->size)
		return 0;
	if (n > bs->size - off)
		n = (size_t)(bs->size - off);
	return bs->ops->pread(bs->ctx, buf, n, off, err);
}

int bsrc_read_exact(struct bsrc *bs, void *buf, size_t n, uint64_t off, struct pit_err *err)
{
	ssize_t got = bsrc_pread(bs, buf, n, off, err);

	if (got < 0)
		return (int)got;
	if ((size_t)got != n)
		return pit_errf(err, -EBADMSG, "%s: truncated: wanted %zu bytes at offset %llu, file has %llu",
				bs->name, n, (unsigned long long)off, (unsigned long long)bs->size);
	return 0;
}

int bsrc_read_all(struct bsrc *bs, uint8_t **out, size_t *n, size_t max, struct pit_err *err)
{
	uint8_t *buf;
	int rc;

	*out = NULL;
	*n = 0;
	if (bs->size > max)
		return pit_errf(err, -EFBIG, "%s: %llu bytes is more than the %zu this component may have",
				bs->name, (unsigned long long)bs->size, max);
	if (!(buf = malloc(bs->size ? (size_t)bs->size : 1)))
		return pit_errf(err, -ENOMEM, "%s: out of memory", bs->name);
	if ((rc = bsrc_read_exact(bs, buf, (size_t)bs->size, 0, err)) < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*n = (size_t)bs->size;
	return 0;
}

/* ---- files ---- */

struct file_ctx {
	int fd;
	char *path;
};

static ssize_t file_pread(void *ctx, void *buf, size_t n, uint64_t off, struct pit_err *err)
{
	struct file_ctx *fc = ctx;
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fc->fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return pit_errf(err, -errno, "%s: read at offset %llu: %s", fc->path,
					(unsigned long long)(off + done), strerror(errno));
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static void file_close(void *ctx)
{
	struct file_ctx *fc = ctx;
	if (!fc)
		return;
	close(fc->fd);
	free(fc->path);
	free(fc);
}

static const struct bsrc_ops file_ops = { file_pread, file_close };

int bsrc_open_file(struct bsrc **out, const char *path, struct pit_err *err)
{
	struct file_ctx *fc;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return pit_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EISDIR;
		close(fd);
		return pit_errf(err, -e, "%s: %s", path, strerror(e));
	}
	if (!(fc = calloc(1, sizeof(*fc))) || !(fc->path = strdup(path))) {
		free(fc);
		close(fd);
		return pit_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	fc->fd = fd;
	return bsrc_new(out, &file_ops, fc, (uint64_t)st.st_size, path);
}

/* ---- memory ---- */

struct mem_ctx {
	const uint8_t *p;
};

static ssize_t mem_pread(void *ctx, void *buf, size_t n, uint64_t off, struct pit_err *err)
{
	(void)err;
	memcpy(buf, ((struct mem_ctx *)ctx)->p + off, n);
	return (ssize_t)n;
}

static void mem_close(void *ctx) { free(ctx); }

static const struct bsrc_ops mem_ops = { mem_pread, mem_close };

int bsrc_open_mem(struct bsrc **out, const void *p, size_t n, const char *name)
{
	struct mem_ctx *mc = malloc(sizeof(*mc));

	if (!mc)
		return -ENOMEM;
	mc->p = p;
	return bsrc_new(out, &mem_ops, mc, n, name);
}
