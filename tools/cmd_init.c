/* pitfs init: translate arguments into repo_init. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/repo/repo.h"
#include "tools/cmd.h"

const char cmd_init_usage[] =
	"usage: pitfs init REPO [--pack-size BYTES] [--compression LEVEL]\n"
	"\n"
	"Creates an empty backup repository in the directory REPO, which must not\n"
	"exist or be empty.\n"
	"\n"
	"  --pack-size BYTES   close pack files at this size (K/M suffixes; default 16M)\n"
	"  --compression N     zstd level for chunks, 1 to 19 (default 1)\n";

int cmd_init(int argc, char **argv)
{
	struct pit_err err = { 0 };
	const char *repo = NULL;
	uint64_t pack = 0;
	int level = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pack-size") && i + 1 < argc) {
			if (parse_size(argv[++i], &pack) < 0 || pack < 4096 || pack > (1u << 30))
				return usage_error("init", "--pack-size: '%s' is not a size from 4K to 1G", argv[i]);
		} else if (!strcmp(argv[i], "--compression") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > 19)
				return usage_error("init", "--compression: '%s' is not a level from 1 to 19", argv[i]);
			level = (int)v;
		} else if (argv[i][0] == '-') {
			return usage_error("init", "unknown option or missing value: %s", argv[i]);
		} else if (!repo) {
			repo = argv[i];
		} else {
			return usage_error("init", "unexpected argument '%s'", argv[i]);
		}
	}
	if (!repo)
		return usage_error("init", "needs the repository directory");
	if ((rc = repo_init(repo, (uint32_t)pack, level, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	printf("created pitfs repository at %s\n", repo);
	return 0;
}
