/* jitrun - keep containers away from the runtime binary (CVE-2019-5736).
 *
 * While jitrun shares a container's namespaces (the init before `start`,
 * `exec` before its execve), a process in the container that can ptrace it
 * (CAP_SYS_PTRACE, e.g. a privileged container in the same pid namespace)
 * may open /proc/<pid>/exe and, once we are gone, write to the host binary.
 * Before touching a container, jitrun therefore makes sure the file it runs
 * from cannot be written: a binary on a read-only mount is used as is
 * (free); otherwise it re-executes itself once from a sealed memfd copy.
 */
#ifndef JITRUN_EXE_GUARD_H
#define JITRUN_EXE_GUARD_H

#include "error.h"

/* Tests: the first N sealing attempts find the copy busy, as the kernel
   may (a page with a passing extra reference). */
#define JR_SEAL_BUSY_ENV "JITRUN_TEST_SEAL_BUSY"

/* Returns 0 when the current executable is safe; otherwise does not return
   on success (execs the sealed copy with the same argv/environ). */
int jr_exe_guard (char **argv, jr_error_t *err);

#endif
