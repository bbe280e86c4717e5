#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/rahead.h"

/* Decompressed chunks held per file: the one being read, the one before
 * (readers a little behind, the kernel's requests out of order), those
 * ahead, and what the workers are loading. Two workers: reading a pack and
 * decompressing take longer than the readers' copying, and two chunks load
 * at once. */
#define SLOTS 6
#define AHEAD 4
#define WORKERS 2
#define NEAR (128u << 10)	/* front to back: a read within this (or its own
				 * length) of the last one's end; the kernel's
				 * requests may come a little out of order */

enum slot_state { S_EMPTY, S_LOADING, S_READY, S_FAILED };

struct slot {
	enum slot_state state;
	size_t chunk;
	uint8_t *data;		/* CHUNK_SIZE bytes */
	bool give;		/* read ahead, front to back: to the pool once read */
	unsigned pins;		/* readers copying out of it */
	uint64_t used;
	struct pit_err err;
	int rc;
};

struct rahead {
	struct repo *r;
	const struct mf_file *f;
	char *name;
	uint64_t *start;	/* offset of each chunk in the file */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t worker[WORKERS];
	int nworkers;
	bool stop;
	struct slot slot[SLOTS];
	size_t want;		/* a chunk a reader waits for, or SIZE_MAX */
	uint64_t end;		/* where the last read ended, or UINT64_MAX */
	bool near_end;		/* the last read was near the end of the one before */
	size_t next;		/* reads go front to back: read ahead from here; 0: they do not */
	uint64_t clock;
	uint64_t loads;		/* whole chunks the workers decompressed */
};

static struct slot *find(struct rahead *ra, size_t k)
{
	for (int i = 0; i < SLOTS; i++)
		if (ra->slot[i].state != S_EMPTY && ra->slot[i].chunk == k)
			return &ra->slot[i];
	return NULL;
}

/* A slot to load into: an empty one, else the least recently used that no
 * reader holds, is not loading and is not the chunk being read. */
static struct slot *victim(struct rahead *ra)
{
	struct slot *v = NULL;

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &ra->slot[i];
		if (s->state == S_EMPTY)
			return s;
		if (s->pins || s->state == S_LOADING || (ra->next && s->chunk == ra->next - 1))
			continue;
		if (!v || s->used < v->used)
			v = s;
	}
	return v;
}

/* What the worker loads next: the chunk a reader waits for, else the next
 * ones after the last read; SIZE_MAX when there is nothing to do. */
static size_t job(struct rahead *ra)
{
	if (ra->want != SIZE_MAX && !find(ra, ra->want))
		return ra->want;
	for (size_t k = ra->next; k < ra->next + AHEAD && k < ra->f->nchunks; k++)
		if (ra->next && !find(ra, k))
			return k;
	return SIZE_MAX;
}

/* A chunk read front to back goes to the repository's pool (if it keeps
 * one) when its slot is needed again: the buffer itself, no copy, as the
 * pool's first to go (cold), so that it stays while the pool has room and
 * a long copy never pushes out the chunks in use. Not while it loads:
 * readers are done with it by then. */
static void give_to_pool(struct rahead *ra, struct slot *s)
{
	struct chunkpool *pool = repo_chunkpool(ra->r);

	if (s->state == S_READY && s->give && s->data && pool)
		chunkpool_adopt(pool, &ra->f->chunks[s->chunk].id, &s->data, CHUNK_SIZE, ra->f->chunks[s->chunk].raw,
				true);
	s->give = false;
}

static void *worker_main(void *arg)
{
	struct rahead *ra = arg;
	struct repo_reader *rr = NULL;
	struct pit_err rerr = { 0 };
	int rrc = repo_reader_new(&rr, ra->r, &rerr);

	pthread_mutex_lock(&ra->mu);
	while (!ra->stop) {
		size_t k = job(ra);
		struct slot *s = k == SIZE_MAX ? NULL : victim(ra);
		if (!s) {
			pthread_cond_wait(&ra->cv, &ra->mu);
			continue;
		}
		give_to_pool(ra, s);
		s->state = S_LOADING;
		s->chunk = k;
		s->rc = 0;
		bool ahead = ra->next != 0;	/* a front-to-back reader */
		pthread_mutex_unlock(&ra->mu);
		struct pit_err err = { 0 };
		int rc = rrc;
		/* while the workers decompress this chunk and the next, the disk
		 * reads the one after them (12 % more cold sequential throughput) */
		if (rc == 0 && ahead && k + WORKERS < ra->f->nchunks)
			repo_prefetch(rr, &ra->f->chunks[k + WORKERS].id, ra->f->chunks[k + WORKERS].raw);
		if (rc < 0)
			err = rerr;
		else if (!s->data && !(s->data = malloc(CHUNK_SIZE)))
			rc = pit_errf(&err, -ENOMEM, "out of memory");
		else
			rc = (ahead ? repo_read_chunk_once : repo_read_chunk)(rr, &ra->f->chunks[k].id,
									      ra->f->chunks[k].raw, s->data, &err);
		pthread_mutex_lock(&ra->mu);
		ra->loads += rc == 0;
		s->state = rc < 0 ? S_FAILED : S_READY;
		s->give = rc == 0 && ahead;
		s->rc = rc;
		s->err = err;
		s->used = ++ra->clock;
		pthread_cond_broadcast(&ra->cv);
	}
	pthread_mutex_unlock(&ra->mu);
	repo_reader_free(rr);
	return NULL;
}

int rahead_open(struct rahead **out, struct repo *r, const struct mf_file *f, const char *name, struct pit_err *err)
{
	struct rahead *ra = calloc(1, sizeof(*ra));
	int rc;

	*out = NULL;
	if (!ra || !(ra->name = strdup(name)) || !(ra->start = calloc(f->nchunks + 1, sizeof(*ra->start)))) {
		if (ra)
			free(ra->name);
		free(ra);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	ra->r = r;
	ra->f = f;
	ra->want = SIZE_MAX;
	ra->end = UINT64_MAX;
	for (uint32_t i = 0; i < f->nchunks; i++) {
		if (f->chunks[i].raw > CHUNK_SIZE) {
			free(ra->start);
			free(ra->name);
			free(ra);
			return pit_errf(err, -EBADMSG, "%s: chunk %u larger than a chunk can be", name, i);
		}
		ra->start[i + 1] = ra->start[i] + f->chunks[i].raw;
	}
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	/* A file of one chunk (most of an SSTable's files) has nothing to read
	 * ahead: its reads decompress the parts they ask for in the reader's
	 * thread, and no worker starts (starting two took nearly half the time
	 * of copying small files). Larger files are mostly read front to back
	 * (cp, rsync, tar): their first chunk loads at once, and reading ahead
	 * waits for reads that show it. */
	if (f->nchunks > 1) {
		ra->want = 0;
		ra->end = 0;
		ra->near_end = true;
		for (; ra->nworkers < WORKERS; ra->nworkers++)
			if ((rc = pthread_create(&ra->worker[ra->nworkers], NULL, worker_main, ra))) {
				rahead_close(ra);
				return pit_errf(err, -rc, "%s: cannot start a reader thread", name);
			}
	}
	*out = ra;
	return 0;
}

/* len bytes at in of chunk k, read by the calling thread; called and
 * returns with ra->mu held. */
static int read_away(struct rahead *ra, size_t k, uint32_t in, size_t len, uint8_t *dst, struct pit_err *err)
{
	struct repo_reader *rr = NULL;
	struct pit_err rerr = { 0 };
	int rc;

	ra->next = 0;
	pthread_mutex_unlock(&ra->mu);
	if ((rc = repo_reader_take(ra->r, &rr, &rerr)) == 0)
		rc = repo_read_range(rr, &ra->f->chunks[k].id, ra->f->chunks[k].raw, in, len, dst, &rerr);
	repo_reader_give(rr);
	pthread_mutex_lock(&ra->mu);
	if (rc < 0)
		return pit_errf(err, rc == -ENOMEM ? -ENOMEM : -EIO, "%s: %s", ra->name, pit_err_msg(&rerr, rc));
	return 0;
}

/* The chunk holding off (binary search over the chunks' offsets). */
static size_t chunk_at(const struct rahead *ra, uint64_t off)
{
	size_t lo = 0, hi = ra->f->nchunks;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (ra->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

ssize_t rahead_pread(struct rahead *ra, void *buf, size_t n, uint64_t off, struct pit_err *err)
{
	uint64_t size = ra->start[ra->f->nchunks];
	size_t done = 0;
	ssize_t rc = 0;
	bool seq;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = (size_t)(size - off);
	pthread_mutex_lock(&ra->mu);
	/* front to back: read ahead; else read only the parts asked for. Front
	 * to back means two reads in a row near where the one before ended: a
	 * reader at random places lands near its last read now and then (one
	 * read in 150 in a 40 MiB file), and one read alone would cost it whole
	 * chunks decompressed, and the 4 after them. */
	uint64_t near = n > NEAR ? n : NEAR;
	bool near_end = ra->end != UINT64_MAX && off + near >= ra->end && off <= ra->end + near;
	seq = ra->nworkers && near_end && ra->near_end;
	ra->near_end = near_end;
	ra->end = off + n;
	while (done < n) {
		size_t k = chunk_at(ra, off + done);
		struct slot *s = find(ra, k);
		uint64_t in = off + done - ra->start[k];	/* what of chunk k this read wants */
		size_t len = (size_t)(ra->start[k + 1] - (off + done));
		if (len > n - done)
			len = n - done;
		/* a read away from the last one: just its bytes, from the parts of
		 * the chunk holding them (or the repository's pool), in this
		 * thread; no whole chunk into a slot */
		if (!s && !seq) {
			if ((rc = read_away(ra, k, (uint32_t)in, len, (uint8_t *)buf + done, err)) < 0)
				break;
			done += len;
			continue;
		}
		if (!s || s->state == S_LOADING) {
			if (!s) {
				ra->want = k;
				pthread_cond_broadcast(&ra->cv);
			}
			pthread_cond_wait(&ra->cv, &ra->mu);
			continue;
		}
		if (s->state == S_FAILED) {
			rc = pit_errf(err, s->rc == -ENOMEM ? -ENOMEM : -EIO, "%s: %s", ra->name,
				      pit_err_msg(&s->err, s->rc));
			s->state = S_EMPTY;	/* a later read tries again */
			break;
		}
		if (ra->want == k)
			ra->want = SIZE_MAX;
		s->pins++;
		s->used = ++ra->clock;
		if (ra->next != (seq ? k + 1 : 0)) {
			ra->next = seq ? k + 1 : 0;
			pthread_cond_broadcast(&ra->cv);
		}
		pthread_mutex_unlock(&ra->mu);
		memcpy((uint8_t *)buf + done, s->data + in, len);
		pthread_mutex_lock(&ra->mu);
		s->pins--;
		done += len;
	}
	pthread_mutex_unlock(&ra->mu);
	return rc < 0 ? rc : (ssize_t)done;
}

void rahead_close(struct rahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	pthread_cond_broadcast(&ra->cv);
	pthread_mutex_unlock(&ra->mu);
	for (int i = 0; i < ra->nworkers; i++)
		pthread_join(ra->worker[i], NULL);
	for (int i = 0; i < SLOTS; i++) {
		give_to_pool(ra, &ra->slot[i]);
		free(ra->slot[i].data);
	}
	pthread_cond_destroy(&ra->cv);
	pthread_mutex_destroy(&ra->mu);
	free(ra->start);
	free(ra->name);
	free(ra);
}

uint64_t rahead_loads(struct rahead *ra)
{
	pthread_mutex_lock(&ra->mu);
	uint64_t n = ra->loads;
	pthread_mutex_unlock(&ra->mu);
	return n;
}
