/* jitrun - cgroups: one interface over cgroup v1, hybrid and unified v2.
 *
 * The mode is detected at run time from the statfs magic of /sys/fs/cgroup
 * (and of /sys/fs/cgroup/unified on hybrid hosts).  A container's cgroup is
 * identified by one path relative to every hierarchy's root (v1: the same
 * path below each controller mount; v2: below the unified mount), which is
 * what the state file stores.
 */
#ifndef JITRUN_CGROUP_H
#define JITRUN_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

enum jr_cgroup_mode
{
  JR_CGROUP_V1,     /* legacy: only v1 hierarchies */
  JR_CGROUP_HYBRID, /* v1 controllers + a cgroup2 mount at /sys/fs/cgroup/unified */
  JR_CGROUP_V2,     /* unified */
};

int jr_cgroup_detect_mode (enum jr_cgroup_mode *mode, jr_error_t *err);

struct jr_cgroup; /* opaque */

/* Resolve the container's cgroup path from linux.cgroupsPath:
   - absent: "/jitrun/<id>";
   - absolute "/a/b": as is; relative "a/b": below jitrun's own cgroup
     (runc semantics: relative to the runtime's cgroup);
   - with systemd_cgroup, "slice:prefix:name" -> "/<slice path>/<prefix>-<name>.scope";
     when systemd is not running this falls back to cgroupfs with a warning.
   The result is malloc'ed in *path.  Pure function: unit tested. */
int jr_cgroup_resolve_path (const char *id, const char *cgroups_path, bool systemd_cgroup, char **path,
                            jr_error_t *err);

/* Create the cgroup (every controller on v1/hybrid), apply `resources`
   (may be NULL) and return a handle.  Fails without leaving directories
   behind.  An existing cgroup is reused (runc allows joining). */
int jr_cgroup_create (const char *path, const struct oci_linux_resources *resources, struct jr_cgroup **out,
                      jr_error_t *err);
/* Open an existing container cgroup from its stored path. */
int jr_cgroup_open (const char *path, struct jr_cgroup **out, jr_error_t *err);
const char *jr_cgroup_path (const struct jr_cgroup *cg);

/* Move pid into the cgroup (all hierarchies). */
int jr_cgroup_enter (struct jr_cgroup *cg, pid_t pid, jr_error_t *err);
int jr_cgroup_update (struct jr_cgroup *cg, const struct oci_linux_resources *resources, jr_error_t *err);
/* Pids in the cgroup and below, malloc'ed array. */
int jr_cgroup_pids (struct jr_cgroup *cg, pid_t **pids, size_t *n, jr_error_t *err);
int jr_cgroup_kill_all (struct jr_cgroup *cg, int signal, jr_error_t *err);
int jr_cgroup_freeze (struct jr_cgroup *cg, bool frozen, jr_error_t *err);
/* 1 frozen, 0 not, <0 error. */
int jr_cgroup_is_frozen (struct jr_cgroup *cg, jr_error_t *err);

/* Stats for `events --stats`: a JSON object shaped like runc's
   events "data" (cpu, memory, pids, blkio, hugetlb), malloc'ed. */
int jr_cgroup_stats_json (struct jr_cgroup *cg, char **json, jr_error_t *err);
/* OOM kill counter (memory.oom_control oom_kill on v1, memory.events
   oom_kill on v2); used by `events` to emit {"type":"oom"}. */
int jr_cgroup_oom_count (struct jr_cgroup *cg, uint64_t *count, jr_error_t *err);

/* Remove the cgroup directories (kill must have happened before); waits
   briefly for tasks to leave.  Missing directories are not an error. */
int jr_cgroup_destroy (struct jr_cgroup *cg, jr_error_t *err);
void jr_cgroup_free (struct jr_cgroup *cg);

/* features document */
void jr_cgroup_features (bool *v1, bool *v2, bool *systemd);

#endif
