/* pitfs init: translate arguments into repo_init. */
#include <stdio.h>
#include <string.h>
#include "core/repo/repo.h"
#include "tools/cmd.h"

const char cmd_init_usage[] =
	"usage: pitfs init REPO\n"
	"\n"
	"Creates an empty backup repository in the directory REPO, which must not\n"
	"exist or be empty.\n";

int cmd_init(int argc, char **argv)
{
	struct pit_err err = { 0 };
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return usage_error("init", "expects exactly one argument, the repository directory");
	if ((rc = repo_init(argv[1], &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	printf("created pitfs repository at %s\n", argv[1]);
	return 0;
}
