#define _GNU_SOURCE
#include <config.h>
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *type;
  const char *proc_name;
  int flag;
} ns_table[] = {
  /* Join order: user first (it grants the rights to join the others), mount
     last (after it, host paths are gone). */
  { "user", "user", CLONE_NEWUSER }, { "ipc", "ipc", CLONE_NEWIPC },
  { "uts", "uts", CLONE_NEWUTS },    { "network", "net", CLONE_NEWNET },
  { "pid", "pid", CLONE_NEWPID },    { "cgroup", "cgroup", CLONE_NEWCGROUP },
  { "time", "time", CLONE_NEWTIME }, { "mount", "mnt", CLONE_NEWNS },
};
#define NS_COUNT (sizeof (ns_table) / sizeof (ns_table[0]))

int
jr_ns_flag_from_type (const char *type)
{
  size_t i;

  for (i = 0; type && i < NS_COUNT; i++)
    if (strcmp (type, ns_table[i].type) == 0)
      return ns_table[i].flag;
  return 0;
}

const char *
jr_ns_proc_name (int flag)
{
  size_t i;

  for (i = 0; i < NS_COUNT; i++)
    if (ns_table[i].flag == flag)
      return ns_table[i].proc_name;
  return NULL;
}

static void
plan_init (struct jr_ns_plan *plan)
{
  memset (plan, 0, sizeof (*plan));
  for (size_t i = 0; i < JR_NS_MAX; i++)
    plan->join_fds[i] = -1;
}

int
jr_ns_plan_from_spec (const struct oci_spec *spec, struct jr_ns_plan *plan, jr_error_t *err)
{
  const struct oci_linux *l = spec->linux_;
  size_t i, j;
  int seen = 0;

  plan_init (plan);
  if (l == NULL)
    return 0;
  for (i = 0; i < l->namespaces_len; i++)
    {
      int flag = jr_ns_flag_from_type (l->namespaces[i].type);
      if (flag == 0)
        return jr_error (err, 0, "linux.namespaces[%zu]: unknown namespace type `%s`", i,
                         l->namespaces[i].type ? l->namespaces[i].type : "");
      if (seen & flag)
        return jr_error (err, 0, "linux.namespaces: `%s` listed twice", l->namespaces[i].type);
      seen |= flag;
      if (l->namespaces[i].path == NULL || *l->namespaces[i].path == '\0')
        plan->new_flags |= flag;
    }
  /* Open in join order. */
  for (j = 0; j < NS_COUNT; j++)
    for (i = 0; i < l->namespaces_len; i++)
      {
        const struct oci_namespace *ns = &l->namespaces[i];
        int fd;
        if (ns->path == NULL || *ns->path == '\0' || jr_ns_flag_from_type (ns->type) != ns_table[j].flag)
          continue;
        fd = open (ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          {
            int saved = errno;
            jr_ns_plan_close (plan);
            return jr_error (err, saved, "open %s namespace `%s`", ns->type, ns->path);
          }
        plan->join_fds[plan->n_join] = fd;
        plan->join_types[plan->n_join++] = ns_table[j].flag;
      }
  return 0;
}

int
jr_ns_plan_from_pid (pid_t pid, struct jr_ns_plan *plan, jr_error_t *err)
{
  size_t j;

  plan_init (plan);
  for (j = 0; j < NS_COUNT; j++)
    {
      char path[64], self[64];
      struct stat a, b;
      int fd;

      snprintf (path, sizeof (path), "/proc/%d/ns/%s", pid, ns_table[j].proc_name);
      snprintf (self, sizeof (self), "/proc/self/ns/%s", ns_table[j].proc_name);
      if (stat (path, &a) < 0)
        {
          if (errno == ENOENT) /* kernel without this namespace type */
            continue;
          jr_ns_plan_close (plan);
          return jr_error (err, errno, "stat `%s`", path);
        }
      if (stat (self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int saved = errno;
          jr_ns_plan_close (plan);
          return jr_error (err, saved, "open `%s`", path);
        }
      plan->join_fds[plan->n_join] = fd;
      plan->join_types[plan->n_join++] = ns_table[j].flag;
    }
  return 0;
}

void
jr_ns_plan_close (struct jr_ns_plan *plan)
{
  for (size_t i = 0; i < plan->n_join; i++)
    if (plan->join_fds[i] >= 0)
      {
        close (plan->join_fds[i]);
        plan->join_fds[i] = -1;
      }
  plan->n_join = 0;
}

bool
jr_ns_plan_allows_shared_memory (const struct jr_ns_plan *plan)
{
  if (plan->new_flags & CLONE_NEWUSER)
    return false;
  for (size_t i = 0; i < plan->n_join; i++)
    if (plan->join_types[i] == CLONE_NEWTIME)
      return false;
  return true;
}

int
jr_ns_join (const struct jr_ns_plan *plan, jr_error_t *err)
{
  for (size_t i = 0; i < plan->n_join; i++)
    if (setns (plan->join_fds[i], plan->join_types[i]) < 0)
      return jr_error (err, errno, "join %s namespace", jr_ns_proc_name (plan->join_types[i]));
  return 0;
}

static int
write_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, jr_error_t *err)
{
  char path[64];
  size_t cap = 64 * (n + 1), len = 0, i;
  cleanup_free char *buf = xmalloc (cap);

  for (i = 0; i < n; i++)
    len += snprintf (buf + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  snprintf (path, sizeof (path), "/proc/%d/%s", pid, file);
  if (jr_write_existing_at (AT_FDCWD, path, buf, err) < 0)
    return jr_error_wrap (err, "user namespace: %s", file);
  return 0;
}

int
jr_ns_write_id_maps (pid_t pid, const struct oci_spec *spec, jr_error_t *err)
{
  const struct oci_linux *l = spec->linux_;

  if (l == NULL || l->uid_mappings_len == 0 || l->gid_mappings_len == 0)
    return jr_error (err, 0, "user namespace requested without linux.uidMappings and linux.gidMappings");
  if (write_map (pid, "uid_map", l->uid_mappings, l->uid_mappings_len, err) < 0)
    return -1;
  return write_map (pid, "gid_map", l->gid_mappings, l->gid_mappings_len, err);
}

int
jr_ns_write_time_offsets (const struct oci_spec *spec, jr_error_t *err)
{
  const struct oci_time_offsets *t = spec->linux_ ? spec->linux_->time_offsets : NULL;
  char buf[128];
  int len = 0;

  if (t == NULL)
    return 0;
  if (t->has_monotonic)
    len += snprintf (buf + len, sizeof (buf) - len, "monotonic %lld %u\n", (long long)t->monotonic.secs,
                     t->monotonic.nanosecs);
  if (t->has_boottime)
    len += snprintf (buf + len, sizeof (buf) - len, "boottime %lld %u\n", (long long)t->boottime.secs,
                     t->boottime.nanosecs);
  if (len == 0)
    return 0;
  /* One offset per write: the kernel parses a single line per call on some
     versions, all lines on others. */
  {
    char *line = buf, *nl;
    while ((nl = strchr (line, '\n')) != NULL)
      {
        *nl = '\0';
        if (jr_write_existing_at (AT_FDCWD, "/proc/self/timens_offsets", line, err) < 0)
          return jr_error_wrap (err, "linux.timeOffsets");
        line = nl + 1;
      }
  }
  return 0;
}
