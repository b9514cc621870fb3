/* libocispec: OCI image-spec 1.1 documents (descriptor, manifest, index,
 * image configuration).  Like the runtime side, only JSON types and ranges
 * are checked; media types and digests are the caller's business. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "oci_json.h"

/* ======================= parsing ======================= */

static int
parse_platform (struct oci_pctx *c, yajl_val v, struct oci_platform *p)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "architecture", &p->architecture));
  TRY (oci_get_str (c, v, "os", &p->os));
  TRY (oci_get_str (c, v, "os.version", &p->os_version));
  TRY (oci_get_strv (c, v, "os.features", &p->os_features, &p->os_features_len));
  TRY (oci_get_str (c, v, "variant", &p->variant));
  return 0;
}

static int
parse_descriptor (struct oci_pctx *c, yajl_val v, struct oci_descriptor *d)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "mediaType", &d->media_type));
  TRY (oci_get_str (c, v, "digest", &d->digest));
  TRY (oci_get_int (c, v, "size", 0, INT64_MAX, NULL, &d->size));
  TRY (oci_get_strv (c, v, "urls", &d->urls, &d->urls_len));
  TRY (oci_get_map (c, v, "annotations", &d->annotations));
  SUBOBJ (c, v, "platform", d->platform, parse_platform);
  TRY (oci_get_str (c, v, "artifactType", &d->artifact_type));
  return 0;
}

static int
parse_manifest (struct oci_pctx *c, yajl_val v, void *o)
{
  struct oci_image_manifest *m = o;
  int64_t sv = 0;
  yajl_val cfg;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_int (c, v, "schemaVersion", INT32_MIN, INT32_MAX, NULL, &sv));
  m->schema_version = (int)sv;
  TRY (oci_get_str (c, v, "mediaType", &m->media_type));
  TRY (oci_get_str (c, v, "artifactType", &m->artifact_type));
  if ((cfg = oci_obj_get (v, "config")))
    {
      size_t saved = oci_path_key (c, "config");
      TRY (parse_descriptor (c, cfg, &m->config));
      oci_path_restore (c, saved);
    }
  SUBARRAY (c, v, "layers", m->layers, m->layers_len, parse_descriptor);
  SUBOBJ (c, v, "subject", m->subject, parse_descriptor);
  TRY (oci_get_map (c, v, "annotations", &m->annotations));
  return 0;
}

static int
parse_index (struct oci_pctx *c, yajl_val v, void *o)
{
  struct oci_image_index *idx = o;
  int64_t sv = 0;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_int (c, v, "schemaVersion", INT32_MIN, INT32_MAX, NULL, &sv));
  idx->schema_version = (int)sv;
  TRY (oci_get_str (c, v, "mediaType", &idx->media_type));
  TRY (oci_get_str (c, v, "artifactType", &idx->artifact_type));
  SUBARRAY (c, v, "manifests", idx->manifests, idx->manifests_len, parse_descriptor);
  SUBOBJ (c, v, "subject", idx->subject, parse_descriptor);
  TRY (oci_get_map (c, v, "annotations", &idx->annotations));
  return 0;
}

/* {"80/tcp": {}, ...}: only the keys carry meaning. */
static int
parse_key_set (struct oci_pctx *c, yajl_val obj, const char *key, char ***out, size_t *len)
{
  yajl_val v = NULL;
  size_t i;
  TRY (oci_get_object (c, obj, key, &v));
  if (v == NULL)
    return 0;
  *out = oci_array_alloc (v->u.object.len, sizeof (char *));
  *len = v->u.object.len;
  for (i = 0; i < v->u.object.len; i++)
    (*out)[i] = oci_xstrdup (v->u.object.keys[i]);
  return 0;
}

static int
parse_exec_config (struct oci_pctx *c, yajl_val v, struct oci_image_exec_config *e)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "User", &e->user));
  TRY (parse_key_set (c, v, "ExposedPorts", &e->exposed_ports, &e->exposed_ports_len));
  TRY (oci_get_strv (c, v, "Env", &e->env, &e->env_len));
  TRY (oci_get_strv (c, v, "Entrypoint", &e->entrypoint, &e->entrypoint_len));
  TRY (oci_get_strv (c, v, "Cmd", &e->cmd, &e->cmd_len));
  TRY (parse_key_set (c, v, "Volumes", &e->volumes, &e->volumes_len));
  TRY (oci_get_str (c, v, "WorkingDir", &e->working_dir));
  TRY (oci_get_map (c, v, "Labels", &e->labels));
  TRY (oci_get_str (c, v, "StopSignal", &e->stop_signal));
  return 0;
}

static int
parse_history (struct oci_pctx *c, yajl_val v, struct oci_image_history *h)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "created", &h->created));
  TRY (oci_get_str (c, v, "created_by", &h->created_by));
  TRY (oci_get_str (c, v, "author", &h->author));
  TRY (oci_get_str (c, v, "comment", &h->comment));
  TRY (oci_get_bool (c, v, "empty_layer", NULL, &h->empty_layer));
  return 0;
}

static int
parse_image_config (struct oci_pctx *c, yajl_val v, void *o)
{
  struct oci_image_config *ic = o;
  yajl_val sub;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "created", &ic->created));
  TRY (oci_get_str (c, v, "author", &ic->author));
  TRY (oci_get_str (c, v, "architecture", &ic->architecture));
  TRY (oci_get_str (c, v, "os", &ic->os));
  TRY (oci_get_str (c, v, "os.version", &ic->os_version));
  TRY (oci_get_strv (c, v, "os.features", &ic->os_features, &ic->os_features_len));
  TRY (oci_get_str (c, v, "variant", &ic->variant));
  if ((sub = oci_obj_get (v, "config")))
    {
      size_t saved = oci_path_key (c, "config");
      TRY (parse_exec_config (c, sub, &ic->config));
      ic->has_config = true;
      oci_path_restore (c, saved);
    }
  sub = NULL;
  TRY (oci_get_object (c, v, "rootfs", &sub));
  if (sub)
    {
      size_t saved = oci_path_key (c, "rootfs");
      TRY (oci_get_str (c, sub, "type", &ic->rootfs_type));
      TRY (oci_get_strv (c, sub, "diff_ids", &ic->diff_ids, &ic->diff_ids_len));
      oci_path_restore (c, saved);
    }
  SUBARRAY (c, v, "history", ic->history, ic->history_len, parse_history);
  return 0;
}

static int
parse_descriptor_cb (struct oci_pctx *c, yajl_val v, void *o)
{
  return parse_descriptor (c, v, o);
}

static void
free_descriptor_cb (void *o)
{
  oci_descriptor_free (o);
}
static void
free_manifest_cb (void *o)
{
  oci_image_manifest_free (o);
}
static void
free_index_cb (void *o)
{
  oci_image_index_free (o);
}
static void
free_image_config_cb (void *o)
{
  oci_image_config_free (o);
}

struct oci_descriptor *
oci_descriptor_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "descriptor", errmsg, sizeof (struct oci_descriptor),
                             parse_descriptor_cb, free_descriptor_cb);
}

struct oci_image_manifest *
oci_image_manifest_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "manifest", errmsg, sizeof (struct oci_image_manifest),
                             parse_manifest, free_manifest_cb);
}

struct oci_image_index *
oci_image_index_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "index", errmsg, sizeof (struct oci_image_index),
                             parse_index, free_index_cb);
}

struct oci_image_config *
oci_image_config_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "image config", errmsg,
                             sizeof (struct oci_image_config), parse_image_config, free_image_config_cb);
}

/* ======================= freeing ======================= */

static void
free_platform (struct oci_platform *p)
{
  if (p == NULL)
    return;
  free (p->architecture);
  free (p->os);
  free (p->os_version);
  oci_strv_free (p->os_features, p->os_features_len);
  free (p->variant);
  free (p);
}

static void
free_descriptor_fields (struct oci_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  oci_strv_free (d->urls, d->urls_len);
  oci_string_map_free (&d->annotations);
  free_platform (d->platform);
  free (d->artifact_type);
}

static void
free_descriptor_array (struct oci_descriptor *d, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    free_descriptor_fields (&d[i]);
  free (d);
}

void
oci_descriptor_free (struct oci_descriptor *d)
{
  if (d == NULL)
    return;
  free_descriptor_fields (d);
  free (d);
}

void
oci_image_manifest_free (struct oci_image_manifest *m)
{
  if (m == NULL)
    return;
  free (m->media_type);
  free (m->artifact_type);
  free_descriptor_fields (&m->config);
  free_descriptor_array (m->layers, m->layers_len);
  oci_descriptor_free (m->subject);
  oci_string_map_free (&m->annotations);
  free (m);
}

void
oci_image_index_free (struct oci_image_index *idx)
{
  if (idx == NULL)
    return;
  free (idx->media_type);
  free (idx->artifact_type);
  free_descriptor_array (idx->manifests, idx->manifests_len);
  oci_descriptor_free (idx->subject);
  oci_string_map_free (&idx->annotations);
  free (idx);
}

void
oci_image_config_free (struct oci_image_config *ic)
{
  size_t i;
  struct oci_image_exec_config *e;
  if (ic == NULL)
    return;
  free (ic->created);
  free (ic->author);
  free (ic->architecture);
  free (ic->os);
  free (ic->os_version);
  oci_strv_free (ic->os_features, ic->os_features_len);
  free (ic->variant);
  e = &ic->config;
  free (e->user);
  oci_strv_free (e->exposed_ports, e->exposed_ports_len);
  oci_strv_free (e->env, e->env_len);
  oci_strv_free (e->entrypoint, e->entrypoint_len);
  oci_strv_free (e->cmd, e->cmd_len);
  oci_strv_free (e->volumes, e->volumes_len);
  free (e->working_dir);
  oci_string_map_free (&e->labels);
  free (e->stop_signal);
  free (ic->rootfs_type);
  oci_strv_free (ic->diff_ids, ic->diff_ids_len);
  for (i = 0; i < ic->history_len; i++)
    {
      free (ic->history[i].created);
      free (ic->history[i].created_by);
      free (ic->history[i].author);
      free (ic->history[i].comment);
    }
  free (ic->history);
  free (ic);
}

/* ======================= serializing ======================= */

static void
gen_platform (yajl_gen g, const struct oci_platform *p)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "architecture", p->architecture);
  oci_gen_kstr (g, "os", p->os);
  oci_gen_kstr (g, "os.version", p->os_version);
  oci_gen_kstrv (g, "os.features", p->os_features, p->os_features_len);
  oci_gen_kstr (g, "variant", p->variant);
  yajl_gen_map_close (g);
}

static void
gen_descriptor (yajl_gen g, const struct oci_descriptor *d)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "mediaType", d->media_type);
  oci_gen_kstr (g, "digest", d->digest);
  oci_gen_kint (g, "size", d->size);
  oci_gen_kstrv (g, "urls", d->urls, d->urls_len);
  oci_gen_kmap (g, "annotations", &d->annotations);
  if (d->platform)
    {
      oci_gen_key (g, "platform");
      gen_platform (g, d->platform);
    }
  oci_gen_kstr (g, "artifactType", d->artifact_type);
  yajl_gen_map_close (g);
}

static void
gen_descriptor_array (yajl_gen g, const char *key, const struct oci_descriptor *d, size_t n)
{
  size_t i;
  oci_gen_key (g, key);
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    gen_descriptor (g, &d[i]);
  yajl_gen_array_close (g);
}

char *
oci_descriptor_to_json (const struct oci_descriptor *d, bool pretty)
{
  yajl_gen g;
  if (d == NULL || (g = oci_gen_new (pretty)) == NULL)
    return NULL;
  gen_descriptor (g, d);
  return oci_gen_finish (g);
}

char *
oci_image_manifest_to_json (const struct oci_image_manifest *m, bool pretty)
{
  yajl_gen g;
  if (m == NULL || (g = oci_gen_new (pretty)) == NULL)
    return NULL;
  yajl_gen_map_open (g);
  oci_gen_kint (g, "schemaVersion", m->schema_version);
  oci_gen_kstr (g, "mediaType", m->media_type);
  oci_gen_kstr (g, "artifactType", m->artifact_type);
  oci_gen_key (g, "config");
  gen_descriptor (g, &m->config);
  /* layers is required by the spec, so [] rather than absent */
  gen_descriptor_array (g, "layers", m->layers, m->layers_len);
  if (m->subject)
    {
      oci_gen_key (g, "subject");
      gen_descriptor (g, m->subject);
    }
  oci_gen_kmap (g, "annotations", &m->annotations);
  yajl_gen_map_close (g);
  return oci_gen_finish (g);
}

char *
oci_image_index_to_json (const struct oci_image_index *idx, bool pretty)
{
  yajl_gen g;
  if (idx == NULL || (g = oci_gen_new (pretty)) == NULL)
    return NULL;
  yajl_gen_map_open (g);
  oci_gen_kint (g, "schemaVersion", idx->schema_version);
  oci_gen_kstr (g, "mediaType", idx->media_type);
  oci_gen_kstr (g, "artifactType", idx->artifact_type);
  gen_descriptor_array (g, "manifests", idx->manifests, idx->manifests_len);
  if (idx->subject)
    {
      oci_gen_key (g, "subject");
      gen_descriptor (g, idx->subject);
    }
  oci_gen_kmap (g, "annotations", &idx->annotations);
  yajl_gen_map_close (g);
  return oci_gen_finish (g);
}

static void
gen_key_set (yajl_gen g, const char *key, char *const *keys, size_t n)
{
  size_t i;
  if (keys == NULL && n == 0)
    return;
  oci_gen_key (g, key);
  yajl_gen_map_open (g);
  for (i = 0; i < n; i++)
    {
      oci_gen_key (g, keys[i]);
      yajl_gen_map_open (g);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

char *
oci_image_config_to_json (const struct oci_image_config *ic, bool pretty)
{
  yajl_gen g;
  size_t i;
  if (ic == NULL || (g = oci_gen_new (pretty)) == NULL)
    return NULL;
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "created", ic->created);
  oci_gen_kstr (g, "author", ic->author);
  oci_gen_kstr (g, "architecture", ic->architecture);
  oci_gen_kstr (g, "os", ic->os);
  oci_gen_kstr (g, "os.version", ic->os_version);
  oci_gen_kstrv (g, "os.features", ic->os_features, ic->os_features_len);
  oci_gen_kstr (g, "variant", ic->variant);
  if (ic->has_config)
    {
      const struct oci_image_exec_config *e = &ic->config;
      oci_gen_key (g, "config");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "User", e->user);
      gen_key_set (g, "ExposedPorts", e->exposed_ports, e->exposed_ports_len);
      oci_gen_kstrv (g, "Env", e->env, e->env_len);
      oci_gen_kstrv (g, "Entrypoint", e->entrypoint, e->entrypoint_len);
      oci_gen_kstrv (g, "Cmd", e->cmd, e->cmd_len);
      gen_key_set (g, "Volumes", e->volumes, e->volumes_len);
      oci_gen_kstr (g, "WorkingDir", e->working_dir);
      oci_gen_kmap (g, "Labels", &e->labels);
      oci_gen_kstr (g, "StopSignal", e->stop_signal);
      yajl_gen_map_close (g);
    }
  oci_gen_key (g, "rootfs");
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "type", ic->rootfs_type ? ic->rootfs_type : "layers");
  oci_gen_key (g, "diff_ids");
  oci_gen_strv (g, ic->diff_ids, ic->diff_ids_len);
  yajl_gen_map_close (g);
  if (ic->history || ic->history_len)
    {
      oci_gen_key (g, "history");
      yajl_gen_array_open (g);
      for (i = 0; i < ic->history_len; i++)
        {
          const struct oci_image_history *h = &ic->history[i];
          yajl_gen_map_open (g);
          oci_gen_kstr (g, "created", h->created);
          oci_gen_kstr (g, "created_by", h->created_by);
          oci_gen_kstr (g, "author", h->author);
          oci_gen_kstr (g, "comment", h->comment);
          if (h->empty_layer)
            oci_gen_kbool (g, "empty_layer", true);
          yajl_gen_map_close (g);
        }
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
  return oci_gen_finish (g);
}
