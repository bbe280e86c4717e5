/* pitfs: point-in-time views of Cassandra backups. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "tools/cmd.h"

static const struct cmd cmds[] = {
	{ "dump", cmd_dump, "show an SSTable as JSON, as live CQL rows, or its metadata", cmd_dump_usage },
	{ "gen", cmd_gen, "simulate a cluster and write its backups and their ground truth", cmd_gen_usage },
};

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pitfs %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'pitfs help %s')\n", cmd);
	return EXIT_USAGE;
}

int op_error(const char *fmt, ...)
{
	va_list ap;

	fputs("pitfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void overview(FILE *f)
{
	fprintf(f, "usage: pitfs <command> [arguments]\n\n"
		   "pitfs keeps Cassandra backups and shows any past moment as files.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-8s %s\n\n'pitfs help <command>' shows a command's options; 'pitfs --version' the version.\n",
		"help", "show help for a command");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		overview(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("pitfs %s\n", PITFS_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 3) {
			overview(stdout);
			return 0;
		}
		if (!(c = find(argv[2]))) {
			fprintf(stderr, "pitfs: unknown command '%s' (see 'pitfs help')\n", argv[2]);
			return EXIT_USAGE;
		}
		fputs(c->usage, stdout);
		return 0;
	}
	if (!(c = find(argv[1]))) {
		fprintf(stderr, "pitfs: unknown command '%s' (see 'pitfs help')\n", argv[1]);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->usage, stdout);
			return 0;
		}
	return c->run(argc - 1, argv + 1);
}
