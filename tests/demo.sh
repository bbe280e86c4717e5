#!/bin/sh
# make demo: what pitfs reads today, on its built-in sample and, when they are
# there, on real SSTables written by Cassandra.
pitfs=${1:-./pitfs} sample=${2:-build/demo/shop/orders}
show() {
	echo "\$ pitfs $*"
	"$pitfs" "$@" 2>&1 | head -n 16
	echo
}
show --version
show dump --meta "$sample/nb-1-big-Data.db"
show dump "$sample"
show dump --rows "$sample"
fx=${PITFS_FIXTURES:-../shared/fixtures}
if [ -d "$fx" ]; then
	show dump --rows "$fx/pcass-me-3x-datadir/data/sina_test/users-916fa140a1c711eeae8c6d2c86545d91"
	show dump --rows --now 2018-12-01T00:00:00Z "$fx/scylla-mc-golden-misc/write_ttled_row/sst3/ttled_row"
else
	echo "(no real SSTables at $fx: set PITFS_FIXTURES to see them too)"
fi
