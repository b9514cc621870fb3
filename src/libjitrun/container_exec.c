/* jitrun - `exec`: run another process in a running container.
 *
 *   jitrun exec (P) ── C1 (jr_spawn_transient): enters the cgroup, setns
 *   into every namespace of the init that differs from ours, clones C2
 *   with CLONE_PARENT (so it is in the pid namespace and P's child),
 *   exits.
 *   C2: terminal, process attributes, execve.  Its sync socket is
 *   O_CLOEXEC, so P reads EOF exactly when the execve succeeded.
 */
#define _GNU_SOURCE
#include <config.h>
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "log.h"
#include "namespaces.h"
#include "process.h"
#include "seccomp.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

struct exec_ctx
{
  struct oci_process *process;
  const struct oci_seccomp *seccomp;
  struct jr_ns_plan ns;
  struct jr_cgroup *cgroup;
  bool in_userns;
  int console_fd;
  int sync_fd;
  int parent_sync_fd; /* the runtime's end of the sync socket: C1 closes it */
  int preserve_fds;
  int listener_fd;
  char *state_json;
};

__attribute__ ((noreturn)) static void
exec_child_main (struct exec_ctx *c)
{
  jr_error_t err = NULL;
  struct jr_process_ctx pctx = {
    .process = c->process,
    .seccomp = c->seccomp,
    .state_json = c->state_json,
    .preserve_fds = c->preserve_fds,
    .in_userns = c->in_userns,
    .listener_fd = c->listener_fd,
  };
  struct jr_seccomp *seccomp = NULL;

  if (setsid () < 0)
    {
      jr_error (&err, errno, "setsid");
      jr_sync_fail (c->sync_fd, err);
    }
  if (c->process->terminal)
    {
      if (jr_terminal_setup (c->console_fd, c->process->console_size, &err) < 0)
        jr_sync_fail (c->sync_fd, err);
      close (c->console_fd);
    }
  if (jr_process_prepare (&pctx, &seccomp, &err) < 0)
    jr_sync_fail (c->sync_fd, err);
  jr_process_exec (&pctx, seccomp, &err);
  jr_sync_fail (c->sync_fd, err);
}

__attribute__ ((noreturn)) static void
exec_intermediate_main (struct exec_ctx *c)
{
  jr_error_t err = NULL;
  pid_t pid;

  close (c->parent_sync_fd);

  if (c->cgroup && jr_cgroup_enter (c->cgroup, getpid (), &err) < 0)
    jr_sync_fail (c->sync_fd, err);
  if (jr_ns_join (&c->ns, &err) < 0)
    jr_sync_fail (c->sync_fd, err);
  if (c->in_userns && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      jr_error (&err, errno, "become root in the container's user namespace");
      jr_sync_fail (c->sync_fd, err);
    }
  pid = syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    {
      jr_error (&err, errno, "clone");
      jr_sync_fail (c->sync_fd, err);
    }
  if (pid == 0)
    exec_child_main (c);
  jr_sync_send (c->sync_fd, JR_SYNC_INIT_PID, pid, NULL, &err);
  _exit (0);
}

static int
exec_intermediate_entry (void *arg)
{
  exec_intermediate_main (arg);
}

static void
env_set (struct oci_process *p, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t)(eq - kv) : strlen (kv);

  for (size_t i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], kv, klen) == 0 && p->env[i][klen] == '=')
      {
        free (p->env[i]);
        p->env[i] = xstrdup (kv);
        return;
      }
  p->env = xrealloc (p->env, (p->env_len + 1) * sizeof (char *));
  p->env[p->env_len++] = xstrdup (kv);
}

static void
caps_add (char ***set, size_t *len, const char *cap)
{
  for (size_t i = 0; i < *len; i++)
    if (strcmp ((*set)[i], cap) == 0)
      return;
  *set = xrealloc (*set, (*len + 1) * sizeof (char *));
  (*set)[(*len)++] = xstrdup (cap);
}

/* The short form: the container's own process with the flags applied. */
static int
build_process (const struct jr_exec_opts *o, struct oci_process *base, jr_error_t *err)
{
  size_t i;

  if (o->args_len == 0)
    return jr_error (err, 0, "exec: no command given (use --process FILE or ID COMMAND...)");
  for (i = 0; i < base->args_len; i++)
    free (base->args[i]);
  free (base->args);
  base->args = xmalloc (o->args_len * sizeof (char *));
  for (i = 0; i < o->args_len; i++)
    base->args[i] = xstrdup (o->args[i]);
  base->args_len = o->args_len;
  for (i = 0; i < o->env_len; i++)
    env_set (base, o->env[i]);
  if (o->cwd)
    {
      free (base->cwd);
      base->cwd = xstrdup (o->cwd);
    }
  if (o->user)
    {
      unsigned uid, gid;
      int n = sscanf (o->user, "%u:%u", &uid, &gid);
      if (n < 1)
        return jr_error (err, 0, "exec: --user `%s`: expected UID[:GID]", o->user);
      base->user.uid = uid;
      base->user.gid = n == 2 ? gid : base->user.gid;
    }
  if (o->additional_gids_len)
    {
      base->user.additional_gids
          = xrealloc (base->user.additional_gids, o->additional_gids_len * sizeof (uint32_t));
      for (i = 0; i < o->additional_gids_len; i++)
        {
          int64_t v;
          if (jr_parse_int64 (o->additional_gids[i], &v) < 0 || v < 0 || v > UINT32_MAX)
            return jr_error (err, 0, "exec: invalid additional gid `%s`", o->additional_gids[i]);
          base->user.additional_gids[i] = v;
        }
      base->user.additional_gids_len = o->additional_gids_len;
    }
  if (o->caps_len)
    {
      struct oci_capabilities *c = base->capabilities;
      if (c == NULL)
        c = base->capabilities = xmalloc0 (sizeof (*c));
      for (i = 0; i < o->caps_len; i++)
        {
          caps_add (&c->bounding, &c->bounding_len, o->caps[i]);
          caps_add (&c->effective, &c->effective_len, o->caps[i]);
          caps_add (&c->permitted, &c->permitted_len, o->caps[i]);
          caps_add (&c->inheritable, &c->inheritable_len, o->caps[i]);
          caps_add (&c->ambient, &c->ambient_len, o->caps[i]);
        }
    }
  base->terminal = o->tty;
  if (o->no_new_privs)
    base->no_new_privileges = true;
  if (o->apparmor)
    {
      free (base->apparmor_profile);
      base->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (base->selinux_label);
      base->selinux_label = xstrdup (o->process_label);
    }
  return 0;
}

static int
load_process (const struct jr_exec_opts *o, struct oci_spec *spec, struct oci_process **out, jr_error_t *err)
{
  if (o->process_file)
    {
      cleanup_free char *json = NULL;
      cleanup_free char *errmsg = NULL;
      size_t len;
      int fd = strcmp (o->process_file, "-") == 0 ? STDIN_FILENO : AT_FDCWD;

      if (fd == STDIN_FILENO)
        {
          if (jr_read_file_at (AT_FDCWD, "/dev/stdin", &json, &len, err) < 0)
            return -1;
        }
      else if (jr_read_file_at (AT_FDCWD, o->process_file, &json, &len, err) < 0)
        return -1;
      *out = oci_process_parse (json, len, o->process_file, &errmsg);
      if (*out == NULL)
        return jr_error (err, 0, "%s", errmsg);
      if ((*out)->args_len == 0)
        return jr_error (err, 0, "%s: .args: must not be empty", o->process_file);
      return 0;
    }
  if (spec->process == NULL)
    return jr_error (err, 0, "exec: the container has no process to start from");
  if (build_process (o, spec->process, err) < 0)
    return -1;
  *out = jr_steal_ptr (spec->process);
  return 0;
}

int
jr_container_exec (const struct jr_global *g, const char *id, const struct jr_exec_opts *o, int *exit_code,
                   jr_error_t *err)
{
  struct exec_ctx c = {
    .console_fd = -1, .sync_fd = -1, .parent_sync_fd = -1, .listener_fd = -1, .preserve_fds = o->preserve_fds
  };
  cleanup_close int rootfd = -1;
  cleanup_close int sock = -1;
  cleanup_close int term_ours = -1;
  struct jr_state *st = NULL;
  struct oci_spec *spec = NULL;
  pid_t child = -1, pid = -1, proxy = -1;
  int fds[2], status, ret = -1;

  *exit_code = 0;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0); /* see do_create: CVE-2019-5736 */
  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    return -1;
  if (!jr_state_init_alive (st))
    {
      jr_error (err, 0, "cannot exec in container `%s`: it is stopped", id);
      goto out;
    }
  if (jr_container_load_spec (rootfd, id, &spec, err) < 0 || load_process (o, spec, &c.process, err) < 0)
    goto out;
  c.seccomp = spec->linux_ ? spec->linux_->seccomp : NULL;
  {
    struct oci_state *s = jr_state_to_oci (rootfd, st);
    c.state_json = oci_state_to_json (s, false);
    oci_state_free (s);
  }
  if (c.process->terminal)
    {
      if (o->console_socket)
        {
          c.console_fd = jr_console_socket_connect (o->console_socket, err);
          if (c.console_fd < 0)
            goto out;
        }
      else if (o->detach)
        {
          jr_error (err, 0, "cannot allocate a tty for a detached exec without --console-socket");
          goto out;
        }
      else
        {
          if (jr_terminal_socketpair (fds, err) < 0)
            goto out;
          term_ours = fds[0];
          c.console_fd = fds[1];
        }
    }
  if (c.seccomp && c.seccomp->listener_path
      && (c.listener_fd = jr_seccomp_connect_listener (c.seccomp->listener_path, err)) < 0)
    goto out;
  if (st->cgroup_path && jr_cgroup_open (st->cgroup_path, &c.cgroup, err) < 0)
    goto out;
  if (jr_ns_plan_from_pid (st->pid, &c.ns, err) < 0)
    goto out;
  for (size_t i = 0; i < c.ns.n_join; i++)
    if (c.ns.join_types[i] == CLONE_NEWUSER)
      c.in_userns = true;

  if (jr_sync_pair (fds, err) < 0)
    goto out;
  sock = fds[0];
  c.sync_fd = fds[1];
  if (!o->detach)
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  c.parent_sync_fd = sock;
  child = jr_spawn_transient (exec_intermediate_entry, &c, jr_ns_plan_allows_shared_memory (&c.ns), err);
  close (c.sync_fd);
  if (child < 0)
    goto out;
  if (c.console_fd >= 0)
    {
      close (c.console_fd);
      c.console_fd = -1;
    }
  {
    struct jr_sync_msg msg;
    if (jr_sync_expect (sock, "exec process", JR_SYNC_INIT_PID, &msg, err) < 0)
      goto out;
    pid = msg.value;
  }
  waitpid (child, &status, 0);
  child = -1;
  if (term_ours >= 0 && jr_start_terminal_proxy (term_ours, &proxy, err) < 0)
    goto out;
  {
    /* EOF = the execve happened (the socket is close-on-exec). */
    struct jr_sync_msg msg;
    jr_error_t perr = NULL;
    if (jr_sync_recv (sock, "exec process", &msg, &perr) == 0)
      {
        jr_sync_msg_clear (&msg);
        jr_error (err, 0, "exec: unexpected message from the exec process");
        goto out;
      }
    if (perr && jr_has_suffix (perr->msg, "exited unexpectedly"))
      jr_error_free (&perr);
    if (perr)
      {
        *err = perr;
        goto out;
      }
  }
  if (jr_write_pid_file (o->pid_file, pid, err) < 0)
    goto out;
  if (o->detach)
    {
      pid = -1;
      ret = 0;
      goto out;
    }
  ret = jr_wait_forwarding_signals (pid, exit_code, err);
  pid = -1;
  if (proxy > 0)
    {
      waitpid (proxy, &status, 0);
      proxy = -1;
    }

out:
  if (child > 0)
    {
      kill (child, SIGKILL);
      waitpid (child, &status, 0);
    }
  if (ret < 0 && pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
    }
  if (proxy > 0)
    {
      kill (proxy, SIGKILL);
      waitpid (proxy, &status, 0);
    }
  if (c.console_fd >= 0)
    close (c.console_fd);
  if (c.listener_fd >= 0)
    close (c.listener_fd);
  jr_ns_plan_close (&c.ns);
  if (c.cgroup)
    jr_cgroup_free (c.cgroup);
  free (c.state_json);
  oci_process_free (c.process);
  oci_spec_free (spec);
  jr_state_free (st);
  return ret;
}
