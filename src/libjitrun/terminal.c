/* jitrun - container terminals: the pty made inside the container, the
   --console-socket handoff, and the foreground proxy of `run`/`exec`. */
#define _GNU_SOURCE
#include <config.h>
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "utils.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
jr_console_socket_connect (const char *path, jr_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return jr_error (err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy (addr.sun_path, path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return jr_error (err, errno, "console socket `%s`: socket", path);
  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    return jr_error (err, errno, "connect to console socket `%s`", path);
  return jr_steal_fd (fd);
}

/* Send fd with SCM_RIGHTS; the payload is the pty name (what runc sends,
   some clients log it). */
static int
send_fd (int sock, int fd, const char *name, jr_error_t *err)
{
  union jr_fd_cmsg control;
  struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen (name) + 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t r;

  jr_msg_attach_fd (&msg, &control, fd);

  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return jr_error (err, errno, "send the terminal master to the console socket");
  return 0;
}

int
jr_terminal_setup (int console_socket, const struct oci_console_size *size, jr_error_t *err)
{
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  char name[64] = "/dev/ptmx";
  int fd;

  /* The /dev/ptmx of the container's own devpts (newinstance), so the pty
     belongs to the container. */
  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return jr_error (err, errno, "open `/dev/ptmx`");
  if (unlockpt (master) < 0)
    return jr_error (err, errno, "unlockpt `/dev/ptmx`");
  if (ptsname_r (master, name, sizeof (name)) != 0)
    snprintf (name, sizeof (name), "/dev/ptmx");

  /* TIOCGPTPEER opens the peer through the master itself: no path lookup
     the image could redirect.  Old kernels: open the pts by name. */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    {
      slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (slave < 0)
        return jr_error (err, errno, "open terminal `%s`", name);
    }

  /* The dup2 loop below must not dup an fd onto itself (that keeps
     O_CLOEXEC and the cleanup would close a stdio fd). */
  if (slave < 3)
    {
      int high = fcntl (slave, F_DUPFD_CLOEXEC, 3);
      if (high < 0)
        return jr_error (err, errno, "dup terminal `%s`", name);
      close (slave);
      slave = high;
    }

  if (size != NULL && (size->height > 0 || size->width > 0))
    {
      struct winsize ws = { .ws_row = size->height, .ws_col = size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return jr_error (err, errno, "set the size of terminal `%s`", name);
    }

  /* A controlling terminal needs a session leader without one. */
  if (getsid (0) != getpid () && setsid () < 0)
    return jr_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return jr_error (err, errno, "make `%s` the controlling terminal", name);

  for (fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return jr_error (err, errno, "dup2 terminal `%s` to fd %d", name, fd);

  if (send_fd (console_socket, master, name, err) < 0)
    return -1;
  return 0;
}

/* For the container init only, after jr_terminal_setup (fd 0 is the pty):
   bind mount it onto /dev/console, as runc does, so programs that write to
   the console reach the terminal.  Not for exec: the console belongs to
   the init.  (Declaration to be added to terminal.h.) */
int
jr_terminal_mount_console (jr_error_t *err)
{
  char source[64];
  char target[JR_PROC_FD_PATH_MAX];
  cleanup_close int fd = -1;

  if (ttyname_r (STDIN_FILENO, source, sizeof (source)) != 0)
    snprintf (source, sizeof (source), "/proc/self/fd/%d", STDIN_FILENO);

  /* A mount point must exist; O_NOFOLLOW + the fd as target: a symlink
     planted at /dev/console is not followed. */
  fd = open ("/dev/console", O_RDONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == ELOOP || errno == EISDIR || errno == ENXIO || errno == EACCES))
    fd = open ("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return jr_error (err, errno, "create `/dev/console`");
  if (mount (source, jr_proc_fd_path (fd, target), NULL, MS_BIND, NULL) < 0)
    return jr_error (err, errno, "bind mount `%s` on `/dev/console`", source);
  return 0;
}

int
jr_terminal_socketpair (int fds[2], jr_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return jr_error (err, errno, "terminal socketpair");
  return 0;
}

int
jr_terminal_receive_master (int sock, int *master, jr_error_t *err)
{
  char data[256];
  union jr_fd_cmsg control;
  struct iovec iov = { .iov_base = data, .iov_len = sizeof (data) };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof (control.buf),
  };
  ssize_t r;

  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return jr_error (err, errno, "receive the terminal master");
  *master = jr_msg_received_fd (&msg);
  if (*master >= 0)
    return 0;
  if (r == 0)
    return jr_error (err, 0,
                     "receive the terminal master: the container closed the socket without sending it");
  return jr_error (err, 0, "receive the terminal master: no file descriptor in the message");
}

/* Copy the window size of our terminal to the container's. */
static void
copy_winsize (int from, int to)
{
  struct winsize ws;

  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    {
      if (ioctl (to, TIOCSWINSZ, &ws) < 0)
        jr_debug ("set terminal size: %s", strerror (errno));
    }
}

/* Returns 1 after copying, 0 at EOF/hangup, -1 on error (errno). */
static int
copy_some (int from, int to)
{
  char buf[8192];
  ssize_t r;

  do
    r = read (from, buf, sizeof (buf));
  while (r < 0 && errno == EINTR);
  /* EIO: the last holder of the slave side closed it */
  if (r == 0 || (r < 0 && errno == EIO))
    return 0;
  if (r < 0)
    return errno == EAGAIN ? 1 : -1;
  return jr_write_all (to, buf, r) < 0 ? -1 : 1;
}

int
jr_terminal_proxy (int master, jr_error_t *err)
{
  struct termios saved;
  bool raw = false;
  bool stdin_open = true;
  sigset_t winch, old_mask;
  cleanup_close int sigfd = -1;
  int ret = 0;

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      /* keep output post-processing off too: the container's pty does it */
      if (tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0)
        raw = true;
      copy_winsize (STDIN_FILENO, master);
    }

  /* SIGWINCH through a signalfd: resizes are handled in the poll loop
     without a handler racing the copy. */
  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  sigprocmask (SIG_BLOCK, &winch, &old_mask);
  sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);

  for (;;)
    {
      struct pollfd pfd[3];
      nfds_t n = 0;
      int r;

      pfd[n++] = (struct pollfd){ .fd = master, .events = POLLIN };
      if (stdin_open)
        pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
      if (sigfd >= 0)
        pfd[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };

      r = poll (pfd, n, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          ret = jr_error (err, errno, "terminal: poll");
          break;
        }

      if (pfd[0].revents != 0)
        {
          r = copy_some (master, STDOUT_FILENO);
          if (r == 0)
            break;
          if (r < 0)
            {
              ret = jr_error (err, errno, "terminal: copy the container's output");
              break;
            }
        }
      for (nfds_t i = 1; i < n; i++)
        {
          if (pfd[i].revents == 0)
            continue;
          if (pfd[i].fd == STDIN_FILENO)
            {
              r = copy_some (STDIN_FILENO, master);
              if (r <= 0)
                {
                  /* Our input ended: pass an end-of-file to the
                     container (VEOF, as typing ^D would) unless we are a
                     terminal that hung up; keep reading its output. */
                  if (r == 0 && !raw)
                    {
                      struct termios t;
                      char veof = 4;
                      if (tcgetattr (master, &t) == 0)
                        veof = (char)t.c_cc[VEOF];
                      if (jr_write_all (master, &veof, 1) < 0)
                        {
                          /* the container is gone already */
                        }
                    }
                  stdin_open = false;
                }
            }
          else if (pfd[i].fd == sigfd)
            {
              struct signalfd_siginfo si;
              while (read (sigfd, &si, sizeof (si)) == sizeof (si))
                ;
              if (raw)
                copy_winsize (STDIN_FILENO, master);
            }
        }
    }

  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  return ret;
}
