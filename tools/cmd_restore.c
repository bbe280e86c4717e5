/* pitfs restore: translate arguments into restore_run. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/repo/restore.h"
#include "tools/cmd.h"

const char cmd_restore_usage[] =
	"usage: pitfs restore REPO BACKUP TARGET [--keyspace K] [--table T]\n"
	"\n"
	"Writes the files of BACKUP (an id or a unique prefix of one, see 'pitfs\n"
	"backups') as TARGET/<keyspace>/<table dir>/<file>, byte-exact with their\n"
	"modes and mtimes, every chunk verified: ready for 'nodetool import' or a\n"
	"node restore. A file whose data is damaged is not written; the restore\n"
	"stops with an error naming it.\n";

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	char a[32], b[32];

	(void)ctx;
	fmt_bytes(a, done);
	fmt_bytes(b, total);
	fprintf(stderr, "\r\033[K%s / %s", a, b);
}

int cmd_restore(int argc, char **argv)
{
	struct restore_opts o = { 0 };
	struct restore_result res;
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	struct chunk_id id;
	const char *pos[3] = { 0 };
	int npos = 0, rc;
	char b[32];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keyspace") && i + 1 < argc)
			o.keyspace = argv[++i];
		else if (!strcmp(argv[i], "--table") && i + 1 < argc)
			o.table = argv[++i];
		else if (argv[i][0] == '-')
			return usage_error("restore", "unknown option %s", argv[i]);
		else if (npos < 3)
			pos[npos++] = argv[i];
		else
			return usage_error("restore", "unexpected argument '%s'", argv[i]);
	}
	if (npos != 3)
		return usage_error("restore", "needs REPO, BACKUP and TARGET");
	if (isatty(2))
		o.progress = progress;
	if ((rc = repo_open(&r, pos[0], REPO_SHARED, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	if ((rc = repo_resolve_backup(r, pos[1], &id, &err)) == 0)
		rc = restore_run(r, &id, pos[2], &o, &res, &err);
	repo_close(r);
	if (isatty(2))
		fputs("\r\033[K", stderr);
	if (rc < 0)
		return op_error("restore failed: %s", pit_err_msg(&err, rc));
	fmt_bytes(b, res.bytes);
	printf("restored %llu files, %s, into %s in %.1f s\n", (unsigned long long)res.files, b, pos[2], res.seconds);
	return 0;
}
