/* jitrun - messages between the runtime and the processes it forks.
 *
 * A SOCK_SEQPACKET socketpair keeps message boundaries, so each message is
 * one send/recv.  A child that fails sends JR_SYNC_ERROR with its message
 * and errno, then exits; EOF means it died without a word.
 */
#ifndef JITRUN_SYNC_H
#define JITRUN_SYNC_H

#include <stdint.h>
#include "error.h"

enum jr_sync_type
{
  JR_SYNC_ERROR = 1,
  JR_SYNC_USERMAP,      /* child: write my uid/gid maps (value = pid) */
  JR_SYNC_USERMAP_DONE, /* parent: done */
  JR_SYNC_INIT_PID,     /* intermediate: the init's host pid is `value` */
  JR_SYNC_HOOKS,        /* init: run prestart + createRuntime hooks now */
  JR_SYNC_HOOKS_DONE,   /* parent: done */
  JR_SYNC_EXTCACHE,     /* init: record of the extension cache in `data` */
  JR_SYNC_READY,        /* init: set up, waiting for `start` (or exec'ing) */
  JR_SYNC_OVERLAY,      /* parent: a cache hit's overlay, detached, in `fd` */
};

struct jr_sync_msg
{
  int type;
  int64_t value;
  char *data; /* malloc'ed, NUL-terminated, may be NULL */
  int fd;     /* passed with the message (O_CLOEXEC), else -1 */
};

int jr_sync_pair (int fds[2], jr_error_t *err);
int jr_sync_send (int fd, int type, int64_t value, const char *data, jr_error_t *err);
/* Send a message of `type` that carries passfd (SCM_RIGHTS). */
int jr_sync_send_fd (int fd, int type, int passfd, jr_error_t *err);
/* Receive one message.  A JR_SYNC_ERROR message becomes *err and -1; EOF
   becomes "<who> exited unexpectedly". */
int jr_sync_recv (int fd, const char *who, struct jr_sync_msg *msg, jr_error_t *err);
/* Receive and require `type`. */
int jr_sync_expect (int fd, const char *who, int type, struct jr_sync_msg *msg, jr_error_t *err);
/* Child side: report err to the parent and _exit(1). */
__attribute__ ((noreturn)) void jr_sync_fail (int fd, jr_error_t err);
/* Free the data and close the fd that the message still owns. */
void jr_sync_msg_clear (struct jr_sync_msg *msg);

#endif
