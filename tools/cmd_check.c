/* pitfs check: translate arguments into check_run and print its findings. */
#include <stdio.h>
#include <string.h>
#include "core/repo/check.h"
#include "tools/cmd.h"

const char cmd_check_usage[] =
	"usage: pitfs check REPO [--read-data]\n"
	"\n"
	"Checks the repository's objects and every reference between them: config,\n"
	"packs and their trailers, index segments, backup manifests, and that every\n"
	"chunk a backup needs is indexed in an existing pack. With --read-data every\n"
	"pack is read in full and every chunk decompressed and re-hashed. Each problem\n"
	"is printed with the backups and files it affects; the exit status is 1 when\n"
	"there is any. A deleted cache (REPO/cache) is rebuilt from the objects.\n";

static void problem(void *ctx, const char *msg)
{
	(void)ctx;
	printf("error: %s\n", msg);
}

static void info(void *ctx, const char *msg)
{
	(void)ctx;
	printf("note: %s\n", msg);
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = { .problem = problem, .info = info };
	struct check_result res;
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	const char *repo = NULL;
	char b[32];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--read-data"))
			o.read_data = true;
		else if (argv[i][0] == '-')
			return usage_error("check", "unknown option %s", argv[i]);
		else if (!repo)
			repo = argv[i];
		else
			return usage_error("check", "unexpected argument '%s'", argv[i]);
	}
	if (!repo)
		return usage_error("check", "needs REPO");
	if ((rc = repo_open(&r, repo, REPO_SHARED, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	rc = check_run(r, &o, &res, &err);
	repo_close(r);
	if (rc < 0)
		return op_error("check could not finish: %s", pit_err_msg(&err, rc));
	fmt_bytes(b, res.bytes_read);
	printf("%llu backups, %llu files, %llu chunks in %llu packs, %llu index segments%s%s: ",
	       (unsigned long long)res.backups, (unsigned long long)res.files, (unsigned long long)res.chunks,
	       (unsigned long long)res.packs, (unsigned long long)res.segments, o.read_data ? ", read " : "",
	       o.read_data ? b : "");
	if (res.problems) {
		printf("%llu problems\n", (unsigned long long)res.problems);
		return 1;
	}
	printf("no problems\n");
	return 0;
}
