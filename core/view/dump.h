/* `pitfs dump`: an SSTable as sstabledump-like JSON, as live CQL rows, or
 * its metadata as sstablemetadata shows it. */
#ifndef PIT_VIEW_DUMP_H
#define PIT_VIEW_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include "core/cql/schema.h"
#include "core/sstable/reader.h"
#include "core/util/sbuf.h"

enum dump_mode { DUMP_JSON, DUMP_ROWS, DUMP_META };

/* Receives output in pieces; a negative return stops the dump. */
typedef int (*dump_write_fn)(void *ctx, const char *p, size_t n);

struct dump_opts {
	enum dump_mode mode;
	int64_t now_s;			/* DUMP_ROWS: expiry instant */
	const struct cql_table *table;	/* schema.cql's table, or NULL */
	dump_write_fn write;
	void *ctx;
	/* filled: remarks for the user, e.g. how key columns were named */
	char note[256];
};

/* Hands sb's bytes to write once 64 KiB have gathered, or all of them when
 * force: 0, -ENOMEM (with a message) when sb ran out, -EIO when write refused. */
int dump_flush(struct sbuf *sb, bool force, dump_write_fn write, void *ctx, struct pit_err *err);

/* One row in the fixtures' row convention: {"pk": .., "ck": .., "cells": {..}}
 * from its rendered parts; statics and cells hold `"name": value` lists. */
void dump_row_line(struct sbuf *out, const struct sbuf *pk, const char *ck, size_t ckn, const struct sbuf *statics,
		   const struct sbuf *cells);

/* Dumps one SSTable. 0 or -errno with err naming the file and offset. */
int dump_sstable(struct sst *s, struct dump_opts *o, struct pit_err *err);

/* The live rows (DUMP_ROWS) of such a source at o->now_s, ignoring writes
 * after max_ts; its column indices are those of h. name is for messages. */
struct scan_ops;
/* Anything with the shape of an SSTable scan (core/view/liverows.h). */
int dump_rows_from(const struct sst_header *h, const char *name, const struct scan_ops *it, void *ctx,
		   struct dump_opts *o, int64_t max_ts, struct pit_err *err);


#endif
