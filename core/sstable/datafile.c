#include "core/sstable/datafile.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/util/bytes.h"

#define OFFSET_WINDOW 1024		/* chunk offsets / CRCs kept in memory at once */
#define RAW_CHUNK (64 * 1024)		/* chunking of uncompressed files without CRC.db */
#define MAX_CHUNK (64u << 20)

/* What producing a chunk needs: one for the reader, one for the read-ahead
 * thread, so that neither shares mutable state with the other. */
struct loader {
	struct sst_decoder *dec;
	uint64_t win_first;	/* window of chunk offsets (compressed) or CRCs (CRC.db) */
	uint32_t win_n;
	uint64_t win[OFFSET_WINDOW + 1];
	uint8_t *stored;
	size_t stored_cap;
};

/* Read-ahead: a thread verifies and decompresses the chunks after the one
 * being read into a small ring, so that the reader rarely waits for it. */
#define AHEAD_SLOTS 8

struct ahead_slot {
	uint8_t *buf;
	size_t n;
	int64_t chunk;
	int rc;
	struct pit_err err;
};

struct ahead {
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t to_worker, to_reader;
	bool worker_waits, reader_waits;
	struct loader ld;
	struct ahead_slot slot[AHEAD_SLOTS];
	unsigned head, count;	/* ready slots: head .. head+count-1 */
	bool busy;		/* the worker is filling slot head+count */
	uint64_t next;		/* the chunk the worker makes next */
	uint64_t gen;		/* bumped when the reader jumps: work in flight is dropped */
};

struct sst_dfile {
	struct bsrc *data, *compinfo, *crc;
	struct sst_compinfo info;
	uint64_t offsets_at;		/* where chunk offsets start in CompressionInfo.db */
	uint64_t nstored;		/* chunks on disk: nchunks, or one more (empty) */
	uint64_t disk_len;
	struct loader ld;
	int64_t cur_chunk;		/* the chunk in chunk[], or -1 */
	uint8_t *chunk;
	size_t chunk_n;
	bool readahead;
	struct ahead ah;
};

static const char *dname(const struct sst_dfile *df) { return bsrc_name(df->data); }

/* Java writeUTF: u16 length + modified UTF-8 (ASCII here). */
static int read_utf(const uint8_t *p, size_t n, size_t *off, char *out, size_t cap)
{
	if (n - *off < 2)
		return -1;
	size_t len = be16(p + *off);
	*off += 2;
	if (n - *off < len)
		return -1;
	size_t c = len < cap - 1 ? len : cap - 1;
	memcpy(out, p + *off, c);
	out[c] = '\0';
	*off += len;
	return 0;
}

static int parse_compinfo(struct sst_dfile *df, bool has_max, struct pit_err *err)
{
	struct sst_compinfo *ci = &df->info;
	const char *name = bsrc_name(df->compinfo);
	uint8_t head[4096];
	size_t off = 0, n;
	ssize_t got = bsrc_pread(df->compinfo, head, sizeof(head), 0, err);
	char skip[64];

	if (got < 0)
		return (int)got;
	n = (size_t)got;
	if (read_utf(head, n, &off, ci->cls, sizeof(ci->cls)) < 0)
		return pit_errf(err, -EBADMSG, "%s: offset 0: truncated compressor class", name);
	if (sst_codec_from_class(ci->cls, &ci->codec) < 0)
		return pit_errf(err, -ENOTSUP, "%s: unsupported compressor \"%s\"", name, ci->cls);
	if (n - off < 4)
		goto trunc;
	int32_t nopt = (int32_t)be32(head + off);
	off += 4;
	if (nopt < 0 || nopt > 64)
		return pit_errf(err, -EBADMSG, "%s: offset %zu: %d compression options", name, off - 4, nopt);
	for (int i = 0; i < nopt; i++) {
		char *k = i < 8 ? ci->options[i][0] : skip, *v = i < 8 ? ci->options[i][1] : skip;
		if (read_utf(head, n, &off, k, 64) < 0 || read_utf(head, n, &off, v, 64) < 0)
			goto trunc;
	}
	ci->noptions = nopt < 8 ? nopt : 8;
	if (n - off < (has_max ? 20u : 16u))
		goto trunc;
	int32_t clen = (int32_t)be32(head + off);
	off += 4;
	if (clen <= 0 || (uint32_t)clen > MAX_CHUNK)
		return pit_errf(err, -EBADMSG, "%s: offset %zu: chunk length %d out of range", name, off - 4, clen);
	ci->chunk_len = (uint32_t)clen;
	if (has_max) {
		int32_t mc = (int32_t)be32(head + off);
		off += 4;
		ci->max_compressed = mc > 0 ? (uint32_t)mc : 0;
	}
	ci->data_len = be64(head + off);
	off += 8;
	int32_t count = (int32_t)be32(head + off);
	off += 4;
	uint64_t want = (ci->data_len + ci->chunk_len - 1) / ci->chunk_len;
	/* 3.x writers may end with one more, empty, chunk: it holds no data */
	if (count < 0 || (uint64_t)count < want || (uint64_t)count > want + 1)
		return pit_errf(err, -EBADMSG, "%s: offset %zu: %d chunks for %llu bytes in chunks of %u", name,
				off - 4, count, (unsigned long long)ci->data_len, ci->chunk_len);
	ci->nchunks = want;
	df->nstored = (uint64_t)count;
	df->offsets_at = off;
	if (bsrc_size(df->compinfo) < off + 8 * df->nstored)
		return pit_errf(err, -EBADMSG, "%s: truncated: %llu chunk offsets need %llu bytes, file has %llu",
				name, (unsigned long long)df->nstored, (unsigned long long)(off + 8 * df->nstored),
				(unsigned long long)bsrc_size(df->compinfo));
	return 0;
trunc:
	return pit_errf(err, -EBADMSG, "%s: truncated header at offset %zu", name, off);
}

int sst_dfile_open(struct sst_dfile **out, struct bsrc *data, struct bsrc *compinfo, struct bsrc *crc,
		   bool has_max_compressed, struct pit_err *err)
{
	struct sst_dfile *df = calloc(1, sizeof(*df));
	int rc = 0;

	*out = NULL;
	if (!df)
		return -ENOMEM;
	df->data = data;
	df->compinfo = compinfo;
	df->crc = crc;
	df->disk_len = bsrc_size(data);
	df->cur_chunk = -1;
	if (compinfo) {
		df->info.compressed = true;
		if ((rc = parse_compinfo(df, has_max_compressed, err)) < 0)
			goto out;
		if ((rc = sst_decoder_new(&df->ld.dec, df->info.codec)) < 0)
			goto out;
	} else {
		df->info.codec = SST_CODEC_NONE;
		df->info.data_len = df->disk_len;
		df->info.chunk_len = RAW_CHUNK;
		if (crc) {
			uint8_t b[4];
			if ((rc = bsrc_read_exact(crc, b, 4, 0, err)) < 0)
				goto out;
			int32_t cs = (int32_t)be32(b);
			if (cs <= 0 || (uint32_t)cs > MAX_CHUNK) {
				rc = pit_errf(err, -EBADMSG, "%s: offset 0: chunk size %d out of range", bsrc_name(crc), cs);
				goto out;
			}
			df->info.chunk_len = (uint32_t)cs;
			df->info.has_crc = true;
		}
		df->info.nchunks = (df->info.data_len + df->info.chunk_len - 1) / df->info.chunk_len;
		df->nstored = df->info.nchunks;
		/* like CompressionInfo.db, CRC.db may end with the checksum of an empty chunk */
		if (crc && bsrc_size(crc) != 4 + 4 * df->info.nchunks && bsrc_size(crc) != 8 + 4 * df->info.nchunks) {
			rc = pit_errf(err, -EBADMSG, "%s: holds %llu checksums, %s needs %llu", bsrc_name(crc),
				      (unsigned long long)((bsrc_size(crc) - 4) / 4), dname(df),
				      (unsigned long long)df->info.nchunks);
			goto out;
		}
	}
	if (!(df->chunk = malloc(df->info.chunk_len))) {
		rc = -ENOMEM;
		goto out;
	}
out:
	if (rc < 0)
		sst_dfile_close(df);
	else
		*out = df;
	return rc;
}

void sst_dfile_close(struct sst_dfile *df)
{
	if (!df)
		return;
	if (df->ah.started) {
		pthread_mutex_lock(&df->ah.mu);
		df->ah.stop = true;
		pthread_cond_signal(&df->ah.to_worker);
		pthread_mutex_unlock(&df->ah.mu);
		pthread_join(df->ah.thread, NULL);
		pthread_mutex_destroy(&df->ah.mu);
		pthread_cond_destroy(&df->ah.to_worker);
		pthread_cond_destroy(&df->ah.to_reader);
	}
	sst_decoder_free(df->ah.ld.dec);
	free(df->ah.ld.stored);
	for (int k = 0; k < AHEAD_SLOTS; k++)
		free(df->ah.slot[k].buf);
	sst_decoder_free(df->ld.dec);
	free(df->chunk);
	free(df->ld.stored);
	free(df);
}

const struct sst_compinfo *sst_dfile_info(const struct sst_dfile *df) { return &df->info; }
uint64_t sst_dfile_length(const struct sst_dfile *df) { return df->info.data_len; }

/* Loads win[] so that entries i and i+1 (offsets) or i (CRCs) are present. */
static int load_window(struct sst_dfile *df, struct loader *ld, uint64_t i, struct pit_err *err)
{
	uint8_t buf[8 * (OFFSET_WINDOW + 1)];
	bool offsets = df->info.compressed;
	size_t width = offsets ? 8 : 4;
	uint64_t total = offsets ? df->nstored : df->info.nchunks;
	uint64_t first = i;
	uint32_t n = (uint32_t)(total - first < OFFSET_WINDOW ? total - first : OFFSET_WINDOW);
	struct bsrc *src = offsets ? df->compinfo : df->crc;
	uint64_t at = offsets ? df->offsets_at + 8 * first : 4 + 4 * first;
	int rc;

	if ((rc = bsrc_read_exact(src, buf, n * width, at, err)) < 0)
		return rc;
	for (uint32_t k = 0; k < n; k++)
		ld->win[k] = offsets ? be64(buf + 8 * k) : be32(buf + 4 * k);
	if (offsets) {	/* the end of the last chunk in the window */
		if (first + n < total) {
			uint8_t e[8];
			if ((rc = bsrc_read_exact(src, e, 8, at + 8 * n, err)) < 0)
				return rc;
			ld->win[n] = be64(e);
		} else {
			ld->win[n] = df->disk_len;
		}
	}
	ld->win_first = first;
	ld->win_n = n;
	return 0;
}

/* Reads, verifies and decompresses chunk i into dst (chunk_len bytes of room). */
static int load_chunk(struct sst_dfile *df, struct loader *ld, uint64_t i, uint8_t *dst, size_t *dst_n,
		      struct pit_err *err)
{
	const struct sst_compinfo *ci = &df->info;
	uint64_t want = i + 1 < ci->nchunks ? ci->chunk_len : i < ci->nchunks ? ci->data_len - i * ci->chunk_len : 0;
	int rc;

	if (ld->win_n == 0 || i < ld->win_first || i >= ld->win_first + ld->win_n)
		if ((ci->compressed || ci->has_crc) && (rc = load_window(df, ld, i, err)) < 0)
			return rc;
	if (!ci->compressed) {
		uint64_t off = i * ci->chunk_len;
		if ((rc = bsrc_read_exact(df->data, dst, (size_t)want, off, err)) < 0)
			return rc;
		if (ci->has_crc) {
			uint32_t stored = (uint32_t)ld->win[i - ld->win_first];
			uint32_t got = (uint32_t)crc32(0, dst, (uInt)want);
			if (stored != got)
				return pit_errf(err, -EIO, "%s: chunk %llu at offset %llu: checksum mismatch "
						"(CRC.db has %08x, data has %08x)", dname(df), (unsigned long long)i,
						(unsigned long long)off, stored, got);
		}
		*dst_n = (size_t)want;
		return 0;
	}
	uint64_t start = ld->win[i - ld->win_first], end = ld->win[i - ld->win_first + 1];
	if (end < start + 4 || end > df->disk_len)
		return pit_errf(err, -EBADMSG, "%s: chunk %llu: bad bounds %llu..%llu (file has %llu bytes)",
				dname(df), (unsigned long long)i, (unsigned long long)start, (unsigned long long)end,
				(unsigned long long)df->disk_len);
	size_t stored_n = (size_t)(end - start);
	if (stored_n > 2 * (size_t)ci->chunk_len + 4096)
		return pit_errf(err, -EBADMSG, "%s: chunk %llu at offset %llu: %zu stored bytes for a %u-byte chunk",
				dname(df), (unsigned long long)i, (unsigned long long)start, stored_n, ci->chunk_len);
	if (stored_n > ld->stored_cap) {
		uint8_t *nb = realloc(ld->stored, stored_n);
		if (!nb)
			return -ENOMEM;
		ld->stored = nb;
		ld->stored_cap = stored_n;
	}
	if ((rc = bsrc_read_exact(df->data, ld->stored, stored_n, start, err)) < 0)
		return rc;
	size_t len = stored_n - 4;
	uint32_t stored_crc = be32(ld->stored + len), got = (uint32_t)crc32(0, ld->stored, (uInt)len);
	if (stored_crc != got)
		return pit_errf(err, -EIO, "%s: chunk %llu at offset %llu: checksum mismatch (stored %08x, computed %08x)",
				dname(df), (unsigned long long)i, (unsigned long long)start, stored_crc, got);
	ssize_t n;
	if (ci->max_compressed && len >= ci->max_compressed) {
		if (len != want)
			return pit_errf(err, -EBADMSG, "%s: chunk %llu at offset %llu: stored raw with %zu bytes, %llu expected",
					dname(df), (unsigned long long)i, (unsigned long long)start, len,
					(unsigned long long)want);
		memcpy(dst, ld->stored, len);
		n = (ssize_t)len;
	} else {
		struct pit_err e2 = { 0 };
		n = sst_decompress(ld->dec, ld->stored, len, dst, ci->chunk_len, &e2);
		if (n < 0)
			return pit_errf(err, (int)n, "%s: chunk %llu at offset %llu: %s", dname(df), (unsigned long long)i,
					(unsigned long long)start, e2.msg);
	}
	if ((uint64_t)n != want)
		return pit_errf(err, -EBADMSG, "%s: chunk %llu at offset %llu: decompressed to %zd bytes, %llu expected",
				dname(df), (unsigned long long)i, (unsigned long long)start, n, (unsigned long long)want);
	*dst_n = (size_t)n;
	return 0;
}

static void *ahead_main(void *arg)
{
	struct sst_dfile *df = arg;
	struct ahead *ah = &df->ah;

	pthread_mutex_lock(&ah->mu);
	while (!ah->stop) {
		if (ah->count == AHEAD_SLOTS || ah->next >= df->info.nchunks) {
			ah->worker_waits = true;
			pthread_cond_wait(&ah->to_worker, &ah->mu);
			ah->worker_waits = false;
			continue;
		}
		struct ahead_slot *sl = &ah->slot[(ah->head + ah->count) % AHEAD_SLOTS];
		uint64_t i = ah->next, gen = ah->gen;
		ah->busy = true;
		pthread_mutex_unlock(&ah->mu);
		struct pit_err e = { 0 };
		size_t n = 0;
		int rc = load_chunk(df, &ah->ld, i, sl->buf, &n, &e);
		pthread_mutex_lock(&ah->mu);
		ah->busy = false;
		if (gen == ah->gen) {
			sl->n = n;
			sl->chunk = (int64_t)i;
			sl->rc = rc;
			sl->err = e;
			ah->count++;
			ah->next = rc < 0 ? df->info.nchunks : i + 1;	/* stop at an error */
		}
		if (ah->reader_waits)
			pthread_cond_signal(&ah->to_reader);
	}
	pthread_mutex_unlock(&ah->mu);
	return NULL;
}

int sst_dfile_set_readahead(struct sst_dfile *df, bool on)
{
	struct ahead *ah = &df->ah;

	if (!on || df->info.nchunks < 2 || ah->started) {
		df->readahead = on && ah->started;
		return 0;
	}
	for (int k = 0; k < AHEAD_SLOTS; k++)
		if (!(ah->slot[k].buf = malloc(df->info.chunk_len)))
			return -ENOMEM;
	if (df->info.compressed && sst_decoder_new(&ah->ld.dec, df->info.codec) < 0)
		return -ENOMEM;
	pthread_mutex_init(&ah->mu, NULL);
	pthread_cond_init(&ah->to_worker, NULL);
	pthread_cond_init(&ah->to_reader, NULL);
	ah->next = df->info.nchunks;	/* idle until the first read says where to start */
	if (pthread_create(&ah->thread, NULL, ahead_main, df) != 0) {
		pthread_mutex_destroy(&ah->mu);
		pthread_cond_destroy(&ah->to_worker);
		pthread_cond_destroy(&ah->to_reader);
		return 0;	/* no thread: read without one */
	}
	ah->started = true;
	df->readahead = true;
	return 0;
}

/* Chunk i through the ring: taken from it when the worker has it or is on
 * its way to it; otherwise the ring restarts at i. Called with ah->mu held. */
static int ahead_get(struct sst_dfile *df, uint64_t i, struct pit_err *err)
{
	struct ahead *ah = &df->ah;

	for (;;) {
		if (ah->count) {
			struct ahead_slot *sl = &ah->slot[ah->head];
			if (sl->chunk == (int64_t)i) {
				if (sl->rc < 0) {
					if (err)
						*err = sl->err;
					return sl->rc;
				}
				uint8_t *t = df->chunk;	/* swap: the worker refills the old buffer */
				df->chunk = sl->buf;
				sl->buf = t;
				df->chunk_n = sl->n;
				df->cur_chunk = (int64_t)i;
				ah->head = (ah->head + 1) % AHEAD_SLOTS;
				ah->count--;
				if (ah->worker_waits)
					pthread_cond_signal(&ah->to_worker);
				return 0;
			}
		} else if (ah->next == i || (ah->busy && ah->next == i + 1)) {
			/* it is being made: wait for it */
			ah->reader_waits = true;
			pthread_cond_wait(&ah->to_reader, &ah->mu);
			ah->reader_waits = false;
			continue;
		}
		/* a jump: drop what is queued, wait out the chunk in flight, restart */
		ah->gen++;
		while (ah->busy) {
			ah->reader_waits = true;
			pthread_cond_wait(&ah->to_reader, &ah->mu);
			ah->reader_waits = false;
		}
		ah->head = ah->count = 0;
		int rc = load_chunk(df, &df->ld, i, df->chunk, &df->chunk_n, err);
		if (rc < 0)
			return rc;
		df->cur_chunk = (int64_t)i;
		ah->next = i + 1;
		if (ah->worker_waits)
			pthread_cond_signal(&ah->to_worker);
		return 0;
	}
}

ssize_t sst_dfile_map(struct sst_dfile *df, uint64_t off, const uint8_t **p, struct pit_err *err)
{
	const struct sst_compinfo *ci = &df->info;
	uint64_t i;
	int rc;

	if (off >= ci->data_len)
		return 0;
	i = off / ci->chunk_len;
	if ((int64_t)i != df->cur_chunk) {
		df->cur_chunk = -1;
		if (df->readahead) {
			pthread_mutex_lock(&df->ah.mu);
			rc = ahead_get(df, i, err);
			pthread_mutex_unlock(&df->ah.mu);
			if (rc < 0)
				return rc;
		} else {
			if ((rc = load_chunk(df, &df->ld, i, df->chunk, &df->chunk_n, err)) < 0)
				return rc;
			df->cur_chunk = (int64_t)i;
		}
	}
	size_t in = (size_t)(off - i * ci->chunk_len);
	*p = df->chunk + in;
	return (ssize_t)(df->chunk_n - in);
}

int sst_dfile_verify_chunks(struct sst_dfile *df, struct pit_err *err)
{
	uint64_t n = df->info.compressed ? df->nstored : df->info.nchunks;
	uint8_t *buf = malloc(df->info.chunk_len);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		size_t got;
		rc = load_chunk(df, &df->ld, i, buf, &got, err);
	}
	free(buf);
	return rc;
}

/* ---- cursor ---- */

void sst_cursor_init(struct sst_cursor *c, struct sst_dfile *df, uint64_t pos)
{
	memset(c, 0, sizeof(*c));
	c->df = df;
	c->pos = pos;
}

void sst_cursor_release(struct sst_cursor *c)
{
	free(c->scratch);
	c->scratch = NULL;
	c->scap = 0;
}

void sst_cursor_seek(struct sst_cursor *c, uint64_t pos)
{
	c->pos = pos;
	c->p = c->end = NULL;
}

bool sst_cursor_eof(const struct sst_cursor *c)
{
	return c->pos >= c->df->info.data_len;
}

static int cursor_fill(struct sst_cursor *c, struct pit_err *err)
{
	const uint8_t *p = NULL;
	ssize_t n = sst_dfile_map(c->df, c->pos, &p, err);

	if (n < 0)
		return (int)n;
	c->p = p;
	c->end = n ? p + n : p;
	return 0;
}

int sst_cursor_get_slow(struct sst_cursor *c, size_t n, const uint8_t **out, struct pit_err *err)
{
	int rc;

	if (n == 0) {
		*out = (const uint8_t *)"";
		return 0;
	}
	if (c->p == c->end && (rc = cursor_fill(c, err)) < 0)
		return rc;
	if ((size_t)(c->end - c->p) >= n) {
		*out = c->p;
		c->p += n;
		c->pos += n;
		return 0;
	}
	if (n > c->df->info.data_len - c->pos)
		return pit_errf(err, -EBADMSG, "%s: offset %llu: %zu bytes wanted, data ends at %llu", dname(c->df),
				(unsigned long long)c->pos, n, (unsigned long long)c->df->info.data_len);
	if (n > c->scap) {
		size_t cap = c->scap ? c->scap : 4096;
		while (cap < n)
			cap *= 2;
		uint8_t *nb = realloc(c->scratch, cap);
		if (!nb)
			return pit_errf(err, -ENOMEM, "%s: offset %llu: no memory for %zu bytes", dname(c->df),
					(unsigned long long)c->pos, n);
		c->scratch = nb;
		c->scap = cap;
	}
	size_t done = 0;
	while (done < n) {
		if (c->p == c->end && (rc = cursor_fill(c, err)) < 0)
			return rc;
		size_t k = (size_t)(c->end - c->p);
		if (k > n - done)
			k = n - done;
		memcpy(c->scratch + done, c->p, k);
		c->p += k;
		c->pos += k;
		done += k;
	}
	*out = c->scratch;
	return 0;
}

int sst_cursor_u8_slow(struct sst_cursor *c, uint8_t *v, struct pit_err *err)
{
	const uint8_t *p;
	int rc;

	if ((rc = sst_cursor_get_slow(c, 1, &p, err)) < 0)
		return rc;
	*v = p[0];
	return 0;
}

int sst_cursor_uvint_slow(struct sst_cursor *c, uint64_t *v, struct pit_err *err)
{
	const uint8_t *p;
	uint8_t first;
	int rc;

	if ((rc = sst_cursor_u8(c, &first, err)) < 0)
		return rc;
	int len = uvint_len(first);
	if (len == 1) {
		*v = first;
		return 0;
	}
	if ((rc = sst_cursor_get(c, (size_t)len - 1, &p, err)) < 0)
		return rc;
	uint8_t tmp[9];
	tmp[0] = first;
	memcpy(tmp + 1, p, (size_t)len - 1);
	uvint_get(tmp, tmp + len, v);
	return 0;
}
