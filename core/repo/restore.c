#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/repo/manifest.h"
#include "core/repo/restore.h"
#include "core/util/fdio.h"

/* "<ks>/<table dir>/..." split for the filters. */
static bool wanted(const char *path, const struct restore_opts *o)
{
	char ks[256], tdir[256];

	if (mf_path_split(path, ks, tdir, NULL) < 0)
		return !o->keyspace && !o->table;
	return (!o->keyspace || !strcmp(o->keyspace, ks)) && (!o->table || mf_table_matches(tdir, o->table));
}

static int mkdirs(char *path, struct pit_err *err)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int rc = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
		*p = '/';
		if (rc)
			return pit_errf(err, rc, "%s: cannot create directory: %s", path, strerror(-rc));
	}
	return 0;
}

/* One file: written under a temporary name and renamed only once every
 * chunk has verified, so a damaged chunk never leaves wrong bytes behind. */
static int restore_file(struct repo_reader *rr, const struct mf_file *f, const char *target, uint8_t *buf,
			struct pit_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	struct timespec ts[2];
	uint64_t total = 0;
	int fd, rc = 0;

	if (strstr(f->path, "..") || f->path[0] == '/')
		return pit_errf(err, -EBADMSG, "backup holds an unsafe path '%s'", f->path);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", target, f->path) >= sizeof(path))
		return pit_errf(err, -ENAMETOOLONG, "%s/%s: path too long", target, f->path);
	snprintf(tmp, sizeof(tmp), "%s.pitfs-tmp", path);
	if ((rc = mkdirs(path, err)) < 0)
		return rc;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return pit_errf(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	for (uint32_t i = 0; i < f->nchunks && !rc; i++) {
		if ((rc = repo_read_chunk(rr, &f->chunks[i].id, f->chunks[i].raw, buf, err)) < 0) {
			pit_err_prefix(err, rc, "%s", f->path);
			break;
		}
		if ((rc = fd_write_all(fd, buf, f->chunks[i].raw)) < 0)
			pit_errf(err, rc, "%s: cannot write: %s", tmp, strerror(-rc));
		total += f->chunks[i].raw;
	}
	if (!rc && total != f->size)
		rc = pit_errf(err, -EIO, "%s: chunks add up to %llu bytes, manifest says %llu", f->path,
			      (unsigned long long)total, (unsigned long long)f->size);
	if (!rc && fchmod(fd, f->mode & 07777 ? (mode_t)(f->mode & 07777) : 0644) < 0)
		rc = pit_errf(err, -errno, "%s: cannot set mode: %s", tmp, strerror(errno));
	ts[0].tv_sec = ts[1].tv_sec = f->mtime_ns / 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = f->mtime_ns % 1000000000;
	if (!rc && futimens(fd, ts) < 0)
		rc = pit_errf(err, -errno, "%s: cannot set mtime: %s", tmp, strerror(errno));
	if (!rc && fsync(fd) < 0)
		rc = pit_errf(err, -errno, "%s: cannot flush: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !rc)
		rc = pit_errf(err, -errno, "%s: cannot close: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) < 0)
		rc = pit_errf(err, -errno, "%s: cannot rename into place: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int restore_run(struct repo *r, const struct chunk_id *backup, const char *target, const struct restore_opts *o,
		struct restore_result *res, struct pit_err *err)
{
	struct manifest *m = NULL;
	struct repo_reader *rr = NULL;
	uint8_t *buf = NULL;
	uint64_t total = 0, done = 0;
	struct timespec t0, t1;
	int rc;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = manifest_read(repo_backend(r), backup, &m, err)) < 0 || (rc = repo_reader_new(&rr, r, err)) < 0)
		goto out;
	if (!(buf = malloc(CHUNK_SIZE))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m->nfiles; i++)
		if (wanted(m->files[i].path, o))
			total += m->files[i].size;
	for (size_t i = 0; i < m->nfiles; i++) {
		if (!wanted(m->files[i].path, o))
			continue;
		if ((rc = restore_file(rr, &m->files[i], target, buf, err)) < 0)
			goto out;
		res->files++;
		res->bytes += m->files[i].size;
		done += m->files[i].size;
		if (o->progress)
			o->progress(o->ctx, done, total);
	}
	if (!res->files && (o->keyspace || o->table))
		rc = pit_errf(err, -ENOENT, "backup holds no files of %s%s%s", o->keyspace ? o->keyspace : "*",
			      o->table ? "." : "", o->table ? o->table : "");
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(buf);
	repo_reader_free(rr);
	manifest_free(m);
	return rc;
}
