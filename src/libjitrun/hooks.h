/* jitrun - OCI hooks. */
#ifndef JITRUN_HOOKS_H
#define JITRUN_HOOKS_H

#include "error.h"
#include "oci_spec.h"

/* Run each hook of the list in order: fork+execve(path, args, env) with the
   container state JSON on stdin; its stdout/stderr go to ours (and are
   logged on failure).  A hook that exits non-zero, is killed or exceeds its
   timeout (killed with SIGKILL) fails with
   "<kind> hook `<path>`: exited with N" / "timed out after S s".
   `kind` is the spec name: prestart, createRuntime, ...  For poststart and
   poststop the remaining hooks still run after a failure (runtime-spec);
   the first error is returned. */
int jr_hooks_run (const struct oci_hook_list *hooks, const char *kind, const char *state_json,
                  jr_error_t *err);

#endif
