/* jitrun extension cache - pulling and pushing layers through a registry.
 *
 * Both run outside the container: the pull in `create` before the
 * container's namespaces exist (its network namespace usually cannot
 * reach the registry), the push in a detached process forked by `create`
 * once the container is created.  Locking follows store.h: the pull holds
 * the key's lock LOCK_EX like a bootstrap would (so concurrent creates
 * queue behind one pull), the push LOCK_SH like a user of the layer. */
#define _GNU_SOURCE
#include <config.h>
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "extcache.h"
#include "key.h"
#include "layer_tar.h"
#include "libjitrun/log.h"
#include "libjitrun/utils.h"
#include "snapshot.h"
#include "store.h"

#define ANN_PREFIX      "run.jitrun."
#define MAX_CONFIG_SIZE (1 << 20)

const char *
jr_registry_for_spec (const struct oci_spec *spec, const char *cli_registry)
{
  const char *s = spec ? oci_string_map_get (&spec->annotations, JR_REG_ANN_REGISTRY) : NULL;

  if (s && *s)
    return s;
  if (cli_registry && *cli_registry)
    return cli_registry;
  s = getenv (JR_REG_ENV);
  return s && *s ? s : NULL;
}

static bool
key_valid (const char *k)
{
  size_t i;

  if (k == NULL || strlen (k) != 64)
    return false;
  for (i = 0; i < 64; i++)
    if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
      return false;
  return true;
}

static void
sha256_hex (const void *buf, size_t len, char out[JR_LAYER_DIGEST_LEN])
{
  memcpy (out, "sha256:", 7);
  jr_ec_sha256_hex (buf, len, out + 7);
}

static void
map_free (struct oci_string_map *m)
{
  size_t i;

  for (i = 0; i < m->len; i++)
    {
      free (m->keys[i]);
      free (m->values[i]);
    }
  free (m->keys);
  free (m->values);
  memset (m, 0, sizeof (*m));
}

static int
tmpfile_in (int cachefd, jr_error_t *err)
{
  int fd = openat (cachefd, "staging", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0)
    return jr_error (err, errno, "create a temporary file in the cache's staging dir");
  return fd;
}

static const char *
jstr (const struct oci_jvalue *o, const char *k)
{
  const char *s = o ? oci_jvalue_str (oci_jobject_get (o, k)) : NULL;

  return s ? s : "";
}

static void
write_state (int entryfd, struct oci_jvalue *state)
{
  cleanup_free char *json = oci_jvalue_to_json (state, true);
  jr_error_t e = NULL;

  if (json && jr_write_file_atomic_at (entryfd, JR_REG_STATE_FILE, json, strlen (json), 0600, &e) < 0)
    {
      jr_warn ("extcache: cannot record the registry state: %s", e->msg);
      jr_error_free (&e);
    }
}

/* ---- push ---------------------------------------------------------------- */

static int
push_locked (int cachefd, const char *key, const struct jr_registry_ref *ref, const char *cli_insecure,
             struct oci_jvalue *result, jr_error_t *err)
{
  cleanup_free char *entry = xasprintf ("layers/%s", key);
  cleanup_free char *meta_json = NULL;
  cleanup_free char *perr = NULL;
  cleanup_free char *config_json = NULL;
  cleanup_free char *manifest_json = NULL;
  cleanup_free char *created = NULL;
  cleanup_close int entryfd = -1;
  cleanup_close int layerfd = -1;
  cleanup_close int blobfd = -1;
  cleanup_close int configfd = -1;
  struct oci_jvalue *meta = NULL;
  struct oci_image_config cfg = { 0 };
  struct oci_image_manifest m = { 0 };
  struct oci_descriptor layer = { 0 };
  struct jr_layer_blob blob;
  struct jr_registry *reg = NULL;
  char config_digest[JR_LAYER_DIGEST_LEN], manifest_digest[JR_LAYER_DIGEST_LEN];
  char *diff_ids[1];
  size_t len = 0, i;
  int64_t t0 = jr_now_ns ();
  int ret = -1;
  static const char *const ann_fields[]
      = { "app", "version", "os", "os.version", "architecture", "variant", "key" };

  entryfd = openat (cachefd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (entryfd < 0)
    return jr_error (err, errno, "open cache entry `%s`", key);
  if (jr_read_file_at (entryfd, "meta.json", &meta_json, &len, err) < 0)
    return -1;
  meta = oci_jvalue_parse (meta_json, len, &perr);
  if (meta == NULL)
    return jr_error (err, 0, "cache entry `%s`: meta.json: %s", key, perr ? perr : "invalid JSON");
  layerfd = openat (entryfd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (layerfd < 0)
    {
      jr_error (err, errno, "open the layer of `%s`", key);
      goto out;
    }
  blobfd = tmpfile_in (cachefd, err);
  if (blobfd < 0 || jr_layer_pack (layerfd, blobfd, &blob, err) < 0)
    goto out;

  /* an image config, so that the artifact is also a regular image; the
     cache metadata rides along as labels */
  created = xstrdup (*jstr (meta, "created") ? jstr (meta, "created") : "1970-01-01T00:00:00Z");
  cfg.created = created;
  cfg.architecture = (char *)jstr (meta, "architecture");
  cfg.variant = *jstr (meta, "variant") ? (char *)jstr (meta, "variant") : NULL;
  cfg.os = "linux";
  cfg.has_config = true;
  for (i = 0; i < oci_jobject_len (meta); i++)
    {
      const char *k = oci_jobject_key_at (meta, i);
      const struct oci_jvalue *v = oci_jobject_value_at (meta, i);
      cleanup_free char *lk = xasprintf (ANN_PREFIX "%s", k);
      int64_t n;
      if (oci_jvalue_str (v))
        oci_string_map_set (&cfg.config.labels, lk, oci_jvalue_str (v));
      else if (oci_jvalue_int (v, &n))
        {
          cleanup_free char *s = xasprintf ("%lld", (long long)n);
          oci_string_map_set (&cfg.config.labels, lk, s);
        }
    }
  cfg.rootfs_type = "layers";
  diff_ids[0] = blob.diff_id;
  cfg.diff_ids = diff_ids;
  cfg.diff_ids_len = 1;
  config_json = oci_image_config_to_json (&cfg, false);
  if (config_json == NULL)
    abort ();
  sha256_hex (config_json, strlen (config_json), config_digest);
  configfd = tmpfile_in (cachefd, err);
  if (configfd < 0)
    goto out;
  if (jr_write_all (configfd, config_json, strlen (config_json)) < 0)
    {
      jr_error (err, errno, "write the image config");
      goto out;
    }

  if (jr_registry_open (ref, cli_insecure, true, &reg, err) < 0)
    goto out;
  if (jr_registry_blob_push (reg, blob.digest, blobfd, blob.size, err) < 0
      || jr_registry_blob_push (reg, config_digest, configfd, strlen (config_json), err) < 0)
    goto out;

  m.schema_version = 2;
  m.media_type = JR_REG_MT_MANIFEST;
  m.config.media_type = JR_REG_MT_CONFIG;
  m.config.digest = config_digest;
  m.config.size = strlen (config_json);
  layer.media_type = JR_LAYER_MEDIA_TYPE_GZIP;
  layer.digest = blob.digest;
  layer.size = blob.size;
  oci_string_map_set (&layer.annotations, ANN_PREFIX "key", key);
  m.layers = &layer;
  m.layers_len = 1;
  for (i = 0; i < sizeof (ann_fields) / sizeof (ann_fields[0]); i++)
    {
      cleanup_free char *k = xasprintf (ANN_PREFIX "%s", ann_fields[i]);
      oci_string_map_set (&m.annotations, k, jstr (meta, ann_fields[i]));
    }
  oci_string_map_set (&m.annotations, "org.opencontainers.image.created", created);
  manifest_json = oci_image_manifest_to_json (&m, false);
  if (manifest_json == NULL)
    abort ();
  sha256_hex (manifest_json, strlen (manifest_json), manifest_digest);
  if (jr_registry_manifest_put (reg, key, manifest_json, strlen (manifest_json), err) < 0)
    goto out;

  {
    const struct jr_registry_stats *st = jr_registry_stats (reg);
    cleanup_free char *refstr = xasprintf ("%s/%s:%s", ref->host, ref->repo, key);
    cleanup_free char *now = jr_rfc3339_now ();
    oci_jobject_set_str (result, "status", "pushed");
    oci_jobject_set_str (result, "key", key);
    oci_jobject_set_str (result, "reference", refstr);
    oci_jobject_set_str (result, "manifestDigest", manifest_digest);
    oci_jobject_set_str (result, "layerDigest", blob.digest);
    oci_jobject_set_str (result, "diffId", blob.diff_id);
    oci_jobject_set_int (result, "layerSize", blob.size);
    oci_jobject_set_int (result, "blobsUploaded", st->blobs_uploaded);
    oci_jobject_set_int (result, "bytesUploaded", st->bytes_uploaded);
    oci_jobject_set_int (result, "blobsSkipped", st->blobs_skipped);
    oci_jobject_set_double (result, "seconds", (jr_now_ns () - t0) / 1e9);
    oci_jobject_set_str (result, "time", now);
    write_state (entryfd, result);
  }
  ret = 0;

out:
  jr_registry_close (reg);
  map_free (&cfg.config.labels);
  map_free (&layer.annotations);
  map_free (&m.annotations);
  oci_jvalue_free (meta);
  return ret;
}

int
jr_registry_push_entry (const char *cache_dir, const char *id, const char *ref_str, const char *cli_insecure,
                        char **result_json, jr_error_t *err)
{
  struct jr_registry_ref ref;
  cleanup_free char *key = NULL;
  cleanup_close int cachefd = -1;
  cleanup_close int lockfd = -1;
  struct oci_jvalue *result = NULL;
  int ret = -1;

  if (jr_registry_ref_parse (ref_str, &ref, err) < 0)
    return -1;
  if (ref.tag || ref.digest)
    {
      jr_error (err, 0, "registry `%s`: give a repository; the tag is the cache key", ref_str);
      goto out;
    }
  cachefd = jr_ec_store_open (cache_dir, err);
  if (cachefd < 0 || jr_ec_store_resolve (cachefd, id, &key, err) < 0)
    goto out;
  /* as a user of the layer: gc/rm cannot remove it under us */
  lockfd = jr_ec_lock_key (cachefd, key, LOCK_SH, err);
  if (lockfd < 0)
    goto out;
  /* the labels carry the content digest and size: made by the seal */
  if (jr_ec_seal (cachefd, key, err) < 0)
    goto out;
  result = oci_jobject_new ();
  if (push_locked (cachefd, key, &ref, cli_insecure, result, err) < 0)
    goto out;
  if (result_json)
    *result_json = oci_jvalue_to_json (result, false);
  ret = 0;

out:
  if (ret < 0 && key && cachefd >= 0)
    {
      /* record the failure next to the entry, for `cache inspect` users */
      cleanup_free char *entry = xasprintf ("layers/%s", key);
      cleanup_close int entryfd = openat (cachefd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (entryfd >= 0 && err && *err)
        {
          struct oci_jvalue *st = oci_jobject_new ();
          cleanup_free char *now = jr_rfc3339_now ();
          cleanup_free char *refstr = xasprintf ("%s/%s:%s", ref.host, ref.repo, key);
          oci_jobject_set_str (st, "status", "failed");
          oci_jobject_set_str (st, "reference", refstr);
          oci_jobject_set_str (st, "error", (*err)->msg);
          oci_jobject_set_str (st, "time", now);
          write_state (entryfd, st);
          oci_jvalue_free (st);
        }
    }
  oci_jvalue_free (result);
  jr_registry_ref_free (&ref);
  return ret;
}

/* ---- pull ---------------------------------------------------------------- */

static bool
layer_media_type_ok (const char *mt)
{
  return mt
         && (strcmp (mt, JR_LAYER_MEDIA_TYPE_GZIP) == 0 || strcmp (mt, JR_LAYER_MEDIA_TYPE_TAR) == 0
             || strcmp (mt, "application/vnd.oci.image.layer.v1.tar+zstd") == 0
             || strcmp (mt, "application/vnd.docker.image.rootfs.diff.tar.gzip") == 0);
}

/* With the key locked LOCK_EX (when known) or by the caller. */
static int
pull_manifest (struct jr_registry *reg, const char *refname, const char *expect_key,
               struct oci_image_manifest **out, char **key_out, char manifest_digest[JR_LAYER_DIGEST_LEN],
               jr_error_t *err)
{
  cleanup_free char *body = NULL;
  cleanup_free char *perr = NULL;
  struct oci_image_manifest *m;
  const char *key;
  size_t len = 0;

  *out = NULL;
  if (jr_registry_manifest_get (reg, refname, &body, &len, err) < 0)
    return -1;
  if (body == NULL)
    return 0;
  sha256_hex (body, len, manifest_digest);
  if (jr_registry_digest_valid (refname) && strcmp (refname, manifest_digest) != 0)
    return jr_error (err, 0, "manifest digest mismatch: expected %s, got %s", refname, manifest_digest);
  m = oci_image_manifest_parse (body, len, "manifest", &perr);
  if (m == NULL)
    return jr_error (err, 0, "invalid manifest `%s`: %s", refname, perr ? perr : "?");
  key = oci_string_map_get (&m->annotations, ANN_PREFIX "key");
  if (m->layers_len != 1 || !layer_media_type_ok (m->layers[0].media_type)
      || !jr_registry_digest_valid (m->layers[0].digest))
    {
      oci_image_manifest_free (m);
      return jr_error (err, 0, "manifest `%s` is not a jitrun cache layer (one tar layer expected)", refname);
    }
  if (!key_valid (key))
    {
      oci_image_manifest_free (m);
      return jr_error (err, 0, "manifest `%s` has no valid `" ANN_PREFIX "key` annotation", refname);
    }
  if (expect_key && strcmp (key, expect_key) != 0)
    {
      jr_error (err, 0, "manifest `%s` is for key %.12s, expected %.12s", refname, key, expect_key);
      oci_image_manifest_free (m);
      return -1;
    }
  *key_out = xstrdup (key);
  *out = m;
  return 1;
}

/* Fetch, verify, unpack and commit.  The key is locked LOCK_EX. */
static int
pull_locked (int cachefd, struct jr_registry *reg, const char *refstr, const struct oci_image_manifest *m,
             const char *key, const char *manifest_digest, struct oci_jvalue *result, jr_error_t *err)
{
  const struct oci_descriptor *l = &m->layers[0];
  struct jr_layer_limits limits;
  struct jr_layer_blob blob;
  struct jr_ec_config cfg = { 0 };
  struct jr_ec_key k = { 0 };
  cleanup_free char *name = NULL;
  cleanup_close int blobfd = -1;
  cleanup_close int sfd = -1;
  cleanup_close int layerfd = -1;
  int64_t t0 = jr_now_ns ();
  const char *compat;
  int ret = -1;

  jr_layer_limits_default (&limits);
  if (l->size > limits.max_bytes)
    return jr_error (err, 0, "layer %s of %lld bytes exceeds the limit of %lld", l->digest,
                     (long long)l->size, (long long)limits.max_bytes);
  jr_ec_staging_clean (cachefd, key, NULL);
  if (jr_ec_staging_create (cachefd, key, &name, err) < 0)
    return -1;
  {
    cleanup_free char *dir = xasprintf ("staging/%s", name);
    sfd = openat (cachefd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (sfd < 0)
    {
      jr_error (err, errno, "open staging dir `%s`", name);
      goto out;
    }
  layerfd = openat (sfd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  blobfd = tmpfile_in (cachefd, err);
  if (layerfd < 0 || blobfd < 0)
    {
      if (layerfd < 0)
        jr_error (err, errno, "open staging layer dir");
      goto out;
    }
  if (jr_registry_blob_fetch (reg, l->digest, limits.max_bytes, blobfd, err) < 0)
    goto out;
  if (jr_layer_unpack (blobfd, l->digest, layerfd, &limits, &blob, err) < 0)
    {
      jr_error_wrap (err, "layer %s from `%s` refused", l->digest, refstr);
      goto out;
    }

  {
    struct oci_jvalue *st = oci_jobject_new ();
    cleanup_free char *now = jr_rfc3339_now ();
    oci_jobject_set_str (st, "status", "pulled");
    oci_jobject_set_str (st, "reference", refstr);
    oci_jobject_set_str (st, "manifestDigest", manifest_digest);
    oci_jobject_set_str (st, "layerDigest", l->digest);
    oci_jobject_set_int (st, "layerSize", blob.size);
    oci_jobject_set_str (st, "time", now);
    write_state (sfd, st);
    oci_jvalue_free (st);
  }

  /* the entry's metadata, from the manifest's annotations */
  cfg.app = (char *)(oci_string_map_get (&m->annotations, ANN_PREFIX "app") ?: "");
  cfg.version = (char *)(oci_string_map_get (&m->annotations, ANN_PREFIX "version") ?: "");
  compat = oci_string_map_get (&m->annotations, ANN_PREFIX "compat");
  cfg.compat_major = compat && strcmp (compat, "major") == 0;
  k.version_key = cfg.version;
  k.os_id = (char *)(oci_string_map_get (&m->annotations, ANN_PREFIX "os") ?: "");
  k.os_version = (char *)(oci_string_map_get (&m->annotations, ANN_PREFIX "os.version") ?: "");
  k.arch = (char *)(oci_string_map_get (&m->annotations, ANN_PREFIX "architecture") ?: "");
  k.variant = (char *)(oci_string_map_get (&m->annotations, ANN_PREFIX "variant") ?: "");
  memcpy (k.key, key, 65);
  if (jr_ec_commit (cachefd, name, &cfg, &k, 0.0, err) < 0)
    goto out;
  free (name);
  name = NULL;

  oci_jobject_set_str (result, "status", "pulled");
  oci_jobject_set_str (result, "key", key);
  oci_jobject_set_str (result, "reference", refstr);
  oci_jobject_set_str (result, "manifestDigest", manifest_digest);
  oci_jobject_set_str (result, "layerDigest", l->digest);
  oci_jobject_set_int (result, "layerSize", blob.size);
  oci_jobject_set_int (result, "entries", blob.entries);
  oci_jobject_set_double (result, "seconds", (jr_now_ns () - t0) / 1e9);
  ret = 0;

out:
  if (name)
    {
      cleanup_free char *dir = xasprintf ("staging/%s", name);
      jr_rm_rf_at (cachefd, dir, NULL);
    }
  return ret;
}

/* Pull `refname` of `ref`'s repository.  lock: take the key's lock here
   (false: the caller holds it LOCK_EX). Returns 1 pulled (or already
   present), 0 not in the registry. */
static int
pull_ref (int cachefd, const struct jr_registry_ref *ref, const char *refname, const char *expect_key,
          const char *cli_insecure, bool lock, struct oci_jvalue *result, jr_error_t *err)
{
  struct jr_registry *reg = NULL;
  struct oci_image_manifest *m = NULL;
  cleanup_free char *key = NULL;
  cleanup_free char *refstr = xasprintf ("%s/%s%s%s", ref->host, ref->repo,
                                         jr_registry_digest_valid (refname) ? "@" : ":", refname);
  cleanup_close int lockfd = -1;
  char manifest_digest[JR_LAYER_DIGEST_LEN];
  int ret;

  if (jr_registry_open (ref, cli_insecure, false, &reg, err) < 0)
    return -1;
  ret = pull_manifest (reg, refname, expect_key, &m, &key, manifest_digest, err);
  if (ret <= 0)
    goto out;
  if (lock)
    {
      lockfd = jr_ec_lock_key (cachefd, key, LOCK_EX, err);
      if (lockfd < 0)
        {
          ret = -1;
          goto out;
        }
    }
  if (jr_ec_store_has (cachefd, key))
    {
      oci_jobject_set_str (result, "status", "present");
      oci_jobject_set_str (result, "key", key);
      oci_jobject_set_str (result, "reference", refstr);
      ret = 1;
      goto out;
    }
  ret = pull_locked (cachefd, reg, refstr, m, key, manifest_digest, result, err) < 0 ? -1 : 1;

out:
  if (m)
    oci_image_manifest_free (m);
  jr_registry_close (reg);
  return ret;
}

int
jr_registry_pull_entry (const char *cache_dir, const char *ref_str, const char *expect_key,
                        const char *cli_insecure, bool *pulled, char **result_json, jr_error_t *err)
{
  struct jr_registry_ref ref;
  cleanup_close int cachefd = -1;
  struct oci_jvalue *result = oci_jobject_new ();
  const char *refname;
  int r = -1;

  *pulled = false;
  if (jr_registry_ref_parse (ref_str, &ref, err) < 0)
    goto out;
  refname = ref.digest ? ref.digest : ref.tag ? ref.tag : expect_key;
  if (refname == NULL)
    {
      jr_error (err, 0, "registry reference `%s`: a tag (the cache key) or a digest is needed", ref_str);
      goto out;
    }
  cachefd = jr_ec_store_open (cache_dir, err);
  if (cachefd < 0)
    goto out;
  r = pull_ref (cachefd, &ref, refname, expect_key, cli_insecure, true, result, err);
  /* by hand, finish the job: durable and digested when we return */
  if (r == 1 && jr_ec_seal (cachefd, oci_jvalue_str (oci_jobject_get (result, "key")), err) < 0)
    r = -1;
  if (r >= 0)
    {
      *pulled = r == 1;
      if (r == 0)
        oci_jobject_set_str (result, "status", "not-found");
      if (result_json)
        *result_json = oci_jvalue_to_json (result, false);
    }

out:
  oci_jvalue_free (result);
  jr_registry_ref_free (&ref);
  return r < 0 ? -1 : 0;
}

/* ---- create hooks -------------------------------------------------------- */

static bool
registry_required (const struct oci_spec *spec)
{
  const char *s = oci_string_map_get (&spec->annotations, JR_REG_ANN_REQUIRED);

  return s && strcmp (s, "true") == 0;
}

int
jr_registry_prefetch (const char *cache_dir, const struct oci_spec *spec, const struct jr_ec_config *cfg,
                      const struct jr_ec_key *key, const char *cli_registry, const char *cli_insecure,
                      jr_error_t *err)
{
  const char *registry = jr_registry_for_spec (spec, cli_registry);
  struct jr_registry_ref ref = { 0 };
  cleanup_close int cachefd = -1;
  cleanup_close int lockfd = -1;
  struct oci_jvalue *result = NULL;
  jr_error_t e = NULL;
  int64_t t0 = jr_now_ns ();
  int r, ret = 0;

  if (registry == NULL)
    return 0;
  cachefd = jr_ec_store_open (cache_dir, &e);
  if (cachefd < 0)
    goto out;
  if (jr_ec_store_has (cachefd, key->key))
    goto out; /* a local hit: the registry is not asked */
  /* single-flight with local bootstraps and other pulls of this key */
  lockfd = jr_ec_lock_key (cachefd, key->key, LOCK_EX, &e);
  if (lockfd < 0 || jr_ec_store_has (cachefd, key->key))
    goto out;

  if (jr_registry_ref_parse (registry, &ref, &e) < 0)
    goto failed;
  if (ref.tag || ref.digest)
    {
      jr_error (&e, 0, "registry `%s`: give a repository; the tag is the cache key", registry);
      goto failed;
    }
  result = oci_jobject_new ();
  r = pull_ref (cachefd, &ref, key->key, key->key, cli_insecure, false, result, &e);
  if (r < 0)
    goto failed;
  if (r == 0)
    jr_info ("extcache: %.12s (%s %s) is not in registry %s either", key->key, cfg->app, cfg->version,
             registry);
  else
    jr_info ("extcache: pulled %.12s (%s %s) from %s in %.3f s", key->key, cfg->app, cfg->version, registry,
             (jr_now_ns () - t0) / 1e9);
  goto out;

failed:
  if (registry_required (spec))
    {
      ret = jr_error (err, 0, "%s is true and the layer could not be pulled from `%s`: %s",
                      JR_REG_ANN_REQUIRED, registry, e ? e->msg : "unknown error");
      goto out;
    }
  jr_warn ("extcache: pull from registry %s failed, bootstrapping locally: %s", registry, e ? e->msg : "?");

out:
  if (e && ret == 0)
    jr_debug ("extcache: registry prefetch skipped: %s", e->msg);
  jr_error_free (&e);
  oci_jvalue_free (result);
  jr_registry_ref_free (&ref);
  return ret;
}

/* Claim the push of an entry: *lockfd holds layers/<key>/push.lock
   (flock, released when its pusher exits or dies), and registry.json is
   absent, "failed", or "pushing" with nobody holding the lock (a push
   killed mid-way). */
static bool
claim_push (int entryfd, int *lockfd)
{
  cleanup_free char *json = NULL;
  cleanup_free char *perr = NULL;
  cleanup_close int fd = -1;
  static const char claim[] = "{\"status\":\"pushing\"}\n";
  size_t len = 0;

  fd = openat (entryfd, JR_REG_PUSH_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || jr_flock (fd, LOCK_EX | LOCK_NB) < 0)
    return false; /* a pusher is at work */
  if (jr_read_file_at (entryfd, JR_REG_STATE_FILE, &json, &len, NULL) == 0)
    {
      struct oci_jvalue *st = oci_jvalue_parse (json, len, &perr);
      bool retry
          = st
            && (strcmp (jstr (st, "status"), "failed") == 0 || strcmp (jstr (st, "status"), "pushing") == 0);
      oci_jvalue_free (st);
      if (!retry)
        return false;
    }
  if (jr_write_file_atomic_at (entryfd, JR_REG_STATE_FILE, claim, strlen (claim), 0600, NULL) < 0)
    return false;
  *lockfd = jr_steal_fd (fd);
  return true;
}

/* Close every fd from 3 up but keep1 and keep2 (either may be < 3). */
static void
close_fds_except (int keep1, int keep2)
{
  int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1, from = 3;

  if (lo >= from)
    {
      if (lo > from)
        syscall (SYS_close_range, from, lo - 1, 0);
      from = lo + 1;
    }
  if (hi >= from)
    {
      if (hi > from)
        syscall (SYS_close_range, from, hi - 1, 0);
      from = hi + 1;
    }
  syscall (SYS_close_range, from, ~0U, 0);
}

void
jr_registry_after_create (const char *cache_dir, const struct oci_spec *spec, const char *record,
                          const char *cli_registry, const char *cli_insecure)
{
  const char *registry = jr_registry_for_spec (spec, cli_registry);
  cleanup_free char *entry = NULL;
  cleanup_close int cachefd = -1;
  cleanup_close int entryfd = -1;
  cleanup_close int lockfd = -1;
  pid_t pid;

  if (registry == NULL || record == NULL || !key_valid (record))
    return;
  cachefd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cachefd < 0)
    return;
  entry = xasprintf ("layers/%s", record);
  entryfd = openat (cachefd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (entryfd < 0 || !claim_push (entryfd, &lockfd))
    return;

  /* detached: create returns now; the grandchild is reparented to init
     (or the nearest subreaper) and holds none of our fds but the log and
     the push lock (ours is closed when we return: the lock is then its) */
  pid = fork ();
  if (pid < 0)
    {
      jr_warn ("extcache: cannot fork the registry push: %s", strerror (errno));
      unlinkat (entryfd, JR_REG_STATE_FILE, 0);
      return;
    }
  if (pid > 0)
    {
      int status;
      waitpid (pid, &status, 0);
      return;
    }
  setsid ();
  if (fork () != 0)
    _exit (0);
  if (chdir ("/") < 0)
    _exit (1);
  {
    int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
    int logfd = jr_log_fd ();
    cleanup_free char *result = NULL;
    jr_error_t e = NULL;
    if (devnull >= 0)
      {
        dup2 (devnull, 0);
        dup2 (devnull, 1);
        if (logfd != 2)
          dup2 (devnull, 2);
      }
    close_fds_except (logfd, lockfd);
    if (jr_registry_push_entry (cache_dir, record, registry, cli_insecure, &result, &e) < 0)
      {
        jr_warn ("extcache: push of %.12s to %s failed: %s", record, registry, e->msg);
        jr_error_free (&e);
        _exit (1);
      }
    jr_info ("extcache: pushed %.12s to %s: %s", record, registry, result ? result : "");
    _exit (0);
  }
}

/* ---- `jitrun cache push|pull` --------------------------------------------- */

static int
print_result (const char *json, bool as_json)
{
  cleanup_free char *perr = NULL;
  struct oci_jvalue *o;

  if (as_json)
    {
      printf ("%s\n", json ? json : "{}");
      return 0;
    }
  o = oci_jvalue_parse (json ? json : "{}", json ? strlen (json) : 2, &perr);
  if (strcmp (jstr (o, "status"), "pushed") == 0)
    {
      int64_t nb = 0, by = 0, sk = 0;
      oci_jvalue_int (oci_jobject_get (o, "blobsUploaded"), &nb);
      oci_jvalue_int (oci_jobject_get (o, "bytesUploaded"), &by);
      oci_jvalue_int (oci_jobject_get (o, "blobsSkipped"), &sk);
      printf ("pushed %s (%s): %lld blobs uploaded (%lld bytes), %lld already present\n",
              jstr (o, "reference"), jstr (o, "manifestDigest"), (long long)nb, (long long)by, (long long)sk);
    }
  else if (strcmp (jstr (o, "status"), "not-found") == 0)
    printf ("not found\n");
  else
    printf ("%s %s: %s\n", jstr (o, "status"), jstr (o, "reference"), jstr (o, "key"));
  oci_jvalue_free (o);
  return 0;
}

int
jr_registry_cli (const char *cache_dir, const char *cli_registry, const char *cli_insecure, int argc,
                 char **argv, jr_error_t *err)
{
  const char *cmd = argv[0];
  const char *registry = NULL;
  const char *arg = NULL;
  cleanup_free char *result = NULL;
  bool json = false;
  int k;

  for (k = 1; k < argc; k++)
    {
      const char *opt = argv[k], *val = NULL;
      if (opt[0] != '-')
        {
          if (arg)
            return jr_error (err, 0, "cache %s: unexpected argument `%s`", cmd, opt);
          arg = opt;
          continue;
        }
      if (strchr (opt, '='))
        val = strchr (opt, '=') + 1;
      else if (k + 1 < argc)
        val = argv[++k];
      else
        return jr_error (err, 0, "cache %s: %s needs a value", cmd, opt);
      if (jr_has_prefix (opt, "--format") || strcmp (opt, "-f") == 0)
        {
          if (strcmp (val, "json") == 0)
            json = true;
          else if (strcmp (val, "table") != 0 && strcmp (val, "text") != 0)
            return jr_error (err, 0, "cache %s: invalid format `%s`: expected text or json", cmd, val);
        }
      else if (jr_has_prefix (opt, "--registry") && strcmp (cmd, "push") == 0)
        registry = val;
      else
        return jr_error (err, 0, "cache %s: unknown option `%s`", cmd, opt);
    }
  if (strcmp (cmd, "push") == 0)
    {
      if (arg == NULL)
        return jr_error (err, 0, "cache push: missing entry id");
      if (registry == NULL)
        registry = jr_registry_for_spec (NULL, cli_registry);
      if (registry == NULL)
        return jr_error (err, 0, "cache push: no registry: use --registry or $%s", JR_REG_ENV);
      if (jr_registry_push_entry (cache_dir, arg, registry, cli_insecure, &result, err) < 0)
        return -1;
      return print_result (result, json);
    }
  {
    bool pulled = false;
    if (arg == NULL)
      return jr_error (err, 0, "cache pull: missing reference (host/repository:KEY)");
    if (jr_registry_pull_entry (cache_dir, arg, NULL, cli_insecure, &pulled, &result, err) < 0)
      return -1;
    print_result (result, json);
    return pulled ? 0 : 2;
  }
}
