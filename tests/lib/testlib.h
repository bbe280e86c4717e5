/* Helpers shared by the test programs: fixture lookup, files, JSON. */
#ifndef PIT_TESTLIB_H
#define PIT_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ../shared/fixtures or $PITFS_FIXTURES; NULL (and a printed reason) when absent. */
const char *tl_fixtures(void);
/* In a cmocka test: skips it, saying why, when fx (from tl_fixtures) is NULL. */
#define TL_NEED_FIXTURES(fx)                                                              \
	do {                                                                              \
		if (!(fx)) {                                                              \
			printf("# skipped: no fixtures (../shared/fixtures or $PITFS_FIXTURES)\n"); \
			skip();                                                           \
		}                                                                         \
	} while (0)
/* Reads a whole file; NULL when it cannot. */
char *tl_read_file(const char *path, size_t *n);
/* Every file below dir whose name ends with suffix, sorted; returns the count. */
int tl_find(const char *dir, const char *suffix, char ***out);
void tl_free_list(char **v, int n);

/* Removes a tree (files and directories below path, and path). */
void tl_rm_rf(const char *path);
/* Generates a 3-node cluster with `pitfs gen` rules into dir (a mkdtemp
 * template, or an empty directory) and fills tags with its three snapshot
 * tags, oldest first. 0 or -1 (with a printed reason). */
int tl_gen_cluster(char *dir, uint64_t size, uint64_t seed, char tags[3][256]);
/* The same with the generator's options (o->outdir is set from dir). */
struct gen_opts;
int tl_gen_cluster_opts(char *dir, const struct gen_opts *o, char tags[3][256]);
/* The three snapshot tags of a cluster tl_gen_cluster made, oldest first. */
int tl_cluster_tags(const char *dir, char tags[3][256]);
/* tl_gen_cluster_opts in a child process (benchmarks: the peak RSS of what
 * they measure later is not the generator's); 0 or -1. */
int tl_gen_cluster_child(char *dir, const struct gen_opts *o, char tags[3][256]);

/* Monotonic seconds, for timing. */
double tl_now(void);
/* A shell command's wall time and the peak RSS of its largest process
 * (benchmarks: run from a small process, a peak RSS survives fork and exec). */
struct tl_run {
	double secs;
	double cpu_secs;	/* user + system */
	long rss_kb;
	int ok;
};
struct tl_run tl_sh(const char *cmd);

/* A small JSON tree. */
enum tl_jkind { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };
struct tl_json {
	enum tl_jkind kind;
	bool b;
	char *s;		/* string value, or the number's text */
	size_t n;		/* array / object length */
	struct tl_json **v;	/* elements / member values */
	char **k;		/* member names */
};
struct tl_json *tl_json_parse(const char *s, size_t n);
void tl_json_free(struct tl_json *j);
const struct tl_json *tl_json_get(const struct tl_json *obj, const char *key);
/* Equality under the fixtures' conventions: members that are null equal
 * absent ones, and two strings (or a string and a number) that both read as
 * the same float or double are equal. */
bool tl_json_equal(const struct tl_json *a, const struct tl_json *b);
/* Compares two sets of JSON lines as multisets; on a difference, prints the
 * first unmatched lines and returns false. */
bool tl_jsonl_same(const char *want, size_t wn, const char *got, size_t gn, const char *what);

/* One CSV record as Python's csv.reader reads what cqlsh's COPY TO writes
 * (quotechar '"', escapechar '\\', no doubled quotes, "\r\n"): the fields
 * (each malloc'ed, *fields too) and where the next record starts; NULL at
 * the end or on a malformed record. */
const char *tl_csv_record(const char *p, const char *end, char ***fields, size_t *n);
void tl_csv_free(char **fields, size_t n);

#endif
