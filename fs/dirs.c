#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs/dirs.h"

/* Listings kept: a tool reads one directory to its end before the next
 * (ls -R, find, cp -r); a few for tools reading several at once. */
#define KEPT 16

struct dentry {
	char *name;
	mode_t mode;
	uint64_t ino;
};

/* One listing, never changed once made: shared by the requests reading it,
 * freed by the last one to let it go. */
struct dirlist {
	struct dentry *v;
	size_t n, cap;
	const struct tree_node *tn;	/* while it is made */
	char *path;
	int refs;	/* under the cache's lock */
};

struct dirs {
	pthread_mutex_t mu;
	struct {
		uint64_t ino;
		struct dirlist *d;	/* NULL: empty */
		uint64_t used;
	} kept[KEPT];
	uint64_t clock;
};

static int dir_add(void *ctx, const char *name, bool is_dir, uint64_t size)
{
	struct dirlist *d = ctx;

	(void)size;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct dentry *nv = realloc(d->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		d->v = nv;
		d->cap = cap;
	}
	char child[4096];
	if (!strcmp(name, "."))
		snprintf(child, sizeof(child), "%s", d->path);
	else if (!strcmp(name, ".."))
		snprintf(child, sizeof(child), "%.*s", (int)(strrchr(d->path, '/') - d->path), d->path);
	else
		tree_child_path(child, sizeof(child), d->path, name);
	d->v[d->n].ino = inodes_number_of(*child ? child : "/");
	if (!(d->v[d->n].name = strdup(name)))
		return -ENOMEM;
	d->v[d->n++].mode = tree_entry_is_link(d->tn, name) ? S_IFLNK : is_dir ? S_IFDIR : S_IFREG;
	return 0;
}

static void dir_free(struct dirlist *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
	free(d->path);
	free(d);
}

int dirs_new(struct dirs **out)
{
	struct dirs *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	return 0;
}

void dirs_free(struct dirs *c)
{
	if (!c)
		return;
	for (int i = 0; i < KEPT; i++)
		dir_free(c->kept[i].d);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* The listing of ino made now: 0, or -errno with the error replied. */
static int make(struct fs *fs, fuse_req_t req, fuse_ino_t ino, struct dirlist **out)
{
	struct tree_node tn;
	struct pit_err err = { 0 };
	struct dirlist *d = calloc(1, sizeof(*d));
	char *path;
	int rc;

	*out = NULL;
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return -ENOMEM;
	}
	if (!inodes_get(fs->inodes, ino, &path, &tn)) {
		free(d);
		fuse_reply_err(req, ENOENT);
		return -ENOENT;
	}
	d->tn = &tn;
	d->path = path;	/* the list's from now on */
	d->refs = 1;
	if ((rc = dir_add(d, ".", true, 0)) == 0 && (rc = dir_add(d, "..", true, 0)) == 0)
		rc = tree_list(fs->r, &tn, dir_add, d, &err);
	d->tn = NULL;
	if (rc < 0) {
		if (rc != -ENOENT && rc != -ENOTDIR)
			fs_log(fs, "%s: %s", path, pit_err_msg(&err, rc));
		dir_free(d);
		fuse_reply_err(req, rc == -ENOENT || rc == -ENOTDIR || rc == -ENOMEM ? -rc : EIO);
		return rc;
	}
	*out = d;
	return 0;
}

static void put(struct dirs *c, struct dirlist *d)
{
	pthread_mutex_lock(&c->mu);
	bool last = --d->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (last)
		dir_free(d);
}

/* The listing to read ino from offset off: the one kept, unless off is 0
 * (a new reading, a new listing) or it went; held until put(). */
static int get(struct fs *fs, fuse_req_t req, fuse_ino_t ino, off_t off, struct dirlist **out)
{
	struct dirs *c = fs->dirs;
	struct dirlist *d, *old = NULL;
	int i, slot = 0, rc;

	pthread_mutex_lock(&c->mu);
	for (i = 0; off > 0 && i < KEPT; i++)
		if (c->kept[i].d && c->kept[i].ino == ino) {
			*out = c->kept[i].d;
			(*out)->refs++;
			c->kept[i].used = ++c->clock;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
	pthread_mutex_unlock(&c->mu);
	if ((rc = make(fs, req, ino, &d)) < 0)
		return rc;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < KEPT; i++) {	/* ino's place, else an empty one, else the oldest */
		if (c->kept[i].d && c->kept[i].ino == ino) {
			slot = i;
			break;
		}
		if (c->kept[i].used < c->kept[slot].used)
			slot = i;
	}
	old = c->kept[slot].d;
	if (old && --old->refs > 0)
		old = NULL;	/* still read: its last reader frees it */
	c->kept[slot].ino = ino;
	c->kept[slot].d = d;
	c->kept[slot].used = ++c->clock;
	d->refs++;
	pthread_mutex_unlock(&c->mu);
	dir_free(old);
	*out = d;
	return 0;
}

/* Entry i has offset i + 1: where the next readdir resumes. With plus,
 * the entries of subdirectories (and links) carry their attributes, so that
 * walking a tree (ls -R, find, cp -r) needs no lookup to go down; files get
 * theirs through a lookup of their own, which only tools that stat them
 * send (a rendered file's size may mean rendering it). */
void dirs_reply(struct fs *fs, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct dirlist *d;
	char *buf;
	size_t len = 0;

	if (get(fs, req, ino, off, &d) < 0)
		return;
	if (!(buf = malloc(size ? size : 1))) {
		put(fs->dirs, d);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = off > 0 ? (size_t)off : 0; i < d->n; i++) {
		const struct dentry *de = &d->v[i];
		struct fuse_entry_param e = { .attr = { .st_mode = de->mode, .st_ino = de->ino } };
		size_t need = plus ? fuse_add_direntry_plus(req, NULL, 0, de->name, &e, (off_t)i + 1)
				   : fuse_add_direntry(req, NULL, 0, de->name, &e.attr, (off_t)i + 1);
		if (need > size - len)
			break;
		bool dots = !strcmp(de->name, ".") || !strcmp(de->name, "..");
		if (plus && !dots && (S_ISDIR(de->mode) || S_ISLNK(de->mode))) {
			char child[4096];
			struct tree_node tn;
			struct pit_err err = { 0 };
			struct stat st;
			tree_child_path(child, sizeof(child), d->path, de->name);
			struct inode *in = tree_resolve(fs->r, child, &tn, &err) == 0 ?
					   inodes_lookup(fs->inodes, child, &tn) : NULL;
			if (in && fs_attr_of(fs, in->ino, child, &tn, &st) == 0) {
				e.ino = in->ino;
				e.attr = st;
				e.attr_timeout = e.entry_timeout = fs_ttl_of(&tn);
			} else if (in) {
				inodes_forget(fs->inodes, in->ino, 1);
			}
		}
		if (plus)
			fuse_add_direntry_plus(req, buf + len, size - len, de->name, &e, (off_t)i + 1);
		else
			fuse_add_direntry(req, buf + len, size - len, de->name, &e.attr, (off_t)i + 1);
		len += need;
	}
	put(fs->dirs, d);
	fuse_reply_buf(req, buf, len);
	free(buf);
}
