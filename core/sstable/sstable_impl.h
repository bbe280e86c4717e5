/* Shared between reader.c (components, metadata, index) and scan.c (Data.db). */
#ifndef PIT_SSTABLE_IMPL_H
#define PIT_SSTABLE_IMPL_H

#include "core/sstable/reader.h"

struct sst {
	char *name;
	struct sst_desc desc;
	struct sst_version ver;
	sst_component_fn open_fn;
	void *ctx;
	void *owned_ctx;	/* freed with the handle */
	struct bsrc *data, *compinfo, *crc;
	struct sst_dfile *df;
	struct sst_stats stats;
	struct sst_header hdr;
	char toc[16][32];
	int ntoc;
	bool toc_known;
};

#endif
