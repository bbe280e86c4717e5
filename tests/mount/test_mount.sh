#!/bin/sh
# The mount, for real: a generated cluster's snapshots ingested, the
# repository mounted with FUSE and read with the tools users use, every byte
# compared with `pitfs cat` and with the original snapshot files. TAP output.
# Skips (saying so) only where /dev/fuse cannot be opened.
set -u
pitfs=${PITFS_BIN:-./pitfs}
case $pitfs in /*) ;; *) pitfs=$(pwd)/$pitfs ;; esac
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

if ! (: <>/dev/fuse) 2>/dev/null; then
	echo "1..0 # SKIP /dev/fuse cannot be opened here: the mount tests did not run"
	exit 0
fi
for tool in fusermount3 rsync tar cmp diff find grep dd; do
	if ! command -v $tool >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (make deps installs it): the mount tests did not run"
		exit 0
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pitfs-mount.XXXXXX")
mnt=$work/mnt
pid=
unmount() {
	if mountpoint -q "$1" 2>/dev/null || grep -q " $1 fuse" /proc/mounts; then
		fusermount3 -u "$1" 2>/dev/null || fusermount3 -u -z "$1" 2>/dev/null
	fi
}
cleanup() {
	unmount "$mnt"
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Mounts in the foreground, in the background of this script, so that its
# exit status and its log (sanitizer reports too) can be checked.
mount_fg() {
	"$pitfs" mount "$1" "$2" -f >>"$work/mount.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -d "$2/at" ] && return 0
		sleep 0.05
	done
	echo "# mount did not come up:"; sed 's/^/# /' "$work/mount.log"
	return 1
}
unmount_fg() {
	unmount "$1"
	wait "$pid"
	rc=$?
	pid=
	return $rc
}

"$pitfs" gen "$work/g" --size 6M --seed 21 >/dev/null 2>&1 || { echo "Bail out! pitfs gen failed"; exit 1; }
"$pitfs" init "$work/repo" >/dev/null || { echo "Bail out! pitfs init failed"; exit 1; }
for node in $(cd "$work/g" && ls -d node*); do
	for tag in $(ls "$work/g/$node/data"/*/*/snapshots | grep -v ':$' | sort -u); do
		"$pitfs" ingest "$work/repo" "$work/g/$node/data" --node "$node" --snapshot "$tag" >/dev/null ||
			{ echo "Bail out! ingest of $node $tag failed"; exit 1; }
	done
	"$pitfs" ingest "$work/repo" "$work/g/$node/data" --node "$node" --incremental >/dev/null
done
mkdir -p "$mnt"

check "mounts in the foreground" mount_fg "$work/repo" "$mnt"
latest=$(readlink "$mnt/at/latest")
check "/at/latest is a link to the newest instant" test -d "$mnt/at/$latest"
check "a README at the top explains the tree" grep -q "nodes/<node>/<instant>/" "$mnt/README"

# find: the same tree as pitfs ls walks
walk() {	# prints every path below $1 as pitfs ls sees it
	"$pitfs" ls "$work/repo" "$1" | while read -r e; do
		case $e in */) echo "$1/${e%/}"; walk "$1/${e%/}" ;; *) echo "$1/$e" ;; esac
	done
}
(cd "$mnt" && find "at/$latest" nodes | sort) >"$work/find.txt"
(walk "/at/$latest"; walk /nodes) | sed 's|^/||' | sort >"$work/walk.txt"
(echo "at/$latest"; echo nodes) | sort -m - "$work/walk.txt" >"$work/walk2.txt"
check "find lists what pitfs ls lists" cmp -s "$work/find.txt" "$work/walk2.txt"

# cp -r, then every file against pitfs cat
cp -r "$mnt/at/$latest" "$work/cp" 2>"$work/cp.err"
check "cp -r of a whole instant" test -s "$work/cp/shop/orders/data.csv"
same=0 differ=0
for f in $(cd "$work/cp" && find . -type f | sed 's|^\./||'); do
	if "$pitfs" cat "$work/repo" "/at/$latest/$f" | cmp -s - "$work/cp/$f"; then
		same=$((same + 1))
	else
		differ=$((differ + 1)); echo "# differs from pitfs cat: $f"
	fi
done
echo "# $same files copied with cp equal pitfs cat"
check "every copied file equals pitfs cat" test $differ -eq 0 -a $same -ge 20
check "diff -r of the mount against the copy" diff -r "$mnt/at/$latest" "$work/cp"

# tar and grep
(cd "$mnt/at/$latest" && tar cf "$work/t.tar" shop) && mkdir "$work/untar" && tar xf "$work/t.tar" -C "$work/untar"
check "tar c of a keyspace, extracted, equals the copy" diff -r "$work/untar/shop" "$work/cp/shop"
(cd "$mnt" && tar --xattrs -cf "$work/x.tar" nodes) 2>"$work/tarx.err"
tar_quiet() { test ! -s "$work/tarx.err" && test "$(tar tf "$work/x.tar" | wc -l)" -gt 50; }
check "tar --xattrs: no extended attributes, and no warning for any file" tar_quiet
want=$("$pitfs" cat "$work/repo" "/at/$latest/shop/customers/data.jsonl" | grep -c cust-)
got=$(grep -r cust- "$mnt/at/$latest/shop/customers/data.jsonl" | wc -l)
check "grep finds what it finds in pitfs cat ($got lines)" test "$got" -eq "$want" -a "$got" -gt 0
check "grep -r over the mount" sh -c "grep -rl cust- '$mnt/at/$latest/shop' | grep -q data.csv"

# original files: rsync -a, byte for byte and mtime, against the snapshots
rsync -a "$mnt/nodes/" "$work/rs/"
raw=0 bad=0
for f in $(cd "$work/rs" && find . -type f | sed 's|^\./||'); do
	node=${f%%/*} rest=${f#*/}; rest=${rest#*/}	# <ks>/<table dir>/<file>
	ks=${rest%%/*} tf=${rest#*/}; tdir=${tf%%/*} file=${tf#*/}
	found=
	# SSTables keep their name in every snapshot; manifest.json and
	# schema.cql differ from one snapshot to the next: one must match
	for cand in "$work/g/$node/data/$ks/$tdir"/snapshots/*/"$file" "$work/g/$node/data/$ks/$tdir/backups/$file"; do
		if [ -f "$cand" ] && cmp -s "$cand" "$work/rs/$f" &&
		   [ "$(stat -c %Y "$cand")" = "$(stat -c %Y "$work/rs/$f")" ]; then
			found=1
			break
		fi
	done
	if [ -n "$found" ]; then
		raw=$((raw + 1))
	else
		bad=$((bad + 1)); echo "# not as in the snapshot: $f"
	fi
done
echo "# $raw original files copied with rsync -a equal the snapshots' (bytes and mtime)"
check "rsync -a of /nodes: every file as the node had it" test $bad -eq 0 -a $raw -ge 50

# read-only, for real
ro() {	# the command must fail saying the filesystem is read-only
	if "$@" 2>"$work/ro.err"; then echo "# succeeded: $*"; return 1; fi
	grep -q "Read-only file system" "$work/ro.err" || { echo "# $*: $(cat "$work/ro.err")"; return 1; }
}
f=$mnt/at/$latest/shop/orders/data.csv
check "EROFS: create" ro touch "$mnt/at/new"
check "EROFS: write" ro sh -c "echo x >> '$f'"
check "EROFS: truncate" ro truncate -s 0 "$f"
check "EROFS: mkdir" ro mkdir "$mnt/nodes/x"
check "EROFS: unlink" ro rm -f "$f"
check "EROFS: rename" ro mv "$f" "$f.old"
check "EROFS: chmod" ro chmod 600 "$f"
check "EROFS: symlink" ro ln -s x "$mnt/at/y"
check "EROFS: utimes" ro touch -d 2020-01-01 "$f"
check "the file is unchanged" sh -c "'$pitfs' cat '$work/repo' '/at/$latest/shop/orders/data.csv' | cmp -s - '$f'"
check "statfs: df shows the repository" sh -c "df '$mnt' | grep -q pitfs"

# 16 readers at once, at random offsets, of a rendered file and an original one
big=$(cd "$mnt/nodes" && find . -name '*Data.db' -size +100k | head -1)
"$pitfs" cat "$work/repo" "/at/$latest/shop/orders/data.cql" >"$work/ref.cql"
cp "$mnt/nodes/$big" "$work/ref.db" 2>/dev/null || "$pitfs" cat "$work/repo" "/nodes/${big#./}" >"$work/ref.db"
piece() {	# $1 reader, $2 file in the mount, $3 the reference: one random piece
	size=$(stat -c %s "$3")
	off=$(( $(od -An -N4 -tu4 /dev/urandom) % size ))
	len=$(( 4096 * ( $(od -An -N1 -tu1 /dev/urandom) % 16 + 1 ) ))
	dd if="$2" bs=4096 iflag=skip_bytes,count_bytes skip=$off count=$len 2>/dev/null >"$work/r$1.got"
	dd if="$3" bs=4096 iflag=skip_bytes,count_bytes skip=$off count=$len 2>/dev/null >"$work/r$1.want"
	cmp -s "$work/r$1.got" "$work/r$1.want" || { echo "# reader $1: differs at $off+$len of $2"; return 1; }
}
reader() {	# $1: which reader; 6 random pieces of 4 to 64 KiB of each file
	for _ in 1 2 3 4 5 6; do
		piece "$1" "$mnt/at/$latest/shop/orders/data.cql" "$work/ref.cql" || return 1
		piece "$1" "$mnt/nodes/$big" "$work/ref.db" || return 1
	done
}
pids=
for r in $(seq 16); do reader "$r" & pids="$pids $!"; done
readers_ok=0
for p in $pids; do wait "$p" && readers_ok=$((readers_ok + 1)); done
check "16 concurrent readers at random offsets get pitfs cat's bytes ($readers_ok of 16)" test $readers_ok -eq 16

# same inode numbers on every mount
ino1=$(stat -c %i "$mnt/at/$latest/shop/orders/data.csv")
check "unmounts cleanly (exit status 0)" unmount_fg "$mnt"
check "the mount point is empty again" test ! -e "$mnt/at"
mount_fg "$work/repo" "$mnt"
ino2=$(stat -c %i "$mnt/at/$latest/shop/orders/data.csv")
check "the same path has the same inode across remounts" test "$ino1" = "$ino2"

# unmounting while readers are busy neither crashes nor hangs
for r in 1 2 3 4; do
	(while cat "$mnt/at/$latest/shop/orders/data.cql" "$mnt/nodes/$big" >/dev/null 2>&1; do :; done) &
done
sleep 0.5
fusermount3 -u -z "$mnt"
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	kill -9 "$pid"; wait "$pid"; pid=
	not_ok "unmounted under 4 busy readers: still running 20 s later"
else
	wait "$pid"; rc=$?; pid=
	check "unmounted under 4 busy readers: exits by itself, status 0 (was $rc)" test $rc -eq 0
fi
wait 2>/dev/null

# a damaged pack: EIO for the files that need the damaged chunk, nothing else
cp -a "$work/repo" "$work/bad"
pack=$(ls -S "$work/bad/packs"/*/* | head -1)
size=$(stat -c %s "$pack")
printf '\377' | dd of="$pack" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
mount_fg "$work/bad" "$mnt"
eio=0 good=0 wrong=0 bad_sst=
for f in $(cd "$mnt/nodes" && find . -type f | sed 's|^\./||'); do
	if cat "$mnt/nodes/$f" >"$work/one" 2>"$work/one.err"; then
		if cmp -s "$work/one" "$work/rs/$f"; then good=$((good + 1)); else wrong=$((wrong + 1)); fi
	elif grep -q "Input/output error" "$work/one.err"; then
		eio=$((eio + 1))
		case $f in *-big-*.db) [ -n "$bad_sst" ] || bad_sst=$f ;; esac
	else
		wrong=$((wrong + 1)); echo "# $f: $(cat "$work/one.err")"
	fi
done
echo "# damaged pack: $eio files give EIO, $good read back right, $wrong wrong"
check "a damaged chunk: EIO for its files, the right bytes for every other" test $eio -ge 1 -a $good -ge 50 -a $wrong -eq 0
check "the log names the damaged pack" grep -q "packs/" "$work/mount.log"
# the views made of that SSTable name the damaged file in their sources.json
named=0
if [ -n "$bad_sst" ]; then
	rel=${bad_sst#*/*/}
	for s in "$mnt"/at/2*/*/*/sources.json; do
		if grep -q "\"file\": \"$rel\"" "$s"; then named=$((named + 1)); fi
	done
fi
check "sources.json names the damaged file (${bad_sst:-none}) in $named views" test -n "$bad_sst" -a $named -ge 1
# the mount holds the repository: prune waits (and says so) instead of
# taking packs away under its readers
timeout 2 "$pitfs" prune "$work/bad" >/dev/null 2>"$work/prune.err"; rc=$?
check "prune waits while the repository is mounted (exit $rc: $(head -c 120 "$work/prune.err"))" \
	test $rc -eq 124 -a -n "$(grep 'in use' "$work/prune.err")"
check "unmounts cleanly after errors" unmount_fg "$mnt"

# An ingest while mounted changes the views of every instant at or after
# its backups: the kernel keeps a named instant's files for a day, so the
# mount must make it forget them, or it serves the old bytes (or old and
# new ones mixed). A view of the last snapshot's instant, made of node1's
# first snapshot; then node1's second snapshot comes in.
tags=$(sed -n 's/.*"tag": "\([0-9]*\)".*/\1/p' "$work/g/cluster.json")
t1=$(echo "$tags" | sed -n 1p) t2=$(echo "$tags" | sed -n 2p)
at=$(sed -n 's/.*"instant": "\([^"]*\)".*/\1/p' "$work/g/cluster.json" | tail -n 1)
"$pitfs" init "$work/live" >/dev/null
"$pitfs" ingest "$work/live" "$work/g/node1/data" --node node1 --snapshot "$t1" >/dev/null
mount_fg "$work/live" "$mnt"
view="/at/$at/shop/orders/data.csv"
before=$(cksum < "$mnt$view")
exec 3<"$mnt$view"	# held open across the ingest, read after it
head -c 100 <&3 >/dev/null
"$pitfs" ingest "$work/live" "$work/g/node1/data" --node node1 --snapshot "$t2" >/dev/null
sleep 2.5
cat <&3 >/dev/null
exec 3<&-
after=$(cksum < "$mnt$view")
want=$("$pitfs" cat "$work/live" "$view" | cksum)
check "a view read before an ingest shows the ingested backup after it (pitfs cat's bytes, which changed)" \
	test "$after" = "$want" -a "$want" != "$before"
# The kernel keeps every directory's listing. node2's first snapshot comes
# in after node1's second: neither the newest instant (the mtime of /at
# and /nodes) nor the listings read before may hide it.
listing() { (cd "$mnt" && LC_ALL=C ls -p "$1") | sed 's|^latest$|latest@|'; }
listings_now() {
	test "$(listing at)" = "$("$pitfs" ls "$work/live" /at)" &&
	test "$(listing nodes)" = "$("$pitfs" ls "$work/live" /nodes)" &&
	listing nodes | grep -qx node2/
}
listing at >/dev/null && listing nodes >/dev/null
"$pitfs" ingest "$work/live" "$work/g/node2/data" --node node2 --snapshot "$t1" >/dev/null
sleep 2.5
check "listings read before a backup of an older instant show it after it (pitfs ls's)" listings_now
check "unmounts cleanly after a live ingest" unmount_fg "$mnt"

# daemon mode: comes up in the background, goes with fusermount3 -u
"$pitfs" mount "$work/repo" "$mnt" && sleep 0.2
check "mounts as a daemon" test -d "$mnt/at/$latest"
fusermount3 -u "$mnt"
check "the daemon unmounts with fusermount3 -u" test ! -e "$mnt/at"

# as mount(8) runs it for an fstab line: mount.pitfs SPEC DIR -o OPTIONS
ln -s "$pitfs" "$work/mount.pitfs"
"$work/mount.pitfs" "$work/repo" "$mnt" -o rw,noauto,nofail,x-systemd.automount,_netdev && sleep 0.2
check "mount.pitfs, as mount(8) calls it, with fstab's options" test -d "$mnt/at/$latest"
check "mounted read-only whatever fstab says" grep -q " $mnt fuse.pitfs ro," /proc/mounts
fusermount3 -u "$mnt"

# glibc's own heap checks abort with these words where no sanitizer runs
if grep -q "AddressSanitizer\|runtime error\|LeakSanitizer\|malloc(): \|free(): \|realloc(): \|double free or corruption\|corrupted size vs\|corrupted double-linked list" "$work/mount.log"; then
	not_ok "no sanitizer or allocator reports"; sed 's/^/# /' "$work/mount.log" | head -40
else
	ok "no sanitizer or allocator reports"
fi
echo "1..$n"
exit $failed
