#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/repo/ingest.h"
#include "core/repo/pack.h"
#include "core/repo/walk.h"
#include "core/util/vec.h"

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint64_t seq;		/* order of reading */
	uint8_t *raw, *enc;
	size_t n, stored;
	enum chunk_codec codec;
	struct chunk_parts parts;
	struct chunk_id id;
	bool known;
	int rc;
	struct pit_err err;
};

/* Chunk ids this ingest has already put in a pack (the catalog learns them
 * only once the index segment is written). Open addressing on the id. */
struct idset {
	struct chunk_id *v;
	size_t n, cap;
};

static uint64_t id_hash(const struct chunk_id *id)
{
	uint64_t h;
	memcpy(&h, id->b, 8);
	return h;
}

static bool idset_has(const struct idset *s, const struct chunk_id *id)
{
	static const struct chunk_id zero;

	if (!s->cap)
		return false;
	for (size_t i = id_hash(id) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (chunk_id_eq(&s->v[i], id))
			return true;
		if (chunk_id_eq(&s->v[i], &zero))
			return false;
	}
}

static int idset_add(struct idset *s, const struct chunk_id *id)
{
	static const struct chunk_id zero;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct idset ns = { calloc(cap, sizeof(struct chunk_id)), 0, cap };
		if (!ns.v)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (!chunk_id_eq(&s->v[i], &zero))
				idset_add(&ns, &s->v[i]);
		free(s->v);
		*s = ns;
	}
	size_t i = id_hash(id) & (s->cap - 1);
	while (!chunk_id_eq(&s->v[i], &zero))
		i = (i + 1) & (s->cap - 1);
	s->v[i] = *id;
	s->n++;
	return 0;
}

#define FLUSH_QUEUE 4

struct sealed {
	struct backend_tmp tmp;
	char name[PACK_NAME_MAX];
};

struct ingest {
	struct repo *r;
	const struct ingest_opts *o;
	uint32_t chunk_size;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct slot *slots;
	size_t nslots;
	bool stop;
	struct idset session;	/* under mu */
	struct pack_writer *pw;
	struct sealed flush[FLUSH_QUEUE];	/* under mu */
	size_t nflush;
	bool stop_flush;
	int flush_rc;
	struct pit_err flush_err;
	pthread_cond_t flush_cv;
	struct index_entry *seg;
	size_t nseg, capseg;
};

static void *worker(void *arg)
{
	struct ingest *in = arg;
	struct chunk_coder *cc = NULL;
	int crc = chunk_coder_new(&cc, repo_config(in->r)->zstd_level, (int)repo_config(in->r)->zstd_min_match);

	pthread_mutex_lock(&in->mu);
	for (;;) {
		/* the oldest first: the main thread commits in order */
		struct slot *s = NULL;
		for (size_t i = 0; i < in->nslots; i++)
			if (in->slots[i].state == SLOT_READY && (!s || in->slots[i].seq < s->seq))
				s = &in->slots[i];
		if (!s) {
			if (in->stop)
				break;
			pthread_cond_wait(&in->work, &in->mu);
			continue;
		}
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&in->mu);

		struct chunk_loc loc;
		s->rc = crc < 0 ? pit_errf(&s->err, crc, "out of memory") : 0;
		if (!s->rc) {
			chunk_id_of(&s->id, s->raw, s->n);
			pthread_mutex_lock(&in->mu);
			s->known = idset_has(&in->session, &s->id);
			pthread_mutex_unlock(&in->mu);
			if (!s->known) {
				int rc = catalog_chunk_find(repo_catalog(in->r), &s->id, &loc, &s->err);
				s->known = rc == 0 && loc.raw == s->n;
				if (rc < 0 && rc != -ENOENT)
					s->rc = rc;
			}
			if (!s->rc && !s->known)
				s->rc = chunk_encode(cc, s->raw, s->n, s->enc, &s->stored, &s->codec, &s->parts, &s->err);
		}

		pthread_mutex_lock(&in->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&in->done);
	}
	pthread_mutex_unlock(&in->mu);
	chunk_coder_free(cc);
	return NULL;
}

/* Flushing a pack to disk takes milliseconds the pipeline should not wait
 * for: a flusher thread commits sealed packs (fsync, rename) while the next
 * one fills. The index segment is written only after every commit. */
static void *flusher(void *arg)
{
	struct ingest *in = arg;

	pthread_mutex_lock(&in->mu);
	for (;;) {
		if (!in->nflush) {
			if (in->stop_flush)
				break;
			pthread_cond_wait(&in->flush_cv, &in->mu);
			continue;
		}
		struct sealed job = in->flush[0];
		pthread_mutex_unlock(&in->mu);
		struct pit_err e = { 0 };
		int rc = in->flush_rc ? 0 : backend_tmp_commit(repo_backend(in->r), &job.tmp, job.name, &e);
		if (in->flush_rc)
			backend_tmp_abort(repo_backend(in->r), &job.tmp);
		pthread_mutex_lock(&in->mu);
		if (rc < 0 && !in->flush_rc) {
			in->flush_rc = rc;
			in->flush_err = e;
		}
		memmove(in->flush, in->flush + 1, --in->nflush * sizeof(*in->flush));
		pthread_cond_broadcast(&in->flush_cv);
	}
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

/* Waits until every sealed pack is committed; the first failure, if any. */
static int flush_wait(struct ingest *in, struct pit_err *err)
{
	int rc;

	pthread_mutex_lock(&in->mu);
	while (in->nflush)
		pthread_cond_wait(&in->flush_cv, &in->mu);
	rc = in->flush_rc;
	if (rc < 0 && err)
		*err = in->flush_err;
	pthread_mutex_unlock(&in->mu);
	return rc;
}

/* The entries so far as an index segment, once the packs they name are
 * committed (an entry never names a pack that is not there). */
static int write_segment(struct ingest *in, struct pit_err *err)
{
	char name[INDEX_NAME_MAX];
	int rc;

	if (!in->nseg)
		return 0;
	if ((rc = flush_wait(in, err)) < 0 || (rc = index_write(repo_backend(in->r), in->seg, in->nseg, name, err)) < 0)
		return rc;
	in->nseg = 0;
	return 0;
}

static int finish_pack(struct ingest *in, struct pit_err *err)
{
	struct chunk_id pack;
	struct pack_entry *pe;
	struct sealed job;
	size_t n;
	int rc;

	if (!in->pw)
		return 0;
	rc = pack_writer_seal(in->pw, &pack, &pe, &n, &job.tmp, job.name, err);
	in->pw = NULL;
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&in->mu);
	while (in->nflush == FLUSH_QUEUE && !in->flush_rc)
		pthread_cond_wait(&in->flush_cv, &in->mu);
	if ((rc = in->flush_rc) < 0) {
		if (err)
			*err = in->flush_err;
	} else {
		in->flush[in->nflush++] = job;
		pthread_cond_broadcast(&in->flush_cv);
	}
	pthread_mutex_unlock(&in->mu);
	if (rc < 0) {
		backend_tmp_abort(repo_backend(in->r), &job.tmp);
		free(pe);
		return rc;
	}
	if (vec_grow((void **)&in->seg, &in->capseg, in->nseg + n, sizeof(*in->seg)) < 0) {
		free(pe);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		in->seg[in->nseg++] = pack_entry_index(&pe[i], &pack);
	free(pe);
	return in->nseg >= (in->o->index_every ? in->o->index_every : INGEST_INDEX_EVERY) ? write_segment(in, err) : 0;
}

/* The single place that decides whether a chunk is stored: in file order. */
static int commit_slot(struct ingest *in, struct slot *s, struct mf_file *f, struct ingest_result *res,
		       struct pit_err *err)
{
	bool dup;
	int rc;

	if (s->rc < 0) {
		if (err)
			*err = s->err;
		return s->rc;
	}
	f->chunks[f->nchunks++] = (struct mf_chunk){ s->id, (uint32_t)s->n };
	res->chunks++;
	pthread_mutex_lock(&in->mu);
	dup = idset_has(&in->session, &s->id);
	pthread_mutex_unlock(&in->mu);
	if (s->known || dup)
		return 0;
	if (!in->pw && (rc = pack_writer_open(&in->pw, repo_backend(in->r), err)) < 0)
		return rc;
	if ((rc = pack_writer_add(in->pw, &s->id, s->enc, (uint32_t)s->stored, (uint32_t)s->n, (uint8_t)s->codec,
				  &s->parts, err)) < 0)
		return rc;
	pthread_mutex_lock(&in->mu);
	rc = idset_add(&in->session, &s->id);
	pthread_mutex_unlock(&in->mu);
	if (rc < 0)
		return pit_errf(err, rc, "out of memory");
	res->new_chunks++;
	res->new_bytes += s->n;
	res->stored_bytes += s->stored;
	if (pack_writer_size(in->pw) >= repo_config(in->r)->pack_target)
		return finish_pack(in, err);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads every file chunk by chunk into free slots, in order, and commits the
 * slots in the same order as the workers finish them. */
static int pump(struct ingest *in, struct walk *w, struct manifest *m, struct ingest_result *res,
		struct pit_err *err)
{
	const struct ingest_opts *o = in->o;
	struct ingest_progress pg = { 0, w->n, 0, 0 };
	size_t head = 0, tail = 0, fi = 0;	/* slots; file being read */
	size_t *slot_file = calloc(in->nslots, sizeof(size_t));
	int fd = -1, rc = 0;
	bool eof_file = true;
	double last = 0;

	if (!slot_file)
		return pit_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < w->n; i++)
		pg.bytes_total += w->files[i].size;
	for (;;) {
		/* fill */
		while (rc == 0 && tail - head < in->nslots && fi < w->n) {
			struct slot *s = &in->slots[tail % in->nslots];
			if (eof_file) {
				while (fi < w->n && w->files[fi].reuse)
					pg.bytes_done += w->files[fi++].size;
				if (fi == w->n)
					break;
			}
			const struct src_file *sf = &w->files[fi];
			if (eof_file) {
				if ((fd = open(sf->abs, O_RDONLY | O_CLOEXEC)) < 0) {
					rc = pit_errf(err, -errno, "%s: cannot open: %s", sf->abs, strerror(errno));
					break;
				}
				eof_file = false;
				m->files[fi].size = 0;
			}
			/* a file is read up to the size it was listed with: the
			 * manifest's chunk list was sized for it */
			uint64_t left = sf->size - m->files[fi].size;
			size_t want = left < in->chunk_size ? (size_t)left : in->chunk_size, got = 0;
			while (got < want) {
				ssize_t r = read(fd, s->raw + got, want - got);
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0) {
					rc = pit_errf(err, -errno, "%s: cannot read: %s", sf->abs, strerror(errno));
					break;
				}
				if (r == 0) {
					rc = pit_errf(err, -EIO, "%s: shorter than when listed (changed during the ingest)",
						      sf->abs);
					break;
				}
				got += (size_t)r;
			}
			if (rc)
				break;
			if (got) {
				s->n = got;
				m->files[fi].size += got;
				slot_file[tail % in->nslots] = fi;
				pthread_mutex_lock(&in->mu);
				s->seq = tail;
				s->state = SLOT_READY;
				pthread_cond_signal(&in->work);
				pthread_mutex_unlock(&in->mu);
				tail++;
			}
			if (m->files[fi].size == sf->size) {
				close(fd);
				fd = -1;
				eof_file = true;
				fi++;
			}
		}
		if (head == tail)
			break;
		/* commit the oldest once it is done */
		struct slot *s = &in->slots[head % in->nslots];
		pthread_mutex_lock(&in->mu);
		while (s->state != SLOT_DONE)
			pthread_cond_wait(&in->done, &in->mu);
		pthread_mutex_unlock(&in->mu);
		size_t f = slot_file[head % in->nslots];
		int crc = rc ? 0 : commit_slot(in, s, &m->files[f], res, err);
		pthread_mutex_lock(&in->mu);	/* workers look at every slot's state */
		s->state = SLOT_FREE;
		pthread_mutex_unlock(&in->mu);
		head++;
		if (crc < 0)
			rc = crc;
		if (rc)
			continue;	/* drain what workers still hold */
		pg.bytes_done += s->n;
		pg.files_done = f;
		if (o->progress && now_s() - last > 0.2) {
			last = now_s();
			o->progress(o->ctx, &pg);
		}
	}
	if (fd >= 0)
		close(fd);
	free(slot_file);
	if (rc == 0 && o->progress) {
		pg.files_done = pg.files_total;
		o->progress(o->ctx, &pg);
	}
	return rc;
}

/* A file this node stored before with the same size and mtime has the same
 * bytes (Cassandra never rewrites an SSTable component in place): its chunk
 * list is taken over without reading it, as long as every chunk is still
 * in the index. */
static void reuse_unchanged(struct repo *r, const char *node, struct walk *w, struct manifest *m,
			    struct ingest_result *res)
{
	for (size_t i = 0; i < w->n; i++) {
		struct src_file *sf = &w->files[i];
		struct catalog_file cf;
		struct chunk_loc loc;
		bool ok;

		if (catalog_file_find(repo_catalog(r), node, sf->rel, &cf, NULL) < 0)
			continue;
		ok = cf.size == sf->size && cf.mtime_ns == sf->mtime_ns;
		for (uint32_t k = 0; ok && k < cf.nchunks; k++)
			ok = catalog_chunk_find(repo_catalog(r), &cf.chunks[k].id, &loc, NULL) == 0 &&
			     loc.raw == cf.chunks[k].raw;
		if (!ok) {
			free(cf.chunks);
			continue;
		}
		free(m->files[i].chunks);
		m->files[i].chunks = cf.chunks;
		m->files[i].nchunks = cf.nchunks;
		m->files[i].size = cf.size;
		sf->reuse = true;
		res->reused_files++;
		res->reused_bytes += cf.size;
		res->chunks += cf.nchunks;
	}
}

static char *dup0(const char *s) { return strdup(s ? s : ""); }

/* walk_source lists a table's files together: count where the table changes. */
static int count_tables(const struct walk *w)
{
	char ks[256], tdir[256], pks[256] = "", ptdir[256] = "";
	int n = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (mf_path_split(w->files[i].rel, ks, tdir, NULL) < 0 || (!strcmp(ks, pks) && !strcmp(tdir, ptdir)))
			continue;
		n++;
		memcpy(pks, ks, sizeof(pks));
		memcpy(ptdir, tdir, sizeof(ptdir));
	}
	return n;
}

int ingest_run(struct repo *r, const struct ingest_opts *o, struct ingest_result *res, struct pit_err *err)
{
	struct ingest in = { .r = r, .o = o };
	struct walk w;
	struct manifest *m = NULL;
	pthread_t *tids = NULL, flush_tid;
	bool flusher_started = false;
	int nthreads = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int started = 0, rc;
	double t0 = now_s();
	struct timespec now;
	char msg[600];

	memset(res, 0, sizeof(*res));
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 16)
		nthreads = 16;
	if ((rc = walk_source(&w, o->source, o->incremental ? NULL : o->tag, err)) < 0)
		return rc;
	/* An incremental backup lists everything backups/ holds, as a snapshot
	 * of that directory: a view at T takes a full backup and the incremental
	 * ones after it, and must find every SSTable flushed since, also those a
	 * later snapshot stored first. What this node stored before costs no
	 * bytes and is not read again (reuse_unchanged). */
	if (o->incremental && !w.n) {
		res->seconds = now_s() - t0;
		walk_release(&w);
		return 0;
	}
	if (!(m = calloc(1, sizeof(*m))) || !(m->files = calloc(w.n, sizeof(*m->files)))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	m->nfiles = w.n;
	in.chunk_size = repo_config(r)->chunk_size;
	for (size_t i = 0; i < w.n; i++) {
		struct mf_file *f = &m->files[i];
		size_t cap = w.files[i].size / in.chunk_size + 2;
		if (!(f->path = strdup(w.files[i].rel)) || !(f->chunks = calloc(cap, sizeof(*f->chunks)))) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		f->mtime_ns = w.files[i].mtime_ns;
		f->mode = w.files[i].mode;
	}
	if (!o->read_all)
		reuse_unchanged(r, o->node, &w, m, res);
	if ((rc = walk_summarise(&w, &m->ssts, &m->nsst, err)) < 0)
		goto out;
	for (size_t i = 0; i < m->nsst; i++) {
		if (!(m->ssts[i].flags & MF_SST_UNPARSED))
			continue;
		res->unparsed++;
		if (o->warn) {
			snprintf(msg, sizeof(msg), "%sData.db: stored as is, flagged: %s", m->ssts[i].prefix,
				 m->ssts[i].error);
			o->warn(o->ctx, msg);
		}
	}
	res->sstables = m->nsst;

	pthread_mutex_init(&in.mu, NULL);
	pthread_cond_init(&in.work, NULL);
	pthread_cond_init(&in.done, NULL);
	pthread_cond_init(&in.flush_cv, NULL);
	in.nslots = (size_t)nthreads * 4;
	if (!(in.slots = calloc(in.nslots, sizeof(*in.slots))) || !(tids = calloc((size_t)nthreads, sizeof(*tids)))) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto stop;
	}
	for (size_t i = 0; i < in.nslots; i++)
		if (!(in.slots[i].raw = malloc(in.chunk_size)) || !(in.slots[i].enc = malloc(CHUNK_MAX_STORED))) {
			rc = pit_errf(err, -ENOMEM, "out of memory");
			goto stop;
		}
	if ((rc = -pthread_create(&flush_tid, NULL, flusher, &in)) < 0) {
		pit_errf(err, rc, "cannot start a thread");
		goto stop;
	}
	flusher_started = true;
	for (; started < nthreads; started++)
		if ((rc = -pthread_create(&tids[started], NULL, worker, &in)) < 0) {
			pit_errf(err, rc, "cannot start a worker thread");
			goto stop;
		}
	rc = pump(&in, &w, m, res, err);
	if (rc == 0)
		rc = finish_pack(&in, err);
	if (flusher_started) {
		int frc = flush_wait(&in, rc ? NULL : err);
		if (rc == 0)
			rc = frc;
	}
stop:
	pthread_mutex_lock(&in.mu);
	in.stop = true;
	pthread_cond_broadcast(&in.work);
	pthread_mutex_unlock(&in.mu);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (flusher_started) {
		pthread_mutex_lock(&in.mu);
		in.stop_flush = true;
		pthread_cond_broadcast(&in.flush_cv);
		pthread_mutex_unlock(&in.mu);
		pthread_join(flush_tid, NULL);
	}
	pack_writer_abort(in.pw);
	if (rc < 0)
		goto cleanup;
	if ((rc = write_segment(&in, err)) < 0)
		goto cleanup;
	/* the backup */
	struct backup_info *bi = &m->info;
	if (o->incremental ? o->have_at : w.manifest_instant_us == INT64_MIN && o->have_at) {
		bi->instant_us = o->at_us;
		res->instant_from = "--at";
	} else if (!o->incremental && w.manifest_instant_us != INT64_MIN) {
		bi->instant_us = w.manifest_instant_us;
		res->instant_from = "manifest.json";
	} else {
		bi->instant_us = w.newest_mtime_us;
		res->instant_from = "file mtime";
	}
	clock_gettime(CLOCK_REALTIME, &now);
	bi->created_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	bi->kind = o->incremental ? BACKUP_INCREMENTAL : BACKUP_FULL;
	bi->node = dup0(o->node);
	bi->dc = dup0(o->dc);
	bi->rack = dup0(o->rack);
	bi->tag = dup0(o->incremental ? "" : o->tag);
	bi->source = dup0(o->source);
	bi->instant_from = dup0(res->instant_from);
	if (!bi->node || !bi->dc || !bi->rack || !bi->tag || !bi->source || !bi->instant_from) {
		rc = pit_errf(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	bi->nfiles = m->nfiles;
	bi->ntables = (uint64_t)count_tables(&w);
	bi->nsstables = m->nsst;
	bi->nunparsed = res->unparsed;
	for (size_t i = 0; i < m->nfiles; i++)
		bi->bytes += m->files[i].size;
	bi->new_bytes = res->new_bytes;
	bi->stored_bytes = res->stored_bytes;
	if ((rc = manifest_write(repo_backend(r), m, err)) < 0 || (rc = repo_sync(r, err)) < 0)
		goto cleanup;
	res->stored = true;
	res->backup = bi->id;
	res->instant_us = bi->instant_us;
	res->files = m->nfiles;
	res->bytes = bi->bytes;
	res->seconds = now_s() - t0;
cleanup:
	if (in.slots)
		for (size_t i = 0; i < in.nslots; i++) {
			free(in.slots[i].raw);
			free(in.slots[i].enc);
		}
	free(in.slots);
	free(tids);
	free(in.session.v);
	free(in.seg);
	pthread_mutex_destroy(&in.mu);
	pthread_cond_destroy(&in.work);
	pthread_cond_destroy(&in.done);
	pthread_cond_destroy(&in.flush_cv);
out:
	manifest_free(m);
	walk_release(&w);
	return rc;
}
