/* jitrun extension cache - overlay upper dir <-> OCI layer tar.  See
   layer_tar.h for the rules. */
#define _GNU_SOURCE
#include <config.h>
#include "layer_tar.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "key.h"
#include "libjitrun/log.h"
#include "libjitrun/utils.h"

/* ---- lazily loaded libraries ------------------------------------------- */

#define ARCHIVE_FUNCS(X)                                                                                     \
  X (archive_write_new)                                                                                      \
  X (archive_write_set_format_gnutar)                                                                        \
  X (archive_write_open)                                                                                     \
  X (archive_write_header)                                                                                   \
  X (archive_write_data)                                                                                     \
  X (archive_write_close)                                                                                    \
  X (archive_write_free)                                                                                     \
  X (archive_read_new)                                                                                       \
  X (archive_read_support_filter_gzip)                                                                       \
  X (archive_read_support_filter_zstd)                                                                       \
  X (archive_read_support_format_tar)                                                                        \
  X (archive_read_open_fd)                                                                                   \
  X (archive_read_next_header)                                                                               \
  X (archive_read_data_block)                                                                                \
  X (archive_read_free)                                                                                      \
  X (archive_error_string)                                                                                   \
  X (archive_entry_new)                                                                                      \
  X (archive_entry_free)                                                                                     \
  X (archive_entry_clear)                                                                                    \
  X (archive_entry_set_pathname)                                                                             \
  X (archive_entry_set_filetype)                                                                             \
  X (archive_entry_set_perm)                                                                                 \
  X (archive_entry_set_uid)                                                                                  \
  X (archive_entry_set_gid)                                                                                  \
  X (archive_entry_set_mtime)                                                                                \
  X (archive_entry_set_size)                                                                                 \
  X (archive_entry_set_symlink)                                                                              \
  X (archive_entry_set_hardlink)                                                                             \
  X (archive_entry_pathname)                                                                                 \
  X (archive_entry_filetype)                                                                                 \
  X (archive_entry_perm)                                                                                     \
  X (archive_entry_uid)                                                                                      \
  X (archive_entry_gid)                                                                                      \
  X (archive_entry_mtime)                                                                                    \
  X (archive_entry_size)                                                                                     \
  X (archive_entry_symlink)                                                                                  \
  X (archive_entry_hardlink)

#define ZLIB_FUNCS(X)                                                                                        \
  X (deflateInit2_)                                                                                          \
  X (deflate)                                                                                                \
  X (deflateEnd)

#define DECLARE_FN(f) typeof (f) *f;
static struct
{
  ARCHIVE_FUNCS (DECLARE_FN)
  ZLIB_FUNCS (DECLARE_FN)
} L;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static char *lib_error;

static void *
load_lib (const char *const *names)
{
  void *h = NULL;

  for (; *names && h == NULL; names++)
    h = dlopen (*names, RTLD_NOW | RTLD_LOCAL);
  return h;
}

static void
lib_load_once (void)
{
  static const char *const archive_names[] = { "libarchive.so.13", "libarchive.so", NULL };
  static const char *const zlib_names[] = { "libz.so.1", "libz.so", NULL };
  void *ha = load_lib (archive_names);
  void *hz = load_lib (zlib_names);

  if (ha == NULL || hz == NULL)
    {
      lib_error = xasprintf ("cannot load %s: %s", ha == NULL ? "libarchive" : "zlib", dlerror ());
      return;
    }
#define LOAD_FN(h, f)                                                                                        \
  if ((L.f = dlsym (h, #f)) == NULL)                                                                         \
    {                                                                                                        \
      lib_error = xasprintf ("missing symbol `%s`", #f);                                                     \
      return;                                                                                                \
    }
#define LOAD_A(f) LOAD_FN (ha, f)
#define LOAD_Z(f) LOAD_FN (hz, f)
  ARCHIVE_FUNCS (LOAD_A)
  ZLIB_FUNCS (LOAD_Z)
}

int
jr_layer_lib_load (jr_error_t *err)
{
  pthread_once (&lib_once, lib_load_once);
  if (lib_error)
    return jr_error (err, 0, "layer tar support unavailable: %s", lib_error);
  return 0;
}

void
jr_layer_limits_default (struct jr_layer_limits *l)
{
  const char *s;
  int64_t v;

  l->max_bytes = JR_LAYER_DEFAULT_MAX_BYTES;
  l->max_entries = JR_LAYER_DEFAULT_MAX_ENTRIES;
  s = getenv (JR_LAYER_MAX_BYTES_ENV);
  if (s && *s && jr_parse_size (s, &v, NULL) == 0 && v > 0)
    l->max_bytes = v;
  s = getenv (JR_LAYER_MAX_ENTRIES_ENV);
  if (s && *s && jr_parse_int64 (s, &v) == 0 && v > 0)
    l->max_entries = v;
}

static void
md_hex (struct jr_ec_sha256 *md, char out[JR_LAYER_DIGEST_LEN])
{
  static const char digits[] = "0123456789abcdef";
  unsigned char buf[32];
  unsigned int i;

  jr_ec_sha256_final (md, buf);
  memcpy (out, "sha256:", 7);
  for (i = 0; i < 32; i++)
    {
      out[7 + 2 * i] = digits[buf[i] >> 4];
      out[8 + 2 * i] = digits[buf[i] & 0xf];
    }
  out[71] = '\0';
}

int
jr_layer_file_digest (int fd, char digest[JR_LAYER_DIGEST_LEN], int64_t *size, jr_error_t *err)
{
  struct jr_ec_sha256 md;
  cleanup_free char *buf = xmalloc (1 << 16);
  int64_t total = 0;
  off_t off = 0;
  ssize_t n;

  jr_ec_sha256_init (&md);
  while ((n = pread (fd, buf, 1 << 16, off)) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return jr_error (err, errno, "read blob");
        }
      jr_ec_sha256_update (&md, buf, n);
      off += n;
      total += n;
    }
  md_hex (&md, digest);
  if (size)
    *size = total;
  return 0;
}

/* ---- pack ------------------------------------------------------------- */

struct hardlink
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct packer
{
  struct archive *a;
  struct archive_entry *e;
  int outfd;
  struct jr_ec_sha256 md_tar;
  struct jr_ec_sha256 md_gz;
  z_stream z;
  unsigned char zbuf[1 << 16];
  int64_t size;
  int64_t entries;
  int io_errno;
  struct hardlink *links;
  size_t n_links;
  char buf[1 << 16];
};

static int
emit_compressed (struct packer *p, int flush)
{
  do
    {
      size_t have;
      p->z.next_out = p->zbuf;
      p->z.avail_out = sizeof (p->zbuf);
      if (L.deflate (&p->z, flush) == Z_STREAM_ERROR)
        {
          p->io_errno = EIO;
          return -1;
        }
      have = sizeof (p->zbuf) - p->z.avail_out;
      if (have > 0)
        {
          jr_ec_sha256_update (&p->md_gz, p->zbuf, have);
          if (jr_write_all (p->outfd, p->zbuf, have) < 0)
            {
              p->io_errno = errno;
              return -1;
            }
          p->size += have;
        }
    }
  while (p->z.avail_out == 0);
  return 0;
}

/* libarchive hands us the uncompressed tar: hash it (diff_id), then
   deflate it ourselves so both digests come out of one pass and the gzip
   header is fixed (mtime 0). */
static la_ssize_t
pack_write_cb (struct archive *a, void *data, const void *buf, size_t len)
{
  struct packer *p = data;

  (void)a;
  jr_ec_sha256_update (&p->md_tar, buf, len);
  p->z.next_in = (unsigned char *)buf;
  p->z.avail_in = len;
  if (emit_compressed (p, Z_NO_FLUSH) < 0)
    return -1;
  return len;
}

static int
archive_fail (struct packer *p, jr_error_t *err, const char *what, const char *path)
{
  if (p->io_errno)
    return jr_error (err, p->io_errno, "write layer blob (%s `%s`)", what, path);
  return jr_error (err, 0, "%s `%s`: %s", what, path, L.archive_error_string (p->a));
}

static void
entry_init (struct packer *p, const char *path, const struct stat *st, mode_t type)
{
  L.archive_entry_clear (p->e);
  L.archive_entry_set_pathname (p->e, path);
  L.archive_entry_set_filetype (p->e, type);
  L.archive_entry_set_perm (p->e, st ? st->st_mode & 07777 : 0);
  L.archive_entry_set_uid (p->e, st ? st->st_uid : 0);
  L.archive_entry_set_gid (p->e, st ? st->st_gid : 0);
  /* directory mtimes change with every entry added: fixed.  File and
     link mtimes are kept: Python's .pyc files (and make-like tools) check
     them, and they are stable for a committed layer. */
  L.archive_entry_set_mtime (p->e, st && type != AE_IFDIR ? st->st_mtim.tv_sec : 0, 0);
  L.archive_entry_set_size (p->e, 0);
}

static int
write_empty_file (struct packer *p, const char *path, jr_error_t *err)
{
  entry_init (p, path, NULL, AE_IFREG);
  if (L.archive_write_header (p->a, p->e) != ARCHIVE_OK)
    return archive_fail (p, err, "write whiteout", path);
  p->entries++;
  return 0;
}

static bool
xattr_is (int fd, const char *const names[2], const char *value)
{
  char buf[8];
  ssize_t n;
  int i;

  for (i = 0; i < 2; i++)
    {
      n = fgetxattr (fd, names[i], buf, sizeof (buf));
      if (n >= 0 && value == NULL)
        return true;
      if (value != NULL && n == (ssize_t)strlen (value) && memcmp (buf, value, n) == 0)
        return true;
    }
  return false;
}

static const char *const opaque_xattrs[2] = { "trusted.overlay.opaque", "user.overlay.opaque" };
static const char *const whiteout_xattrs[2] = { "trusted.overlay.whiteout", "user.overlay.whiteout" };

static int pack_dir (struct packer *p, int dfd, const char *prefix, jr_error_t *err);

static int
pack_file (struct packer *p, int dfd, const char *name, const char *path, const struct stat *st,
           jr_error_t *err)
{
  cleanup_close int fd = -1;
  int64_t left = st->st_size;
  size_t i;

  if (st->st_nlink > 1)
    {
      for (i = 0; i < p->n_links; i++)
        if (p->links[i].dev == st->st_dev && p->links[i].ino == st->st_ino)
          {
            entry_init (p, path, st, AE_IFREG);
            L.archive_entry_set_hardlink (p->e, p->links[i].path);
            if (L.archive_write_header (p->a, p->e) != ARCHIVE_OK)
              return archive_fail (p, err, "write hard link", path);
            p->entries++;
            return 0;
          }
      p->links = xrealloc (p->links, (p->n_links + 1) * sizeof (*p->links));
      p->links[p->n_links++] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup (path) };
    }
  fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return jr_error (err, errno, "open `%s` in the layer", path);
  entry_init (p, path, st, AE_IFREG);
  L.archive_entry_set_size (p->e, st->st_size);
  if (L.archive_write_header (p->a, p->e) != ARCHIVE_OK)
    return archive_fail (p, err, "write entry", path);
  while (left > 0)
    {
      ssize_t n = read (fd, p->buf, left < (int64_t)sizeof (p->buf) ? (size_t)left : sizeof (p->buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return jr_error (err, errno, "read `%s` in the layer", path);
      if (n == 0)
        return jr_error (err, 0, "`%s` shrank while being packed", path);
      if (L.archive_write_data (p->a, p->buf, n) != n)
        return archive_fail (p, err, "write data of", path);
      left -= n;
    }
  p->entries++;
  return 0;
}

static int
pack_entry (struct packer *p, int dfd, const char *prefix, const char *name, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s%s", prefix, name);
  struct stat st;

  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return jr_error (err, errno, "stat `%s` in the layer", path);

  /* overlay whiteouts first: they may be named anything */
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    {
      cleanup_free char *wh = xasprintf ("%s.wh.%s", prefix, name);
      return write_empty_file (p, wh, err);
    }
  if (jr_has_prefix (name, ".wh."))
    return jr_error (err, 0, "layer file `%s` is named like an OCI whiteout: refusing to push it", path);
  if (S_ISREG (st.st_mode) && st.st_size == 0)
    {
      cleanup_close int fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0 && xattr_is (fd, whiteout_xattrs, NULL))
        {
          cleanup_free char *wh = xasprintf ("%s.wh.%s", prefix, name);
          return write_empty_file (p, wh, err);
        }
    }

  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_free char *sub = xasprintf ("%s/", path);
      if (fd < 0)
        return jr_error (err, errno, "open dir `%s` in the layer", path);
      entry_init (p, sub, &st, AE_IFDIR);
      if (L.archive_write_header (p->a, p->e) != ARCHIVE_OK)
        return archive_fail (p, err, "write entry", path);
      p->entries++;
      if (xattr_is (fd, opaque_xattrs, "y"))
        {
          cleanup_free char *opq = xasprintf ("%s.wh..wh..opq", sub);
          if (write_empty_file (p, opq, err) < 0)
            return -1;
        }
      return pack_dir (p, fd, sub, err);
    }
  if (S_ISREG (st.st_mode))
    return pack_file (p, dfd, name, path, &st, err);
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX + 1];
      ssize_t n = readlinkat (dfd, name, target, PATH_MAX);
      if (n < 0)
        return jr_error (err, errno, "readlink `%s` in the layer", path);
      target[n] = '\0';
      entry_init (p, path, &st, AE_IFLNK);
      L.archive_entry_set_symlink (p->e, target);
      if (L.archive_write_header (p->a, p->e) != ARCHIVE_OK)
        return archive_fail (p, err, "write entry", path);
      p->entries++;
      return 0;
    }
  if (S_ISSOCK (st.st_mode))
    {
      /* a socket is only meaningful to the process that bound it */
      jr_debug ("extcache: layer tar: skipping socket `%s`", path);
      return 0;
    }
  /* never accepted on unpack either: refuse early and say why */
  return jr_error (err, 0, "layer entry `%s` is a %s: only files, dirs and links can be shared", path,
                   S_ISFIFO (st.st_mode) ? "fifo" : "device node");
}

static int
pack_dir (struct packer *p, int dfd, const char *prefix, jr_error_t *err)
{
  cleanup_strv char **names = NULL;
  size_t i;

  if (jr_list_dir_sorted (dfd, &names, NULL, err) < 0)
    return jr_error_wrap (err, "list `%s` in the layer", *prefix ? prefix : "/");
  for (i = 0; names[i]; i++)
    if (pack_entry (p, dfd, prefix, names[i], err) < 0)
      return -1;
  return 0;
}

int
jr_layer_pack (int upperfd, int outfd, struct jr_layer_blob *out, jr_error_t *err)
{
  struct packer *p;
  int ret = -1;
  size_t i;

  if (jr_layer_lib_load (err) < 0)
    return -1;
  p = xmalloc0 (sizeof (*p));
  p->outfd = outfd;
  jr_ec_sha256_init (&p->md_tar);
  jr_ec_sha256_init (&p->md_gz);
  /* windowBits 15 + 16: gzip wrapper, header with mtime 0 */
  if (L.deflateInit2_ (&p->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof (p->z))
      != Z_OK)
    abort ();
  p->a = L.archive_write_new ();
  p->e = L.archive_entry_new ();
  if (p->a == NULL || p->e == NULL)
    abort ();
  if (L.archive_write_set_format_gnutar (p->a) != ARCHIVE_OK
      || L.archive_write_open (p->a, p, NULL, pack_write_cb, NULL) != ARCHIVE_OK)
    {
      archive_fail (p, err, "start", "layer tar");
      goto out;
    }
  if (pack_dir (p, upperfd, "", err) < 0)
    goto out;
  if (L.archive_write_close (p->a) != ARCHIVE_OK)
    {
      archive_fail (p, err, "finish", "layer tar");
      goto out;
    }
  p->z.next_in = NULL;
  p->z.avail_in = 0;
  if (emit_compressed (p, Z_FINISH) < 0)
    {
      jr_error (err, p->io_errno, "write layer blob");
      goto out;
    }
  md_hex (&p->md_tar, out->diff_id);
  md_hex (&p->md_gz, out->digest);
  out->size = p->size;
  out->entries = p->entries;
  ret = 0;

out:
  L.archive_write_free (p->a);
  L.archive_entry_free (p->e);
  L.deflateEnd (&p->z);
  for (i = 0; i < p->n_links; i++)
    free (p->links[i].path);
  free (p->links);
  free (p);
  return ret;
}

/* ---- unpack ------------------------------------------------------------ */

/* Split on '/' keeping every component verbatim (jr_split trims spaces,
   and " x" is a valid file name); empty components are dropped. */
static char **
split_path (const char *s)
{
  size_t n = 0;
  char **v = xmalloc0 ((strlen (s) / 2 + 2) * sizeof (*v));

  while (*s)
    {
      const char *end = strchrnul (s, '/');
      if (end > s)
        v[n++] = xstrndup (s, end - s);
      s = *end ? end + 1 : end;
    }
  v[n] = NULL;
  return v;
}

/* Normalize a tar path: "./a//b/" -> "a/b".  Refuses absolute paths and
   any `..` component.  "" is the root. */
static int
clean_path (const char *in, char **out, jr_error_t *err)
{
  cleanup_strv char **parts = NULL;
  char *res;
  size_t i, len = 0;

  if (in == NULL)
    return jr_error (err, 0, "layer entry without a name");
  if (in[0] == '/')
    return jr_error (err, 0, "layer entry `%s`: absolute path", in);
  parts = split_path (in);
  res = xmalloc0 (strlen (in) + 1);
  for (i = 0; parts[i]; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          free (res);
          return jr_error (err, 0, "layer entry `%s`: `..` in path", in);
        }
      if (len > 0)
        res[len++] = '/';
      strcpy (res + len, parts[i]);
      len += strlen (parts[i]);
    }
  *out = res;
  return 0;
}

/* A relative symlink target must not climb above the layer root when
   resolved from the link's own directory.  Absolute targets resolve
   inside the container's root, where the layer is mounted. */
static bool
symlink_escapes (const char *path, const char *target)
{
  cleanup_strv char **parts = NULL;
  long depth = 0;
  const char *s;
  size_t i;

  if (target[0] == '/')
    return false;
  for (s = path; *s; s++)
    if (*s == '/')
      depth++;
  parts = split_path (target);
  for (i = 0; parts[i]; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          if (--depth < 0)
            return true;
        }
      else
        depth++;
    }
  return false;
}

struct unpacker
{
  int destfd;
  char *parent_path; /* cached parent dir of the last entry */
  int parentfd;
};

/* Open the parent dir of `path` (clean, non-empty) without following any
   symlink; missing dirs are created (0755) when `create`. */
static int
open_parent (struct unpacker *u, const char *path, bool create, const char **leaf, jr_error_t *err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *dir = slash ? xstrndup (path, slash - path) : xstrdup ("");
  cleanup_strv char **parts = NULL;
  int fd;
  size_t i;

  *leaf = slash ? slash + 1 : path;
  if (u->parent_path && strcmp (u->parent_path, dir) == 0)
    return u->parentfd;
  fd = dup (u->destfd);
  if (fd < 0)
    return jr_error (err, errno, "dup");
  parts = split_path (dir);
  for (i = 0; parts[i]; i++)
    {
      int next;
      if (parts[i][0] == '\0')
        continue;
      next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (fd, parts[i], 0755) < 0 && errno != EEXIST)
            {
              close (fd);
              return jr_error (err, errno, "create dir `%s` for layer entry `%s`", parts[i], path);
            }
          next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (next < 0)
        {
          int e = errno;
          close (fd);
          if (e == ELOOP || e == ENOTDIR)
            return jr_error (err, 0, "layer entry `%s`: its parent `%s` is not a directory", path, dir);
          return jr_error (err, e, "open parent of layer entry `%s`", path);
        }
      close (fd);
      fd = next;
    }
  if (u->parentfd >= 0)
    close (u->parentfd);
  free (u->parent_path);
  u->parentfd = fd;
  u->parent_path = jr_steal_ptr (dir);
  return fd;
}

/* Make room for a new non-directory `leaf`: a later tar entry replaces an
   earlier one; a directory is never silently replaced. */
static int
clear_leaf (int pfd, const char *leaf, const char *path, jr_error_t *err)
{
  struct stat st;

  if (fstatat (pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "stat layer entry `%s`", path);
  if (S_ISDIR (st.st_mode))
    return jr_error (err, 0, "layer entry `%s` replaces a directory", path);
  if (unlinkat (pfd, leaf, 0) < 0)
    return jr_error (err, errno, "replace layer entry `%s`", path);
  return 0;
}

static int
set_attrs (int fd, struct archive_entry *e, const char *path, jr_error_t *err)
{
  struct timespec ts[2] = { { 0, UTIME_OMIT }, { L.archive_entry_mtime (e), 0 } };

  /* chown first: it clears set-id bits that fchmod then restores */
  if (fchown (fd, L.archive_entry_uid (e), L.archive_entry_gid (e)) < 0)
    return jr_error (err, errno, "chown layer entry `%s`", path);
  if (fchmod (fd, L.archive_entry_perm (e) & 07777) < 0)
    return jr_error (err, errno, "chmod layer entry `%s`", path);
  if (futimens (fd, ts) < 0)
    return jr_error (err, errno, "set mtime of layer entry `%s`", path);
  return 0;
}

static int
extract_file (struct archive *a, struct archive_entry *e, int pfd, const char *leaf, const char *path,
              jr_error_t *err)
{
  cleanup_close int fd = -1;
  const void *buf;
  size_t len;
  la_int64_t off;
  int r;

  if (clear_leaf (pfd, leaf, path, err) < 0)
    return -1;
  fd = openat (pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return jr_error (err, errno, "create layer file `%s`", path);
  while ((r = L.archive_read_data_block (a, &buf, &len, &off)) == ARCHIVE_OK)
    {
      size_t done = 0;
      while (done < len)
        {
          ssize_t n = pwrite (fd, (const char *)buf + done, len - done, off + done);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return jr_error (err, errno, "write layer file `%s`", path);
          done += n;
        }
    }
  if (r != ARCHIVE_EOF)
    return jr_error (err, 0, "read layer entry `%s`: %s", path, L.archive_error_string (a));
  /* a sparse tail is a hole, not written data */
  if (ftruncate (fd, L.archive_entry_size (e)) < 0)
    return jr_error (err, errno, "size layer file `%s`", path);
  return set_attrs (fd, e, path, err);
}

static int
extract_dir (struct archive_entry *e, int pfd, const char *leaf, const char *path, jr_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (mkdirat (pfd, leaf, 0700) < 0)
    {
      if (errno != EEXIST)
        return jr_error (err, errno, "create layer dir `%s`", path);
      if (fstatat (pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
        return jr_error (err, 0, "layer dir `%s` replaces a non-directory", path);
    }
  fd = openat (pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return jr_error (err, errno, "open layer dir `%s`", path);
  return set_attrs (fd, e, path, err);
}

static int
extract_whiteout (int pfd, const char *leaf, const char *path, jr_error_t *err)
{
  const char *name = leaf + 4;

  if (strcmp (leaf, ".wh..wh..opq") == 0)
    {
      if (fsetxattr (pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return jr_error (err, errno, "mark `%s` opaque", path);
      return 0;
    }
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return jr_error (err, 0, "layer entry `%s`: invalid whiteout", path);
  if (clear_leaf (pfd, name, path, err) < 0)
    return -1;
  if (mknodat (pfd, name, S_IFCHR | 0000, makedev (0, 0)) < 0)
    return jr_error (err, errno, "create whiteout for `%s`", path);
  return 0;
}

static int
extract_hardlink (struct unpacker *u, const char *target_raw, int pfd, const char *leaf, const char *path,
                  jr_error_t *err)
{
  cleanup_free char *target = NULL;
  cleanup_free char *pdir = NULL;
  const char *tleaf;
  struct stat st;
  int tfd;

  if (clean_path (target_raw, &target, err) < 0)
    return jr_error_wrap (err, "hard link `%s`", path);
  if (*target == '\0')
    return jr_error (err, 0, "hard link `%s` to the layer root", path);
  /* open_parent may replace the cached parent fd: keep ours valid */
  pdir = u->parent_path ? xstrdup (u->parent_path) : NULL;
  pfd = dup (pfd);
  if (pfd < 0)
    return jr_error (err, errno, "dup");
  tfd = open_parent (u, target, false, &tleaf, err);
  if (tfd < 0)
    {
      close (pfd);
      return jr_error_wrap (err, "hard link `%s`", path);
    }
  if (fstatat (tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
    {
      close (pfd);
      return jr_error (err, 0, "hard link `%s`: target `%s` is not a file of this layer", path, target);
    }
  if (clear_leaf (pfd, leaf, path, err) < 0 || linkat (tfd, tleaf, pfd, leaf, 0) < 0)
    {
      int e = errno;
      close (pfd);
      return err && *err ? -1 : jr_error (err, e, "hard link `%s` to `%s`", path, target);
    }
  close (pfd);
  return 0;
}

static int
extract_entry (struct unpacker *u, struct archive *a, struct archive_entry *e, const char *path,
               jr_error_t *err)
{
  const char *hardlink = L.archive_entry_hardlink (e);
  mode_t type = L.archive_entry_filetype (e);
  const char *leaf;
  int pfd;

  if (*path == '\0')
    return 0; /* the root dir: its attributes are the store's */
  if (hardlink == NULL && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
    return jr_error (err, 0, "layer entry `%s` is a %s: refused", path,
                     type == AE_IFIFO    ? "fifo"
                     : type == AE_IFSOCK ? "socket"
                                         : "device node");
  pfd = open_parent (u, path, true, &leaf, err);
  if (pfd < 0)
    return -1;
  if (jr_has_prefix (leaf, ".wh."))
    {
      if (type != AE_IFREG || hardlink)
        return jr_error (err, 0, "layer entry `%s`: a whiteout must be a regular file", path);
      return extract_whiteout (pfd, leaf, path, err);
    }
  if (hardlink)
    return extract_hardlink (u, hardlink, pfd, leaf, path, err);
  if (type == AE_IFDIR)
    return extract_dir (e, pfd, leaf, path, err);
  if (type == AE_IFLNK)
    {
      const char *target = L.archive_entry_symlink (e);
      struct timespec ts[2] = { { 0, UTIME_OMIT }, { L.archive_entry_mtime (e), 0 } };
      if (target == NULL || *target == '\0')
        return jr_error (err, 0, "layer symlink `%s` has no target", path);
      if (symlink_escapes (path, target))
        return jr_error (err, 0, "layer symlink `%s` -> `%s` escapes the layer", path, target);
      if (clear_leaf (pfd, leaf, path, err) < 0)
        return -1;
      if (symlinkat (target, pfd, leaf) < 0)
        return jr_error (err, errno, "create layer symlink `%s`", path);
      if (fchownat (pfd, leaf, L.archive_entry_uid (e), L.archive_entry_gid (e), AT_SYMLINK_NOFOLLOW) < 0)
        return jr_error (err, errno, "chown layer symlink `%s`", path);
      utimensat (pfd, leaf, ts, AT_SYMLINK_NOFOLLOW);
      return 0;
    }
  return extract_file (a, e, pfd, leaf, path, err);
}

int
jr_layer_unpack (int blobfd, const char *digest, int destfd, const struct jr_layer_limits *limits,
                 struct jr_layer_blob *out, jr_error_t *err)
{
  struct unpacker u = { .destfd = destfd, .parentfd = -1 };
  struct archive *a = NULL;
  struct archive_entry *e;
  char actual[JR_LAYER_DIGEST_LEN];
  int64_t blob_size = 0, total = 0, entries = 0;
  int r, ret = -1;

  if (jr_layer_lib_load (err) < 0)
    return -1;
  /* nothing of an unverified blob is ever parsed */
  if (jr_layer_file_digest (blobfd, actual, &blob_size, err) < 0)
    return -1;
  if (digest == NULL || strcmp (actual, digest) != 0)
    return jr_error (err, 0, "layer blob digest mismatch: expected %s, got %s", digest ? digest : "(none)",
                     actual);
  if (blob_size > limits->max_bytes)
    return jr_error (err, 0, "layer blob of %lld bytes exceeds the limit of %lld", (long long)blob_size,
                     (long long)limits->max_bytes);
  if (lseek (blobfd, 0, SEEK_SET) < 0)
    return jr_error (err, errno, "seek layer blob");

  a = L.archive_read_new ();
  if (a == NULL)
    abort ();
  L.archive_read_support_filter_gzip (a);
  L.archive_read_support_filter_zstd (a);
  L.archive_read_support_format_tar (a);
  if (L.archive_read_open_fd (a, blobfd, 1 << 16) != ARCHIVE_OK)
    {
      jr_error (err, 0, "open layer blob: %s", L.archive_error_string (a));
      goto out;
    }
  while ((r = L.archive_read_next_header (a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      cleanup_free char *path = NULL;
      int64_t size = L.archive_entry_size (e);

      if (++entries > limits->max_entries)
        {
          jr_error (err, 0, "layer has more than %lld entries: refused", (long long)limits->max_entries);
          goto out;
        }
      if (size < 0 || (total += size) > limits->max_bytes)
        {
          jr_error (err, 0, "layer content exceeds the limit of %lld bytes: refused",
                    (long long)limits->max_bytes);
          goto out;
        }
      if (clean_path (L.archive_entry_pathname (e), &path, err) < 0)
        goto out;
      if (extract_entry (&u, a, e, path, err) < 0)
        goto out;
    }
  if (r != ARCHIVE_EOF)
    {
      jr_error (err, 0, "read layer blob: %s", L.archive_error_string (a));
      goto out;
    }
  if (out)
    {
      memcpy (out->digest, actual, sizeof (actual));
      out->diff_id[0] = '\0';
      out->size = blob_size;
      out->entries = entries;
    }
  ret = 0;

out:
  if (u.parentfd >= 0)
    close (u.parentfd);
  free (u.parent_path);
  L.archive_read_free (a);
  return ret;
}
