#!/bin/sh
# make demo: what pitfs does today, on its built-in sample and a generated
# cluster and, when they are there, on real SSTables written by Cassandra.
pitfs=${1:-./pitfs} sample=${2:-build/demo/shop/orders} work=${3:-build/demo}
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

# a generated 3-node cluster, backed up: two snapshots of every node and the
# incremental backups, then listed, checked, and one table restored
show gen "$work/cluster" --size 24M --seed 3
show init "$work/repo"
tags=$(ls "$work"/cluster/node1/data/shop/orders-*/snapshots | sort | head -2)
for tag in $tags; do
	for n in node1 node2 node3; do
		show ingest "$work/repo" "$work/cluster/$n/data" --node "$n" --dc dc1 --rack "rack-$n" --snapshot "$tag"
	done
done
show ingest "$work/repo" "$work/cluster/node1/data" --node node1 --incremental
show backups "$work/repo"
show check "$work/repo" --read-data
id=$("$pitfs" backups "$work/repo" --node node3 --json | tr ',' '\n' | sed -n 's/.*"id":"\(.*\)"/\1/p' | tail -1)
show restore "$work/repo" "$id" "$work/restored" --table orders
echo "\$ ls $work/restored/shop/orders-*/ | head"
ls "$work"/restored/shop/orders-*/ | head
echo "\$ cmp <each restored file> <node3's snapshot>"
snap=$(ls -d "$work"/cluster/node3/data/shop/orders-*/snapshots/* | sort | sed -n 2p)
same=0
for f in "$work"/restored/shop/orders-*/*; do
	if cmp -s "$f" "$snap/${f##*/}"; then same=$((same + 1)); else echo "differs: $f"; fi
done
echo "$same files identical"

# any moment, merged from every replica: the table as CSV, JSON lines and CQL,
# where the replicas disagreed, and what made the view
at=$("$pitfs" ls "$work/repo" /at | head -2 | tail -1)
show ls "$work/repo" "/at/$at/shop/orders"
show cat "$work/repo" "/at/${at%/}/shop/orders/data.csv"
show cat "$work/repo" "/at/${at%/}/shop/orders/data.jsonl"
show cat "$work/repo" "/at/${at%/}/shop/orders/data.cql"
show cat "$work/repo" "/at/${at%/}/shop/orders/conflicts.jsonl"
show cat "$work/repo" "/at/${at%/}/shop/orders/sources.json"

# the same through the mount, read with the usual tools
mnt="$work/mnt"
if (: <>/dev/fuse) 2>/dev/null && command -v fusermount3 >/dev/null; then
	mkdir -p "$mnt"
	show mount "$work/repo" "$mnt"
	echo "\$ ls $mnt $mnt/at"; ls "$mnt" "$mnt/at"; echo
	echo "\$ ls -l $mnt/at/latest/shop/orders"; ls -l "$mnt/at/latest/shop/orders"; echo
	echo "\$ head -3 $mnt/at/latest/shop/orders/data.csv"; head -3 "$mnt/at/latest/shop/orders/data.csv"; echo
	echo "\$ grep -c cust- $mnt/at/latest/shop/customers/data.jsonl"; grep -c cust- "$mnt/at/latest/shop/customers/data.jsonl"
	echo "\$ cp -r $mnt/at/latest/shop $work/restored-shop"; rm -rf "$work/restored-shop"
	cp -r "$mnt/at/latest/shop" "$work/restored-shop" && ls "$work/restored-shop"; echo
	fusermount3 -u "$mnt"
else
	echo "(no /dev/fuse here: the mount is not shown)"
fi
