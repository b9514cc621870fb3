/* jitrun extension cache - the overlay mounts it makes: see overlay.h. */
#define _GNU_SOURCE
#include <config.h>
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "libjitrun/utils.h"

/* The kernel's own words on why a configuration was refused, if it left
   any in the fs context ("e overlayfs: ..."), else "". */
static void
fs_context_message (int fsfd, char *buf, size_t size)
{
  char msg[256];
  ssize_t n;

  buf[0] = '\0';
  while ((n = read (fsfd, msg, sizeof (msg) - 1)) > 0)
    {
      msg[n] = '\0';
      if (msg[0] == 'e' && msg[1] == ' ')
        snprintf (buf, size, " (%s)", msg + 2);
    }
}

static int
fs_error (int fsfd, jr_error_t *err, int errno_value, const char *what)
{
  char why[300];

  fs_context_message (fsfd, why, sizeof (why));
  return jr_error (err, errno_value, "%s%s", what, why);
}

static int
set_fd_path (int fsfd, const char *key, int fd, jr_error_t *err)
{
  char path[32];

  snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, key, path, 0) < 0)
    return fs_error (fsfd, err, errno, key);
  return 0;
}

/* options: "a,b=c,...": flags and strings */
static int
set_options (int fsfd, const char *options, jr_error_t *err)
{
  char buf[256], *opt, *save = NULL;

  if (options == NULL || *options == '\0')
    return 0;
  if (strlen (options) >= sizeof (buf))
    return jr_error (err, E2BIG, "overlay options `%s` too long", options);
  strcpy (buf, options);
  for (opt = strtok_r (buf, ",", &save); opt; opt = strtok_r (NULL, ",", &save))
    {
      char *value = strchr (opt, '=');
      int r;

      if (value)
        *value++ = '\0';
      r = value ? fsconfig (fsfd, FSCONFIG_SET_STRING, opt, value, 0)
                : fsconfig (fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
      if (r < 0)
        return fs_error (fsfd, err, errno, opt);
    }
  return 0;
}

/* Layers given as /proc/self/fd/N paths: what every kernel takes. */
static int
set_layer_paths (int fsfd, const int *lowerfds, size_t n_lower, int upperfd, int workfd, jr_error_t *err)
{
  char lower[512];
  size_t len = 0, i;

  for (i = 0; i < n_lower && len < sizeof (lower); i++)
    len += snprintf (lower + len, sizeof (lower) - len, "%s/proc/self/fd/%d", i ? ":" : "", lowerfds[i]);
  if (len >= sizeof (lower))
    return jr_error (err, E2BIG, "overlay: too many lower dirs");
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
    return fs_error (fsfd, err, errno, "overlay: lowerdir");
  if (upperfd >= 0
      && (set_fd_path (fsfd, "upperdir", upperfd, err) < 0 || set_fd_path (fsfd, "workdir", workfd, err) < 0))
    return jr_error_wrap (err, "overlay");
  return 0;
}

/* Layers given as fds themselves (Linux 6.13+): the kernel walks no
   /proc/self/fd path, whose proc dentries a fresh process (each runtime)
   makes first: ~50 us of a hit here.  0, or -1 with errno (EINVAL from
   an older kernel; the context is then fit for nothing else). */
static int
set_layer_fds (int fsfd, const int *lowerfds, size_t n_lower, int upperfd, int workfd)
{
  size_t i;

  for (i = 0; i < n_lower; i++)
    if (fsconfig (fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, lowerfds[i]) < 0)
      return -1;
  if (upperfd >= 0
      && (fsconfig (fsfd, FSCONFIG_SET_FD, "upperdir", NULL, upperfd) < 0
          || fsconfig (fsfd, FSCONFIG_SET_FD, "workdir", NULL, workfd) < 0))
    return -1;
  return 0;
}

int
jr_ec_overlay_make (const int *lowerfds, size_t n_lower, int upperfd, int workfd, const char *options,
                    jr_error_t *err)
{
  /* set once the kernel refused layers as fds; read-only until then: a
     runtime that makes a hit's overlay after its fork pays a copy-on-write
     fault per page it writes */
  static bool kernel_wants_paths;
  bool layers_as_paths = kernel_wants_paths || getenv (JR_EC_OVERLAY_PATHS_ENV) != NULL;
  cleanup_close int fsfd = -1;
  int mntfd;

  fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return jr_error (err, errno, "overlay: fsopen");
  if (!layers_as_paths && set_layer_fds (fsfd, lowerfds, n_lower, upperfd, workfd) < 0)
    {
      if (errno != EINVAL)
        return fs_error (fsfd, err, errno, "overlay: layers");
      layers_as_paths = kernel_wants_paths = true;
      close (fsfd);
      fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
      if (fsfd < 0)
        return jr_error (err, errno, "overlay: fsopen");
    }
  if (layers_as_paths && set_layer_paths (fsfd, lowerfds, n_lower, upperfd, workfd, err) < 0)
    return -1;
  if (set_options (fsfd, options, err) < 0)
    return jr_error_wrap (err, "overlay");
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, err, errno, "overlay: create");
  mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mntfd < 0)
    return fs_error (fsfd, err, errno, "overlay: fsmount");
  return mntfd;
}

int
jr_ec_tmpfs_make (const char *size, jr_error_t *err)
{
  cleanup_close int fsfd = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  int mntfd;

  if (fsfd < 0)
    return jr_error (err, errno, "tmpfs: fsopen");
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "size", size, 0) < 0
      || fsconfig (fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0
      || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, err, errno, "tmpfs: create");
  mntfd = fsmount (fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (mntfd < 0)
    return fs_error (fsfd, err, errno, "tmpfs: fsmount");
  return mntfd;
}

int
jr_ec_mount_attach (int mntfd, const char *target, jr_error_t *err)
{
  if (move_mount (mntfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return jr_error (err, errno, "attach the overlay on `%s`", target);
  return 0;
}

int
jr_ec_mount_overlay (const char *target, const int *lowerfds, size_t n_lower, int upperfd, int workfd,
                     const char *options, jr_error_t *err)
{
  cleanup_close int mntfd = jr_ec_overlay_make (lowerfds, n_lower, upperfd, workfd, options, err);

  if (mntfd < 0)
    return jr_error_wrap (err, "mount overlay on `%s`", target);
  return jr_ec_mount_attach (mntfd, target, err);
}
