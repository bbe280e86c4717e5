#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/schema.h"
#include "core/merge/kmerge.h"
#include "core/merge/select.h"
#include "core/repo/rfile.h"
#include "core/util/vec.h"
#include "core/view/bind.h"
#include "core/view/liverows.h"
#include "core/view/render_conflicts.h"
#include "core/view/render_csv.h"
#include "core/view/render_cql.h"
#include "core/view/render_jsonl.h"
#include "core/view/rows.h"
#include "core/view/rows_impl.h"


static int km_next_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return kmerge_next_partition(ctx, p, err);
}

static int km_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return kmerge_next(ctx, u, err);
}

static const struct scan_ops km_ops = { km_next_partition, km_next };

/* The schema.cql a snapshot keeps next to a table's SSTables. */
static int load_schema(struct chunk_cache *cc, const struct view_sources *vs, struct cql_schema **out,
		       struct pit_err *err)
{
	*out = NULL;
	for (size_t i = 0; i < vs->nssts; i++) {
		const struct manifest *m = vs->ssts[i].m;
		const char *prefix = vs->ssts[i].sum->prefix, *base = strrchr(prefix, '/');
		char path[1024];
		snprintf(path, sizeof(path), "%.*sschema.cql", base ? (int)(base - prefix) + 1 : 0, prefix);
		const struct mf_file *f = mf_find(m, path);
		struct bsrc *bs;
		uint8_t *text;
		size_t n;
		int rc;
		if (!f)
			continue;
		if ((rc = rfile_open(&bs, cc, f, path, err)) < 0)
			return rc;
		rc = bsrc_read_all(bs, &text, &n, 1u << 24, err);
		bsrc_close(bs);
		if (rc < 0)
			return rc;
		rc = cql_schema_parse(out, (const char *)text, n, path, err);
		free(text);
		return rc;
	}
	return 0;	/* none: columns named as the SSTables' headers name them */
}

int view_rows(struct repo *r, int64_t at_us, const char *ks, const char *table, dump_write_fn write, void *ctx,
	      struct view_rows_report *rep, struct pit_err *err)
{
	return view_render(r, at_us, ks, table, VIEW_ROWS, write, ctx, rep, err);
}

void merged_close(struct merged *mg)
{
	kmerge_close(mg->km);
	for (size_t i = 0; i < mg->opened; i++)
		sst_close(mg->ssts[i]);
	free(mg->ssts);
	if (!mg->borrowed) {
		cql_schema_free(mg->schema);
		chunk_cache_free(mg->cc);
		if (mg->vs.r)
			view_sources_release(&mg->vs);
	}
	memset(mg, 0, sizeof(*mg));
}

/* mg's SSTables opened through its chunk cache, as its schema types them. */
static int open_ssts(struct merged *mg, struct pit_err *err)
{
	int rc = 0;

	if (!(mg->ssts = calloc(mg->vs.nssts, sizeof(*mg->ssts))))
		return pit_errf(err, -ENOMEM, "out of memory");
	for (; mg->opened < mg->vs.nssts; mg->opened++)
		if ((rc = select_open(&mg->vs.ssts[mg->opened], &mg->ssts[mg->opened], err)) < 0 ||
		    (rc = bind_fix_types(mg->ssts[mg->opened], mg->table, err)) < 0) {
			if (mg->ssts[mg->opened])
				mg->opened++;
			break;
		}
	return rc;
}

int merged_open_like(struct merged *mg, const struct merged *like, struct pit_err *err)
{
	int rc;

	memset(mg, 0, sizeof(*mg));
	mg->vs = like->vs;
	mg->cc = like->cc;
	mg->schema = like->schema;
	mg->table = like->table;
	mg->sources = like->sources;
	mg->borrowed = true;
	if ((rc = open_ssts(mg, err)) < 0)
		merged_close(mg);
	return rc;
}

/* Which SSTables a view reads, in order: checkpoints hold positions in them. */
static void sources_id(const struct view_sources *vs, struct chunk_id *id)
{
	struct sbuf sb;

	sbuf_init(&sb);
	sbuf_adds(&sb, "ckpt sources v1");
	for (size_t i = 0; i < vs->nssts; i++) {
		sbuf_add(&sb, vs->ssts[i].m->info.id.b, 16);
		sbuf_adds(&sb, vs->ssts[i].sum->prefix);
		sbuf_addc(&sb, 0);
	}
	chunk_id_of(id, sb.buf ? sb.buf : "", sb.len);
	sbuf_release(&sb);
}

int merged_open(struct merged *mg, struct repo *r, int64_t at_us, const char *ks, const char *table,
		const struct view_ckpts *from, size_t k, struct view_rows_report *rep, struct pit_err *err)
{
	int rc;

	memset(mg, 0, sizeof(*mg));
	memset(rep, 0, sizeof(*rep));
	if ((rc = select_sources(r, at_us, ks, table, &mg->vs, err)) < 0)
		return rc;
	rep->backups = (unsigned)mg->vs.nbackups;
	rep->sstables = (unsigned)mg->vs.nssts;
	rep->skipped_after = (unsigned)mg->vs.skipped_after;
	rep->unreadable = (unsigned)mg->vs.unreadable;
	rep->absent_nodes = (unsigned)mg->vs.nabsent;
	sources_id(&mg->vs, &mg->sources);
	if (from && (from->nsrc != mg->vs.nssts || k >= from->n || !chunk_id_eq(&from->sources, &mg->sources))) {
		rc = pit_errf(err, -ESTALE, "%s.%s: checkpoints of other SSTables than the view reads now", ks, table);
		goto fail;
	}
	if (!mg->vs.nssts)
		return 0;
	if ((rc = chunk_cache_new(&mg->cc, r, CACHE_BYTES, err)) < 0 ||
	    (rc = load_schema(mg->cc, &mg->vs, &mg->schema, err)) < 0)
		goto fail;
	select_use_cache(&mg->vs, mg->cc);
	for (int i = 0; mg->schema && i < cql_schema_ntables(mg->schema) && !mg->table; i++)
		if (!strcmp(cql_table_name(cql_schema_table(mg->schema, i)), table))
			mg->table = cql_schema_table(mg->schema, i);
	if ((rc = open_ssts(mg, err)) < 0 || (rc = kmerge_open_at(&mg->km, mg->ssts, (int)mg->vs.nssts, at_us,
				 from ? from->v + k * (1 + (size_t)from->nsrc) + 1 : NULL, NULL, err)) < 0)
		goto fail;
	return 0;
fail:
	merged_close(mg);
	return rc;
}

static int64_t seconds_of(int64_t us)
{
	return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
}


int ckrec_write(void *ctx, const char *p, size_t n)
{
	struct ckrec *c = ctx;

	c->written += n;
	return c->write(c->ctx, p, n);
}

int ckrec_record(void *ctx, size_t pending, struct pit_err *err)
{
	struct ckrec *c = ctx;
	struct view_ckpts *v = c->rec;
	uint64_t off = c->written + pending;

	if (!v || off < c->last + (v->interval ? v->interval : CKPT_INTERVAL))
		return 0;
	size_t w = 1 + v->nsrc;
	if (vec_grow((void **)&v->v, &v->cap, (v->n + 1) * w, sizeof(*v->v)) < 0)
		return pit_errf(err, -ENOMEM, "out of memory");
	uint64_t *rec = v->v + v->n * w;
	rec[0] = off;
	memcpy(rec + 1, kmerge_resume(c->km), v->nsrc * sizeof(*rec));
	v->n++;
	c->last = off;
	return 0;
}

void view_ckpts_release(struct view_ckpts *c)
{
	uint64_t interval = c->interval;

	free(c->v);
	memset(c, 0, sizeof(*c));
	c->interval = interval;
}

bool view_format_resumes(enum view_format fmt)
{
	return fmt == VIEW_CSV || fmt == VIEW_JSONL || fmt == VIEW_CQL || fmt == VIEW_NOW_CQL;
}

int view_render(struct repo *r, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		dump_write_fn write, void *ctx, struct view_rows_report *rep, struct pit_err *err)
{
	return view_render_at(r, at_us, ks, table, fmt, NULL, 0, NULL, write, ctx, rep, err);
}

void view_ckpts_encode(const struct view_ckpts *c, struct sbuf *out)
{
	uint64_t head[2] = { c->nsrc, c->n };

	sbuf_add(out, head, sizeof(head));
	sbuf_add(out, c->sources.b, 16);
	if (c->n)
		sbuf_add(out, c->v, c->n * (1 + (size_t)c->nsrc) * sizeof(*c->v));
}

int view_ckpts_decode(struct view_ckpts *c, const void *p, size_t n)
{
	uint64_t head[2];

	view_ckpts_release(c);
	if (n < sizeof(head) + 16)
		return -EBADMSG;
	memcpy(head, p, sizeof(head));
	if (head[0] > UINT32_MAX || head[1] > n || n != sizeof(head) + 16 + head[1] * (1 + head[0]) * sizeof(uint64_t))
		return -EBADMSG;
	size_t len = n - sizeof(head) - 16;
	if (len && !(c->v = malloc(len)))
		return -ENOMEM;
	c->nsrc = (uint32_t)head[0];
	c->n = c->cap = (size_t)head[1];
	memcpy(c->sources.b, (const uint8_t *)p + sizeof(head), 16);
	if (len)
		memcpy(c->v, (const uint8_t *)p + sizeof(head) + 16, len);
	return 0;
}

/* The writer of fmt, a format that resumes, over mg's merge; name is
 * "ks.table" and outlives it. */
static int writer_of(const struct merged *mg, const struct live_at *at, const char *ks, const char *table,
		     const char *name, enum view_format fmt, bool resume, dump_write_fn write, void *ctx,
		     struct row_writer *rw, struct pit_err *err)
{
	const struct sst_header *h = kmerge_header(mg->km);

	switch (fmt) {
	case VIEW_CSV:
		return render_csv_writer(rw, h, name, mg->table, resume, write, ctx, err);
	case VIEW_JSONL:
		return render_jsonl_writer(rw, h, name, mg->table, write, ctx, err);
	case VIEW_CQL:
	case VIEW_NOW_CQL:
		return render_cql_writer(rw, h, ks, table, mg->table, at, fmt == VIEW_CQL, write, ctx, err);
	default:
		return pit_errf(err, -EINVAL, "%s: format %d is not written row by row", name, (int)fmt);
	}
}

/* The nodes of mg's SSTables, which its merge now tells apart for the
 * conflicts; of outlives the merge's use (the caller frees it). */
struct nodes {
	const char *names[256];
	int n;
	int *of;		/* per source: its node in names */
};

static int track_nodes(struct merged *mg, struct nodes *nd, struct pit_err *err)
{
	nd->n = 0;
	if (!(nd->of = calloc(mg->vs.nssts ? mg->vs.nssts : 1, sizeof(int))))
		return pit_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < mg->vs.nssts; i++) {
		const char *name = mg->vs.ssts[i].m->info.node;
		int j = 0;
		while (j < nd->n && strcmp(nd->names[j], name))
			j++;
		if (j == nd->n && nd->n < 256)
			nd->names[nd->n++] = name;
		nd->of[i] = j < 256 ? j : 255;
	}
	kmerge_set_nodes(mg->km, nd->of, nd->n);
	return 0;
}

int render_merged(struct merged *mg, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		  const struct render_ckpt *ck, dump_write_fn write, void *ctx, struct pit_err *err)
{
	struct kmerge *km = mg->km;
	struct dump_opts o = { .mode = DUMP_ROWS, .write = write, .ctx = ctx, .table = mg->table };
	char name[300];
	int rc;

	o.now_s = seconds_of(at_us);
	struct live_at at = { o.now_s, at_us };
	snprintf(name, sizeof(name), "%s.%s", ks, table);
	if (fmt == VIEW_CONFLICTS) {
		struct nodes nd;
		if ((rc = track_nodes(mg, &nd, err)) == 0)
			rc = render_conflicts(km, name, o.table, nd.names, nd.n, write, ctx, err);
		free(nd.of);
	} else if (view_format_resumes(fmt)) {
		struct row_writer rw;
		if ((rc = writer_of(mg, &at, ks, table, name, fmt, ck && ck->resume, write, ctx, &rw, err)) == 0)
			rc = liverows_write(&rw, kmerge_header(km), &at, ck, &km_ops, km, err);
	} else {
		rc = dump_rows_from(kmerge_header(km), name, &km_ops, km, &o, at_us, err);
	}
	return rc;
}

int view_render_at(struct repo *r, int64_t at_us, const char *ks, const char *table, enum view_format fmt,
		   const struct view_ckpts *from, size_t k, struct view_ckpts *rec, dump_write_fn write, void *ctx,
		   struct view_rows_report *rep, struct pit_err *err)
{
	struct merged mg;
	int rc;

	memset(&mg, 0, sizeof(mg));
	if (from && !view_format_resumes(fmt))
		return pit_errf(err, -ENOTSUP, "%s.%s: this file is not rendered from checkpoints", ks, table);
	if (!view_format_resumes(fmt))
		rec = NULL;
	if ((rc = merged_open(&mg, r, at_us, ks, table, from, k, rep, err)) < 0 || !mg.km)
		goto out;
	if (rec) {
		view_ckpts_release(rec);
		rec->nsrc = (uint32_t)mg.vs.nssts;
		rec->sources = mg.sources;
	}
	if (view_format_resumes(fmt) &&
	    (rc = render_parallel(&mg, at_us, ks, table, fmt, from, k, rec, write, ctx, rep, err)) != -EAGAIN)
		goto out;
	uint64_t begin = from ? from->v[k * (1 + (size_t)from->nsrc)] : 0;
	struct ckrec cr = { write, ctx, begin, begin, rec, mg.km };
	struct render_ckpt ck = { ckrec_record, &cr, from != NULL };
	if (rec || from) {
		write = ckrec_write;
		ctx = &cr;
	}
	rc = render_merged(&mg, at_us, ks, table, fmt, &ck, write, ctx, err);
out:
	merged_close(&mg);
	return rc;
}

/* Several writers fed by one walk of the merge, each writing through its
 * own ckrec, so that each records its own checkpoints; and conflicts.jsonl
 * (cw, or NULL) written from each step of the walk. */
struct tee {
	size_t n;
	struct row_writer rw[VIEW_TOGETHER_MAX];
	struct ckrec cr[VIEW_TOGETHER_MAX];
	struct kmerge *km;
	struct conflicts_writer *cw;
	const struct sst_partition *p;
};

static int tee_next_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	struct tee *t = ctx;
	int rc = kmerge_next_partition(t->km, p, err), c;

	t->p = rc > 0 ? *p : NULL;
	if (rc > 0 && t->cw && (c = conflicts_writer_step(t->cw, t->km, *p, true, err)) < 0)
		return c;
	return rc;
}

static int tee_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	struct tee *t = ctx;
	int rc = kmerge_next(t->km, u, err), c;

	if (rc > 0 && t->cw && (c = conflicts_writer_step(t->cw, t->km, t->p, false, err)) < 0)
		return c;
	return rc;
}

static const struct scan_ops tee_ops = { tee_next_partition, tee_next };

static int tee_row(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *row,
		   const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct tee *t = ctx;
	int rc = 0;

	for (size_t i = 0; i < t->n && rc == 0; i++)
		rc = t->rw[i].row(t->rw[i].ctx, p, row, statics, cells, first, err);
	return rc;
}

/* A partition starts: each writer's checkpoint, by what that writer holds. */
static int tee_boundary(void *ctx, size_t pending, struct pit_err *err)
{
	struct tee *t = ctx;
	int rc = 0;

	(void)pending;
	for (size_t i = 0; i < t->n && rc == 0; i++)
		rc = ckrec_record(&t->cr[i], t->rw[i].pending->len, err);
	return rc;
}

static int tee_end(void *ctx, bool flush, struct pit_err *err)
{
	struct tee *t = ctx;
	int rc = 0;

	for (size_t i = 0; i < t->n; i++) {
		int end = t->rw[i].end(t->rw[i].ctx, flush && rc == 0, err);
		rc = rc < 0 ? rc : end;
	}
	if (t->cw) {
		int end = conflicts_writer_end(t->cw, flush && rc == 0, err);
		rc = rc < 0 ? rc : end;
	}
	return rc;
}

int view_render_together(struct repo *r, int64_t at_us, const char *ks, const char *table, size_t n,
			 const enum view_format *fmts, struct view_ckpts *recs, dump_write_fn const *writes,
			 void *const *ctxs, struct view_rows_report *rep, struct pit_err *err)
{
	struct merged mg;
	struct tee t = { 0 };
	struct nodes nd = { 0 };
	size_t conflicts = n, rows;
	char name[300];
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (fmts[i] == VIEW_CONFLICTS && conflicts == n)
			conflicts = i;
		else if (!view_format_resumes(fmts[i]))
			return pit_errf(err, -EINVAL, "%s.%s: format %d is not written with others", ks, table, (int)fmts[i]);
	}
	rows = n - (conflicts < n);
	if (!rows || rows > VIEW_TOGETHER_MAX)
		return pit_errf(err, -EINVAL, "%s.%s: %zu files of rows at once", ks, table, rows);
	if ((rc = merged_open(&mg, r, at_us, ks, table, NULL, 0, rep, err)) < 0 || !mg.km)
		goto out;
	if (render_parallel_pays(&mg)) {
		rc = -EAGAIN;
		goto out;
	}
	struct live_at at = { seconds_of(at_us), at_us };
	snprintf(name, sizeof(name), "%s.%s", ks, table);
	t.km = mg.km;
	if (conflicts < n && ((rc = track_nodes(&mg, &nd, err)) < 0 ||
			      (rc = conflicts_writer_open(&t.cw, kmerge_header(mg.km), name, mg.table, nd.names, nd.n,
							  writes[conflicts], ctxs[conflicts], err)) < 0))
		goto out;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i == conflicts)
			continue;
		view_ckpts_release(&recs[i]);
		recs[i].nsrc = (uint32_t)mg.vs.nssts;
		recs[i].sources = mg.sources;
		t.cr[t.n] = (struct ckrec){ writes[i], ctxs[i], 0, 0, &recs[i], mg.km };
		if ((rc = writer_of(&mg, &at, ks, table, name, fmts[i], false, ckrec_write, &t.cr[t.n], &t.rw[t.n],
				    err)) == 0)
			t.n++;
	}
	if (rc == 0) {
		struct row_writer all = { tee_row, tee_end, &t, NULL, t.rw[0].reg_dropped, t.rw[0].st_dropped };
		struct render_ckpt ck = { tee_boundary, &t, false };
		rc = liverows_write(&all, kmerge_header(mg.km), &at, &ck, &tee_ops, &t, err);
	} else {
		tee_end(&t, false, err);
	}
out:
	merged_close(&mg);
	free(nd.of);
	return rc;
}

struct walk {
	const struct sst_header *h;
	view_row_fn fn;
	void *ctx;
};

static int walk_row(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *row,
		    const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct walk *w = ctx;

	(void)first;
	return w->fn(w->ctx, w->h, p, row, statics, cells, err);
}

int view_walk(struct repo *r, int64_t at_us, const char *ks, const char *table, view_row_fn fn, void *ctx,
	      struct pit_err *err)
{
	struct view_rows_report rep;
	struct merged mg;
	struct bind b;
	struct dump_opts o = { .mode = DUMP_ROWS };
	int rc;

	memset(&mg, 0, sizeof(mg));
	if ((rc = merged_open(&mg, r, at_us, ks, table, NULL, 0, &rep, err)) < 0 || !mg.km)
		goto out;
	o.table = mg.table;
	const struct sst_header *h = kmerge_header(mg.km);
	if ((rc = bind_init(&b, h, table, &o)) == 0) {
		struct walk w = { h, fn, ctx };
		struct liverows lr = { h, { seconds_of(at_us), at_us }, b.reg_dropped, b.st_dropped, walk_row, &w };
		rc = liverows_walk(&lr, &km_ops, mg.km, err);
	} else {
		rc = pit_errf(err, -ENOMEM, "out of memory");
	}
	bind_release(&b);
out:
	merged_close(&mg);
	return rc;
}
