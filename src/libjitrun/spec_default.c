/* jitrun - the default config.json written by `jitrun spec`: the same
   document as `runc spec`, built as a struct so it always round-trips
   through libocispec. */
#define _GNU_SOURCE
#include <config.h>
#include "spec_default.h"

#include <string.h>
#include <unistd.h>

#include "utils.h"

static char **
strv (const char *const *items, size_t *len)
{
  size_t n = 0, i;
  char **v;

  while (items[n] != NULL)
    n++;
  v = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    v[i] = xstrdup (items[i]);
  *len = n;
  return v;
}

#define STRV(field, ...)                                                                                     \
  do                                                                                                         \
    {                                                                                                        \
      static const char *const items_[] = { __VA_ARGS__, NULL };                                             \
      field = strv (items_, &field##_len);                                                                   \
    }                                                                                                        \
  while (0)

static void
set_mount (struct oci_mount *m, const char *destination, const char *type, const char *source)
{
  m->destination = xstrdup (destination);
  m->type = xstrdup (type);
  m->source = xstrdup (source);
}

static struct oci_process *
default_process (void)
{
  struct oci_process *p = xmalloc0 (sizeof (*p));
  struct oci_capabilities *caps = xmalloc0 (sizeof (*caps));

  p->terminal = true;
  p->user.uid = 0;
  p->user.gid = 0;
  STRV (p->args, "sh");
  STRV (p->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm");
  p->cwd = xstrdup ("/");

  STRV (caps->bounding, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  STRV (caps->effective, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  STRV (caps->permitted, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  STRV (caps->ambient, "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  p->capabilities = caps;

  p->rlimits = xmalloc0 (sizeof (struct oci_rlimit));
  p->rlimits_len = 1;
  p->rlimits[0].type = xstrdup ("RLIMIT_NOFILE");
  p->rlimits[0].hard = 1024;
  p->rlimits[0].soft = 1024;
  p->no_new_privileges = true;
  return p;
}

static void
default_mounts (struct oci_spec *s, bool rootless)
{
  struct oci_mount *m;

  s->mounts_len = 7;
  m = s->mounts = xmalloc0 (s->mounts_len * sizeof (*m));

  set_mount (&m[0], "/proc", "proc", "proc");

  set_mount (&m[1], "/dev", "tmpfs", "tmpfs");
  STRV (m[1].options, "nosuid", "strictatime", "mode=755", "size=65536k");

  set_mount (&m[2], "/dev/pts", "devpts", "devpts");
  /* gid=5 (tty) cannot be mapped in a single-id user namespace. */
  if (rootless)
    STRV (m[2].options, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
  else
    STRV (m[2].options, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");

  set_mount (&m[3], "/dev/shm", "tmpfs", "shm");
  STRV (m[3].options, "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");

  set_mount (&m[4], "/dev/mqueue", "mqueue", "mqueue");
  STRV (m[4].options, "nosuid", "noexec", "nodev");

  /* A fresh sysfs needs the network namespace we do not own when rootless:
     bind the host's instead. */
  if (rootless)
    {
      set_mount (&m[5], "/sys", "none", "/sys");
      STRV (m[5].options, "rbind", "nosuid", "noexec", "nodev", "ro");
    }
  else
    {
      set_mount (&m[5], "/sys", "sysfs", "sysfs");
      STRV (m[5].options, "nosuid", "noexec", "nodev", "ro");
    }

  set_mount (&m[6], "/sys/fs/cgroup", "cgroup", "cgroup");
  STRV (m[6].options, "nosuid", "noexec", "nodev", "relatime", "ro");
}

static struct oci_linux *
default_linux (bool rootless)
{
  struct oci_linux *l = xmalloc0 (sizeof (*l));
  static const char *const ns_root[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };
  const char *const *ns = rootless ? ns_rootless : ns_root;
  size_t i;

  if (rootless)
    {
      /* Map the caller to root: the only id an unprivileged user may map. */
      l->uid_mappings = xmalloc0 (sizeof (struct oci_id_mapping));
      l->uid_mappings_len = 1;
      l->uid_mappings[0].container_id = 0;
      l->uid_mappings[0].host_id = geteuid ();
      l->uid_mappings[0].size = 1;
      l->gid_mappings = xmalloc0 (sizeof (struct oci_id_mapping));
      l->gid_mappings_len = 1;
      l->gid_mappings[0].container_id = 0;
      l->gid_mappings[0].host_id = getegid ();
      l->gid_mappings[0].size = 1;
    }
  else
    {
      /* deny every device; runtimes add the default ones */
      struct oci_linux_resources *res = xmalloc0 (sizeof (*res));
      res->devices = xmalloc0 (sizeof (struct oci_device_cgroup));
      res->devices_len = 1;
      res->devices[0].allow = false;
      res->devices[0].access = xstrdup ("rwm");
      l->resources = res;
    }

  for (l->namespaces_len = 0; ns[l->namespaces_len] != NULL; l->namespaces_len++)
    ;
  l->namespaces = xmalloc0 (l->namespaces_len * sizeof (struct oci_namespace));
  for (i = 0; i < l->namespaces_len; i++)
    l->namespaces[i].type = xstrdup (ns[i]);

  STRV (l->masked_paths, "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi");
  STRV (l->readonly_paths, "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
  return l;
}

struct oci_spec *
jr_spec_default (bool rootless)
{
  struct oci_spec *s = xmalloc0 (sizeof (*s));

  s->oci_version = xstrdup (OCI_RUNTIME_SPEC_VERSION);
  s->process = default_process ();
  s->root = xmalloc0 (sizeof (*s->root));
  s->root->path = xstrdup ("rootfs");
  s->root->readonly = true;
  s->hostname = xstrdup ("jitrun");
  default_mounts (s, rootless);
  s->linux_ = default_linux (rootless);
  return s;
}
