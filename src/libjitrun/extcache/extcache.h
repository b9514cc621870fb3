/* jitrun - the just-in-time extension cache: the module's whole public face.
 *
 * The container lifecycle calls it in two places:
 *  - while preparing the rootfs in `create`: jr_extcache_prepare_rootfs in
 *    the container init (in the container's namespaces and cgroup, before
 *    the spec's mounts and pivot_root), framed on the runtime's side by
 *    the session calls below (begin / prepare / end);
 *  - jr_extcache_container_delete, from `delete`.
 * Everything else (key, store, bootstrap, snapshot/commit, gc) is private
 * to src/libjitrun/extcache/.
 */
#ifndef JITRUN_EXTCACHE_H
#define JITRUN_EXTCACHE_H

#include <stdbool.h>
#include "libjitrun/error.h"
#include "oci_spec.h"

#define JR_EXTCACHE_DEFAULT_DIR "/var/lib/jitrun/cache"

/* Where the cache lives and which registry backs it (global options). */
struct jr_extcache_opts
{
  const char *cache_dir;           /* --cache-dir, else $JITRUN_CACHE_DIR, else the default */
  const char *max_size;            /* --cache-max-size, else $JITRUN_CACHE_MAX_SIZE; NULL: none */
  const char *registry;            /* --registry (the annotation and $JITRUN_REGISTRY also count) */
  const char *insecure_registries; /* --insecure-registry, comma separated */
  const char *state_root;          /* --root, absolute (create only; NULL: unknown) */
  /* create: the init starts with ~0.4 ms of kernel work of its own (its
     namespaces, a new network namespace among them), so a hit's overlay
     is made meanwhile, after the fork (jr_extcache_overlay_after_fork) */
  bool overlay_after_fork;
};

/* --cache-dir, else $JITRUN_CACHE_DIR, else the default. Not malloc'ed. */
const char *jr_extcache_dir (const char *cli_cache_dir);

/* True when the spec asks for the feature (annotation run.jitrun.bootstrap
   present and run.jitrun.mode != off).  Costs one annotation lookup: a
   container without it pays nothing else. */
bool jr_extcache_wanted (const struct oci_spec *spec);

/* One container's use of the cache during `create`, in the runtime
   process:
   - begin, once the container's id is taken (its state dir made) and
     before the init is forked: parses the annotations (NULL *session: the
     container does not use the cache) and prepares: computes the key; on a
     local miss the layer may come from the registry, reached from the
     host's network here; a local hit is prepared whole (lock, check, the
     container's dirs with the in-use marker, and its overlay as a
     detached mount), so the init, which finds all this in its copy of the
     session, only attaches it;
   - with opts->overlay_after_fork, begin stops a hit short of the
     container's dirs and overlay, which the runtime makes with
     jr_extcache_overlay_after_fork while the init creates its
     namespaces, then passes the overlay to it;
   - end, once the init is ready (a fresh layer is sealed and pushed in the
     background) or failed.
   In between the init calls jr_extcache_prepare_rootfs.  The runtime does
   the work before the fork where it can: after it, in either process,
   every page first written is a copy-on-write fault (~20 us here). */
struct jr_extcache_session;
int jr_extcache_create_begin (const struct jr_extcache_opts *opts, const struct oci_spec *spec,
                              const char *container_id, const char *rootfs,
                              struct jr_extcache_session **session, jr_error_t *err);
/* The record of a hit that begin prepared (store it in the container
   state at once: the init then reports nothing), else NULL. */
const char *jr_extcache_session_record (const struct jr_extcache_session *session);
/* In the runtime after the fork, when begin left a hit's overlay to be
   made then (opts->overlay_after_fork): make it, with the container's
   dirs.  The caller owns the fd of the detached mount (to pass to the
   init); -1 with *err on failure (the container's dirs are gone). */
int jr_extcache_overlay_after_fork (struct jr_extcache_session *session, jr_error_t *err);
/* record: the container's (the session's, or what the init reported;
   NULL when it failed before that).  When the create failed, this also
   removes the container's dirs in the cache. */
void jr_extcache_create_end (struct jr_extcache_session *session, const char *record, bool created);
struct jr_extcache_ctx
{
  const struct jr_extcache_session *session; /* from jr_extcache_create_begin, ready */
  const char *container_id;
  const struct oci_spec *spec;
  const char *rootfs; /* absolute path, already a private mount point */
  bool in_userns;
  const char *state_json; /* container state, for seccomp listeners */
  int hit_mountfd;        /* a hit's overlay made after the fork, passed by the runtime; else -1 */
};

/* Hit: attach the overlay [layer, original rootfs] + a per-container upper
   that the runtime made, on `rootfs`.  Miss: bootstrap (single-flight per
   key), commit, then mount that overlay here.
   On success after a miss *record (malloc'ed, opaque) must be stored in
   the container state and handed back to jr_extcache_container_delete; on
   a hit it stays NULL (jr_extcache_session_record has it).  Errors:
   "bootstrap exited with N", "bootstrap timed out after S s", ... */
int jr_extcache_prepare_rootfs (const struct jr_extcache_ctx *ctx, char **record, jr_error_t *err);

/* Remove the container's own upper/work dirs and release its use of the
   layer.  record may be NULL (nothing to do). */
int jr_extcache_container_delete (const char *cache_dir, const char *container_id, const char *record,
                                  jr_error_t *err);

/* `jitrun cache ...` subcommands; argv as given after `cache`. Returns
   the process exit code or <0 with err set. */
int jr_extcache_cli (const struct jr_extcache_opts *opts, int argc, char **argv, jr_error_t *err);

#endif
