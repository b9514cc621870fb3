#define _GNU_SOURCE
#include <config.h>
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "labels.h"
#include "seccomp.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
apply_rlimits (const struct oci_process *p, jr_error_t *err)
{
  size_t i, j;

  for (i = 0; i < p->rlimits_len; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];
      struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
      int resource = -1;

      for (j = 0; j < sizeof (rlimit_names) / sizeof (rlimit_names[0]); j++)
        if (r->type && strcmp (r->type, rlimit_names[j].name) == 0)
          resource = rlimit_names[j].resource;
      if (resource < 0)
        return jr_error (err, 0, "rlimit `%s`: unknown type", r->type ? r->type : "");
      if (r->soft > r->hard)
        return jr_error (err, 0, "rlimit `%s`: soft limit %llu is above hard limit %llu", r->type,
                         (unsigned long long)r->soft, (unsigned long long)r->hard);
      if (setrlimit (resource, &lim) < 0)
        {
          int saved = errno;
          struct rlimit cur;
          if (saved == EPERM && getrlimit (resource, &cur) == 0)
            return jr_error (err, saved,
                             "rlimit `%s`: cannot set soft=%llu hard=%llu: the host's hard limit is %llu "
                             "and raising it needs CAP_SYS_RESOURCE",
                             r->type, (unsigned long long)r->soft, (unsigned long long)r->hard,
                             (unsigned long long)cur.rlim_max);
          return jr_error (err, saved, "rlimit `%s`: set soft=%llu hard=%llu", r->type,
                           (unsigned long long)r->soft, (unsigned long long)r->hard);
        }
    }
  return 0;
}

static int
apply_oom_score_adj (const struct oci_process *p, jr_error_t *err)
{
  char buf[16];

  if (!p->has_oom_score_adj)
    return 0;
  snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
  if (jr_write_existing_at (AT_FDCWD, "/proc/self/oom_score_adj", buf, NULL) < 0)
    return jr_error (err, errno,
                     "oomScoreAdj %d: cannot write /proc/self/oom_score_adj (lowering it needs "
                     "CAP_SYS_RESOURCE)",
                     p->oom_score_adj);
  return 0;
}

/* struct sched_attr is not in glibc 2.36. */
struct jr_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static int
apply_scheduler (const struct oci_scheduler *s, jr_error_t *err)
{
  static const struct
  {
    const char *name;
    uint32_t value;
  } policies[] = { { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },
                   { "SCHED_BATCH", 3 }, { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 } };
  static const struct
  {
    const char *name;
    uint64_t value;
  } flags[] = { { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
                { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
                { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
                { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 } };
  struct jr_sched_attr attr = { .size = sizeof (attr) };
  size_t i, j;
  bool found = false;

  if (s == NULL)
    return 0;
  for (i = 0; i < sizeof (policies) / sizeof (policies[0]); i++)
    if (s->policy && strcmp (s->policy, policies[i].name) == 0)
      {
        attr.sched_policy = policies[i].value;
        found = true;
      }
  if (!found)
    return jr_error (err, 0, "scheduler: unknown policy `%s`", s->policy ? s->policy : "");
  for (i = 0; i < s->flags_len; i++)
    {
      found = false;
      for (j = 0; j < sizeof (flags) / sizeof (flags[0]); j++)
        if (strcmp (s->flags[i], flags[j].name) == 0)
          {
            attr.sched_flags |= flags[j].value;
            found = true;
          }
      if (!found)
        return jr_error (err, 0, "scheduler: unknown flag `%s`", s->flags[i]);
    }
  attr.sched_nice = s->has_nice ? s->nice : 0;
  attr.sched_priority = s->has_priority ? s->priority : 0;
  attr.sched_runtime = s->has_runtime ? s->runtime : 0;
  attr.sched_deadline = s->has_deadline ? s->deadline : 0;
  attr.sched_period = s->has_period ? s->period : 0;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return jr_error (err, errno, "scheduler: set policy `%s`", s->policy);
  return 0;
}

static int
apply_io_priority (const struct oci_io_priority *io, jr_error_t *err)
{
  int class;

  if (io == NULL)
    return 0;
  if (io->class && strcmp (io->class, "IOPRIO_CLASS_RT") == 0)
    class = 1;
  else if (io->class && strcmp (io->class, "IOPRIO_CLASS_BE") == 0)
    class = 2;
  else if (io->class && strcmp (io->class, "IOPRIO_CLASS_IDLE") == 0)
    class = 3;
  else
    return jr_error (err, 0, "ioPriority: unknown class `%s`", io->class ? io->class : "");
  if (io->priority < 0 || io->priority > 7)
    return jr_error (err, 0, "ioPriority: priority %d out of range 0-7", io->priority);
  /* IOPRIO_WHO_PROCESS = 1, class in the top bits. */
  if (syscall (SYS_ioprio_set, 1, 0, (class << 13) | io->priority) < 0)
    return jr_error (err, errno, "ioPriority: set `%s` %d", io->class, io->priority);
  return 0;
}

static int
apply_cpu_affinity (const char *list, const char *which, jr_error_t *err)
{
  cleanup_strv char **parts = NULL;
  cpu_set_t set;
  size_t i;

  if (list == NULL || *list == '\0')
    return 0;
  CPU_ZERO (&set);
  parts = jr_split (list, ',');
  for (i = 0; parts[i]; i++)
    {
      unsigned a, b;
      char dash;
      int n = sscanf (parts[i], "%u%c%u", &a, &dash, &b);
      if (n == 1)
        b = a;
      else if (n != 3 || dash != '-' || b < a)
        return jr_error (err, 0, "execCPUAffinity.%s: invalid cpu list `%s`", which, list);
      for (; a <= b && a < CPU_SETSIZE; a++)
        CPU_SET (a, &set);
    }
  if (sched_setaffinity (0, sizeof (set), &set) < 0)
    return jr_error (err, errno, "execCPUAffinity.%s: set `%s`", which, list);
  return 0;
}

static const char *
env_lookup (char *const *env, size_t n, const char *name)
{
  size_t len = strlen (name), i;

  for (i = 0; i < n; i++)
    if (strncmp (env[i], name, len) == 0 && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

static bool
is_executable_file (const char *path)
{
  struct stat sb;

  return stat (path, &sb) == 0 && S_ISREG (sb.st_mode) && access (path, X_OK) == 0;
}

char *
jr_process_find_executable (const char *file, char *const *env, size_t env_len)
{
  const char *path;
  cleanup_strv char **dirs = NULL;
  size_t i;

  if (file == NULL || *file == '\0')
    return NULL;
  if (strchr (file, '/'))
    return is_executable_file (file) ? xstrdup (file) : NULL;
  path = env_lookup (env, env_len, "PATH");
  dirs = jr_split (path ? path : DEFAULT_PATH, ':');
  for (i = 0; dirs[i]; i++)
    {
      char *candidate = xasprintf ("%s/%s", dirs[i], file);
      if (is_executable_file (candidate))
        return candidate;
      free (candidate);
    }
  return NULL;
}

int
jr_process_prepare (struct jr_process_ctx *ctx, struct jr_seccomp **seccomp, jr_error_t *err)
{
  const struct oci_process *p = ctx->process;

  *seccomp = NULL;
  if (p == NULL || p->args_len == 0)
    return jr_error (err, 0, "process.args must not be empty");
  if (p->capabilities && jr_caps_validate (p->capabilities, err) < 0)
    return -1;
  if (jr_labels_validate (p->apparmor_profile, p->selinux_label, NULL, err) < 0)
    return -1;

  free (ctx->exec_path);
  ctx->exec_path = jr_process_find_executable (p->args[0], p->env, p->env_len);
  if (ctx->exec_path == NULL)
    {
      if (strchr (p->args[0], '/'))
        return jr_error (err, errno ? errno : ENOENT, "exec `%s`", p->args[0]);
      return jr_error (err, 0, "exec `%s`: executable file not found in $PATH", p->args[0]);
    }

  if (p->cwd && *p->cwd)
    {
      /* As runc: a missing cwd is created, one that is not a directory
         fails the create. */
      struct stat sb;
      if (stat (p->cwd, &sb) < 0)
        {
          if (errno != ENOENT)
            return jr_error (err, errno, "cwd `%s`", p->cwd);
          if (jr_mkdir_p_at (AT_FDCWD, p->cwd, 0755, err) < 0)
            return jr_error_wrap (err, "cwd");
        }
      else if (!S_ISDIR (sb.st_mode))
        return jr_error (err, ENOTDIR, "cwd `%s`", p->cwd);
    }
  if (ctx->seccomp && jr_seccomp_build (ctx->seccomp, seccomp, err) < 0)
    return -1;
  if (apply_rlimits (p, err) < 0 || apply_oom_score_adj (p, err) < 0
      || apply_scheduler (p->scheduler, err) < 0 || apply_io_priority (p->io_priority, err) < 0
      || apply_cpu_affinity (p->exec_cpu_affinity ? p->exec_cpu_affinity->initial : NULL, "initial", err) < 0)
    {
      jr_seccomp_free (*seccomp);
      *seccomp = NULL;
      return -1;
    }
  return 0;
}

static int
apply_user (const struct jr_process_ctx *ctx, jr_error_t *err)
{
  const struct oci_user *u = &ctx->process->user;
  gid_t *gids = NULL;
  size_t i;

  if (u->additional_gids_len > 0)
    {
      gids = alloca (u->additional_gids_len * sizeof (gid_t));
      for (i = 0; i < u->additional_gids_len; i++)
        gids[i] = u->additional_gids[i];
    }
  if (setgroups (u->additional_gids_len, gids) < 0)
    {
      /* In a user namespace with setgroups denied only an empty list is
         acceptable, and that is what the process already has. */
      if (!(ctx->in_userns && errno == EPERM && u->additional_gids_len == 0))
        return jr_error (err, errno, "setgroups");
    }
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return jr_error (err, errno, "setgid %u", u->gid);
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return jr_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return jr_error (err, errno, "setuid %u", u->uid);
  return 0;
}

/* HOME of `uid` from the container's /etc/passwd (we are past pivot_root),
   "/" when it has none: what runc gives a process without HOME. */
static char *
home_of (uid_t uid)
{
  cleanup_free char *passwd = NULL;
  char *line, *save = NULL;

  if (jr_read_file_at (AT_FDCWD, "/etc/passwd", &passwd, NULL, NULL) < 0)
    return xstrdup ("HOME=/");
  for (line = strtok_r (passwd, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* name:pw:uid:gid:gecos:home:shell */
      char *f[7] = { 0 };
      char *p = line;
      int n;
      for (n = 0; n < 7 && p; n++)
        f[n] = strsep (&p, ":");
      if (n >= 6 && f[2] && f[5] && *f[5] && strtoul (f[2], NULL, 10) == uid)
        return xasprintf ("HOME=%s", f[5]);
    }
  return xstrdup ("HOME=/");
}

static char **
build_env (const struct oci_process *p, char **home)
{
  char **envp = xmalloc ((p->env_len + 3) * sizeof (char *));
  size_t i, n = 0;
  bool has_path = false, has_home = false;

  for (i = 0; i < p->env_len; i++)
    {
      envp[n++] = p->env[i];
      if (jr_has_prefix (p->env[i], "PATH="))
        has_path = true;
      if (jr_has_prefix (p->env[i], "HOME="))
        has_home = true;
    }
  if (!has_path)
    envp[n++] = (char *)"PATH=" DEFAULT_PATH;
  if (!has_home)
    envp[n++] = *home = home_of (p->user.uid);
  envp[n] = NULL;
  return envp;
}

int
jr_process_exec (struct jr_process_ctx *ctx, struct jr_seccomp *seccomp, jr_error_t *err)
{
  const struct oci_process *p = ctx->process;
  cleanup_free char **envp = NULL;
  cleanup_free char **argv = NULL;
  cleanup_free char *home = NULL;
  bool cwd_done = false;
  int notify_fd = -1;
  size_t i;

  if (p->apparmor_profile && *p->apparmor_profile && jr_apparmor_exec_profile (p->apparmor_profile, err) < 0)
    return -1;
  if (p->selinux_label && *p->selinux_label && jr_selinux_exec_label (p->selinux_label, err) < 0)
    return -1;

  /* Try the cwd as root first (it may be unreadable to the user), again
     as the user below if that failed. */
  if (p->cwd && chdir (p->cwd) == 0)
    cwd_done = true;

  if (jr_caps_drop_bounding (p->capabilities, err) < 0)
    return -1;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
     user may not keep: load it while we still have it. */
  if (seccomp && !p->no_new_privileges)
    {
      if (jr_seccomp_load (seccomp, &notify_fd, err) < 0)
        return -1;
    }
  if (apply_user (ctx, err) < 0)
    return -1;
  if (jr_caps_apply (p->capabilities, err) < 0)
    return -1;
  umask (p->user.has_umask ? p->user.umask : 0022);
  if (!cwd_done && p->cwd && chdir (p->cwd) < 0)
    return jr_error (err, errno, "chdir to cwd `%s`", p->cwd);
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return jr_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  if (apply_cpu_affinity (p->exec_cpu_affinity ? p->exec_cpu_affinity->final : NULL, "final", err) < 0)
    return -1;

  envp = build_env (p, &home);
  argv = xmalloc ((p->args_len + 1) * sizeof (char *));
  for (i = 0; i < p->args_len; i++)
    argv[i] = p->args[i];
  argv[i] = NULL;

  /* fds 3..3+preserve_fds-1 go to the process, everything else is closed
     by the exec. */
  for (i = 3; i < 3 + (size_t)ctx->preserve_fds; i++)
    {
      int flags = fcntl (i, F_GETFD);
      if (flags >= 0)
        fcntl (i, F_SETFD, flags & ~FD_CLOEXEC);
    }
  if (syscall (SYS_close_range, 3 + ctx->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    {
      /* old kernel: the runtime opens everything O_CLOEXEC anyway */
    }

  if (seccomp && p->no_new_privileges)
    {
      /* As late as possible, so the filter need not allow our own syscalls. */
      if (jr_seccomp_load (seccomp, &notify_fd, err) < 0)
        return -1;
    }
  if (notify_fd >= 0)
    {
      if (ctx->listener_fd < 0)
        return jr_error (err, 0, "seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
      if (jr_seccomp_send_listener (ctx->listener_fd, ctx->seccomp->listener_metadata, notify_fd,
                                    ctx->state_json, err)
          < 0)
        return -1;
      close (ctx->listener_fd);
      ctx->listener_fd = -1;
      close (notify_fd);
    }
  execve (ctx->exec_path, argv, envp);
  return jr_error (err, errno, "exec `%s`", p->args[0]);
}

void
jr_process_ctx_clear (struct jr_process_ctx *ctx)
{
  free (ctx->exec_path);
  ctx->exec_path = NULL;
}
