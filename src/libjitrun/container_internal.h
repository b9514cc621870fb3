/* jitrun - pieces shared by container.c and container_exec.c. */
#ifndef JITRUN_CONTAINER_INTERNAL_H
#define JITRUN_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "state.h"

/* Tests only: milliseconds the intermediate waits before it reports the
   init's pid, to exercise the init's messages arriving first. */
#define JR_INIT_PID_DELAY_ENV "JITRUN_TEST_INIT_PID_DELAY"

/* Open the state root, read the container's state.  On success *rootfd
   and *st are owned by the caller. */
int jr_container_load (const struct jr_global *g, const char *id, int *rootfd, struct jr_state **st,
                       jr_error_t *err);
/* The config.json saved in the state dir at create. */
int jr_container_load_spec (int rootfd, const char *id, struct oci_spec **spec, jr_error_t *err);
/* Write pid to `path` atomically (containerd reads it as soon as it exists). */
int jr_write_pid_file (const char *path, pid_t pid, jr_error_t *err);
/* Wait for a direct child `pid`, forwarding the signals a foreground
   runtime receives to it.  Returns its exit code (128+N for signals). */
int jr_wait_forwarding_signals (pid_t pid, int *exit_code, jr_error_t *err);
/* For a foreground process.terminal without --console-socket: fork a
   proxy process that receives the master on `sock` and copies the tty. */
int jr_start_terminal_proxy (int sock, pid_t *proxy, jr_error_t *err);

#endif
