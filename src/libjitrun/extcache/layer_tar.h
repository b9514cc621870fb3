/* jitrun extension cache - an overlay upper dir <-> an OCI layer tar
 * (private).
 *
 * Pack: the upper dir becomes a deterministic gzip'ed tar (GNU format,
 * entries in byte order, directory mtimes 0, no atime/ctime, no xattrs,
 * no user/group names): the same tree gives the same digest.  Overlay
 * whiteouts (char 0/0, or a zero-size file with the overlay whiteout
 * xattr) become empty `.wh.<name>` files, opaque dirs a `.wh..wh..opq`
 * entry; overlay xattrs are dropped.  A file the app itself named `.wh.*`
 * would turn into a whiteout on unpack: refused.
 *
 * Unpack: everything in the blob is untrusted.  The blob digest is
 * checked before anything is extracted; entries are created fd-relative
 * (openat with O_NOFOLLOW on every component: nothing is followed);
 * absolute paths, `..`, hard links outside the layer, relative symlinks
 * climbing out of the root, device nodes, fifos and sockets, and sizes
 * beyond the limits are refused.  `.wh.` entries become overlay whiteouts
 * again (char 0/0 via mknod, trusted.overlay.opaque=y).
 *
 * libarchive and zlib are loaded with dlopen on first use: linked, they
 * (with libcurl) add ~60 ms of dynamic loading to every jitrun call.
 */
#ifndef JITRUN_EXTCACHE_LAYER_TAR_H
#define JITRUN_EXTCACHE_LAYER_TAR_H

#include <stdint.h>

#include "libjitrun/error.h"

#define JR_LAYER_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

#define JR_LAYER_MEDIA_TYPE_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define JR_LAYER_MEDIA_TYPE_TAR  "application/vnd.oci.image.layer.v1.tar"

/* Limits for an unpack: $JITRUN_REGISTRY_MAX_LAYER_SIZE (bytes, with
   k/M/G suffixes as jr_parse_size) and $JITRUN_REGISTRY_MAX_LAYER_ENTRIES
   override the defaults. */
#define JR_LAYER_DEFAULT_MAX_BYTES   (16LL << 30)
#define JR_LAYER_DEFAULT_MAX_ENTRIES 1000000
#define JR_LAYER_MAX_BYTES_ENV       "JITRUN_REGISTRY_MAX_LAYER_SIZE"
#define JR_LAYER_MAX_ENTRIES_ENV     "JITRUN_REGISTRY_MAX_LAYER_ENTRIES"

struct jr_layer_limits
{
  int64_t max_bytes;   /* uncompressed content, and the compressed blob */
  int64_t max_entries; /* tar entries */
};
void jr_layer_limits_default (struct jr_layer_limits *l);

struct jr_layer_blob
{
  char digest[JR_LAYER_DIGEST_LEN];  /* of the compressed blob */
  char diff_id[JR_LAYER_DIGEST_LEN]; /* of the uncompressed tar */
  int64_t size;                      /* compressed bytes */
  int64_t entries;
};

/* Write the layer of `upperfd` to `outfd` (from its current offset),
   gzip'ed, filling *out. */
int jr_layer_pack (int upperfd, int outfd, struct jr_layer_blob *out, jr_error_t *err);

/* sha256 of the whole file `fd` (from offset 0) as "sha256:<hex>". */
int jr_layer_file_digest (int fd, char digest[JR_LAYER_DIGEST_LEN], int64_t *size, jr_error_t *err);

/* Verify that blob `fd` has `digest`, then extract it (tar, gzip'ed or
   not) into the empty dir `destfd`.  On error destfd holds a partial
   tree the caller must discard. */
int jr_layer_unpack (int blobfd, const char *digest, int destfd, const struct jr_layer_limits *limits,
                     struct jr_layer_blob *out, jr_error_t *err);

/* Load libarchive and zlib (idempotent). */
int jr_layer_lib_load (jr_error_t *err);

#endif
