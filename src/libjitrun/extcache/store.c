/* jitrun extension cache - the on-disk store.  See store.h for the layout. */
#define _GNU_SOURCE
#include <config.h>
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "key.h"
#include "libjitrun/utils.h"

/* roots last: see jr_ec_store_open_as */
static const char *const subdirs[]
    = { "layers", "staging", "locks", "containers", "trash", "spare", "roots" };

/* Flag spare/ (an fd on it) so that ext4 places each dir the refiller
   makes there in a block group of its own choosing (FS_TOPDIR_FL: the
   Orlov policy of top-level dirs), instead of next to its parent.  Why:
   without a journal, ext4 skips, and checks one by one, every inode of a
   group freed in the last minutes when it allocates one there.  Each
   container start frees ~7 inodes next to its container dir (the
   overlay's work dirs and the probes it makes at mount), so with all
   container dirs in one group each later mount paid for thousands of such
   checks: 0.2-0.8 ms per hit here after a few hundred starts, 0.1-0.2 ms
   once spread.  Not containers/, where a create makes one when the pool
   is empty: a group picked at random may have to be read from disk first,
   which a create must not wait for.  Best effort: other filesystems lack
   the flag. */
static void
spread_spares (int sparefd)
{
  int flags = 0;

  if (ioctl (sparefd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
    return;
  flags |= FS_TOPDIR_FL;
  (void)ioctl (sparefd, FS_IOC_SETFLAGS, &flags);
}

static int
open_cache_dir (const char *cache_dir, jr_error_t *err)
{
  int fd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT)
    {
      if (jr_mkdir_p_at (AT_FDCWD, cache_dir, 0700, err) < 0)
        return jr_error_wrap (err, "create cache dir `%s`", cache_dir);
      /* mkdir honours the umask and may have created parents: pin ours */
      if (chmod (cache_dir, 0700) < 0)
        return jr_error (err, errno, "chmod cache dir `%s`", cache_dir);
      fd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd < 0)
    return jr_error (err, errno, "open cache dir `%s`", cache_dir);
  return fd;
}

static int
make_subdirs (int fd, const char *cache_dir, jr_error_t *err)
{
  size_t i;

  /* created in this order: the last one present means all are (saves
     syscalls on the hit path) */
  if (faccessat (fd, subdirs[sizeof (subdirs) / sizeof (subdirs[0]) - 1], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  for (i = 0; i < sizeof (subdirs) / sizeof (subdirs[0]); i++)
    if (mkdirat (fd, subdirs[i], 0700) < 0 && errno != EEXIST)
      return jr_error (err, errno, "create `%s/%s`", cache_dir, subdirs[i]);
  {
    cleanup_close int sparefd = openat (fd, "spare", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (sparefd >= 0)
      spread_spares (sparefd);
  }
  return 0;
}

int
jr_ec_store_open (const char *cache_dir, jr_error_t *err)
{
  cleanup_close int fd = open_cache_dir (cache_dir, err);

  if (fd < 0 || make_subdirs (fd, cache_dir, err) < 0)
    return -1;
  return jr_steal_fd (fd);
}

/* Keys are hex digests and ids come from the runtime; still refuse
   anything that could walk out of the cache. */
static bool
safe_name (const char *s)
{
  return *s != '\0' && strchr (s, '/') == NULL && strcmp (s, ".") != 0 && strcmp (s, "..") != 0;
}

int
jr_ec_lock_key (int cachefd, const char *key, int op, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("locks/%s.lock", key);

  if (!safe_name (key))
    return jr_error (err, EINVAL, "invalid cache key `%s`", key);
  for (;;)
    {
      cleanup_close int fd = -1;
      struct stat st_fd, st_path;

      fd = openat (cachefd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        return jr_error (err, errno, "open lock `%s`", path);
      if (jr_flock (fd, op) < 0)
        {
          if (errno == EWOULDBLOCK && (op & LOCK_NB))
            return -EWOULDBLOCK;
          return jr_error (err, errno, "lock `%s`", path);
        }
      /* gc may have unlinked the file while we waited: a lock on an
         unlinked inode excludes nobody, so start over. */
      if (fstat (fd, &st_fd) == 0 && fstatat (cachefd, path, &st_path, AT_SYMLINK_NOFOLLOW) == 0
          && st_fd.st_ino == st_path.st_ino && st_fd.st_dev == st_path.st_dev)
        return jr_steal_fd (fd);
    }
}

const char *
jr_ec_boot_id (void)
{
  static char id[64];
  static bool known;

  if (!known)
    {
      cleanup_close int fd = open ("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
      ssize_t n = fd >= 0 ? read (fd, id, sizeof (id) - 1) : -1;
      if (n < 0)
        n = 0;
      while (n > 0 && (id[n - 1] == '\n' || id[n - 1] == ' '))
        n--;
      id[n] = '\0';
      known = true;
    }
  return id;
}

bool
jr_ec_mark_is_this_boot (int markfd)
{
  const char *boot = jr_ec_boot_id ();
  char buf[64];
  ssize_t n = pread (markfd, buf, sizeof (buf) - 1, 0);

  if (n < 0 || *boot == '\0')
    return false;
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return strcmp (buf, boot) == 0;
}

enum jr_ec_state
jr_ec_store_state_stat (int cachefd, const char *key, struct stat *meta_st)
{
  cleanup_free char *meta = xasprintf ("layers/%s/meta.json", key);
  cleanup_free char *mark = xasprintf ("layers/%s/" JR_EC_UNSEALED_MARK, key);
  cleanup_close int fd = -1;

  if (!safe_name (key) || fstatat (cachefd, meta, meta_st, AT_SYMLINK_NOFOLLOW) < 0)
    return JR_EC_ABSENT;
  fd = openat (cachefd, mark, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? JR_EC_SEALED : JR_EC_TORN;
  return jr_ec_mark_is_this_boot (fd) ? JR_EC_UNSEALED : JR_EC_TORN;
}

enum jr_ec_state
jr_ec_store_state (int cachefd, const char *key)
{
  struct stat st;

  return jr_ec_store_state_stat (cachefd, key, &st);
}

bool
jr_ec_store_has (int cachefd, const char *key)
{
  enum jr_ec_state st = jr_ec_store_state (cachefd, key);

  return st == JR_EC_SEALED || st == JR_EC_UNSEALED;
}

void
jr_ec_store_touch_stat (int cachefd, const char *key, const struct stat *meta_st)
{
  cleanup_free char *path = NULL;
  const struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_NOW } };
  time_t now = time (NULL);

  /* To the minute: an update is metadata work (~0.1 ms on a slow disk)
     that a busy entry would pay on every start. */
  if (meta_st->st_mtim.tv_sec > now - 60 && meta_st->st_mtim.tv_sec <= now)
    return;
  /* best effort: a failed touch only makes gc less accurate */
  path = xasprintf ("layers/%s/meta.json", key);
  (void)utimensat (cachefd, path, times, AT_SYMLINK_NOFOLLOW);
}

void
jr_ec_store_touch (int cachefd, const char *key)
{
  cleanup_free char *path = xasprintf ("layers/%s/meta.json", key);
  struct stat st;

  if (fstatat (cachefd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
    jr_ec_store_touch_stat (cachefd, key, &st);
}

/* "<prefix>.<16 random hex digits>" */
static char *
random_name (const char *prefix)
{
  uint64_t rnd = 0;

  if (getrandom (&rnd, sizeof (rnd), GRND_NONBLOCK) != sizeof (rnd))
    rnd = (uint64_t)jr_now_ns () ^ ((uint64_t)getpid () << 32);
  return xasprintf ("%s.%016llx", prefix, (unsigned long long)rnd);
}

static char *
trash_name (const char *prefix)
{
  cleanup_free char *name = random_name (prefix);

  return xasprintf ("trash/%s", name);
}

/* Move a spare dir (made ahead by jr_ec_spares_refill) to path: one rename
   instead of creating three inodes, which on a busy ext4 is the dearest
   part of a hit.  Concurrent creates may pick the same one: the loser of
   the rename tries the next.  False when there was none, or with errno
   EEXIST when path exists.  spare/ is read into a stack buffer: its first
   entries do, and opendir's 32 KiB buffer would cost page faults. */
static bool
take_spare (int cachefd, const char *path)
{
  cleanup_close int sparefd = openat (cachefd, "spare", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  char buf[512] __attribute__ ((aligned (8))); /* ~20 entries: one stack page */
  ssize_t n, off;

  if (sparefd < 0)
    return false;
  while ((n = syscall (SYS_getdents64, sparefd, buf, sizeof (buf))) > 0)
    for (off = 0; off < n;)
      {
        struct dirent64 *de = (struct dirent64 *)(buf + off);

        off += de->d_reclen;
        if (de->d_name[0] == '.')
          continue; /* ., .., and spares being made */
        if (renameat2 (sparefd, de->d_name, cachefd, path, RENAME_NOREPLACE) == 0)
          return true;
        if (errno == EEXIST)
          return false;
      }
  errno = 0;
  return false;
}

/* A tag for a state root path: FNV-1a, 64 bits, in hex.  Not a defence
   against anyone (roots come from root's command lines): two roots only
   need different tags, and roots/<tag> is checked to hash back to it. */
static void
root_tag (const char *root, char tag[JR_EC_ROOT_TAG_LEN + 1])
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (const unsigned char *p = (const unsigned char *)root; *p; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  snprintf (tag, JR_EC_ROOT_TAG_LEN + 1, "%016llx", (unsigned long long)h);
}

/* Whether state_root (absolute) has its roots/<tag> file: 1 or 0, with
   tag filled; -1 for a relative root. */
static int
root_registered (int cachefd, const char *state_root, char tag[JR_EC_ROOT_TAG_LEN + 1], jr_error_t *err)
{
  char path[sizeof ("roots/") + JR_EC_ROOT_TAG_LEN];

  if (state_root[0] != '/')
    return jr_error (err, EINVAL, "state root `%s` is not an absolute path", state_root);
  root_tag (state_root, tag);
  snprintf (path, sizeof (path), "roots/%s", tag);
  return faccessat (cachefd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
write_root (int cachefd, const char *state_root, const char *tag, jr_error_t *err)
{
  cleanup_close int rootsfd = -1;

  if (mkdirat (cachefd, "roots", 0700) < 0 && errno != EEXIST)
    return jr_error (err, errno, "create `roots` in the cache");
  rootsfd = openat (cachefd, "roots", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (rootsfd < 0)
    return jr_error (err, errno, "open `roots` in the cache");
  return jr_write_file_atomic_at (rootsfd, tag, state_root, strlen (state_root), 0600, err);
}

int
jr_ec_store_open_as (const char *cache_dir, const char *state_root, char tag[JR_EC_ROOT_TAG_LEN + 1],
                     jr_error_t *err)
{
  cleanup_close int fd = open_cache_dir (cache_dir, err);
  int registered;

  if (fd < 0)
    return -1;
  /* roots/ is the last subdir made and the tag file comes after it: one
     access() tells the cache is complete and the root registered */
  registered = root_registered (fd, state_root, tag, err);
  if (registered < 0)
    return -1;
  if (!registered && (make_subdirs (fd, cache_dir, err) < 0 || write_root (fd, state_root, tag, err) < 0))
    return -1;
  return jr_steal_fd (fd);
}

int
jr_ec_state_root_register (int cachefd, const char *state_root, char tag[JR_EC_ROOT_TAG_LEN + 1],
                           jr_error_t *err)
{
  /* once per root and cache: then one access() per create */
  int registered = root_registered (cachefd, state_root, tag, err);

  if (registered != 0)
    return registered < 0 ? -1 : 0;
  return write_root (cachefd, state_root, tag, err);
}

/* The in-use marker's value: the first MARKER_KEY_LEN characters of the
   key (enough to tell layers apart), then "@<root tag>".  48 bytes: ext4
   keeps them in the inode, where a whole key (64) would take an xattr
   block of its own, allocated and freed with every container. */
#define MARKER_KEY_LEN 32

struct marker
{
  char key[65];                          /* "" when the container uses no layer */
  char root_tag[JR_EC_ROOT_TAG_LEN + 1]; /* "" when unknown (older jitrun) */
};

int
jr_ec_container_dir_create (int cachefd, const char *id, const char *key, const char *root_tag,
                            jr_error_t *err)
{
  /* on the stack, not malloc'ed: a hit's runtime may call this after its
     fork, where each page it writes is a copy-on-write fault */
  char path[sizeof ("containers/") + NAME_MAX];
  cleanup_close int fd = -1;
  char marker[MARKER_KEY_LEN + 1 + JR_EC_ROOT_TAG_LEN + 1];
  bool spare;

  if (!safe_name (id))
    return jr_error (err, EINVAL, "invalid container id `%s`", id);
  if (strlen (id) > NAME_MAX)
    return jr_error (err, ENAMETOOLONG, "create the cache dir of container `%s`", id);
  snprintf (path, sizeof (path), "containers/%s", id);
  for (int attempt = 0;; attempt++)
    {
      spare = take_spare (cachefd, path);
      if (spare || (errno != EEXIST && mkdirat (cachefd, path, 0700) == 0))
        break;
      if (errno != EEXIST || attempt > 0)
        return jr_error (err, errno, "create `%s` in the cache", path);
      /* leftovers of a container of the same id that was never deleted */
      if (jr_rm_rf_at (cachefd, path, err) < 0)
        return -1;
    }
  fd = openat (cachefd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return jr_error (err, errno, "open `%s` in the cache", path);
  if (!spare && (mkdirat (fd, "upper", 0755) < 0 || mkdirat (fd, "work", 0700) < 0))
    return jr_error (err, errno, "create upper/work dirs in `%s`", path);
  if (key != NULL || root_tag != NULL)
    {
      int len = snprintf (marker, sizeof (marker), "%.*s%s%s", MARKER_KEY_LEN, key ? key : "",
                          root_tag ? "@" : "", root_tag ? root_tag : "");
      if (fsetxattr (fd, JR_EC_IN_USE_XATTR, marker, len, 0) < 0)
        return jr_error (err, errno, "mark `%s` in use", path);
    }
  return jr_steal_fd (fd);
}

static size_t
count_spares (int sparefd)
{
  cleanup_dir DIR *d = jr_opendir_at (sparefd, ".");
  struct dirent *de;
  size_t n = 0;

  while (d != NULL && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      n++;
  return n;
}

int
jr_ec_spares_refill (int cachefd, size_t target, jr_error_t *err)
{
  cleanup_close int sparefd = openat (cachefd, "spare", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  size_t have = 0;

  if (sparefd < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open cache spare dir");
  /* a cache made by an older jitrun gets the flag here, off the hit path */
  spread_spares (sparefd);
  /* one refiller at a time: a `.new-*` dir seen under the lock is stale */
  if (jr_flock (sparefd, LOCK_EX) < 0)
    return jr_error (err, errno, "lock cache spare dir");
  {
    cleanup_dir DIR *d = jr_opendir_at (sparefd, ".");
    struct dirent *de;
    if (d == NULL)
      return jr_error (err, errno, "read cache spare dir");
    while ((de = readdir (d)) != NULL)
      if (jr_has_prefix (de->d_name, ".new."))
        jr_rm_rf_at (sparefd, de->d_name, NULL);
  }
  have = count_spares (sparefd);
  for (; have < target; have++)
    {
      /* made under a dot name, renamed when complete: takers skip dot names */
      cleanup_free char *final = random_name ("s");
      cleanup_free char *name = xasprintf (".new.%s", final);
      cleanup_close int fd = -1;

      if (mkdirat (sparefd, name, 0700) < 0)
        return jr_error (err, errno, "create spare container dir");
      fd = openat (sparefd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || mkdirat (fd, "upper", 0755) < 0 || mkdirat (fd, "work", 0700) < 0)
        {
          jr_rm_rf_at (sparefd, name, NULL);
          return jr_error (err, errno, "create spare container dir");
        }
      if (renameat (sparefd, name, sparefd, final) < 0)
        return jr_error (err, errno, "create spare container dir");
    }
  return 0;
}

int
jr_ec_container_dir_remove (int cachefd, const char *id, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("containers/%s", id);

  if (!safe_name (id))
    return jr_error (err, EINVAL, "invalid container id `%s`", id);
  return jr_rm_rf_at (cachefd, path, err);
}

static bool
dir_is_empty_at (int dfd, const char *name)
{
  cleanup_dir DIR *d = jr_opendir_at (dfd, name);
  struct dirent *de;

  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return false;
  return true;
}

/* A deleted container's dir in trash/, made a spare again: possible when
   the container wrote nothing (its upper is pristine).  Only the overlay's
   work/work goes (with incompat/volatile/dirty in it, which forbids mounting
   the dir again): four removals instead of removing and creating ten
   inodes (each ~0.1 ms of ext4 metadata work on this VM, which slows down
   the containers starting meanwhile).  Returns
   true when recycled. */
/* The upper dir is as a spare's: empty, and its own mode, owner and
   xattrs untouched (a container that ran `chmod 700 /` changed them, and
   the next container must not see that). */
static bool
upper_is_pristine (int dirfd)
{
  cleanup_close int fd = openat (dirfd, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  char names[256];
  struct stat st;
  ssize_t n;
  char *p;

  if (fd < 0 || fstat (fd, &st) < 0 || (st.st_mode & 07777) != 0755 || st.st_uid != 0 || st.st_gid != 0)
    return false;
  n = flistxattr (fd, names, sizeof (names));
  if (n < 0 && errno != ENOTSUP)
    return false;
  /* the only xattr overlay itself puts there */
  for (p = names; n > 0 && p < names + n; p += strlen (p) + 1)
    if (strcmp (p, "trusted.overlay.uuid") != 0)
      return false;
  return dir_is_empty_at (fd, ".");
}

static bool
recycle_container_dir (int trashfd, const char *name, int sparefd)
{
  cleanup_close int fd = openat (trashfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_free char *spare = NULL;

  if (fd < 0 || !upper_is_pristine (fd))
    return false;
  /* what a volatile overlay leaves; anything else: not ours to guess */
  (void)unlinkat (fd, "work/work/incompat/volatile/dirty", 0);
  (void)unlinkat (fd, "work/work/incompat/volatile", AT_REMOVEDIR);
  (void)unlinkat (fd, "work/work/incompat", AT_REMOVEDIR);
  if ((unlinkat (fd, "work/work", AT_REMOVEDIR) < 0 && errno != ENOENT) || !dir_is_empty_at (fd, "work"))
    return false;
  /* the marker; without one, maybe an older jitrun's `layer` file */
  if (fremovexattr (fd, JR_EC_IN_USE_XATTR) < 0
      && (errno != ENODATA || (unlinkat (fd, "layer", 0) < 0 && errno != ENOENT)))
    return false;
  spare = random_name ("s");
  return renameat (trashfd, name, sparefd, spare) == 0;
}

int
jr_ec_container_dir_trash (int cachefd, const char *id, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("containers/%s", id);
  cleanup_free char *prefix = xasprintf ("c-%s", id);
  cleanup_free char *dst = NULL;

  if (!safe_name (id))
    return jr_error (err, EINVAL, "invalid container id `%s`", id);
  dst = trash_name (prefix);
  if (renameat (cachefd, path, cachefd, dst) == 0)
    return 1;
  if (errno == ENOENT && faccessat (cachefd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  /* no trash dir (a cache made by an older jitrun): remove in place */
  return jr_rm_rf_at (cachefd, path, err) < 0 ? -1 : 0;
}

int
jr_ec_trash_empty (int cachefd, jr_error_t *err)
{
  cleanup_close int trashfd = openat (cachefd, "trash", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_close int sparefd = openat (cachefd, "spare", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  size_t spares = sparefd >= 0 ? count_spares (sparefd) : 0;
  bool failed = false;

  if (trashfd < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open cache trash dir");
  /* one emptier at a time; a waiting one rescans after the holder, so an
     entry renamed in while the holder finishes is not forgotten */
  if (jr_flock (trashfd, LOCK_EX) < 0)
    return jr_error (err, errno, "lock cache trash dir");
  /* rescan until a pass removes nothing: entries may be renamed in
     meanwhile; one that cannot be removed is skipped, not retried */
  for (;;)
    {
      cleanup_dir DIR *d = jr_opendir_at (trashfd, ".");
      struct dirent *de;
      bool removed = false;

      if (d == NULL)
        return jr_error (err, errno, "read cache trash dir");
      while ((de = readdir (d)) != NULL)
        {
          jr_error_t e = NULL;

          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          if (sparefd >= 0 && spares < JR_EC_SPARE_TARGET && jr_has_prefix (de->d_name, "c-")
              && recycle_container_dir (trashfd, de->d_name, sparefd))
            {
              spares++;
              removed = true;
            }
          else if (jr_rm_rf_at (trashfd, de->d_name, &e) == 0)
            removed = true;
          else
            {
              failed = true;
              if (err && *err == NULL)
                *err = e;
              else
                jr_error_free (&e);
            }
        }
      if (!removed)
        return failed ? -1 : 0;
    }
}

/* The marker of the container dir fd: false if it has none. */
static bool
marker_read (int fd, struct marker *m)
{
  char v[128];
  ssize_t n = fgetxattr (fd, JR_EC_IN_USE_XATTR, v, sizeof (v) - 1);
  char *at;

  m->key[0] = m->root_tag[0] = '\0';
  if (n < 0)
    {
      /* a container of an older jitrun: a `layer` file */
      cleanup_free char *old = NULL;
      size_t len = 0;

      if (jr_read_file_at (fd, "layer", &old, &len, NULL) < 0 || len >= sizeof (m->key))
        return false;
      memcpy (m->key, old, len);
      m->key[len] = '\0';
      return true;
    }
  v[n] = '\0';
  at = strchr (v, '@');
  if (at != NULL)
    {
      *at++ = '\0';
      if (strlen (at) == JR_EC_ROOT_TAG_LEN)
        memcpy (m->root_tag, at, JR_EC_ROOT_TAG_LEN + 1);
    }
  if (strlen (v) >= sizeof (m->key))
    return false;
  strcpy (m->key, v);
  return true;
}

/* containers/<name> opened (O_DIRECTORY) if it has a marker, read into
 *m; else -1. */
static int
open_marked (int containersfd, const char *name, struct marker *m)
{
  int fd = openat (containersfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

  if (fd >= 0 && !marker_read (fd, m))
    {
      close (fd);
      fd = -1;
    }
  return fd;
}

/* Whether marker m names key: its first MARKER_KEY_LEN characters, or
   (an older jitrun's marker, a short key) all of it. */
static bool
marker_names_key (const struct marker *m, const char *key)
{
  size_t n = strlen (m->key);

  return n > 0 && strncmp (m->key, key, n) == 0 && (key[n] == '\0' || n == MARKER_KEY_LEN);
}

/* Whether the container of containers/<name>, marked m, is gone for sure:
   its state root is known, is a directory here, and holds no state dir of
   that name.  Whatever is unknown keeps it: no root in the marker, no or
   a wrong roots/ file, a root this mount namespace does not show (a gc
   run in a pod that sees the cache but not /run), an error other than
   ENOENT.  A live container must never lose its layer or its upper dir. */
static bool
container_gone (int cachefd, const char *name, const struct marker *m)
{
  cleanup_free char *reg = NULL;
  cleanup_free char *root = NULL;
  cleanup_free char *state = NULL;
  char tag[JR_EC_ROOT_TAG_LEN + 1];
  size_t len = 0;
  struct stat st;

  if (m->root_tag[0] == '\0')
    return false;
  reg = xasprintf ("roots/%s", m->root_tag);
  if (jr_read_file_at (cachefd, reg, &root, &len, NULL) < 0 || len == 0 || strlen (root) != len
      || root[0] != '/')
    return false;
  root_tag (root, tag);
  if (strcmp (tag, m->root_tag) != 0)
    return false;
  if (lstat (root, &st) < 0 || !S_ISDIR (st.st_mode))
    return false;
  state = xasprintf ("%s/%s", root, name);
  return lstat (state, &st) < 0 && errno == ENOENT;
}

bool
jr_ec_store_in_use (int cachefd, const char *key)
{
  cleanup_dir DIR *d = jr_opendir_at (cachefd, "containers");
  struct dirent *de;

  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_close int fd = -1;
      struct marker m;

      if (de->d_name[0] == '.')
        continue;
      fd = open_marked (dirfd (d), de->d_name, &m);
      if (fd >= 0 && marker_names_key (&m, key) && !container_gone (cachefd, de->d_name, &m))
        return true;
    }
  return false;
}

/* The markers of all the containers that still exist (one pass over
   containers/, for listings of many entries). */
static struct marker *
live_markers (int cachefd, size_t *n)
{
  cleanup_dir DIR *d = jr_opendir_at (cachefd, "containers");
  struct marker *v = NULL;
  struct dirent *de;

  *n = 0;
  while (d != NULL && (de = readdir (d)) != NULL)
    {
      cleanup_close int fd = -1;
      struct marker m;

      if (de->d_name[0] == '.')
        continue;
      fd = open_marked (dirfd (d), de->d_name, &m);
      if (fd < 0 || m.key[0] == '\0' || container_gone (cachefd, de->d_name, &m))
        continue;
      v = xrealloc (v, (*n + 1) * sizeof (*v));
      v[(*n)++] = m;
    }
  return v;
}

/* Move containers/<name> to the trash if its container is gone.  A create
   of the same id may race and put a new dir there between the check and
   the rename: a dir other than the one judged goes back (the create
   works on it through fds meanwhile). */
static bool
trash_if_gone (int cachefd, int containersfd, const char *name)
{
  struct marker m;
  cleanup_close int fd = open_marked (containersfd, name, &m);
  cleanup_free char *src = xasprintf ("containers/%s", name);
  cleanup_free char *prefix = xasprintf ("c-%s", name);
  cleanup_free char *dst = NULL;
  struct stat judged, moved;

  if (fd < 0 || fstat (fd, &judged) < 0 || !container_gone (cachefd, name, &m))
    return false;
  dst = trash_name (prefix);
  if (renameat (cachefd, src, cachefd, dst) < 0)
    return false;
  if (fstatat (cachefd, dst, &moved, AT_SYMLINK_NOFOLLOW) == 0 && moved.st_ino == judged.st_ino
      && moved.st_dev == judged.st_dev)
    return true;
  (void)renameat2 (cachefd, dst, cachefd, src, RENAME_NOREPLACE);
  return false;
}

int
jr_ec_containers_clean_gone (int cachefd)
{
  cleanup_close int trashfd = openat (cachefd, "trash", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_dir DIR *d = jr_opendir_at (cachefd, "containers");
  struct dirent *de;
  int n = 0;

  /* no emptier meanwhile: a dir moved by mistake must still be there to
     go back */
  if (d == NULL || trashfd < 0 || jr_flock (trashfd, LOCK_EX) < 0)
    return 0;
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.' && trash_if_gone (cachefd, dirfd (d), de->d_name))
      n++;
  return n;
}

int
jr_ec_staging_create (int cachefd, const char *key, char **name, jr_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *owner = NULL;
  cleanup_close int fd = -1;
  uint64_t start = 0;
  pid_t pid = getpid ();
  char self[32];
  ssize_t n;

  *name = random_name (key);
  dir = xasprintf ("staging/%s", *name);
  if (mkdirat (cachefd, dir, 0700) < 0)
    return jr_error (err, errno, "create staging dir `%s`", dir);
  fd = openat (cachefd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return jr_error (err, errno, "open staging dir `%s`", dir);
  if (mkdirat (fd, "layer", 0755) < 0 || mkdirat (fd, "work", 0700) < 0 || mkdirat (fd, "mnt", 0700) < 0)
    return jr_error (err, errno, "create dirs in staging dir `%s`", dir);
  /* In the container's pid namespace getpid() is 1: the host pid, which
     is what a later create can check, is what /proc (still the host's
     here) calls "self".  Informative only: staleness is decided by the
     key lock. */
  n = readlink ("/proc/self", self, sizeof (self) - 1);
  if (n > 0)
    {
      self[n] = '\0';
      pid = atoi (self);
    }
  (void)jr_proc_start_time (pid, &start, NULL);
  owner = xasprintf ("%d %llu\n", (int)pid, (unsigned long long)start);
  return jr_write_file_at (fd, "owner", owner, strlen (owner), 0600, err);
}

int
jr_ec_staging_clean (int cachefd, const char *locked_key, jr_error_t *err)
{
  cleanup_dir DIR *d = jr_opendir_at (cachefd, "staging");
  struct dirent *de;

  if (d == NULL)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open cache staging dir");
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *key = NULL;
      cleanup_close int lockfd = -1;
      char *dot;

      if (de->d_name[0] == '.')
        continue;
      key = xstrdup (de->d_name);
      dot = strchr (key, '.');
      if (dot != NULL)
        *dot = '\0';
      /* Only the holder of a key's lock builds in that key's staging dirs,
         and it removes them before unlocking: if we can hold the lock,
         any dir left behind belongs to a dead bootstrap. */
      if (locked_key == NULL || strcmp (key, locked_key) != 0)
        {
          lockfd = jr_ec_lock_key (cachefd, key, LOCK_EX | LOCK_NB, NULL);
          if (lockfd < 0)
            continue;
        }
      jr_rm_rf_at (dirfd (d), de->d_name, NULL);
    }
  return 0;
}

static int
cmp_entry (const void *a, const void *b)
{
  const struct jr_ec_entry *x = a, *y = b;

  if (x->last_used != y->last_used)
    return x->last_used < y->last_used ? -1 : 1;
  return strcmp (x->key, y->key);
}

int
jr_ec_store_list (int cachefd, struct jr_ec_entry **entries, size_t *n, jr_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct jr_ec_entry *v = NULL;
  struct dirent *de;
  size_t len = 0, n_live = 0, i;
  cleanup_free struct marker *live = live_markers (cachefd, &n_live);

  *entries = NULL;
  *n = 0;
  d = jr_opendir_at (cachefd, "layers");
  if (d == NULL)
    return jr_error (err, errno, "open cache layers dir");
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *path = NULL;
      cleanup_free char *json = NULL;
      struct jr_ec_entry *e;
      struct stat st;
      size_t jlen = 0;
      int64_t size = 0;

      if (de->d_name[0] == '.')
        continue;
      path = xasprintf ("%s/meta.json", de->d_name);
      if (fstatat (dirfd (d), path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      v = xrealloc (v, (len + 1) * sizeof (*v));
      e = &v[len++];
      memset (e, 0, sizeof (*e));
      e->key = xstrdup (de->d_name);
      e->last_used = st.st_mtim.tv_sec;
      if (jr_read_file_at (dirfd (d), path, &json, &jlen, NULL) == 0)
        {
          cleanup_free char *perr = NULL;
          e->meta = oci_jvalue_parse (json, jlen, &perr);
        }
      if (e->meta && oci_jvalue_int (oci_jobject_get (e->meta, "size"), &size))
        e->size = size;
      e->state = jr_ec_store_state (cachefd, e->key);
      for (i = 0; i < n_live && !e->in_use; i++)
        e->in_use = marker_names_key (&live[i], e->key);
    }
  if (len > 0)
    qsort (v, len, sizeof (*v), cmp_entry);
  *entries = v;
  *n = len;
  return 0;
}

void
jr_ec_entries_free (struct jr_ec_entry *entries, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (entries[i].key);
      if (entries[i].meta)
        oci_jvalue_free (entries[i].meta);
    }
  free (entries);
}

int
jr_ec_store_resolve (int cachefd, const char *id, char **key, jr_error_t *err)
{
  struct jr_ec_entry *v = NULL;
  size_t n = 0, i, matches = 0;
  int ret = 0;

  *key = NULL;
  if (*id == '\0')
    return jr_error (err, 0, "empty cache entry id");
  if (jr_ec_store_list (cachefd, &v, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (jr_has_prefix (v[i].key, id))
      {
        if (strcmp (v[i].key, id) == 0)
          {
            matches = 1;
            free (*key);
            *key = xstrdup (v[i].key);
            break;
          }
        matches++;
        free (*key);
        *key = xstrdup (v[i].key);
      }
  if (matches == 0)
    ret = jr_error (err, 0, "cache entry `%s` does not exist", id);
  else if (matches > 1)
    ret = jr_error (err, 0, "cache entry id `%s` is ambiguous", id);
  if (ret < 0)
    {
      free (*key);
      *key = NULL;
    }
  jr_ec_entries_free (v, n);
  return ret;
}

int
jr_ec_store_discard (int cachefd, const char *key, jr_error_t *err)
{
  cleanup_free char *src = xasprintf ("layers/%s", key);
  cleanup_free char *dst = trash_name (key);

  if (!safe_name (key))
    return jr_error (err, EINVAL, "invalid cache key `%s`", key);
  if (renameat (cachefd, src, cachefd, dst) < 0 && errno != ENOENT)
    return jr_error (err, errno, "discard cache entry `%s`", key);
  return 0;
}

int
jr_ec_store_remove (int cachefd, const char *key, jr_error_t *err)
{
  cleanup_close int lockfd = -1;
  cleanup_free char *src = xasprintf ("layers/%s", key);
  cleanup_free char *dst = NULL;
  cleanup_free char *lockpath = xasprintf ("locks/%s.lock", key);

  /* LOCK_EX excludes a create that is about to mount the layer (it holds
     LOCK_SH from its check to its in-use marker) and a bootstrap. */
  lockfd = jr_ec_lock_key (cachefd, key, LOCK_EX | LOCK_NB, err);
  if (lockfd == -EWOULDBLOCK)
    return jr_error (err, 0, "cache entry `%s` is busy (a container is being created with it)", key);
  if (lockfd < 0)
    return -1;
  if (jr_ec_store_in_use (cachefd, key))
    return jr_error (err, 0, "cache entry `%s` is in use by a container", key);
  dst = trash_name (key);
  /* rename first: from here the entry is gone for everyone, even if the
     rm below is interrupted (the trash is emptied by the next gc) */
  if (renameat (cachefd, src, cachefd, dst) < 0)
    return jr_error (err, errno, "remove cache entry `%s`", key);
  if (jr_rm_rf_at (cachefd, dst, err) < 0)
    return -1;
  unlinkat (cachefd, lockpath, 0);
  return 0;
}

void
jr_ec_gc_select (const struct jr_ec_entry *entries, size_t n, int64_t max_size, int64_t max_age, int64_t now,
                 bool *remove)
{
  int64_t total = 0;
  size_t i;

  for (i = 0; i < n; i++)
    {
      remove[i] = false;
      if (entries[i].in_use)
        {
          total += entries[i].size;
          continue;
        }
      if (max_age >= 0 && now - entries[i].last_used > max_age)
        remove[i] = true;
      else
        total += entries[i].size;
    }
  if (max_size < 0)
    return;
  /* entries are sorted least recently used first */
  for (i = 0; i < n && total > max_size; i++)
    if (!remove[i] && !entries[i].in_use)
      {
        remove[i] = true;
        total -= entries[i].size;
      }
}
