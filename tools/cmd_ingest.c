/* pitfs ingest: translate arguments into ingest_run, and show its progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/repo/ingest.h"
#include "core/util/instant.h"
#include "core/util/sbuf.h"
#include "core/cql/value.h"
#include "tools/cmd.h"

const char cmd_ingest_usage[] =
	"usage: pitfs ingest REPO SOURCE --node NAME [--dc DC] [--rack RACK]\n"
	"                    (--snapshot TAG | --incremental) [--at TIME] [--json]\n"
	"\n"
	"Stores one node's files, byte-exact, as one backup. SOURCE is the node's\n"
	"data directory (<keyspace>/<table>-<id>/...), or one table's snapshots/<tag>\n"
	"directory, or one table's backups/ directory.\n"
	"\n"
	"  --snapshot TAG   a full backup: every table's snapshots/TAG/\n"
	"  --incremental    the tables' backups/ directories (what Cassandra flushed\n"
	"                   since they were last emptied); files this node stored before\n"
	"                   cost nothing\n"
	"  --node NAME      the node the files come from (required); --dc, --rack too\n"
	"  --at TIME        the backup's instant (RFC 3339 or @<unix seconds>) when no\n"
	"                   manifest.json gives one; else the newest file mtime is used\n"
	"  --json           print the summary as one JSON object\n"
	"  --threads N      hashing and compressing threads (default: one per CPU)\n"
	"  --read-all       read every file, also those this node stored before with\n"
	"                   the same size and mtime (by default their chunks are reused)\n"
	"\n"
	"Progress is shown on a terminal. SSTables that do not parse are still\n"
	"stored, flagged in the backup and reported.\n";

struct ui {
	bool tty;
	double t0;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(void *ctx, const struct ingest_progress *p)
{
	struct ui *ui = ctx;
	double el = now_s() - ui->t0, rate = el > 0 ? (double)p->bytes_done / el : 0;
	char done[32], total[32], r[32];

	if (!ui->tty)
		return;
	fmt_bytes(done, p->bytes_done);
	fmt_bytes(total, p->bytes_total);
	fmt_bytes(r, (uint64_t)rate);
	fprintf(stderr, "\r\033[K%llu/%llu files  %s / %s  %s/s", (unsigned long long)p->files_done,
		(unsigned long long)p->files_total, done, total, r);
	if (rate > 0 && p->bytes_done < p->bytes_total)
		fprintf(stderr, "  ETA %.0f s", (double)(p->bytes_total - p->bytes_done) / rate);
}

static void warn(void *ctx, const char *msg)
{
	struct ui *ui = ctx;

	fprintf(stderr, "%spitfs ingest: warning: %s\n", ui->tty ? "\r\033[K" : "", msg);
}

int cmd_ingest(int argc, char **argv)
{
	struct ingest_opts o = { 0 };
	struct ingest_result res;
	struct pit_err err = { 0 };
	struct repo *r = NULL;
	struct ui ui = { isatty(2), now_s() };
	const char *repo = NULL, *at = NULL;
	bool json = false;
	char hex[33], inst[40], b1[32], b2[32], b3[32];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-') {
			if (!repo)
				repo = a;
			else if (!o.source)
				o.source = a;
			else
				return usage_error("ingest", "unexpected argument '%s'", a);
			continue;
		}
		if (!strcmp(a, "--incremental")) {
			o.incremental = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(a, "--read-all")) {
			o.read_all = true;
			continue;
		}
		if (!v)
			return usage_error("ingest", "%s needs a value", a);
		i++;
		if (!strcmp(a, "--node"))
			o.node = v;
		else if (!strcmp(a, "--dc"))
			o.dc = v;
		else if (!strcmp(a, "--rack"))
			o.rack = v;
		else if (!strcmp(a, "--snapshot"))
			o.tag = v;
		else if (!strcmp(a, "--at"))
			at = v;
		else if (!strcmp(a, "--threads"))
			o.threads = atoi(v);
		else
			return usage_error("ingest", "unknown option %s", a);
	}
	if (!repo || !o.source)
		return usage_error("ingest", "needs REPO and SOURCE");
	if (!o.node || !*o.node)
		return usage_error("ingest", "needs --node NAME");
	if (!!o.tag == o.incremental)
		return usage_error("ingest", "needs exactly one of --snapshot TAG and --incremental");
	if (at) {
		if ((rc = instant_parse(at, &o.at_us, &err)) < 0)
			return usage_error("ingest", "--at: %s", pit_err_msg(&err, rc));
		o.have_at = true;
	}
	o.progress = progress;
	o.warn = warn;
	o.ctx = &ui;
	if ((rc = repo_open(&r, repo, REPO_WRITE, &err)) < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	rc = ingest_run(r, &o, &res, &err);
	repo_close(r);
	if (ui.tty)
		fputs("\r\033[K", stderr);
	if (rc < 0)
		return op_error("ingest of %s failed: %s", o.source, pit_err_msg(&err, rc));
	chunk_id_hex(&res.backup, hex);
	cql_time_us_str(res.instant_us, inst);
	if (json) {
		struct sbuf sb;
		sbuf_init(&sb);
		sbuf_adds(&sb, "{\"id\":");
		if (res.stored)
			sbuf_addf(&sb, "\"%s\"", hex);
		else
			sbuf_adds(&sb, "null");
		sbuf_adds(&sb, ",\"node\":");
		sbuf_add_json_str(&sb, o.node, strlen(o.node));
		sbuf_addf(&sb, ",\"kind\":\"%s\"", o.incremental ? "incremental" : "full");
		if (res.stored)
			sbuf_addf(&sb, ",\"instant\":\"%s\",\"instant_from\":\"%s\"", inst, res.instant_from);
		sbuf_addf(&sb, ",\"files\":%llu,\"sstables\":%llu,\"unparsed\":%llu,"
			       "\"bytes_read\":%llu,\"new_bytes\":%llu,\"stored_bytes\":%llu,\"chunks\":%llu,"
			       "\"new_chunks\":%llu,\"reused_files\":%llu,\"reused_bytes\":%llu,\"seconds\":%.3f}\n",
			  (unsigned long long)res.files,
			  (unsigned long long)res.sstables, (unsigned long long)res.unparsed,
			  (unsigned long long)res.bytes, (unsigned long long)res.new_bytes,
			  (unsigned long long)res.stored_bytes, (unsigned long long)res.chunks,
			  (unsigned long long)res.new_chunks, (unsigned long long)res.reused_files,
			  (unsigned long long)res.reused_bytes, res.seconds);
		fputs(sb.buf, stdout);
		sbuf_release(&sb);
		return 0;
	}
	if (!res.stored) {
		printf("nothing to back up for %s: its tables' backups/ directories are empty\n", o.node);
		return 0;
	}
	fmt_bytes(b1, res.bytes);
	fmt_bytes(b2, res.new_bytes);
	fmt_bytes(b3, res.stored_bytes);
	printf("backup %.8s: %s, %s%s%s, instant %s (from %s)\n", hex, o.node,
	       o.incremental ? "incremental" : "full snapshot ", o.incremental ? "" : o.tag,
	       "", inst, res.instant_from);
	printf("  %llu files (%llu SSTables%s), %s read, %s new, %s stored in %.1f s (%.0f MiB/s)\n",
	       (unsigned long long)res.files, (unsigned long long)res.sstables,
	       res.unparsed ? ", some flagged as unreadable" : "", b1, b2, b3, res.seconds,
	       res.seconds > 0 ? (double)res.bytes / res.seconds / 1048576 : 0.0);
	if (res.reused_files) {
		fmt_bytes(b1, res.reused_bytes);
		printf("  %llu files (%s) unchanged since an earlier backup of %s: not read again\n",
		       (unsigned long long)res.reused_files, b1, o.node);
	}
	return 0;
}
