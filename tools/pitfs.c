/* pitfs: point-in-time views of Cassandra backups. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/cql/value.h"
#include "core/util/sbuf.h"
#include "tools/cmd.h"

static const struct cmd cmds[] = {
	{ "init", cmd_init, "create an empty backup repository", cmd_init_usage },
	{ "ingest", cmd_ingest, "store a node's snapshot or incremental backups", cmd_ingest_usage },
	{ "backups", cmd_backups, "list the backups in a repository", cmd_backups_usage },
	{ "restore", cmd_restore, "write a backup's files back, byte-exact", cmd_restore_usage },
	{ "check", cmd_check, "verify a repository's structure (and data)", cmd_check_usage },
	{ "ls", cmd_ls, "list a directory of the mount's namespace", cmd_ls_usage },
	{ "cat", cmd_cat, "write a file of the mount's namespace: a table at an instant, a backed-up file", cmd_cat_usage },
	{ "mount", cmd_mount, "show the repository as a read-only filesystem", cmd_mount_usage },
	{ "forget", cmd_forget, "remove backups by id or by a retention policy", cmd_forget_usage },
	{ "prune", cmd_prune, "reclaim space no backup uses", cmd_prune_usage },
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

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t mul = 1;
	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	*out = (uint64_t)(v * (double)mul);
	return 0;
}

void fmt_bytes(char out[32], uint64_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, 32, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 32, "%.1f %s", v, unit[u]);
}

int write_stdout(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	return fwrite(p, 1, n, stdout) == n ? 0 : -EIO;
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

	const char *base = strrchr(argv[0], '/');
	if (!strcmp(base ? base + 1 : argv[0], "mount.pitfs"))
		return mount_helper(argc, argv);
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
