/* A whole rendered file from several threads. The token ring is cut at
 * partition keys sampled from the largest SSTable's Summary.db into runs
 * of whole partitions (segments); each thread merges and renders segments
 * into a bounded buffer of its own, and the caller writes the segments out
 * in order. Renderings carry no state from one partition to the next, so
 * the bytes are those of one thread; only the checkpoints differ (one more
 * at each segment's start). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/repo/rfile.h"
#include "core/util/sbuf.h"
#include "core/util/vec.h"
#include "core/view/rows_impl.h"

/* What a segment may hold while an earlier one is being written, and the
 * SSTable bytes a segment covers: a segment's output mostly fits, so the
 * threads seldom wait for the writer. */
#define SEG_BYTES (2u << 20)
#define SEG_SOURCE_BYTES (4u << 20)
#define MAX_SEGS 1024
#define MAX_THREADS 4

static unsigned tune_threads;	/* 0: one per processor */
static uint64_t tune_min_bytes = 32u << 20;

void view_render_threads(unsigned threads, uint64_t min_bytes)
{
	tune_threads = threads;
	tune_min_bytes = min_bytes;
}

struct seg {
	const uint64_t *start, *end;	/* per source */
	bool resume;		/* not the top of the file: no header */
	struct sbuf buf;	/* rendered, not yet taken by the writer */
	bool done;
	int rc;
	struct pit_err err;
	struct view_ckpts ck;	/* offsets from the segment's start */
	struct par *par;
};

struct par {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct seg *segs;
	size_t nsegs, next;
	bool stop;
	const struct merged *like;	/* the caller's: what the threads open */
	struct merged *lend;	/* the same, for one thread to use */
	int64_t at_us;
	const char *ks, *table;
	enum view_format fmt;
};

static int seg_write(void *ctx, const char *p, size_t n)
{
	struct seg *s = ctx;
	struct par *pp = s->par;
	int rc = 0;

	pthread_mutex_lock(&pp->mu);
	while (!pp->stop && s->buf.len >= SEG_BYTES)
		pthread_cond_wait(&pp->cv, &pp->mu);
	if (pp->stop)
		rc = -1;
	else if (sbuf_add(&s->buf, p, n), s->buf.oom)
		rc = -1;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
	return rc;
}

static void *worker(void *arg)
{
	struct par *pp = arg;
	struct merged own, *mg = &own;
	struct pit_err oerr = { 0 };
	int orc = 0;

	memset(&own, 0, sizeof(own));
	/* the caller's merge for the first thread to start, already open; the
	 * others open the same SSTables through the same chunk cache: the
	 * threads work on neighbouring segments, so a chunk one of them
	 * decompressed is often the next one's too */
	pthread_mutex_lock(&pp->mu);
	if (pp->lend) {
		mg = pp->lend;
		pp->lend = NULL;
	}
	pthread_mutex_unlock(&pp->mu);
	if (mg == &own)
		orc = merged_open_like(mg, pp->like, &oerr);
	for (;;) {
		struct seg *s;
		int rc = orc;
		pthread_mutex_lock(&pp->mu);
		s = pp->stop || pp->next == pp->nsegs ? NULL : &pp->segs[pp->next++];
		pthread_mutex_unlock(&pp->mu);
		if (!s)
			break;
		if (rc < 0) {
			s->err = oerr;
		} else {
			kmerge_close(mg->km);
			mg->km = NULL;
			if ((rc = kmerge_open_at(&mg->km, mg->ssts, (int)mg->vs.nssts, pp->at_us, s->start, s->end,
						 &s->err)) == 0) {
				struct ckrec cr = { seg_write, s, 0, 0, &s->ck, mg->km };
				struct render_ckpt ck = { ckrec_record, &cr, s->resume };
				rc = render_merged(mg, pp->at_us, pp->ks, pp->table, pp->fmt, &ck, ckrec_write, &cr, &s->err);
			}
		}
		pthread_mutex_lock(&pp->mu);
		s->rc = rc;
		s->done = true;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		if (rc < 0)
			break;	/* the writer stops at this segment */
	}
	if (mg == &own)
		merged_close(mg);
	return NULL;
}

/* Per segment boundary and source, where the source's partitions from
 * there on start: (nsegs + 1) rows of n, the first all 0, the last none. */
static int cut(struct merged *mg, int parts, uint64_t **out, size_t *nsegs, struct pit_err *err)
{
	size_t n = mg->vs.nssts, big = 0;
	struct sbuf keys;
	int rc, nk;

	*out = NULL;
	for (size_t i = 0; i < n; i++)	/* bti: no key index read here, one thread */
		if (!sst_has_key_index(mg->ssts[i]))
			return -EAGAIN;
	for (size_t i = 1; i < n; i++)
		if (sst_data_length(mg->ssts[i]) > sst_data_length(mg->ssts[big]))
			big = i;
	sbuf_init(&keys);
	if ((nk = sst_split_keys(mg->ssts[big], parts, &keys, err)) <= 0) {
		sbuf_release(&keys);
		return nk < 0 ? nk : -EAGAIN;
	}
	uint64_t *b = malloc(((size_t)nk + 2) * n * sizeof(*b));
	if (!b) {
		sbuf_release(&keys);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	uint64_t *pos = malloc((size_t)nk * sizeof(*pos));
	for (size_t i = 0; i < n; i++) {
		b[i] = 0;
		b[((size_t)nk + 1) * n + i] = UINT64_MAX;
	}
	rc = pos ? 0 : pit_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = sst_lower_bounds(mg->ssts[i], &keys, pos, err)) == 0)
			for (int j = 0; j < nk; j++)
				b[(size_t)(j + 1) * n + i] = pos[j];
	free(pos);
	sbuf_release(&keys);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	*nsegs = (size_t)nk + 1;
	return 0;
}

/* The same from checkpoint k of from on: runs of its checkpoints, each at
 * least four checkpoint intervals of output, then the rest of the file. */
static int cut_at(const struct view_ckpts *from, size_t k, size_t n, uint64_t **out, size_t *nsegs,
		  struct pit_err *err)
{
	size_t w = 1 + (size_t)from->nsrc, rows = 0;
	uint64_t last = 0, run = 4 * (from->interval ? from->interval : CKPT_INTERVAL);
	uint64_t *b = malloc((from->n - k + 1) * n * sizeof(*b));

	if (!b)
		return pit_errf(err, -ENOMEM, "out of memory");
	for (size_t i = k; i < from->n; i++) {
		const uint64_t *c = from->v + i * w;
		if (rows && c[0] - last < run)
			continue;
		memcpy(b + rows++ * n, c + 1, n * sizeof(*b));
		last = c[0];
	}
	for (size_t i = 0; i < n; i++)
		b[rows * n + i] = UINT64_MAX;
	if (rows < 2) {
		free(b);
		return -EAGAIN;
	}
	*out = b;
	*nsegs = rows;
	return 0;
}

static int add_ckpt(struct view_ckpts *rec, uint64_t off, const uint64_t *pos)
{
	size_t w = 1 + rec->nsrc;

	if (vec_grow((void **)&rec->v, &rec->cap, (rec->n + 1) * w, sizeof(*rec->v)) < 0)
		return -ENOMEM;
	rec->v[rec->n * w] = off;
	memcpy(rec->v + rec->n * w + 1, pos, rec->nsrc * sizeof(*pos));
	rec->n++;
	return 0;
}

/* Segment s's bytes to write as they come, then its checkpoints into rec
 * past base. */
static int drain(struct par *pp, struct seg *s, uint64_t *written, struct view_ckpts *rec, dump_write_fn write,
		 void *ctx, struct pit_err *err)
{
	uint64_t base = *written;
	struct sbuf out;
	bool done;
	int rc = 0;

	sbuf_init(&out);
	if (rec && s->resume && (!rec->n || rec->v[(rec->n - 1) * (1 + (size_t)rec->nsrc)] < base) &&
	    add_ckpt(rec, base, s->start) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	do {
		pthread_mutex_lock(&pp->mu);
		while (!s->buf.len && !s->done)
			pthread_cond_wait(&pp->cv, &pp->mu);
		struct sbuf t = s->buf;
		s->buf = out;
		out = t;
		done = s->done && !out.len;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		if (out.len && write(ctx, out.buf, out.len) < 0)
			rc = pit_errf(err, -EIO, "%s.%s: the rendered bytes could not be written", pp->ks, pp->table);
		*written += out.len;
		sbuf_reset(&out);
	} while (!done && rc == 0);
	sbuf_release(&out);
	pthread_mutex_lock(&pp->mu);
	if (s->done)
		sbuf_release(&s->buf);	/* its thread has moved on */
	pthread_mutex_unlock(&pp->mu);
	if (rc == 0 && s->rc < 0) {
		*err = s->err;
		rc = s->rc;
	}
	for (size_t i = 0; rc == 0 && rec && i < s->ck.n; i++) {
		const uint64_t *c = s->ck.v + i * (1 + (size_t)s->ck.nsrc);
		if (add_ckpt(rec, base + c[0], c + 1) < 0)
			rc = pit_errf(err, -ENOMEM, "out of memory");
	}
	return rc;
}

/* The threads that render mg, or 0 where one thread is what it takes. */
static unsigned threads_for(const struct merged *mg, uint64_t *bytes)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = tune_threads ? tune_threads : cpus > 0 ? (unsigned)cpus : 1;

	*bytes = 0;
	for (size_t i = 0; i < mg->vs.nssts; i++)
		*bytes += sst_data_length(mg->ssts[i]);
	return threads < 2 || *bytes < tune_min_bytes ? 0 : threads > MAX_THREADS ? MAX_THREADS : threads;
}

bool render_parallel_pays(const struct merged *mg)
{
	uint64_t bytes;

	return threads_for(mg, &bytes) > 0;
}

int render_parallel(struct merged *mg, int64_t at_us, const char *ks, const char *table,
		    enum view_format fmt, const struct view_ckpts *from, size_t k, struct view_ckpts *rec,
		    dump_write_fn write, void *ctx, struct view_rows_report *rep, struct pit_err *err)
{
	uint64_t bytes, *bounds = NULL, written = 0;
	unsigned threads = threads_for(mg, &bytes), started = 0;
	pthread_t tid[MAX_THREADS];
	struct par pp;
	int rc;

	if (!threads)
		return -EAGAIN;
	memset(&pp, 0, sizeof(pp));
	uint64_t parts = bytes / SEG_SOURCE_BYTES;
	parts = parts < 4 * threads ? 4 * threads : parts > MAX_SEGS ? MAX_SEGS : parts;
	if (from)
		written = from->v[k * (1 + (size_t)from->nsrc)];
	if ((rc = from ? cut_at(from, k, mg->vs.nssts, &bounds, &pp.nsegs, err)
		       : cut(mg, (int)parts, &bounds, &pp.nsegs, err)) < 0)
		return rc;
	if (!(pp.segs = calloc(pp.nsegs, sizeof(*pp.segs)))) {
		free(bounds);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	pp.like = pp.lend = mg;
	pp.at_us = at_us;
	pp.ks = ks;
	pp.table = table;
	pp.fmt = fmt;
	for (size_t j = 0; j < pp.nsegs; j++) {
		struct seg *s = &pp.segs[j];
		s->start = bounds + j * mg->vs.nssts;
		s->end = bounds + (j + 1) * mg->vs.nssts;
		s->par = &pp;
		s->resume = from || j > 0;
		s->ck.nsrc = (uint32_t)mg->vs.nssts;
		if (rec)
			s->ck.interval = rec->interval;
		sbuf_init(&s->buf);
	}
	for (; started < threads; started++)
		if (pthread_create(&tid[started], NULL, worker, &pp) != 0)
			break;
	if (!started)
		rc = -EAGAIN;	/* then one thread it is */
	rep->segments = started ? (unsigned)pp.nsegs : 0;
	for (size_t j = 0; started && j < pp.nsegs && rc == 0; j++)
		rc = drain(&pp, &pp.segs[j], &written, rec, write, ctx, err);
	pthread_mutex_lock(&pp.mu);
	pp.stop = true;
	pthread_cond_broadcast(&pp.cv);
	pthread_mutex_unlock(&pp.mu);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (size_t j = 0; j < pp.nsegs; j++) {
		sbuf_release(&pp.segs[j].buf);
		view_ckpts_release(&pp.segs[j].ck);
	}
	free(pp.segs);
	free(bounds);
	pthread_cond_destroy(&pp.cv);
	pthread_mutex_destroy(&pp.mu);
	return rc;
}
