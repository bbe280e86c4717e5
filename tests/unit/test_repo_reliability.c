/* The repository under stress, through the pitfs command ($PITFS_BIN):
 * ingests killed with SIGKILL at random moments, prunes killed likewise,
 * three ingests at once, and a disk that fills up during an ingest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/lib/testlib.h"

static char cluster[64], work[64], tags[3][256], log_path[128];
static const char *bin;

static int setup(void **state)
{
	(void)state;
	bin = getenv("PITFS_BIN");
	if (!bin || !*bin)
		bin = "./pitfs";
	snprintf(cluster, sizeof(cluster), "/tmp/pitfs-rel-gen-XXXXXX");
	snprintf(work, sizeof(work), "/tmp/pitfs-rel-XXXXXX");
	if (!mkdtemp(work))
		return -1;
	snprintf(log_path, sizeof(log_path), "%s/log", work);
	return tl_gen_cluster(cluster, 24u << 20, 9, tags);
}

static int teardown(void **state)
{
	(void)state;
	tl_rm_rf(cluster);
	tl_rm_rf(work);
	return 0;
}

/* Starts pitfs with a NULL-terminated argument list, output to the log. */
static pid_t start(const char *const *args)
{
	char *argv[32];
	int n = 0;
	pid_t pid;

	argv[n++] = (char *)bin;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(bin, argv);
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RUN(...) wait_status(start((const char *const[]){ __VA_ARGS__, NULL }))

static char *log_text(void)
{
	size_t n;
	char *s = tl_read_file(log_path, &n);
	return s ? s : strdup("");
}

static void log_reset(void) { unlink(log_path); }

static void show_log(void)
{
	char *s = log_text();
	printf("# pitfs said:\n%s\n", s);
	free(s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

static void data_of(char *out, size_t n, const char *node) { snprintf(out, n, "%s/%s/data", cluster, node); }

/* check passes; unless dups_ok, no chunk is stored in two packs. */
static void expect_clean(const char *repo, bool read_data, bool dups_ok)
{
	log_reset();
	int rc = read_data ? RUN("check", repo, "--read-data") : RUN("check", repo);
	char *s = log_text();
	bool dups = strstr(s, "more than one pack") != NULL;
	if (rc != 0 || (dups && !dups_ok))
		printf("# check:\n%s\n", s);
	assert_int_equal(rc, 0);
	if (!dups_ok)
		assert_false(dups);
	free(s);
}

/* SIGKILL at a random moment of an ingest: the repository checks clean, the
 * ingest run again completes, and no chunk ends up stored twice. */
static void test_kill_ingest(void **state)
{
	char repo[256], data[256];
	double full;
	int trials = 50, killed = 0;

	(void)state;
	data_of(data, sizeof(data), "node1");
	snprintf(repo, sizeof(repo), "%s/kill", work);
	/* how long one ingest takes here, to spread the kills over it */
	tl_rm_rf(repo);
	assert_int_equal(RUN("init", repo, "--pack-size", "64K"), 0);
	assert_int_equal(RUN("ingest", repo, data, "--node", "node1", "--snapshot", tags[0]), 0);
	double t0 = now_s();
	assert_int_equal(RUN("ingest", repo, data, "--node", "node1", "--snapshot", tags[1]), 0);
	full = now_s() - t0;
	srand(12345);
	for (int t = 0; t < trials; t++) {
		tl_rm_rf(repo);
		log_reset();
		assert_int_equal(RUN("init", repo, "--pack-size", "64K"), 0);
		assert_int_equal(RUN("ingest", repo, data, "--node", "node1", "--snapshot", tags[0]), 0);
		pid_t pid = start((const char *const[]){ "ingest", repo, data, "--node", "node1", "--snapshot",
							  tags[1], NULL });
		sleep_s(full * (double)rand() / RAND_MAX);
		kill(pid, SIGKILL);
		killed += wait_status(pid) == 128 + SIGKILL;
		expect_clean(repo, false, false);
		log_reset();
		if (RUN("ingest", repo, data, "--node", "node1", "--snapshot", tags[1]) != 0) {
			show_log();
			fail();
		}
		expect_clean(repo, true, false);
	}
	printf("# %d trials, %d killed mid-ingest (one ingest takes %.0f ms)\n", trials, killed, full * 1000);
	assert_true(killed > trials / 2);
}

/* SIGKILL at a random moment of a prune: nothing a backup references is
 * lost; the next prune finishes the job. */
static void test_kill_prune(void **state)
{
	char repo[256], data[256], target[300], id[64];
	int trials = 20, killed = 0;
	double full = 0;

	(void)state;
	data_of(data, sizeof(data), "node2");
	snprintf(repo, sizeof(repo), "%s/killprune", work);
	snprintf(target, sizeof(target), "%s/killprune-restore", work);
	srand(777);
	for (int t = 0; t <= trials; t++) {
		tl_rm_rf(repo);
		log_reset();
		assert_int_equal(RUN("init", repo, "--pack-size", "64K"), 0);
		for (int k = 0; k < 3; k++)
			assert_int_equal(RUN("ingest", repo, data, "--node", "node2", "--snapshot", tags[k]), 0);
		assert_int_equal(RUN("forget", repo, "--keep-last", "1"), 0);
		if (t == 0) {	/* the first run only measures */
			double t0 = now_s();
			assert_int_equal(RUN("prune", repo), 0);
			full = now_s() - t0;
			continue;
		}
		pid_t pid = start((const char *const[]){ "prune", repo, NULL });
		sleep_s(full * (double)rand() / RAND_MAX);
		kill(pid, SIGKILL);
		killed += wait_status(pid) == 128 + SIGKILL;
		/* a prune cut short may leave copies of chunks it was moving */
		expect_clean(repo, true, true);
		/* the kept backup restores in full */
		FILE *p;
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "%s backups %s --json | tr ',' '\\n' | sed -n 's/.*\"id\":\"\\(.*\\)\"/\\1/p'",
			 bin, repo);
		assert_non_null(p = popen(cmd, "r"));
		assert_non_null(fgets(id, sizeof(id), p));
		pclose(p);
		id[strcspn(id, "\n")] = 0;
		tl_rm_rf(target);
		assert_int_equal(RUN("restore", repo, id, target), 0);
		assert_int_equal(RUN("prune", repo), 0);
		expect_clean(repo, true, true);
	}
	printf("# %d trials, %d killed mid-prune (one prune takes %.0f ms)\n", trials, killed, full * 1000);
}

/* Three nodes ingesting into one repository at the same time. */
static void test_concurrent(void **state)
{
	char repo[256], data[3][256], *s;
	const char *nodes[] = { "node1", "node2", "node3" };
	pid_t pid[3];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/concurrent", work);
	tl_rm_rf(repo);
	log_reset();
	assert_int_equal(RUN("init", repo), 0);
	for (int i = 0; i < 3; i++) {
		data_of(data[i], sizeof(data[i]), nodes[i]);
		pid[i] = start((const char *const[]){ "ingest", repo, data[i], "--node", nodes[i], "--snapshot",
						      tags[2], NULL });
	}
	for (int i = 0; i < 3; i++)
		if (wait_status(pid[i]) != 0) {
			show_log();
			fail();
		}
	log_reset();
	assert_int_equal(RUN("backups", repo, "--json"), 0);
	s = log_text();
	for (int i = 0; i < 3; i++)
		assert_non_null(strstr(s, nodes[i]));
	free(s);
	/* side by side, ingests cannot see each other's new chunks yet: a chunk
	 * two nodes share (TOC.txt, schema.cql) may be stored by both */
	expect_clean(repo, true, true);
}

/* A disk that fills up during an ingest: a clear error, and the repository
 * (with the backup stored before) stays valid. */
static void test_full_disk(void **state)
{
	char mnt[256], repo[300], small[300], data[256], target[300], *s;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/tmpfs", work);
	mkdir(mnt, 0755);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=3m") < 0) {
		printf("# skipped: cannot mount a small tmpfs (%s); needs root\n", strerror(errno));
		skip();
	}
	snprintf(repo, sizeof(repo), "%s/repo", mnt);
	snprintf(small, sizeof(small), "%s/small/ks/t-00112233445566778899aabbccddeeff/snapshots/s", work);
	snprintf(target, sizeof(target), "%s/full-restore", work);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && echo hello > %s/nb-1-big-Data.db", small, small);
	assert_int_equal(system(cmd), 0);
	data_of(data, sizeof(data), "node3");
	log_reset();
	assert_int_equal(RUN("init", repo), 0);
	assert_int_equal(RUN("ingest", repo, small, "--node", "node3", "--snapshot", "s"), 0);
	log_reset();
	int rc = RUN("ingest", repo, data, "--node", "node3", "--snapshot", tags[2]);
	s = log_text();
	printf("# %s", s);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(s, "No space left on device"));
	free(s);
	expect_clean(repo, true, false);
	log_reset();
	assert_int_equal(RUN("backups", repo), 0);
	s = log_text();
	assert_non_null(strstr(s, "node3"));
	free(s);
	umount2(mnt, MNT_DETACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_ingest),
		cmocka_unit_test(test_kill_prune),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_full_disk),
	};
	return cmocka_run_group_tests_name("repo_reliability", tests, setup, teardown);
}
