/* pitfs forget and pitfs prune: translate arguments into core/repo/prune. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/prune.h"
#include "core/cql/value.h"
#include "tools/cmd.h"

const char cmd_forget_usage[] =
	"usage: pitfs forget REPO (BACKUP... | --keep-last N | --keep-within DURATION) [--node NAME] [--dry-run]\n"
	"\n"
	"Removes backups from the repository (their data stays until 'pitfs prune').\n"
	"With ids, those backups. With a policy, per node: the N newest full backups\n"
	"are kept, and/or those within DURATION (30m, 12h, 7d, 2w, 1y) of the node's\n"
	"newest backup; an incremental backup is kept while the full backup it\n"
	"builds on is. --node applies the policy to one node only.\n";

const char cmd_prune_usage[] =
	"usage: pitfs prune REPO\n"
	"\n"
	"Removes data no backup references: packs nobody uses go, packs mostly\n"
	"unused are rewritten with what is still needed, and what crashed writers\n"
	"left behind is removed. Interrupting it at any moment loses nothing that\n"
	"a backup still references.\n";

static void report(void *ctx, const struct backup_info *bi, bool keep)
{
	char hex[33], inst[40];

	(void)ctx;
	chunk_id_hex(&bi->id, hex);
	cql_time_us_str(bi->instant_us, inst);
	printf("%s %.8s  %-12s  %s  %s\n", keep ? "keep  " : "remove", hex, bi->node, inst,
	       bi->kind == BACKUP_FULL ? "full" : "incremental");
}

/* forget and prune have the repository to themselves: they wait for
 * whatever holds it (a mount may hold it for days), and say so. */
static int open_alone(struct repo **r, const char *repo, struct pit_err *err)
{
	int rc = repo_open(r, repo, REPO_EXCLUSIVE_NOWAIT, err);

	if (rc != -EWOULDBLOCK)
		return rc;
	fprintf(stderr, "pitfs: %s; waiting for it to be released\n", pit_err_msg(err, rc));
	memset(err, 0, sizeof(*err));
	return repo_open(r, repo, REPO_EXCLUSIVE, err);
}

int cmd_forget(int argc, char **argv)
{
	struct forget_policy p = { .report = report };
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	const char *repo = NULL, *ids[256];
	int nids = 0, rc = 0;
	unsigned removed = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--dry-run")) {
			p.dry_run = true;
		} else if (!strcmp(a, "--keep-last") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > 1000000)
				return usage_error("forget", "--keep-last needs a number of at least 1");
			p.keep_last = (int)v;
		} else if (!strcmp(a, "--keep-within") && i + 1 < argc) {
			if (parse_duration(argv[++i], &p.keep_within_us) < 0)
				return usage_error("forget", "--keep-within: '%s' is not a duration like 7d or 12h",
						   argv[i]);
		} else if (!strcmp(a, "--node") && i + 1 < argc) {
			p.node = argv[++i];
		} else if (a[0] == '-') {
			return usage_error("forget", "unknown option or missing value: %s", a);
		} else if (!repo) {
			repo = a;
		} else if (nids < 256) {
			ids[nids++] = a;
		} else {
			return usage_error("forget", "too many backup ids at once");
		}
	}
	if (!repo)
		return usage_error("forget", "needs REPO");
	if (!nids == !(p.keep_last || p.keep_within_us))
		return usage_error("forget", "give either backup ids or a policy (--keep-last, --keep-within)");
	if ((rc = open_alone(&r, repo, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	if (nids) {
		struct chunk_id id[256];
		for (int i = 0; i < nids && rc == 0; i++)
			rc = repo_resolve_backup(r, ids[i], &id[i], &err);
		for (int i = 0; i < nids && rc == 0; i++) {
			printf("remove %.8s\n", ids[i]);
			if (!p.dry_run && (rc = forget_backup(r, &id[i], &err)) == 0)
				removed++;
		}
		if (rc == 0 && removed)
			rc = repo_sync(r, &err);
	} else {
		rc = forget_policy_run(r, &p, &removed, &err);
	}
	repo_close(r);
	if (rc < 0)
		return op_error("forget failed: %s", pit_err_msg(&err, rc));
	printf("%u backups removed%s\n", removed, removed ? "; 'pitfs prune' reclaims their space" : "");
	return 0;
}

int cmd_prune(int argc, char **argv)
{
	struct prune_result res;
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	char a[32], b[32];
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return usage_error("prune", "expects exactly one argument, the repository");
	if ((rc = open_alone(&r, argv[1], &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	rc = prune_run(r, &res, &err);
	repo_close(r);
	if (rc < 0)
		return op_error("prune failed: %s", pit_err_msg(&err, rc));
	fmt_bytes(a, res.bytes_freed);
	fmt_bytes(b, res.bytes_repacked);
	printf("%llu packs removed, %llu rewritten (%s moved), %llu kept; %s freed\n",
	       (unsigned long long)res.packs_removed, (unsigned long long)res.packs_rewritten, b,
	       (unsigned long long)res.packs_kept, a);
	return 0;
}
