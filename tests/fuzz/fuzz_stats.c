/* libFuzzer: Statistics.db parsed as every version would read it. */
#include <stdint.h>
#include "core/sstable/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *versions[][2] = { { "big", "ma" }, { "big", "mc" }, { "big", "me" }, { "big", "na" },
					     { "big", "nb" }, { "big", "oa" }, { "bti", "da" } };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct sst_version v;
		struct sst_stats st;
		struct sst_header h;
		struct pit_err err = { 0 };
		sst_version_parse(&v, versions[i][0], versions[i][1]);
		if (sst_stats_parse(data, size, &v, "Statistics.db", &st, &h, &err) == 0)
			sst_header_release(&h);
	}
	return 0;
}
