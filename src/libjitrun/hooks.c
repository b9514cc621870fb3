/* jitrun - OCI hooks: run each hook with the state JSON on stdin, under a
   timeout, and fail with a message naming the hook. */
#define _GNU_SOURCE
#include <config.h>
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"
#include "utils.h"

/* The tail of a hook's output kept for the log when it fails. */
#define OUTPUT_TAIL 2048

struct output_tail
{
  char buf[OUTPUT_TAIL + 1];
  size_t len;
};

static void
tail_append (struct output_tail *t, const char *data, size_t n)
{
  if (n >= OUTPUT_TAIL)
    {
      memcpy (t->buf, data + n - OUTPUT_TAIL, OUTPUT_TAIL);
      t->len = OUTPUT_TAIL;
      return;
    }
  if (t->len + n > OUTPUT_TAIL)
    {
      size_t drop = t->len + n - OUTPUT_TAIL;
      memmove (t->buf, t->buf + drop, t->len - drop);
      t->len -= drop;
    }
  memcpy (t->buf + t->len, data, n);
  t->len += n;
}

static int
pidfd_open_compat (pid_t pid)
{
#ifdef SYS_pidfd_open
  return (int)syscall (SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* Write the state to the hook's stdin.  A hook may not read it and exit
   first: EPIPE is fine, and the SIGPIPE it raises must not kill us. */
static void
write_state (int fd, const char *state_json)
{
  sigset_t pipe_set, old, pending;
  bool was_pending;
  int saved_errno;
  int ret;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);

  ret = jr_write_all (fd, state_json, strlen (state_json));
  saved_errno = errno;
  if (ret < 0 && saved_errno == EPIPE && !was_pending)
    {
      /* consume the SIGPIPE we caused before unblocking it */
      struct timespec zero = { 0, 0 };
      sigtimedwait (&pipe_set, NULL, &zero);
    }
  else if (ret < 0)
    jr_debug ("write state to hook stdin: %s", strerror (saved_errno));
  sigprocmask (SIG_SETMASK, &old, NULL);
}

/* A NULL-terminated copy of a counted string array, for execve. */
static char **
strv_dup (char *const *v, size_t n)
{
  char **out = xmalloc0 ((n + 1) * sizeof (char *));
  size_t i;

  for (i = 0; i < n; i++)
    out[i] = v[i];
  return out;
}

/* Start the hook with the given stdio.  posix_spawn shares our memory
   until the exec (no copy of our address space: 1-2 ms on a VM) and tells
   us why an exec failed. */
static int
spawn_hook (const char *path, char **argv, char **envp, int stdin_fd, int out_fd, int err_fd, pid_t *pid)
{
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, pipe_only;
  int r;

  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, stdin_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, err_fd, STDERR_FILENO);
  /* the runtime may have signals blocked or SIGPIPE ignored; the hook
     must start clean */
  sigemptyset (&none);
  sigemptyset (&pipe_only);
  sigaddset (&pipe_only, SIGPIPE);
  posix_spawnattr_init (&attr);
  posix_spawnattr_setsigmask (&attr, &none);
  posix_spawnattr_setsigdefault (&attr, &pipe_only);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  r = posix_spawn (pid, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy (&fa);
  posix_spawnattr_destroy (&attr);
  return r;
}

/* Copy what is readable on fd to `to` and to the tail.  Returns 1 after
   data, 0 at EOF, -1 when a non-blocking fd has nothing more. */
static int
drain (int fd, int to, struct output_tail *tail)
{
  char buf[4096];
  ssize_t r;

  do
    r = read (fd, buf, sizeof (buf));
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EAGAIN)
    return -1;
  if (r <= 0)
    return 0;
  tail_append (tail, buf, r);
  if (jr_write_all (to, buf, r) < 0)
    {
      /* our own stdout/stderr is gone: the tail still reaches the log */
    }
  return 1;
}

/* After the hook exited: take what is left in the pipe without waiting
   for writers it may have left behind. */
static void
drain_rest (int fd, int to, struct output_tail *tail)
{
  int flags = fcntl (fd, F_GETFL);

  if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return;
  while (drain (fd, to, tail) > 0)
    ;
}

static int
run_one (const struct oci_hook *hook, const char *kind, const char *state_json, jr_error_t *err)
{
  cleanup_close int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
  cleanup_close int pidfd = -1;
  struct output_tail tail = { .len = 0 };
  int64_t deadline = 0;
  bool timed_out = false;
  bool out_open = true, err_open = true;
  int in_fds[2], out_fds[2], err_fds[2];
  cleanup_free char **argv = NULL;
  cleanup_free char **envp = NULL;
  int status = 0;
  int spawn_err;
  pid_t pid;

  if (hook->path == NULL || hook->path[0] != '/')
    return jr_error (err, 0, "%s hook `%s`: path must be absolute", kind, hook->path ? hook->path : "");

  if (pipe2 (in_fds, O_CLOEXEC) < 0 || pipe2 (out_fds, O_CLOEXEC) < 0 || pipe2 (err_fds, O_CLOEXEC) < 0)
    return jr_error (err, errno, "%s hook `%s`: pipe", kind, hook->path);
  in_r = in_fds[0], in_w = in_fds[1];
  out_r = out_fds[0], out_w = out_fds[1];
  err_r = err_fds[0], err_w = err_fds[1];

  /* No args: argv[0] is the path, as execve callers expect. */
  if (hook->args_len > 0)
    argv = strv_dup (hook->args, hook->args_len);
  else
    argv = strv_dup (&hook->path, 1);
  envp = strv_dup (hook->env, hook->env_len);

  spawn_err = spawn_hook (hook->path, argv, envp, in_r, out_w, err_w, &pid);
  if (spawn_err != 0)
    return jr_error (err, spawn_err, "%s hook `%s`: exec", kind, hook->path);

  close (jr_steal_fd (in_r));
  close (jr_steal_fd (out_w));
  close (jr_steal_fd (err_w));

  pidfd = pidfd_open_compat (pid);

  if (state_json != NULL)
    write_state (in_w, state_json);
  close (jr_steal_fd (in_w));

  if (hook->has_timeout && hook->timeout > 0)
    deadline = jr_now_ns () + (int64_t)hook->timeout * 1000000000LL;

  /* Forward output until both pipes hit EOF (the hook and anything it
     left behind exited) or the deadline passes. */
  for (;;)
    {
      struct pollfd pfd[3];
      nfds_t n = 0;
      int timeout_ms = -1;
      int r;

      if (out_open)
        pfd[n++] = (struct pollfd){ .fd = out_r, .events = POLLIN };
      if (err_open)
        pfd[n++] = (struct pollfd){ .fd = err_r, .events = POLLIN };
      /* a hook that daemonizes keeps the pipes open: stop at its exit */
      if (pidfd >= 0)
        pfd[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
      if (pidfd < 0)
        timeout_ms = 50; /* no pidfd: poll the child with WNOHANG */
      if (deadline > 0)
        {
          int64_t left = (deadline - jr_now_ns ()) / 1000000;
          if (left <= 0)
            {
              timed_out = true;
              break;
            }
          if (timeout_ms < 0 || left < timeout_ms)
            timeout_ms = (int)left + 1;
        }

      r = poll (pfd, n, timeout_ms);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          return jr_error (err, errno, "%s hook `%s`: poll", kind, hook->path);
        }
      for (nfds_t i = 0; i < n; i++)
        {
          if (pfd[i].revents == 0)
            continue;
          if (pfd[i].fd == out_r)
            out_open = drain (out_r, STDOUT_FILENO, &tail) != 0;
          else if (pfd[i].fd == err_r)
            err_open = drain (err_r, STDERR_FILENO, &tail) != 0;
        }
      if (pidfd >= 0)
        {
          if (pfd[n - 1].revents != 0)
            break;
        }
      else
        {
          pid_t w = waitpid (pid, &status, WNOHANG);
          if (w == pid)
            {
              pid = -1;
              break;
            }
        }
    }

  if (timed_out && pid > 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
      if (out_open)
        drain_rest (out_r, STDOUT_FILENO, &tail);
      if (err_open)
        drain_rest (err_r, STDERR_FILENO, &tail);
      if (tail.len > 0)
        jr_log (JR_LOG_ERROR, "%s hook `%s` output: %.*s", kind, hook->path, (int)tail.len, tail.buf);
      return jr_error (err, 0, "%s hook `%s`: timed out after %d s", kind, hook->path, hook->timeout);
    }

  if (pid > 0)
    while (waitpid (pid, &status, 0) < 0)
      if (errno != EINTR)
        return jr_error (err, errno, "%s hook `%s`: wait", kind, hook->path);

  /* pick up the last output written just before the exit */
  if (out_open)
    drain_rest (out_r, STDOUT_FILENO, &tail);
  if (err_open)
    drain_rest (err_r, STDERR_FILENO, &tail);

  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (tail.len > 0)
    jr_log (JR_LOG_ERROR, "%s hook `%s` output: %.*s", kind, hook->path, (int)tail.len, tail.buf);
  if (WIFSIGNALED (status))
    return jr_error (err, 0, "%s hook `%s`: killed by signal %d (%s)", kind, hook->path, WTERMSIG (status),
                     jr_signal_name (WTERMSIG (status)));
  return jr_error (err, 0, "%s hook `%s`: exited with %d", kind, hook->path, WEXITSTATUS (status));
}

int
jr_hooks_run (const struct oci_hook_list *hooks, const char *kind, const char *state_json, jr_error_t *err)
{
  /* runtime-spec: a failing poststart/poststop hook is only warned about
     and the remaining hooks still run.  The first failure is returned
     (callers warn with it), later ones are logged here. */
  bool keep_going = strcmp (kind, "poststart") == 0 || strcmp (kind, "poststop") == 0;
  int ret = 0;
  size_t i;

  if (hooks == NULL)
    return 0;
  for (i = 0; i < hooks->len; i++)
    {
      jr_error_t hook_err = NULL;

      jr_debug ("running %s hook `%s`", kind, hooks->items[i].path);
      if (run_one (&hooks->items[i], kind, state_json, &hook_err) == 0)
        continue;
      if (ret == 0)
        {
          ret = -1;
          if (*err == NULL)
            *err = jr_steal_ptr (hook_err);
        }
      else
        jr_warn ("%s", hook_err->msg);
      jr_error_free (&hook_err);
      if (!keep_going)
        return -1;
    }
  return ret;
}
