/* pitfs check: the repository's structure and references, and with
 * read_data every chunk read back and re-hashed. Every problem is reported
 * with the backups and files it affects. */
#ifndef PIT_REPO_CHECK_H
#define PIT_REPO_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "core/repo/repo.h"

struct check_opts {
	bool read_data;
	void (*problem)(void *ctx, const char *msg);	/* each problem, once */
	void (*info)(void *ctx, const char *msg);	/* harmless findings */
	void *ctx;
};

struct check_result {
	uint64_t problems;
	uint64_t packs, segments, backups, files, chunks;
	uint64_t unindexed_packs;	/* left by a crash: adopted by the next ingest or removed by prune */
	uint64_t duplicate_chunks;	/* stored in more than one pack */
	uint64_t bytes_read;
};

int check_run(struct repo *r, const struct check_opts *o, struct check_result *res, struct pit_err *err);

#endif
