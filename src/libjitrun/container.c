/* jitrun - container lifecycle.
 *
 * create starts two processes and never re-executes the runtime binary:
 *
 *   jitrun create (P)
 *     └─ intermediate (C1): enters the cgroup, joins namespaces by path,
 *        creates the user namespace (P writes its id maps), then the pid
 *        and time namespaces, then clones the init with CLONE_PARENT and
 *        exits.  It shares P's memory while P sleeps (jr_spawn_transient)
 *        unless it waits for P's id maps or joins a time namespace.
 *   init (C2, pid 1 of the new pid namespace, child of P): the other new
 *   namespaces (meanwhile P makes a cache hit's overlay and passes it
 *   over), rootfs, extension cache, mounts, hooks, pivot_root, sysctls,
 *   masked paths, terminal, rlimits...; reports READY and blocks on
 *   exec.fifo until `start` writes to it, then execs the user process.
 *
 * P and the children talk over a SOCK_SEQPACKET pair (sync.h); any failure
 * in a child comes back to P as one error message, and P then undoes
 * everything: processes, cgroup, state dir (mounts live only in the
 * container's mount namespace and die with it).
 */
#define _GNU_SOURCE
#include <config.h>
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "extcache/extcache.h"
#include "hooks.h"
#include "log.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "sysctl.h"
#include "labels.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The namespaces the intermediate creates, before it clones the init
   (after the user namespace): the init is pid 1 of its pid namespace, and
   a time namespace applies to children only.  The init creates the others
   itself, first thing: ~0.4 ms of kernel work here (a network namespace
   alone ~0.3), during which the runtime makes a cache hit's overlay. */
#define NS_BEFORE_INIT    (CLONE_NEWPID | CLONE_NEWTIME)
#define NS_IN_INIT(flags) ((flags) & ~(CLONE_NEWUSER | NS_BEFORE_INIT))

static const char *
state_root (const struct jr_global *g)
{
  return g->root && *g->root ? g->root : JR_DEFAULT_STATE_ROOT;
}

/* The same as an absolute path (NULL if the cwd is unknown): the
   extension cache records it, for gc to look up containers later. */
static char *
absolute_state_root (const struct jr_global *g)
{
  const char *root = state_root (g);
  char cwd[PATH_MAX];

  if (root[0] == '/')
    return xstrdup (root);
  if (getcwd (cwd, sizeof (cwd)) == NULL)
    return NULL;
  return xasprintf ("%s/%s", cwd, root);
}

/* ---- shared helpers ----------------------------------------------------- */

int
jr_container_load (const struct jr_global *g, const char *id, int *rootfd, struct jr_state **st,
                   jr_error_t *err)
{
  int fd;

  if (jr_state_validate_id (id, err) < 0)
    return -1;
  fd = open (state_root (g), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      cleanup_free char *msg = NULL;
      if (errno != ENOENT)
        return jr_error (err, errno, "open state directory `%s`", state_root (g));
      msg = xasprintf ("container `%s` does not exist", id);
      return jr_error_from_msg (err, ENOENT, msg);
    }
  if (jr_state_read (fd, id, st, err) < 0)
    {
      close (fd);
      return -1;
    }
  *rootfd = fd;
  return 0;
}

int
jr_container_load_spec (int rootfd, const char *id, struct oci_spec **spec, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/config.json", id);
  cleanup_free char *json = NULL;
  cleanup_free char *errmsg = NULL;
  size_t len;

  if (jr_read_file_at (rootfd, path, &json, &len, err) < 0)
    return jr_error_wrap (err, "container `%s`", id);
  *spec = oci_spec_parse (json, len, "config.json", &errmsg);
  if (*spec == NULL)
    return jr_error (err, 0, "%s", errmsg);
  return 0;
}

int
jr_write_pid_file (const char *path, pid_t pid, jr_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *tmp = NULL;
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", pid);
  const char *slash;

  if (path == NULL)
    return 0;
  slash = strrchr (path, '/');
  dir = slash ? xstrndup (path, slash - path + 1) : xstrdup ("");
  tmp = xasprintf ("%s.%s.tmp", dir, slash ? slash + 1 : path);
  if (jr_write_file_at (AT_FDCWD, tmp, buf, len, 0644, err) < 0)
    return jr_error_wrap (err, "pid file");
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return jr_error (err, saved, "pid file `%s`", path);
    }
  return 0;
}

int
jr_wait_forwarding_signals (pid_t pid, int *exit_code, jr_error_t *err)
{
  static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGPIPE };
  sigset_t mask, old;
  cleanup_close int sfd = -1;
  size_t i;
  int ret = -1;

  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  for (i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaddset (&mask, forwarded[i]);
  if (sigprocmask (SIG_BLOCK, &mask, &old) < 0)
    return jr_error (err, errno, "sigprocmask");
  sfd = signalfd (-1, &mask, SFD_CLOEXEC);
  if (sfd < 0)
    {
      ret = jr_error (err, errno, "signalfd");
      goto out;
    }
  for (;;)
    {
      struct signalfd_siginfo si;
      int status;
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        {
          *exit_code = jr_wait_status_to_exit_code (status);
          ret = 0;
          break;
        }
      if (r < 0 && errno != EINTR)
        {
          ret = jr_error (err, errno, "wait for container process %d", pid);
          break;
        }
      if (read (sfd, &si, sizeof (si)) != sizeof (si))
        {
          if (errno == EINTR)
            continue;
          ret = jr_error (err, errno, "read signalfd");
          break;
        }
      if (si.ssi_signo == SIGCHLD)
        {
          /* Reap anything else that reparented to us (we are a subreaper). */
          while ((r = waitpid (-1, &status, WNOHANG)) > 0)
            if (r == pid)
              {
                *exit_code = jr_wait_status_to_exit_code (status);
                ret = 0;
                goto out;
              }
          continue;
        }
      kill (pid, si.ssi_signo);
    }
out:
  sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;
}

int
jr_start_terminal_proxy (int sock, pid_t *proxy, jr_error_t *err)
{
  pid_t pid = fork ();

  if (pid < 0)
    return jr_error (err, errno, "fork terminal proxy");
  if (pid == 0)
    {
      jr_error_t perr = NULL;
      int master = -1;
      if (jr_terminal_receive_master (sock, &master, &perr) < 0 || jr_terminal_proxy (master, &perr) < 0)
        {
          jr_log_error_final (perr);
          _exit (1);
        }
      _exit (0);
    }
  *proxy = pid;
  return 0;
}

/* ---- create: the init process ------------------------------------------- */

struct create_ctx
{
  const struct jr_global *g;
  const char *id;
  const struct jr_create_opts *opts;
  struct oci_spec *spec;
  char *bundle;
  char *rootfs;
  char *config_json; /* the bundle's config.json as read, saved in the state dir */
  size_t config_len;
  struct jr_state state;
  struct jr_ns_plan ns;
  struct jr_cgroup *cgroup;
  int fifo_fd;                          /* exec.fifo, O_RDWR: `start` writes, the init reads */
  int status_fd;                        /* exec.status, O_RDWR: the init's verdict for `start` */
  int console_fd;                       /* connected --console-socket, or our end of a pair, -1 */
  int sync_fd;                          /* the children's end of the sync socket */
  int parent_sync_fd;                   /* the runtime's end: C1 closes it */
  struct jr_extcache_session *extcache; /* NULL when the container does not use the cache */
  bool overlay_after_fork;              /* a hit's overlay: made after the fork, passed to the init */
  char *state_json;                     /* "creating" state, sent to the init for its hooks */
};

static bool
has_hooks (const struct oci_hooks *h, bool runtime_side)
{
  if (h == NULL)
    return false;
  if (runtime_side)
    return h->prestart.len || h->create_runtime.len;
  return h->create_container.len || h->start_container.len;
}

static void
set_hostname (const struct oci_spec *spec, int ns_flags, jr_error_t *err)
{
  if (spec->hostname && *spec->hostname)
    {
      if (!(ns_flags & CLONE_NEWUTS))
        jr_error (err, 0, "hostname `%s` requires a new uts namespace", spec->hostname);
      else if (sethostname (spec->hostname, strlen (spec->hostname)) < 0)
        jr_error (err, errno, "set hostname `%s`", spec->hostname);
    }
  if (*err == NULL && spec->domainname && *spec->domainname)
    {
      if (!(ns_flags & CLONE_NEWUTS))
        jr_error (err, 0, "domainname `%s` requires a new uts namespace", spec->domainname);
      else if (setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
        jr_error (err, errno, "set domainname `%s`", spec->domainname);
    }
}

static int
apply_personality (const struct oci_spec *spec, jr_error_t *err)
{
  const struct oci_personality *p = spec->linux_ ? spec->linux_->personality : NULL;
  unsigned long persona;

  if (p == NULL)
    return 0;
  if (p->domain && strcmp (p->domain, "LINUX") == 0)
    persona = PER_LINUX;
  else if (p->domain && strcmp (p->domain, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return jr_error (err, 0, "linux.personality: unknown domain `%s`", p->domain ? p->domain : "");
  if (p->flags_len > 0)
    return jr_error (err, 0, "linux.personality: flags are not supported");
  if (personality (persona) < 0)
    return jr_error (err, errno, "linux.personality: set `%s`", p->domain);
  return 0;
}

static void
join_session_keyring (const char *id)
{
  cleanup_free char *name = xasprintf ("_ses.%s", id);
  /* KEYCTL_JOIN_SESSION_KEYRING = 1.  Failure (e.g. keyctl blocked by a
     seccomp profile of an outer container) is not fatal, as with runc. */
  if (syscall (SYS_keyctl, 1, name) < 0)
    jr_debug ("join session keyring: %s", strerror (errno));
}

/* After `start`: tell it why we did not get to exec the process (it waits
   on exec.status, which closes by itself when the execve succeeds). */
__attribute__ ((noreturn)) static void
report_start_failure (int status_fd, jr_error_t err, int exit_code)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";

  if (jr_write_all (status_fd, msg, strlen (msg)) < 0)
    jr_log_error_final (err);
  _exit (exit_code);
}

/* The container's pid 1 until it execs the user process. */
__attribute__ ((noreturn)) static void
init_main (struct create_ctx *c)
{
  const struct oci_spec *spec = c->spec;
  jr_error_t err = NULL;
  struct jr_process_ctx pctx = { 0 };
  struct jr_seccomp *seccomp = NULL;
  bool in_userns = (c->ns.new_flags & CLONE_NEWUSER) != 0;
  int fifo = -1;
  char byte;

  for (size_t i = 0; i < c->ns.n_join; i++)
    if (c->ns.join_types[i] == CLONE_NEWUSER)
      in_userns = true;

  if (NS_IN_INIT (c->ns.new_flags) && unshare (NS_IN_INIT (c->ns.new_flags)) < 0)
    jr_error (&err, errno, "create namespaces (flags 0x%x)", NS_IN_INIT (c->ns.new_flags));
  if (err == NULL && setsid () < 0)
    jr_error (&err, errno, "setsid");
  if (err == NULL)
    set_hostname (spec, c->ns.new_flags, &err);
  if (err)
    jr_sync_fail (c->sync_fd, err);

  /* a hit's overlay, attached below, is the container's rootfs mount */
  if (jr_rootfs_prepare (spec, c->rootfs, c->extcache && jr_extcache_session_record (c->extcache), &err) < 0)
    jr_sync_fail (c->sync_fd, err);

  if (c->extcache)
    {
      cleanup_free char *record = NULL;
      struct jr_extcache_ctx ectx = {
        .session = c->extcache,
        .container_id = c->id,
        .spec = spec,
        .rootfs = c->rootfs,
        .in_userns = in_userns,
        .state_json = c->state_json,
        .hit_mountfd = -1,
      };
      if (c->overlay_after_fork)
        {
          struct jr_sync_msg msg;
          if (jr_sync_expect (c->sync_fd, "jitrun", JR_SYNC_OVERLAY, &msg, &err) < 0)
            jr_sync_fail (c->sync_fd, err);
          ectx.hit_mountfd = jr_steal_fd (msg.fd);
          jr_sync_msg_clear (&msg);
          if (ectx.hit_mountfd < 0)
            {
              jr_error (&err, 0, "sync: the cache hit's overlay did not come with its message");
              jr_sync_fail (c->sync_fd, err);
            }
        }
      if (jr_extcache_prepare_rootfs (&ectx, &record, &err) < 0)
        jr_sync_fail (c->sync_fd, err);
      if (record && jr_sync_send (c->sync_fd, JR_SYNC_EXTCACHE, 0, record, &err) < 0)
        jr_sync_fail (c->sync_fd, err);
    }

  if (jr_rootfs_mount_all (spec, c->rootfs, in_userns, &err) < 0)
    jr_sync_fail (c->sync_fd, err);

  if (has_hooks (spec->hooks, true) || has_hooks (spec->hooks, false)
      || (spec->linux_ && spec->linux_->seccomp && spec->linux_->seccomp->listener_path))
    {
      struct jr_sync_msg msg;
      if (jr_sync_send (c->sync_fd, JR_SYNC_HOOKS, 0, NULL, &err) < 0
          || jr_sync_expect (c->sync_fd, "jitrun", JR_SYNC_HOOKS_DONE, &msg, &err) < 0)
        jr_sync_fail (c->sync_fd, err);
      /* The state with our host pid, for the hooks that run from here. */
      free (c->state_json);
      c->state_json = msg.data;
    }
  if (spec->hooks
      && jr_hooks_run (&spec->hooks->create_container, "createContainer", c->state_json, &err) < 0)
    jr_sync_fail (c->sync_fd, err);

  pctx.listener_fd = -1;
  if (spec->linux_ && spec->linux_->seccomp && spec->linux_->seccomp->listener_path
      && (pctx.listener_fd = jr_seccomp_connect_listener (spec->linux_->seccomp->listener_path, &err)) < 0)
    jr_sync_fail (c->sync_fd, err);

  if (jr_rootfs_pivot (c->rootfs, c->opts->no_pivot, &err) < 0 || jr_sysctl_apply (spec, &err) < 0
      || jr_rootfs_finalize (spec, &err) < 0 || apply_personality (spec, &err) < 0)
    jr_sync_fail (c->sync_fd, err);

  if (!c->opts->no_new_keyring)
    join_session_keyring (c->id);

  if (spec->process->terminal)
    {
      if (jr_terminal_setup (c->console_fd, spec->process->console_size, &err) < 0
          || jr_terminal_mount_console (&err) < 0)
        jr_sync_fail (c->sync_fd, err);
      close (c->console_fd);
      c->console_fd = -1;
    }

  pctx.process = spec->process;
  pctx.seccomp = spec->linux_ ? spec->linux_->seccomp : NULL;
  pctx.state_json = c->state_json;
  pctx.preserve_fds = c->opts->preserve_fds;
  pctx.in_userns = in_userns;
  if (jr_process_prepare (&pctx, &seccomp, &err) < 0)
    jr_sync_fail (c->sync_fd, err);

  fifo = c->fifo_fd;
  c->fifo_fd = -1;
  if (jr_sync_send (c->sync_fd, JR_SYNC_READY, 0, NULL, &err) < 0)
    _exit (1);
  close (c->sync_fd);

  while (read (fifo, &byte, 1) < 0)
    if (errno != EINTR)
      _exit (1);
  close (fifo);

  if (spec->hooks && jr_hooks_run (&spec->hooks->start_container, "startContainer", c->state_json, &err) < 0)
    report_start_failure (c->status_fd, err, 1);
  jr_process_exec (&pctx, seccomp, &err);
  report_start_failure (c->status_fd, err, 127);
}

/* C1: namespaces, then the init. */
__attribute__ ((noreturn)) static void
intermediate_main (struct create_ctx *c)
{
  jr_error_t err = NULL;
  /* the user namespace first; most of the others in the init */
  int unshare_flags = c->ns.new_flags & NS_BEFORE_INIT;
  pid_t pid;

  close (c->parent_sync_fd);

  if (c->cgroup && jr_cgroup_enter (c->cgroup, getpid (), &err) < 0)
    jr_sync_fail (c->sync_fd, err);
  if (jr_ns_join (&c->ns, &err) < 0)
    jr_sync_fail (c->sync_fd, err);
  if (c->ns.new_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        {
          jr_error (&err, errno, "create user namespace");
          jr_sync_fail (c->sync_fd, err);
        }
      if (jr_sync_send (c->sync_fd, JR_SYNC_USERMAP, getpid (), NULL, &err) < 0
          || jr_sync_expect (c->sync_fd, "jitrun", JR_SYNC_USERMAP_DONE, NULL, &err) < 0)
        jr_sync_fail (c->sync_fd, err);
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          jr_error (&err, errno, "become root in the user namespace (is 0 mapped?)");
          jr_sync_fail (c->sync_fd, err);
        }
    }
  if (unshare_flags && unshare (unshare_flags) < 0)
    {
      jr_error (&err, errno, "create namespaces (flags 0x%x)", unshare_flags);
      jr_sync_fail (c->sync_fd, err);
    }
  if ((unshare_flags & CLONE_NEWTIME) && jr_ns_write_time_offsets (c->spec, &err) < 0)
    jr_sync_fail (c->sync_fd, err);

  /* CLONE_PARENT: the init becomes a child of `jitrun create`/`run`, which
     can wait for it; we are just a stepping stone. */
  pid = syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    {
      jr_error (&err, errno, "clone container init");
      jr_sync_fail (c->sync_fd, err);
    }
  if (pid == 0)
    init_main (c);
  {
    /* tests: hold the pid back, as a busy machine may (await_init_pid) */
    const char *delay = getenv (JR_INIT_PID_DELAY_ENV);
    if (delay != NULL && atoi (delay) > 0)
      usleep ((useconds_t)atoi (delay) * 1000);
  }
  if (jr_sync_send (c->sync_fd, JR_SYNC_INIT_PID, pid, NULL, &err) < 0)
    _exit (1);
  _exit (0);
}

static char *
state_json_for_hooks (struct create_ctx *c, const char *status)
{
  struct oci_state *s = jr_state_to_oci (-1, &c->state);
  char *json;

  free (s->status);
  s->status = xstrdup (status);
  s->pid = c->state.pid;
  json = oci_state_to_json (s, false);
  oci_state_free (s);
  return json;
}

/* The intermediate sends the init's pid after its clone, while the init
   already runs: the init's own messages (HOOKS, READY) may come first.
   Wait for the pid then (and reap the intermediate). */
static int
await_init_pid (struct create_ctx *c, int sock, pid_t *child, jr_error_t *err)
{
  int status;

  while (c->state.pid <= 0)
    {
      struct jr_sync_msg msg;
      if (jr_sync_expect (sock, "container init", JR_SYNC_INIT_PID, &msg, err) < 0)
        return -1;
      c->state.pid = msg.value;
    }
  if (*child > 0)
    {
      waitpid (*child, &status, 0);
      *child = -1;
    }
  return 0;
}

static int
intermediate_entry (void *arg)
{
  intermediate_main (arg);
}

/* A cache hit's overlay, made while the init creates its namespaces (the
   first thing it does), then passed to it.  Once sent, the
   mount is the init's, or gone with the message if the init died.  Done
   before anything else after the fork: each page written now, a received
   message's buffer included, is a copy-on-write fault while the init waits. */
static int
pass_hit_overlay (struct create_ctx *c, int sock, jr_error_t *err)
{
  cleanup_close int mntfd = jr_extcache_overlay_after_fork (c->extcache, err);

  if (mntfd < 0)
    return -1;
  return jr_sync_send_fd (sock, JR_SYNC_OVERLAY, mntfd, err);
}

/* P's side of the conversation until the init is READY. */
static int
spawn_container (struct create_ctx *c, jr_error_t *err)
{
  int fds[2];
  cleanup_close int sock = -1;
  pid_t child;
  int status;

  if (jr_sync_pair (fds, err) < 0)
    return -1;
  sock = fds[0];
  c->sync_fd = fds[1];
  c->parent_sync_fd = sock;
  child = jr_spawn_transient (intermediate_entry, c, jr_ns_plan_allows_shared_memory (&c->ns), err);
  close (fds[1]);
  c->sync_fd = -1;
  if (child < 0)
    return -1;
  if (c->overlay_after_fork && pass_hit_overlay (c, sock, err) < 0)
    {
      /* the init waits for it: learn its pid, to kill it below (it sends
         nothing else before, but an error when it failed on its own) */
      jr_error_t ignored = NULL;
      if (await_init_pid (c, sock, &child, &ignored) < 0)
        jr_error_free (&ignored);
      goto fail;
    }

  for (;;)
    {
      struct jr_sync_msg msg;

      if (jr_sync_recv (sock, "container init", &msg, err) < 0)
        goto fail;
      switch (msg.type)
        {
        case JR_SYNC_USERMAP:
          if (jr_ns_write_id_maps (msg.value, c->spec, err) < 0
              || jr_sync_send (sock, JR_SYNC_USERMAP_DONE, 0, NULL, err) < 0)
            goto fail;
          break;
        case JR_SYNC_INIT_PID:
          c->state.pid = msg.value;
          if (await_init_pid (c, sock, &child, err) < 0) /* reaps the intermediate */
            goto fail;
          break;
        case JR_SYNC_EXTCACHE:
          free (c->state.extcache);
          c->state.extcache = jr_steal_ptr (msg.data);
          break;
        case JR_SYNC_HOOKS:
          {
            cleanup_free char *json = NULL;
            if (await_init_pid (c, sock, &child, err) < 0)
              goto fail;
            json = state_json_for_hooks (c, "creating");
            if (c->spec->hooks
                && (jr_hooks_run (&c->spec->hooks->prestart, "prestart", json, err) < 0
                    || jr_hooks_run (&c->spec->hooks->create_runtime, "createRuntime", json, err) < 0))
              goto fail;
            if (jr_sync_send (sock, JR_SYNC_HOOKS_DONE, 0, json, err) < 0)
              goto fail;
            break;
          }
        case JR_SYNC_READY:
          if (await_init_pid (c, sock, &child, err) < 0)
            goto fail;
          return 0;
        default:
          jr_error (err, 0, "sync: unexpected message %d from the container init", msg.type);
          goto fail;
        }
      jr_sync_msg_clear (&msg);
    }
fail:
  if (child > 0)
    {
      kill (child, SIGKILL);
      waitpid (child, &status, 0);
    }
  if (c->state.pid > 0)
    {
      kill (c->state.pid, SIGKILL);
      waitpid (c->state.pid, &status, 0);
      c->state.pid = 0;
    }
  return -1;
}

static int
load_bundle (struct create_ctx *c, jr_error_t *err)
{
  const char *bundle = c->opts->bundle && *c->opts->bundle ? c->opts->bundle : ".";
  cleanup_free char *config = NULL;
  cleanup_free char *errmsg = NULL;
  char buf[PATH_MAX];

  if (realpath (bundle, buf) == NULL)
    return jr_error (err, errno, "bundle `%s`", bundle);
  c->bundle = xstrdup (buf);
  config = xasprintf ("%s/config.json", c->bundle);
  if (jr_read_file_at (AT_FDCWD, config, &c->config_json, &c->config_len, err) < 0)
    return -1;
  c->spec = oci_spec_parse (c->config_json, c->config_len, "config.json", &errmsg);
  if (c->spec == NULL)
    return jr_error (err, 0, "%s", errmsg);
  if (c->spec->process == NULL)
    return jr_error (err, 0, "config.json: .process: required to create a container");
  if (c->spec->root == NULL || c->spec->root->path == NULL)
    return jr_error (err, 0, "config.json: .root.path: required");
  if (c->spec->root->path[0] == '/')
    c->rootfs = xstrdup (c->spec->root->path);
  else
    c->rootfs = xasprintf ("%s/%s", c->bundle, c->spec->root->path);
  if (realpath (c->rootfs, buf) == NULL)
    return jr_error (err, errno, "root.path `%s`", c->spec->root->path);
  free (c->rootfs);
  c->rootfs = xstrdup (buf);
  return 0;
}

static void
create_ctx_clear (struct create_ctx *c)
{
  jr_ns_plan_close (&c->ns);
  if (c->cgroup)
    jr_cgroup_free (c->cgroup);
  if (c->fifo_fd >= 0)
    close (c->fifo_fd);
  if (c->status_fd >= 0)
    close (c->status_fd);
  if (c->console_fd >= 0)
    close (c->console_fd);
  oci_spec_free (c->spec);
  free (c->bundle);
  free (c->rootfs);
  free (c->config_json);
  free (c->state.cgroup_path);
  free (c->state.created);
  free (c->state.owner);
  free (c->state.extcache);

  free (c->state_json);
  /* state.annotations/bundle/rootfs/id alias the spec and the ctx */
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  return xstrdup (pw ? pw->pw_name : "");
}

/* The device cgroup rules: the spec's own, then what every container needs
   (mknod of any node, the default devices, ptys, tun), as runc does, or
   the init could not even create /dev/null.  linux.devices get no implicit
   rule: resources.devices decides what may be opened. */
static struct oci_linux_resources *
resources_with_default_devices (const struct oci_spec *spec, struct oci_device_cgroup **owned)
{
  static const struct
  {
    char type;
    int64_t major, minor; /* -1 = any */
    const char *access;
  } defaults[] = {
    { 'c', -1, -1, "m" },    { 'b', -1, -1, "m" }, { 'c', 1, 3, "rwm" },    { 'c', 1, 8, "rwm" },
    { 'c', 1, 7, "rwm" },    { 'c', 5, 0, "rwm" }, { 'c', 1, 5, "rwm" },    { 'c', 1, 9, "rwm" },
    { 'c', 136, -1, "rwm" }, { 'c', 5, 2, "rwm" }, { 'c', 10, 200, "rwm" },
  };
  static char type_names[2][2] = { "c", "b" };
  const struct oci_linux *l = spec->linux_;
  struct oci_linux_resources *res;
  struct oci_device_cgroup *rules;
  size_t n = 0, i, ndefaults = sizeof (defaults) / sizeof (defaults[0]);

  *owned = NULL;
  if (l == NULL || l->resources == NULL)
    return NULL;
  res = xmalloc (sizeof (*res));
  *res = *l->resources;
  rules = xmalloc0 ((res->devices_len + ndefaults) * sizeof (*rules));
  for (i = 0; i < res->devices_len; i++)
    rules[n++] = res->devices[i];
  for (i = 0; i < ndefaults; i++, n++)
    {
      rules[n].allow = true;
      rules[n].type = type_names[defaults[i].type == 'b'];
      rules[n].has_major = defaults[i].major >= 0;
      rules[n].major = defaults[i].major;
      rules[n].has_minor = defaults[i].minor >= 0;
      rules[n].minor = defaults[i].minor;
      rules[n].access = (char *)defaults[i].access;
    }
  res->devices = rules;
  res->devices_len = n;
  *owned = rules;
  return res;
}

/* The whole create; on success the init is READY.  `console_fd`: for run
   in the foreground, the container's end of our terminal pair. */
static int
do_create (const struct jr_global *g, const char *id, const struct jr_create_opts *o, int console_fd,
           pid_t *init_pid, bool *terminal, jr_error_t *err)
{
  struct create_ctx c = {
    .g = g,
    .id = id,
    .opts = o,
    .fifo_fd = -1,
    .status_fd = -1,
    .console_fd = console_fd,
    .sync_fd = -1,
    .parent_sync_fd = -1,
  };
  cleanup_close int rootfd = -1;
  cleanup_close int dirfd = -1;
  bool dir_created = false;
  int ret = -1;

  /* Nothing in the container may open our binary through /proc/PID/exe
     while we share its namespaces (CVE-2019-5736): a non-dumpable process's
     /proc entries are off limits to anyone without CAP_SYS_PTRACE. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  if (jr_state_validate_id (id, err) < 0 || load_bundle (&c, err) < 0)
    goto out;
  if (c.spec->process->terminal && console_fd < 0)
    {
      if (o->console_socket == NULL)
        {
          jr_error (err, 0, "process.terminal is true but no --console-socket was given");
          goto out;
        }
      c.console_fd = jr_console_socket_connect (o->console_socket, err);
      if (c.console_fd < 0)
        goto out;
    }
  if (c.spec->linux_ && c.spec->linux_->intel_rdt)
    {
      jr_error (err, 0, "linux.intelRdt: Intel RDT (resctrl) is not supported by jitrun");
      goto out;
    }
  if (jr_ns_plan_from_spec (c.spec, &c.ns, err) < 0 || jr_sysctl_validate (c.spec, err) < 0)
    goto out;
  if (c.spec->linux_
      && jr_labels_validate (c.spec->process->apparmor_profile, c.spec->process->selinux_label,
                             c.spec->linux_->mount_label, err)
             < 0)
    goto out;

  rootfd = jr_state_open_root (state_root (g), err);
  if (rootfd < 0)
    goto out;
  dirfd = jr_state_create_dir (rootfd, id, err);
  if (dirfd < 0)
    goto out;
  dir_created = true;

  {
    /* once the id is ours (see jr_extcache_create_begin) */
    cleanup_free char *abs_root = absolute_state_root (g);
    struct jr_extcache_opts eopts = {
      .cache_dir = g->cache_dir,
      .max_size = g->cache_max_size,
      .registry = g->registry,
      .insecure_registries = g->insecure_registries,
      .state_root = abs_root,
      .overlay_after_fork = (c.ns.new_flags & CLONE_NEWNET) != 0,
    };
    const char *hit;
    if (jr_extcache_create_begin (&eopts, c.spec, id, c.rootfs, &c.extcache, err) < 0)
      goto out;
    hit = c.extcache ? jr_extcache_session_record (c.extcache) : NULL;
    if (hit)
      c.state.extcache = xstrdup (hit);
    c.overlay_after_fork = hit && eopts.overlay_after_fork;
  }

  /* The config as it was at create: exec builds its process from it,
     start/delete run the hooks it names. */
  if (jr_write_file_at (dirfd, "config.json", c.config_json, c.config_len, 0600, err) < 0)
    goto out;
  if (mkfifoat (dirfd, "exec.fifo", 0600) < 0)
    {
      jr_error (err, errno, "create exec.fifo");
      goto out;
    }
  /* O_RDWR: opening never blocks and keeps a reader, so `start` can open
     it O_WRONLY|O_NONBLOCK exactly while the init waits on it.  Opened here
     because the init may be an unmapped user in its user namespace. */
  c.fifo_fd = openat (dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
  if (c.fifo_fd < 0)
    {
      jr_error (err, errno, "open exec.fifo");
      goto out;
    }

  if (mkfifoat (dirfd, "exec.status", 0600) < 0)
    {
      jr_error (err, errno, "create exec.status");
      goto out;
    }
  c.status_fd = openat (dirfd, "exec.status", O_RDWR | O_CLOEXEC);
  if (c.status_fd < 0)
    {
      jr_error (err, errno, "open exec.status");
      goto out;
    }

  c.state.id = (char *)id;
  c.state.bundle = c.bundle;
  c.state.rootfs = c.rootfs;
  c.state.created = jr_rfc3339_now ();
  c.state.owner = owner_name ();
  c.state.systemd_cgroup = g->systemd_cgroup;
  c.state.annotations = c.spec->annotations;

  if (jr_cgroup_resolve_path (id, c.spec->linux_ ? c.spec->linux_->cgroups_path : NULL, g->systemd_cgroup,
                              &c.state.cgroup_path, err)
      < 0)
    goto out;
  {
    struct oci_device_cgroup *rules = NULL;
    struct oci_linux_resources *res = resources_with_default_devices (c.spec, &rules);
    int r = jr_cgroup_create (c.state.cgroup_path, res, &c.cgroup, err);
    free (rules);
    free (res);
    if (r < 0)
      goto out;
  }

  c.state_json = state_json_for_hooks (&c, "creating");

  if (spawn_container (&c, err) < 0)
    goto out;
  if (jr_proc_start_time (c.state.pid, &c.state.start_time, err) < 0
      || jr_state_write (rootfd, &c.state, err) < 0 || jr_write_pid_file (o->pid_file, c.state.pid, err) < 0)
    {
      int status;
      if (c.state.pid > 0)
        {
          kill (c.state.pid, SIGKILL);
          waitpid (c.state.pid, &status, 0);
        }
      goto out;
    }
  *init_pid = c.state.pid;
  *terminal = c.spec->process->terminal;
  ret = 0;

out:
  if (ret < 0)
    {
      jr_error_t cleanup_err = NULL;
      if (c.cgroup)
        {
          jr_cgroup_kill_all (c.cgroup, SIGKILL, NULL);
          if (jr_cgroup_destroy (c.cgroup, &cleanup_err) < 0)
            {
              jr_warn ("cleanup: %s", cleanup_err->msg);
              jr_error_free (&cleanup_err);
            }
        }
      if (dir_created && jr_state_remove (rootfd, id, &cleanup_err) < 0)
        {
          jr_warn ("cleanup: %s", cleanup_err->msg);
          jr_error_free (&cleanup_err);
        }
    }
  /* on failure, this removes the container's dirs in the cache too */
  jr_extcache_create_end (c.extcache, c.state.extcache, ret == 0);
  c.extcache = NULL;
  if (c.console_fd == console_fd)
    c.console_fd = -1; /* the caller's */
  create_ctx_clear (&c);
  return ret;
}

int
jr_container_create (const struct jr_global *g, const char *id, const struct jr_create_opts *o,
                     jr_error_t *err)
{
  pid_t pid;
  bool terminal;

  return do_create (g, id, o, -1, &pid, &terminal, err);
}

/* ---- start / run -------------------------------------------------------- */

/* poststart and poststop failures are only warnings (runtime-spec). */
static void
run_hooks_warn_only (const struct oci_hook_list *hooks, const char *kind, const char *state_json)
{
  jr_error_t err = NULL;

  if (jr_hooks_run (hooks, kind, state_json, &err) < 0)
    {
      jr_warn ("%s", err->msg);
      jr_error_free (&err);
    }
}

static int
run_poststart_hooks (int rootfd, const struct jr_state *st)
{
  struct oci_spec *spec = NULL;
  jr_error_t err = NULL;

  if (jr_container_load_spec (rootfd, st->id, &spec, &err) == 0 && spec->hooks && spec->hooks->poststart.len)
    {
      struct oci_state *s = jr_state_to_oci (rootfd, st);
      cleanup_free char *json = oci_state_to_json (s, false);
      oci_state_free (s);
      run_hooks_warn_only (&spec->hooks->poststart, "poststart", json);
    }
  jr_error_free (&err);
  oci_spec_free (spec);
  return 0;
}

/* The init holds exec.status open for writing until its execve closes it:
   EOF means the process runs; text is the reason it does not. */
static int
wait_exec_status (int rootfd, const struct jr_state *st, jr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/exec.status", st->id);
  cleanup_close int fd = openat (rootfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  char buf[4096];
  size_t len = 0;

  if (fd < 0)
    return errno == ENOENT ? 0 : jr_error (err, errno, "open exec.status of `%s`", st->id);
  unlinkat (rootfd, path, 0);
  /* A blocking read, not poll: poll reports no hang-up to a FIFO reader
     whose writer opened before it did. */
  if (fcntl (fd, F_SETFL, 0) < 0)
    return jr_error (err, errno, "exec.status of `%s`", st->id);
  for (;;)
    {
      ssize_t r = read (fd, buf + len, sizeof (buf) - 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r > 0)
        {
          len += r;
          if (len < sizeof (buf) - 1)
            continue;
        }
      break;
    }
  if (len == 0)
    return 0;
  buf[len] = '\0';
  return jr_error (err, 0, "start container `%s`: %s", st->id, buf);
}

static int
start_loaded (int rootfd, struct jr_state *st, jr_error_t *err)
{
  cleanup_free char *fifo_path = xasprintf ("%s/exec.fifo", st->id);
  const char *status = jr_state_status (rootfd, st);
  cleanup_close int fd = -1;

  if (strcmp (status, "created") != 0)
    return jr_error (err, 0, "cannot start container `%s`: it is %s, not created", st->id, status);
  fd = openat (rootfd, fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENXIO)
        return jr_error (err, 0, "cannot start container `%s`: its init process is gone", st->id);
      return jr_error (err, errno, "open exec.fifo of `%s`", st->id);
    }
  if (write (fd, "0", 1) != 1)
    return jr_error (err, errno, "start container `%s`", st->id);
  unlinkat (rootfd, fifo_path, 0);
  if (wait_exec_status (rootfd, st, err) < 0)
    return -1;
  return run_poststart_hooks (rootfd, st);
}

int
jr_container_start (const struct jr_global *g, const char *id, jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct jr_state *st = NULL;
  int ret;

  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    return -1;
  ret = start_loaded (rootfd, st, err);
  jr_state_free (st);
  return ret;
}

int
jr_container_run (const struct jr_global *g, const char *id, const struct jr_create_opts *o, int *exit_code,
                  jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int term_ours = -1;
  int term_theirs = -1;
  struct jr_state *st = NULL;
  pid_t pid, proxy = -1;
  bool terminal = false;
  int ret;

  *exit_code = 0;
  if (!o->detach && o->console_socket == NULL)
    {
      /* If process.terminal is set, the init sends its pty master on this
         pair and we hold the terminal ourselves. */
      int fds[2];
      if (jr_terminal_socketpair (fds, err) < 0)
        return -1;
      term_ours = fds[0];
      term_theirs = fds[1];
    }
  /* Be the reaper of the container's orphans while we wait for it. */
  if (!o->detach)
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ret = do_create (g, id, o, term_theirs, &pid, &terminal, err);
  if (term_theirs >= 0)
    close (term_theirs);
  if (ret < 0)
    return -1;
  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    return -1;
  if (term_ours >= 0 && terminal && jr_start_terminal_proxy (term_ours, &proxy, err) < 0)
    goto fail;
  if (start_loaded (rootfd, st, err) < 0)
    goto fail;
  jr_state_free (st);
  st = NULL;
  if (o->detach)
    return 0;
  ret = jr_wait_forwarding_signals (pid, exit_code, err);
  if (proxy > 0)
    {
      int status;
      waitpid (proxy, &status, 0);
    }
  if (!o->keep)
    {
      jr_error_t derr = NULL;
      if (jr_container_delete (g, id, true, &derr) < 0)
        {
          jr_warn ("%s", derr->msg);
          jr_error_free (&derr);
        }
    }
  return ret;

fail:
  jr_state_free (st);
  {
    jr_error_t derr = NULL;
    jr_container_delete (g, id, true, &derr);
    jr_error_free (&derr);
  }
  if (proxy > 0)
    {
      int status;
      kill (proxy, SIGKILL);
      waitpid (proxy, &status, 0);
    }
  return -1;
}

/* ---- state / list ------------------------------------------------------- */

int
jr_container_state (const struct jr_global *g, const char *id, struct oci_state **out, jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct jr_state *st = NULL;

  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    return -1;
  *out = jr_state_to_oci (rootfd, st);
  jr_state_free (st);
  return 0;
}

int
jr_container_list (const struct jr_global *g, struct oci_state ***out, size_t *n, jr_error_t *err)
{
  cleanup_dir DIR *d = opendir (state_root (g));
  cleanup_close int rootfd = -1;
  struct oci_state **v = NULL;
  struct dirent *de;
  size_t count = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return jr_error (err, errno, "open state directory `%s`", state_root (g));
    }
  rootfd = open (state_root (g), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return jr_error (err, errno, "open state directory `%s`", state_root (g));
  while ((de = readdir (d)) != NULL)
    {
      struct jr_state *st = NULL;
      if (de->d_name[0] == '.' || jr_state_read (rootfd, de->d_name, &st, NULL) < 0)
        continue;
      v = xrealloc (v, (count + 1) * sizeof (*v));
      v[count++] = jr_state_to_oci (rootfd, st);
      jr_state_free (st);
    }
  *out = v;
  *n = count;
  return 0;
}

/* ---- kill / delete ------------------------------------------------------ */

int
jr_container_kill (const struct jr_global *g, const char *id, int signal, bool all, jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct jr_state *st = NULL;
  int ret = 0;

  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    return -1;
  if (!jr_state_init_alive (st))
    ret = jr_error (err, ESRCH, "container `%s` is not running", id);
  else if (all && st->cgroup_path)
    {
      struct jr_cgroup *cg = NULL;
      ret = jr_cgroup_open (st->cgroup_path, &cg, err);
      if (ret == 0)
        {
          ret = jr_cgroup_kill_all (cg, signal, err);
          jr_cgroup_free (cg);
        }
    }
  else if (kill (st->pid, signal) < 0)
    ret = jr_error (err, errno, "kill container `%s`", id);
  jr_state_free (st);
  return ret;
}

/* Wait until pid (not our child) is gone or a zombie. */
static void
wait_process_gone (pid_t pid, uint64_t start_time)
{
  int pidfd = syscall (SYS_pidfd_open, pid, 0);
  uint64_t now;

  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      /* pid may have been reused between the state read and pidfd_open. */
      if (jr_proc_start_time (pid, &now, NULL) == 0 && now == start_time)
        poll (&p, 1, 10000);
      close (pidfd);
      return;
    }
  for (int i = 0; i < 10000; i++)
    {
      char s = jr_proc_state (pid);
      if (s == 0 || s == 'Z' || s == 'X')
        return;
      usleep (1000);
    }
}

static void
delete_half_created (const struct jr_global *g, int rootfd, const char *id)
{
  struct oci_spec *spec = NULL;
  cleanup_free char *path = NULL;
  struct jr_cgroup *cg = NULL;

  if (jr_container_load_spec (rootfd, id, &spec, NULL) < 0)
    return;
  if (jr_cgroup_resolve_path (id, spec->linux_ ? spec->linux_->cgroups_path : NULL, g->systemd_cgroup, &path,
                              NULL)
          == 0
      && jr_cgroup_open (path, &cg, NULL) == 0)
    {
      jr_cgroup_kill_all (cg, SIGKILL, NULL);
      jr_cgroup_destroy (cg, NULL);
      jr_cgroup_free (cg);
    }
  oci_spec_free (spec);
}

int
jr_container_delete (const struct jr_global *g, const char *id, bool force, jr_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct jr_state *st = NULL;
  struct oci_spec *spec = NULL;
  struct jr_cgroup *cg = NULL;
  const char *status;
  jr_error_t werr = NULL;
  int ret = -1;

  if (jr_container_load (g, id, &rootfd, &st, err) < 0)
    {
      if (force && *err && (*err)->errno_value == ENOENT)
        {
          jr_error_free (err);
          /* A create killed half way (kill -9) may have left a directory and
             a cgroup with processes in it; undo both. */
          rootfd = open (state_root (g), O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (rootfd >= 0 && jr_state_validate_id (id, NULL) == 0)
            {
              delete_half_created (g, rootfd, id);
              jr_state_remove (rootfd, id, NULL);
            }
          return 0;
        }
      return -1;
    }
  status = jr_state_status (rootfd, st);
  if (strcmp (status, "stopped") != 0 && strcmp (status, "created") != 0 && !force)
    {
      jr_error (err, 0, "cannot delete container `%s` that is not stopped: %s", id, status);
      goto out;
    }
  if (st->cgroup_path && jr_cgroup_open (st->cgroup_path, &cg, NULL) < 0)
    cg = NULL;
  if (strcmp (status, "stopped") != 0)
    {
      if (strcmp (status, "paused") == 0 && cg)
        jr_cgroup_freeze (cg, false, NULL);
      kill (st->pid, SIGKILL);
      wait_process_gone (st->pid, st->start_time);
    }
  if (cg)
    {
      /* Without a pid namespace the init's children outlive it. */
      jr_cgroup_kill_all (cg, SIGKILL, NULL);
      if (jr_cgroup_destroy (cg, &werr) < 0)
        {
          jr_warn ("delete `%s`: %s", id, werr->msg);
          jr_error_free (&werr);
        }
    }
  if (jr_container_load_spec (rootfd, id, &spec, NULL) == 0 && spec->hooks && spec->hooks->poststop.len)
    {
      struct oci_state *s = jr_state_to_oci (rootfd, st);
      cleanup_free char *json = NULL;
      free (s->status);
      s->status = xstrdup ("stopped");
      s->pid = 0;
      json = oci_state_to_json (s, false);
      oci_state_free (s);
      run_hooks_warn_only (&spec->hooks->poststop, "poststop", json);
    }
  if (st->extcache
      && jr_extcache_container_delete (jr_extcache_dir (g->cache_dir), id, st->extcache, &werr) < 0)
    {
      jr_warn ("delete `%s`: %s", id, werr->msg);
      jr_error_free (&werr);
    }
  ret = jr_state_remove (rootfd, id, err);
out:
  if (cg)
    jr_cgroup_free (cg);
  oci_spec_free (spec);
  jr_state_free (st);
  return ret;
}
