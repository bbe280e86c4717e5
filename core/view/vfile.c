#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/chunk.h"
#include "core/repo/manifest.h"
#include "core/repo/rahead.h"
#include "core/view/vfile.h"

/* How far a renderer may run ahead of its readers, and how far back
 * readers may go without a restart: enough for the kernel's read-ahead
 * requests, which a multi-threaded mount answers out of order. */
#define WINDOW (8u << 20)
/* Further ahead than this, a read starts the rendering again at the
 * checkpoint nearest before it rather than waiting for it to get there. */
#define FAR (4u << 20)

struct vfile {
	struct repo *r;
	struct tree_node node;
	char *path;
	uint64_t size;
	pthread_mutex_t mu;

	/* an original file: read ahead of sequential readers */
	const struct manifest *m;
	struct rahead *ra;

	/* a rendered file: bytes [start, end) of the output are in ring */
	pthread_cond_t cv;
	pthread_t th;
	bool running, done, cancel, restarting;
	int rc;
	struct pit_err rerr;
	uint8_t *ring;
	size_t cap;
	uint64_t start, end, want;
	uint64_t asked;		/* the offset the rendering was started for */
	uint64_t begins;	/* where its output begins (a checkpoint, or 0) */
	bool fresh;		/* nothing written yet: start and end not set */
	unsigned waiters;	/* readers waiting for the rendering to get to them */
	unsigned renderings;
};

/* ---- original files ---- */

static int open_original(struct vfile *f, struct pit_err *err)
{
	int rc;

	if ((rc = repo_manifest(f->r, &f->node.backup, &f->m, err)) < 0)
		return rc;
	const struct mf_file *mf = mf_find(f->m, f->node.rel);
	if (!mf)
		return pit_errf(err, -ENOENT, "%s: not in its backup", f->path);
	f->size = mf->size;
	return rahead_open(&f->ra, f->r, mf, f->path, err);
}

/* ---- rendered files ---- */

/* The renderer's output: into the ring, waiting while the window is full
 * unless a reader waits beyond it (then the oldest bytes go). */
static int sink(void *ctx, const char *p, size_t n)
{
	struct vfile *f = ctx;

	pthread_mutex_lock(&f->mu);
	if (f->fresh) {
		f->start = f->end = f->begins;
		f->fresh = false;
	}
	while (n) {
		if (f->cancel) {
			pthread_mutex_unlock(&f->mu);
			return -ECANCELED;
		}
		size_t room = f->cap - (size_t)(f->end - f->start);
		if (!room) {
			/* a reader wants what comes next: make room for that much
			 * only (a large write would push out what it reads now) */
			uint64_t k = f->want > f->end ? f->want - f->end : 0;
			k = k < n ? k : n;
			if (k)
				f->start += k < f->cap ? k : f->cap;
			else
				pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		size_t k = n < room ? n : room, at = (size_t)(f->end % f->cap), first = f->cap - at;
		if (first > k)
			first = k;
		memcpy(f->ring + at, p, first);
		memcpy(f->ring, p + first, k - first);
		f->end += k;
		p += k;
		n -= k;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void *render_main(void *arg)
{
	struct vfile *f = arg;
	struct pit_err err = { 0 };
	/* begins is set before the first byte reaches sink, in this thread */
	int rc = tree_read_from(f->r, &f->node, f->asked, &f->begins, sink, f, &err);

	pthread_mutex_lock(&f->mu);
	if (f->fresh) {
		f->start = f->end = f->begins;
		f->fresh = false;
	}
	f->done = true;
	f->rc = rc;
	if (rc < 0)
		f->rerr = err;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Stops the renderer; called with mu held, returns with it held. */
static void stop_renderer(struct vfile *f)
{
	if (!f->running)
		return;
	f->cancel = true;
	f->restarting = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	pthread_mutex_lock(&f->mu);
	f->running = f->restarting = false;
	pthread_cond_broadcast(&f->cv);
}

/* (Re)starts the rendering for a read at off: from the checkpoint nearest
 * before it, else from the top; mu held. */
static int start_renderer(struct vfile *f, uint64_t off, struct pit_err *err)
{
	int rc;

	stop_renderer(f);
	f->start = f->end = f->want = 0;
	f->asked = off;
	f->begins = 0;
	f->fresh = true;
	f->done = f->cancel = false;
	f->rc = 0;
	if ((rc = pthread_create(&f->th, NULL, render_main, f)))
		return pit_errf(err, -rc, "%s: cannot start rendering: %s", f->path, strerror(rc));
	f->running = true;
	f->renderings++;
	return 0;
}

static ssize_t pread_rendered(struct vfile *f, void *buf, size_t len, uint64_t off, struct pit_err *err)
{
	ssize_t rc = 0;

	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = (size_t)(f->size - off);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (f->restarting) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		if (f->fresh) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		/* behind the window, or far ahead of a rendering started for
		 * an offset far behind this one: from the nearest checkpoint */
		if (!f->running || off < f->start || (off > f->end + FAR && off > f->asked + FAR)) {
			/* not while the rendering serves readers waiting on it: they
			 * would start it again in turn, and nobody would get done */
			if (f->running && f->waiters && !f->done) {
				pthread_cond_wait(&f->cv, &f->mu);
				continue;
			}
			if ((rc = start_renderer(f, off, err)) < 0)
				break;
			continue;
		}
		if (f->end >= off + len) {
			size_t at = (size_t)(off % f->cap), first = f->cap - at;
			if (first > len)
				first = len;
			memcpy(buf, f->ring + at, first);
			memcpy((uint8_t *)buf + first, f->ring, len - first);
			rc = (ssize_t)len;
			break;
		}
		if (f->done) {
			if (f->rc < 0)
				rc = pit_errf(err, -EIO, "%s: %s", f->path, pit_err_msg(&f->rerr, f->rc));
			else
				rc = pit_errf(err, -EIO, "%s: rendered %llu bytes, fewer than its size %llu", f->path,
					      (unsigned long long)f->end, (unsigned long long)f->size);
			break;
		}
		if (f->want < off + len) {
			f->want = off + len;
			pthread_cond_broadcast(&f->cv);
		}
		f->waiters++;
		pthread_cond_wait(&f->cv, &f->mu);
		if (!--f->waiters)
			pthread_cond_broadcast(&f->cv);	/* readers waiting to start it again */
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* ---- the file ---- */

int vfile_open(struct vfile **out, struct repo *r, const struct tree_node *n, const char *path, struct pit_err *err)
{
	return vfile_open_window(out, r, n, path, WINDOW, err);
}

int vfile_open_window(struct vfile **out, struct repo *r, const struct tree_node *n, const char *path, size_t window,
		      struct pit_err *err)
{
	struct vfile *f;
	int rc;

	*out = NULL;
	if (tree_is_dir(n))
		return pit_errf(err, -EISDIR, "%s: is a directory", path);
	if (!(f = calloc(1, sizeof(*f))) || !(f->path = strdup(path))) {
		free(f);
		return pit_errf(err, -ENOMEM, "out of memory");
	}
	f->r = r;
	f->node = *n;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (n->kind == T_BACKUP_FILE) {
		rc = open_original(f, err);
	} else if ((rc = tree_size(r, n, &f->size, err)) == 0) {
		f->cap = window < 4096 ? 4096 : window;
		if (!(f->ring = malloc(f->cap)))
			rc = pit_errf(err, -ENOMEM, "out of memory");
	}
	if (rc < 0) {
		vfile_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

uint64_t vfile_size(const struct vfile *f)
{
	return f->size;
}

ssize_t vfile_pread(struct vfile *f, void *buf, size_t len, uint64_t off, struct pit_err *err)
{
	size_t done = 0;

	if (f->ra)
		return rahead_pread(f->ra, buf, len, off, err);
	while (done < len) {	/* in pieces the window holds with room to spare */
		size_t piece = len - done < f->cap / 2 ? len - done : f->cap / 2;
		ssize_t got = pread_rendered(f, (uint8_t *)buf + done, piece, off + done, err);
		if (got < 0)
			return got;
		done += (size_t)got;
		if ((size_t)got < piece)
			break;	/* the end */
	}
	return (ssize_t)done;
}

unsigned vfile_renderings(const struct vfile *f)
{
	return f->renderings;
}

void vfile_close(struct vfile *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	stop_renderer(f);
	pthread_mutex_unlock(&f->mu);
	rahead_close(f->ra);
	if (f->m)
		repo_manifest_release(f->r, f->m);
	free(f->ring);
	free(f->path);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
