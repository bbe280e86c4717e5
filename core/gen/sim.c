/* The simulated cluster: nodes on a Murmur3 ring, clients writing with their
 * own clocks, replicas that sometimes miss a write, memtables flushed into
 * SSTables, size-tiered compactions, snapshots, incremental backups. */
#include "core/gen/gen_impl.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/cql/value.h"
#include "core/gen/rng.h"
#include "core/sstable/writer.h"
#include "core/util/bytes.h"

#define NT 4			/* tables */
#define VNODES 8
#define MAX_NODES 32
#define NSNAP 3
#define T0_US 1793491200000000ll	/* 2026-11-01T00:00:00Z */
#define CLIENTS 4

enum { T_CUSTOMERS, T_ORDERS, T_PAGE_VIEWS, T_READINGS };

struct gsst {
	int gen;
	int64_t min_ts;
	uint64_t bytes;
	bool flushed;		/* from a flush (linked into backups/), not a compaction */
};

struct gnode {
	char name[16], rack[16];
	uint8_t host_id[16];
	int64_t tokens[VNODES];
	struct gmem mem[NT];
	struct gsst *ssts[NT];
	int nssts[NT], next_gen[NT];
	char *tdir[NT];
};

struct sim {
	const struct gen_opts *o;
	struct gen_summary *sum;
	struct rng rng;
	struct gtable t[NT];
	struct gnode nodes[MAX_NODES];
	int nnodes, rf;
	struct { int64_t token; int node; } ring[MAX_NODES * VNODES];
	int64_t now_us, skew[CLIENTS];
	uint64_t flush_at, written;
	FILE *log;
	char *log_path;
	int64_t snap_at[NSNAP];
	char snap_tag[NSNAP][24];
	int nsnap;
	uint64_t pool;		/* partition keys per table */
	/* counters: per page and leader, the leader's clock and total */
	int64_t (*ctr)[MAX_NODES][2];
	/* orders: the last order's clustering per customer, to update or delete it */
	uint8_t (*last_order)[34];
	struct pit_err *err;
	struct fwriter *fw;
	bool snap_check;	/* the next snapshot's size may be written: drain and see */
};

/* ---- small helpers ---- */

static int mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void set_mtime(const char *path, int64_t us)
{
	struct timespec ts[2] = { { us / 1000000, (us % 1000000) * 1000 }, { us / 1000000, (us % 1000000) * 1000 } };
	utimensat(AT_FDCWD, path, ts, 0);
}

static const char *components[] = { "Data.db", "Index.db", "Summary.db", "Filter.db", "Statistics.db",
				    "CompressionInfo.db", "Digest.crc32", "TOC.txt" };

uint64_t gen_sstable_bytes(const char *dir, int gen)
{
	uint64_t total = 0;
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		char p[4096];
		struct stat st;
		snprintf(p, sizeof(p), "%s/nb-%d-big-%s", dir, gen, components[i]);
		if (stat(p, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

bool gen_purgeable(const struct gen_purge *pg, const struct sst_deletion *d)
{
	return !sst_deletion_live(d) && d->ldt + pg->gc_grace < pg->now_s && d->mfda < pg->other_min_ts;
}

bool gen_cell_purgeable(const struct gen_purge *pg, const struct gcell *c)
{
	return (c->kind == GC_TOMB || c->kind == GC_EXPIRING) && c->ldt + pg->gc_grace < pg->now_s &&
	       c->ts < pg->other_min_ts;
}

/* ---- the ring ---- */

static int cmp_ring(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The RF distinct nodes after the key's token, clockwise, preferring racks
 * not yet used (NetworkTopologyStrategy in one datacenter). */
static int replicas(const struct sim *s, int64_t token, int *out)
{
	int n = s->nnodes * VNODES, start = 0, k = 0;
	while (start < n && s->ring[start].token < token)
		start++;
	bool used[MAX_NODES] = { false }, rack_used[3] = { false };
	for (int pass = 0; pass < 2 && k < s->rf; pass++)
		for (int i = 0; i < n && k < s->rf; i++) {
			int node = s->ring[(start + i) % n].node;
			if (used[node] || (pass == 0 && rack_used[node % 3]))
				continue;
			used[node] = rack_used[node % 3] = true;
			out[k++] = node;
		}
	return k;
}

/* ---- SSTables on the nodes ---- */

static struct sst_writer_opts writer_opts(const struct sim *s, const struct gnode *n)
{
	/* test data: written without fsync, the run is repeated rather than recovered */
	struct sst_writer_opts o = { .compress = true, .enc_min_ts = T0_US, .enc_min_ldt = T0_US / 1000000,
				     .has_host_id = true, .no_sync = true };
	(void)s;
	memcpy(o.host_id, n->host_id, 16);
	return o;
}

static void link_into(const char *tdir, int gen, const char *sub)
{
	char d[4096];
	snprintf(d, sizeof(d), "%s/%s", tdir, sub);
	mkdirs(d);
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		char from[4096], to[8192];
		snprintf(from, sizeof(from), "%s/nb-%d-big-%s", tdir, gen, components[i]);
		snprintf(to, sizeof(to), "%s/nb-%d-big-%s", d, gen, components[i]);
		if (access(from, F_OK) == 0)
			link(from, to);
	}
}

static void touch_sstable(const char *tdir, int gen, int64_t us)
{
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/nb-%d-big-%s", tdir, gen, components[i]);
		set_mtime(p, us);
	}
}

static void add_sst(struct gnode *n, int t, int gen, int64_t min_ts, uint64_t bytes, bool flushed)
{
	n->ssts[t] = realloc(n->ssts[t], (size_t)(n->nssts[t] + 1) * sizeof(struct gsst));
	if (!n->ssts[t])
		abort();
	n->ssts[t][n->nssts[t]++] = (struct gsst){ gen, min_ts, bytes, flushed };
}

static int64_t mem_min_ts(const struct gmem *m)
{
	int64_t min = INT64_MAX;
	for (uint32_t b = 0; b < m->nbuckets; b++)
		for (const struct gpart *p = m->buckets[b]; p; p = p->next) {
			if (!sst_deletion_live(&p->del) && p->del.mfda < min)
				min = p->del.mfda;
			for (uint32_t i = 0; i < p->nrts; i++)
				if (p->rts[i].del.mfda < min)
					min = p->rts[i].del.mfda;
			for (uint32_t r = 0; r <= p->nrows; r++) {
				const struct grow *row = r < p->nrows ? p->rows[r] : p->statik;
				if (!row)
					continue;
				if (row->live.ts != SST_NO_TS && row->live.ts < min)
					min = row->live.ts;
				if (!sst_deletion_live(&row->del) && row->del.mfda < min)
					min = row->del.mfda;
				for (uint32_t c = 0; c < row->ncells; c++)
					if (row->cells[c].ts < min)
						min = row->cells[c].ts;
			}
		}
	return min;
}

struct wrote;
static int compact(struct sim *s, int ni, int t, int64_t now_us, struct wrote *wr, struct pit_err *err);

/* What one flush (and the compaction it set off) wrote. */
struct wrote {
	uint64_t bytes;
	unsigned flushes, compactions;
};

/* Writes a full memtable as an SSTable, links it into backups/, logs it for
 * the truth and compacts; on a flush writer's thread. */
static int flush_now(struct sim *s, int ni, int t, struct gmem *m, int64_t now_us, struct wrote *wr,
		     struct pit_err *err)
{
	struct gnode *n = &s->nodes[ni];
	uint64_t bytes = 0;
	int rc;

	int gen = n->next_gen[t]++;
	struct sst_writer_opts o = writer_opts(s, n);
	if ((rc = gen_write_sstable(m, n->tdir[t], gen, NULL, &o, &bytes, err)) < 0)
		return rc;
	touch_sstable(n->tdir[t], gen, now_us);
	link_into(n->tdir[t], gen, "backups");	/* incremental backups: every flushed SSTable */
	add_sst(n, t, gen, mem_min_ts(m), bytes, true);
	if (s->log && gen_log_flush(s->log, ni, t, m) < 0)	/* one fwrite a record: whole */
		return pit_errf(err, -EIO, "%s: cannot write the flush log", s->log_path);
	wr->bytes += bytes;
	wr->flushes++;
	return compact(s, ni, t, now_us, wr, err);
}

/* ---- the flush writers ----
 * Flushes and compactions run on threads of their own while the next writes
 * are simulated, two at once, never two of the same node and table (those
 * run in the order they were handed over; the others in any order: the
 * files of one table depend only on that table's jobs, and the truth replays
 * the flush log in any order to the same result). The simulation reads
 * nothing they change until it drains the writers: before a snapshot, before
 * the truth reads the log, and when the next snapshot's size may have been
 * reached. Whether it may is known without waiting, from what is the same at
 * the same write in every run however the threads are scheduled: before
 * handing over job j, the simulation waits for jobs 0 .. j - LAG to end and
 * adds to what they wrote an estimate of the jobs after them (an SSTable
 * about the size of its memtable's model). An estimate that falls short only
 * makes the snapshot come a few flushes late. */
enum { NWRITERS = 2, FQ = 4, LAG = FQ + NWRITERS, FRING = 2 * LAG };

struct fjob {
	int ni, t;
	struct gmem m;
	int64_t now_us;
	uint64_t seq;
};

struct fwriter {
	struct sim *s;
	pthread_t th[NWRITERS];
	int started, running;
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fjob q[FQ];	/* in the order handed over */
	int n, rc;
	bool busy[MAX_NODES][NT];
	uint64_t pushed;	/* jobs handed over */
	uint64_t through;	/* jobs 0 .. through - 1 have ended */
	bool ended[FRING];	/* job j has ended, at j % FRING */
	uint64_t bytes[FRING];	/* what job j wrote */
	uint64_t upto[FRING];	/* what jobs 0 .. j wrote */
	uint64_t guess[FRING];	/* job j: its memtable's model bytes */
	struct pit_err err;
};

/* The first job no writer may be doing a job of the same table before, or -1. */
static int next_job(const struct fwriter *fw)
{
	for (int i = 0; i < fw->n; i++) {
		const struct fjob *j = &fw->q[i];
		bool earlier = fw->busy[j->ni][j->t];
		for (int k = 0; k < i && !earlier; k++)
			earlier = fw->q[k].ni == j->ni && fw->q[k].t == j->t;
		if (!earlier)
			return i;
	}
	return -1;
}

static void *fw_main(void *arg)
{
	struct fwriter *fw = arg;
	struct sim *s = fw->s;

	pthread_mutex_lock(&fw->mu);
	for (;;) {
		int i = next_job(fw);
		if (i < 0) {
			if (fw->stop && !fw->n)
				break;
			pthread_cond_wait(&fw->cv, &fw->mu);
			continue;
		}
		struct fjob j = fw->q[i];
		memmove(&fw->q[i], &fw->q[i + 1], (size_t)(fw->n - i - 1) * sizeof(*fw->q));
		fw->n--;
		fw->busy[j.ni][j.t] = true;
		fw->running++;
		int failed = fw->rc;
		pthread_mutex_unlock(&fw->mu);
		struct wrote wr = { 0, 0, 0 };
		struct pit_err err = { 0 };
		int rc = failed ? failed : flush_now(s, j.ni, j.t, &j.m, j.now_us, &wr, &err);
		gmem_release(&j.m);
		pthread_mutex_lock(&fw->mu);
		fw->busy[j.ni][j.t] = false;
		fw->running--;
		s->written += wr.bytes;
		s->sum->flushes += wr.flushes;
		s->sum->compactions += wr.compactions;
		s->sum->sstables += wr.flushes + wr.compactions;
		s->sum->bytes += wr.bytes;
		fw->ended[j.seq % FRING] = true;
		fw->bytes[j.seq % FRING] = wr.bytes;
		for (; fw->ended[fw->through % FRING] && fw->through < fw->pushed; fw->through++) {
			uint64_t k = fw->through;
			fw->ended[k % FRING] = false;
			fw->upto[k % FRING] = (k ? fw->upto[(k - 1) % FRING] : 0) + fw->bytes[k % FRING];
		}
		if (rc < 0 && !fw->rc) {
			fw->rc = rc;
			fw->err = err;
		}
		uint64_t written = s->written;
		pthread_cond_broadcast(&fw->cv);
		if (s->o->progress) {
			pthread_mutex_unlock(&fw->mu);
			s->o->progress(s->o->ctx, written, s->o->size);
			pthread_mutex_lock(&fw->mu);
		}
	}
	pthread_mutex_unlock(&fw->mu);
	return NULL;
}

static int fw_start(struct sim *s)
{
	struct fwriter *fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->s = s;
	pthread_mutex_init(&fw->mu, NULL);
	pthread_cond_init(&fw->cv, NULL);
	s->fw = fw;
	for (; fw->started < NWRITERS; fw->started++)
		if (pthread_create(&fw->th[fw->started], NULL, fw_main, fw) != 0)
			break;
	return fw->started ? 0 : pit_errf(s->err, -EAGAIN, "cannot start the flush writers");
}

/* Waits for every pending flush; then s->written and the nodes' SSTable
 * lists are exact again. */
static int fw_drain(struct sim *s)
{
	struct fwriter *fw = s->fw;

	pthread_mutex_lock(&fw->mu);
	while (fw->n || fw->running)
		pthread_cond_wait(&fw->cv, &fw->mu);
	int rc = fw->rc;
	pthread_mutex_unlock(&fw->mu);
	if (rc < 0) {
		*s->err = fw->err;
		return rc;
	}
	return 0;
}

static void fw_stop(struct sim *s)
{
	struct fwriter *fw = s->fw;
	if (!fw)
		return;
	pthread_mutex_lock(&fw->mu);
	fw->stop = true;
	if (!fw->rc)
		fw->rc = -ECANCELED;	/* what is still queued is dropped */
	pthread_cond_broadcast(&fw->cv);
	pthread_mutex_unlock(&fw->mu);
	for (int i = 0; i < fw->started; i++)
		pthread_join(fw->th[i], NULL);
	for (int i = 0; i < fw->n; i++)
		gmem_release(&fw->q[i].m);
	pthread_mutex_destroy(&fw->mu);
	pthread_cond_destroy(&fw->cv);
	free(fw);
	s->fw = NULL;
}

/* Hands a full memtable to the writers and starts an empty one. */
static int flush(struct sim *s, int ni, int t)
{
	struct fwriter *fw = s->fw;
	struct gmem *m = &s->nodes[ni].mem[t];

	if (m->nparts == 0)
		return 0;
	uint64_t next = s->o->size * (uint64_t)(s->nsnap + 1) / NSNAP, j;
	pthread_mutex_lock(&fw->mu);
	j = fw->pushed;
	while (((j >= LAG && fw->through <= j - LAG) || fw->n == FQ) && !fw->rc)
		pthread_cond_wait(&fw->cv, &fw->mu);
	int rc = fw->rc;
	if (!rc) {
		uint64_t expect = j >= LAG ? fw->upto[(j - LAG) % FRING] : 0;
		fw->guess[j % FRING] = m->bytes;
		for (uint64_t k = j >= LAG ? j - LAG + 1 : 0; k <= j; k++)
			expect += fw->guess[k % FRING];
		if (expect >= next)
			s->snap_check = true;
		fw->q[fw->n++] = (struct fjob){ ni, t, *m, s->now_us, j };
		fw->pushed++;
		pthread_cond_broadcast(&fw->cv);
	}
	pthread_mutex_unlock(&fw->mu);
	if (rc < 0) {
		gmem_release(m);
		gmem_init(m, &s->t[t]);
		return fw_drain(s);	/* brings the writers' error over */
	}
	gmem_init(m, &s->t[t]);
	return 0;
}

/* Reads the rest of the current partition of a scan into m (compaction reads
 * Cassandra's own files back, as Cassandra does). */
static int load_partition(struct sst_scan *sc, const struct sst_header *h, const struct sst_partition *p,
			  struct gmem *m, struct pit_err *err)
{
	const struct sst_unfiltered *u;
	struct gpart *gp = gmem_part(m, p->key, p->key_len);
	int64_t open_at = 0;
	struct sst_deletion open = { SST_NO_TS, SST_NO_LDT };
	uint32_t hint = 0;
	int rc;

	if (!sst_deletion_live(&p->deletion))
		gmem_partition_deletion(m, gp, &p->deletion);
	while ((rc = sst_scan_next(sc, &u, err)) == 1) {
		if (u->kind == SST_MARKER) {
			int64_t at = u->nclust ? (int64_t)be64(u->cval[0]) : 0;
			if (!sst_deletion_live(&open) && u->bound != SST_INCL_START_BOUND) {
				struct grt rt = { open_at, at, open };
				gmem_range_deletion(m, gp, &rt);
			}
			open = u->bound == SST_EXCL_END_BOUND ? (struct sst_deletion){ SST_NO_TS, SST_NO_LDT }
							      : u->bound == SST_INCL_START_BOUND ? u->marker[0] : u->marker[1];
			open_at = at;
			continue;
		}
		struct grow *r;
		if (u->kind == SST_STATIC_ROW) {
			r = gpart_static(m, gp);
		} else {
			uint8_t ck[512];
			uint32_t n = 0;
			for (int i = 0; i < u->nclust && n + 2 + u->clen[i] <= sizeof(ck); i++) {
				put_be16(ck + n, (uint16_t)u->clen[i]);
				memcpy(ck + n + 2, u->cval[i], u->clen[i]);
				n += 2 + u->clen[i];
			}
			r = gpart_row_from(m, gp, ck, n, &hint);
		}
		if (u->liveness.ts != SST_NO_TS)
			gmem_liveness(m, r, &u->liveness);
		if (!sst_deletion_live(&u->deletion))
			gmem_row_deletion(m, r, &u->deletion);
		for (uint32_t i = 0; i < u->ncomplex; i++)
			gmem_complex_deletion(m, r, u->complex[i].col, &u->complex[i].del);
		const struct sst_column *cols = u->kind == SST_STATIC_ROW ? h->statics : h->regulars;
		for (uint32_t i = 0; i < u->ncells; i++) {
			const struct sst_cell *c = &u->cells[i];
			struct gcell g = { c->col, GC_LIVE, c->ts, c->ttl, c->ldt, { (uint8_t *)c->path, c->path_len },
					   { (uint8_t *)c->value, c->len } };
			if (c->flags & SST_CELL_DELETED)
				g.kind = GC_TOMB;
			else if (c->flags & SST_CELL_EXPIRING)
				g.kind = GC_EXPIRING;
			else if (cql_type_kind(cols[c->col].type) == CQL_COUNTER)
				g.kind = GC_COUNTER;
			gmem_cell(m, r, &g);
		}
	}
	return rc;
}

struct input {
	struct sst *sst;
	struct sst_scan *sc;
	const struct sst_partition *p;	/* current partition, NULL at the end */
	int64_t token;
};

static int open_input(const char *tdir, int gen, struct input *in, struct pit_err *err)
{
	char path[4096];
	int rc;

	memset(in, 0, sizeof(*in));
	snprintf(path, sizeof(path), "%s/nb-%d-big-Data.db", tdir, gen);
	if ((rc = sst_open_path(&in->sst, path, err)) < 0 || (rc = sst_scan_open(&in->sc, in->sst, err)) < 0)
		return rc;
	return 0;
}

static int advance(struct input *in, struct pit_err *err)
{
	int rc = sst_scan_next_partition(in->sc, &in->p, err);
	if (rc <= 0)
		in->p = NULL;
	else
		in->token = sst_murmur3_token(in->p->key, in->p->key_len);
	return rc < 0 ? rc : 0;
}

static void close_input(struct input *in)
{
	sst_scan_close(in->sc);
	sst_close(in->sst);
}

static int key_cmp(const struct input *a, const struct input *b)
{
	if (a->token != b->token)
		return a->token < b->token ? -1 : 1;
	size_t n = a->p->key_len < b->p->key_len ? a->p->key_len : b->p->key_len;
	int c = memcmp(a->p->key, b->p->key, n);
	return c ? c : (a->p->key_len > b->p->key_len) - (a->p->key_len < b->p->key_len);
}

/* Merges SSTables partition by partition, holding one partition at a time. */
static int merge_into(struct input *in, int n, const struct gtable *t, struct sst_writer *w,
		      const struct gen_purge *pg, struct pit_err *err)
{
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++)
		rc = advance(&in[i], err);
	while (rc == 0) {
		int min = -1;
		for (int i = 0; i < n; i++)
			if (in[i].p && (min < 0 || key_cmp(&in[i], &in[min]) < 0))
				min = i;
		if (min < 0)
			break;
		struct gmem m;
		gmem_init(&m, t);
		for (int i = 0; i < n && rc == 0; i++)
			if (i != min && in[i].p && key_cmp(&in[i], &in[min]) == 0 &&
			    (rc = load_partition(in[i].sc, sst_header(in[i].sst), in[i].p, &m, err)) == 0)
				rc = advance(&in[i], err);
		if (rc == 0 && (rc = load_partition(in[min].sc, sst_header(in[min].sst), in[min].p, &m, err)) == 0)
			rc = advance(&in[min], err);
		if (rc == 0)
			rc = gen_write_parts(w, &m, pg, err);
		gmem_release(&m);
	}
	return rc;
}

static void remove_sstable(const char *tdir, int gen)
{
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/nb-%d-big-%s", tdir, gen, components[i]);
		unlink(p);
	}
}

static int cmp_sst(const void *a, const void *b)
{
	const struct gsst *x = a, *y = b;
	return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

/* Size-tiered: four SSTables within a factor of two of each other merge into
 * one; tombstones past gc_grace go when nothing older can be elsewhere. */
static int compact(struct sim *s, int ni, int t, int64_t now_us, struct wrote *wr, struct pit_err *err)
{
	struct gnode *n = &s->nodes[ni];
	int rc;

	if (n->nssts[t] < 4)
		return 0;
	qsort(n->ssts[t], (size_t)n->nssts[t], sizeof(struct gsst), cmp_sst);
	int pick = -1;
	for (int i = 0; i + 4 <= n->nssts[t] && pick < 0; i++)
		if (n->ssts[t][i + 3].bytes <= 2 * n->ssts[t][i].bytes + 4096)
			pick = i;
	if (pick < 0)
		return 0;
	/* the table's memtable was just flushed: only the other SSTables can
	 * hold older data */
	struct gen_purge pg = { now_us / 1000000, s->t[t].gc_grace, INT64_MAX };
	for (int i = 0; i < n->nssts[t]; i++)
		if ((i < pick || i >= pick + 4) && n->ssts[t][i].min_ts < pg.other_min_ts)
			pg.other_min_ts = n->ssts[t][i].min_ts;
	int64_t min_ts = INT64_MAX;
	struct input in[4];
	int opened = 0;
	rc = 0;
	for (int i = 0; i < 4 && rc == 0; i++, opened++) {
		rc = open_input(n->tdir[t], n->ssts[t][pick + i].gen, &in[i], err);
		if (n->ssts[t][pick + i].min_ts < min_ts)
			min_ts = n->ssts[t][pick + i].min_ts;
	}
	int gen = n->next_gen[t]++;
	uint64_t bytes = 0;
	struct sst_writer_opts o = writer_opts(s, n);
	struct sst_writer *w = NULL;
	if (rc == 0 && (rc = sst_writer_open(&w, n->tdir[t], gen, &s->t[t].hdr, &o, err)) == 0 &&
	    (rc = merge_into(in, 4, &s->t[t], w, &pg, err)) == 0 && (rc = sst_writer_finish(w, err)) == 0)
		bytes = gen_sstable_bytes(n->tdir[t], gen);
	sst_writer_close(w);
	for (int i = 0; i < opened; i++)
		close_input(&in[i]);
	if (rc < 0)
		return rc;
	touch_sstable(n->tdir[t], gen, now_us);
	for (int i = pick; i < pick + 4; i++)
		remove_sstable(n->tdir[t], n->ssts[t][i].gen);
	memmove(&n->ssts[t][pick], &n->ssts[t][pick + 4], (size_t)(n->nssts[t] - pick - 4) * sizeof(struct gsst));
	n->nssts[t] -= 4;
	add_sst(n, t, gen, min_ts, bytes, false);
	wr->bytes += bytes;
	wr->compactions++;
	return 0;
}

/* ---- snapshots ---- */

static int write_text(const char *path, const char *text, size_t n, int64_t mtime)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(text, 1, n, f) != n) {
		if (f)
			fclose(f);
		return -EIO;
	}
	fclose(f);
	set_mtime(path, mtime);
	return 0;
}

static int cmp_gen(const void *a, const void *b)
{
	const struct gsst *x = a, *y = b;
	return x->gen - y->gen;
}

/* Every node also holds system_schema.keyspaces, written when the cluster
 * was created; a snapshot of every keyspace takes it along, as nodetool
 * snapshot does. */
#define KEYSPACES_TDIR "system_schema/keyspaces-abac5682dea631c5b535b3d6cffd0fb6"

static int snapshot_keyspaces(struct sim *s, struct gnode *n, int k, const char *created)
{
	char data[4096], tdir[4200], sub[64], dir[4300], path[4400];
	int rc;

	/* <data>/<keyspace>/<table dir>: the node's data directory two levels up */
	snprintf(data, sizeof(data), "%s", n->tdir[0]);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(data, '/');
		if (slash)
			*slash = '\0';
	}
	snprintf(tdir, sizeof(tdir), "%s/" KEYSPACES_TDIR, data);
	if (k == 0) {
		struct sst_writer_opts o = writer_opts(s, n);
		if ((rc = mkdirs(tdir)) < 0)
			return pit_errf(s->err, rc, "%s: %s", tdir, strerror(-rc));
		if ((rc = gen_write_keyspaces(tdir, s->rf, T0_US, &o, s->err)) < 0)
			return rc;
		touch_sstable(tdir, 1, T0_US);
	}
	snprintf(sub, sizeof(sub), "snapshots/%s", s->snap_tag[k]);
	snprintf(dir, sizeof(dir), "%s/%s", tdir, sub);
	if ((rc = mkdirs(dir)) < 0)
		return pit_errf(s->err, rc, "%s: %s", dir, strerror(-rc));
	link_into(tdir, 1, sub);
	struct sbuf man;
	sbuf_init(&man);
	sbuf_addf(&man, "{\"files\":[\"nb-1-big-Data.db\"],\"created_at\":\"%s\",\"expires_at\":null,"
		  "\"ephemeral\":false}\n", created);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	rc = write_text(path, man.buf, man.len, s->now_us);
	sbuf_release(&man);
	return rc < 0 ? pit_errf(s->err, rc, "%s: cannot write the snapshot", dir) : 0;
}

static int snapshot(struct sim *s)
{
	int rc;
	int k = s->nsnap;
	char created[64];

	for (int ni = 0; ni < s->nnodes; ni++)
		for (int t = 0; t < NT; t++)
			if ((rc = flush(s, ni, t)) < 0)
				return rc;
	if ((rc = fw_drain(s)) < 0)
		return rc;
	snprintf(s->snap_tag[k], sizeof(s->snap_tag[k]), "%lld", (long long)(s->now_us / 1000));
	s->snap_at[k] = s->now_us;
	cql_time_us_str(s->now_us, created);
	for (int ni = 0; ni < s->nnodes; ni++)
		for (int t = 0; t < NT; t++) {
			struct gnode *n = &s->nodes[ni];
			char sub[64], dir[4096], path[8192];
			struct sbuf man, schema;
			snprintf(sub, sizeof(sub), "snapshots/%s", s->snap_tag[k]);
			snprintf(dir, sizeof(dir), "%s/%s", n->tdir[t], sub);
			if ((rc = mkdirs(dir)) < 0)
				return pit_errf(s->err, rc, "%s: %s", dir, strerror(-rc));
			qsort(n->ssts[t], (size_t)n->nssts[t], sizeof(struct gsst), cmp_gen);
			sbuf_init(&man);
			sbuf_adds(&man, "{\"files\":[");
			for (int i = 0; i < n->nssts[t]; i++) {
				link_into(n->tdir[t], n->ssts[t][i].gen, sub);
				sbuf_addf(&man, "%s\"nb-%d-big-Data.db\"", i ? "," : "", n->ssts[t][i].gen);
			}
			sbuf_addf(&man, "],\"created_at\":\"%s\",\"expires_at\":null,\"ephemeral\":false}\n", created);
			snprintf(path, sizeof(path), "%s/manifest.json", dir);
			rc = write_text(path, man.buf, man.len, s->now_us);
			sbuf_release(&man);
			sbuf_init(&schema);
			gen_schema_cql(&s->t[t], &schema);
			snprintf(path, sizeof(path), "%s/schema.cql", dir);
			if (rc == 0)
				rc = write_text(path, schema.buf, schema.len, s->now_us);
			sbuf_release(&schema);
			if (rc < 0)
				return pit_errf(s->err, rc, "%s: cannot write the snapshot", dir);
		}
	for (int ni = 0; ni < s->nnodes; ni++)
		if ((rc = snapshot_keyspaces(s, &s->nodes[ni], k, created)) < 0)
			return rc;
	s->nsnap++;
	s->snap_check = false;	/* the flushes above were of the size just reached */
	s->sum->snapshots++;
	return 0;
}

/* ---- writes ---- */

/* A mutation: one partition of one table, as a tiny model applied to each replica. */
struct mut {
	struct gmem m;
	struct gpart *p;
	int t;
};

static void mut_begin(struct sim *s, struct mut *mu, int t, const uint8_t *key, uint32_t n)
{
	mu->t = t;
	gmem_init(&mu->m, &s->t[t]);
	mu->p = gmem_part(&mu->m, key, n);
}

static struct gbytes B(const void *p, size_t n) { return (struct gbytes){ (uint8_t *)p, (uint32_t)n }; }

static void cell(struct mut *mu, struct grow *r, const char *col, uint8_t kind, int64_t ts, int32_t ttl, int64_t ldt,
		 struct gbytes path, struct gbytes value)
{
	bool st;
	struct gcell c = { (uint16_t)gen_col(mu->m.t, col, &st), kind, ts, ttl, ldt, path, value };
	gmem_cell(&mu->m, r, &c);
}

static uint32_t word(struct sim *s, char *buf, size_t cap)
{
	static const char *words[] = { "apple", "pear", "plum", "fig", "kiwi", "lime", "grape", "mango", "peach",
				       "cherry", "melon", "lemon", "olive", "date", "guava", "berry" };
	return (uint32_t)snprintf(buf, cap, "%s", words[rng_below(&s->rng, 16)]);
}

static void timeuuid(struct sim *s, int64_t us, uint8_t out[16])
{
	/* version 1: 100 ns intervals since 1582-10-15 */
	uint64_t t = (uint64_t)(us * 10) + 0x01b21dd213814000ull + rng_below(&s->rng, 10);
	put_be32(out, (uint32_t)t);
	put_be16(out + 4, (uint16_t)(t >> 32));
	put_be16(out + 6, (uint16_t)(((t >> 48) & 0x0fff) | 0x1000));
	uint64_t r = rng_next(&s->rng);
	put_be64(out + 8, (r & 0x3fffffffffffffffull) | 0x8000000000000000ull);
}

static void uuid4(struct sim *s, uint8_t out[16])
{
	put_be64(out, (rng_next(&s->rng) & 0xffffffffffff0fffull) | 0x4000);
	put_be64(out + 8, (rng_next(&s->rng) & 0x3fffffffffffffffull) | 0x8000000000000000ull);
}

static void write_customers(struct sim *s, struct mut *mu, int64_t ts, int64_t now_s)
{
	char key[32], v[96];
	uint64_t id = rng_below(&s->rng, s->pool);
	int kind = (int)rng_below(&s->rng, 100);
	int n = snprintf(key, sizeof(key), "cust-%05llu", (unsigned long long)id);
	mut_begin(s, mu, T_CUSTOMERS, (const uint8_t *)key, (uint32_t)n);
	struct grow *r = gpart_row(&mu->m, mu->p, NULL, 0);
	if (kind < 40) {	/* INSERT name, email, tier */
		struct sst_liveness l = { ts, 0, SST_NO_LDT };
		gmem_liveness(&mu->m, r, &l);
		n = snprintf(v, sizeof(v), "Customer %llu", (unsigned long long)id);
		cell(mu, r, "name", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(v, (size_t)n));
		n = snprintf(v, sizeof(v), "c%llu.%llu@example.com", (unsigned long long)id,
			     (unsigned long long)rng_below(&s->rng, 100));
		cell(mu, r, "email", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(v, (size_t)n));
		static const char *tiers[] = { "bronze", "silver", "gold" };
		const char *tier = tiers[rng_below(&s->rng, 3)];
		cell(mu, r, "tier", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(tier, strlen(tier)));
	} else if (kind < 55) {	/* UPDATE email */
		n = snprintf(v, sizeof(v), "new%llu@example.org", (unsigned long long)rng_below(&s->rng, 1000));
		cell(mu, r, "email", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(v, (size_t)n));
	} else if (kind < 65) {	/* tags = {...}: the old set goes */
		bool st;
		struct sst_deletion d = { ts - 1, now_s };
		gmem_complex_deletion(&mu->m, r, (uint16_t)gen_col(mu->m.t, "tags", &st), &d);
		for (int i = (int)rng_below(&s->rng, 3); i >= 0; i--) {
			n = (int)word(s, v, sizeof(v));
			cell(mu, r, "tags", GC_LIVE, ts, 0, SST_NO_LDT, B(v, (size_t)n), B(NULL, 0));
		}
	} else if (kind < 75) {	/* tags + {x} */
		n = (int)word(s, v, sizeof(v));
		cell(mu, r, "tags", GC_LIVE, ts, 0, SST_NO_LDT, B(v, (size_t)n), B(NULL, 0));
	} else if (kind < 83) {	/* prefs[k] = v */
		char k[16];
		int kn = (int)word(s, k, sizeof(k));
		n = snprintf(v, sizeof(v), "%llu", (unsigned long long)rng_below(&s->rng, 10));
		cell(mu, r, "prefs", GC_LIVE, ts, 0, SST_NO_LDT, B(k, (size_t)kn), B(v, (size_t)n));
	} else if (kind < 87) {	/* DELETE prefs[k] */
		n = (int)word(s, v, sizeof(v));
		cell(mu, r, "prefs", GC_TOMB, ts, 0, now_s, B(v, (size_t)n), B(NULL, 0));
	} else if (kind < 92) {	/* address = {street, city, zip}, zip sometimes null */
		uint8_t udt[128];
		size_t at = 0;
		char f[3][32];
		int fl[3] = { snprintf(f[0], 32, "%llu Main St", (unsigned long long)rng_below(&s->rng, 999)),
			      (int)word(s, f[1], 32), rng_chance(&s->rng, 0.3) ? -1 : snprintf(f[2], 32, "%05llu",
					(unsigned long long)rng_below(&s->rng, 99999)) };
		for (int i = 0; i < 3; i++) {
			put_be32(udt + at, (uint32_t)fl[i]);
			at += 4;
			if (fl[i] > 0) {
				memcpy(udt + at, f[i], (size_t)fl[i]);
				at += (size_t)fl[i];
			}
		}
		cell(mu, r, "address", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(udt, at));
	} else if (kind < 96) {	/* UPDATE ... USING TTL: a tier that expires */
		int32_t ttl = (int32_t)(30 + rng_below(&s->rng, 600));
		cell(mu, r, "tier", GC_EXPIRING, ts, ttl, now_s + ttl, B(NULL, 0), B("trial", 5));
	} else if (kind < 98) {	/* DELETE email */
		cell(mu, r, "email", GC_TOMB, ts, 0, now_s, B(NULL, 0), B(NULL, 0));
	} else {		/* DELETE the customer */
		struct sst_deletion d = { ts, now_s };
		gmem_partition_deletion(&mu->m, mu->p, &d);
	}
}

static void write_orders(struct sim *s, struct mut *mu, int64_t ts, int64_t now_s)
{
	char key[32], v[64];
	uint64_t id = rng_below(&s->rng, s->pool);
	int kind = (int)rng_below(&s->rng, 100);
	int n = snprintf(key, sizeof(key), "cust-%05llu", (unsigned long long)id);
	uint8_t *last = s->last_order[id];
	mut_begin(s, mu, T_ORDERS, (const uint8_t *)key, (uint32_t)n);
	if (kind >= 50 && kind < 88 && !last[0] && !last[1])
		kind = 0;	/* nothing to update yet: insert */
	if (kind < 50) {	/* INSERT an order */
		uint8_t ck[2 + 8 + 2 + 16];
		put_be16(ck, 8);
		put_be64(ck + 2, (uint64_t)(ts / 1000));
		put_be16(ck + 10, 16);
		uuid4(s, ck + 12);
		memcpy(last, ck, sizeof(ck));
		struct grow *r = gpart_row(&mu->m, mu->p, ck, sizeof(ck));
		struct sst_liveness l = { ts, 0, SST_NO_LDT };
		gmem_liveness(&mu->m, r, &l);
		cell(mu, r, "status", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B("NEW", 3));
		uint8_t dec[12];	/* decimal: scale 2, unscaled as a varint */
		put_be32(dec, 2);
		uint32_t cents = (uint32_t)rng_below(&s->rng, 100000);
		put_be32(dec + 4, cents);
		cell(mu, r, "amount", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(dec, 8));
		bool st;
		struct sst_deletion d = { ts - 1, now_s };
		gmem_complex_deletion(&mu->m, r, (uint16_t)gen_col(mu->m.t, "items", &st), &d);
		for (int i = (int)rng_below(&s->rng, 3); i >= 0; i--) {
			uint8_t path[16];
			timeuuid(s, ts + i, path);
			n = (int)word(s, v, sizeof(v));
			cell(mu, r, "items", GC_LIVE, ts, 0, SST_NO_LDT, B(path, 16), B(v, (size_t)n));
		}
		if (rng_chance(&s->rng, 0.3)) {
			int32_t ttl = (int32_t)(60 + rng_below(&s->rng, 3600));
			cell(mu, r, "note", GC_EXPIRING, ts, ttl, now_s + ttl, B(NULL, 0), B("gift wrap", 9));
		}
	} else if (kind < 68) {	/* UPDATE status */
		static const char *st[] = { "PAID", "SHIPPED", "DELIVERED", "RETURNED" };
		const char *val = st[rng_below(&s->rng, 4)];
		struct grow *r = gpart_row(&mu->m, mu->p, last, 28);
		cell(mu, r, "status", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(val, strlen(val)));
	} else if (kind < 78) {	/* items + [x] */
		struct grow *r = gpart_row(&mu->m, mu->p, last, 28);
		uint8_t path[16];
		timeuuid(s, ts, path);
		n = (int)word(s, v, sizeof(v));
		cell(mu, r, "items", GC_LIVE, ts, 0, SST_NO_LDT, B(path, 16), B(v, (size_t)n));
	} else if (kind < 88) {	/* DELETE an order */
		struct grow *r = gpart_row(&mu->m, mu->p, last, 28);
		struct sst_deletion d = { ts, now_s };
		gmem_row_deletion(&mu->m, r, &d);
		memset(last, 0, 28);
	} else if (kind < 98) {	/* the static tier */
		struct grow *r = gpart_static(&mu->m, mu->p);
		n = snprintf(v, sizeof(v), "tier-%llu", (unsigned long long)rng_below(&s->rng, 4));
		cell(mu, r, "tier", GC_LIVE, ts, 0, SST_NO_LDT, B(NULL, 0), B(v, (size_t)n));
	} else {		/* DELETE all of a customer's orders */
		struct sst_deletion d = { ts, now_s };
		gmem_partition_deletion(&mu->m, mu->p, &d);
		memset(last, 0, 28);
	}
}

static void write_readings(struct sim *s, struct mut *mu, int64_t ts, int64_t now_s)
{
	uint8_t key[64];
	char sensor[16];
	uint64_t id = rng_below(&s->rng, s->pool / 8 + 1);
	int n = snprintf(sensor, sizeof(sensor), "s-%03llu", (unsigned long long)id);
	/* CompositeType(text, date): each component u16 length, bytes, end-of-component 0 */
	size_t at = 0;
	put_be16(key, (uint16_t)n);
	memcpy(key + 2, sensor, (size_t)n);
	at = 2 + (size_t)n;
	key[at++] = 0;
	put_be16(key + at, 4);
	put_be32(key + at + 2, (uint32_t)((ts / 1000000 / 86400) + (1ll << 31)));
	at += 6;
	key[at++] = 0;
	mut_begin(s, mu, T_READINGS, key, (uint32_t)at);
	int kind = (int)rng_below(&s->rng, 100);
	int64_t ms = ts / 1000;
	if (kind < 90) {	/* INSERT a reading; metrics mostly expire within hours */
		uint8_t ck[10];
		put_be16(ck, 8);
		put_be64(ck + 2, (uint64_t)ms);
		struct grow *r = gpart_row(&mu->m, mu->p, ck, 10);
		bool expiring = rng_chance(&s->rng, 0.7);
		int32_t ttl = expiring ? (int32_t)(1800 + rng_below(&s->rng, 5400)) : 0;
		struct sst_liveness l = { ts, ttl, expiring ? now_s + ttl : SST_NO_LDT };
		gmem_liveness(&mu->m, r, &l);
		uint8_t d[8], q[4];
		double val = (double)(rng_below(&s->rng, 100000)) / 100.0;
		memcpy(d, &val, 8);
		uint64_t u;
		memcpy(&u, &val, 8);
		put_be64(d, u);
		put_be32(q, (uint32_t)rng_below(&s->rng, 5));
		uint8_t k = expiring ? GC_EXPIRING : GC_LIVE;
		cell(mu, r, "value", k, ts, ttl, l.ldt, B(NULL, 0), B(d, 8));
		cell(mu, r, "quality", k, ts, ttl, l.ldt, B(NULL, 0), B(q, 4));
	} else {	/* DELETE ... WHERE ts >= a AND ts < b */
		int64_t span = (int64_t)rng_below(&s->rng, 60000) + 1000;
		int64_t start = ms - span - (int64_t)rng_below(&s->rng, 120000);
		struct grt rt = { start, start + span, { ts, now_s } };
		gmem_range_deletion(&mu->m, mu->p, &rt);
	}
}

/* Applies a mutation to each replica that does not miss it. */
static int deliver(struct sim *s, struct mut *mu)
{
	int reps[MAX_NODES], nr = replicas(s, mu->p->token, reps), rc;
	for (int i = 0; i < nr; i++) {
		if (rng_chance(&s->rng, s->o->miss))
			continue;	/* a dropped mutation, a hint that never arrived */
		struct gnode *n = &s->nodes[reps[i]];
		gmem_merge(&n->mem[mu->t], &mu->m, INT64_MAX);
		if (n->mem[mu->t].bytes >= s->flush_at && (rc = flush(s, reps[i], mu->t)) < 0)
			return rc;
	}
	return 0;
}

static int write_counter(struct sim *s, int64_t ts)
{
	char key[32];
	uint64_t page = rng_below(&s->rng, s->pool / 4 + 1);
	int n = snprintf(key, sizeof(key), "/page/%llu", (unsigned long long)page), rc;
	int64_t tok = sst_murmur3_token((const uint8_t *)key, (size_t)n);
	int reps[MAX_NODES], nr = replicas(s, tok, reps);
	bool got[MAX_NODES];
	int leader = -1;
	for (int i = 0; i < nr; i++)
		if ((got[i] = !rng_chance(&s->rng, s->o->miss)) && leader < 0)
			leader = reps[i];
	if (leader < 0)
		return 0;	/* no replica took it: the increment is lost */
	/* the leader adds to its own shard; the new shard goes to the replicas */
	int64_t *st = s->ctr[page][leader];
	st[0]++;
	st[1] += (int64_t)rng_below(&s->rng, 5) + 1;
	uint8_t ctx[2 + 2 + 32];
	put_be16(ctx, 1);
	put_be16(ctx + 2, 0x8000);
	memcpy(ctx + 4, s->nodes[leader].host_id, 16);
	put_be64(ctx + 20, (uint64_t)st[0]);
	put_be64(ctx + 28, (uint64_t)st[1]);
	for (int i = 0; i < nr; i++) {
		if (!got[i])
			continue;
		struct gnode *nd = &s->nodes[reps[i]];
		struct gmem *m = &nd->mem[T_PAGE_VIEWS];
		struct gpart *p = gmem_part(m, (const uint8_t *)key, (uint32_t)n);
		struct grow *r = gpart_row(m, p, NULL, 0);
		struct gcell c = { 0, GC_COUNTER, ts, 0, SST_NO_LDT, { NULL, 0 }, { ctx, sizeof(ctx) } };
		gmem_cell(m, r, &c);
		if (m->bytes >= s->flush_at && (rc = flush(s, reps[i], T_PAGE_VIEWS)) < 0)
			return rc;
	}
	return 0;
}

static int one_write(struct sim *s)
{
	int64_t ts = s->now_us + s->skew[rng_below(&s->rng, CLIENTS)], now_s = s->now_us / 1000000;
	int which = (int)rng_below(&s->rng, 100), rc;
	struct mut mu;

	s->sum->writes++;
	if (which < 10)
		return write_counter(s, ts);
	if (which < 35)
		write_customers(s, &mu, ts, now_s);
	else if (which < 65)
		write_orders(s, &mu, ts, now_s);
	else
		write_readings(s, &mu, ts, now_s);
	rc = deliver(s, &mu);
	gmem_release(&mu.m);
	return rc;
}

/* ---- the run ---- */

static int setup(struct sim *s)
{
	char path[4096];
	int rc;

	for (int t = 0; t < NT; t++)
		if ((rc = gen_table_init(&s->t[t], t, s->o->seed * 31 + (uint64_t)t + 1, s->err)) < 0)
			return rc;
	for (int i = 0; i < s->nnodes; i++) {
		struct gnode *n = &s->nodes[i];
		snprintf(n->name, sizeof(n->name), "node%d", i + 1);
		snprintf(n->rack, sizeof(n->rack), "rack%d", i % 3 + 1);
		put_be64(n->host_id, (rng_next(&s->rng) & 0xffffffffffff0fffull) | 0x4000);
		put_be64(n->host_id + 8, (rng_next(&s->rng) & 0x3fffffffffffffffull) | 0x8000000000000000ull);
		for (int v = 0; v < VNODES; v++) {
			n->tokens[v] = (int64_t)rng_next(&s->rng);
			s->ring[i * VNODES + v].token = n->tokens[v];
			s->ring[i * VNODES + v].node = i;
		}
		qsort(n->tokens, VNODES, sizeof(int64_t), cmp_ring);
		for (int t = 0; t < NT; t++) {
			gmem_init(&n->mem[t], &s->t[t]);
			n->next_gen[t] = 1;
			if (asprintf(&n->tdir[t], "%s/%s/data/%s/%s-%s", s->o->outdir, n->name, s->t[t].ks, s->t[t].name,
				     s->t[t].id) < 0)
				return -ENOMEM;
			if ((rc = mkdirs(n->tdir[t])) < 0)
				return pit_errf(s->err, rc, "%s: %s", n->tdir[t], strerror(-rc));
		}
	}
	qsort(s->ring, (size_t)(s->nnodes * VNODES), sizeof(s->ring[0]), cmp_ring);
	for (int c = 0; c < CLIENTS; c++)
		s->skew[c] = s->o->skew_us ? (int64_t)rng_below(&s->rng, 2 * (uint64_t)s->o->skew_us + 1) - s->o->skew_us : 0;
	if (s->o->no_truth)
		return 0;
	snprintf(path, sizeof(path), "%s/.gen-log", s->o->outdir);
	if (!(s->log_path = strdup(path)) || !(s->log = fopen(path, "w+")))
		return pit_errf(s->err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static int write_cluster_json(struct sim *s, const int64_t *truth_at, int ntruth)
{
	struct sbuf j;
	char iso[64], path[4096];
	int rc;

	sbuf_init(&j);
	sbuf_adds(&j, "{\n  \"nodes\": [\n");
	for (int i = 0; i < s->nnodes; i++) {
		struct gnode *n = &s->nodes[i];
		struct sbuf hid;
		struct cql_type *ut = NULL;
		sbuf_init(&hid);
		cql_type_parse_marshal(&ut, "UUIDType", 8, NULL);
		cql_value_render(ut, n->host_id, 16, CQL_STYLE_LITERAL, &hid, NULL);
		cql_type_free(ut);
		sbuf_addf(&j, "    {\"name\": \"%s\", \"dc\": \"dc1\", \"rack\": \"%s\", \"host_id\": \"%s\", "
			      "\"data_dir\": \"%s/data\", \"tokens\": [", n->name, n->rack, hid.buf, n->name);
		sbuf_release(&hid);
		for (int v = 0; v < VNODES; v++)
			sbuf_addf(&j, "%s\"%lld\"", v ? ", " : "", (long long)n->tokens[v]);
		sbuf_addf(&j, "]}%s\n", i + 1 < s->nnodes ? "," : "");
	}
	sbuf_adds(&j, "  ],\n  \"snapshots\": [\n");
	for (int k = 0; k < s->nsnap; k++) {
		cql_time_us_str(s->snap_at[k], iso);
		sbuf_addf(&j, "    {\"tag\": \"%s\", \"instant\": \"%s\"}%s\n", s->snap_tag[k], iso,
			  k + 1 < s->nsnap ? "," : "");
	}
	sbuf_adds(&j, "  ],\n  \"truth\": [\n");
	for (int k = 0; k < ntruth; k++) {
		cql_time_us_str(truth_at[k], iso);
		sbuf_addf(&j, "    {\"instant\": \"%s\", \"dir\": \"truth/%d\"}%s\n", iso, k + 1, k + 1 < ntruth ? "," : "");
	}
	sbuf_addf(&j, "  ],\n  \"keyspaces\": {\n"
		      "    \"shop\": {\"class\": \"NetworkTopologyStrategy\", \"dc1\": \"%d\"},\n"
		      "    \"metrics\": {\"class\": \"NetworkTopologyStrategy\", \"dc1\": \"%d\"}\n  },\n  \"tables\": [\n",
		  s->rf, s->rf);
	for (int t = 0; t < NT; t++)
		sbuf_addf(&j, "    {\"keyspace\": \"%s\", \"table\": \"%s\", \"id\": \"%s\"}%s\n", s->t[t].ks,
			  s->t[t].name, s->t[t].id, t + 1 < NT ? "," : "");
	sbuf_addf(&j, "  ],\n  \"seed\": %llu\n}\n", (unsigned long long)s->o->seed);
	snprintf(path, sizeof(path), "%s/cluster.json", s->o->outdir);
	rc = j.oom ? -ENOMEM : write_text(path, j.buf, j.len, s->now_us);
	sbuf_release(&j);
	return rc < 0 ? pit_errf(s->err, rc, "%s: cannot write", path) : 0;
}

/* The truth's instants in order: halfway to each snapshot from the one
 * before (or from the start), then the snapshot itself. */
static int64_t instant(const struct sim *s, int k)
{
	int64_t snap = s->snap_at[k / 2], prev = k / 2 ? s->snap_at[k / 2 - 1] : T0_US;
	return k % 2 ? snap : prev + (snap - prev) / 2;
}

/* Starts the truth of the instants no later write can reach: a write after
 * the snapshot just taken has a timestamp above its instant less the
 * clients' skew (less one for the collection deletions written just below a
 * write), and every write before it has been flushed into the log. So the
 * truth runs on the second core while the simulation goes on. With all, the
 * rest, at the end. */
static int truth_advance(struct sim *s, struct truth *tr, int *ndone, bool all)
{
	int64_t at[2 * NSNAP], bound = all ? INT64_MAX : s->snap_at[s->nsnap - 1] - s->o->skew_us - 2;
	int dir[2 * NSNAP], n = 0, rc;

	for (int k = *ndone; k < 2 * s->nsnap && instant(s, k) <= bound; k++) {
		at[n] = instant(s, k);
		dir[n++] = k + 1;
	}
	if (!n)
		return 0;
	if ((rc = fw_drain(s)) < 0 || (rc = truth_wait(tr, s->err)) < 0 ||
	    (rc = truth_run(tr, at, dir, n, s->log, s->err)) < 0)
		return rc;
	*ndone += n;
	return 0;
}

/* 0 when dir holds nothing, -EEXIST when it holds something: a new cluster
 * over an old one would mix their files. */
static int empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = -EEXIST;
	closedir(d);
	return rc;
}

int gen_run(const struct gen_opts *opts, struct gen_summary *sum, struct pit_err *err)
{
	struct gen_opts o = *opts;
	struct sim *s = calloc(1, sizeof(*s));
	struct truth *tr = NULL;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (!o.nodes)
		o.nodes = 3;
	if (!o.rf)
		o.rf = 3;
	if (!o.size)
		o.size = 16u << 20;
	if (o.miss < 0 || o.miss >= 1)
		o.miss = 0.05;
	if (o.nodes < 1 || o.nodes > MAX_NODES)
		return pit_errf(err, -EINVAL, "--nodes must be between 1 and %d", MAX_NODES);
	s->o = &o;
	s->sum = sum;
	s->err = err;
	s->nnodes = o.nodes;
	s->rf = o.rf < o.nodes ? o.rf : o.nodes;
	s->now_us = T0_US;
	rng_seed(&s->rng, o.seed);
	/* memtables flush a few times per table and node before the end */
	s->flush_at = o.size / ((uint64_t)o.nodes * NT * 6);
	if (s->flush_at < 16384)
		s->flush_at = 16384;
	if (s->flush_at > (8u << 20))	/* memtables stay small: big runs flush (and compact) more */
		s->flush_at = 8u << 20;
	/* keys get rewritten often, as in a real table: the live data stays well
	 * below what is written, and so does the truth */
	s->pool = o.size / 16384 + 16;
	if (!(s->ctr = calloc(s->pool / 4 + 2, sizeof(*s->ctr))) || !(s->last_order = calloc(s->pool, sizeof(*s->last_order)))) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = mkdirs(o.outdir)) < 0) {
		rc = pit_errf(err, rc, "%s: %s", o.outdir, strerror(-rc));
		goto out;
	}
	if ((rc = empty_dir(o.outdir)) < 0) {
		rc = pit_errf(err, rc, "%s: %s", o.outdir,
			      rc == -EEXIST ? "not empty (gen makes a new cluster: remove it or choose another directory)"
					    : strerror(-rc));
		goto out;
	}
	if ((rc = setup(s)) < 0)
		goto out;
	const char *names[MAX_NODES];
	for (int i = 0; i < s->nnodes; i++)
		names[i] = s->nodes[i].name;
	if ((!o.no_truth && (rc = truth_begin(&tr, o.outdir, s->t, NT, names, s->nnodes, err)) < 0) ||
	    (rc = fw_start(s)) < 0)
		goto out;
	/* about six hours of simulated time whatever the size, so that TTLs run
	 * out and gc_grace_seconds passes: ~270 bytes of SSTables per write */
	uint64_t gap = (uint64_t)(21600e6 * 270 / (double)o.size);
	if (gap < 100)
		gap = 100;
	int ndone = 0;
	while (s->nsnap < NSNAP && rc == 0) {
		s->now_us += (int64_t)rng_below(&s->rng, 2 * gap) + 1;
		rc = one_write(s);
		uint64_t next = o.size * (uint64_t)(s->nsnap + 1) / NSNAP;
		if (rc == 0 && s->snap_check && (rc = fw_drain(s)) == 0 && !(s->snap_check = false) &&
		    s->written >= next && (rc = snapshot(s)) == 0 && s->nsnap < NSNAP && tr)
			rc = truth_advance(s, tr, &ndone, false);
	}
	if (rc < 0)
		goto out;
	struct timespec tt0, tt1;
	clock_gettime(CLOCK_MONOTONIC, &tt0);
	if (tr && ((rc = truth_advance(s, tr, &ndone, true)) < 0 || (rc = truth_wait(tr, err)) < 0))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &tt1);
	sum->truth_seconds = (double)(tt1.tv_sec - tt0.tv_sec) + (double)(tt1.tv_nsec - tt0.tv_nsec) / 1e9;
	int64_t at[2 * NSNAP];
	for (int k = 0; k < ndone; k++)
		at[k] = instant(s, k);
	sum->truths = ndone;
	rc = write_cluster_json(s, at, ndone);
out:
	fw_stop(s);
	truth_end(tr);	/* joins a run still going before the log goes */
	if (s->log)
		fclose(s->log);
	if (s->log_path)
		unlink(s->log_path);
	free(s->log_path);
	for (int i = 0; i < s->nnodes; i++)
		for (int t = 0; t < NT; t++) {
			gmem_release(&s->nodes[i].mem[t]);
			free(s->nodes[i].ssts[t]);
			free(s->nodes[i].tdir[t]);
		}
	for (int t = 0; t < NT; t++)
		gen_table_release(&s->t[t]);
	free(s->ctr);
	free(s->last_order);
	free(s);
	return rc;
}

static int load_sstable(const char *tdir, int gen, struct gmem *m, struct pit_err *err)
{
	struct input in;
	int rc = open_input(tdir, gen, &in, err);
	while (rc == 0 && (rc = advance(&in, err)) == 0 && in.p)
		rc = load_partition(in.sc, sst_header(in.sst), in.p, m, err);
	close_input(&in);
	return rc < 0 ? rc : 0;
}

int gen_render_files(const char *const *dirs, int ndirs, const char *ks, const char *table, int64_t at_us,
		     struct sbuf *out, struct pit_err *err)
{
	struct gtable t;
	struct gmem all, state;
	int rc = -ENOENT, ti;

	for (ti = 0; ti < NT; ti++) {
		if ((rc = gen_table_init(&t, ti, 0, err)) < 0)
			return rc;
		if (!strcmp(t.ks, ks) && !strcmp(t.name, table))
			break;
		gen_table_release(&t);
	}
	if (ti == NT)
		return pit_errf(err, -ENOENT, "%s.%s: not a generated table", ks, table);
	/* each SSTable filtered on its own: a newer version in one must not hide
	 * an older one in another from an earlier instant */
	gmem_init(&state, &t);
	rc = 0;
	for (int d = 0; d < ndirs && rc == 0; d++) {
		DIR *dh = opendir(dirs[d]);
		struct dirent *e;
		if (!dh) {
			rc = pit_errf(err, -errno, "%s: %s", dirs[d], strerror(errno));
			break;
		}
		while (rc == 0 && (e = readdir(dh))) {
			int gen;
			char tail[32];
			if (sscanf(e->d_name, "nb-%d-big-%31s", &gen, tail) == 2 && !strcmp(tail, "Data.db")) {
				gmem_init(&all, &t);
				if ((rc = load_sstable(dirs[d], gen, &all, err)) == 0)
					gmem_merge(&state, &all, at_us);
				gmem_release(&all);
			}
		}
		closedir(dh);
	}
	if (rc == 0)
		rc = truth_render(&state, at_us, out, NULL, NULL, err);
	gmem_release(&state);
	gen_table_release(&t);
	return rc;
}
