/* jitrun - container terminals and --console-socket. */
#ifndef JITRUN_TERMINAL_H
#define JITRUN_TERMINAL_H

#include <sys/types.h>
#include "error.h"
#include "oci_spec.h"

/* Connect to the AF_UNIX SOCK_STREAM socket given by --console-socket. */
int jr_console_socket_connect (const char *path, jr_error_t *err);

/* In the container (after pivot_root, /dev/pts mounted): open /dev/ptmx,
   size it, make the slave our controlling terminal and stdin/out/err, and
   send the master fd over console_socket (SCM_RIGHTS), then close it.
   Returns 0 or <0. */
int jr_terminal_setup (int console_socket, const struct oci_console_size *size, jr_error_t *err);

/* In the container init after jr_terminal_setup: bind the pty slave (our
   stdin) onto /dev/console, as runc does. */
int jr_terminal_mount_console (jr_error_t *err);

/* For `run`/`exec` in the foreground with process.terminal and no
   --console-socket: jitrun itself holds the master.
   jr_terminal_socketpair makes the pair (one end for the container);
   jr_terminal_receive_master reads the master fd sent on the other end. */
int jr_terminal_socketpair (int fds[2], jr_error_t *err);
int jr_terminal_receive_master (int sock, int *master, jr_error_t *err);
/* Put our stdin in raw mode (if a tty), copy stdin->master and
   master->stdout until the master hangs up; restores the tty. */
int jr_terminal_proxy (int master, jr_error_t *err);

#endif
