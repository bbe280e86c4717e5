/* pitfs dump: translate arguments into core/view/dump calls. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/cql/schema.h"
#include "core/util/instant.h"
#include "core/view/dump.h"
#include "tools/cmd.h"

const char cmd_dump_usage[] =
	"usage: pitfs dump [--rows | --meta] [--schema FILE] [--now TIME] [--verify] PATH...\n"
	"\n"
	"Shows SSTables. PATH is a *-Data.db file or a table directory (all its\n"
	"SSTables; its schema.cql names the columns when present).\n"
	"\n"
	"  (default)      every partition as JSON, like sstabledump: keys, tokens,\n"
	"                 rows, cells, timestamps, TTLs and tombstones\n"
	"  --rows         each live CQL row on one line:\n"
	"                 {\"pk\": {...}, \"ck\": {...}, \"cells\": {...}}\n"
	"  --meta         what sstablemetadata shows\n"
	"  --schema FILE  take column names and kinds from this schema.cql\n"
	"  --now TIME     with --rows: evaluate TTLs at TIME (RFC 3339 or @<unix seconds>;\n"
	"                 default: now)\n"
	"  --verify       check Digest.crc32 and every chunk checksum first\n";

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *-Data.db files of a table directory, sorted. */
static int list_data_files(const char *dir, char ***out, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int k = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!ends_with(e->d_name, "-Data.db"))
			continue;
		char **nv = realloc(v, (size_t)(k + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		if (asprintf(&v[k], "%s/%s", dir, e->d_name) < 0)
			break;
		k++;
	}
	closedir(d);
	if (k > 1)
		qsort(v, (size_t)k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	return 0;
}

static const struct cql_table *pick_table(const struct cql_schema *s, const char *data_path)
{
	if (!s || cql_schema_ntables(s) == 0)
		return NULL;
	if (cql_schema_ntables(s) == 1)
		return cql_schema_table(s, 0);
	/* several tables: match the directory name "<table>-<id>" or "<table>" */
	char *copy = strdup(data_path);
	const struct cql_table *found = NULL;
	if (!copy)
		return NULL;
	char *slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		char *dir = strrchr(copy, '/');
		dir = dir ? dir + 1 : copy;
		char *dash = strrchr(dir, '-');
		if (dash && strlen(dash + 1) == 32)
			*dash = '\0';
		for (int i = 0; i < cql_schema_ntables(s) && !found; i++)
			if (!strcmp(cql_table_name(cql_schema_table(s, i)), dir))
				found = cql_schema_table(s, i);
	}
	free(copy);
	return found;
}

static int dump_one(const char *path, struct cql_schema *schema, struct dump_opts *o, bool verify)
{
	struct sst *s = NULL;
	struct pit_err err = { 0 };
	int rc;

	if ((rc = sst_open_path(&s, path, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	if (verify) {
		if ((rc = sst_verify_digest(s, &err)) < 0 && rc != -ENOENT)
			goto fail;
		if (rc == -ENOENT)
			fprintf(stderr, "pitfs: %s: no Digest.crc32 to verify\n", path);
		if ((rc = sst_verify_chunks(s, &err)) < 0)
			goto fail;
	}
	o->table = pick_table(schema, path);
	rc = dump_sstable(s, o, &err);
	fflush(stdout);
	if (o->note[0])
		fprintf(stderr, "pitfs: note: %s\n", o->note);
	if (rc < 0)
		goto fail;
	sst_close(s);
	return 0;
fail:
	sst_close(s);
	return op_error("%s", pit_err_msg(&err, rc));
}

int cmd_dump(int argc, char **argv)
{
	struct dump_opts o = { .mode = DUMP_JSON, .write = write_stdout };
	const char *schema_path = NULL, *now = NULL;
	bool verify = false;
	int i, status = 0;

	char **paths = calloc((size_t)argc, sizeof(*paths));
	int npaths = 0;
	bool opts_done = false;

	if (!paths)
		return op_error("out of memory");
	for (i = 1; i < argc; i++) {
		if (opts_done || argv[i][0] != '-' || !argv[i][1])
			paths[npaths++] = argv[i];
		else if (!strcmp(argv[i], "--rows"))
			o.mode = DUMP_ROWS;
		else if (!strcmp(argv[i], "--meta"))
			o.mode = DUMP_META;
		else if (!strcmp(argv[i], "--verify"))
			verify = true;
		else if (!strcmp(argv[i], "--schema") && i + 1 < argc)
			schema_path = argv[++i];
		else if (!strcmp(argv[i], "--now") && i + 1 < argc)
			now = argv[++i];
		else if (!strcmp(argv[i], "--"))
			opts_done = true;
		else {
			free(paths);
			return usage_error("dump", "unknown option '%s'", argv[i]);
		}
	}
	if (npaths == 0) {
		free(paths);
		return usage_error("dump", "no SSTable or table directory given");
	}
	o.now_s = (int64_t)time(NULL);
	if (now) {
		struct pit_err err = { 0 };
		int64_t us;
		if (instant_parse(now, &us, &err) < 0) {
			free(paths);
			return usage_error("dump", "--now: %s", err.msg);
		}
		o.now_s = us / 1000000 - (us % 1000000 < 0);
	}
	struct cql_schema *given = NULL;
	if (schema_path) {
		struct pit_err err = { 0 };
		int rc = cql_schema_load(&given, schema_path, &err);
		if (rc < 0) {
			free(paths);
			return op_error("%s", pit_err_msg(&err, rc));
		}
	}
	for (int pi = 0; pi < npaths; pi++) {
		const char *path = paths[pi];
		struct stat st;
		if (stat(path, &st) < 0) {
			status = op_error("%s: %s", path, strerror(errno));
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (!ends_with(path, "-Data.db")) {
				status = op_error("%s: not a *-Data.db file or a table directory", path);
				continue;
			}
			struct cql_schema *sch = given;
			if (!sch) {	/* the schema.cql next to the file, as in a snapshot */
				char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL, *sp = NULL;
				if (dir && asprintf(&sp, "%s/schema.cql", slash ? (*slash = '\0', dir) : ".") >= 0 &&
				    access(sp, R_OK) == 0) {
					struct pit_err err = { 0 };
					if (cql_schema_load(&sch, sp, &err) < 0)
						fprintf(stderr, "pitfs: warning: %s\n", err.msg);
				}
				free(sp);
				free(dir);
			}
			if (dump_one(path, sch, &o, verify))
				status = 1;
			if (sch != given)
				cql_schema_free(sch);
			continue;
		}
		char **files = NULL;
		int n = 0;
		if (list_data_files(path, &files, &n) < 0 || n == 0) {
			status = op_error("%s: no *-Data.db files in this directory", path);
			free(files);
			continue;
		}
		struct cql_schema *sch = given;
		char *sp = NULL;
		if (!sch && asprintf(&sp, "%s/schema.cql", path) >= 0 && access(sp, R_OK) == 0) {
			struct pit_err err = { 0 };
			if (cql_schema_load(&sch, sp, &err) < 0)
				fprintf(stderr, "pitfs: warning: %s\n", err.msg);
		}
		free(sp);
		for (int k = 0; k < n; k++) {
			if (dump_one(files[k], sch, &o, verify))
				status = 1;
			free(files[k]);
		}
		free(files);
		if (sch != given)
			cql_schema_free(sch);
	}
	cql_schema_free(given);
	free(paths);
	return status;
}
