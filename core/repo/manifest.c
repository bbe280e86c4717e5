#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/manifest.h"
#include "core/repo/obj.h"

#define MANIFEST_MAX ((size_t)1 << 31)

void backup_info_release(struct backup_info *bi)
{
	free(bi->node);
	free(bi->dc);
	free(bi->rack);
	free(bi->tag);
	free(bi->source);
	free(bi->instant_from);
	bi->node = bi->dc = bi->rack = bi->tag = bi->source = bi->instant_from = NULL;
}

static char *dup0(const char *s) { return strdup(s ? s : ""); }

int backup_info_copy(struct backup_info *dst, const struct backup_info *src)
{
	*dst = *src;
	dst->node = dup0(src->node);
	dst->dc = dup0(src->dc);
	dst->rack = dup0(src->rack);
	dst->tag = dup0(src->tag);
	dst->source = dup0(src->source);
	dst->instant_from = dup0(src->instant_from);
	if (!dst->node || !dst->dc || !dst->rack || !dst->tag || !dst->source || !dst->instant_from) {
		backup_info_release(dst);
		return -ENOMEM;
	}
	return 0;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	backup_info_release(&m->info);
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].chunks);
	}
	for (size_t i = 0; i < m->nsst; i++) {
		free(m->ssts[i].prefix);
		free(m->ssts[i].version);
		free(m->ssts[i].partitioner);
		free(m->ssts[i].error);
	}
	free(m->files);
	free(m->ssts);
	free(m);
}

void backup_info_encode(const struct backup_info *bi, struct sbuf *sb)
{
	obj_put_str(sb, bi->node);
	obj_put_str(sb, bi->dc);
	obj_put_str(sb, bi->rack);
	obj_put_str(sb, bi->tag);
	obj_put_str(sb, bi->source);
	obj_put_str(sb, bi->instant_from);
	obj_put_u64(sb, (uint64_t)bi->instant_us);
	obj_put_u64(sb, (uint64_t)bi->created_us);
	obj_put_u8(sb, (uint8_t)bi->kind);
	obj_put_u64(sb, bi->nfiles);
	obj_put_u64(sb, bi->ntables);
	obj_put_u64(sb, bi->nsstables);
	obj_put_u64(sb, bi->nunparsed);
	obj_put_u64(sb, bi->bytes);
	obj_put_u64(sb, bi->new_bytes);
	obj_put_u64(sb, bi->stored_bytes);
}

static void info_get(struct obj_cur *c, struct backup_info *bi)
{
	bi->node = obj_get_str(c);
	bi->dc = obj_get_str(c);
	bi->rack = obj_get_str(c);
	bi->tag = obj_get_str(c);
	bi->source = obj_get_str(c);
	bi->instant_from = obj_get_str(c);
	bi->instant_us = (int64_t)obj_get_u64(c);
	bi->created_us = (int64_t)obj_get_u64(c);
	bi->kind = obj_get_u8(c) ? BACKUP_INCREMENTAL : BACKUP_FULL;
	bi->nfiles = obj_get_u64(c);
	bi->ntables = obj_get_u64(c);
	bi->nsstables = obj_get_u64(c);
	bi->nunparsed = obj_get_u64(c);
	bi->bytes = obj_get_u64(c);
	bi->new_bytes = obj_get_u64(c);
	bi->stored_bytes = obj_get_u64(c);
}

int backup_info_decode(const uint8_t *p, size_t n, struct backup_info *bi)
{
	struct obj_cur c = { p, p + n, 0 };

	memset(bi, 0, sizeof(*bi));
	info_get(&c, bi);
	if (c.bad || c.p != c.end) {
		backup_info_release(bi);
		return -EBADMSG;
	}
	return 0;
}

void backup_name(const struct chunk_id *id, char out[BACKUP_NAME_MAX])
{
	char hex[33];

	chunk_id_hex(id, hex);
	snprintf(out, BACKUP_NAME_MAX, "backups/%s", hex);
}

int backup_name_parse(const char *name, struct chunk_id *id)
{
	if (strncmp(name, "backups/", 8))
		return -EINVAL;
	return chunk_id_parse(id, name + 8);
}

int manifest_write(struct backend *b, struct manifest *m, struct pit_err *err)
{
	struct sbuf sb;
	char name[BACKUP_NAME_MAX];
	int rc;

	sbuf_init(&sb);
	obj_begin(&sb, "BKUP");
	backup_info_encode(&m->info, &sb);
	obj_put_u32(&sb, (uint32_t)m->nfiles);
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct mf_file *f = &m->files[i];
		obj_put_str(&sb, f->path);
		obj_put_u64(&sb, f->size);
		obj_put_u64(&sb, (uint64_t)f->mtime_ns);
		obj_put_u32(&sb, f->mode);
		obj_put_u32(&sb, f->nchunks);
		for (uint32_t k = 0; k < f->nchunks; k++) {
			sbuf_add(&sb, f->chunks[k].id.b, 16);
			obj_put_u32(&sb, f->chunks[k].raw);
		}
	}
	obj_put_u32(&sb, (uint32_t)m->nsst);
	for (size_t i = 0; i < m->nsst; i++) {
		const struct mf_sstable *s = &m->ssts[i];
		obj_put_str(&sb, s->prefix);
		obj_put_str(&sb, s->version);
		obj_put_str(&sb, s->partitioner);
		obj_put_u64(&sb, (uint64_t)s->min_ts);
		obj_put_u64(&sb, (uint64_t)s->max_ts);
		obj_put_u64(&sb, s->partitions);
		obj_put_u64(&sb, s->data_size);
		obj_put_u64(&sb, s->total_size);
		obj_put_u32(&sb, s->flags);
		obj_put_str(&sb, s->error);
	}
	if ((rc = obj_seal(&sb)) < 0) {
		sbuf_release(&sb);
		return pit_errf(err, rc, "out of memory writing a backup manifest");
	}
	chunk_id_of(&m->info.id, sb.buf, sb.len);
	backup_name(&m->info.id, name);
	rc = backend_put(b, name, sb.buf, sb.len, err);
	sbuf_release(&sb);
	return rc;
}

int manifest_read(struct backend *b, const struct chunk_id *id, struct manifest **out, struct pit_err *err)
{
	char name[BACKUP_NAME_MAX];
	uint8_t *p = NULL;
	size_t len, plen;
	const uint8_t *pl;
	struct manifest *m = NULL;
	struct obj_cur c;
	struct chunk_id check;
	int rc;

	*out = NULL;
	backup_name(id, name);
	if ((rc = backend_get(b, name, &p, &len, MANIFEST_MAX, err)) < 0)
		return rc;
	if ((rc = obj_open(p, len, "BKUP", name, &pl, &plen, err)) < 0)
		goto out;
	chunk_id_of(&check, p, len);
	if (!chunk_id_eq(&check, id)) {
		rc = pit_errf(err, -EIO, "%s: content does not match its name (damaged or renamed)", name);
		goto out;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		rc = -ENOMEM;
		goto out;
	}
	c = (struct obj_cur){ pl, pl + plen, 0 };
	info_get(&c, &m->info);
	m->info.id = *id;
	m->nfiles = obj_get_u32(&c);
	if (c.bad || m->nfiles > plen / 24 || !(m->files = calloc(m->nfiles + 1, sizeof(*m->files)))) {
		m->nfiles = 0;
		goto bad;
	}
	for (size_t i = 0; i < m->nfiles && !c.bad; i++) {
		struct mf_file *f = &m->files[i];
		f->path = obj_get_str(&c);
		f->size = obj_get_u64(&c);
		f->mtime_ns = (int64_t)obj_get_u64(&c);
		f->mode = obj_get_u32(&c);
		f->nchunks = obj_get_u32(&c);
		if (c.bad || f->nchunks > plen / 20 || !(f->chunks = calloc(f->nchunks + 1, sizeof(*f->chunks)))) {
			f->nchunks = 0;
			goto bad;
		}
		for (uint32_t k = 0; k < f->nchunks; k++) {
			obj_get_bytes(&c, f->chunks[k].id.b, 16);
			f->chunks[k].raw = obj_get_u32(&c);
		}
	}
	m->nsst = obj_get_u32(&c);
	if (c.bad || m->nsst > plen / 16 || !(m->ssts = calloc(m->nsst + 1, sizeof(*m->ssts)))) {
		m->nsst = 0;
		goto bad;
	}
	for (size_t i = 0; i < m->nsst && !c.bad; i++) {
		struct mf_sstable *s = &m->ssts[i];
		s->prefix = obj_get_str(&c);
		s->version = obj_get_str(&c);
		s->partitioner = obj_get_str(&c);
		s->min_ts = (int64_t)obj_get_u64(&c);
		s->max_ts = (int64_t)obj_get_u64(&c);
		s->partitions = obj_get_u64(&c);
		s->data_size = obj_get_u64(&c);
		s->total_size = obj_get_u64(&c);
		s->flags = obj_get_u32(&c);
		s->error = obj_get_str(&c);
	}
	if (c.bad || c.p != c.end)
		goto bad;
	*out = m;
	m = NULL;
	goto out;
bad:
	rc = pit_errf(err, -EBADMSG, "%s: backup manifest does not parse", name);
out:
	manifest_free(m);
	free(p);
	return rc;
}

int mf_path_split(const char *path, char ks[256], char tdir[256], const char **rest)
{
	const char *a = strchr(path, '/'), *b = a ? strchr(a + 1, '/') : NULL;

	if (!a || !b || a == path || b == a + 1 || (size_t)(a - path) >= 256 || (size_t)(b - a - 1) >= 256)
		return -EINVAL;
	memcpy(ks, path, (size_t)(a - path));
	ks[a - path] = 0;
	memcpy(tdir, a + 1, (size_t)(b - a - 1));
	tdir[b - a - 1] = 0;
	if (rest)
		*rest = b + 1;
	return 0;
}

void mf_table_name(const char *tdir, char name[256])
{
	const char *dash = strrchr(tdir, '-');
	size_t n = dash ? (size_t)(dash - tdir) : strlen(tdir);

	if (n > 255)
		n = 255;
	memcpy(name, tdir, n);
	name[n] = 0;
}

bool mf_table_matches(const char *tdir, const char *table)
{
	char name[256];

	mf_table_name(tdir, name);
	return !strcmp(tdir, table) || !strcmp(name, table);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct mf_file *)a)->path, ((const struct mf_file *)b)->path);
}

void mf_sort(struct manifest *m)
{
	if (m->nfiles)
		qsort(m->files, m->nfiles, sizeof(*m->files), cmp_file);
	m->sorted = true;
}

size_t mf_lower_bound(const struct manifest *m, const char *prefix)
{
	size_t lo = 0, hi = m->nfiles;

	if (!m->sorted)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->files[mid].path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct mf_file *mf_find(const struct manifest *m, const char *path)
{
	for (size_t i = mf_lower_bound(m, path); i < m->nfiles; i++) {
		int c = strcmp(m->files[i].path, path);
		if (!c)
			return &m->files[i];
		if (m->sorted && c > 0)
			break;
	}
	return NULL;
}

/* An allocation's bookkeeping, on top of what it holds. */
#define ALLOC_OVERHEAD 16

static size_t str_bytes(const char *s)
{
	return s ? strlen(s) + 1 + ALLOC_OVERHEAD : 0;
}

size_t manifest_bytes(const struct manifest *m)
{
	const struct backup_info *bi = &m->info;
	size_t b = sizeof(*m) + (m->nfiles + 1) * sizeof(*m->files) + (m->nsst + 1) * sizeof(*m->ssts) +
		   3 * ALLOC_OVERHEAD + str_bytes(bi->node) + str_bytes(bi->dc) + str_bytes(bi->rack) +
		   str_bytes(bi->tag) + str_bytes(bi->source) + str_bytes(bi->instant_from);

	for (size_t i = 0; i < m->nfiles; i++)
		b += str_bytes(m->files[i].path) + (m->files[i].nchunks + 1) * sizeof(struct mf_chunk) + ALLOC_OVERHEAD;
	for (size_t i = 0; i < m->nsst; i++)
		b += str_bytes(m->ssts[i].prefix) + str_bytes(m->ssts[i].version) + str_bytes(m->ssts[i].partitioner) +
		     str_bytes(m->ssts[i].error);
	return b;
}
