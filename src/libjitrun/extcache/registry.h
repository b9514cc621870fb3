/* jitrun extension cache - sharing layers through an OCI registry.
 *
 * registry.c        the OCI distribution client (libcurl, loaded with
 *                   dlopen on first use: linked, it would add tens of ms
 *                   of dynamic loading to every jitrun call);
 * registry_auth.c   auth.json, WWW-Authenticate, insecure registries;
 * registry_cache.c  what the cache does with it: pull on a local miss,
 *                   push after a bootstrap, `jitrun cache push|pull`.
 *
 * Where layers go: the annotation run.jitrun.registry, else the global
 * --registry, else $JITRUN_REGISTRY ("host[:port]/repo/path"); none =
 * local only.  A layer of key K is the tag <repo>:<K> (the 64 hex digits
 * of the key are a valid tag): one manifest (OCI image manifest, one
 * gzip'ed layer, an image config carrying the cache metadata as labels)
 * annotated with the app, version, os, os.version, architecture, variant
 * and key.
 *
 * Credentials: $REGISTRY_AUTH_FILE, else /etc/jitrun/auth.json (docker /
 * podman format {"auths": {"host:port": {"auth": base64(user:pass)}}}).
 * TLS is verified; plain http only for registries listed in
 * --insecure-registry or $JITRUN_INSECURE_REGISTRIES (comma-separated
 * host[:port]; nothing is insecure implicitly, not even loopback).
 * Timeouts: connect 5 s; a request $JITRUN_REGISTRY_TIMEOUT (a duration,
 * default 300 s; manifests and HEADs at most 30 s); a transfer slower
 * than 1 KiB/s for 30 s is aborted.
 */
#ifndef JITRUN_EXTCACHE_REGISTRY_H
#define JITRUN_EXTCACHE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libjitrun/error.h"
#include "oci_spec.h"

struct jr_ec_config;
struct jr_ec_key;

#define JR_REG_ANN_REGISTRY "run.jitrun.registry"
#define JR_REG_ANN_REQUIRED "run.jitrun.registry-required"
#define JR_REG_ENV          "JITRUN_REGISTRY"
#define JR_REG_INSECURE_ENV "JITRUN_INSECURE_REGISTRIES"
#define JR_REG_TIMEOUT_ENV  "JITRUN_REGISTRY_TIMEOUT"
#define JR_REG_AUTH_ENV     "REGISTRY_AUTH_FILE"
#define JR_REG_DEFAULT_AUTH "/etc/jitrun/auth.json"
/* next to meta.json in layers/<key>/: the entry's registry state */
#define JR_REG_STATE_FILE "registry.json"
/* held (flock) by the process pushing an entry: a "pushing" state nobody
   holds it for was left by a push killed mid-way */
#define JR_REG_PUSH_LOCK "push.lock"

#define JR_REG_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define JR_REG_MT_CONFIG   "application/vnd.oci.image.config.v1+json"

/* ---- references (registry.c) ---- */

/* "host[:port]/repo/path[:tag|@sha256:hex]".  The first component is
   always the registry host (no docker.io defaulting).  tag and digest
   may be NULL. */
struct jr_registry_ref
{
  char *host; /* "host" or "host:port" */
  char *repo; /* "repo/path" */
  char *tag;
  char *digest;
};
int jr_registry_ref_parse (const char *s, struct jr_registry_ref *ref, jr_error_t *err);
void jr_registry_ref_free (struct jr_registry_ref *ref);
bool jr_registry_tag_valid (const char *tag);       /* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
bool jr_registry_digest_valid (const char *digest); /* sha256:<64 lowercase hex> */

/* ---- auth (registry_auth.c) ---- */

struct jr_www_auth
{
  char *scheme; /* "bearer" / "basic" (lowercased) */
  char *realm;
  char *service;
  char *scope;
};
/* Parse a WWW-Authenticate value: scheme then key="value" pairs (quoted
   or token values, backslash escapes).  Returns <0 when malformed. */
int jr_registry_parse_www_auth (const char *header, struct jr_www_auth *out);
void jr_www_auth_free (struct jr_www_auth *a);

/* $REGISTRY_AUTH_FILE, else the default.  Not malloc'ed. */
const char *jr_registry_auth_file (void);
/* Credentials for `host` ("host:port") in auth.json text: an exact key,
   else one with a scheme and/or a path ("https://host:port/v1/").
   Returns 1 and sets *user and *pass (malloc'ed), 0 when absent, <0 when
   the file or the entry is malformed. */
int jr_registry_auth_lookup (const char *json, size_t len, const char *host, char **user, char **pass,
                             jr_error_t *err);
/* Is `host` listed in the comma-separated cli_list or
   $JITRUN_INSECURE_REGISTRIES? */
bool jr_registry_is_insecure (const char *host, const char *cli_list);
char *jr_base64 (const void *data, size_t len);

/* ---- the client (registry.c) ---- */

struct jr_registry;
struct jr_registry_stats
{
  int64_t blobs_uploaded;
  int64_t bytes_uploaded;
  int64_t blobs_skipped; /* already in the registry */
  int64_t bytes_downloaded;
};

/* `push` asks for a push+pull token scope rather than pull. */
int jr_registry_open (const struct jr_registry_ref *ref, const char *cli_insecure, bool push,
                      struct jr_registry **out, jr_error_t *err);
void jr_registry_close (struct jr_registry *r);
const struct jr_registry_stats *jr_registry_stats (const struct jr_registry *r);

int jr_registry_blob_exists (struct jr_registry *r, const char *digest, bool *exists, jr_error_t *err);
/* Upload fd's first `size` bytes as blob `digest` unless the registry has
   it already (HEAD first). */
int jr_registry_blob_push (struct jr_registry *r, const char *digest, int fd, int64_t size, jr_error_t *err);
/* Download blob `digest` into fd (at most max_size bytes) and verify its
   digest while receiving it. */
int jr_registry_blob_fetch (struct jr_registry *r, const char *digest, int64_t max_size, int fd,
                            jr_error_t *err);
int jr_registry_manifest_put (struct jr_registry *r, const char *tag, const char *body, size_t len,
                              jr_error_t *err);
/* *body NULL with return 0: no such manifest (404). */
int jr_registry_manifest_get (struct jr_registry *r, const char *tag_or_digest, char **body, size_t *len,
                              jr_error_t *err);

/* ---- the cache's use of it (registry_cache.c) ---- */

/* The annotation, else cli_registry, else $JITRUN_REGISTRY; NULL = none. */
const char *jr_registry_for_spec (const struct oci_spec *spec, const char *cli_registry);

/* In `create`, before the container's namespaces exist (the registry is
   reached from the host's network): on a local miss of the spec's key,
   lock it, pull its layer, verify, unpack, commit.  A registry miss is
   silent; a failure is a warning (the init then bootstraps), or an error
   with run.jitrun.registry-required=true. */
int jr_registry_prefetch (const char *cache_dir, const struct oci_spec *spec, const struct jr_ec_config *cfg,
                          const struct jr_ec_key *key, const char *cli_registry, const char *cli_insecure,
                          jr_error_t *err);

/* After a successful `create` whose record is `record` (a key, or "-"):
   when the entry was never pushed or pulled, push it from a detached
   process (double fork) and return at once.  The outcome goes to
   layers/<key>/registry.json and the log. */
void jr_registry_after_create (const char *cache_dir, const struct oci_spec *spec, const char *record,
                               const char *cli_registry, const char *cli_insecure);

/* Push one committed entry to `ref_str` (a repository); fills *result
   (a JSON object, malloc'ed) on success. */
int jr_registry_push_entry (const char *cache_dir, const char *key, const char *ref_str,
                            const char *cli_insecure, char **result_json, jr_error_t *err);
/* Pull `ref_str` (repository:tag or @digest) into the local store.
   expect_key: the key the layer must have (NULL: whatever the manifest
   says, validated).  *pulled false when the registry has no such tag. */
int jr_registry_pull_entry (const char *cache_dir, const char *ref_str, const char *expect_key,
                            const char *cli_insecure, bool *pulled, char **result_json, jr_error_t *err);

/* `jitrun cache push ID [--registry REF] [--format json]` and
   `jitrun cache pull REF [--format json]`: argv[0] is "push" or "pull".
   Returns the exit code or <0 with err set. */
int jr_registry_cli (const char *cache_dir, const char *cli_registry, const char *cli_insecure, int argc,
                     char **argv, jr_error_t *err);

#endif
