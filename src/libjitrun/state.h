/* jitrun - the on-disk state of a container under --root.
 *
 * <root>/<id>/state.json  written atomically once `create` succeeds;
 * <root>/<id>/config.json the bundle's config as it was at create;
 * <root>/<id>/exec.fifo   exists while the container is `created`.
 * The status is never stored: it is computed from the init pid + its start
 * time (a reused pid is not mistaken for the container), the fifo and the
 * freezer.
 */
#ifndef JITRUN_STATE_H
#define JITRUN_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

#define JR_DEFAULT_STATE_ROOT "/run/jitrun"

struct jr_state
{
  char *id;
  pid_t pid;
  uint64_t start_time; /* /proc/<pid>/stat field 22 */
  char *bundle;
  char *rootfs;
  char *created; /* RFC3339Nano */
  char *owner;
  char *cgroup_path;
  bool systemd_cgroup;
  char *extcache; /* opaque record of the extension cache (NULL = unused) */
  struct oci_string_map annotations;
};

/* Validate a container id (no '/', not "." or "..", [A-Za-z0-9_+.-]). */
int jr_state_validate_id (const char *id, jr_error_t *err);
/* Open (O_PATH|O_DIRECTORY) the state root, creating it 0700. */
int jr_state_open_root (const char *root, jr_error_t *err);
/* mkdirat(<root>/<id>) exclusively: "container `id` already exists". */
int jr_state_create_dir (int rootfd, const char *id, jr_error_t *err);
int jr_state_write (int rootfd, const struct jr_state *st, jr_error_t *err);
/* "container `id` does not exist" (errno ENOENT) when missing. */
int jr_state_read (int rootfd, const char *id, struct jr_state **out, jr_error_t *err);
int jr_state_remove (int rootfd, const char *id, jr_error_t *err);
void jr_state_free (struct jr_state *st);

/* created | running | paused | stopped */
const char *jr_state_status (int rootfd, const struct jr_state *st);
/* Is the recorded init process still the same live, non-zombie process? */
bool jr_state_init_alive (const struct jr_state *st);
struct oci_state *jr_state_to_oci (int rootfd, const struct jr_state *st);

#endif
