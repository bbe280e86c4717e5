#include "core/view/dump.h"
#include "core/view/bind.h"
#include "core/view/liverows.h"
#include "core/util/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/merge/live.h"
#include "core/util/bytes.h"

#define FLUSH_AT (64 * 1024)
#define READAHEAD_MIN (4u << 20)


struct out {
	struct sbuf sb;
	struct dump_opts *o;
	int rc;
};

int dump_flush(struct sbuf *sb, bool force, dump_write_fn write, void *ctx, struct pit_err *err)
{
	int rc = 0;

	if (sb->oom)
		return pit_errf(err, -ENOMEM, "out of memory");
	if (sb->len && (force || sb->len >= FLUSH_AT)) {
		rc = write(ctx, sb->buf, sb->len) < 0 ? -EIO : 0;
		sbuf_reset(sb);
	}
	return rc;
}

static int out_flush(struct out *w, bool force)
{
	if (w->sb.oom)
		return w->rc = -ENOMEM;
	if (w->rc == 0 && w->sb.len && (force || w->sb.len >= FLUSH_AT)) {
		int rc = w->o->write(w->o->ctx, w->sb.buf, w->sb.len);
		if (rc < 0)
			w->rc = rc;
		sbuf_reset(&w->sb);
	}
	return w->rc;
}

static void add_ldt(struct sbuf *sb, int64_t ldt)
{
	sbuf_addc(sb, '"');
	cql_format_time_s(ldt, sb);
	sbuf_addc(sb, '"');
}



/* ---- sstabledump-like JSON ---- */

static void add_deletion(struct sbuf *sb, const struct sst_deletion *d)
{
	sbuf_addf(sb, "{\"marked_deleted\": %lld, \"local_delete_time\": ", (long long)d->mfda);
	add_ldt(sb, d->ldt);
	sbuf_addc(sb, '}');
}

static int json_cell(struct sst *s, bool is_static, const struct sst_cell *c, int64_t now, struct sbuf *sb,
		     struct pit_err *err)
{
	const struct sst_header *h = sst_header(s);
	const struct sst_column *col = is_static ? &h->statics[c->col] : &h->regulars[c->col];
	int rc;

	sbuf_adds(sb, "{\"name\": ");
	sbuf_add_json_str(sb, col->name, strlen(col->name));
	if (col->complex) {
		const struct cql_type *pt = cql_type_kind(col->type) == CQL_UDT ? NULL : cql_type_sub(col->type, 0);
		sbuf_adds(sb, ", \"path\": [");
		if (cql_type_kind(col->type) == CQL_LIST || !pt) {
			if (!pt && c->path_len == 2)
				sbuf_addf(sb, "%d", (int16_t)be16(c->path));
			else {
				struct cql_type *tu = NULL;
				if (cql_type_parse_marshal(&tu, "TimeUUIDType", 12, NULL) == 0 && c->path_len == 16) {
					cql_value_render(tu, c->path, c->path_len, CQL_STYLE_JSON, sb, NULL);
				} else {
					sbuf_adds(sb, "\"0x");
					sbuf_addhex(sb, c->path, c->path_len);
					sbuf_addc(sb, '"');
				}
				cql_type_free(tu);
			}
		} else if ((rc = cql_value_render(pt, c->path, c->path_len, CQL_STYLE_JSON, sb, err)) < 0) {
			return rc;
		}
		sbuf_addc(sb, ']');
	}
	if (c->flags & SST_CELL_DELETED) {
		sbuf_adds(sb, ", \"deletion_info\": {\"local_delete_time\": ");
		add_ldt(sb, c->ldt);
		sbuf_addc(sb, '}');
	} else if (!(c->flags & SST_CELL_EMPTY_VALUE) || cql_type_kind(col->type) != CQL_SET) {
		const struct cql_type *vt = col->type;
		enum cql_kind k = cql_type_kind(vt);
		if (col->complex)
			vt = k == CQL_MAP ? cql_type_sub(vt, 1) : k == CQL_UDT ? cql_type_sub(vt, c->path_len == 2 ?
						(int16_t)be16(c->path) : -1) : cql_type_sub(vt, 0);
		sbuf_adds(sb, ", \"value\": ");
		if (!vt) {
			sbuf_adds(sb, "\"0x");
			sbuf_addhex(sb, c->value, c->len);
			sbuf_addc(sb, '"');
		} else if ((rc = cql_value_render(vt, c->value, c->len, CQL_STYLE_JSON, sb, err)) < 0) {
			return pit_err_prefix(err, rc, "column %s", col->name);
		}
	}
	sbuf_addf(sb, ", \"tstamp\": %lld", (long long)c->ts);
	if (c->flags & SST_CELL_EXPIRING) {
		sbuf_addf(sb, ", \"ttl\": %d, \"expires_at\": ", c->ttl);
		add_ldt(sb, c->ldt);
		sbuf_addf(sb, ", \"expired\": %s", now >= c->ldt ? "true" : "false");
	}
	sbuf_addc(sb, '}');
	return 0;
}

static const char *bound_type(enum sst_bound b, bool start)
{
	switch (b) {
	case SST_INCL_START_BOUND: case SST_INCL_END_BOUND: return "inclusive";
	case SST_EXCL_START_BOUND: case SST_EXCL_END_BOUND: return "exclusive";
	case SST_EXCL_END_INCL_START_BOUNDARY: return start ? "inclusive" : "exclusive";
	default: return start ? "exclusive" : "inclusive";
	}
}

static int json_unfiltered(struct sst *s, struct bind *b, const struct sst_unfiltered *u, int64_t now,
			   struct sbuf *sb, struct pit_err *err)
{
	int rc;

	if (u->kind == SST_MARKER) {
		bool boundary = u->bound == SST_EXCL_END_INCL_START_BOUNDARY || u->bound == SST_INCL_END_EXCL_START_BOUNDARY;
		bool start = u->bound == SST_INCL_START_BOUND || u->bound == SST_EXCL_START_BOUND;
		sbuf_addf(sb, "{\"type\": \"%s\", \"position\": %llu", boundary ? "range_tombstone_boundary" :
			  "range_tombstone_bound", (unsigned long long)u->offset);
		for (int side = 0; side < 2; side++) {
			bool is_start = side == 1;
			if (!boundary && is_start != start)
				continue;
			sbuf_addf(sb, ", \"%s\": {\"type\": \"%s\", \"clustering\": ", is_start ? "start" : "end",
				  bound_type(u->bound, is_start));
			if ((rc = bind_render_clustering(b, u, CQL_STYLE_JSON, false, sb, err)) < 0)
				return rc;
			sbuf_adds(sb, ", \"deletion_info\": ");
			add_deletion(sb, &u->marker[boundary ? side : 0]);
			sbuf_addc(sb, '}');
		}
		sbuf_addc(sb, '}');
		return 0;
	}
	sbuf_addf(sb, "{\"type\": \"%s\", \"position\": %llu", u->kind == SST_STATIC_ROW ? "static_block" : "row",
		  (unsigned long long)u->offset);
	if (u->kind == SST_ROW) {
		sbuf_adds(sb, ", \"clustering\": ");
		if ((rc = bind_render_clustering(b, u, CQL_STYLE_JSON, false, sb, err)) < 0)
			return rc;
	}
	if (u->liveness.ts != SST_NO_TS) {
		sbuf_addf(sb, ", \"liveness_info\": {\"tstamp\": %lld", (long long)u->liveness.ts);
		if (u->liveness.ldt != SST_NO_LDT) {
			sbuf_addf(sb, ", \"ttl\": %d, \"expires_at\": ", u->liveness.ttl);
			add_ldt(sb, u->liveness.ldt);
			sbuf_addf(sb, ", \"expired\": %s", now >= u->liveness.ldt ? "true" : "false");
		}
		sbuf_addc(sb, '}');
	}
	if (!sst_deletion_live(&u->deletion)) {
		sbuf_adds(sb, ", \"deletion_info\": ");
		add_deletion(sb, &u->deletion);
		if (u->shadowable)
			sbuf_adds(sb, ", \"shadowable\": true");
	}
	sbuf_adds(sb, ", \"cells\": [");
	bool first = true;
	for (uint32_t i = 0; i < u->ncells; i++) {
		/* a complex deletion is shown before the column's first cell */
		for (uint32_t k = 0; k < u->ncomplex; k++)
			if (u->complex[k].col == u->cells[i].col && (i == 0 || u->cells[i - 1].col != u->cells[i].col)) {
				const struct sst_header *h = sst_header(s);
				const struct sst_column *col = u->kind == SST_STATIC_ROW ? &h->statics[u->cells[i].col]
											  : &h->regulars[u->cells[i].col];
				sbuf_adds(sb, first ? "" : ", ");
				sbuf_adds(sb, "{\"name\": ");
				sbuf_add_json_str(sb, col->name, strlen(col->name));
				sbuf_adds(sb, ", \"deletion_info\": ");
				add_deletion(sb, &u->complex[k].del);
				sbuf_addc(sb, '}');
				first = false;
			}
		sbuf_adds(sb, first ? "" : ", ");
		first = false;
		if ((rc = json_cell(s, u->kind == SST_STATIC_ROW, &u->cells[i], now, sb, err)) < 0)
			return rc;
	}
	/* complex deletions of columns with no cells left */
	for (uint32_t k = 0; k < u->ncomplex; k++) {
		bool has = false;
		for (uint32_t i = 0; i < u->ncells && !has; i++)
			has = u->cells[i].col == u->complex[k].col;
		if (has)
			continue;
		const struct sst_header *h = sst_header(s);
		const struct sst_column *col = u->kind == SST_STATIC_ROW ? &h->statics[u->complex[k].col]
									  : &h->regulars[u->complex[k].col];
		sbuf_adds(sb, first ? "" : ", ");
		first = false;
		sbuf_adds(sb, "{\"name\": ");
		sbuf_add_json_str(sb, col->name, strlen(col->name));
		sbuf_adds(sb, ", \"deletion_info\": ");
		add_deletion(sb, &u->complex[k].del);
		sbuf_addc(sb, '}');
	}
	sbuf_adds(sb, "]}");
	return 0;
}

static int dump_json(struct sst *s, struct bind *b, struct out *w, int64_t now, struct pit_err *err)
{
	struct sst_scan *sc = NULL;
	const struct sst_partition *p;
	const struct sst_unfiltered *u;
	struct sst_token tok;
	int rc, np = 0;

	if ((rc = sst_scan_open(&sc, s, err)) < 0)
		return rc;
	sbuf_adds(&w->sb, "[\n");
	while ((rc = sst_scan_next_partition(sc, &p, err)) > 0) {
		sbuf_adds(&w->sb, np++ ? ",\n" : "");
		sbuf_adds(&w->sb, "{\"partition\": {\"key\": ");
		if ((rc = bind_render_key(b, p, CQL_STYLE_JSON, false, &w->sb, err)) < 0)
			break;
		sst_token_of(sst_stats(s)->partitioner, p->key, p->key_len, &tok);
		sbuf_adds(&w->sb, ", \"token\": \"");
		sst_token_format(&tok, &w->sb);
		sbuf_addf(&w->sb, "\", \"position\": %llu", (unsigned long long)p->offset);
		if (!sst_deletion_live(&p->deletion)) {
			sbuf_adds(&w->sb, ", \"deletion_info\": ");
			add_deletion(&w->sb, &p->deletion);
		}
		sbuf_adds(&w->sb, "}, \"rows\": [");
		int nu = 0;
		while ((rc = sst_scan_next(sc, &u, err)) > 0) {
			sbuf_adds(&w->sb, nu++ ? ", " : "");
			if ((rc = json_unfiltered(s, b, u, now, &w->sb, err)) < 0)
				break;
			if (out_flush(w, false) < 0)
				break;
		}
		if (rc < 0 || w->rc < 0)
			break;
		sbuf_adds(&w->sb, "]}");
		if (out_flush(w, false) < 0)
			break;
	}
	if (rc == 0 && w->rc == 0)
		sbuf_adds(&w->sb, np ? "\n]\n" : "]\n");
	sst_scan_close(sc);
	return rc < 0 ? rc : w->rc;
}

/* ---- live CQL rows, the fixtures' convention ---- */

struct rowbuf {
	struct bind *b;
	struct out *w;
	struct sbuf pk, ck, statics, cells;
	struct cql_element *el;
	size_t el_cap;
};

/* `"name": value` for every column of a row's live cells. */
static int render_cells(struct rowbuf *rb, bool is_static, const struct live_cells *lc, uint64_t offset,
			struct sbuf *out, struct pit_err *err)
{
	const struct sst_header *h = rb->b->h;
	int rc;

	for (uint32_t i = 0; i < lc->n;) {
		uint32_t j = live_cells_column_end(lc, i);
		const struct sst_column *col = is_static ? &h->statics[lc->v[i].col] : &h->regulars[lc->v[i].col];
		if (out->len)
			sbuf_adds(out, ", ");
		sbuf_add_json_str(out, col->name, strlen(col->name));
		sbuf_adds(out, ": ");
		if (!col->complex) {
			rc = cql_value_render(col->type, lc->v[i].value, lc->v[i].len, CQL_STYLE_ROWS, out, err);
		} else {
			if (vec_grow((void **)&rb->el, &rb->el_cap, j - i, sizeof(*rb->el)) < 0)
				return -ENOMEM;
			for (uint32_t k = i; k < j; k++)
				rb->el[k - i] = (struct cql_element){ lc->v[k].path, lc->v[k].path_len, lc->v[k].value,
								       lc->v[k].len };
			rc = cql_elements_render(col->type, rb->el, j - i, CQL_STYLE_ROWS, out, err);
		}
		if (rc < 0)
			return pit_err_prefix(err, rc, "%s: row at offset %llu: column %s", rb->b->name,
					      (unsigned long long)offset, col->name);
		i = j;
	}
	return 0;
}

static int row_line(void *ctx, const struct sst_partition *p, const struct sst_unfiltered *row,
		    const struct live_cells *statics, const struct live_cells *cells, bool first, struct pit_err *err)
{
	struct rowbuf *rb = ctx;
	int rc;

	if (first) {
		sbuf_reset(&rb->pk);
		sbuf_reset(&rb->statics);
		if ((rc = bind_render_key(rb->b, p, CQL_STYLE_ROWS, true, &rb->pk, err)) < 0 ||
		    (rc = render_cells(rb, true, statics, p->offset, &rb->statics, err)) < 0)
			return rc;
	}
	sbuf_reset(&rb->cells);
	if (!row) {
		dump_row_line(&rb->w->sb, &rb->pk, "{}", 2, &rb->statics, &rb->cells);
		return out_flush(rb->w, false);
	}
	sbuf_reset(&rb->ck);
	if ((rc = render_cells(rb, false, cells, row->offset, &rb->cells, err)) < 0 ||
	    (rc = bind_render_clustering(rb->b, row, CQL_STYLE_ROWS, true, &rb->ck, err)) < 0)
		return rc;
	dump_row_line(&rb->w->sb, &rb->pk, rb->ck.buf, rb->ck.len, &rb->statics, &rb->cells);
	return out_flush(rb->w, false);
}

void dump_row_line(struct sbuf *out, const struct sbuf *pk, const char *ck, size_t ckn, const struct sbuf *statics,
		   const struct sbuf *cells)
{
	sbuf_adds(out, "{\"pk\": ");
	sbuf_add(out, pk->buf, pk->len);
	sbuf_adds(out, ", \"ck\": ");
	sbuf_add(out, ck, ckn);
	sbuf_adds(out, ", \"cells\": {");
	sbuf_add(out, statics->buf, statics->len);
	if (statics->len && cells->len)
		sbuf_adds(out, ", ");
	sbuf_add(out, cells->buf, cells->len);
	sbuf_adds(out, "}}\n");
}

static int scan_next_partition(void *ctx, const struct sst_partition **p, struct pit_err *err)
{
	return sst_scan_next_partition(ctx, p, err);
}

static int scan_next(void *ctx, const struct sst_unfiltered **u, struct pit_err *err)
{
	return sst_scan_next(ctx, u, err);
}

static const struct scan_ops sst_scan_ops = { scan_next_partition, scan_next };

/* Live rows from one SSTable or the merge of many (whose columns are b->h). */
static int dump_rows(struct bind *b, struct out *w, const struct live_at *at, const struct scan_ops *it, void *ictx,
		     struct pit_err *err)
{
	struct rowbuf rb = { .b = b, .w = w };
	struct liverows lr = { b->h, *at, b->reg_dropped, b->st_dropped, row_line, &rb };
	int rc;

	sbuf_init(&rb.pk);
	sbuf_init(&rb.ck);
	sbuf_init(&rb.statics);
	sbuf_init(&rb.cells);
	rc = liverows_walk(&lr, it, ictx, err);
	sbuf_release(&rb.pk);
	sbuf_release(&rb.ck);
	sbuf_release(&rb.statics);
	sbuf_release(&rb.cells);
	free(rb.el);
	return rc < 0 ? rc : w->rc;
}

/* ---- metadata ---- */

static void meta_time_us(struct sbuf *sb, const char *label, int64_t us)
{
	sbuf_addf(sb, "%-34s%lld", label, (long long)us);
	if (us != INT64_MIN && us != INT64_MAX) {
		sbuf_adds(sb, " (");
		cql_format_time_us(us, sb);
		sbuf_addc(sb, ')');
	}
	sbuf_addc(sb, '\n');
}

static void meta_ldt(struct sbuf *sb, const char *label, int64_t ldt)
{
	sbuf_addf(sb, "%-34s", label);
	if (ldt == SST_NO_LDT) {
		sbuf_adds(sb, "none\n");
		return;
	}
	sbuf_addf(sb, "%lld (", (long long)ldt);
	cql_format_time_s(ldt, sb);
	sbuf_adds(sb, ")\n");
}

static void meta_uuid(struct sbuf *sb, const uint8_t *u)
{
	struct cql_type *t = NULL;
	if (cql_type_parse_marshal(&t, "UUIDType", 8, NULL) == 0)
		cql_value_render(t, u, 16, CQL_STYLE_LITERAL, sb, NULL);
	cql_type_free(t);
}

static void meta_columns(struct sbuf *sb, const char *label, const struct sst_column *c, int n)
{
	sbuf_addf(sb, "%-34s%d\n", label, n);
	for (int i = 0; i < n; i++) {
		sbuf_addf(sb, "  %s: ", c[i].name);
		cql_type_to_cql(c[i].type, sb);
		sbuf_adds(sb, c[i].complex ? " (multi-cell)\n" : "\n");
	}
}

static int dump_meta(struct sst *s, struct out *w)
{
	const struct sst_stats *st = sst_stats(s);
	const struct sst_header *h = sst_header(s);
	const struct sst_compinfo *ci = sst_compression(s);
	struct sbuf *sb = &w->sb;

	sbuf_addf(sb, "%-34s%s\n", "SSTable:", sst_name(s));
	sbuf_addf(sb, "%-34s%s (big)\n", "Version:", sst_version(s)->v);
	sbuf_addf(sb, "%-34s%s\n", "Partitioner:", st->partitioner_class);
	sbuf_addf(sb, "%-34s%g\n", "Bloom filter FP chance:", st->bloom_fp_chance);
	if (ci->compressed)
		sbuf_addf(sb, "%-34s%s (%s), chunks of %u bytes, %llu chunks\n", "Compression:",
			  sst_codec_name(ci->codec), ci->cls, ci->chunk_len, (unsigned long long)ci->nchunks);
	else
		sbuf_addf(sb, "%-34snone%s\n", "Compression:", ci->has_crc ? " (CRC.db checksums)" : " (no checksums)");
	sbuf_addf(sb, "%-34s%llu bytes (%llu on disk)\n", "Data size:", (unsigned long long)sst_data_length(s),
		  (unsigned long long)sst_data_disk_size(s));
	if (st->compression_ratio >= 0)
		sbuf_addf(sb, "%-34s%.4f\n", "Compression ratio:", st->compression_ratio);
	meta_time_us(sb, "Minimum timestamp:", st->min_timestamp);
	meta_time_us(sb, "Maximum timestamp:", st->max_timestamp);
	meta_ldt(sb, "SSTable min local deletion time:", st->min_ldt);
	meta_ldt(sb, "SSTable max local deletion time:", st->max_ldt);
	sbuf_addf(sb, "%-34s%d\n%-34s%d\n", "TTL min:", st->min_ttl, "TTL max:", st->max_ttl);
	sbuf_addf(sb, "%-34s%llu\n", "Estimated partitions:", (unsigned long long)st->partition_count_estimate);
	sbuf_addf(sb, "%-34s%lld\n", "Estimated tombstones:", (long long)st->tombstone_count_estimate);
	sbuf_addf(sb, "%-34s%lld\n%-34s%lld\n", "Total rows:", (long long)st->total_rows, "Total columns set:",
		  (long long)st->total_columns_set);
	sbuf_addf(sb, "%-34s%d\n", "SSTable level:", st->sstable_level);
	sbuf_addf(sb, "%-34s%lld\n", "Repaired at:", (long long)st->repaired_at);
	if (sst_version(s)->pending_repair) {
		sbuf_addf(sb, "%-34s", "Pending repair:");
		if (st->has_pending_repair)
			meta_uuid(sb, st->pending_repair);
		else
			sbuf_adds(sb, "--");
		sbuf_addf(sb, "\n%-34s%s\n", "Is transient:", st->is_transient ? "true" : "false");
	}
	if (st->has_host_id) {
		sbuf_addf(sb, "%-34s", "Originating host id:");
		meta_uuid(sb, st->host_id);
		sbuf_addc(sb, '\n');
	}
	sbuf_addf(sb, "%-34smin timestamp %lld, min local deletion time %lld, min TTL %d\n", "Encoding stats:",
		  (long long)st->enc_min_timestamp, (long long)st->enc_min_ldt, st->enc_min_ttl);
	sbuf_addf(sb, "%-34s", "Partition key:");
	cql_type_to_cql(h->key_type, sb);
	sbuf_addf(sb, "\n%-34s%d\n", "Clustering columns:", h->nclustering);
	for (int i = 0; i < h->nclustering; i++) {
		sbuf_adds(sb, "  ");
		cql_type_to_cql(h->clustering[i], sb);
		sbuf_adds(sb, cql_type_reversed(h->clustering[i]) ? " DESC\n" : "\n");
	}
	meta_columns(sb, "Static columns:", h->statics, h->nstatic);
	meta_columns(sb, "Regular columns:", h->regulars, h->nregular);
	return 0;
}

int dump_sstable(struct sst *s, struct dump_opts *o, struct pit_err *err)
{
	struct bind b;
	struct out w = { .o = o };
	struct live_at at = { o->now_s, INT64_MAX };
	int rc;

	sbuf_init(&w.sb);
	o->note[0] = '\0';
	/* a thread pays off once there is more than a few milliseconds of work */
	if (o->mode != DUMP_META && sst_data_disk_size(s) >= READAHEAD_MIN && (rc = sst_set_readahead(s, true)) < 0)
		return rc;
	if ((rc = bind_fix_types(s, o->table, err)) < 0 || (rc = bind_init(&b, sst_header(s), sst_name(s), o)) < 0)
		goto out;
	switch (o->mode) {
	case DUMP_JSON: rc = dump_json(s, &b, &w, o->now_s, err); break;
	case DUMP_ROWS: {
		struct sst_scan *sc = NULL;
		if ((rc = sst_scan_open(&sc, s, err)) == 0)
			rc = dump_rows(&b, &w, &at, &sst_scan_ops, sc, err);
		sst_scan_close(sc);
		break;
	}
	case DUMP_META: rc = dump_meta(s, &w); break;
	}
	if (rc >= 0)
		rc = out_flush(&w, true);
out:
	bind_release(&b);
	sbuf_release(&w.sb);
	return rc;
}

int dump_rows_from(const struct sst_header *h, const char *name, const struct scan_ops *it, void *ctx,
		   struct dump_opts *o, int64_t max_ts, struct pit_err *err)
{
	struct bind b;
	struct out w = { .o = o };
	struct live_at at = { o->now_s, max_ts };
	int rc;

	sbuf_init(&w.sb);
	o->note[0] = '\0';
	if ((rc = bind_init(&b, h, name, o)) == 0 && (rc = dump_rows(&b, &w, &at, it, ctx, err)) >= 0)
		rc = out_flush(&w, true);
	bind_release(&b);
	sbuf_release(&w.sb);
	return rc;
}
