/* Reading one SSTable: its components, metadata, and a streaming scan of
 * Data.db partition by partition, unfiltered by unfiltered. */
#ifndef PIT_SST_READER_H
#define PIT_SST_READER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/sstable/datafile.h"
#include "core/sstable/stats.h"
#include "core/sstable/token.h"
#include "core/util/bsrc.h"

struct sst;
struct sst_scan;

/* Opens component `component` ("Data.db", "TOC.txt", ...) of the SSTable
 * whose files share `prefix` ("me-1-big-"); -ENOENT when absent. */
typedef int (*sst_component_fn)(void *ctx, const char *prefix, const char *component, struct bsrc **out,
				struct pit_err *err);

/* "me-1-big-Data.db" -> version "me", generation "1", format "big". */
struct sst_desc {
	char version[3];
	char generation[64];
	char format[8];
	char prefix[96];	/* "me-1-big-" */
};
int sst_desc_parse(const char *filename, struct sst_desc *d);

int sst_open(struct sst **out, const char *data_name, sst_component_fn fn, void *ctx, struct pit_err *err);
/* The files next to a *-Data.db path. */
int sst_open_path(struct sst **out, const char *data_path, struct pit_err *err);
void sst_close(struct sst *s);

const char *sst_name(const struct sst *s);	/* the Data.db name as given */
const struct sst_desc *sst_descriptor(const struct sst *s);
const struct sst_version *sst_version(const struct sst *s);
const struct sst_stats *sst_stats(const struct sst *s);
const struct sst_header *sst_header(const struct sst *s);
const struct sst_compinfo *sst_compression(const struct sst *s);
/* Components listed in TOC.txt (or found, when TOC.txt is missing). */
bool sst_has_component(const struct sst *s, const char *component);
uint64_t sst_data_length(const struct sst *s);
/* The decompressed, verified Data.db bytes from off to the end of their chunk
 * (valid until the next call); count, 0 at the end, or -errno. */
ssize_t sst_data_map(struct sst *s, uint64_t off, const uint8_t **p, struct pit_err *err);
uint64_t sst_data_disk_size(const struct sst *s);

/* Overrides how a column's cells are laid out (schema.cql knows better than an
 * m* header whether a UDT is frozen). Call before scanning. */
int sst_column_set_type(struct sst *s, bool is_static, int idx, const struct cql_type *type, struct pit_err *err);

/* For long sequential scans: a second thread decompresses and verifies the
 * next chunk while this one is decoded. One thread per SSTable, so a reader
 * of many SSTables at once should leave it off. */
int sst_set_readahead(struct sst *s, bool on);

/* Digest.crc32 against the whole on-disk Data.db: 0, -ENOENT, -EIO. */
int sst_verify_digest(struct sst *s, struct pit_err *err);
/* Reads every chunk and checks its checksum. */
int sst_verify_chunks(struct sst *s, struct pit_err *err);

/* Whether partitions can be found by key (big: Summary.db, Index.db); a
 * bti SSTable indexes them in tries that are not read, and the lookups
 * below answer -ENOTSUP for it. */
bool sst_has_key_index(const struct sst *s);
/* Finds a partition's Data.db position through Summary.db and Index.db:
 * 0 (found), -ENOENT (not in this SSTable) or -errno. */
int sst_find_partition(struct sst *s, const uint8_t *key, size_t n, uint64_t *pos, struct pit_err *err);
/* Up to parts - 1 partition keys from Summary.db's samples that cut the
 * SSTable into about equal runs of partitions, in order, each as a 16-bit
 * big-endian length and the key into keys: how many, or -errno (0 without
 * Summary.db). */
struct sbuf;
int sst_split_keys(struct sst *s, int parts, struct sbuf *keys, struct pit_err *err);
/* For each key of such a list, where the first partition at or after it
 * (token order) starts in Data.db, UINT64_MAX when every partition comes
 * before it: 0 or -errno. */
int sst_lower_bounds(struct sst *s, const struct sbuf *keys, uint64_t *pos, struct pit_err *err);

/* ---- what a scan yields (pointers valid until the next call) ---- */

struct sst_deletion {
	int64_t mfda;		/* markedForDeleteAt; SST_NO_TS when live */
	int64_t ldt;		/* localDeletionTime; SST_NO_LDT when live */
};

static inline bool sst_deletion_live(const struct sst_deletion *d) { return d->mfda == SST_NO_TS; }

struct sst_liveness {
	int64_t ts;		/* SST_NO_TS: the row has no primary-key liveness */
	int32_t ttl;		/* 0 when not expiring */
	int64_t ldt;		/* local expiration time; SST_NO_LDT when not expiring */
};

enum {
	SST_CELL_DELETED = 0x01,
	SST_CELL_EXPIRING = 0x02,
	SST_CELL_EMPTY_VALUE = 0x04,
	SST_CELL_ROW_TS = 0x08,
	SST_CELL_ROW_TTL = 0x10,
};

struct sst_cell {
	uint16_t col;		/* index into the header's statics or regulars */
	uint8_t flags;
	int64_t ts;
	int32_t ttl;
	int64_t ldt;		/* deletion time (tombstone) or expiration (expiring); else SST_NO_LDT */
	const uint8_t *path;	/* complex cells only */
	uint32_t path_len;
	const uint8_t *value;
	uint32_t len;
};

struct sst_complex_del {
	uint16_t col;
	struct sst_deletion del;
};

enum sst_ukind { SST_ROW, SST_STATIC_ROW, SST_MARKER };

enum sst_bound {	/* ClusteringPrefix.Kind ordinals */
	SST_EXCL_END_BOUND, SST_INCL_START_BOUND, SST_EXCL_END_INCL_START_BOUNDARY, SST_STATIC_CLUSTERING,
	SST_CLUSTERING, SST_INCL_END_EXCL_START_BOUNDARY, SST_INCL_END_BOUND, SST_EXCL_START_BOUND,
};

enum { SST_CK_VALUE, SST_CK_EMPTY, SST_CK_NULL };

struct sst_unfiltered {
	enum sst_ukind kind;
	uint8_t flags, ext;
	uint64_t offset;	/* in the decompressed Data.db */
	int nclust;		/* values present (rows: all clustering columns; markers: the prefix) */
	const uint8_t **cval;
	const uint32_t *clen;
	const uint8_t *cstate;	/* SST_CK_* */
	enum sst_bound bound;	/* markers */
	struct sst_liveness liveness;
	struct sst_deletion deletion;
	bool shadowable;
	struct sst_deletion marker[2];	/* bound: [0]; boundary: end of previous, start of next */
	uint32_t ncells;
	const struct sst_cell *cells;
	uint32_t ncomplex;
	const struct sst_complex_del *complex;
};

struct sst_partition {
	const uint8_t *key;
	uint32_t key_len;
	struct sst_deletion deletion;
	uint64_t offset;
};

/* Fails with -ENOTSUP for LocalPartitioner tables (system internals). */
int sst_scan_open(struct sst_scan **out, struct sst *s, struct pit_err *err);
void sst_scan_close(struct sst_scan *sc);
/* 1 and *p set, 0 at the end of the file, or -errno. Skips what is left of
 * the current partition. */
int sst_scan_next_partition(struct sst_scan *sc, const struct sst_partition **p, struct pit_err *err);
/* 1 and *u set, 0 at the end of the partition, or -errno. */
int sst_scan_next(struct sst_scan *sc, const struct sst_unfiltered **u, struct pit_err *err);
/* Positions the scan so that the next partition is the one at pos. */
void sst_scan_seek(struct sst_scan *sc, uint64_t pos);
uint64_t sst_scan_position(const struct sst_scan *sc);

#endif
