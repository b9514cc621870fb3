/* jitrun extension cache - the on-disk store (private).
 *
 * Layout under the cache dir (root-owned, 0700):
 *   layers/<key>/layer/       the committed upper dir (immutable)
 *   layers/<key>/meta.json    metadata; its mtime is "last used"
 *   layers/<key>/unsealed     present until the entry is sealed (below)
 *   staging/<key>.<rand>/     a bootstrap in progress: layer/ work/ mnt/ owner
 *   locks/<key>.lock          flock: LOCK_EX to build or remove, LOCK_SH to use
 *   containers/<id>/          upper/ work/, and the in-use marker gc honours:
 *                             the xattr trusted.jitrun.layer, "<key>@<root
 *                             tag>" (older jitruns: the whole key, or a
 *                             `layer` file)
 *   roots/<root tag>          the state root (--root) of the runtime that made
 *                             containers: gc checks there that a container
 *                             still exists
 *   trash/                    entries and container dirs being removed (rename
 *                             first: atomic; emptied in the background)
 *   spare/<rand>/             empty container dirs (upper/ work/) made in
 *                             the background, taken by a create with one rename
 * A layers/<key> dir only ever appears by rename of a complete staging dir,
 * so it is complete whenever it exists.
 *
 * Sealing: the commit renames the entry in without waiting for its data to
 * reach the disk or for its content digest (both O(layer size)); it leaves
 * `unsealed`, holding the boot id.  `cache seal`, started in the background
 * by create, syncs the filesystem, digests the layer, completes meta.json
 * and removes the marker.  Until then the entry is served from the page
 * cache, which is coherent within one boot; after a crash of the machine
 * the data may be torn, so an entry whose marker names another boot is
 * treated as absent, and replaced.
 */
#ifndef JITRUN_EXTCACHE_STORE_H
#define JITRUN_EXTCACHE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "libjitrun/error.h"
#include "oci_spec.h"

/* Create the cache dir (0700) and its subdirs; returns an O_DIRECTORY fd. */
int jr_ec_store_open (const char *cache_dir, jr_error_t *err);

/* flock locks/<key>.lock with op (LOCK_SH/LOCK_EX, maybe |LOCK_NB) and
   return its fd.  With LOCK_NB and the lock busy, returns -EWOULDBLOCK
   without setting err. */
int jr_ec_lock_key (int cachefd, const char *key, int op, jr_error_t *err);

#define JR_EC_UNSEALED_MARK "unsealed"

enum jr_ec_state
{
  JR_EC_ABSENT,
  JR_EC_SEALED,   /* durable, digest in meta.json */
  JR_EC_UNSEALED, /* committed in this boot, being sealed: usable */
  JR_EC_TORN,     /* committed in an earlier boot and never sealed: unusable */
};
/* Cheap: one stat and one open. */
enum jr_ec_state jr_ec_store_state (int cachefd, const char *key);
/* The same, leaving meta.json's stat in *meta_st (for touch_stat). */
enum jr_ec_state jr_ec_store_state_stat (int cachefd, const char *key, struct stat *meta_st);
/* A usable entry exists (sealed, or unsealed from this boot). */
bool jr_ec_store_has (int cachefd, const char *key);
/* This boot's id (/proc/sys/kernel/random/boot_id), "" if unknown. */
const char *jr_ec_boot_id (void);
/* The `unsealed` marker open as markfd names this boot (false if unknown). */
bool jr_ec_mark_is_this_boot (int markfd);
/* Move layers/<key> into trash/ whatever its state (a torn entry is
   nobody's in-use layer: its users died with the boot).  Call with the
   key locked LOCK_EX.  0 also when there was nothing. */
int jr_ec_store_discard (int cachefd, const char *key, jr_error_t *err);
/* Record a use now (utimensat of meta.json), to the minute. */
void jr_ec_store_touch (int cachefd, const char *key);
/* The same, given meta.json's stat. */
void jr_ec_store_touch_stat (int cachefd, const char *key, const struct stat *meta_st);

/* The in-use marker of a container dir: the layer it uses and where the
   state of its container is. */
#define JR_EC_IN_USE_XATTR "trusted.jitrun.layer"
/* A container that is never deleted (the host rebooted and /run was
   wiped, its state dir was removed) must not pin its layer forever: its
   marker names the state root of the runtime that made it by a tag, and
   roots/<tag> holds that root's path, so gc can see that <root>/<id> is
   gone.  Register state_root (an absolute path) and get its tag. */
#define JR_EC_ROOT_TAG_LEN 16
int jr_ec_state_root_register (int cachefd, const char *state_root, char tag[JR_EC_ROOT_TAG_LEN + 1],
                               jr_error_t *err);
/* jr_ec_store_open, then jr_ec_state_root_register, in one access() once
   both are done (a create's way in). */
int jr_ec_store_open_as (const char *cache_dir, const char *state_root, char tag[JR_EC_ROOT_TAG_LEN + 1],
                         jr_error_t *err);
/* containers/<id>/{upper,work} (fresh) and the in-use marker holding key
   (may be NULL: no layer used) and root_tag (may be NULL: gc then never
   takes the container for gone).  Returns an O_DIRECTORY fd of the dir. */
int jr_ec_container_dir_create (int cachefd, const char *id, const char *key, const char *root_tag,
                                jr_error_t *err);
/* Make spare container dirs until spare/ holds target of them. */
/* twice the emptier's batch: the pool outlasts the creates between two runs */
#define JR_EC_SPARE_TARGET 64
int jr_ec_spares_refill (int cachefd, size_t target, jr_error_t *err);
int jr_ec_container_dir_remove (int cachefd, const char *id, jr_error_t *err);
/* Move containers/<id> into trash/ with one rename: 1 if moved, 0 if there
   was nothing (removed in place if it could not be moved). */
int jr_ec_container_dir_trash (int cachefd, const char *id, jr_error_t *err);
/* Remove everything in trash/ (flock on it: one emptier at a time). */
int jr_ec_trash_empty (int cachefd, jr_error_t *err);
/* Whether a container that still exists uses key. */
bool jr_ec_store_in_use (int cachefd, const char *key);
/* Move to trash/ the dirs of containers that are gone (see
   jr_ec_state_root_register).  Returns how many. */
int jr_ec_containers_clean_gone (int cachefd);

/* staging/<key>.<rand>/{layer,work,mnt} plus `owner` (pid starttime);
   *name is "<key>.<rand>" (relative to staging/).  Call with the key
   locked LOCK_EX. */
int jr_ec_staging_create (int cachefd, const char *key, char **name, jr_error_t *err);
/* Remove staging dirs whose key lock is free (their owner died).  With
   locked_key, that key is already locked by us: all of its staging dirs
   are stale. */
int jr_ec_staging_clean (int cachefd, const char *locked_key, jr_error_t *err);

struct jr_ec_entry
{
  char *key;
  struct oci_jvalue *meta; /* NULL if unreadable */
  int64_t last_used;       /* seconds since the epoch */
  int64_t size;
  bool in_use;
  enum jr_ec_state state;
};
/* All entries, least recently used first. */
int jr_ec_store_list (int cachefd, struct jr_ec_entry **entries, size_t *n, jr_error_t *err);
void jr_ec_entries_free (struct jr_ec_entry *entries, size_t n);
/* A full key or a unique prefix of one. */
int jr_ec_store_resolve (int cachefd, const char *id, char **key, jr_error_t *err);
/* Remove one entry (refuses if in use). */
int jr_ec_store_remove (int cachefd, const char *key, jr_error_t *err);

/* Pure gc policy: mark entries (sorted LRU first) to remove: every entry
   unused for more than max_age seconds (<0 = no limit), then LRU first
   until the total is <= max_size bytes (<0 = no limit).  In-use entries
   are never marked. */
void jr_ec_gc_select (const struct jr_ec_entry *entries, size_t n, int64_t max_size, int64_t max_age,
                      int64_t now, bool *remove);

#endif
