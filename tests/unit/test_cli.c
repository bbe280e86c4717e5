/* The pitfs command: exit codes, messages, output. Runs the built binary
 * ($PITFS_BIN, default ./pitfs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/lib/testlib.h"

static char out[1 << 20];

/* Runs pitfs with args (a shell word list); returns its exit status, stdout
 * and stderr together in out. */
static int run(const char *args)
{
	const char *bin = getenv("PITFS_BIN");
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin && *bin ? bin : "./pitfs", args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(run(""), 2);
	assert_non_null(strstr(out, "usage: pitfs"));
	assert_int_equal(run("--version"), 0);
	assert_non_null(strstr(out, "pitfs 0."));
	assert_int_equal(run("help"), 0);
	assert_non_null(strstr(out, "dump"));
	assert_int_equal(run("help dump"), 0);
	assert_non_null(strstr(out, "--rows"));
	assert_int_equal(run("dump --help"), 0);
	assert_int_equal(run("frobnicate"), 2);
	assert_non_null(strstr(out, "unknown command 'frobnicate'"));
	assert_int_equal(run("help frobnicate"), 2);
	assert_int_equal(run("dump"), 2);
	assert_non_null(strstr(out, "see 'pitfs help dump'"));
	assert_int_equal(run("dump --bogus x"), 2);
	assert_non_null(strstr(out, "unknown option '--bogus'"));
	assert_int_equal(run("dump --now yesterday x-Data.db"), 2);
	assert_non_null(strstr(out, "not an instant"));
}

static void test_operational_errors(void **state)
{
	(void)state;
	assert_int_equal(run("dump /nonexistent/ma-1-big-Data.db"), 1);
	assert_non_null(strstr(out, "/nonexistent/ma-1-big-Data.db"));
	assert_int_equal(run("dump /etc/hostname"), 1);
	assert_non_null(strstr(out, "not a *-Data.db file"));
	char dir[] = "/tmp/pitfs-cli-XXXXXX", args[64];
	assert_non_null(mkdtemp(dir));
	snprintf(args, sizeof(args), "dump %s", dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "no *-Data.db files"));
	rmdir(dir);
}

static void test_on_fixtures(void **state)
{
	const char *fx = tl_fixtures();
	char args[4096];

	(void)state;
	if (!fx) {
		printf("# skipped: no fixtures\n");
		skip();
	}
	snprintf(args, sizeof(args), "dump --rows %s/scylla-mc-simple/simple/test_ks/test_table", fx);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "{\"pk\": {\"pk\": 5}, \"ck\": {\"ck\": 105}, \"cells\": {\"val\": 1005}}\n"));
	snprintf(args, sizeof(args), "dump --meta %s/sstable-transformer-oa-10k/spark_test/testtable/oa-13-big-Data.db", fx);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "Version:                          oa"));
	assert_non_null(strstr(out, "Murmur3Partitioner"));
	snprintf(args, sizeof(args), "dump %s/axonops-legacy-ma-mb-mc/blog/users", fx);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "\"key\": [\"frodo\"]"));
	assert_non_null(strstr(out, "\"tstamp\": 1455937221199050"));
	snprintf(args, sizeof(args), "dump --verify %s/scylla-me-integrity-broken/lz4-invalid_digest/test_ks/test_table", fx);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "digest mismatch"));
	snprintf(args, sizeof(args), "dump --rows %s/axonops-legacy-ma-mb-mc/system/batches", fx);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "LocalPartitioner"));
	snprintf(args, sizeof(args), "dump --rows --now 2018-12-01T00:00:00Z %s/scylla-mc-golden-misc/write_ttled_row/sst3/ttled_row", fx);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "\"rc\": 3"));
	snprintf(args, sizeof(args), "dump --rows %s/scylla-mc-golden-misc/write_ttled_row/sst3/ttled_row", fx);
	assert_int_equal(run(args), 0);
	assert_null(strstr(out, "\"rc\": 3"));
}

static void test_gen(void **state)
{
	char dir[] = "/tmp/pitfs-cli-gen-XXXXXX", args[256];
	(void)state;
	assert_int_equal(run("gen"), 2);
	assert_non_null(strstr(out, "no OUTDIR"));
	assert_int_equal(run("gen /tmp/x --size 12Q"), 2);
	assert_non_null(strstr(out, "not a size"));
	assert_int_equal(run("gen /tmp/x --nodes 0"), 2);
	assert_non_null(mkdtemp(dir));
	snprintf(args, sizeof(args), "gen %s --size 256K --nodes 2 --rf 2 --seed 5", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "2 nodes"));
	assert_int_equal(run(args), 1);	/* never over an earlier cluster */
	assert_non_null(strstr(out, "not empty"));
	assert_non_null(strstr(out, dir));
	snprintf(args, sizeof(args), "dump --rows %s/node1/data/shop", dir);
	assert_int_equal(run(args), 1);	/* a keyspace directory is not a table directory */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test -s %s/cluster.json && test -d %s/truth/6/nodes/node2 && rm -rf %s", dir, dir, dir);
	assert_int_equal(system(cmd), 0);
}

/* The repository commands: usage and operational errors say what is wrong. */
static void test_repo_commands(void **state)
{
	char dir[] = "/tmp/pitfs-cli-repo-XXXXXX", args[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(args, sizeof(args), "init %s/r", dir);
	assert_int_equal(run(args), 0);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "not empty"));
	snprintf(args, sizeof(args), "ingest %s/r %s", dir, dir);
	assert_int_equal(run(args), 2);
	assert_non_null(strstr(out, "--node"));
	snprintf(args, sizeof(args), "ingest %s/r %s --node n", dir, dir);
	assert_int_equal(run(args), 2);
	assert_non_null(strstr(out, "--snapshot TAG and --incremental"));
	snprintf(args, sizeof(args), "ingest %s/r %s --node n --snapshot t", dir, dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "no table has a snapshot named 't'"));
	snprintf(args, sizeof(args), "ingest %s/r %s --node n --incremental --json", dir, dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "\"id\":null"));
	snprintf(args, sizeof(args), "backups %s", dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "not a pitfs repository"));
	snprintf(args, sizeof(args), "backups %s/r --json", dir);
	assert_int_equal(run(args), 0);
	assert_string_equal(out, "[]\n");
	snprintf(args, sizeof(args), "restore %s/r abcdef %s/t", dir, dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "no backup abcdef"));
	snprintf(args, sizeof(args), "restore %s/r xyz %s/t", dir, dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "not a backup id"));
	snprintf(args, sizeof(args), "forget %s/r", dir);
	assert_int_equal(run(args), 2);
	snprintf(args, sizeof(args), "forget %s/r --keep-within soon", dir);
	assert_int_equal(run(args), 2);
	assert_non_null(strstr(out, "not a duration"));
	snprintf(args, sizeof(args), "check %s/r --read-data", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "no problems"));
	snprintf(args, sizeof(args), "prune %s/r", dir);
	assert_int_equal(run(args), 0);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	assert_int_equal(system(args), 0);
}

/* ls and cat walk the mount's namespace: instants, keyspaces, tables, view
 * files, and the raw files of each backup byte for byte. */
static void test_ls_cat(void **state)
{
	char dir[] = "/tmp/pitfs-cli-view-XXXXXX", args[1024], cmd[2048];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s gen %s/c --size 1M --seed 8 --no-truth >/dev/null && %s init %s/r >/dev/null && "
		 "for n in node1 node2 node3; do %s ingest %s/r %s/c/$n/data --node $n --snapshot "
		 "$(ls %s/c/node1/data/shop/orders-*/snapshots | sort | tail -1) >/dev/null || exit 1; done",
		 getenv("PITFS_BIN") ? getenv("PITFS_BIN") : "./pitfs", dir,
		 getenv("PITFS_BIN") ? getenv("PITFS_BIN") : "./pitfs", dir,
		 getenv("PITFS_BIN") ? getenv("PITFS_BIN") : "./pitfs", dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(args, sizeof(args), "ls %s/r", dir);
	assert_int_equal(run(args), 0);
	assert_string_equal(out, "README\nat/\nnodes/\n");
	snprintf(args, sizeof(args), "ls %s/r /at", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "latest@"));
	snprintf(args, sizeof(args), "ls %s/r /at/latest", dir);
	assert_int_equal(run(args), 0);
	assert_string_equal(out, "metrics/\nshop/\nsystem_schema/\n");
	/* the generated nodes hold system_schema.keyspaces: CREATE KEYSPACE */
	snprintf(args, sizeof(args), "cat %s/r /at/latest/shop/schema.cql", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "CREATE KEYSPACE IF NOT EXISTS shop WITH replication = {'class': "
				    "'NetworkTopologyStrategy', 'dc1': '3'} AND durable_writes = true;\n"));
	snprintf(args, sizeof(args), "ls %s/r /at/latest/shop", dir);
	assert_int_equal(run(args), 0);
	assert_string_equal(out, "schema.cql\ncustomers/\norders/\npage_views/\n");
	snprintf(args, sizeof(args), "ls %s/r /at/latest/shop/orders -l", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "data.jsonl"));
	assert_non_null(strstr(out, "sources.json"));
	snprintf(args, sizeof(args), "cat %s/r /at/latest/shop/orders/schema.cql", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "CREATE TABLE"));
	snprintf(args, sizeof(args), "cat %s/r /at/latest/shop/orders/data.jsonl", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "{\"customer\": \"cust-"));
	size_t catlen = strlen(out);
	/* the size ls -l gives is the size cat gives (kept once rendered) */
	snprintf(args, sizeof(args), "ls %s/r /at/latest/shop/orders -l", dir);
	assert_int_equal(run(args), 0);
	char want[64];
	snprintf(want, sizeof(want), " %zu  data.jsonl", catlen);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "-r--r--r--  20"));	/* read-only, with its time, as mounted */
	snprintf(args, sizeof(args), "ls %s/r /at -l", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "lrwxrwxrwx  "));
	assert_non_null(strstr(out, "latest -> 20"));
	assert_non_null(strstr(out, "dr-xr-xr-x  "));
	snprintf(args, sizeof(args), "cat %s/r /at/latest/shop/orders/sources.json", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "\"node\": \"node3\""));
	snprintf(args, sizeof(args), "cat %s/r /at/1999-01-01T00:00:00Z/shop/orders/data.jsonl", dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "no keyspace shop"));
	snprintf(args, sizeof(args), "cat %s/r /at/yesterday", dir);
	assert_int_equal(run(args), 1);
	assert_non_null(strstr(out, "not an instant"));
	snprintf(args, sizeof(args), "ls %s/r /nodes", dir);
	assert_int_equal(run(args), 0);
	assert_string_equal(out, "node1/\nnode2/\nnode3/\n");
	snprintf(args, sizeof(args), "backups %s/r --node node2", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "node2"));
	assert_null(strstr(out, "node1"));
	/* a dry run says what it would do and does nothing */
	snprintf(args, sizeof(args), "forget %s/r --keep-within 1d --dry-run", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "keep"));
	assert_non_null(strstr(out, "0 backups removed"));
	snprintf(args, sizeof(args), "backups %s/r --json", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "\"node\":\"node3\""));
	/* a raw file read back through the repository equals the original */
	const char *bin = getenv("PITFS_BIN") ? getenv("PITFS_BIN") : "./pitfs";
	snprintf(cmd, sizeof(cmd), "d=%s && b=$(%s ls $d/r /nodes/node2 | head -1) && "
		 "s=$(ls $d/c/node1/data/shop/orders-*/snapshots | sort | tail -1) && "
		 "f=$(ls $d/c/node2/data/shop/orders-*/snapshots/$s/nb-*-Data.db | head -1) && "
		 "t=$(basename $(dirname $(dirname $(dirname $f)))) && "
		 "%s cat $d/r \"/nodes/node2/${b%%/}/shop/$t/$(basename $f)\" | cmp - $f", dir, bin, bin);
	int rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rc, 0);
}

/* A keyspace's schema.cql starts with its CREATE KEYSPACE, from the
 * system_schema.keyspaces the node's backup holds (the real 3.x data
 * directory of the fixtures, taken as one snapshot). */
static void test_keyspace_schema(void **state)
{
	const char *fx = tl_fixtures();
	char dir[] = "/tmp/pitfs-ks-XXXXXX", cmd[3 * PATH_MAX], args[600], bin[PATH_MAX];

	(void)state;
	TL_NEED_FIXTURES(fx);
	/* the commands run in the fixtures' directory */
	assert_non_null(realpath(getenv("PITFS_BIN") ? getenv("PITFS_BIN") : "./pitfs", bin));
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cd %s/pcass-me-3x-datadir/data && for t in */*/; do mkdir -p %s/d/$t/snapshots/s && "
		 "cp $t/*-big-* %s/d/$t/snapshots/s/ || exit 1; done && %s init %s/r >/dev/null && "
		 "%s ingest %s/r %s/d --node n1 --snapshot s --at 2024-01-01T00:00:00Z >/dev/null", fx, dir, dir, bin, dir,
		 bin, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(args, sizeof(args), "cat %s/r /at/latest/sina_test/schema.cql", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "CREATE KEYSPACE IF NOT EXISTS sina_test WITH replication = {'class': "
				    "'SimpleStrategy', 'replication_factor': '1'} AND durable_writes = true;\n"));
	snprintf(args, sizeof(args), "cat %s/r /at/latest/system_auth/schema.cql", dir);
	assert_int_equal(run(args), 0);
	assert_non_null(strstr(out, "system_auth WITH replication = {'class': 'SimpleStrategy'"));
	/* before the backup nothing is known: no keyspace at all */
	snprintf(args, sizeof(args), "cat %s/r /at/2023-01-01T00:00:00Z/sina_test/schema.cql", dir);
	assert_int_equal(run(args), 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_operational_errors),
		cmocka_unit_test(test_on_fixtures),
		cmocka_unit_test(test_keyspace_schema),
		cmocka_unit_test(test_gen),
		cmocka_unit_test(test_repo_commands),
		cmocka_unit_test(test_ls_cat),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
