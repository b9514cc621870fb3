/* jitrun extension cache - running the bootstrap.
 *
 * The bootstrap runs in the container init's namespaces and cgroup, plus
 * a new pid and mount namespace of its own: its mounts (/proc, /dev, the
 * spec's binds) vanish with it and never reach the layer, and a timeout
 * kills its whole process tree by killing its pid 1. */
#define _GNU_SOURCE
#include <config.h>
#include "bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libjitrun/log.h"
#include "libjitrun/mounts.h"
#include "libjitrun/process.h"
#include "libjitrun/utils.h"

static void
child_fail (int fd, jr_error_t err)
{
  const char *msg = err && err->msg ? err->msg : "bootstrap setup failed";

  (void)jr_write_all (fd, msg, strlen (msg));
  _exit (127);
}

/* In the new pid+mount namespace: become the container, exec the command. */
static void __attribute__ ((noreturn))
bootstrap_child (const struct jr_extcache_ctx *ctx, const struct jr_ec_config *cfg, const char *mountpoint,
                 int errfd)
{
  const struct oci_spec *spec = ctx->spec;
  jr_error_t err = NULL;
  struct oci_spec spec_copy = *spec;
  struct oci_root root_copy = { 0 };
  struct oci_process process = *spec->process;
  struct jr_process_ctx pctx = { 0 };
  struct jr_seccomp *seccomp = NULL;

  /* The bootstrap must write its layer even when the app runs on a
     read-only root: root.readonly applies to the container, not here. */
  if (spec->root)
    root_copy = *spec->root;
  root_copy.readonly = false;
  spec_copy.root = &root_copy;

  if (mount (NULL, mountpoint, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      jr_error (&err, errno, "make `%s` private", mountpoint);
      child_fail (errfd, err);
    }
  if (jr_rootfs_mount_all (&spec_copy, mountpoint, ctx->in_userns, &err) < 0
      || jr_rootfs_pivot (mountpoint, false, &err) < 0 || jr_rootfs_finalize (&spec_copy, &err) < 0)
    child_fail (errfd, err);

  process.args = cfg->bootstrap;
  process.args_len = cfg->bootstrap_len;
  /* the container's stdio is inherited as is; no console of its own */
  process.terminal = false;
  process.console_size = NULL;
  pctx.process = &process;
  pctx.seccomp = spec->linux_ ? spec->linux_->seccomp : NULL;
  pctx.state_json = ctx->state_json;
  pctx.in_userns = ctx->in_userns;
  if (jr_process_prepare (&pctx, &seccomp, &err) < 0)
    child_fail (errfd, err);
  jr_process_exec (&pctx, seccomp, &err);
  child_fail (errfd, err);
  _exit (127);
}

int
jr_ec_bootstrap_run (const struct jr_extcache_ctx *ctx, const struct jr_ec_config *cfg,
                     const char *mountpoint, jr_error_t *err)
{
  cleanup_close int pidfd = -1;
  int pipefd[2];
  int64_t deadline = jr_now_ns () + cfg->timeout * 1000000000LL;
  bool timed_out = false;
  char msg[4096];
  ssize_t n = 0;
  pid_t pid;
  int exit_code = 0;

  if (ctx->spec->process == NULL)
    return jr_error (err, 0, "bootstrap: the spec has no process");
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return jr_error (err, errno, "pipe");
  fflush (NULL);
  /* raw clone without a stack works like fork, with new namespaces */
  pid = syscall (SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return jr_error (err, errno, "clone the bootstrap process");
    }
  if (pid == 0)
    {
      close (pipefd[0]);
      bootstrap_child (ctx, cfg, mountpoint, pipefd[1]);
    }
  close (pipefd[1]);

  pidfd = syscall (SYS_pidfd_open, pid, 0);
  for (;;)
    {
      int64_t left_ms = (deadline - jr_now_ns ()) / 1000000;
      int r;
      if (left_ms <= 0)
        {
          timed_out = true;
          break;
        }
      if (pidfd >= 0)
        {
          struct pollfd p = { .fd = pidfd, .events = POLLIN };
          r = poll (&p, 1, left_ms > 1000 ? 1000 : (int)left_ms);
          if (r < 0 && errno != EINTR)
            return jr_error (err, errno, "wait for the bootstrap");
          if (r > 0)
            break;
        }
      else
        {
          /* no pidfd (old kernel): poll the child */
          int status;
          r = waitpid (pid, &status, WNOHANG);
          if (r == pid)
            {
              exit_code = jr_wait_status_to_exit_code (status);
              pid = -1;
              break;
            }
          usleep (10000);
        }
    }
  if (timed_out && pid > 0)
    /* pid 1 of its namespace: the kernel kills every process in it */
    kill (pid, SIGKILL);
  if (pid > 0 && jr_wait_exit_code (pid, &exit_code, err) < 0)
    {
      close (pipefd[0]);
      return -1;
    }
  n = jr_read_all (pipefd[0], msg, sizeof (msg) - 1);
  close (pipefd[0]);
  if (timed_out)
    return jr_error (err, 0, "bootstrap timed out after %lld s", (long long)cfg->timeout);
  if (n > 0)
    {
      msg[n] = '\0';
      return jr_error (err, 0, "bootstrap: %s", msg);
    }
  if (exit_code != 0)
    return jr_error (err, 0, "bootstrap exited with %d", exit_code);
  return 0;
}

/* Remove `rel` from the upper when it is an empty dir or empty file that
   the lower does not have: it can only be a mount point the spec's mounts
   created.  Walks component by component without following symlinks. */
static void
tidy_one (int upperfd, int lowerfd, const char *rel)
{
  cleanup_free char *copy = xstrdup (rel);
  char *comps[64];
  size_t n = 0, depth;
  char *p, *save = NULL;

  for (p = strtok_r (copy, "/", &save); p && n < 64; p = strtok_r (NULL, "/", &save))
    if (strcmp (p, ".") != 0 && strcmp (p, "..") != 0)
      comps[n++] = p;
  /* deepest first, so a chain of created parents goes away too */
  for (depth = n; depth > 0; depth--)
    {
      cleanup_close int dfd = openat (upperfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      cleanup_free char *path = xstrdup ("");
      struct stat st;
      size_t i;
      int lfd;

      for (i = 0; i + 1 < depth && dfd >= 0; i++)
        {
          int next = openat (dfd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          close (dfd);
          dfd = next;
        }
      if (dfd < 0)
        return;
      for (i = 0; i < depth; i++)
        {
          char *next = xasprintf ("%s/%s", path, comps[i]);
          free (path);
          path = next;
        }
      if (fstatat (dfd, comps[depth - 1], &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      lfd = jr_openat_in_root (lowerfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
      if (lfd >= 0)
        {
          close (lfd);
          return; /* the base has it: not ours to remove, nor its parents */
        }
      if (S_ISDIR (st.st_mode))
        {
          if (unlinkat (dfd, comps[depth - 1], AT_REMOVEDIR) < 0)
            return; /* not empty: the bootstrap put something there */
        }
      else if (S_ISREG (st.st_mode) && st.st_size == 0)
        unlinkat (dfd, comps[depth - 1], 0);
      else
        return;
    }
}

void
jr_ec_tidy_mount_points (const struct oci_spec *spec, int upperfd, int lowerfd)
{
  size_t i;

  for (i = 0; i < spec->mounts_len; i++)
    if (spec->mounts[i].destination)
      tidy_one (upperfd, lowerfd, spec->mounts[i].destination);
}
