/* jitrun - the container's root filesystem and mounts.
 *
 * Called in the container init, in its new mount namespace, in this order:
 *   jr_rootfs_prepare -> (extension cache) -> jr_rootfs_mount_all ->
 *   createContainer hooks -> jr_rootfs_pivot -> jr_rootfs_finalize.
 * Paths inside the rootfs are always resolved fd-relative
 * (jr_openat_in_root), never by string concatenation, so a symlink planted
 * in the image cannot redirect a mount to the host.
 */
#ifndef JITRUN_MOUNTS_H
#define JITRUN_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

/* Parsed mount options (pure; unit tested). */
struct jr_mount_options
{
  unsigned long flags;       /* MS_* to set */
  unsigned long clear_flags; /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long propagation; /* MS_SHARED|MS_PRIVATE|... (0 = none), with MS_REC if r* */
  bool bind;                 /* bind or rbind */
  bool recursive;            /* rbind */
  bool remount_ro;           /* a bind that must be remounted read-only */
  bool idmap;                /* idmap / ridmap (unsupported -> error) */
  bool tmpcopyup;
  unsigned int attr_set; /* MOUNT_ATTR_* for recursive ro etc (rro, rnosuid...) */
  unsigned int attr_clr;
  char *data; /* everything else, comma joined (size=, mode=...) */
};
int jr_mount_options_parse (char *const *options, size_t n, struct jr_mount_options *out, jr_error_t *err);
void jr_mount_options_free (struct jr_mount_options *o);

/* Make the mount tree private/slave/shared per linux.rootfsPropagation
   (default: rslave of /) and bind `rootfs` onto itself so it is a mount
   point pivot_root accepts.  `rootfs` is an absolute host path.
   mounted_over: the caller attaches a mount of its own on `rootfs` next
   (a hit's overlay), which makes the bind useless unless the propagation
   asked for needs it. */
int jr_rootfs_prepare (const struct oci_spec *spec, const char *rootfs, bool mounted_over, jr_error_t *err);

/* Every entry of spec->mounts in order (bind/rbind + ro remount, tmpfs,
   proc, sysfs, mqueue, devpts, cgroup (v1 per controller / v2), overlay...),
   then /dev: the spec's linux.devices plus the default devices (null, zero,
   full, random, urandom, tty, ptmx -> pts/ptmx) and the /dev/fd, stdin,
   stdout, stderr, core symlinks.  In a user namespace device nodes are
   bind mounted from the host instead of mknod'ed. */
int jr_rootfs_mount_all (const struct oci_spec *spec, const char *rootfs, bool in_userns, jr_error_t *err);
/* Tests: set, the v1 cgroup hierarchies take the generic bind path, as on
   a kernel without the new mount API (< 5.12). */
#define JR_CGROUP_GENERIC_BIND_ENV "JITRUN_TEST_CGROUP_GENERIC_BIND"

/* Enter the rootfs: pivot_root(".", ".") + umount of the old root, or,
   with no_pivot, MS_MOVE onto / + chroot.  Afterwards cwd is "/". */
int jr_rootfs_pivot (const char *rootfs, bool no_pivot, jr_error_t *err);

/* After pivot (in the container's view): linux.maskedPaths,
   linux.readonlyPaths, then root.readonly (remount / ro). */
int jr_rootfs_finalize (const struct oci_spec *spec, jr_error_t *err);

#endif
