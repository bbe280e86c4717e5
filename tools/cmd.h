/* The pitfs subcommands. Each returns the process exit status: 0 success,
 * 1 operational error, 2 usage error. */
#ifndef PIT_TOOLS_CMD_H
#define PIT_TOOLS_CMD_H

#include <stdint.h>

#define EXIT_USAGE 2

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;	/* the full help text */
};

int cmd_init(int argc, char **argv);
extern const char cmd_init_usage[];
int cmd_ingest(int argc, char **argv);
extern const char cmd_ingest_usage[];
int cmd_backups(int argc, char **argv);
extern const char cmd_backups_usage[];
int cmd_restore(int argc, char **argv);
extern const char cmd_restore_usage[];
int cmd_check(int argc, char **argv);
extern const char cmd_check_usage[];
int cmd_ls(int argc, char **argv);
extern const char cmd_ls_usage[];
int cmd_cat(int argc, char **argv);
extern const char cmd_cat_usage[];
int cmd_mount(int argc, char **argv);
extern const char cmd_mount_usage[];
/* The same, called by mount(8) as mount.pitfs. */
int mount_helper(int argc, char **argv);
int cmd_forget(int argc, char **argv);
extern const char cmd_forget_usage[];
int cmd_prune(int argc, char **argv);
extern const char cmd_prune_usage[];
int cmd_dump(int argc, char **argv);
extern const char cmd_dump_usage[];
int cmd_gen(int argc, char **argv);
extern const char cmd_gen_usage[];

/* Prints "pitfs CMD: message" and the usage hint to stderr; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "pitfs: message" to stderr; returns 1. */
int op_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A dump_write_fn onto standard output. */
int write_stdout(void *ctx, const char *p, size_t n);
/* "16M", "1.5G", "4096" -> bytes (K/M/G are powers of 1024); -1 if not a size. */
int parse_size(const char *s, uint64_t *out);
/* "1.5 GiB". */
void fmt_bytes(char out[32], uint64_t n);

#endif
