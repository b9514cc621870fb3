/* jitrun extension cache - the overlay mounts it makes (private).
 *
 * Overlays are made with the new mount API as detached mounts, then
 * attached.  Making one is the dear part: the kernel checks the upper and
 * work dirs by creating and removing inodes on the cache's filesystem.  A
 * detached mount can be made by the runtime, before it forks the
 * container, with every fd it names in the runtime's own mount namespace
 * (the kernel refuses layers from another one), and attached by the init
 * in its new namespace with one move_mount.
 */
#ifndef JITRUN_EXTCACHE_OVERLAY_H
#define JITRUN_EXTCACHE_OVERLAY_H

#include <stddef.h>

#include "libjitrun/error.h"

/* Set (tests): layers are given to the kernel as /proc/self/fd paths, as
   kernels before 6.13 need, instead of as fds. */
#define JR_EC_OVERLAY_PATHS_ENV "JITRUN_TEST_OVERLAY_PATHS"

/* Make an overlay as a detached mount and return its fd (O_CLOEXEC): lower
   dirs top first, as fds (no path needs escaping, and a lower may be the
   very path the overlay will cover), upper/work fds (-1 for none), and
   comma-separated options (`name` or `name=value`). */
int jr_ec_overlay_make (const int *lowerfds, size_t n_lower, int upperfd, int workfd, const char *options,
                        jr_error_t *err);

/* Make a tmpfs of `size` (e.g. "4m") as a detached mount, mode 0755,
   nodev and nosuid; returns its fd. */
int jr_ec_tmpfs_make (const char *size, jr_error_t *err);

/* Attach a detached mount on `target` (in the caller's mount namespace). */
int jr_ec_mount_attach (int mntfd, const char *target, jr_error_t *err);

/* Make and attach. */
int jr_ec_mount_overlay (const char *target, const int *lowerfds, size_t n_lower, int upperfd, int workfd,
                         const char *options, jr_error_t *err);

#endif
