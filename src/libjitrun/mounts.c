/* jitrun - the container's root filesystem and mounts (see mounts.h). */
#define _GNU_SOURCE
#include <config.h>
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "labels.h"
#include "log.h"
#include "utils.h"

/* ---- option parsing ----------------------------------------------------- */

enum option_kind
{
  OPT_SET,   /* flags |= value */
  OPT_CLEAR, /* flags &= ~value */
  OPT_PROPAGATION,
  OPT_ATTR_SET, /* recursive MOUNT_ATTR_* via mount_setattr */
  OPT_ATTR_CLEAR,
  OPT_ATIME_ATTR, /* recursive atime mode: clear the whole atime field, set value */
  OPT_BIND,
  OPT_RBIND,
  OPT_TMPCOPYUP,
  OPT_IDMAP,
  OPT_IGNORE,
};

struct option_def
{
  const char *name;
  enum option_kind kind;
  unsigned long value;
};

static const struct option_def option_defs[] = {
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "nodev", OPT_SET, MS_NODEV },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "noatime", OPT_SET, MS_NOATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "bind", OPT_BIND, 0 },
  { "rbind", OPT_RBIND, 0 },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_IDMAP, 1 },
  { "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  /* The atime mode is one field: changing it needs MOUNT_ATTR__ATIME in
     attr_clr; "no<mode>"/"atime" fall back to the default, relatime. */
  { "rrelatime", OPT_ATIME_ATTR, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_ATIME_ATTR, MOUNT_ATTR_RELATIME },
  { "rnoatime", OPT_ATIME_ATTR, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_ATIME_ATTR, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_ATIME_ATTR, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_ATIME_ATTR, MOUNT_ATTR_RELATIME },
  /* fstab noise that some tools put in config.json; tmpfs would reject it */
  { "defaults", OPT_IGNORE, 0 },
};

static const struct option_def *
find_option (const char *name)
{
  for (size_t i = 0; i < sizeof (option_defs) / sizeof (option_defs[0]); i++)
    if (strcmp (option_defs[i].name, name) == 0)
      return &option_defs[i];
  return NULL;
}

static void
append_data (char **data, const char *item)
{
  char *joined;

  if (*data == NULL)
    {
      *data = xstrdup (item);
      return;
    }
  joined = xasprintf ("%s,%s", *data, item);
  free (*data);
  *data = joined;
}

int
jr_mount_options_parse (char *const *options, size_t n, struct jr_mount_options *out, jr_error_t *err)
{
  memset (out, 0, sizeof (*out));
  for (size_t i = 0; i < n; i++)
    {
      const char *opt = options[i];
      const struct option_def *def;

      if (opt == NULL)
        continue;
      if (opt[0] == '\0')
        continue;
      def = find_option (opt);
      if (def == NULL)
        {
          append_data (&out->data, opt);
          continue;
        }
      switch (def->kind)
        {
        case OPT_SET:
          out->flags |= def->value;
          out->clear_flags &= ~def->value;
          break;
        case OPT_CLEAR:
          out->flags &= ~def->value;
          out->clear_flags |= def->value;
          break;
        case OPT_PROPAGATION:
          out->propagation = def->value;
          break;
        case OPT_ATTR_SET:
          out->attr_set |= def->value;
          out->attr_clr &= ~def->value;
          break;
        case OPT_ATTR_CLEAR:
          out->attr_clr |= def->value;
          out->attr_set &= ~def->value;
          break;
        case OPT_ATIME_ATTR:
          out->attr_clr |= MOUNT_ATTR__ATIME;
          out->attr_set = (out->attr_set & ~MOUNT_ATTR__ATIME) | def->value;
          break;
        case OPT_BIND:
          out->bind = true;
          break;
        case OPT_RBIND:
          out->bind = true;
          out->recursive = true;
          break;
        case OPT_TMPCOPYUP:
          out->tmpcopyup = true;
          break;
        case OPT_IDMAP:
          out->idmap = true;
          break;
        case OPT_IGNORE:
          break;
        }
    }
  out->remount_ro = out->bind && (out->flags & MS_RDONLY);
  (void)err; /* unknown options are filesystem data, never an error */
  return 0;
}

void
jr_mount_options_free (struct jr_mount_options *o)
{
  if (o == NULL)
    return;
  free (o->data);
  o->data = NULL;
}

/* ---- small helpers ------------------------------------------------------ */

/* MS_* flags of the mount holding fd, from statfs: a remount in a user
   namespace must keep the flags the kernel locked on it. */
static int
mount_flags_of (const char *path, unsigned long *flags)
{
  static const struct
  {
    unsigned long st, ms;
  } map[] = {
    { ST_RDONLY, MS_RDONLY },           { ST_NOSUID, MS_NOSUID },           { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },           { ST_SYNCHRONOUS, MS_SYNCHRONOUS }, { ST_MANDLOCK, MS_MANDLOCK },
    { ST_NOATIME, MS_NOATIME },         { ST_NODIRATIME, MS_NODIRATIME },   { ST_RELATIME, MS_RELATIME },
#ifdef ST_NOSYMFOLLOW
    { ST_NOSYMFOLLOW, MS_NOSYMFOLLOW },
#endif
  };
  struct statfs sfs;

  if (statfs (path, &sfs) < 0)
    return -errno;
  *flags = 0;
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if ((unsigned long)sfs.f_flags & map[i].st)
      *flags |= map[i].ms;
  return 0;
}

/* MS_BIND|MS_REMOUNT with `flags`.  Try as asked first (the common, fast
   case); on EPERM (user namespace, locked flags) add the flags the mount
   already has and retry. */
static int
remount_bind (const char *path, unsigned long flags)
{
  unsigned long current = 0;
  int ret;

  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return -errno;
  ret = mount_flags_of (path, &current);
  if (ret < 0)
    return ret;
  /* keep the atime mode the kernel locked unless one was asked for */
  if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
    current &= ~(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
  if (mount (NULL, path, NULL, MS_BIND | MS_REMOUNT | flags | current, NULL) < 0)
    return -errno;
  return 0;
}

static bool
spec_has_namespace (const struct oci_spec *spec, const char *type)
{
  if (spec->linux_ == NULL)
    return false;
  for (size_t i = 0; i < spec->linux_->namespaces_len; i++)
    if (spec->linux_->namespaces[i].type && strcmp (spec->linux_->namespaces[i].type, type) == 0)
      return true;
  return false;
}

static unsigned long
propagation_from_name (const char *name)
{
  const struct option_def *def;

  if (name == NULL || name[0] == '\0')
    return 0;
  def = find_option (name);
  if (def == NULL || def->kind != OPT_PROPAGATION)
    return ~0UL;
  return def->value;
}

/* ---- jr_rootfs_prepare -------------------------------------------------- */

int
jr_rootfs_prepare (const struct oci_spec *spec, const char *rootfs, bool mounted_over, jr_error_t *err)
{
  const char *name = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
  unsigned long requested = propagation_from_name (name);
  unsigned long first;

  if (requested == ~0UL)
    return jr_error (err, 0, "invalid rootfsPropagation `%s`", name);
  if (requested == 0)
    requested = MS_SLAVE | MS_REC;

  /* An unbindable "/" would refuse the bind of the rootfs below: detach
     from the host first, apply the request once the bind exists. */
  first = (requested & MS_UNBINDABLE) ? (MS_SLAVE | MS_REC) : requested;
  if (mount (NULL, "/", NULL, first, NULL) < 0)
    return jr_error (err, errno, "make `/` %s", name ? name : "rslave");
  /* the caller's own mount goes on rootfs next: already a mount point,
     with nothing shared above it */
  if (mounted_over && (requested == (MS_SLAVE | MS_REC) || requested == (MS_PRIVATE | MS_REC)))
    return 0;

  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return jr_error (err, errno, "bind mount rootfs `%s`", rootfs);

  /* pivot_root refuses a new root whose parent mount is shared.  With
     (r)slave/(r)private nothing shared is left; otherwise make the first
     bind private and stack a second bind on it: its parent is then
     private, and so is it (a bind copies its source's propagation).  This
     avoids parsing mountinfo to find the real parent. */
  if (requested != (MS_SLAVE | MS_REC) && requested != (MS_PRIVATE | MS_REC))
    {
      if (mount (NULL, rootfs, NULL, MS_PRIVATE, NULL) < 0)
        return jr_error (err, errno, "make rootfs `%s` private", rootfs);
      if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return jr_error (err, errno, "bind mount rootfs `%s`", rootfs);
    }
  if (first != requested && mount (NULL, "/", NULL, requested, NULL) < 0)
    return jr_error (err, errno, "make `/` %s", name);
  return 0;
}

/* ---- tmpcopyup ---------------------------------------------------------- */

static int copy_tree (int srcdir, int dstdir, jr_error_t *err);

static int
copy_file_at (int srcdir, const char *name, int dstdir, const struct stat *st, jr_error_t *err)
{
  cleanup_close int in = -1;
  cleanup_close int out = -1;

  in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return jr_error (err, errno, "open `%s`", name);
  out = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (out < 0)
    return jr_error (err, errno, "create `%s`", name);
  for (;;)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
      if (n == 0)
        break;
      if (n > 0)
        continue;
      if (errno == EINTR)
        continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return jr_error (err, errno, "copy `%s`", name);
      /* no copy_file_range between these filesystems: plain copy */
      char buf[65536];
      ssize_t r;
      while ((r = read (in, buf, sizeof (buf))) != 0)
        {
          if (r < 0)
            {
              if (errno == EINTR)
                continue;
              return jr_error (err, errno, "read `%s`", name);
            }
          if (jr_write_all (out, buf, r) < 0)
            return jr_error (err, errno, "write `%s`", name);
        }
      break;
    }
  if (fchown (out, st->st_uid, st->st_gid) < 0 || fchmod (out, st->st_mode & 07777) < 0)
    return jr_error (err, errno, "set owner of `%s`", name);
  return 0;
}

static int
copy_entry (int srcdir, const char *name, int dstdir, jr_error_t *err)
{
  struct stat st;

  if (fstatat (srcdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return jr_error (err, errno, "stat `%s`", name);
  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      {
        cleanup_close int sub_src = -1;
        cleanup_close int sub_dst = -1;

        if (mkdirat (dstdir, name, st.st_mode & 07777) < 0 && errno != EEXIST)
          return jr_error (err, errno, "mkdir `%s`", name);
        sub_src = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_src < 0)
          return jr_error (err, errno, "open `%s`", name);
        sub_dst = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_dst < 0)
          return jr_error (err, errno, "open `%s`", name);
        if (copy_tree (sub_src, sub_dst, err) < 0)
          return jr_error_wrap (err, "copy `%s`", name);
        if (fchown (sub_dst, st.st_uid, st.st_gid) < 0 || fchmod (sub_dst, st.st_mode & 07777) < 0)
          return jr_error (err, errno, "set owner of `%s`", name);
        return 0;
      }
    case S_IFREG:
      return copy_file_at (srcdir, name, dstdir, &st, err);
    case S_IFLNK:
      {
        char target[PATH_MAX];
        ssize_t len = readlinkat (srcdir, name, target, sizeof (target) - 1);

        if (len < 0)
          return jr_error (err, errno, "readlink `%s`", name);
        target[len] = '\0';
        if (symlinkat (target, dstdir, name) < 0)
          return jr_error (err, errno, "symlink `%s`", name);
        if (fchownat (dstdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
          return jr_error (err, errno, "set owner of `%s`", name);
        return 0;
      }
    default:
      if (mknodat (dstdir, name, st.st_mode, st.st_rdev) < 0)
        return jr_error (err, errno, "mknod `%s`", name);
      if (fchownat (dstdir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return jr_error (err, errno, "set owner of `%s`", name);
      return 0;
    }
}

/* Copy the content of srcdir into dstdir (both real directory fds). */
static int
copy_tree (int srcdir, int dstdir, jr_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  int fd = dup (srcdir);

  if (fd < 0)
    return jr_error (err, errno, "dup");
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return jr_error (err, errno, "opendir");
    }
  while ((errno = 0, de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (copy_entry (srcdir, de->d_name, dstdir, err) < 0)
        return -1;
    }
  if (errno != 0)
    return jr_error (err, errno, "readdir");
  return 0;
}

/* ---- one spec mount ------------------------------------------------------ */

/* An error whose message is just the reason: mount_one prefixes it with
   "mount `src` to `dest`". */
static int
why (jr_error_t *err, int e)
{
  return jr_error_from_msg (err, e, strerror (e));
}

struct mount_ctx
{
  const struct oci_spec *spec;
  int rootfd;
  bool in_userns;
  const char *label_data; /* "context=\"...\"" or NULL */
};

/* Open (creating when missing) the destination inside the rootfs: a
   directory, or an empty file when a bind's source is not a directory. */
static int
open_destination (struct mount_ctx *ctx, const char *dest, bool want_file, jr_error_t *err)
{
  int fd;

  fd = jr_openat_in_root (ctx->rootfd, dest, O_PATH | O_CLOEXEC, 0, NULL);
  if (fd >= 0 || fd != -ENOENT)
    {
      if (fd >= 0)
        return fd;
      return jr_openat_in_root (ctx->rootfd, dest, O_PATH | O_CLOEXEC, 0, err);
    }
  if (!want_file)
    return jr_mkdir_p_in_root (ctx->rootfd, dest, 0755, true, err);

  {
    cleanup_free char *parent = xstrdup (dest);
    char *slash = strrchr (parent, '/');
    cleanup_close int pfd = -1;

    if (slash != NULL && slash != parent)
      {
        *slash = '\0';
        pfd = jr_mkdir_p_in_root (ctx->rootfd, parent, 0755, true, err);
        if (pfd < 0)
          return pfd;
      }
    /* O_CREAT|O_EXCL through the in-root resolver: a dangling symlink
       planted at the last component can't make us create a host file */
    fd = jr_openat_in_root (ctx->rootfd, dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644, err);
    return fd;
  }
}

/* Join the user data and the SELinux context for filesystems that take
   data (never for binds: the kernel ignores it there). */
static char *
mount_data (const struct mount_ctx *ctx, const char *data)
{
  if (ctx->label_data == NULL)
    return data ? xstrdup (data) : NULL;
  if (data == NULL)
    return xstrdup (ctx->label_data);
  return xasprintf ("%s,%s", data, ctx->label_data);
}

static bool
data_has_key (const char *data, const char *key)
{
  size_t klen = strlen (key);
  const char *p = data;

  while (p && *p)
    {
      if (strncmp (p, key, klen) == 0 && (p[klen] == '\0' || p[klen] == ',' || p[klen] == '='))
        return true;
      p = strchr (p, ',');
      if (p)
        p++;
    }
  return false;
}

/* data with `item` ("gid=") removed; malloc'ed */
static char *
data_without_key (const char *data, const char *key)
{
  cleanup_strv char **items = jr_split (data, ',');
  char *out = NULL;

  for (size_t i = 0; items && items[i]; i++)
    if (!data_has_key (items[i], key))
      append_data (&out, items[i]);
  return out;
}

/* Post-mount steps that need the new mount itself, not the directory it
   covers: re-resolve the destination (our O_PATH fd predates the mount). */
static int
reopen_mounted (struct mount_ctx *ctx, const char *dest, jr_error_t *err)
{
  return jr_openat_in_root (ctx->rootfd, dest, O_PATH | O_CLOEXEC, 0, err);
}

static int
apply_post_mount (struct mount_ctx *ctx, const char *dest, const struct jr_mount_options *o, bool was_bind,
                  jr_error_t *err)
{
  unsigned long remount_flags = o->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  bool need_remount = was_bind && remount_flags != 0;
  cleanup_close int fd = -1;
  char path[JR_PROC_FD_PATH_MAX];
  int ret;

  if (!need_remount && o->propagation == 0 && o->attr_set == 0 && o->attr_clr == 0)
    return 0;
  fd = reopen_mounted (ctx, dest, err);
  if (fd < 0)
    return fd;
  jr_proc_fd_path (fd, path);

  if (need_remount)
    {
      ret = remount_bind (path, remount_flags);
      if (ret < 0)
        return jr_error (err, -ret, "remount");
    }
  if (o->propagation && mount (NULL, path, NULL, o->propagation, NULL) < 0)
    return jr_error (err, errno, "set propagation");
  if (o->attr_set || o->attr_clr)
    {
      struct mount_attr attr = { .attr_set = o->attr_set, .attr_clr = o->attr_clr };

      if (syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
        return jr_error (err, errno, "mount_setattr");
    }
  return 0;
}

/* Bind `source` (a host path) onto the destination. */
static int
do_bind (struct mount_ctx *ctx, const char *source, const char *dest, bool recursive, jr_error_t *err)
{
  cleanup_close int srcfd = -1;
  cleanup_close int dstfd = -1;
  char srcpath[JR_PROC_FD_PATH_MAX], dstpath[JR_PROC_FD_PATH_MAX];
  struct stat st;

  /* Mount from the fd we checked, so the source can't change under us. */
  srcfd = open (source, O_PATH | O_CLOEXEC);
  if (srcfd < 0)
    return jr_error (err, errno, "open source `%s`", source);
  if (fstat (srcfd, &st) < 0)
    return jr_error (err, errno, "stat source `%s`", source);
  dstfd = open_destination (ctx, dest, !S_ISDIR (st.st_mode), err);
  if (dstfd < 0)
    return dstfd;
  if (mount (jr_proc_fd_path (srcfd, srcpath), jr_proc_fd_path (dstfd, dstpath), NULL,
             MS_BIND | (recursive ? MS_REC : 0), NULL)
      < 0)
    return why (err, errno);
  return 0;
}

static int
do_mount_fs (struct mount_ctx *ctx, const char *source, const char *dest, const char *type,
             unsigned long flags, const char *data, jr_error_t *err)
{
  cleanup_close int dstfd = -1;
  cleanup_free char *full_data = NULL;
  char dstpath[JR_PROC_FD_PATH_MAX];

  dstfd = open_destination (ctx, dest, false, err);
  if (dstfd < 0)
    return dstfd;
  full_data = mount_data (ctx, data);
  if (mount (source, jr_proc_fd_path (dstfd, dstpath), type, flags, full_data) < 0)
    return why (err, errno);
  return 0;
}

/* tmpfs whose initial content is a copy of what the destination held. */
static int
do_tmpfs_copyup (struct mount_ctx *ctx, const char *source, const char *dest, unsigned long flags,
                 const char *data, jr_error_t *err)
{
  cleanup_close int olddir = -1;
  cleanup_close int newdir = -1;
  cleanup_close int dstfd = -1;
  cleanup_free char *full_data = NULL;
  char path[JR_PROC_FD_PATH_MAX];

  dstfd = open_destination (ctx, dest, false, err);
  if (dstfd < 0)
    return dstfd;
  /* A readable fd opened before the mount keeps seeing the covered dir. */
  olddir = openat (dstfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (olddir < 0)
    return jr_error (err, errno, "open");
  full_data = mount_data (ctx, data);
  /* mounted writable for the copy; made read-only afterwards if asked */
  if (mount (source, jr_proc_fd_path (dstfd, path), "tmpfs", flags & ~MS_RDONLY, full_data) < 0)
    return why (err, errno);
  newdir = jr_openat_in_root (ctx->rootfd, dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, err);
  if (newdir < 0)
    return newdir;
  if (copy_tree (olddir, newdir, err) < 0)
    return jr_error_wrap (err, "tmpcopyup");
  if ((flags & MS_RDONLY)
      && mount (NULL, jr_proc_fd_path (newdir, path), NULL, MS_REMOUNT | (flags & ~MS_REMOUNT), full_data)
             < 0)
    return jr_error (err, errno, "remount read-only");
  return 0;
}

/* ---- cgroup -------------------------------------------------------------- */

#define HOST_CGROUP_ROOT "/sys/fs/cgroup"
/* the flags of a cgroup mount that apply to each hierarchy */
#define CGROUP_FS_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME)

/* Mount one hierarchy (v1 controllers or, when `controllers` is NULL, the
   v2 one) at dest.  With a cgroup namespace the kernel roots the mount at
   the namespace's cgroup; without one, bind the container's own directory
   from the host mount. */
static int
mount_cgroup_hierarchy (struct mount_ctx *ctx, const char *dest, const char *host_dir,
                        const char *controllers, const char *cgpath, unsigned long flags, bool cgroupns,
                        jr_error_t *err)
{
  unsigned long fs_flags = flags & CGROUP_FS_FLAGS;
  cleanup_free char *src = NULL;
  int ret;

  if (cgroupns)
    {
      if (controllers == NULL)
        ret = do_mount_fs (ctx, "cgroup2", dest, "cgroup2", fs_flags, NULL, err);
      else
        {
          /* a named hierarchy ("name=systemd") has no controllers: say so */
          cleanup_free char *data
              = jr_has_prefix (controllers, "name=") ? xasprintf ("none,%s", controllers) : NULL;
          ret = do_mount_fs (ctx, "cgroup", dest, "cgroup", fs_flags, data ? data : controllers, err);
        }
      if (ret == 0 || !ctx->in_userns)
        return ret;
      /* e.g. a joined cgroup ns owned by another user ns: bind instead */
      jr_error_free (err);
    }
  src = xasprintf ("%s/%s%s", HOST_CGROUP_ROOT, host_dir, cgpath);
  ret = do_bind (ctx, src, dest, true, err);
  if (ret < 0)
    return ret;
  if (fs_flags)
    {
      struct jr_mount_options o = { .flags = fs_flags };
      return apply_post_mount (ctx, dest, &o, true, err);
    }
  return 0;
}

/* The bind of a host hierarchy in one go, where the kernel has the mount
   API (5.12+): clone the host dir's mount, set its flags while detached,
   attach it on `name` in the fresh tmpfs cgdirfd, which nothing else can
   have touched yet (`cgpath`: the container's cgroup in the hierarchy).  7 syscalls instead of ~22 for the
   generic path (a walk from the rootfs for each directory, a bind, a reopen and a remount): ~0.4 ms of every
   container on a v1 or hybrid host.  False when the caller should take the generic path (it reports errors).
 */
static bool
bind_cgroup_dir_at (int cgdirfd, const char *name, const char *cgpath, unsigned long fs_flags)
{
  cleanup_free char *source = xasprintf ("%s/%s%s", HOST_CGROUP_ROOT, name, cgpath);
  cleanup_close int srcfd = -1;
  cleanup_close int treefd = -1;
  struct mount_attr attr = { .attr_clr = MOUNT_ATTR__ATIME };

  if (cgdirfd < 0 || strchr (name, '/') != NULL || getenv (JR_CGROUP_GENERIC_BIND_ENV) != NULL)
    return false;
  attr.attr_set = (fs_flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0)
                  | (fs_flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0)
                  | (fs_flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0)
                  | (fs_flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0)
                  /* as a bind remount without an atime flag: relatime */
                  | (fs_flags & MS_NOATIME ? MOUNT_ATTR_NOATIME : MOUNT_ATTR_RELATIME);
  srcfd = open (source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (srcfd < 0 || (mkdirat (cgdirfd, name, 0755) < 0 && errno != EEXIST))
    return false;
  treefd = open_tree (srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (treefd < 0 || syscall (SYS_mount_setattr, treefd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return false;
  return move_mount (treefd, "", cgdirfd, name, MOVE_MOUNT_F_EMPTY_PATH) == 0;
}

static int
mount_cgroup (struct mount_ctx *ctx, const struct oci_mount *m, const struct jr_mount_options *o,
              jr_error_t *err)
{
  bool cgroupns = spec_has_namespace (ctx->spec, "cgroup");
  cleanup_free char *content = NULL;
  cleanup_strv char **lines = NULL;
  struct statfs sfs;
  int ret;

  if (statfs (HOST_CGROUP_ROOT, &sfs) < 0)
    return jr_error (err, errno, "statfs `%s`", HOST_CGROUP_ROOT);

  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      if (cgroupns)
        return mount_cgroup_hierarchy (ctx, m->destination, "", NULL, "", o->flags, true, err);
      /* Like runc: the cgroup2 fs itself; bind our own cgroup if refused. */
      ret = do_mount_fs (ctx, "cgroup2", m->destination, "cgroup2",
                         o->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME), NULL, err);
      if (ret == 0 || (ret != -EPERM && ret != -EBUSY))
        return ret;
      jr_error_free (err);
    }

  if (jr_read_file_at (AT_FDCWD, "/proc/self/cgroup", &content, NULL, err) < 0)
    return -1;
  lines = jr_split (content, '\n');

  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      for (size_t i = 0; lines && lines[i]; i++)
        if (jr_has_prefix (lines[i], "0::"))
          return mount_cgroup_hierarchy (ctx, m->destination, "", NULL, lines[i] + 3, o->flags, false, err);
      return jr_error (err, 0, "no cgroup2 entry in /proc/self/cgroup");
    }

  /* v1 / hybrid: a tmpfs holding one directory per hierarchy. */
  {
    cleanup_close int cgdirfd = -1;

    ret = do_mount_fs (ctx, "tmpfs", m->destination, "tmpfs", (o->flags & ~MS_RDONLY) | MS_NOSUID, "mode=755",
                       err);
    if (ret < 0)
      return ret;
    cgdirfd = reopen_mounted (ctx, m->destination, err);
    if (cgdirfd < 0)
      return cgdirfd;
    for (size_t i = 0; lines && lines[i]; i++)
      {
        /* hierarchy-id:controller-list:path */
        char *ctrl = strchr (lines[i], ':');
        char *cgpath;
        cleanup_free char *dest = NULL;
        const char *host_dir;

        if (ctrl == NULL)
          continue;
        ctrl++;
        cgpath = strchr (ctrl, ':');
        if (cgpath == NULL)
          continue;
        *cgpath++ = '\0';
        if (ctrl[0] == '\0')
          {
            /* the v2 hierarchy of a hybrid host */
            struct statfs ufs;
            if (statfs (HOST_CGROUP_ROOT "/unified", &ufs) < 0 || ufs.f_type != CGROUP2_SUPER_MAGIC)
              continue;
            host_dir = "unified";
          }
        else if (jr_has_prefix (ctrl, "name="))
          host_dir = ctrl + 5;
        else
          host_dir = ctrl;
        dest = xasprintf ("%s/%s", m->destination, host_dir);
        if (!cgroupns && bind_cgroup_dir_at (cgdirfd, host_dir, cgpath, o->flags & CGROUP_FS_FLAGS))
          ret = 0;
        else
          ret = mount_cgroup_hierarchy (ctx, dest, host_dir, ctrl[0] ? ctrl : NULL, cgroupns ? "" : cgpath,
                                        o->flags, cgroupns, err);
        if (ret == -ENOENT && !cgroupns)
          {
            /* the controller isn't mounted where we expect: skip it */
            jr_error_free (err);
            continue;
          }
        if (ret < 0)
          return jr_error_wrap (err, "cgroup `%s`", host_dir);

        /* "cpu,cpuacct" also reachable as "cpu" and "cpuacct" */
        if (strchr (ctrl, ',') != NULL)
          {
            cleanup_strv char **names = jr_split (ctrl, ',');
            for (size_t j = 0; names && names[j]; j++)
              if (symlinkat (host_dir, cgdirfd, names[j]) < 0 && errno != EEXIST)
                return jr_error (err, errno, "symlink `%s/%s`", m->destination, names[j]);
          }
      }
    if (o->flags & MS_RDONLY)
      {
        cleanup_close int fd = reopen_mounted (ctx, m->destination, err);
        char path[JR_PROC_FD_PATH_MAX];
        if (fd < 0)
          return fd;
        if (mount (NULL, jr_proc_fd_path (fd, path), NULL, MS_REMOUNT | (o->flags & ~MS_REMOUNT) | MS_NOSUID,
                   "mode=755")
            < 0)
          return jr_error (err, errno, "remount read-only");
      }
  }
  return 0;
}

/* ---- jr_rootfs_mount_all ------------------------------------------------- */

static int
mount_one (struct mount_ctx *ctx, const struct oci_mount *m, bool *dev_is_bind, jr_error_t *err)
{
  struct jr_mount_options o = { 0 };
  const char *type = m->type && m->type[0] ? m->type : NULL;
  const char *dest = m->destination;
  unsigned long fs_flags;
  int ret;

  if (dest == NULL || dest[0] == '\0')
    return jr_error (err, 0, "mount without a destination");
  if (jr_mount_options_parse (m->options, m->options_len, &o, err) < 0)
    return -1;
  if (type && (strcmp (type, "bind") == 0 || strcmp (type, "rbind") == 0))
    {
      o.bind = true;
      o.recursive = o.recursive || strcmp (type, "rbind") == 0;
    }
  if (o.idmap)
    {
      ret = jr_error (err, EOPNOTSUPP, "idmapped mounts");
      goto out;
    }
  fs_flags = o.flags & ~(MS_BIND | MS_REC);

  if (o.bind)
    {
      if (m->source == NULL)
        {
          ret = jr_error (err, 0, "bind mount without a source");
          goto out;
        }
      ret = do_bind (ctx, m->source, dest, o.recursive, err);
      if (ret == 0)
        ret = apply_post_mount (ctx, dest, &o, true, err);
      if (ret == 0 && strcmp (dest, "/dev") == 0)
        *dev_is_bind = true;
      goto out;
    }
  if (type == NULL)
    {
      ret = jr_error (err, 0, "mount without a type");
      goto out;
    }

  if (strcmp (type, "sysfs") == 0 && ctx->in_userns && !spec_has_namespace (ctx->spec, "network"))
    {
      /* sysfs belongs to the net ns's user ns: borrow the host's view */
      ret = do_bind (ctx, "/sys", dest, true, err);
      if (ret == 0)
        ret = apply_post_mount (ctx, dest, &o, true, err);
      goto out;
    }
  if (strcmp (type, "cgroup") == 0)
    {
      ret = mount_cgroup (ctx, m, &o, err);
      goto out;
    }
  if (strcmp (type, "tmpfs") == 0 && o.tmpcopyup)
    {
      ret = do_tmpfs_copyup (ctx, m->source ? m->source : "tmpfs", dest, fs_flags, o.data, err);
      if (ret == 0)
        ret = apply_post_mount (ctx, dest, &o, false, err);
      goto out;
    }
  if (strcmp (type, "devpts") == 0)
    {
      if (!data_has_key (o.data, "newinstance"))
        append_data (&o.data, "newinstance");
      if (!data_has_key (o.data, "ptmxmode"))
        append_data (&o.data, "ptmxmode=0666");
    }

  ret = do_mount_fs (ctx, m->source ? m->source : type, dest, type, fs_flags, o.data, err);
  if (ret == -EINVAL && ctx->in_userns && strcmp (type, "devpts") == 0 && data_has_key (o.data, "gid"))
    {
      /* gid=5 is often unmapped in a user namespace: drop it */
      cleanup_free char *data = data_without_key (o.data, "gid");
      jr_error_free (err);
      ret = do_mount_fs (ctx, m->source ? m->source : type, dest, type, fs_flags, data, err);
    }
  else if (ret == -EPERM && ctx->in_userns && strcmp (type, "sysfs") == 0)
    {
      jr_error_free (err);
      ret = do_bind (ctx, "/sys", dest, true, err);
      if (ret == 0)
        ret = apply_post_mount (ctx, dest, &o, true, err);
      goto out;
    }
  else if (ret == -EPERM && ctx->in_userns && strcmp (type, "mqueue") == 0)
    {
      /* no ipc ns of our own: the host's queue fs */
      jr_error_free (err);
      ret = do_bind (ctx, "/dev/mqueue", dest, true, err);
      if (ret == 0)
        ret = apply_post_mount (ctx, dest, &o, true, err);
      goto out;
    }
  if (ret == 0)
    ret = apply_post_mount (ctx, dest, &o, false, err);

out:
  jr_mount_options_free (&o);
  if (ret < 0)
    {
      /* a bind is best named by its source, anything else by its type */
      const char *what = o.bind ? m->source : type;
      return jr_error_wrap (err, "mount `%s` to `%s`", what ? what : (m->source ? m->source : "none"), dest);
    }
  return 0;
}

int
jr_rootfs_mount_all (const struct oci_spec *spec, const char *rootfs, bool in_userns, jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_free char *label_data = NULL;
  bool dev_is_bind = false;
  struct mount_ctx ctx = { .spec = spec, .in_userns = in_userns };

  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return jr_error (err, errno, "open rootfs `%s`", rootfs);
  ctx.rootfd = rootfd;

  if (spec->linux_ && spec->linux_->mount_label && spec->linux_->mount_label[0] && jr_selinux_enabled ())
    ctx.label_data = label_data = xasprintf ("context=\"%s\"", spec->linux_->mount_label);

  for (size_t i = 0; i < spec->mounts_len; i++)
    if (mount_one (&ctx, &spec->mounts[i], &dev_is_bind, err) < 0)
      return -1;

  /* A /dev bound from the host already has its devices (runc skips too). */
  if (dev_is_bind)
    return 0;
  return jr_devices_setup (spec, rootfd, in_userns, err);
}

/* ---- jr_rootfs_pivot ------------------------------------------------------ */

int
jr_rootfs_pivot (const char *rootfs, bool no_pivot, jr_error_t *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  newroot = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (newroot < 0)
    return jr_error (err, errno, "open rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return jr_error (err, errno, "chdir to rootfs `%s`", rootfs);

  if (no_pivot)
    {
      /* Weaker than pivot_root: the old root stays reachable below the
         chroot (a process with CAP_SYS_CHROOT can escape), which is why
         runc only does this when asked (e.g. on a ramfs root). */
      if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return jr_error (err, errno, "move rootfs `%s` to `/`", rootfs);
      if (chroot (".") < 0)
        return jr_error (err, errno, "chroot to `%s`", rootfs);
      if (chdir ("/") < 0)
        return jr_error (err, errno, "chdir `/`");
      return 0;
    }

  oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0)
    return jr_error (err, errno, "open `/`");
  /* Stack the old root on top of the new one: no put_old directory needed. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return jr_error (err, errno, "pivot_root to `%s`", rootfs);
  /* "." via the old root fd names the old root mount, not the new root */
  if (fchdir (oldroot) < 0)
    return jr_error (err, errno, "chdir to the old root");
  /* don't let the detach propagate to the host */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return jr_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return jr_error (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return jr_error (err, errno, "chdir `/`");
  return 0;
}

/* ---- jr_rootfs_finalize ---------------------------------------------------- */

static int
mask_path (int rootfd, const char *p, const char *label_data, jr_error_t *err)
{
  cleanup_close int fd = -1;
  char path[JR_PROC_FD_PATH_MAX];

  fd = jr_openat_in_root (rootfd, p, O_PATH | O_CLOEXEC, 0, NULL);
  if (fd == -ENOENT)
    return 0;
  if (fd < 0)
    return jr_error (err, -fd, "mask `%s`", p);
  jr_proc_fd_path (fd, path);
  /* Most masked paths are files: try that first, no stat needed. */
  if (mount ("/dev/null", path, NULL, MS_BIND, NULL) == 0)
    return 0;
  if (errno != ENOTDIR)
    return jr_error (err, errno, "mask `%s`", p);
  if (mount ("tmpfs", path, "tmpfs", MS_RDONLY, label_data) < 0)
    return jr_error (err, errno, "mask `%s`", p);
  return 0;
}

static int
readonly_path (int rootfd, const char *p, jr_error_t *err)
{
  cleanup_close int fd = -1;
  char path[JR_PROC_FD_PATH_MAX];
  int ret;

  fd = jr_openat_in_root (rootfd, p, O_PATH | O_CLOEXEC, 0, NULL);
  if (fd == -ENOENT)
    return 0;
  if (fd < 0)
    return jr_error (err, -fd, "make `%s` read-only", p);
  jr_proc_fd_path (fd, path);
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return jr_error (err, errno, "make `%s` read-only", p);
  close (fd);
  /* the remount must name the new bind, which our fd predates */
  fd = jr_openat_in_root (rootfd, p, O_PATH | O_CLOEXEC, 0, err);
  if (fd < 0)
    return jr_error_wrap (err, "make `%s` read-only", p);
  ret = remount_bind (jr_proc_fd_path (fd, path), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (ret < 0)
    return jr_error (err, -ret, "make `%s` read-only", p);
  return 0;
}

int
jr_rootfs_finalize (const struct oci_spec *spec, jr_error_t *err)
{
  const struct oci_linux *l = spec->linux_;
  cleanup_close int rootfd = -1;
  cleanup_free char *label_data = NULL;
  int ret;

  if (l && (l->masked_paths_len || l->readonly_paths_len))
    {
      rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0)
        return jr_error (err, errno, "open `/`");
      if (l->mount_label && l->mount_label[0] && jr_selinux_enabled ())
        label_data = xasprintf ("context=\"%s\"", l->mount_label);
      for (size_t i = 0; i < l->masked_paths_len; i++)
        if (mask_path (rootfd, l->masked_paths[i], label_data, err) < 0)
          return -1;
      for (size_t i = 0; i < l->readonly_paths_len; i++)
        if (readonly_path (rootfd, l->readonly_paths[i], err) < 0)
          return -1;
    }

  if (spec->root && spec->root->readonly)
    {
      ret = remount_bind ("/", MS_RDONLY);
      if (ret < 0)
        return jr_error (err, -ret, "remount `/` read-only");
    }
  return 0;
}
