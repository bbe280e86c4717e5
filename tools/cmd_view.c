/* pitfs ls and pitfs cat: the mount's namespace without mounting; paths
 * translated into core/view/tree calls. */
#include <stdio.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/view/tree.h"
#include "tools/cmd.h"

const char cmd_ls_usage[] =
	"usage: pitfs ls REPO [PATH] [-l]\n"
	"\n"
	"Lists a directory of what `pitfs mount` shows:\n"
	"  /README                          what the tree holds\n"
	"  /at                              the instants of all backups, and latest@\n"
	"                                   (a link to the newest)\n"
	"  /at/<T>/<keyspace>/<table>/      the table at T, merged from every replica's\n"
	"                                   backups: data.csv, data.jsonl, data.cql,\n"
	"                                   data.now.cql,\n"
	"                                   conflicts.jsonl, schema.cql, sources.json\n"
	"  /nodes/<node>/<backup instant>/  the files of one backup, byte-exact\n"
	"T is an instant in RFC 3339 (fractions and offsets allowed), @<unix seconds> or\n"
	"latest; any T can be looked up, not only those listed. -l adds modes,\n"
	"modification times and sizes as the mount shows them (a rendered file is\n"
	"rendered once to know its size).\n";

const char cmd_cat_usage[] =
	"usage: pitfs cat REPO PATH\n"
	"\n"
	"Writes the bytes of a file of that namespace (see 'pitfs help ls') to standard\n"
	"output, e.g. pitfs cat REPO /at/2026-11-20T03:00:00Z/shop/orders/data.jsonl\n";

struct lsctx {
	struct repo *r;
	const struct tree_node *dir;
	const char *path;
	bool longfmt;
	int rc;
	struct pit_err *err;
};

/* ls -l as the mount shows it: mode, modification time, exact size (a
 * rendered file is rendered once to know it), name. */
static void long_line(const char *name, const struct tree_stat *st)
{
	char mode[11] = "----------", when[40];
	struct sbuf t;

	mode[0] = st->is_link ? 'l' : st->is_dir ? 'd' : '-';
	for (int i = 0; i < 9; i++)
		if (st->perm & (1u << (8 - i)))
			mode[1 + i] = "rwxrwxrwx"[i];
	sbuf_init(&t);
	cql_format_time_s(st->mtime_us >= 0 ? st->mtime_us / 1000000 : -((-st->mtime_us + 999999) / 1000000), &t);
	snprintf(when, sizeof(when), "%s", t.buf ? t.buf : "?");
	sbuf_release(&t);
	if (st->is_link)
		printf("%s  %s  %12s  %s -> %s\n", mode, when, "-", name, st->link);
	else if (st->is_dir)
		printf("%s  %s  %12s  %s/\n", mode, when, "-", name);
	else
		printf("%s  %s  %12llu  %s\n", mode, when, (unsigned long long)st->size, name);
}

static int entry(void *ctx, const char *name, bool is_dir, uint64_t size)
{
	struct lsctx *l = ctx;
	bool link = tree_entry_is_link(l->dir, name);

	(void)size;
	if (!l->longfmt) {	/* /at/latest is a link, as the mount shows it */
		printf("%s%s\n", name, link ? "@" : is_dir ? "/" : "");
		return 0;
	}
	char full[4096];
	struct tree_node n;
	struct tree_stat st;
	tree_child_path(full, sizeof(full), l->path, name);
	if (tree_resolve(l->r, full, &n, l->err) < 0 || tree_stat(l->r, &n, &st, l->err) < 0)
		return -EIO;
	long_line(name, &st);
	return 0;
}

static int open_repo(const char *cmd, const char *repo, struct repo **r)
{
	struct pit_err err = { 0 };
	int rc = repo_open(r, repo, REPO_READ, &err);

	(void)cmd;
	return rc < 0 ? op_error("%s", pit_err_msg(&err, rc)) : 0;
}

int cmd_ls(int argc, char **argv)
{
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	struct tree_node n;
	const char *repo = NULL, *path = "/";
	bool longfmt = false;
	int npos = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l"))
			longfmt = true;
		else if (argv[i][0] == '-')
			return usage_error("ls", "unknown option %s", argv[i]);
		else if (npos++ == 0)
			repo = argv[i];
		else if (npos == 2)
			path = argv[i];
		else
			return usage_error("ls", "unexpected argument '%s'", argv[i]);
	}
	if (!repo)
		return usage_error("ls", "needs REPO");
	if ((rc = open_repo("ls", repo, &r)) != 0)
		return rc;
	struct lsctx l = { r, &n, path, longfmt, 0, &err };
	if ((rc = tree_resolve(r, path, &n, &err)) == 0) {
		if (tree_is_dir(&n))
			rc = tree_list(r, &n, entry, &l, &err);
		else
			rc = pit_errf(&err, -ENOTDIR, "%s: not a directory (see 'pitfs cat')", path);
	}
	repo_close(r);
	return rc < 0 ? op_error("%s", pit_err_msg(&err, rc)) : 0;
}

int cmd_cat(int argc, char **argv)
{
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	struct tree_node n;
	int rc;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage_error("cat", "needs REPO and PATH");
	if ((rc = open_repo("cat", argv[1], &r)) != 0)
		return rc;
	if ((rc = tree_resolve(r, argv[2], &n, &err)) == 0) {
		if (tree_is_dir(&n))
			rc = pit_errf(&err, -EISDIR, "%s: is a directory (see 'pitfs ls')", argv[2]);
		else
			rc = tree_read(r, &n, write_stdout, NULL, &err);
	}
	repo_close(r);
	if (rc == 0 && fflush(stdout) != 0)
		rc = pit_errf(&err, -EIO, "cannot write to standard output");
	return rc < 0 ? op_error("%s", pit_err_msg(&err, rc)) : 0;
}
