/* The floor of any FUSE filesystem, for benchmarks: one file, read into
 * memory at the start, served read-only through libfuse's multi-threaded
 * loop with the kernel-cache settings of the pitfs mount (keep_cache,
 * day-long timeouts, no attribute check on every read). What a read
 * through it costs is what FUSE itself costs on this machine: no disk,
 * no decompression, no lookup. */
#ifndef PIT_TL_FLOORFS_H
#define PIT_TL_FLOORFS_H

/* Serves the bytes of file as <mountpoint>/<its base name> until
 * unmounted; 0, or -1 with a printed reason. */
int floorfs_serve(const char *file, const char *mountpoint);

#endif
