/* pitfs restore: a backup's files, byte-exact and verified chunk by chunk,
 * as <target>/<keyspace>/<table dir>/<file>, ready for nodetool import. */
#ifndef PIT_REPO_RESTORE_H
#define PIT_REPO_RESTORE_H

#include <stdint.h>
#include "core/repo/repo.h"

struct restore_opts {
	const char *keyspace, *table;	/* NULL: all */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

struct restore_result {
	uint64_t files, bytes;
	double seconds;
};

int restore_run(struct repo *r, const struct chunk_id *backup, const char *target, const struct restore_opts *o,
		struct restore_result *res, struct pit_err *err);

#endif
