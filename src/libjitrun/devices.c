/* jitrun - device nodes inside the container's /dev (see devices.h). */
#define _GNU_SOURCE
#include <config.h>
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "utils.h"

struct default_device
{
  const char *name; /* below /dev */
  unsigned int major, minor;
};

/* What every container gets (0666, root-owned), as runc does. */
static const struct default_device default_devices[] = {
  { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

struct dev_symlink
{
  const char *target;
  const char *name;
};

static const struct dev_symlink dev_symlinks[] = {
  { "/proc/self/fd", "fd" },
  { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" },
};

static bool
spec_has_device (const struct oci_spec *spec, const char *name)
{
  if (spec->linux_ == NULL)
    return false;
  for (size_t i = 0; i < spec->linux_->devices_len; i++)
    {
      const char *p = spec->linux_->devices[i].path;
      if (p && jr_has_prefix (p, "/dev/") && strcmp (p + 5, name) == 0)
        return true;
    }
  return false;
}

/* Create one node `name` in dirfd (an O_PATH dir inside the rootfs),
   replacing whatever is there.  `host_path` is bind mounted instead of
   mknod in a user namespace. */
static int
make_node (int dirfd, const char *name, const char *display, const char *host_path, mode_t type, dev_t dev,
           mode_t mode, uid_t uid, gid_t gid, bool in_userns, jr_error_t *err)
{
  /* unlink first: never write through a symlink or stale node the image left */
  if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
    return jr_error (err, errno, "remove existing `%s`", display);

  if (in_userns)
    {
      cleanup_close int fd = -1;
      char path[JR_PROC_FD_PATH_MAX];

      fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0000);
      if (fd < 0)
        return jr_error (err, errno, "create `%s`", display);
      if (mount (host_path, jr_proc_fd_path (fd, path), NULL, MS_BIND, NULL) < 0)
        return jr_error (err, errno, "bind mount device `%s`", display);
      return 0;
    }

  /* umask is 0 here (see jr_devices_setup): mode is applied as is */
  if (mknodat (dirfd, name, type | (mode & 07777), dev) < 0)
    return jr_error (err, errno, "mknod `%s`", display);
  if ((uid != 0 || gid != 0) && fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return jr_error (err, errno, "chown `%s`", display);
  return 0;
}

static int
device_type (const char *t, mode_t *type)
{
  if (t == NULL)
    return -1;
  if (strcmp (t, "c") == 0 || strcmp (t, "u") == 0)
    *type = S_IFCHR;
  else if (strcmp (t, "b") == 0)
    *type = S_IFBLK;
  else if (strcmp (t, "p") == 0)
    *type = S_IFIFO;
  else
    return -1;
  return 0;
}

static int
spec_device (const struct oci_device *d, int rootfd, int devfd, bool in_userns, jr_error_t *err)
{
  cleanup_close int parentfd = -1;
  cleanup_free char *parent = NULL;
  const char *name;
  const char *slash;
  mode_t type;
  int dirfd = devfd;

  if (d->path == NULL || d->path[0] == '\0')
    return jr_error (err, 0, "device without a path");
  if (device_type (d->type, &type) < 0)
    return jr_error (err, 0, "device `%s`: invalid type `%s`", d->path, d->type ? d->type : "");
  slash = strrchr (d->path, '/');
  name = slash ? slash + 1 : d->path;
  if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return jr_error (err, 0, "device `%s`: invalid path", d->path);

  /* The common case is directly in /dev: reuse its fd. */
  if (!(slash == d->path + 4 && strncmp (d->path, "/dev", 4) == 0))
    {
      parent = slash ? xstrndup (d->path, slash - d->path) : xstrdup ("/");
      parentfd = jr_mkdir_p_in_root (rootfd, parent[0] ? parent : "/", 0755, true, err);
      if (parentfd < 0)
        return jr_error_wrap (err, "device `%s`", d->path);
      dirfd = parentfd;
    }

  return make_node (dirfd, name, d->path, d->path, type,
                    type == S_IFIFO ? 0 : makedev ((unsigned int)d->major, (unsigned int)d->minor),
                    d->has_file_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
                    in_userns, err);
}

static int
devices_setup (const struct oci_spec *spec, int rootfd, int devfd, bool in_userns, jr_error_t *err)
{
  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    {
      const struct default_device *d = &default_devices[i];
      char host_path[32];

      if (spec_has_device (spec, d->name))
        continue; /* the spec's own definition wins */
      snprintf (host_path, sizeof (host_path), "/dev/%s", d->name);
      if (make_node (devfd, d->name, host_path, host_path, S_IFCHR, makedev (d->major, d->minor), 0666, 0, 0,
                     in_userns, err)
          < 0)
        return -1;
    }

  if (spec->linux_)
    for (size_t i = 0; i < spec->linux_->devices_len; i++)
      if (spec_device (&spec->linux_->devices[i], rootfd, devfd, in_userns, err) < 0)
        return -1;

  /* /dev/ptmx must be the devpts instance's, not the host's */
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return jr_error (err, errno, "remove `/dev/ptmx`");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
    return jr_error (err, errno, "symlink `/dev/ptmx`");

  /* what the image already provides is kept */
  for (size_t i = 0; i < sizeof (dev_symlinks) / sizeof (dev_symlinks[0]); i++)
    if (symlinkat (dev_symlinks[i].target, devfd, dev_symlinks[i].name) < 0 && errno != EEXIST)
      return jr_error (err, errno, "symlink `/dev/%s`", dev_symlinks[i].name);
  if (access ("/proc/kcore", F_OK) == 0 && symlinkat ("/proc/kcore", devfd, "core") < 0 && errno != EEXIST)
    return jr_error (err, errno, "symlink `/dev/core`");
  return 0;
}

int
jr_devices_setup (const struct oci_spec *spec, int rootfd, bool in_userns, jr_error_t *err)
{
  cleanup_close int devfd = -1;
  mode_t old_umask;
  int ret;

  /* Normally a tmpfs from the spec's mounts; otherwise the image's dir. */
  devfd = jr_mkdir_p_in_root (rootfd, "/dev", 0755, true, err);
  if (devfd < 0)
    return jr_error_wrap (err, "create `/dev`");

  /* One umask call instead of a chmod per node. */
  old_umask = umask (0);
  ret = devices_setup (spec, rootfd, devfd, in_userns, err);
  umask (old_umask);
  return ret;
}
