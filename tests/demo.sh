#!/bin/sh
# make demo: show what pitfs reads today on real SSTables.
pitfs=${1:-./pitfs}
fx=${PITFS_FIXTURES:-../shared/fixtures}
if [ ! -d "$fx" ]; then
	echo "demo: no fixtures at $fx (set PITFS_FIXTURES); nothing to show yet" >&2
	exit 0
fi
show() {
	echo "\$ pitfs $*"
	"$pitfs" "$@" 2>&1 | head -n 12
	echo
}
show --version
show dump --meta "$fx/sstable-transformer-nb-two-sstables/spark_test/test3/nb-1-big-Data.db"
show dump "$fx/axonops-legacy-ma-mb-mc/blog/users"
show dump --rows "$fx/pcass-me-3x-datadir/data/sina_test/users-916fa140a1c711eeae8c6d2c86545d91"
show dump --rows "$fx/scylla-mc-golden-misc/write_ttled_row/sst3/ttled_row" --now 2018-12-01T00:00:00Z
show dump --rows "$fx/sstable-to-arrow-md-iot/baselines/iot-5b608090e03d11ebb4c1d335f841c590"
