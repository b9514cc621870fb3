/* jitrun - seccomp filters via libseccomp. */
#ifndef JITRUN_SECCOMP_H
#define JITRUN_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "oci_spec.h"

struct jr_seccomp; /* a compiled filter */

/* Validate and compile linux.seccomp: every action (SCMP_ACT_KILL,
   KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, TRACE, ALLOW, LOG, NOTIFY),
   argument conditions (all SCMP_CMP_* ops), architectures and flags.
   Errors name the failing item ("seccomp: syscall `foo`: unknown"...).
   Unknown syscall names are skipped (as runc does) but unknown actions,
   ops, architectures or flags are errors. */
int jr_seccomp_build (const struct oci_seccomp *seccomp, struct jr_seccomp **out, jr_error_t *err);
/* Load the filter into the calling thread (after no_new_privs or with
   CAP_SYS_ADMIN).  With SCMP_ACT_NOTIFY, *notify_fd receives the listener
   fd, else -1. */
int jr_seccomp_load (struct jr_seccomp *filter, int *notify_fd, jr_error_t *err);
/* Connect to linux.seccomp.listenerPath.  A host path: call it before
   pivot_root (init) or before joining the container (exec). */
int jr_seccomp_connect_listener (const char *listener_path, jr_error_t *err);
/* Send the listener fd plus the container process state (runtime-spec:
   {"ociVersion","fds":["seccompFd"],"pid","metadata","state"}) over the
   connected `sock` (SCM_RIGHTS). */
int jr_seccomp_send_listener (int sock, const char *metadata, int notify_fd, const char *state_json,
                              jr_error_t *err);
void jr_seccomp_free (struct jr_seccomp *filter);

/* For the features document: NULL-terminated static lists. */
const char *const *jr_seccomp_known_actions (void);
const char *const *jr_seccomp_known_operators (void);
const char *const *jr_seccomp_known_archs (void);
const char *const *jr_seccomp_known_flags (void);

#endif
