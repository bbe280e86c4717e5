/* The pitfs subcommands. Each returns the process exit status: 0 success,
 * 1 operational error, 2 usage error. */
#ifndef PIT_TOOLS_CMD_H
#define PIT_TOOLS_CMD_H

#define EXIT_USAGE 2

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;	/* the full help text */
};

int cmd_dump(int argc, char **argv);
extern const char cmd_dump_usage[];
int cmd_gen(int argc, char **argv);
extern const char cmd_gen_usage[];

/* Prints "pitfs CMD: message" and the usage hint to stderr; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "pitfs: message" to stderr; returns 1. */
int op_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
