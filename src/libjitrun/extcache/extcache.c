/* jitrun extension cache - the lifecycle glue and the `cache` CLI.
 *
 * Locking protocol on locks/<key>.lock (flock, so a dead holder releases
 * it): a create takes LOCK_SH to check for the entry and, on a hit, to
 * write the in-use marker (the runtime does this, before the init mounts);
 * on a miss the init takes LOCK_EX, checks again (someone may have built
 * it meanwhile) and bootstraps.  Concurrent creates of one key thus queue
 * behind one bootstrap; if it fails or its jitrun dies, the next one in
 * line takes over.  gc/rm take LOCK_EX without waiting and honour the
 * in-use markers, so they never remove a layer being mounted or used. */
#define _GNU_SOURCE
#include <config.h>
#include "extcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bootstrap.h"
#include "key.h"
#include "libjitrun/log.h"
#include "libjitrun/utils.h"
#include "overlay.h"
#include "registry.h"
#include "snapshot.h"
#include "store.h"

/* Overlay options of a container's own upper: disposable, so volatile
   (no syncs: ~6 ms saved per lifecycle); index off because the lower
   stack is not fixed across mounts. */
#define CONTAINER_OVERLAY_OPTS "volatile,index=off,metacopy=off"
/* The staging overlay's upper becomes a layer: it must be self-contained
   (no redirects or metacopy pointing into the lower).  volatile is fine:
   the commit syncs the upper's filesystem itself and a staging upper is
   never mounted as an upper again. */
#define STAGING_OVERLAY_OPTS "volatile,redirect_dir=off,metacopy=off,index=off,xino=off"

const char *
jr_extcache_dir (const char *cli_cache_dir)
{
  const char *env;

  if (cli_cache_dir != NULL && *cli_cache_dir != '\0')
    return cli_cache_dir;
  env = getenv ("JITRUN_CACHE_DIR");
  if (env != NULL && *env != '\0')
    return env;
  return JR_EXTCACHE_DEFAULT_DIR;
}

/* The cache's size bound: --cache-max-size, else $JITRUN_CACHE_MAX_SIZE,
   as written (*text: NULL when neither is set; not copied, both live as
   long as the process) and in bytes (-1: none). */
static int
resolve_max_size (const char *cli_max_size, const char **text, int64_t *bytes, jr_error_t *err)
{
  const char *from_cli = cli_max_size != NULL && *cli_max_size != '\0' ? cli_max_size : NULL;
  const char *v = from_cli ? from_cli : getenv ("JITRUN_CACHE_MAX_SIZE");

  *text = NULL;
  *bytes = -1;
  if (v == NULL || *v == '\0')
    return 0;
  if (jr_parse_size (v, bytes, err) < 0)
    return jr_error_wrap (err, "%s", from_cli ? "--cache-max-size" : "$JITRUN_CACHE_MAX_SIZE");
  *text = v;
  return 0;
}

bool
jr_extcache_wanted (const struct oci_spec *spec)
{
  const char *mode;

  if (spec == NULL || oci_string_map_get (&spec->annotations, JR_EC_ANN_BOOTSTRAP) == NULL)
    return false;
  mode = oci_string_map_get (&spec->annotations, JR_EC_ANN_MODE);
  return mode == NULL || strcmp (mode, "off") != 0;
}

/* One container's use of the cache during `create`.  Made and prepared by
   the runtime before it forks the init, which sees it through the fork:
   the init only reads it (a write would cost a copy-on-write fault per
   page). */
struct jr_extcache_session
{
  char *cache_dir;
  char *container_id;
  const struct oci_spec *spec;
  const char *registry;
  const char *insecure_registries;
  struct jr_ec_config cfg;
  struct jr_ec_key key;
  bool have_key;
  /* A local hit, prepared: containers/<id> exists with the in-use marker
     and the overlay is made; the init only attaches it. */
  bool hit;
  char hit_key[sizeof (((struct jr_ec_key *)0)->key)]; /* and its key: the record */
  bool hit_sealed;                       /* and its entry was sealed: nothing to seal at the end */
  int hit_mountfd;                       /* and the container's overlay, detached, for the init to attach */
  const char *state_root;                /* the runtime's --root, absolute */
  char root_tag[JR_EC_ROOT_TAG_LEN + 1]; /* its tag in the cache, "" if not registered */
  const char *max_size;                  /* the cache's size bound, NULL: none */
  bool overlay_after_fork;               /* a hit's dirs and overlay are made after the fork */
  /* A hit whose dirs and overlay are still to be made (after the fork):
     the cache, its key's lock (shared: gc waits until the in-use marker
     is there) and the rootfs; else -1. */
  int pending_cachefd;
  int pending_lockfd;
  int pending_rootfd;
};

/* The tag of the runtime's state root for in-use markers, NULL if none. */
static const char *
session_root_tag (const struct jr_extcache_session *s)
{
  return s->root_tag[0] ? s->root_tag : NULL;
}

static int
open_dir_at (int dfd, const char *path, jr_error_t *err)
{
  int fd = openat (dfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    return jr_error (err, errno, "open `%s` in the cache", path);
  return fd;
}

/* The container's overlay, detached (see overlay.h): [layer (if any),
   original rootfs] with the upper and work dirs of its container dir cfd. */
static int
container_overlay (int cachefd, int cfd, int rootfd, const char *key, jr_error_t *err)
{
  char layer[32 + sizeof (((struct jr_ec_key *)0)->key)];
  cleanup_close int layerfd = -1;
  cleanup_close int upperfd = -1;
  cleanup_close int workfd = -1;
  int lowers[2];
  size_t n = 0;

  upperfd = open_dir_at (cfd, "upper", err);
  workfd = open_dir_at (cfd, "work", err);
  if (upperfd < 0 || workfd < 0)
    return -1;
  if (key)
    {
      snprintf (layer, sizeof (layer), "layers/%s/layer", key);
      layerfd = open_dir_at (cachefd, layer, err);
      if (layerfd < 0)
        return -1;
      lowers[n++] = layerfd;
    }
  lowers[n++] = rootfd;
  return jr_ec_overlay_make (lowers, n, upperfd, workfd, CONTAINER_OVERLAY_OPTS, err);
}

/* Make containers/<id> and mount the container's overlay on its rootfs
   (in the init: a miss, after the bootstrap). */
static int
mount_container_overlay (const struct jr_extcache_ctx *ctx, int cachefd, int rootfd, const char *key,
                         jr_error_t *err)
{
  cleanup_close int cfd
      = jr_ec_container_dir_create (cachefd, ctx->container_id, key, session_root_tag (ctx->session), err);
  cleanup_close int mntfd = -1;

  if (cfd < 0)
    return -1;
  mntfd = container_overlay (cachefd, cfd, rootfd, key, err);
  if (mntfd < 0)
    return -1;
  return jr_ec_mount_attach (mntfd, ctx->rootfs, err);
}

/* A read-only root on a hit: the container writes nothing to it, so its
   upper and work dirs live on a small tmpfs that exists only as a
   detached mount (gone with the overlay).  This spares the overlay's work
   dirs on the cache's filesystem: four inodes made at mount and removed
   later, ~0.1 ms each on a slow disk.  The upper still takes the mount
   points the runtime creates before it remounts the root read-only. */
#define READONLY_UPPER_OPTS "index=off,metacopy=off"

static int
readonly_hit_overlay (int cachefd, int rootfd, const char *key, jr_error_t *err)
{
  char layer[32 + sizeof (((struct jr_ec_key *)0)->key)];
  cleanup_close int tmpfd = -1;
  cleanup_close int layerfd = -1;
  cleanup_close int upperfd = -1;
  cleanup_close int workfd = -1;
  int lowers[2];

  tmpfd = jr_ec_tmpfs_make ("4m", err);
  if (tmpfd < 0)
    return jr_error_wrap (err, "the upper dir of a read-only root");
  if (mkdirat (tmpfd, "upper", 0755) < 0 || mkdirat (tmpfd, "work", 0700) < 0)
    return jr_error (err, errno, "create upper and work dirs on the tmpfs");
  upperfd = open_dir_at (tmpfd, "upper", err);
  workfd = open_dir_at (tmpfd, "work", err);
  snprintf (layer, sizeof (layer), "layers/%s/layer", key);
  layerfd = open_dir_at (cachefd, layer, err);
  if (upperfd < 0 || workfd < 0 || layerfd < 0)
    return -1;
  lowers[0] = layerfd;
  lowers[1] = rootfd;
  return jr_ec_overlay_make (lowers, 2, upperfd, workfd, READONLY_UPPER_OPTS, err);
}

/* Below this much free space (or these many free inodes) the cache's
   filesystem is called full in an error: a bootstrap or a commit that
   failed there most likely failed for that. */
#define CACHE_FULL_BYTES  (1024 * 1024)
#define CACHE_FULL_INODES 64

/* Where a create's step in the cache failed, before its cleanup frees
   what it wrote: the error says so when the cache's filesystem is full.
   A bootstrap (npm, pip) reports ENOSPC only in the container's own
   output, and the operator's fix is the same whatever step ran out: free
   space, or `jitrun cache gc`. */
static void
note_if_cache_full (const char *cache_dir, jr_error_t *err)
{
  struct statvfs sv;
  unsigned long long free_bytes;

  if (statvfs (cache_dir, &sv) < 0)
    return;
  free_bytes = (unsigned long long)sv.f_bavail * sv.f_frsize;
  if (free_bytes < CACHE_FULL_BYTES)
    jr_error_note (err, "the cache's filesystem is full: %llu KiB free under `%s`", free_bytes / 1024,
                   cache_dir);
  else if (sv.f_files > 0 && sv.f_favail < CACHE_FULL_INODES)
    jr_error_note (err, "the cache's filesystem is full: %llu inodes free under `%s`",
                   (unsigned long long)sv.f_favail, cache_dir);
}

static void
discard_staging (int cachefd, const char *name)
{
  cleanup_free char *dir = xasprintf ("staging/%s", name);

  jr_rm_rf_at (cachefd, dir, NULL);
}

/* Miss in rw mode, with the key locked LOCK_EX: bootstrap on a staging
   overlay, then commit. */
static int
build_layer (const struct jr_extcache_ctx *ctx, const struct jr_ec_config *cfg, const struct jr_ec_key *key,
             int cachefd, int rootfd, jr_error_t *err)
{
  cleanup_free char *name = NULL;
  cleanup_free char *mnt = NULL;
  cleanup_close int sfd = -1;
  cleanup_close int upperfd = -1;
  cleanup_close int workfd = -1;
  int64_t t0 = jr_now_ns (), t1;
  int ret;

  /* leftovers of a bootstrap whose jitrun was killed: we hold the key lock,
     so they are all stale */
  jr_ec_staging_clean (cachefd, key->key, NULL);
  if (jr_ec_staging_create (cachefd, key->key, &name, err) < 0)
    goto fail;
  mnt = xasprintf ("%s/staging/%s/mnt", ctx->session->cache_dir, name);
  {
    cleanup_free char *dir = xasprintf ("staging/%s", name);
    sfd = openat (cachefd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (sfd < 0)
      {
        jr_error (err, errno, "open staging dir `%s`", dir);
        goto fail;
      }
  }
  upperfd = open_dir_at (sfd, "layer", err);
  workfd = open_dir_at (sfd, "work", err);
  if (upperfd < 0 || workfd < 0)
    goto fail;
  if (jr_ec_mount_overlay (mnt, &rootfd, 1, upperfd, workfd, STAGING_OVERLAY_OPTS, err) < 0)
    goto fail;

  jr_info ("extcache: miss for %s %s (key %.12s): running the bootstrap", cfg->app, cfg->version, key->key);
  ret = jr_ec_bootstrap_run (ctx, cfg, mnt, err);
  t1 = jr_now_ns ();
  if (umount2 (mnt, 0) < 0 && umount2 (mnt, MNT_DETACH) < 0 && ret == 0)
    {
      jr_error (err, errno, "unmount the staging overlay `%s`", mnt);
      goto fail;
    }
  if (ret < 0)
    goto fail;
  jr_info ("extcache: bootstrap of %s %s finished in %.3f s", cfg->app, cfg->version, (t1 - t0) / 1e9);

  {
    cleanup_close int layerfd = openat (sfd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (layerfd >= 0)
      jr_ec_tidy_mount_points (ctx->spec, layerfd, rootfd);
  }
  if (jr_ec_commit (cachefd, name, cfg, key, (t1 - t0) / 1e9, err) < 0)
    {
      jr_error_wrap (err, "commit the layer of %s %s", cfg->app, cfg->version);
      goto fail;
    }
  jr_info ("extcache: committed layer %.12s in %.3f s", key->key, (jr_now_ns () - t1) / 1e9);
  return 0;

fail:
  /* before the staging dir goes: it may be what filled the disk */
  note_if_cache_full (ctx->session->cache_dir, err);
  if (name)
    discard_staging (cachefd, name);
  return -1;
}

/* Miss in ro mode: the bootstrap runs right on the container's own
   overlay and its result lives and dies with the container. */
static int
run_uncached (const struct jr_extcache_ctx *ctx, const struct jr_ec_config *cfg, int cachefd, int rootfd,
              jr_error_t *err)
{
  jr_info ("extcache: miss for %s %s in mode ro: running the bootstrap without caching it", cfg->app,
           cfg->version);
  if (mount_container_overlay (ctx, cachefd, rootfd, NULL, err) < 0)
    goto fail;
  if (jr_ec_bootstrap_run (ctx, cfg, ctx->rootfs, err) < 0)
    {
      umount2 (ctx->rootfs, MNT_DETACH);
      goto fail;
    }
  return 0;

fail:
  note_if_cache_full (ctx->session->cache_dir, err);
  jr_ec_container_dir_remove (cachefd, ctx->container_id, NULL);
  return -1;
}

/* Not prepared by the runtime: a miss (or a hit that appeared since). */
static int
prepare_locally (const struct jr_extcache_ctx *ctx, int cachefd, int rootfd, char **record, jr_error_t *err)
{
  const struct jr_ec_config *cfg = &ctx->session->cfg;
  const struct jr_ec_key *key = &ctx->session->key;
  cleanup_close int lockfd = jr_ec_lock_key (cachefd, key->key, LOCK_SH, err);

  if (lockfd < 0)
    return -1;
  if (!jr_ec_store_has (cachefd, key->key))
    {
      close (jr_steal_fd (lockfd));
      if (cfg->mode == JR_EC_MODE_RO)
        {
          if (run_uncached (ctx, cfg, cachefd, rootfd, err) < 0)
            return -1;
          *record = xstrdup ("-");
          return 0;
        }
      /* queue behind a bootstrap of the same key, if one runs */
      lockfd = jr_ec_lock_key (cachefd, key->key, LOCK_EX, err);
      if (lockfd < 0)
        return -1;
      /* whoever held the lock before us may have committed it; if it
         failed or died, we take over */
      if (!jr_ec_store_has (cachefd, key->key) && build_layer (ctx, cfg, key, cachefd, rootfd, err) < 0)
        return -1;
    }
  /* a hit (or our own fresh layer): only the overlay mount, nothing
     O(layer); the lock held excludes gc until the in-use marker exists */
  if (mount_container_overlay (ctx, cachefd, rootfd, key->key, err) < 0)
    {
      note_if_cache_full (ctx->session->cache_dir, err);
      jr_ec_container_dir_remove (cachefd, ctx->container_id, NULL);
      return -1;
    }
  jr_ec_store_touch (cachefd, key->key);
  *record = xstrdup (key->key);
  return 0;
}

int
jr_extcache_prepare_rootfs (const struct jr_extcache_ctx *ctx, char **record, jr_error_t *err)
{
  const struct jr_extcache_session *s = ctx->session;
  cleanup_close int rootfd = -1;
  cleanup_close int cachefd = -1;

  *record = NULL;
  if (s->hit)
    {
      /* the runtime did the rest: key, lock, check, in-use marker, and the
         overlay itself, before it forked us or (ctx->hit_mountfd) after;
         it has the record too (one message less: each wakes the runtime,
         ~50 us here).  Our copies of the fds it kept for that go first:
         one holds the key's lock. */
      if (s->pending_cachefd >= 0)
        {
          close (s->pending_lockfd);
          close (s->pending_rootfd);
          close (s->pending_cachefd);
        }
      return jr_ec_mount_attach (ctx->hit_mountfd >= 0 ? ctx->hit_mountfd : s->hit_mountfd, ctx->rootfs, err);
    }

  rootfd = open (ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return jr_error (err, errno, "open rootfs `%s`", ctx->rootfs);
  cachefd = open (s->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cachefd < 0)
    return jr_error (err, errno, "open cache dir `%s`", s->cache_dir);
  return prepare_locally (ctx, cachefd, rootfd, record, err);
}

/* Removing a container's upper and work dirs costs 1-2 ms on ext4 (the
   overlay's work/incompat/volatile included), more with files in the
   upper.  So `delete` only renames the dir into trash/, and one delete in
   TRASH_BATCH forks a detached child that empties it (as containerd
   leaves snapshot removal to its gc) and makes spare dirs for the next
   creates: creating inodes is as dear as removing them.  A fork, not an
   exec of `jitrun cache empty-trash` (~3 ms here); even so a fork costs
   about 1 ms on this kind of VM, hence the batch.  `cache gc` and `cache
   empty-trash` empty the trash too. */
#define TRASH_BATCH 32

static bool
trash_is_full (int cachefd)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;
  size_t n = 0;

  /* what is in there are dirs: its link count says how many (where the
     filesystem keeps it: not btrfs, nor ext4 past 65000) */
  if (fstatat (cachefd, "trash", &st, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  if (st.st_nlink > 1)
    return st.st_nlink - 2 >= TRASH_BATCH;
  d = jr_opendir_at (cachefd, "trash");
  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0 && ++n >= TRASH_BATCH)
      return true;
  return false;
}

/* Start `jitrun --cache-dir DIR cache ARGS...` (at most 4 ARGS) detached
   (its own session, stdio on /dev/null) and do not wait for it. */
static void
spawn_cache_chore (const char *cache_dir, const char *const *args)
{
  char *argv[4 + 4 + 1] = { (char *)"jitrun", (char *)"--cache-dir", (char *)cache_dir, (char *)"cache" };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  size_t i;
  pid_t pid;
  int r;

  for (i = 0; i < 4 && args[i]; i++)
    argv[4 + i] = (char *)args[i];
  /* posix_spawn shares our memory until the exec (no copy-on-write
     faults on our way out, unlike fork) */
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2 (&fa, 0, 1);
  posix_spawn_file_actions_adddup2 (&fa, 0, 2);
  posix_spawn_file_actions_addchdir_np (&fa, "/");
  posix_spawnattr_init (&attr);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSID);
  r = posix_spawn (&pid, "/proc/self/exe", &fa, &attr, argv, environ);
  if (r != 0)
    jr_debug ("extcache: cannot start `cache %s`: %s", args[0], strerror (r));
  posix_spawn_file_actions_destroy (&fa);
  posix_spawnattr_destroy (&attr);
}

/* After a create: if the layer it uses is not sealed yet (just committed,
   or its sealer died) and no sealer is at work, start one: `cache seal
   KEY`, or with a size bound `cache gc --max-size SIZE`, which seals what
   is pending first and then removes the least recently used entries not
   in use.  The cache only grows by commits, so this is where the bound is
   kept.  On a sealed hit this costs one failed open. */
static void
seal_in_background (const char *cache_dir, const char *key, const char *max_size)
{
  cleanup_free char *mark = xasprintf ("layers/%s/" JR_EC_UNSEALED_MARK, key);
  cleanup_close int cachefd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int markfd = -1;
  const char *seal[] = { "seal", key, NULL };
  const char *gc[] = { "gc", "--max-size", max_size, NULL };

  if (cachefd < 0 || strchr (key, '/') != NULL)
    return;
  markfd = openat (cachefd, mark, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (markfd < 0 || flock (markfd, LOCK_EX | LOCK_NB) < 0)
    return;
  spawn_cache_chore (cache_dir, max_size ? gc : seal);
}

/* What the background emptier does: the trash out, spare container dirs
   in (so the next creates take one with a rename). */
static int
empty_trash_and_refill (int cachefd, jr_error_t *err)
{
  int r = jr_ec_trash_empty (cachefd, err);

  if (jr_ec_spares_refill (cachefd, JR_EC_SPARE_TARGET, r < 0 ? NULL : err) < 0)
    r = -1;
  return r;
}

static void
empty_trash_in_background (const char *cache_dir)
{
  cleanup_close int cachefd = -1;
  int nullfd;
  pid_t pid = fork ();

  if (pid < 0)
    jr_debug ("extcache: cannot fork the trash emptier: %s", strerror (errno));
  if (pid != 0)
    return;
  /* Detached from the caller's session and stdio: a caller that reads our
     output until EOF (containerd, conmon) must not wait for us.  We are
     reparented to the nearest subreaper when delete exits. */
  setsid ();
  nullfd = open ("/dev/null", O_RDWR);
  if (nullfd >= 0)
    {
      dup2 (nullfd, 0);
      dup2 (nullfd, 1);
      dup2 (nullfd, 2);
    }
  syscall (SYS_close_range, 3, ~0U, 0);
  if (chdir ("/") < 0 || setpriority (PRIO_PROCESS, 0, 10) < 0)
    _exit (1);
  cachefd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _exit (cachefd >= 0 && empty_trash_and_refill (cachefd, NULL) == 0 ? 0 : 1);
}

int
jr_extcache_container_delete (const char *cache_dir, const char *container_id, const char *record,
                              jr_error_t *err)
{
  cleanup_close int cachefd = -1;
  int r;

  if (record == NULL || cache_dir == NULL)
    return 0;
  cachefd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cachefd < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open cache dir `%s`", cache_dir);
  r = jr_ec_container_dir_trash (cachefd, container_id, err);
  if (r < 0)
    return jr_error_wrap (err, "remove the extension cache dirs of `%s`", container_id);
  if (r > 0 && trash_is_full (cachefd))
    empty_trash_in_background (cache_dir);
  return 0;
}

/* ---- `jitrun cache` ------------------------------------------------------ */

static const char *
meta_str (const struct jr_ec_entry *e, const char *field)
{
  const char *s = e->meta ? oci_jvalue_str (oci_jobject_get (e->meta, field)) : NULL;

  return s ? s : "";
}

static char *
fmt_time (int64_t t)
{
  struct tm tm;
  char buf[64];
  time_t tt = t;

  gmtime_r (&tt, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return xstrdup (buf);
}

static char *
fmt_size (int64_t size)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  double v = size;
  int u = 0;

  while (v >= 1024 && u < 4)
    {
      v /= 1024;
      u++;
    }
  return u == 0 ? xasprintf ("%lld B", (long long)size) : xasprintf ("%.1f %s", v, units[u]);
}

/* meta.json plus what only the store knows */
static struct oci_jvalue *
entry_json (const struct jr_ec_entry *e)
{
  struct oci_jvalue *o = oci_jobject_new ();
  cleanup_free char *last = fmt_time (e->last_used);
  size_t i;

  if (e->meta)
    for (i = 0; i < oci_jobject_len (e->meta); i++)
      {
        const char *k = oci_jobject_key_at (e->meta, i);
        const struct oci_jvalue *v = oci_jobject_value_at (e->meta, i);
        const char *s = oci_jvalue_str (v);
        int64_t n;
        if (s)
          oci_jobject_set_str (o, k, s);
        else if (oci_jvalue_int (v, &n))
          oci_jobject_set_int (o, k, n);
      }
  else
    oci_jobject_set_str (o, "key", e->key);
  oci_jobject_set_str (o, "lastUsed", last);
  oci_jobject_set_bool (o, "inUse", e->in_use);
  oci_jobject_set_bool (o, "sealed", e->state == JR_EC_SEALED);
  if (e->state == JR_EC_TORN)
    oci_jobject_set_bool (o, "torn", true);
  return o;
}

static int
cmd_list (int cachefd, int argc, char **argv, jr_error_t *err)
{
  struct jr_ec_entry *v = NULL;
  bool json = false;
  size_t n = 0, i;
  int k;

  for (k = 1; k < argc; k++)
    {
      const char *fmt = NULL;
      if (strcmp (argv[k], "--format") == 0 || strcmp (argv[k], "-f") == 0)
        {
          if (k + 1 >= argc)
            return jr_error (err, 0, "cache list: %s needs a value", argv[k]);
          fmt = argv[++k];
        }
      else if (jr_has_prefix (argv[k], "--format="))
        fmt = argv[k] + 9;
      else
        return jr_error (err, 0, "cache list: unknown argument `%s`", argv[k]);
      if (strcmp (fmt, "json") == 0)
        json = true;
      else if (strcmp (fmt, "table") != 0)
        return jr_error (err, 0, "cache list: invalid format `%s`: expected table or json", fmt);
    }
  if (jr_ec_store_list (cachefd, &v, &n, err) < 0)
    return -1;
  if (json)
    {
      struct oci_jvalue *a = oci_jarray_new ();
      cleanup_free char *s = NULL;
      for (i = n; i-- > 0;)
        oci_jarray_append (a, entry_json (&v[i]));
      s = oci_jvalue_to_json (a, false);
      oci_jvalue_free (a);
      printf ("%s\n", s ? s : "[]");
    }
  else
    {
      printf ("%-12s  %-20s  %-12s  %-16s  %-10s  %10s  %-20s  %s\n", "ID", "APP", "VERSION", "OS", "ARCH",
              "SIZE", "LAST USED", "IN USE");
      /* most recently used first */
      for (i = n; i-- > 0;)
        {
          cleanup_free char *os = xasprintf ("%s %s", meta_str (&v[i], "os"), meta_str (&v[i], "os.version"));
          cleanup_free char *arch
              = *meta_str (&v[i], "variant")
                    ? xasprintf ("%s/%s", meta_str (&v[i], "architecture"), meta_str (&v[i], "variant"))
                    : xstrdup (meta_str (&v[i], "architecture"));
          cleanup_free char *size = v[i].state == JR_EC_SEALED     ? fmt_size (v[i].size)
                                    : v[i].state == JR_EC_UNSEALED ? xstrdup ("sealing")
                                                                   : xstrdup ("torn");
          cleanup_free char *last = fmt_time (v[i].last_used);
          printf ("%-12.12s  %-20s  %-12s  %-16s  %-10s  %10s  %-20s  %s\n", v[i].key,
                  meta_str (&v[i], "app"), meta_str (&v[i], "version"), os, arch, size, last,
                  v[i].in_use ? "yes" : "no");
        }
    }
  jr_ec_entries_free (v, n);
  return 0;
}

static int
cmd_inspect (int cachefd, int argc, char **argv, jr_error_t *err)
{
  struct jr_ec_entry *v = NULL;
  size_t n = 0, i;
  int k, ret = 0;

  if (argc < 2)
    return jr_error (err, 0, "cache inspect: missing entry id");
  if (jr_ec_store_list (cachefd, &v, &n, err) < 0)
    return -1;
  for (k = 1; k < argc && ret == 0; k++)
    {
      cleanup_free char *key = NULL;
      if (jr_ec_store_resolve (cachefd, argv[k], &key, err) < 0)
        {
          ret = -1;
          break;
        }
      for (i = 0; i < n; i++)
        if (strcmp (v[i].key, key) == 0)
          {
            struct oci_jvalue *o = entry_json (&v[i]);
            cleanup_free char *s = oci_jvalue_to_json (o, true);
            oci_jvalue_free (o);
            printf ("%s\n", s ? s : "{}");
          }
    }
  jr_ec_entries_free (v, n);
  return ret;
}

static int
cmd_rm (int cachefd, int argc, char **argv, jr_error_t *err)
{
  int k;

  if (argc < 2)
    return jr_error (err, 0, "cache rm: missing entry id");
  for (k = 1; k < argc; k++)
    {
      cleanup_free char *key = NULL;
      if (jr_ec_store_resolve (cachefd, argv[k], &key, err) < 0 || jr_ec_store_remove (cachefd, key, err) < 0)
        return -1;
      printf ("%s\n", key);
    }
  return 0;
}

static void
clean_trash_and_locks (int cachefd)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  /* the dirs of containers that will never be deleted: their upper dirs
     go, and their layers become collectable */
  jr_ec_containers_clean_gone (cachefd);
  jr_ec_trash_empty (cachefd, NULL);
  d = jr_opendir_at (cachefd, "locks");
  if (d == NULL)
    return;
  /* a lock file without an entry, that nobody holds, is stale */
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *key = NULL;
      int lockfd;
      if (!jr_has_suffix (de->d_name, ".lock"))
        continue;
      key = xstrndup (de->d_name, strlen (de->d_name) - 5);
      if (jr_ec_store_state (cachefd, key) != JR_EC_ABSENT)
        continue;
      lockfd = jr_ec_lock_key (cachefd, key, LOCK_EX | LOCK_NB, NULL);
      if (lockfd < 0)
        continue;
      unlinkat (dirfd (d), de->d_name, 0);
      close (lockfd);
    }
}

/* Seal every entry still unsealed (waiting for sealers at work); with
   drop_torn, discard torn entries.  Returns <0 if one could not be. */
static int
seal_pending (int cachefd, bool drop_torn)
{
  struct jr_ec_entry *v = NULL;
  size_t n = 0, i;
  int ret = 0;

  if (jr_ec_store_list (cachefd, &v, &n, NULL) < 0)
    return -1;
  for (i = 0; i < n; i++)
    {
      jr_error_t e = NULL;
      if (v[i].state == JR_EC_UNSEALED && jr_ec_seal (cachefd, v[i].key, &e) < 0)
        {
          jr_warn ("cache: %s", e->msg);
          jr_error_free (&e);
          ret = -1;
        }
      else if (v[i].state == JR_EC_TORN && drop_torn)
        {
          cleanup_close int lockfd = jr_ec_lock_key (cachefd, v[i].key, LOCK_EX | LOCK_NB, NULL);
          if (lockfd >= 0 && jr_ec_store_state (cachefd, v[i].key) == JR_EC_TORN
              && jr_ec_store_discard (cachefd, v[i].key, NULL) == 0)
            printf ("removed %s (torn: committed before the machine restarted, never sealed)\n", v[i].key);
        }
    }
  jr_ec_entries_free (v, n);
  return ret;
}

/* `cache seal [ID...]`: what create starts in the background after a
   commit; by hand it finishes pending seals now. */
static int
cmd_seal (int cachefd, int argc, char **argv, jr_error_t *err)
{
  int k;

  /* a background chore: let the containers starting on the layer go first */
  if (setpriority (PRIO_PROCESS, 0, 10) < 0)
    jr_debug ("extcache: setpriority: %s", strerror (errno));
  if (argc < 2)
    return seal_pending (cachefd, false) < 0 ? 1 : 0;
  for (k = 1; k < argc; k++)
    {
      cleanup_free char *key = NULL;
      if (jr_ec_store_resolve (cachefd, argv[k], &key, err) < 0 || jr_ec_seal (cachefd, key, err) < 0)
        return -1;
    }
  return 0;
}

/* Without --max-size, the cache's size bound (cli_max_size, else
   $JITRUN_CACHE_MAX_SIZE) if it has one. */
static int
cmd_gc (int cachefd, const char *cli_max_size, int argc, char **argv, jr_error_t *err)
{
  const char *bound;
  int64_t max_size = -1, max_age = -1;
  struct jr_ec_entry *v = NULL;
  cleanup_free bool *remove = NULL;
  size_t n = 0, i;
  int k, ret = 0;

  for (k = 1; k < argc; k++)
    {
      const char *opt = argv[k], *val = NULL, *eq = strchr (argv[k], '=');
      cleanup_free char *name = eq ? xstrndup (opt, eq - opt) : xstrdup (opt);
      if (eq)
        val = eq + 1;
      else if (k + 1 < argc)
        val = argv[++k];
      if (val == NULL)
        return jr_error (err, 0, "cache gc: %s needs a value", name);
      if (strcmp (name, "--max-size") == 0)
        {
          if (jr_parse_size (val, &max_size, err) < 0)
            return jr_error_wrap (err, "cache gc --max-size");
        }
      else if (strcmp (name, "--max-age") == 0)
        {
          if (jr_parse_duration (val, &max_age, err) < 0)
            return jr_error_wrap (err, "cache gc --max-age");
        }
      else
        return jr_error (err, 0, "cache gc: unknown argument `%s`", name);
    }
  if (max_size < 0 && resolve_max_size (cli_max_size, &bound, &max_size, err) < 0)
    return -1;
  /* a chore (create starts it in the background to keep --cache-max-size):
     let the containers go first */
  if (setpriority (PRIO_PROCESS, 0, 10) < 0)
    jr_debug ("extcache: setpriority: %s", strerror (errno));
  /* sizes are known once sealed; torn entries are useless */
  if (seal_pending (cachefd, true) < 0)
    ret = 1;
  jr_ec_staging_clean (cachefd, NULL, NULL);
  clean_trash_and_locks (cachefd);
  if (jr_ec_store_list (cachefd, &v, &n, err) < 0)
    return -1;
  remove = xmalloc0 ((n + 1) * sizeof (*remove));
  jr_ec_gc_select (v, n, max_size, max_age, time (NULL), remove);
  for (i = 0; i < n; i++)
    if (remove[i])
      {
        jr_error_t e = NULL;
        /* a create may have started using it since the listing: skip it */
        if (jr_ec_store_remove (cachefd, v[i].key, &e) < 0)
          {
            jr_warn ("cache gc: %s", e->msg);
            jr_error_free (&e);
            continue;
          }
        printf ("removed %s\n", v[i].key);
      }
  jr_ec_entries_free (v, n);
  return ret;
}

static int
cmd_verify (int cachefd, int argc, char **argv, jr_error_t *err)
{
  struct jr_ec_entry *v = NULL;
  size_t n = 0, i;
  int k, bad = 0;
  char **keys = NULL;
  size_t nkeys = 0;

  if (argc > 1)
    {
      keys = xmalloc0 (argc * sizeof (*keys));
      for (k = 1; k < argc; k++)
        if (jr_ec_store_resolve (cachefd, argv[k], &keys[nkeys++], err) < 0)
          {
            jr_strv_free (keys);
            return -1;
          }
    }
  else
    {
      if (jr_ec_store_list (cachefd, &v, &n, err) < 0)
        return -1;
      keys = xmalloc0 ((n + 1) * sizeof (*keys));
      for (i = 0; i < n; i++)
        keys[nkeys++] = xstrdup (v[i].key);
      jr_ec_entries_free (v, n);
    }
  for (i = 0; i < nkeys; i++)
    {
      cleanup_free char *problem = NULL;
      int r;
      /* the digest is made by the seal: finish it first (or wait for it) */
      if (jr_ec_store_state (cachefd, keys[i]) == JR_EC_TORN)
        {
          printf ("%s: CORRUPTED: committed before the machine restarted and never sealed\n", keys[i]);
          bad++;
          continue;
        }
      if (jr_ec_seal (cachefd, keys[i], err) < 0)
        {
          jr_strv_free (keys);
          return -1;
        }
      r = jr_ec_verify (cachefd, keys[i], &problem, err);
      if (r < 0)
        {
          jr_strv_free (keys);
          return -1;
        }
      if (r == 1)
        printf ("%s: ok\n", keys[i]);
      else
        {
          printf ("%s: CORRUPTED: %s\n", keys[i], problem);
          bad++;
        }
    }
  jr_strv_free (keys);
  return bad ? 1 : 0;
}

static const char cache_usage[]
    = "Usage: jitrun cache COMMAND\n"
      "\n"
      "Manage the just-in-time extension cache.\n"
      "\n"
      "Commands:\n"
      "  list [--format table|json]   list the cached layers\n"
      "  inspect ID...                print an entry's metadata (JSON)\n"
      "  rm ID...                     remove entries not in use\n"
      "  gc [--max-size SIZE] [--max-age DURATION]\n"
      "                               remove stale leftovers, entries unused for\n"
      "                               DURATION, then least recently used entries\n"
      "                               until the cache is at most SIZE (default:\n"
      "                               --cache-max-size, $JITRUN_CACHE_MAX_SIZE)\n"
      "  verify [ID...]               re-check layer content digests\n"
      "  seal [ID...]                 make committed layers durable and digest them\n"
      "                               (run in the background by create)\n"
      "  empty-trash                  remove what deleted containers and removed\n"
      "                               entries left, make spare container dirs\n"
      "                               (run in the background by delete)\n"
      "  push ID [--registry REPO] [--format json]\n"
      "                               push an entry to a registry repository\n"
      "  pull REPO:KEY [--format json]\n"
      "                               pull an entry from a registry\n"
      "\n"
      "ID is a cache key or a unique prefix of one.\n";

/* ---- the session of one create ------------------------------------------ */

/* The container's dirs, with the in-use marker (from then on gc leaves the
   layer alone), and its overlay, detached (every fd it names must be in
   the runtime's mount namespace: the kernel refuses layers from another
   one): the fd of the mount, or -1 with the dirs removed.  Under the key's
   shared lock. */
static int
make_hit_overlay (const struct jr_extcache_session *s, int cachefd, int rootfd, jr_error_t *err)
{
  cleanup_close int cfd
      = jr_ec_container_dir_create (cachefd, s->container_id, s->hit_key, session_root_tag (s), err);
  int mntfd = -1;

  if (cfd >= 0)
    mntfd = s->spec->root && s->spec->root->readonly
                ? readonly_hit_overlay (cachefd, rootfd, s->hit_key, err)
                : container_overlay (cachefd, cfd, rootfd, s->hit_key, err);
  if (mntfd < 0)
    {
      note_if_cache_full (s->cache_dir, err);
      jr_ec_container_dir_remove (cachefd, s->container_id, NULL);
    }
  return mntfd;
}

static void
close_pending (struct jr_extcache_session *s)
{
  int *fds[] = { &s->pending_lockfd, &s->pending_rootfd, &s->pending_cachefd };

  for (size_t i = 0; i < sizeof (fds) / sizeof (fds[0]); i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
}

/* A local hit is prepared here, in the runtime before the fork, where
   nothing costs a copy-on-write fault: lock the key shared, check the
   entry, record the use, make the container's dirs and overlay; or, with
   overlay_after_fork, keep what these need (the lock included) for
   jr_extcache_overlay_after_fork. */
static int
prepare_local_hit (struct jr_extcache_session *s, int rootfd, jr_error_t *err)
{
  /* the root's tag is for the container dir, made here on a hit, by the
     init on a miss */
  cleanup_close int cachefd = s->state_root
                                  ? jr_ec_store_open_as (s->cache_dir, s->state_root, s->root_tag, err)
                                  : jr_ec_store_open (s->cache_dir, err);
  cleanup_close int lockfd = -1;
  enum jr_ec_state state;
  struct stat meta_st;
  int64_t t0 = jr_now_ns ();

  if (cachefd < 0)
    return -1;
  lockfd = jr_ec_lock_key (cachefd, s->key.key, LOCK_SH, err);
  if (lockfd < 0)
    return -1;
  state = jr_ec_store_state_stat (cachefd, s->key.key, &meta_st);
  if (state != JR_EC_SEALED && state != JR_EC_UNSEALED)
    return 0; /* the init finds out who builds it */
  memcpy (s->hit_key, s->key.key, sizeof (s->hit_key));
  jr_ec_store_touch_stat (cachefd, s->key.key, &meta_st);
  if (s->overlay_after_fork)
    {
      s->pending_rootfd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
      if (s->pending_rootfd < 0)
        return jr_error (err, errno, "dup the rootfs fd");
      s->pending_cachefd = jr_steal_fd (cachefd);
      s->pending_lockfd = jr_steal_fd (lockfd);
    }
  else if ((s->hit_mountfd = make_hit_overlay (s, cachefd, rootfd, err)) < 0)
    return -1;
  s->hit = true;
  s->hit_sealed = state == JR_EC_SEALED;
  jr_debug ("extcache: hit on %.12s for %s %s prepared in %.3f ms%s", s->key.key, s->cfg.app, s->cfg.version,
            (jr_now_ns () - t0) / 1e6,
            s->overlay_after_fork ? " (its dirs and overlay come after the fork)" : "");
  return 0;
}

/* Runs while the init creates its namespaces (it needs the overlay ~0.75
   ms after it starts, here; this is done by ~0.5): each page written now
   is a copy-on-write fault (~20 us here), so nothing on the way
   allocates.  The lock goes once the in-use marker is there. */
int
jr_extcache_overlay_after_fork (struct jr_extcache_session *s, jr_error_t *err)
{
  int mntfd;

  if (s == NULL || s->pending_cachefd < 0)
    return jr_error (err, EINVAL, "extension cache: no overlay left to make after the fork");
  mntfd = make_hit_overlay (s, s->pending_cachefd, s->pending_rootfd, err);
  close_pending (s);
  return mntfd;
}

static bool
has_user_namespace (const struct oci_spec *spec)
{
  size_t i;

  if (spec->linux_ == NULL)
    return false;
  for (i = 0; i < spec->linux_->namespaces_len; i++)
    if (spec->linux_->namespaces[i].type && strcmp (spec->linux_->namespaces[i].type, "user") == 0)
      return true;
  return false;
}

/* The session's preparation: key, registry, local hit. */
static int
prepare_session (struct jr_extcache_session *s, const char *rootfs, jr_error_t *err)
{
  cleanup_close int rootfd = -1;

  /* the rootfs as the init will see it before the spec's mounts */
  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return jr_error (err, errno, "open rootfs `%s`", rootfs);
  if (jr_ec_key_compute (&s->cfg, s->spec, rootfd, &s->key, err) < 0)
    return -1;
  s->have_key = true;
  if (jr_registry_prefetch (s->cache_dir, s->spec, &s->cfg, &s->key, s->registry, s->insecure_registries, err)
      < 0)
    return -1;
  return prepare_local_hit (s, rootfd, err);
}

int
jr_extcache_create_begin (const struct jr_extcache_opts *opts, const struct oci_spec *spec,
                          const char *container_id, const char *rootfs, struct jr_extcache_session **session,
                          jr_error_t *err)
{
  struct jr_extcache_session *s;
  int64_t bound; /* checked here; the background gc reads it again */

  *session = NULL;
  if (!jr_extcache_wanted (spec))
    return 0;
  s = xmalloc0 (sizeof (*s));
  s->hit_mountfd = -1;
  s->pending_cachefd = s->pending_lockfd = s->pending_rootfd = -1;
  s->overlay_after_fork = opts->overlay_after_fork;
  s->cache_dir = xstrdup (jr_extcache_dir (opts->cache_dir));
  s->container_id = xstrdup (container_id);
  s->spec = spec;
  s->registry = opts->registry;
  s->insecure_registries = opts->insecure_registries;
  s->state_root = opts->state_root;
  if (jr_ec_config_parse (&spec->annotations, &s->cfg, err) < 0
      || resolve_max_size (opts->max_size, &s->max_size, &bound, err) < 0)
    goto fail;
  if (has_user_namespace (spec))
    {
      /* Its init is an unprivileged user on the host: it can open neither
         the root-only cache nor the root-owned upper dirs it would mount. */
      jr_error (err, 0,
                "annotation `%s`: the extension cache does not support containers with a user namespace",
                JR_EC_ANN_BOOTSTRAP);
      goto fail;
    }
  /* Before the fork, where nothing is copy-on-write yet: after it, every
     page first written costs a fault (20-50 us on a VM), in either
     process, and slows the other one down. */
  if (prepare_session (s, rootfs, err) < 0)
    goto fail;
  if (s->hit)
    {
      /* what only a miss needs: freed now, since after the fork each page
         a free() writes to is a copy-on-write fault (3 of them: ~45 us) */
      jr_ec_key_free (&s->key);
      s->have_key = false;
      jr_ec_config_free (&s->cfg);
    }
  *session = s;
  return 0;

fail:
  jr_extcache_create_end (s, NULL, false);
  return -1;
}

const char *
jr_extcache_session_record (const struct jr_extcache_session *session)
{
  return session->hit ? session->hit_key : NULL;
}

void
jr_extcache_create_end (struct jr_extcache_session *s, const char *record, bool created)
{
  if (s == NULL)
    return;
  if (created && record && strcmp (record, "-") != 0)
    {
      if (!s->hit_sealed)
        seal_in_background (s->cache_dir, record, s->max_size);
      jr_registry_after_create (s->cache_dir, s->spec, record, s->registry, s->insecure_registries);
    }
  close_pending (s);
  /* first: the overlay (detached, or attached in the namespace of an init
     that died) holds the container's dirs until its last fd goes */
  if (s->hit_mountfd >= 0)
    close (s->hit_mountfd);
  if (!created && (s->hit || (record && strcmp (record, "-") != 0)))
    {
      cleanup_close int cachefd = open (s->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cachefd >= 0)
        jr_ec_container_dir_remove (cachefd, s->container_id, NULL);
    }
  if (s->have_key)
    jr_ec_key_free (&s->key);
  jr_ec_config_free (&s->cfg);
  free (s->container_id);
  free (s->cache_dir);
  free (s);
}

int
jr_extcache_cli (const struct jr_extcache_opts *opts, int argc, char **argv, jr_error_t *err)
{
  const char *cache_dir = jr_extcache_dir (opts->cache_dir);
  cleanup_close int cachefd = -1;
  const char *cmd = argc > 0 ? argv[0] : NULL;

  if (cmd == NULL || strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0 || strcmp (cmd, "help") == 0)
    {
      fputs (cache_usage, cmd ? stdout : stderr);
      return cmd ? 0 : 1;
    }
  /* registry push/pull (issue 4): registry_cache.c */
  if (strcmp (cmd, "push") == 0 || strcmp (cmd, "pull") == 0)
    return jr_registry_cli (cache_dir, opts->registry, opts->insecure_registries, argc, argv, err);
  if (strcmp (cmd, "list") != 0 && strcmp (cmd, "ls") != 0 && strcmp (cmd, "inspect") != 0
      && strcmp (cmd, "rm") != 0 && strcmp (cmd, "gc") != 0 && strcmp (cmd, "verify") != 0
      && strcmp (cmd, "empty-trash") != 0 && strcmp (cmd, "seal") != 0)
    return jr_error (err, 0, "cache: unknown command `%s`", cmd);
  cachefd = jr_ec_store_open (cache_dir, err);
  if (cachefd < 0)
    return -1;
  if (strcmp (cmd, "list") == 0 || strcmp (cmd, "ls") == 0)
    return cmd_list (cachefd, argc, argv, err);
  if (strcmp (cmd, "inspect") == 0)
    return cmd_inspect (cachefd, argc, argv, err);
  if (strcmp (cmd, "rm") == 0)
    return cmd_rm (cachefd, argc, argv, err);
  if (strcmp (cmd, "gc") == 0)
    return cmd_gc (cachefd, opts->max_size, argc, argv, err);
  if (strcmp (cmd, "seal") == 0)
    return cmd_seal (cachefd, argc, argv, err);
  if (strcmp (cmd, "empty-trash") == 0)
    return argc > 1 ? jr_error (err, 0, "cache empty-trash: unexpected argument `%s`", argv[1])
                    : empty_trash_and_refill (cachefd, err);
  return cmd_verify (cachefd, argc, argv, err);
}
