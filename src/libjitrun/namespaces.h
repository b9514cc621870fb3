/* jitrun - creating and joining namespaces. */
#ifndef JITRUN_NAMESPACES_H
#define JITRUN_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

#define JR_NS_MAX 8

struct jr_ns_plan
{
  int new_flags;           /* CLONE_NEW* to create (unshare), CLONE_NEWUSER included */
  int join_fds[JR_NS_MAX]; /* namespaces to setns into, user first, mount last */
  int join_types[JR_NS_MAX];
  size_t n_join;
};

/* "pid" -> CLONE_NEWPID, ... ; 0 when unknown. */
int jr_ns_flag_from_type (const char *type);
/* Name of the /proc/PID/ns entry for a CLONE_NEW* flag. */
const char *jr_ns_proc_name (int flag);

/* From linux.namespaces: open the paths to join (on the host, before
   anything changes), collect the flags to create. */
int jr_ns_plan_from_spec (const struct oci_spec *spec, struct jr_ns_plan *plan, jr_error_t *err);
/* For exec: join every namespace of `pid` that differs from ours. */
int jr_ns_plan_from_pid (pid_t pid, struct jr_ns_plan *plan, jr_error_t *err);
void jr_ns_plan_close (struct jr_ns_plan *plan);

/* Whether a child that carries out the plan may share its parent's memory
   until it exits (jr_spawn_transient): not if it creates a user namespace
   (it waits for its parent to write the id maps, and the parent sleeps
   until it exits), nor if it joins a time namespace (the kernel refuses
   that to a process whose memory is shared: EUSERS). */
bool jr_ns_plan_allows_shared_memory (const struct jr_ns_plan *plan);

/* setns into every namespace of the plan (user first, mount last). */
int jr_ns_join (const struct jr_ns_plan *plan, jr_error_t *err);

/* Parent side: write /proc/PID/{uid_map,gid_map} from linux.uidMappings /
   gidMappings. */
int jr_ns_write_id_maps (pid_t pid, const struct oci_spec *spec, jr_error_t *err);
/* After unshare(CLONE_NEWTIME): linux.timeOffsets -> /proc/self/timens_offsets. */
int jr_ns_write_time_offsets (const struct oci_spec *spec, jr_error_t *err);

#endif
