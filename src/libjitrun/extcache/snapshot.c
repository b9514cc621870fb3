/* jitrun extension cache - commit and the layer content digest.
 *
 * The commit, which create waits for, is O(1): two small files and one
 * rename.  What grows with the layer (making it durable: one syncfs; its
 * content digest: one pass over it) is the seal, done in the background
 * (see store.h for why an unsealed entry is safe to use). */
#define _GNU_SOURCE
#include <config.h>
#include "snapshot.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "key.h"
#include "libjitrun/log.h"
#include "libjitrun/utils.h"
#include "oci_spec.h"
#include "store.h"

/* overlay xattrs that change what a layer means when used as a lower */
static const char *const overlay_xattrs[] = {
  "trusted.overlay.opaque",
  "trusted.overlay.whiteout",
  "user.overlay.opaque",
  "user.overlay.whiteout",
};

struct walk
{
  struct jr_ec_sha256 md;
  int64_t size;
  int64_t files;
  char buf[1 << 16];
};

static void
md_add (struct walk *w, const void *p, size_t n)
{
  jr_ec_sha256_update (&w->md, p, n);
}

static void md_addf (struct walk *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
md_addf (struct walk *w, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0)
    abort ();
  md_add (w, s, n + 1); /* the NUL separates records */
  free (s);
}

static void
hash_xattrs (struct walk *w, int dfd, const char *name)
{
  char path[JR_PROC_FD_PATH_MAX + 256 + 2];
  char fdpath[JR_PROC_FD_PATH_MAX];
  size_t i;

  snprintf (path, sizeof (path), "%s/%s", jr_proc_fd_path (dfd, fdpath), name);
  for (i = 0; i < sizeof (overlay_xattrs) / sizeof (overlay_xattrs[0]); i++)
    {
      char value[256];
      ssize_t n = lgetxattr (path, overlay_xattrs[i], value, sizeof (value));
      if (n < 0)
        continue;
      md_addf (w, "xattr %s %zd", overlay_xattrs[i], n);
      md_add (w, value, n);
    }
}

static int walk_dir (struct walk *w, int dfd, const char *prefix, jr_error_t *err);

static int
walk_entry (struct walk *w, int dfd, const char *prefix, const char *name, jr_error_t *err)
{
  cleanup_free char *rel = *prefix ? xasprintf ("%s/%s", prefix, name) : xstrdup (name);
  struct stat st;
  char type;

  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return jr_error (err, errno, "stat `%s` in the layer", rel);
  switch (st.st_mode & S_IFMT)
    {
    case S_IFREG:
      type = 'f';
      break;
    case S_IFDIR:
      type = 'd';
      break;
    case S_IFLNK:
      type = 'l';
      break;
    case S_IFCHR:
      type = 'c';
      break;
    case S_IFBLK:
      type = 'b';
      break;
    case S_IFIFO:
      type = 'p';
      break;
    default:
      type = 's';
      break;
    }
  w->files++;
  md_addf (w, "%s", rel);
  md_addf (w, "%c %o %u %u", type, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
  hash_xattrs (w, dfd, name);

  if (type == 'f')
    {
      cleanup_close int fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
      int64_t total = 0;
      if (fd < 0)
        return jr_error (err, errno, "open `%s` in the layer", rel);
      md_addf (w, "size %lld", (long long)st.st_size);
      for (;;)
        {
          ssize_t n = read (fd, w->buf, sizeof (w->buf));
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return jr_error (err, errno, "read `%s` in the layer", rel);
          if (n == 0)
            break;
          md_add (w, w->buf, n);
          total += n;
        }
      /* the file changed under us: the digest would describe nothing */
      if (total != st.st_size)
        return jr_error (err, 0, "`%s` in the layer changed while hashing it", rel);
      w->size += total;
    }
  else if (type == 'l')
    {
      ssize_t n = readlinkat (dfd, name, w->buf, sizeof (w->buf));
      if (n < 0)
        return jr_error (err, errno, "readlink `%s` in the layer", rel);
      md_addf (w, "target %zd", n);
      md_add (w, w->buf, n);
    }
  else if (type == 'c' || type == 'b')
    md_addf (w, "dev %u %u", major (st.st_rdev), minor (st.st_rdev));
  else if (type == 'd')
    {
      cleanup_close int sub = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return jr_error (err, errno, "open `%s` in the layer", rel);
      md_addf (w, "dir");
      if (walk_dir (w, sub, rel, err) < 0)
        return -1;
      md_addf (w, "end");
    }
  return 0;
}

static int
walk_dir (struct walk *w, int dfd, const char *prefix, jr_error_t *err)
{
  char **names = NULL;
  size_t n = 0, i;
  int ret = 0;

  if (jr_list_dir_sorted (dfd, &names, &n, err) < 0)
    return jr_error_wrap (err, "list `%s` in the layer", *prefix ? prefix : "/");
  for (i = 0; i < n && ret == 0; i++)
    ret = walk_entry (w, dfd, prefix, names[i], err);
  if (names)
    jr_strv_free (names);
  return ret;
}

int
jr_ec_digest_tree (int dirfd, char digest[JR_EC_DIGEST_LEN], int64_t *size, int64_t *files, jr_error_t *err)
{
  static const char digits[] = "0123456789abcdef";
  struct walk *w = xmalloc0 (sizeof (*w));
  unsigned char md[32];
  unsigned int i;
  struct stat st;
  int ret;

  jr_ec_sha256_init (&w->md);
  /* the root dir itself: its mode/owner and opaque flag matter too */
  if (fstat (dirfd, &st) < 0)
    ret = jr_error (err, errno, "stat the layer root");
  else
    {
      md_addf (w, "jitrun-layer-digest-v1");
      md_addf (w, "d %o %u %u", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
      hash_xattrs (w, dirfd, ".");
      ret = walk_dir (w, dirfd, "", err);
    }
  if (ret == 0)
    {
      jr_ec_sha256_final (&w->md, md);
      memcpy (digest, "sha256:", 7);
      for (i = 0; i < 32; i++)
        {
          digest[7 + 2 * i] = digits[md[i] >> 4];
          digest[7 + 2 * i + 1] = digits[md[i] & 0xf];
        }
      digest[7 + 64] = '\0';
      *size = w->size;
      *files = w->files;
    }
  free (w);
  return ret;
}

/* meta.json's text; frees meta */
static char *
meta_json_take (struct oci_jvalue *meta)
{
  char *json = oci_jvalue_to_json (meta, true);

  oci_jvalue_free (meta);
  if (json == NULL)
    abort ();
  return json;
}

/* The part of meta.json known at commit time; the seal adds size,
   fileCount and digest. */
static char *
commit_meta_json (const struct jr_ec_config *cfg, const struct jr_ec_key *key, double bootstrap_seconds)
{
  cleanup_free char *created = jr_rfc3339_now ();
  struct oci_jvalue *meta = oci_jobject_new ();

  oci_jobject_set_str (meta, "key", key->key);
  oci_jobject_set_str (meta, "app", cfg->app);
  oci_jobject_set_str (meta, "version", cfg->version);
  oci_jobject_set_str (meta, "compat", cfg->compat_major ? "major" : "exact");
  oci_jobject_set_str (meta, "versionKey", key->version_key);
  oci_jobject_set_str (meta, "os", key->os_id);
  oci_jobject_set_str (meta, "os.version", key->os_version);
  oci_jobject_set_str (meta, "architecture", key->arch);
  oci_jobject_set_str (meta, "variant", key->variant);
  oci_jobject_set_str (meta, "created", created);
  oci_jobject_set_double (meta, "bootstrapSeconds", bootstrap_seconds);
  oci_jobject_set_str (meta, "jitrunVersion", PACKAGE_VERSION);
  return meta_json_take (meta);
}

int
jr_ec_commit (int cachefd, const char *staging_name, const struct jr_ec_config *cfg,
              const struct jr_ec_key *key, double bootstrap_seconds, jr_error_t *err)
{
  cleanup_free char *dir = xasprintf ("staging/%s", staging_name);
  cleanup_free char *dst = xasprintf ("layers/%s", key->key);
  cleanup_free char *json = commit_meta_json (cfg, key, bootstrap_seconds);
  cleanup_free char *boot = xasprintf ("%s\n", jr_ec_boot_id ());
  cleanup_close int sfd = -1;
  int64_t t0 = jr_now_ns ();
  const char *delay;

  sfd = openat (cachefd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (sfd < 0)
    return jr_error (err, errno, "open staging dir `%s`", dir);
  /* No fsync anywhere here: the marker says the entry is not durable yet,
     and a crash of the machine (a new boot id) makes it unusable. */
  if (jr_write_file_at (sfd, JR_EC_UNSEALED_MARK, boot, strlen (boot), 0600, err) < 0
      || jr_write_file_at (sfd, "meta.json", json, strlen (json), 0600, err) < 0)
    return -1;
  /* only layer/, meta.json and the marker make an entry */
  if (jr_rm_rf_at (sfd, "work", err) < 0 || jr_rm_rf_at (sfd, "mnt", err) < 0)
    return -1;
  unlinkat (sfd, "owner", 0);

  delay = getenv (JR_EC_COMMIT_DELAY_ENV);
  if (delay != NULL && atoi (delay) > 0)
    sleep (atoi (delay));

  /* We hold the key LOCK_EX and found no usable entry: one still there
     was torn by a crash of the machine. */
  if (jr_ec_store_discard (cachefd, key->key, err) < 0)
    return -1;
  /* the commit point: before it there is no entry, after it a complete one */
  if (renameat (cachefd, dir, cachefd, dst) < 0)
    return jr_error (err, errno, "commit cache entry `%s`", key->key);
  jr_debug ("extcache: committed %s in %.3f ms (sealed in the background)", key->key,
            (jr_now_ns () - t0) / 1e6);
  return 0;
}

struct sync_job
{
  pthread_t thread;
  int fd;
  int ret;
  int err;
};

static void *
sync_thread (void *arg)
{
  struct sync_job *job = arg;

  job->ret = syncfs (job->fd);
  job->err = errno;
  return NULL;
}

/* syncfs of the layer's filesystem overlapped with the digest pass (which
   reads back what the sync writes from the page cache): the seal costs
   max(sync, hash), not their sum. */
static int
sync_and_digest (int layerfd, char digest[JR_EC_DIGEST_LEN], int64_t *size, int64_t *files, jr_error_t *err)
{
  struct sync_job job = { .fd = layerfd };
  bool threaded = pthread_create (&job.thread, NULL, sync_thread, &job) == 0;
  int r;

  if (!threaded)
    sync_thread (&job);
  r = jr_ec_digest_tree (layerfd, digest, size, files, err);
  if (threaded)
    pthread_join (job.thread, NULL);
  if (r < 0)
    return jr_error_wrap (err, "digest of the layer");
  if (job.ret < 0)
    return jr_error (err, job.err, "syncfs of the layer");
  return 0;
}

int
jr_ec_seal (int cachefd, const char *key, jr_error_t *err)
{
  cleanup_free char *entry = xasprintf ("layers/%s", key);
  cleanup_free char *json = NULL;
  cleanup_free char *perr = NULL;
  cleanup_free char *out = NULL;
  cleanup_close int entryfd = -1;
  cleanup_close int markfd = -1;
  cleanup_close int layerfd = -1;
  char digest[JR_EC_DIGEST_LEN];
  int64_t size = 0, files = 0, t0 = jr_now_ns ();
  struct oci_jvalue *meta;
  struct stat st;
  const char *delay;
  size_t len = 0;

  /* Everything goes through fds: if rm or gc move the entry to trash
     meanwhile, we seal (or fail on) an entry nobody sees any more. */
  entryfd = openat (cachefd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (entryfd < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open cache entry `%s`", key);
  markfd = openat (entryfd, JR_EC_UNSEALED_MARK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (markfd < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open `%s/%s`", entry, JR_EC_UNSEALED_MARK);
  /* one sealer at a time; the others wait and then find it done */
  if (jr_flock (markfd, LOCK_EX) < 0)
    return jr_error (err, errno, "lock `%s/%s`", entry, JR_EC_UNSEALED_MARK);
  if (fstat (markfd, &st) < 0)
    return jr_error (err, errno, "stat `%s/%s`", entry, JR_EC_UNSEALED_MARK);
  if (st.st_nlink == 0)
    return 0;
  if (!jr_ec_mark_is_this_boot (markfd))
    return jr_error (err, 0,
                     "cache entry `%s` was committed before the machine restarted and never sealed: "
                     "its content may be torn",
                     key);

  delay = getenv (JR_EC_SEAL_DELAY_ENV);
  if (delay != NULL && atoi (delay) > 0)
    sleep (atoi (delay));

  layerfd = openat (entryfd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (layerfd < 0)
    return jr_error (err, errno, "open `%s/layer`", entry);
  if (sync_and_digest (layerfd, digest, &size, &files, err) < 0)
    return jr_error_wrap (err, "seal cache entry `%s`", key);

  if (jr_read_file_at (entryfd, "meta.json", &json, &len, err) < 0)
    return -1;
  meta = oci_jvalue_parse (json, len, &perr);
  if (oci_jvalue_str (oci_jobject_get (meta, "key")) == NULL)
    {
      oci_jvalue_free (meta);
      return jr_error (err, 0, "cache entry `%s`: meta.json: %s", key, perr ? perr : "no key");
    }
  oci_jobject_set_int (meta, "size", size);
  oci_jobject_set_int (meta, "fileCount", files);
  oci_jobject_set_str (meta, "digest", digest);
  out = meta_json_take (meta);
  /* durable data (the syncfs above), then the digest (fsync + rename),
     then the marker goes: a crash at any point leaves the marker */
  if (jr_write_file_atomic_at (entryfd, "meta.json", out, strlen (out), 0600, err) < 0)
    return -1;
  if (unlinkat (entryfd, JR_EC_UNSEALED_MARK, 0) < 0)
    return jr_error (err, errno, "remove `%s/%s`", entry, JR_EC_UNSEALED_MARK);
  if (fsync (entryfd) < 0)
    return jr_error (err, errno, "fsync `%s`", entry);
  jr_debug ("extcache: sealed %s (%lld bytes, %lld files) in %.3f s", key, (long long)size, (long long)files,
            (jr_now_ns () - t0) / 1e9);
  return 1;
}

int
jr_ec_verify (int cachefd, const char *key, char **problem, jr_error_t *err)
{
  cleanup_free char *metapath = xasprintf ("layers/%s/meta.json", key);
  cleanup_free char *layerpath = xasprintf ("layers/%s/layer", key);
  cleanup_free char *json = NULL;
  cleanup_free char *perr = NULL;
  cleanup_close int layerfd = -1;
  char digest[JR_EC_DIGEST_LEN];
  int64_t size = 0, files = 0;
  struct oci_jvalue *meta;
  const char *want;
  size_t len = 0;
  int ret;

  *problem = NULL;
  if (jr_read_file_at (cachefd, metapath, &json, &len, err) < 0)
    return -1;
  meta = oci_jvalue_parse (json, len, &perr);
  if (meta == NULL)
    {
      *problem = xasprintf ("meta.json is not valid JSON: %s", perr ? perr : "?");
      return 0;
    }
  want = oci_jvalue_str (oci_jobject_get (meta, "digest"));
  if (want == NULL)
    {
      *problem = xstrdup ("meta.json has no digest");
      oci_jvalue_free (meta);
      return 0;
    }
  layerfd = openat (cachefd, layerpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (layerfd < 0)
    {
      *problem = xasprintf ("layer dir missing: %s", strerror (errno));
      oci_jvalue_free (meta);
      return 0;
    }
  if (jr_ec_digest_tree (layerfd, digest, &size, &files, err) < 0)
    {
      oci_jvalue_free (meta);
      return -1;
    }
  ret = strcmp (digest, want) == 0;
  if (!ret)
    *problem = xasprintf ("content digest %s, expected %s", digest, want);
  oci_jvalue_free (meta);
  return ret;
}
