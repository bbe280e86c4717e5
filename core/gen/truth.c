/* Ground truth: what a read at consistency ALL would return at an instant,
 * evaluated here from the generator's own model with the rules written out
 * plainly, so that it does not share code with the merge it checks. */
#include "core/gen/gen_impl.h"

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/cql/value.h"
#include "core/util/bytes.h"
#include "core/util/fdio.h"
#include "core/view/dump.h"

static const struct sst_deletion LIVE = { SST_NO_TS, SST_NO_LDT };

static struct sst_deletion max_del(struct sst_deletion a, struct sst_deletion b)
{
	return gdeletion_wins(&b, &a) ? b : a;
}

/* Expiring data is live at T while its expiration (seconds) is after T. */
static bool alive(int64_t ldt, int64_t at_us)
{
	return ldt == SST_NO_LDT || ldt * 1000000 > at_us;
}

static bool cell_live(const struct gcell *c, const struct sst_deletion *d, int64_t at_us)
{
	if (c->kind == GC_TOMB)
		return false;
	if (d->mfda != SST_NO_TS && c->ts <= d->mfda)
		return false;
	return c->kind != GC_EXPIRING || alive(c->ldt, at_us);
}

struct out {
	struct sbuf *sb;
	struct cql_element *el;
	size_t el_cap;
	struct pit_err *err;
};

/* Appends `"name": value` for every column of r with live data. */
static int render_cells(struct out *o, const struct gtable *t, const struct grow *r, const struct sst_deletion *d,
			int64_t at_us, struct sbuf *cells, bool *any)
{
	const struct sst_column *cols = r->is_static ? t->hdr.statics : t->hdr.regulars;
	int rc;

	for (uint32_t i = 0; i < r->ncells;) {
		uint16_t col = r->cells[i].col;
		uint32_t j = i;
		while (j < r->ncells && r->cells[j].col == col)
			j++;
		struct sst_deletion cd = *d;
		for (uint32_t k = 0; k < r->ncx; k++)
			if (r->cx[k].col == col)
				cd = max_del(cd, r->cx[k].del);
		size_t nel = 0;
		bool simple_done = false;
		for (uint32_t k = i; k < j; k++) {
			const struct gcell *c = &r->cells[k];
			if (!cell_live(c, &cd, at_us))
				continue;
			if (!cols[col].complex) {
				if (cells->len)
					sbuf_adds(cells, ", ");
				sbuf_add_json_str(cells, cols[col].name, strlen(cols[col].name));
				sbuf_adds(cells, ": ");
				if ((rc = cql_value_render(cols[col].type, c->value.p, c->value.n, CQL_STYLE_ROWS, cells,
							   o->err)) < 0)
					return rc;
				simple_done = true;
				continue;
			}
			if (nel == o->el_cap) {
				o->el_cap = o->el_cap ? 2 * o->el_cap : 16;
				o->el = realloc(o->el, o->el_cap * sizeof(*o->el));
				if (!o->el)
					return -ENOMEM;
			}
			o->el[nel++] = (struct cql_element){ c->path.p, c->path.n, c->value.p, c->value.n };
		}
		if (nel) {
			if (cells->len)
				sbuf_adds(cells, ", ");
			sbuf_add_json_str(cells, cols[col].name, strlen(cols[col].name));
			sbuf_adds(cells, ": ");
			if ((rc = cql_elements_render(cols[col].type, o->el, nel, CQL_STYLE_ROWS, cells, o->err)) < 0)
				return rc;
		}
		*any |= simple_done || nel;
		i = j;
	}
	return 0;
}

static int render_key(struct out *o, const struct gtable *t, const struct gpart *p, struct sbuf *sb)
{
	const uint8_t *vals[4];
	size_t lens[4];
	int n = 1, rc;

	if (t->npk > 1) {
		n = cql_composite_split(p->key.p, p->key.n, vals, lens, 4);
		if (n != t->npk)
			return -EBADMSG;
	} else {
		vals[0] = p->key.p;
		lens[0] = p->key.n;
	}
	sbuf_addc(sb, '{');
	for (int i = 0; i < n; i++) {
		sbuf_adds(sb, i ? ", " : "");
		sbuf_add_json_str(sb, t->pk_names[i], strlen(t->pk_names[i]));
		sbuf_adds(sb, ": ");
		if ((rc = cql_value_render(t->pk_types[i], vals[i], lens[i], CQL_STYLE_ROWS, sb, o->err)) < 0)
			return rc;
	}
	sbuf_addc(sb, '}');
	return 0;
}

static int render_ck(struct out *o, const struct gtable *t, const struct grow *r, struct sbuf *sb)
{
	uint32_t at = 0;
	int rc;

	sbuf_addc(sb, '{');
	for (int i = 0; i < t->nck && at < r->ck.n; i++) {
		uint32_t len = be16(r->ck.p + at);
		sbuf_adds(sb, i ? ", " : "");
		sbuf_add_json_str(sb, t->ck_names[i], strlen(t->ck_names[i]));
		sbuf_adds(sb, ": ");
		if ((rc = cql_value_render(t->hdr.clustering[i], r->ck.p + at + 2, len, CQL_STYLE_ROWS, sb, o->err)) < 0)
			return rc;
		at += 2 + len;
	}
	sbuf_addc(sb, '}');
	return 0;
}

/* The range deletion covering a row: the readings table deletes [start, end)
 * of its single timestamp clustering column. */
static struct sst_deletion range_del(const struct gpart *p, const struct grow *r)
{
	struct sst_deletion d = LIVE;
	if (!p->nrts || r->ck.n < 10)
		return d;
	int64_t ck = (int64_t)be64(r->ck.p + 2);
	for (uint32_t i = 0; i < p->nrts; i++)
		if (p->rts[i].start <= ck && ck < p->rts[i].end)
			d = max_del(d, p->rts[i].del);
	return d;
}

/* A truth file written around the page cache where the filesystem allows
 * (O_DIRECT): gigabytes of truth that nothing reads back soon cost about
 * two seconds of CPU per GB through the page cache on the machines measured
 * and almost none this way. Writes go out in aligned blocks of DBLOCK; the
 * last one is padded and the file cut back to its size. */
#define DBLOCK (1u << 20)
#define DALIGN 4096u

struct dsink {
	int fd;
	bool direct;
	uint8_t *buf;		/* DBLOCK + DALIGN bytes, DALIGN-aligned */
	size_t len;
	uint64_t size;
};

static int dsink_open(struct dsink *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	d->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
	d->direct = d->fd >= 0;
	if (d->fd < 0 && (errno == EINVAL || errno == EOPNOTSUPP))	/* tmpfs and the like */
		d->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (d->fd < 0)
		return -errno;
	if (posix_memalign((void **)&d->buf, DALIGN, DBLOCK + DALIGN) != 0) {
		close(d->fd);
		return -ENOMEM;
	}
	return 0;
}

static int dsink_write(void *ctx, const void *p, size_t n)
{
	struct dsink *d = ctx;
	const uint8_t *q = p;

	d->size += n;
	while (n) {
		size_t k = DBLOCK - d->len < n ? DBLOCK - d->len : n;
		memcpy(d->buf + d->len, q, k);
		d->len += k;
		q += k;
		n -= k;
		if (d->len == DBLOCK) {
			if (fd_write_all(d->fd, d->buf, DBLOCK) < 0)
				return -EIO;
			d->len = 0;
		}
	}
	return 0;
}

static int dsink_close(struct dsink *d)
{
	int rc = 0;

	if (d->len) {
		size_t padded = d->direct ? (d->len + DALIGN - 1) / DALIGN * DALIGN : d->len;
		memset(d->buf + d->len, 0, padded - d->len);
		rc = fd_write_all(d->fd, d->buf, padded);
	}
	if (rc == 0 && d->direct && ftruncate(d->fd, (off_t)d->size) < 0)
		rc = -EIO;
	if (close(d->fd) < 0 && rc == 0)
		rc = -EIO;
	free(d->buf);
	return rc;
}

/* With a sink, what is rendered goes to it every megabyte: a truth file can
 * be far larger than the model it comes from. */
int truth_render(const struct gmem *m, int64_t at_us, struct sbuf *out, int (*sink)(void *, const void *, size_t),
		 void *ctx, struct pit_err *err)
{
	const struct gtable *t = m->t;
	struct out o = { out, NULL, 0, err };
	struct sbuf pk, ck, statics, cells;
	uint32_t n;
	struct gpart **parts = gmem_sorted(m, &n);
	int rc = 0;

	sbuf_init(&pk);
	sbuf_init(&ck);
	sbuf_init(&statics);
	sbuf_init(&cells);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		const struct gpart *p = parts[i];
		bool any_row = false, any_static = false;
		sbuf_reset(&pk);
		sbuf_reset(&statics);
		if ((rc = render_key(&o, t, p, &pk)) < 0)
			break;
		if (p->statik && (rc = render_cells(&o, t, p->statik, &p->del, at_us, &statics, &any_static)) < 0)
			break;
		for (uint32_t k = 0; k < p->nrows && rc == 0; k++) {
			const struct grow *r = p->rows[k];
			struct sst_deletion d = max_del(max_del(p->del, range_del(p, r)), r->del);
			bool live = r->live.ts != SST_NO_TS && !(d.mfda != SST_NO_TS && r->live.ts <= d.mfda) &&
				    alive(r->live.ldt, at_us);
			sbuf_reset(&cells);
			if ((rc = render_cells(&o, t, r, &d, at_us, &cells, &live)) < 0 || !live)
				continue;
			sbuf_reset(&ck);
			if ((rc = render_ck(&o, t, r, &ck)) < 0)
				break;
			dump_row_line(out, &pk, ck.buf, ck.len, &statics, &cells);
			any_row = true;
		}
		if (rc == 0 && !any_row && any_static) {
			sbuf_reset(&cells);
			dump_row_line(out, &pk, "{}", 2, &statics, &cells);
		}
		if (rc == 0 && sink && (out->len >= (1u << 20) || i + 1 == n) && !out->oom) {
			if (out->len && sink(ctx, out->buf, out->len) < 0)
				rc = -EIO;
			sbuf_reset(out);
		}
	}
	free(parts);
	free(o.el);
	sbuf_release(&pk);
	sbuf_release(&ck);
	sbuf_release(&statics);
	sbuf_release(&cells);
	return rc < 0 ? rc : out->oom ? -ENOMEM : 0;
}

static int write_jsonl(const char *dir, const struct gtable *t, const struct gmem *m, int64_t at_us,
		       struct pit_err *err)
{
	char path[12288];
	struct sbuf out;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, t->ks);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return pit_errf(err, -errno, "%s: %s", dir, strerror(errno));
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return pit_errf(err, -errno, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s/%s.jsonl", dir, t->ks, t->name);
	struct dsink d;
	if ((rc = dsink_open(&d, path)) < 0)
		return pit_errf(err, rc, "%s: %s", path, strerror(-rc));
	sbuf_init(&out);
	rc = truth_render(m, at_us, &out, dsink_write, &d, err);
	if (dsink_close(&d) < 0 && rc == 0)
		rc = -EIO;
	if (rc == -EIO)
		rc = pit_errf(err, rc, "%s: cannot write", path);
	if (rc == 0) {
		/* dated at the instant it describes: the same run, the same files */
		struct timespec ts[2] = { { at_us / 1000000, at_us % 1000000 * 1000 }, { at_us / 1000000, at_us % 1000000 * 1000 } };
		utimensat(AT_FDCWD, path, ts, 0);
	}
	sbuf_release(&out);
	return rc;
}

/* Copies into n what r still holds that is live at `at` under deletion d. */
static void copy_live_row(struct gmem *n, const struct gpart *p, struct gpart **q, const struct grow *r,
			  struct sst_deletion d, int64_t at, uint32_t *hint)
{
	bool marker = r->live.ts != SST_NO_TS && !(d.mfda != SST_NO_TS && r->live.ts <= d.mfda) &&
		      alive(r->live.ldt, at);
	bool any = marker;
	struct grow *to = NULL;

	for (uint32_t pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < r->ncells; i++) {
			const struct gcell *c = &r->cells[i];
			struct sst_deletion cd = d;
			for (uint32_t k = 0; k < r->ncx; k++)
				if (r->cx[k].col == c->col)
					cd = max_del(cd, r->cx[k].del);
			if (!cell_live(c, &cd, at))
				continue;
			if (!pass) {
				any = true;
				break;
			}
			gmem_cell(n, to, c);
		}
		if (pass || !any)
			break;
		if (!*q)
			*q = gmem_part(n, p->key.p, p->key.n);
		to = r->is_static ? gpart_static(n, *q) : gpart_row_from(n, *q, r->ck.p, r->ck.n, hint);
		if (marker)
			gmem_liveness(n, to, &r->live);
	}
}

/* After the files of instant `at` are written, nothing with a timestamp at
 * or before `at` is applied to a state again: every later write has a later
 * timestamp, so it wins over whatever is dead now, and no deletion now in the
 * state can shadow it. The state then keeps only what is live at `at`:
 * tombstones, expired data, deletions and what they shadow go. Counters are
 * kept whole (a counter tombstone wins whatever the timestamps). */
static void keep_live(struct gmem *m, int64_t at)
{
	struct gmem n;

	if (m->t->counter)
		return;
	gmem_init(&n, m->t);
	for (uint32_t b = 0; b < m->nbuckets; b++)
		for (const struct gpart *p = m->buckets[b]; p; p = p->next) {
			struct gpart *q = NULL;
			uint32_t hint = 0;	/* rows come in clustering order */
			if (p->statik)
				copy_live_row(&n, p, &q, p->statik, p->del, at, &hint);
			for (uint32_t k = 0; k < p->nrows; k++) {
				const struct grow *r = p->rows[k];
				copy_live_row(&n, p, &q, r, max_del(max_del(p->del, range_del(p, r)), r->del), at, &hint);
			}
		}
	gmem_release(m);
	*m = n;
}

/* A worker owns some scopes (the cluster, some nodes) and walks the instants
 * in order: reconciliation only ever takes the stronger version, so the
 * state at one instant is the state at the one before plus what was written
 * in between. Its states live from one run to the next. */
struct truth_job {
	const struct truth *t;
	uint64_t scopes;
	struct gmem *st;	/* (nodes + 1) x tables */
	int64_t prev;		/* the instant the states stand at */
	const int64_t *at;	/* this run's instants, ascending */
	const int *dirnum;	/* and their truth/<n> directories */
	int nat;
	int rc;
	struct pit_err err;
};

enum { WORKERS = 2 };

struct truth {
	const char *outdir;
	const struct gtable *tables;
	int ntables;
	const char *const *nodes;
	int nnodes;
	struct truth_job jobs[WORKERS];
	pthread_t th[WORKERS];
	bool started[WORKERS];
	const uint8_t *log;	/* the flush log as far as this run reads it */
	size_t log_len;
	int64_t *at;
	int *dirnum;
};

static void *truth_worker(void *arg)
{
	struct truth_job *j = arg;
	const struct truth *t = j->t;
	int nn = t->nnodes, nt = t->ntables;

	for (int o = 0; o < j->nat && j->rc == 0; o++) {
		int64_t at = j->at[o];
		if ((j->rc = gen_log_replay(t->log, t->log_len, j->st, nn, nt, j->prev, at, j->scopes)) < 0) {
			pit_errf(&j->err, j->rc, "%s/.gen-log: damaged", t->outdir);
			break;
		}
		j->prev = at;
		char dir[4096], sub[8192];
		snprintf(dir, sizeof(dir), "%s/truth/%d", t->outdir, j->dirnum[o]);
		for (int i = 0; i <= nn && j->rc == 0; i++) {
			if (!(j->scopes >> i & 1))
				continue;
			if (i == nn)
				snprintf(sub, sizeof(sub), "%s", dir);
			else
				snprintf(sub, sizeof(sub), "%s/nodes/%s", dir, t->nodes[i]);
			for (int k = 0; k < nt && j->rc == 0; k++) {
				j->rc = write_jsonl(sub, &t->tables[k], &j->st[i * nt + k], at, &j->err);
				keep_live(&j->st[i * nt + k], at);
			}
		}
	}
	return NULL;
}

int truth_begin(struct truth **tp, const char *outdir, const struct gtable *tables, int ntables,
		const char *const *nodes, int nnodes, struct pit_err *err)
{
	char dir[4096];
	struct truth *t = calloc(1, sizeof(*t));

	*tp = NULL;
	if (!t)
		return -ENOMEM;
	*t = (struct truth){ outdir, tables, ntables, nodes, nnodes };
	snprintf(dir, sizeof(dir), "%s/truth", outdir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		free(t);
		return pit_errf(err, -errno, "%s: %s", dir, strerror(errno));
	}
	/* the scopes shared out between the two cores: the cluster and every
	 * other node to one, the rest to the other */
	for (int w = 0; w < WORKERS; w++) {
		struct truth_job *j = &t->jobs[w];
		j->t = t;
		j->prev = INT64_MIN;
		for (int i = 0; i <= nnodes; i++)
			if ((nnodes - i) % WORKERS == w)
				j->scopes |= 1ull << i;
		if (!(j->st = calloc((size_t)(nnodes + 1) * (size_t)ntables, sizeof(*j->st)))) {
			truth_end(t);
			return -ENOMEM;
		}
		for (int i = 0; i < (nnodes + 1) * ntables; i++)
			gmem_init(&j->st[i], &tables[i % ntables]);
	}
	*tp = t;
	return 0;
}

int truth_run(struct truth *t, const int64_t *at, const int *dirnum, int nat, FILE *log, struct pit_err *err)
{
	struct stat st;

	for (int k = 0; k < nat; k++) {
		char d[4096], sub[8192];
		snprintf(d, sizeof(d), "%s/truth/%d", t->outdir, dirnum[k]);
		snprintf(sub, sizeof(sub), "%s/nodes", d);
		if ((mkdir(d, 0755) < 0 && errno != EEXIST) || (mkdir(sub, 0755) < 0 && errno != EEXIST))
			return pit_errf(err, -errno, "%s: %s", sub, strerror(errno));
		for (int i = 0; i < t->nnodes; i++) {
			char nd[8448];
			snprintf(nd, sizeof(nd), "%s/%s", sub, t->nodes[i]);
			if (mkdir(nd, 0755) < 0 && errno != EEXIST)
				return pit_errf(err, -errno, "%s: %s", nd, strerror(errno));
		}
	}
	/* the log as it is now: records are written whole, so this is a whole
	 * number of them */
	if (fflush(log) != 0 || fstat(fileno(log), &st) < 0)
		return pit_errf(err, -errno, "%s/.gen-log: %s", t->outdir, strerror(errno));
	if (st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(log), 0);
		if (m == MAP_FAILED)
			return pit_errf(err, -errno, "%s/.gen-log: %s", t->outdir, strerror(errno));
		t->log = m;
		t->log_len = (size_t)st.st_size;
	}
	t->at = malloc((size_t)(nat ? nat : 1) * sizeof(*t->at));
	t->dirnum = malloc((size_t)(nat ? nat : 1) * sizeof(*t->dirnum));
	if (!t->at || !t->dirnum)
		return -ENOMEM;
	memcpy(t->at, at, (size_t)nat * sizeof(*at));
	memcpy(t->dirnum, dirnum, (size_t)nat * sizeof(*dirnum));
	for (int w = 0; w < WORKERS; w++) {
		struct truth_job *j = &t->jobs[w];
		j->at = t->at;
		j->dirnum = t->dirnum;
		j->nat = nat;
		t->started[w] = pthread_create(&t->th[w], NULL, truth_worker, j) == 0;
		if (!t->started[w])
			truth_worker(j);	/* no thread: do it here */
	}
	return 0;
}

int truth_wait(struct truth *t, struct pit_err *err)
{
	int rc = 0;

	for (int w = 0; w < WORKERS; w++) {
		if (t->started[w])
			pthread_join(t->th[w], NULL);
		t->started[w] = false;
	}
	for (int w = 0; w < WORKERS && rc == 0; w++)
		if (t->jobs[w].rc < 0) {
			rc = t->jobs[w].rc;
			if (err)
				*err = t->jobs[w].err;
		}
	if (t->log)
		munmap((void *)t->log, t->log_len);
	t->log = NULL;
	t->log_len = 0;
	free(t->at);
	free(t->dirnum);
	t->at = NULL;
	t->dirnum = NULL;
	return rc;
}

void truth_end(struct truth *t)
{
	if (!t)
		return;
	truth_wait(t, NULL);
	for (int w = 0; w < WORKERS; w++) {
		if (t->jobs[w].st)
			for (int i = 0; i < (t->nnodes + 1) * t->ntables; i++)
				gmem_release(&t->jobs[w].st[i]);
		free(t->jobs[w].st);
	}
	free(t);
}
