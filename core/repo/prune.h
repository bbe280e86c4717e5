/* Retention (forget) and reclaiming what no backup references (prune).
 * Order of work makes a crash at any moment harmless: forget only deletes
 * manifests; prune writes new packs and a new index segment before it
 * removes old segments, and removes packs last. */
#ifndef PIT_REPO_PRUNE_H
#define PIT_REPO_PRUNE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/repo/repo.h"

struct forget_policy {
	const char *node;	/* NULL: every node */
	int keep_last;		/* 0: not given */
	int64_t keep_within_us;	/* 0: not given */
	bool dry_run;
	void (*report)(void *ctx, const struct backup_info *bi, bool keep);
	void *ctx;
};

/* Full backups are kept by the policy, per node; an incremental backup is
 * kept while the full backup it builds on (the newest full before it) is. */
int forget_policy_run(struct repo *r, const struct forget_policy *p, unsigned *removed, struct pit_err *err);
int forget_backup(struct repo *r, const struct chunk_id *id, struct pit_err *err);

struct prune_result {
	uint64_t packs_removed, packs_rewritten, packs_kept;
	uint64_t bytes_freed, bytes_repacked;
	uint64_t segments_replaced;
	unsigned tmp_removed;
};

int prune_run(struct repo *r, struct prune_result *res, struct pit_err *err);

/* "7d", "12h", "30m", "2w", "90s" -> microseconds; -EINVAL otherwise. */
int parse_duration(const char *s, int64_t *us);

#endif
