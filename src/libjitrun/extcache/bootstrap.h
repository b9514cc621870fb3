/* jitrun extension cache - running the bootstrap (private). */
#ifndef JITRUN_EXTCACHE_BOOTSTRAP_H
#define JITRUN_EXTCACHE_BOOTSTRAP_H

#include <stdbool.h>

#include "libjitrun/error.h"
#include "extcache.h"
#include "key.h"

/* Run the bootstrap command with `mountpoint` as its rootfs, in a new
   pid+mount namespace below the caller's (so killing its pid 1 kills all
   of it): the spec's mounts, pivot_root, then the container's process
   settings with args = the bootstrap command.  Returns 0 when it exited 0;
   errors "bootstrap exited with N" / "bootstrap timed out after S s". */
int jr_ec_bootstrap_run (const struct jr_extcache_ctx *ctx, const struct jr_ec_config *cfg,
                         const char *mountpoint, jr_error_t *err);

/* Remove from a fresh layer's upper dir the empty dirs/files that only
   exist as mount points of the spec's mounts (absent in the lower). */
void jr_ec_tidy_mount_points (const struct oci_spec *spec, int upperfd, int lowerfd);

#endif
