/* jitrun extension cache - turning a staging upper dir into a layer
   (commit), and the layer content digest (private). */
#ifndef JITRUN_EXTCACHE_SNAPSHOT_H
#define JITRUN_EXTCACHE_SNAPSHOT_H

#include <stdint.h>

#include "libjitrun/error.h"
#include "key.h"

#define JR_EC_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

/* Test-only: sleep this many seconds just before the commit rename, so a
   test can kill -9 jitrun in the middle of a commit. */
#define JR_EC_COMMIT_DELAY_ENV "JITRUN_TEST_COMMIT_DELAY"

/* Digest of a layer tree: every entry in sorted order with its path,
   type, mode, owner, size, content or link target or device numbers, and
   the overlay xattrs (opaque dirs, whiteouts).  *size sums regular file
   sizes, *files counts entries below the root. */
int jr_ec_digest_tree (int dirfd, char digest[JR_EC_DIGEST_LEN], int64_t *size, int64_t *files,
                       jr_error_t *err);

/* Test-only: sleep this many seconds before sealing (after taking the
   seal lock), so a test can see an unsealed entry or kill the sealer. */
#define JR_EC_SEAL_DELAY_ENV "JITRUN_TEST_SEAL_DELAY"

/* Commit staging/<staging_name> as layers/<key>, unsealed: meta.json
   without size/digest, the `unsealed` marker, one rename (the commit
   point).  O(1): nothing is synced or read.  Call with the key locked
   LOCK_EX.  The staging overlay must be unmounted.  On error the staging
   dir is left for the caller to remove. */
int jr_ec_commit (int cachefd, const char *staging_name, const struct jr_ec_config *cfg,
                  const struct jr_ec_key *key, double bootstrap_seconds, jr_error_t *err);

/* Seal layers/<key> (see store.h): syncfs, digest, complete meta.json,
   remove the marker.  Waits for a sealer already at work.  Returns 1 if
   it sealed, 0 if there was nothing to seal, <0 on error (a torn entry
   is an error). */
int jr_ec_seal (int cachefd, const char *key, jr_error_t *err);

/* Recompute the digest of layers/<key>/layer.  Returns 1 when it matches
   meta.json, 0 when not (*problem says why, malloc'ed), <0 on error. */
int jr_ec_verify (int cachefd, const char *key, char **problem, jr_error_t *err);

#endif
