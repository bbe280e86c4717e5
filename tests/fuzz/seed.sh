#!/bin/sh
# Seeds a fuzz target's corpus from the fixtures: seed.sh TARGET DIR
target=$1 dir=$2
fx=${PITFS_FIXTURES:-../shared/fixtures}
mkdir -p "$dir"
[ -d "$fx" ] || { echo "fuzz: no fixtures at $fx, starting from an empty corpus"; exit 0; }
case $target in
fuzz_data)   find "$fx" -name '*-Data.db' -size -200k ;;
fuzz_stats)  find "$fx" -name '*-Statistics.db' -size -200k ;;
fuzz_schema) find "$fx" -name 'schema.cql' ;;
esac | while read -r f; do
	cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-16)"
done
exit 0
