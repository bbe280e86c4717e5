/* The namespace a mount shows and `pitfs ls` / `pitfs cat` walk
 * (DESIGN.md): /at/<T>/<keyspace>/<table>/<view files> and
 * /nodes/<node>/<backup instant>/<keyspace>/<table dir>/<original files>.
 * fs/ and tools/ only translate paths into these calls. */
#ifndef PIT_VIEW_TREE_H
#define PIT_VIEW_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "core/repo/repo.h"
#include "core/view/dump.h"

enum tree_kind {
	T_ROOT, T_AT, T_INSTANT, T_KEYSPACE, T_TABLE, T_VIEW_FILE, T_KS_SCHEMA,
	T_NODES, T_NODE, T_BACKUP, T_BACKUP_DIR, T_BACKUP_FILE,
	T_README,		/* /README: what the tree holds */
};

struct tree_node {
	enum tree_kind kind;
	int64_t at_us;			/* /at/<T> and below */
	char ks[256], table[256], file[64];
	char node[128];
	struct chunk_id backup;		/* /nodes/<node>/<backup> and below */
	char rel[1024];			/* inside a backup: "<ks>/<table dir>/<file>" or a prefix of it */
	bool latest;			/* named through /at/latest */
};

/* What a mount shows of a node: directories 0555, files 0444, /at/latest a
 * symbolic link to the newest instant's directory. */
struct tree_stat {
	bool is_dir, is_link;
	uint64_t size;			/* exact; a rendered file is rendered once to know it */
	int64_t mtime_us;		/* view files: T; original files: their mtime */
	uint32_t perm;			/* the original file's permission bits, read-only */
	char link[64];			/* is_link: the target */
};

static inline bool tree_is_dir(const struct tree_node *n)
{
	return n->kind != T_VIEW_FILE && n->kind != T_KS_SCHEMA && n->kind != T_BACKUP_FILE && n->kind != T_README;
}

/* A node in as many bytes as its names take, for who keeps many (the mount
 * keeps one for every inode the kernel holds: a node is 1.8 KB, most of it
 * room for names, its packed form about 100 bytes). pack writes up to cap
 * bytes and returns how many it takes (buf NULL: only that); unpack reads
 * what pack wrote. */
size_t tree_node_pack(const struct tree_node *n, void *buf, size_t cap);
void tree_node_unpack(const void *buf, struct tree_node *n);

/* Resolves an absolute path; -ENOENT with a message when nothing is there. */
int tree_resolve(struct repo *r, const char *path, struct tree_node *out, struct pit_err *err);
/* The path of name in directory dir, as the namespace writes paths ("/"
 * takes no second slash); false when it does not fit in cap bytes. */
bool tree_child_path(char *out, size_t cap, const char *dir, const char *name);
/* The names in a directory, in order; size is UINT64_MAX where it is known
 * only once rendered. */
int tree_list(struct repo *r, const struct tree_node *dir,
	      int (*fn)(void *ctx, const char *name, bool is_dir, uint64_t size), void *ctx, struct pit_err *err);
/* A file's bytes, streamed. A rendered file's size and checkpoints are
 * kept as it goes. */
int tree_read(struct repo *r, const struct tree_node *file, dump_write_fn write, void *ctx, struct pit_err *err);
/* A file's bytes from the checkpoint nearest before want (kept by an
 * earlier tree_read), or from the top: *start is where the bytes written
 * begin in the file. */
int tree_read_from(struct repo *r, const struct tree_node *file, uint64_t want, uint64_t *start, dump_write_fn write,
		   void *ctx, struct pit_err *err);
/* What a mount reports as its size (df): the bytes the backups stored and
 * the files they hold. */
int tree_usage(struct repo *r, uint64_t *bytes, uint64_t *files, struct pit_err *err);
/* The attributes of a node (see struct tree_stat). */
int tree_stat(struct repo *r, const struct tree_node *n, struct tree_stat *st, struct pit_err *err);
/* A view's sources.json names the damaged chunks found so far: its bytes
 * change as damage is found, so its size is never kept.
 * Whether what n shows changes when a backup is ingested or forgotten, or
 * damage is found: the top, /at, /at/latest, the lists of nodes and of a
 * node's backups, and a view's sources.json (it names the damaged chunks
 * found so far). The rest of a named instant and a backup's files do not (a
 * mount caches them long). */
static inline bool tree_shows_damage(const struct tree_node *n)
{
	return n->kind == T_VIEW_FILE && !strcmp(n->file, "sources.json");
}
static inline bool tree_changes(const struct tree_node *n)
{
	return n->kind == T_ROOT || n->kind == T_AT || n->kind == T_NODES || n->kind == T_NODE || n->latest ||
	       tree_shows_damage(n);
}
/* An ingest while a mount is up adds backups; every view of an instant at
 * or after the oldest of them may change (the rest of the tree does not,
 * and a forget waits for the unmount). A mount keeps the backups it saw
 * and asks every second. */
struct tree_seen {
	struct chunk_id id;
	int64_t instant_us;
};
struct tree_watch {
	struct tree_seen *v;	/* by id */
	size_t n;
	bool primed;
};
/* 1 with *from the oldest instant of a backup added or gone since the last
 * call (the first call only records them), 0 when none is. */
int tree_watch_poll(struct repo *r, struct tree_watch *w, int64_t *from, struct pit_err *err);
void tree_watch_release(struct tree_watch *w);
/* Whether what n shows may change when backups of instants from on are
 * added: a named instant's directories and views at or after from. */
static inline bool tree_depends_from(const struct tree_node *n, int64_t from)
{
	return !n->latest && n->at_us >= from &&
	       (n->kind == T_INSTANT || n->kind == T_KEYSPACE || n->kind == T_TABLE || n->kind == T_VIEW_FILE ||
		n->kind == T_KS_SCHEMA);
}
/* True where a directory's entry is a symbolic link (/at/latest). */
static inline bool tree_entry_is_link(const struct tree_node *dir, const char *name)
{
	return dir->kind == T_AT && !strcmp(name, "latest");
}
/* A file's exact size: kept from an earlier rendering, else rendered now
 * (and kept). */
int tree_size(struct repo *r, const struct tree_node *file, uint64_t *size, struct pit_err *err);
/* Whether tree_size answers without rendering (always but for view files
 * not rendered yet, and sources.json, whose size is never kept). */
bool tree_size_known(struct repo *r, const struct tree_node *n);

#endif
