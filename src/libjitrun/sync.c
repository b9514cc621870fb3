#define _GNU_SOURCE
#include <config.h>
#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "utils.h"

#define SYNC_MAX_MSG 65536

struct wire_header
{
  int32_t type;
  int32_t errno_value;
  int64_t value;
};

int
jr_sync_pair (int fds[2], jr_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return jr_error (err, errno, "socketpair");
  return 0;
}

static int
send_raw (int fd, int type, int errno_value, int64_t value, const char *data, int passfd)
{
  struct wire_header h = { .type = type, .errno_value = errno_value, .value = value };
  size_t dlen = data ? strnlen (data, SYNC_MAX_MSG - sizeof (h) - 1) : 0;
  struct iovec iov[2] = { { &h, sizeof (h) }, { (void *)data, dlen } };
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = dlen ? 2 : 1 };
  union jr_fd_cmsg control;
  ssize_t r;

  if (passfd >= 0)
    jr_msg_attach_fd (&m, &control, passfd);

  do
    r = sendmsg (fd, &m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
jr_sync_send (int fd, int type, int64_t value, const char *data, jr_error_t *err)
{
  if (send_raw (fd, type, 0, value, data, -1) < 0)
    return jr_error (err, errno, "sync: send");
  return 0;
}

int
jr_sync_send_fd (int fd, int type, int passfd, jr_error_t *err)
{
  if (send_raw (fd, type, 0, 0, NULL, passfd) < 0)
    return jr_error (err, errno, "sync: send");
  return 0;
}

/* The size of the next message (each is one packet), 0 at EOF. */
static ssize_t
next_message_size (int fd)
{
  char byte;
  ssize_t r;

  do
    r = recv (fd, &byte, 1, MSG_PEEK | MSG_TRUNC);
  while (r < 0 && errno == EINTR);
  return r;
}

int
jr_sync_recv (int fd, const char *who, struct jr_sync_msg *msg, jr_error_t *err)
{
  /* Most messages are a header alone: read into the stack.  A malloc'ed
     buffer costs a freshly forked child (the init) copy-on-write faults,
     ~20 us each here, more than the extra recv that sizes the message. */
  char small[256];
  cleanup_free char *big = NULL;
  char *buf = small;
  cleanup_close int passed = -1;
  struct wire_header h;
  struct iovec iov;
  union jr_fd_cmsg control;
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t r;

  memset (msg, 0, sizeof (*msg));
  msg->fd = -1;
  r = next_message_size (fd);
  if (r > 0 && (size_t)r >= sizeof (small))
    buf = big = xmalloc (r + 1);
  if (r > 0)
    {
      iov.iov_base = buf;
      iov.iov_len = r;
      do
        {
          m.msg_control = control.buf;
          m.msg_controllen = sizeof (control.buf);
          r = recvmsg (fd, &m, MSG_CMSG_CLOEXEC);
        }
      while (r < 0 && errno == EINTR);
      if (r > 0)
        passed = jr_msg_received_fd (&m);
    }
  if (r < 0)
    return jr_error (err, errno, "sync: receive from %s", who);
  if (r == 0)
    return jr_error (err, 0, "%s exited unexpectedly", who);
  if ((size_t)r < sizeof (h))
    return jr_error (err, 0, "sync: short message from %s", who);
  memcpy (&h, buf, sizeof (h));
  buf[r] = '\0';
  if (h.type == JR_SYNC_ERROR)
    return jr_error_from_msg (err, h.errno_value, buf + sizeof (h));
  msg->type = h.type;
  msg->value = h.value;
  msg->fd = jr_steal_fd (passed);
  if ((size_t)r > sizeof (h))
    msg->data = xstrdup (buf + sizeof (h));
  return 0;
}

int
jr_sync_expect (int fd, const char *who, int type, struct jr_sync_msg *msg, jr_error_t *err)
{
  struct jr_sync_msg local;
  struct jr_sync_msg *m = msg ? msg : &local;

  if (jr_sync_recv (fd, who, m, err) < 0)
    return -1;
  if (m->type != type)
    {
      int got = m->type;
      jr_sync_msg_clear (m);
      return jr_error (err, 0, "sync: unexpected message %d from %s (wanted %d)", got, who, type);
    }
  if (msg == NULL)
    jr_sync_msg_clear (m);
  return 0;
}

void
jr_sync_fail (int fd, jr_error_t err)
{
  send_raw (fd, JR_SYNC_ERROR, err ? err->errno_value : 0, 0, err && err->msg ? err->msg : "unknown error",
            -1);
  _exit (1);
}

void
jr_sync_msg_clear (struct jr_sync_msg *msg)
{
  free (msg->data);
  msg->data = NULL;
  if (msg->fd >= 0)
    close (msg->fd);
  msg->fd = -1;
}
