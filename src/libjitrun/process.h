/* jitrun - turning the current process into the container's process.
 *
 * Shared by the container init, `exec` and the extension cache's bootstrap:
 * rlimits, oom_score_adj, scheduler/ioprio, user and groups, capabilities,
 * no_new_privs, labels, seccomp, cwd, env, fds, and finally execve.
 */
#ifndef JITRUN_PROCESS_H
#define JITRUN_PROCESS_H

#include <stdbool.h>
#include "error.h"
#include "oci_spec.h"

struct jr_seccomp;

struct jr_process_ctx
{
  const struct oci_process *process;
  const struct oci_seccomp *seccomp; /* NULL = none */
  const char *state_json;            /* for the seccomp listener */
  int listener_fd;                   /* connected listenerPath socket, or -1 */
  int preserve_fds;                  /* fds 3..3+n-1 survive the exec */
  bool in_userns;                    /* setgroups may be denied */
  char *exec_path;                   /* set by jr_process_prepare: args[0] resolved in PATH */
};

/* Steps that may run as early as possible (before the exec fifo wait), so
   that their failures fail `create`: validate, resolve the executable,
   compile seccomp, apply rlimits/oom_score_adj/scheduler/ioprio/affinity.
   Call with the container's root as "/". */
int jr_process_prepare (struct jr_process_ctx *ctx, struct jr_seccomp **seccomp, jr_error_t *err);
/* The last steps; on success it does not return. `seccomp` may be NULL.
   Looks args[0] up in PATH from process.env. */
int jr_process_exec (struct jr_process_ctx *ctx, struct jr_seccomp *seccomp, jr_error_t *err);
void jr_process_ctx_clear (struct jr_process_ctx *ctx);

/* Resolve `file` against PATH= from env (the container's view); malloc'ed. */
char *jr_process_find_executable (const char *file, char *const *env, size_t env_len);

#endif
