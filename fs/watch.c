#include <stdlib.h>
#include <time.h>
#include "core/view/tree.h"
#include "fs/watch.h"

#define PERIOD_S 1

struct fs_watch {
	struct fs *fs;
	struct fuse_session *se;
	struct tree_watch tw;
	int64_t again;		/* forgotten from this instant at the last look, or INT64_MAX */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static bool changed_from(const struct tree_node *tn, void *ctx)
{
	return tree_depends_from(tn, *(const int64_t *)ctx);
}

/* What the kernel must forget after a backup at from: what changed_from
 * accepts, and the lists of instants, nodes and backups, whose listings it
 * keeps too (fs/dirs.c) while their mtime, the newest instant, need not
 * change. */
static bool forgotten(const struct tree_node *tn, void *ctx)
{
	return tree_changes(tn) || changed_from(tn, ctx);
}

/* Tells the kernel to forget every entry it knows that a backup at from
 * changes. Outside the inode table's lock: the kernel may wait for reads
 * in flight before it answers. */
static void forget_from(struct fs_watch *w, int64_t from)
{
	uint64_t *inos;
	ssize_t n = inodes_select(w->fs->inodes, forgotten, &from, &inos);

	if (n < 0) {
		fs_log(w->fs, "watching for new backups: out of memory");
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		fuse_lowlevel_notify_inval_inode(w->se, inos[i], 0, 0);	/* -ENOENT: the kernel has dropped it */
	free(inos);
}

/* One look at the backups; what they change is forgotten by the kernel,
 * and once more at the next look: a read that began before the open files
 * were marked stale may have put old bytes back in between. */
static void look(struct fs_watch *w)
{
	struct pit_err err = { 0 };
	int64_t from;
	int rc = tree_watch_poll(w->fs->r, &w->tw, &from, &err);

	if (w->again != INT64_MAX) {
		forget_from(w, w->again);
		w->again = INT64_MAX;
	}
	if (rc < 0) {
		fs_log(w->fs, "watching for new backups: %s", pit_err_msg(&err, rc));
		return;
	}
	if (rc == 0)
		return;
	fs_stale_open_files(w->fs, changed_from, &from);
	forget_from(w, from);
	w->again = from;
}

static void *watch_main(void *arg)
{
	struct fs_watch *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += PERIOD_S;
		while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
			;
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		look(w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int fs_watch_start(struct fs_watch **out, struct fs *fs, struct fuse_session *se, struct pit_err *err)
{
	struct fs_watch *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int64_t from;
	int rc;

	*out = NULL;
	if (!w)
		return pit_errf(err, -ENOMEM, "out of memory");
	w->fs = fs;
	w->se = se;
	w->again = INT64_MAX;
	if ((rc = tree_watch_poll(fs->r, &w->tw, &from, err)) < 0) {
		free(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&w->th, NULL, watch_main, w))) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		tree_watch_release(&w->tw);
		free(w);
		return pit_errf(err, -rc, "cannot start the thread that watches for new backups");
	}
	*out = w;
	return 0;
}

void fs_watch_stop(struct fs_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	tree_watch_release(&w->tw);
	free(w);
}
