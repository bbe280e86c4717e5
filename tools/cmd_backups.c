/* pitfs backups: list what the catalog knows of the repository's backups. */
#include <stdio.h>
#include <string.h>
#include "core/repo/repo.h"
#include "core/util/sbuf.h"
#include "core/cql/value.h"
#include "tools/cmd.h"

const char cmd_backups_usage[] =
	"usage: pitfs backups REPO [--node NAME] [--json]\n"
	"\n"
	"Lists the backups, oldest instant first: id, node, dc/rack, instant, kind\n"
	"(full or incremental), tables, size and the size that was new to the\n"
	"repository. --json prints a JSON array of objects.\n";

struct list {
	const char *node;
	bool json;
	int n;
	struct sbuf out;
};

static void str(struct sbuf *sb, const char *key, const char *v)
{
	sbuf_addf(sb, ",\"%s\":", key);
	sbuf_add_json_str(sb, v, strlen(v));
}

static int one(void *ctx, const struct backup_info *bi)
{
	struct list *l = ctx;
	char hex[33], inst[40], size[32], nsize[32], where[160];

	if (l->node && strcmp(l->node, bi->node))
		return 0;
	chunk_id_hex(&bi->id, hex);
	cql_time_us_str(bi->instant_us, inst);
	if (l->json) {
		sbuf_addf(&l->out, "%s{\"id\":\"%s\"", l->n ? ",\n " : "", hex);
		str(&l->out, "node", bi->node);
		str(&l->out, "dc", bi->dc);
		str(&l->out, "rack", bi->rack);
		sbuf_addf(&l->out, ",\"instant\":\"%s\",\"kind\":\"%s\"", inst,
			  bi->kind == BACKUP_FULL ? "full" : "incremental");
		str(&l->out, "tag", bi->tag);
		str(&l->out, "instant_from", bi->instant_from);
		sbuf_addf(&l->out, ",\"tables\":%llu,\"sstables\":%llu,\"unparsed_sstables\":%llu,\"files\":%llu,"
				   "\"size\":%llu,\"new_size\":%llu,\"stored_size\":%llu}",
			  (unsigned long long)bi->ntables, (unsigned long long)bi->nsstables,
			  (unsigned long long)bi->nunparsed, (unsigned long long)bi->nfiles,
			  (unsigned long long)bi->bytes, (unsigned long long)bi->new_bytes,
			  (unsigned long long)bi->stored_bytes);
	} else {
		if (!l->n)
			printf("%-8s  %-12s  %-16s  %-27s  %-11s  %6s  %10s  %10s\n", "ID", "NODE", "DC/RACK",
			       "INSTANT", "KIND", "TABLES", "SIZE", "NEW");
		fmt_bytes(size, bi->bytes);
		fmt_bytes(nsize, bi->new_bytes);
		snprintf(where, sizeof(where), "%s/%s", *bi->dc ? bi->dc : "-", *bi->rack ? bi->rack : "-");
		printf("%.8s  %-12s  %-16s  %-27s  %-11s  %6llu  %10s  %10s\n", hex, bi->node, where, inst,
		       bi->kind == BACKUP_FULL ? "full" : "incremental", (unsigned long long)bi->ntables, size, nsize);
	}
	l->n++;
	return 0;
}

int cmd_backups(int argc, char **argv)
{
	struct list l = { 0 };
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	const char *repo = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			l.json = true;
		else if (!strcmp(argv[i], "--node") && i + 1 < argc)
			l.node = argv[++i];
		else if (argv[i][0] == '-')
			return usage_error("backups", "unknown option %s", argv[i]);
		else if (!repo)
			repo = argv[i];
		else
			return usage_error("backups", "unexpected argument '%s'", argv[i]);
	}
	if (!repo)
		return usage_error("backups", "needs REPO");
	if ((rc = repo_open(&r, repo, REPO_READ, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	sbuf_init(&l.out);
	rc = catalog_backups(repo_catalog(r), one, &l, &err);
	repo_close(r);
	if (rc < 0) {
		sbuf_release(&l.out);
		return op_error("%s", pit_err_msg(&err, rc));
	}
	if (l.json)
		printf("[%s]\n", l.out.buf ? l.out.buf : "");
	else if (!l.n)
		printf("no backups%s%s\n", l.node ? " of " : "", l.node ? l.node : "");
	sbuf_release(&l.out);
	return 0;
}
