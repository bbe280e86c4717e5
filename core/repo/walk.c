#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/repo/walk.h"
#include "core/sstable/reader.h"
#include "core/util/instant.h"
#include "core/util/vec.h"

/* snprintf for paths; a path too long for PATH_MAX comes out cut and then
 * fails to open, naming itself. */
__attribute__((format(printf, 3, 4))) static void pathf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static const char *const system_ks[] = { "system", "system_schema", "system_auth", "system_distributed",
					 "system_traces", "system_views", "system_virtual_schema",
					 "system_cluster_metadata" };

bool walk_is_system_keyspace(const char *ks)
{
	for (size_t i = 0; i < sizeof(system_ks) / sizeof(system_ks[0]); i++)
		if (!strcmp(ks, system_ks[i]))
			return true;
	return false;
}

void walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->files[i].abs);
		free(w->files[i].rel);
	}
	free(w->files);
	memset(w, 0, sizeof(*w));
}

/* The created_at of a snapshot's manifest.json, when it has one. */
static void read_manifest_instant(struct walk *w, const char *path)
{
	char buf[1 << 16], *p, *q;
	FILE *f = fopen(path, "r");
	size_t n;
	int64_t us;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (!(p = strstr(buf, "\"created_at\"")) || !(p = strchr(p + 12, ':')))
		return;
	p += strspn(p + 1, " \t\r\n") + 1;
	if (*p != '"' || !(q = strchr(p + 1, '"')))
		return;
	*q = 0;
	if (instant_parse(p + 1, &us, NULL) == 0 && us > w->manifest_instant_us)
		w->manifest_instant_us = us;
}

static int add_file(struct walk *w, const char *abs, const char *rel, const struct stat *st, struct pit_err *err)
{
	struct src_file *f;
	int64_t us;

	if (vec_grow((void **)&w->files, &w->cap, w->n + 1, sizeof(*w->files)) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	f = &w->files[w->n];
	memset(f, 0, sizeof(*f));
	if (!(f->abs = strdup(abs)) || !(f->rel = strdup(rel))) {
		free(f->abs);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	f->size = (uint64_t)st->st_size;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->mode = (uint32_t)st->st_mode & 07777;
	us = f->mtime_ns / 1000;
	if (us > w->newest_mtime_us)
		w->newest_mtime_us = us;
	w->n++;
	return 0;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted entries of a directory (so a backup's file order does not depend
 * on the file system); *n = 0 and no error when it does not exist. */
static int read_dir(const char *dir, char ***out, size_t *n, struct pit_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return pit_errf(err, -errno, "%s: cannot list: %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (vec_grow((void **)&v, &cap, *n + 1, sizeof(*v)) < 0)
			goto oom;
		if (!(v[*n] = strdup(de->d_name)))
			goto oom;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_name);
	*out = v;
	return 0;
oom:
	closedir(d);
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	free(v);
	*n = 0;
	return pit_errf(err, -ENOMEM, "out of memory");
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every regular file under dir (secondary indexes live in subdirectories),
 * restored under rel. */
static int add_tree(struct walk *w, const char *dir, const char *rel, struct pit_err *err)
{
	char **names, abs[PATH_MAX], r2[PATH_MAX];
	size_t n;
	int rc;

	if ((rc = read_dir(dir, &names, &n, err)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat st;
		pathf(abs, sizeof(abs), "%s/%s", dir, names[i]);
		pathf(r2, sizeof(r2), "%s/%s", rel, names[i]);
		if (lstat(abs, &st) < 0)
			rc = pit_errf(err, -errno, "%s: %s", abs, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = add_tree(w, abs, r2, err);
		else if (S_ISREG(st.st_mode)) {
			rc = add_file(w, abs, r2, &st, err);
			if (!rc && !strcmp(names[i], "manifest.json"))
				read_manifest_instant(w, abs);
		}
	}
	free_names(names, n);
	return rc;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Copies the n-th last path component of path (0 = last) into out. */
static int component(const char *path, int nth, char *out, size_t cap)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = 0;
	for (int i = 0; i < nth; i++) {
		char *s = strrchr(tmp, '/');
		if (!s || s == tmp)
			return -ENOENT;
		*s = 0;
	}
	if (strlen(base(tmp)) >= cap || !*base(tmp))
		return -ENOENT;
	strcpy(out, base(tmp));
	return 0;
}

int walk_source(struct walk *w, const char *source, const char *tag, struct pit_err *err)
{
	char real[PATH_MAX], c1[256], c2[256], c3[256], rel[PATH_MAX], path[PATH_MAX];
	char **kss = NULL, **tables = NULL;
	size_t nks = 0, ntab = 0;
	struct stat st;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->manifest_instant_us = INT64_MIN;
	w->newest_mtime_us = INT64_MIN;
	if (!realpath(source, real))
		return pit_errf(err, -errno, "%s: %s", source, strerror(errno));
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return pit_errf(err, -ENOTDIR, "%s: not a directory", source);
	/* <ks>/<table dir>/snapshots/<tag> or <ks>/<table dir>/backups */
	if (tag && component(real, 1, c1, sizeof(c1)) == 0 && !strcmp(c1, "snapshots") &&
	    component(real, 2, c2, sizeof(c2)) == 0 && component(real, 3, c3, sizeof(c3)) == 0) {
		pathf(rel, sizeof(rel), "%s/%s", c3, c2);
		rc = add_tree(w, real, rel, err);
		goto done;
	}
	if (!tag && !strcmp(base(real), "backups") && component(real, 1, c2, sizeof(c2)) == 0 &&
	    component(real, 2, c3, sizeof(c3)) == 0) {
		pathf(rel, sizeof(rel), "%s/%s", c3, c2);
		rc = add_tree(w, real, rel, err);
		goto done;
	}
	if ((rc = read_dir(real, &kss, &nks, err)) < 0)
		return rc;
	for (size_t i = 0; i < nks && rc == 0; i++) {
		pathf(path, sizeof(path), "%s/%s", real, kss[i]);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if ((rc = read_dir(path, &tables, &ntab, err)) < 0)
			break;
		for (size_t j = 0; j < ntab && rc == 0; j++) {
			char dir[PATH_MAX];
			if (tag)
				pathf(dir, sizeof(dir), "%s/%s/%s/snapshots/%s", real, kss[i], tables[j], tag);
			else
				pathf(dir, sizeof(dir), "%s/%s/%s/backups", real, kss[i], tables[j]);
			if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			pathf(rel, sizeof(rel), "%s/%s", kss[i], tables[j]);
			rc = add_tree(w, dir, rel, err);
		}
		free_names(tables, ntab);
		tables = NULL;
	}
	free_names(kss, nks);
done:
	if (rc == 0 && w->n == 0 && tag)
		rc = pit_errf(err, -ENOENT, "%s: no table has a snapshot named '%s' (looked for "
			      "<keyspace>/<table>/snapshots/%s)", source, tag, tag);
	if (rc < 0)
		walk_release(w);
	return rc;
}

struct sst_ctx {
	const struct walk *w;
	size_t dir_len;
	const char *dir;	/* the Data.db's directory, as a prefix of abs */
};

int walk_summarise(const struct walk *w, struct mf_sstable **out, size_t *n, struct pit_err *err)
{
	struct mf_sstable *v = NULL;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < w->n; i++) {
		const struct src_file *f = &w->files[i];
		struct sst_desc d;
		struct mf_sstable *s;
		struct sst *sst = NULL;
		struct pit_err e = { 0 };
		size_t plen = strlen(f->rel) - strlen(base(f->rel));
		char ks[256];
		const char *slash = strchr(f->rel, '/');

		if (sst_desc_parse(base(f->rel), &d) < 0 || strcmp(base(f->rel) + strlen(d.prefix), "Data.db"))
			continue;
		if (vec_grow((void **)&v, &cap, cnt + 1, sizeof(*v)) < 0)
			goto oom;
		s = &v[cnt];
		memset(s, 0, sizeof(*s));
		cnt++;
		if (!(s->prefix = malloc(plen + strlen(d.prefix) + 1)))
			goto oom;
		memcpy(s->prefix, f->rel, plen);
		strcpy(s->prefix + plen, d.prefix);
		/* the whole set: every file sharing the prefix */
		for (size_t k = 0; k < w->n; k++)
			if (!strncmp(w->files[k].rel, s->prefix, strlen(s->prefix)))
				s->total_size += w->files[k].size;
		s->data_size = f->size;
		pathf(ks, sizeof(ks), "%.*s", slash ? (int)(slash - f->rel) : 0, f->rel);
		if (walk_is_system_keyspace(ks))
			s->flags |= MF_SST_SYSTEM;
		if (sst_open_path(&sst, f->abs, &e) == 0) {
			const struct sst_stats *st = sst_stats(sst);
			s->version = strdup(sst_version(sst)->v);
			s->partitioner = strdup(st->partitioner_class);
			s->min_ts = st->min_timestamp;
			s->max_ts = st->max_timestamp;
			s->partitions = st->partition_count_estimate;
			s->error = strdup("");
			sst_close(sst);
		} else {
			s->flags |= MF_SST_UNPARSED;
			s->version = strdup(d.version);
			s->partitioner = strdup("");
			s->min_ts = INT64_MIN;
			s->max_ts = INT64_MAX;
			s->error = strdup(pit_err_msg(&e, e.code ? e.code : -EBADMSG));
		}
		if (!s->version || !s->partitioner || !s->error)
			goto oom;
	}
	*out = v;
	*n = cnt;
	return 0;
oom:
	for (size_t i = 0; i < cnt; i++) {
		free(v[i].prefix);
		free(v[i].version);
		free(v[i].partitioner);
		free(v[i].error);
	}
	free(v);
	return pit_errf(err, -ENOMEM, "out of memory");
}
