/* jitrun - cgroup v1 backend, also used in hybrid mode where the cgroup2
 * mount next to the v1 hierarchies gets the same path (for hugetlb and the
 * unified map). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "utils.h"

static const char *
v1_dir (struct jr_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_mounts; i++)
    for (char **c = cg->mounts[i].controllers; c && *c; c++)
      if (strcmp (*c, controller) == 0)
        return cg->dirs[i];
  return NULL;
}

static int
need_dir (struct jr_cgroup *cg, const char *controller, const char *what, const char **dir, jr_error_t *err)
{
  *dir = v1_dir (cg, controller);
  if (*dir == NULL)
    return jr_error (err, 0, "%s requested but the `%s` cgroup controller is not mounted", what, controller);
  return 0;
}

static bool
has_unified_controller (struct jr_cgroup *cg, const char *controller)
{
  cleanup_free char *text = NULL;
  cleanup_error jr_error_t ignored = NULL;
  if (cg->unified_mount == NULL
      || jr_cgroup_read (cg->unified_mount, "cgroup.controllers", &text, &ignored) < 0)
    return false;
  cleanup_strv char **list = jr_split (text, ' ');
  for (size_t i = 0; list && list[i]; i++)
    if (strcmp (list[i], controller) == 0)
      return true;
  return false;
}

/* ---- create ----------------------------------------------------------------- */

/* A new cpuset cgroup starts with empty cpus/mems and cannot take tasks:
   inherit the parent's. */
static int
cpuset_fill_from_parent (const char *parent, const char *dir, jr_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *cur = NULL;
      cleanup_free char *val = NULL;
      if (jr_cgroup_read (dir, files[i], &cur, err) < 0)
        return -1;
      if (cur[0] != '\0')
        continue;
      if (jr_cgroup_read (parent, files[i], &val, err) < 0)
        return -1;
      if (val[0] && jr_cgroup_write (dir, files[i], val, err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_mkdir (const char *mount_point, const char *path, bool is_cpuset, char ***created, jr_error_t *err)
{
  cleanup_strv char **parts = jr_split (path, '/');
  cleanup_free char *cur = xstrdup (mount_point);

  for (size_t i = 0; parts && parts[i]; i++)
    {
      char *next = xasprintf ("%s/%s", cur, parts[i]);
      if (mkdir (next, 0755) == 0)
        jr_cgroup_strv_append (created, xstrdup (next));
      else if (errno != EEXIST)
        {
          int saved = errno;
          free (next);
          return jr_error (err, saved, "mkdir cgroup `%s/%s`", cur, parts[i]);
        }
      if (is_cpuset && cpuset_fill_from_parent (cur, next, err) < 0)
        {
          free (next);
          return -1;
        }
      free (cur);
      cur = next;
    }
  return 0;
}

/* ---- resources -------------------------------------------------------------- */

static int
write_i64 (const char *dir, const char *file, int64_t v, jr_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return jr_cgroup_write (dir, file, buf, err);
}

static int
write_u64 (const char *dir, const char *file, uint64_t v, jr_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return jr_cgroup_write (dir, file, buf, err);
}

/* memory.memsw.limit_in_bytes must stay >= memory.limit_in_bytes at all
   times, so which one goes first depends on the direction of the change. */
static int
v1_memory_limits (const char *dir, const struct oci_memory *m, jr_error_t *err)
{
  char lim[32], sw[32];
  bool want_swap = m->has_swap && m->swap != 0;
  bool memsw = jr_cgroup_file_exists (dir, "memory.memsw.limit_in_bytes");

  snprintf (lim, sizeof lim, "%" PRId64, m->limit);
  snprintf (sw, sizeof sw, "%" PRId64, m->swap);
  if (want_swap && !memsw)
    {
      if (m->swap == -1 || (m->has_limit && m->swap == m->limit))
        want_swap = false;
      else
        return jr_error (err, 0,
                         "memory.swap requested but `%s/memory.memsw.limit_in_bytes` is missing "
                         "(swap accounting disabled)",
                         dir);
    }
  if (want_swap && m->has_limit && m->limit != -1 && (m->swap != -1 && m->swap < m->limit))
    return jr_error (err, 0, "memory.swap %" PRId64 " (memory+swap) is lower than memory.limit %" PRId64,
                     m->swap, m->limit);

  if (!m->has_limit)
    return want_swap ? jr_cgroup_write (dir, "memory.memsw.limit_in_bytes", sw, err) : 0;

  int r = jr_cgroup_try_write (dir, "memory.limit_in_bytes", lim);
  if (r == 0)
    return want_swap ? jr_cgroup_write (dir, "memory.memsw.limit_in_bytes", sw, err) : 0;
  if (r == -EINVAL && want_swap)
    {
      /* Raising: the old memsw is below the new limit. */
      if (jr_cgroup_write (dir, "memory.memsw.limit_in_bytes", sw, err) < 0)
        return -1;
      return jr_cgroup_write (dir, "memory.limit_in_bytes", lim, err);
    }
  if (r == -EINVAL && memsw)
    return jr_error (err, EINVAL,
                     "write `%s` to `%s/memory.limit_in_bytes` (above memory+swap limit? set "
                     "memory.swap too)",
                     lim, dir);
  return jr_error (err, -r, "write `%s` to cgroup file `%s/memory.limit_in_bytes`", lim, dir);
}

static int
v1_apply_memory (struct jr_cgroup *cg, const struct oci_memory *m, jr_error_t *err)
{
  const char *dir;
  if (need_dir (cg, "memory", "linux.resources.memory", &dir, err) < 0)
    return -1;
  if (v1_memory_limits (dir, m, err) < 0)
    return -1;
  if (m->has_reservation && write_i64 (dir, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return -1;
  if (m->has_kernel && m->kernel != 0)
    {
      cleanup_error jr_error_t kerr = NULL;
      /* Kernel memory limits are deprecated and refused by newer kernels. */
      if (write_i64 (dir, "memory.kmem.limit_in_bytes", m->kernel, &kerr) < 0)
        jr_warn ("ignoring memory.kernel: %s", kerr->msg);
    }
  if (m->has_kernel_tcp && m->kernel_tcp != 0
      && write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
    return -1;
  if (m->has_swappiness)
    {
      if (m->swappiness > 100)
        return jr_error (err, 0, "invalid memory.swappiness %" PRIu64 " (0-100)", m->swappiness);
      if (write_u64 (dir, "memory.swappiness", m->swappiness, err) < 0)
        return -1;
    }
  if (m->has_disable_oom_killer
      && jr_cgroup_write (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
    return -1;
  if (m->has_use_hierarchy)
    {
      cleanup_error jr_error_t herr = NULL;
      if (jr_cgroup_write (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", &herr) < 0)
        jr_warn ("ignoring memory.useHierarchy: %s", herr->msg);
    }
  return 0;
}

static int
v1_apply_cpu (struct jr_cgroup *cg, const struct oci_cpu *c, jr_error_t *err)
{
  const char *dir = NULL;
  bool quota = c->has_quota && c->quota != 0;
  bool period = c->has_period && c->period != 0;

  if ((c->has_shares && c->shares) || quota || period || c->has_burst || c->has_idle
      || (c->has_realtime_period && c->realtime_period) || (c->has_realtime_runtime && c->realtime_runtime))
    if (need_dir (cg, "cpu", "linux.resources.cpu", &dir, err) < 0)
      return -1;

  if (c->has_shares && c->shares && write_u64 (dir, "cpu.shares", c->shares, err) < 0)
    return -1;
  if (period)
    {
      char p[32];
      snprintf (p, sizeof p, "%" PRIu64, c->period);
      int r = jr_cgroup_try_write (dir, "cpu.cfs_period_us", p);
      /* The old quota can be incompatible with the new period: quota first. */
      if (r == -EINVAL && quota)
        {
          if (write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
            return -1;
          r = jr_cgroup_try_write (dir, "cpu.cfs_period_us", p);
        }
      if (r < 0)
        return jr_error (err, -r, "write `%s` to cgroup file `%s/cpu.cfs_period_us`", p, dir);
    }
  if (quota && write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
    return -1;
  if (c->has_burst && write_u64 (dir, "cpu.cfs_burst_us", c->burst, err) < 0)
    return -1;
  if (c->has_realtime_period && c->realtime_period
      && write_u64 (dir, "cpu.rt_period_us", c->realtime_period, err) < 0)
    return -1;
  if (c->has_realtime_runtime && c->realtime_runtime
      && write_i64 (dir, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    return -1;
  if (c->has_idle && write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    return -1;

  if ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]))
    {
      const char *cs;
      if (need_dir (cg, "cpuset", "linux.resources.cpu.cpus/mems", &cs, err) < 0)
        return -1;
      if (c->cpus && c->cpus[0] && jr_cgroup_write (cs, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
      if (c->mems && c->mems[0] && jr_cgroup_write (cs, "cpuset.mems", c->mems, err) < 0)
        return -1;
    }
  return 0;
}

static int
write_throttle (const char *dir, const char *file, const struct oci_throttle_device *t, size_t n,
                jr_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[96];
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor, t[i].rate);
      if (jr_cgroup_write (dir, file, buf, err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_apply_blkio (struct jr_cgroup *cg, const struct oci_block_io *b, jr_error_t *err)
{
  const char *dir;
  if (need_dir (cg, "blkio", "linux.resources.blockIO", &dir, err) < 0)
    return -1;
  if (b->has_weight)
    {
      const char *file = jr_cgroup_file_exists (dir, "blkio.weight")       ? "blkio.weight"
                         : jr_cgroup_file_exists (dir, "blkio.bfq.weight") ? "blkio.bfq.weight"
                                                                           : NULL;
      if (file == NULL)
        return jr_error (err, 0,
                         "blockIO.weight requested but `%s/blkio.weight` does not exist "
                         "(no proportional I/O scheduler)",
                         dir);
      if (write_u64 (dir, file, b->weight, err) < 0)
        return -1;
    }
  if (b->has_leaf_weight)
    {
      if (!jr_cgroup_file_exists (dir, "blkio.leaf_weight"))
        return jr_error (err, 0, "blockIO.leafWeight requested but `%s/blkio.leaf_weight` does not exist",
                         dir);
      if (write_u64 (dir, "blkio.leaf_weight", b->leaf_weight, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      char buf[96];
      if (w->has_weight)
        {
          const char *file = jr_cgroup_file_exists (dir, "blkio.weight_device") ? "blkio.weight_device"
                                                                                : "blkio.bfq.weight_device";
          if (!jr_cgroup_file_exists (dir, file))
            return jr_error (err, 0,
                             "blockIO.weightDevice requested but `%s/blkio.weight_device` does "
                             "not exist",
                             dir);
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, (unsigned)w->weight);
          if (jr_cgroup_write (dir, file, buf, err) < 0)
            return -1;
        }
      if (w->has_leaf_weight)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                    (unsigned)w->leaf_weight);
          if (jr_cgroup_write (dir, "blkio.leaf_weight_device", buf, err) < 0)
            return -1;
        }
    }
  if (write_throttle (dir, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
                      b->throttle_read_bps_device_len, err)
          < 0
      || write_throttle (dir, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                         b->throttle_write_bps_device_len, err)
             < 0
      || write_throttle (dir, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                         b->throttle_read_iops_device_len, err)
             < 0
      || write_throttle (dir, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                         b->throttle_write_iops_device_len, err)
             < 0)
    return -1;
  return 0;
}

static int
v1_apply_devices (struct jr_cgroup *cg, const struct oci_device_cgroup *devs, size_t n, jr_error_t *err)
{
  const char *dir;
  if (n == 0)
    return 0;
  if (need_dir (cg, "devices", "linux.resources.devices", &dir, err) < 0)
    return -1;
  /* Blanket denials reset the list: they go first so that the later
     allow entries are not wiped out by them. */
  for (size_t i = 0; i < n; i++)
    if (!devs[i].allow && jr_cgroup_device_rule_is_all (&devs[i])
        && jr_cgroup_write (dir, "devices.deny", "a", err) < 0)
      return -1;
  for (size_t i = 0; i < n; i++)
    {
      if (!devs[i].allow && jr_cgroup_device_rule_is_all (&devs[i]))
        continue;
      cleanup_free char *rule = jr_cgroup_device_rule (&devs[i]);
      if (jr_cgroup_write (dir, devs[i].allow ? "devices.allow" : "devices.deny", rule, err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_apply (struct jr_cgroup *cg, const struct oci_linux_resources *r, jr_error_t *err)
{
  if (r == NULL)
    return 0;
  if (r->unified.len > 0 && cg->mode == JR_CGROUP_V1)
    return jr_error (err, 0, "linux.resources.unified needs cgroup v2 (this host has only v1)");

  if (v1_apply_devices (cg, r->devices, r->devices_len, err) < 0)
    return -1;
  if (r->memory && v1_apply_memory (cg, r->memory, err) < 0)
    return -1;
  if (r->cpu && v1_apply_cpu (cg, r->cpu, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit)
    {
      const char *dir;
      char buf[32];
      if (need_dir (cg, "pids", "linux.resources.pids", &dir, err) < 0)
        return -1;
      if (r->pids->limit > 0)
        snprintf (buf, sizeof buf, "%" PRId64, r->pids->limit);
      else
        strcpy (buf, "max");
      if (jr_cgroup_write (dir, "pids.max", buf, err) < 0)
        return -1;
    }
  if (r->block_io && v1_apply_blkio (cg, r->block_io, err) < 0)
    return -1;
  if (r->hugepage_limits_len > 0)
    {
      const char *dir = v1_dir (cg, "hugetlb");
      if (dir)
        {
          for (size_t i = 0; i < r->hugepage_limits_len; i++)
            {
              cleanup_free char *file
                  = xasprintf ("hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
              if (write_u64 (dir, file, r->hugepage_limits[i].limit, err) < 0)
                return -1;
            }
        }
      else if (cg->unified_dir && has_unified_controller (cg, "hugetlb"))
        {
          if (jr_cgroup_v2_apply_hugetlb (cg->unified_dir, r, err) < 0)
            return -1;
        }
      else
        return jr_error (err, 0,
                         "linux.resources.hugepageLimits requested but no hugetlb cgroup "
                         "controller is available");
    }
  if (r->network)
    {
      const char *dir;
      if (r->network->has_class_id)
        {
          if (need_dir (cg, "net_cls", "linux.resources.network.classID", &dir, err) < 0
              || write_u64 (dir, "net_cls.classid", r->network->class_id, err) < 0)
            return -1;
        }
      if (r->network->priorities_len > 0
          && need_dir (cg, "net_prio", "linux.resources.network.priorities", &dir, err) < 0)
        return -1;
      for (size_t i = 0; i < r->network->priorities_len; i++)
        {
          cleanup_free char *line
              = xasprintf ("%s %u", r->network->priorities[i].name, r->network->priorities[i].priority);
          if (jr_cgroup_write (dir, "net_prio.ifpriomap", line, err) < 0)
            return -1;
        }
    }
  if (r->rdma_len > 0)
    {
      const char *dir;
      if (need_dir (cg, "rdma", "linux.resources.rdma", &dir, err) < 0)
        return -1;
      for (size_t i = 0; i < r->rdma_len; i++)
        {
          const struct oci_rdma_entry *e = &r->rdma[i];
          cleanup_free char *h = e->has_hca_handles ? xasprintf ("%u", e->hca_handles) : xstrdup ("max");
          cleanup_free char *o = e->has_hca_objects ? xasprintf ("%u", e->hca_objects) : xstrdup ("max");
          cleanup_free char *line = xasprintf ("%s hca_handle=%s hca_object=%s", e->device, h, o);
          if (jr_cgroup_write (dir, "rdma.max", line, err) < 0)
            return -1;
        }
    }
  if (r->unified.len > 0)
    {
      if (cg->unified_dir == NULL)
        return jr_error (err, 0, "linux.resources.unified needs a cgroup2 mount");
      if (jr_cgroup_v2_apply_unified (cg->unified_dir, &r->unified, err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_create (struct jr_cgroup *cg, const struct oci_linux_resources *res, jr_error_t *err)
{
  cleanup_strv char **created = NULL;

  for (size_t i = 0; i < cg->n_mounts; i++)
    {
      bool cpuset = false;
      for (char **c = cg->mounts[i].controllers; c && *c; c++)
        if (strcmp (*c, "cpuset") == 0)
          cpuset = true;
      if (v1_mkdir (cg->mounts[i].mount_point, cg->path, cpuset, &created, err) < 0)
        goto fail;
    }
  if (cg->unified_mount && jr_cgroup_v2_prepare (cg->unified_mount, cg->path, &created, err) < 0)
    goto fail;
  if (v1_apply (cg, res, err) < 0)
    goto fail;
  return 0;

fail:
  jr_cgroup_rollback_dirs (created);
  return -1;
}

/* ---- processes ------------------------------------------------------------- */

static int
v1_enter (struct jr_cgroup *cg, pid_t pid, jr_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int)pid);
  for (size_t i = 0; i < cg->n_mounts; i++)
    if (jr_cgroup_write (cg->dirs[i], "cgroup.procs", buf, err) < 0)
      return -1;
  if (cg->unified_dir && jr_cgroup_write (cg->unified_dir, "cgroup.procs", buf, err) < 0)
    return -1;
  return 0;
}

static const char *
v1_procs_dir (struct jr_cgroup *cg)
{
  const char *dir = v1_dir (cg, "pids");
  if (dir == NULL)
    dir = v1_dir (cg, "memory");
  return dir ? dir : cg->dirs[0];
}

static int
v1_state (const char *dir, char **state, jr_error_t *err)
{
  return jr_cgroup_read (dir, "freezer.state", state, err);
}

static int
v1_freeze (struct jr_cgroup *cg, bool frozen, jr_error_t *err)
{
  const char *dir;
  const char *want = frozen ? "FROZEN" : "THAWED";
  if (need_dir (cg, "freezer", frozen ? "pause" : "resume", &dir, err) < 0)
    return -1;

  /* FREEZING can linger while tasks are in uninterruptible sleep: rewrite
     the request now and then until the state settles (about 10s). */
  for (int attempt = 0; attempt < 1000; attempt++)
    {
      cleanup_free char *state = NULL;
      if (attempt % 50 == 0 && jr_cgroup_write (dir, "freezer.state", want, err) < 0)
        return -1;
      if (v1_state (dir, &state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0)
        return 0;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  if (frozen)
    jr_cgroup_try_write (dir, "freezer.state", "THAWED");
  return jr_error (err, ETIMEDOUT, "%s cgroup `%s`", frozen ? "freeze" : "thaw", dir);
}

static int
v1_is_frozen (struct jr_cgroup *cg, jr_error_t *err)
{
  const char *dir = v1_dir (cg, "freezer");
  cleanup_free char *state = NULL;
  if (dir == NULL)
    return 0;
  if (v1_state (dir, &state, err) < 0)
    return -1;
  return strcmp (state, "FROZEN") == 0 ? 1 : 0;
}

static int
signal_pids (struct jr_cgroup *cg, int signal, jr_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n;
  if (jr_cgroup_read_pids_recursive (cg->ops->procs_dir (cg), &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], signal) < 0 && errno != ESRCH)
      return jr_error (err, errno, "kill pid %d", (int)pids[i]);
  return 0;
}

static int
v1_kill_all (struct jr_cgroup *cg, int signal, jr_error_t *err)
{
  int was_frozen;
  int r;

  if (v1_dir (cg, "freezer") == NULL)
    return signal_pids (cg, signal, err);

  /* Frozen tasks cannot fork, so nothing escapes between reading the pid
     list and signalling it. */
  was_frozen = v1_is_frozen (cg, err);
  if (was_frozen < 0)
    return -1;
  if (!was_frozen && v1_freeze (cg, true, err) < 0)
    return -1;
  r = signal_pids (cg, signal, err);
  /* Stay paused if we were, unless the tasks must run to die. */
  if (!was_frozen || signal == SIGKILL)
    {
      if (r < 0)
        {
          cleanup_error jr_error_t ignored = NULL;
          v1_freeze (cg, false, &ignored);
        }
      else if (v1_freeze (cg, false, err) < 0)
        return -1;
    }
  return r;
}

/* ---- stats ------------------------------------------------------------------ */

static uint64_t
read_u64_or0 (const char *dir, const char *file)
{
  uint64_t v = 0;
  cleanup_error jr_error_t ignored = NULL;
  if (dir == NULL || jr_cgroup_read_u64 (dir, file, &v, &ignored) < 0)
    return 0;
  return v;
}

/* A file of blank separated numbers as a JSON array of numbers.  The
   builder has no numeric array append, so the array goes through the
   parser; only digits reach it. */
static struct oci_jvalue *
u64_array (const char *dir, const char *file)
{
  cleanup_free char *text = NULL;
  cleanup_error jr_error_t ignored = NULL;
  if (dir == NULL || jr_cgroup_read (dir, file, &text, &ignored) < 0)
    return oci_jarray_new ();
  cleanup_strv char **items = jr_split (text, ' ');
  size_t cap = strlen (text) + 3, len = 0;
  cleanup_free char *json = xmalloc (cap);
  json[len++] = '[';
  for (size_t i = 0; items && items[i]; i++)
    {
      if (items[i][strspn (items[i], "0123456789")] != '\0')
        return oci_jarray_new ();
      len += (size_t)snprintf (json + len, cap - len, "%s%s", i ? "," : "", items[i]);
    }
  json[len++] = ']';
  json[len] = '\0';
  cleanup_free char *perr = NULL;
  struct oci_jvalue *arr = oci_jvalue_parse (json, len, &perr);
  return arr ? arr : oci_jarray_new ();
}

static struct oci_jvalue *
memory_entry (const char *dir, const char *prefix)
{
  struct oci_jvalue *o = oci_jobject_new ();
  cleanup_free char *lim = xasprintf ("%s.limit_in_bytes", prefix);
  cleanup_free char *use = xasprintf ("%s.usage_in_bytes", prefix);
  cleanup_free char *max = xasprintf ("%s.max_usage_in_bytes", prefix);
  cleanup_free char *fail = xasprintf ("%s.failcnt", prefix);
  oci_jobject_set_uint (o, "limit", read_u64_or0 (dir, lim));
  oci_jobject_set_uint (o, "usage", read_u64_or0 (dir, use));
  oci_jobject_set_uint (o, "max", read_u64_or0 (dir, max));
  oci_jobject_set_uint (o, "failcnt", read_u64_or0 (dir, fail));
  return o;
}

static struct oci_jvalue *
flat_keyed_object (const char *dir, const char *file)
{
  struct oci_jvalue *o = oci_jobject_new ();
  cleanup_free char *text = NULL;
  cleanup_error jr_error_t ignored = NULL;
  if (dir == NULL || jr_cgroup_read (dir, file, &text, &ignored) < 0)
    return o;
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      oci_jobject_set_uint (o, line, strtoull (sp + 1, NULL, 10));
    }
  return o;
}

/* blkio "MAJ:MIN Op value" lines -> [{"major","minor","op","value"}]. */
static struct oci_jvalue *
blkio_entries (const char *dir, const char *file)
{
  struct oci_jvalue *arr = oci_jarray_new ();
  cleanup_free char *text = NULL;
  cleanup_error jr_error_t ignored = NULL;
  if (dir == NULL || jr_cgroup_read (dir, file, &text, &ignored) < 0)
    return arr;
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    {
      unsigned long long maj, min, val;
      char op[32];
      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &val) != 4)
        continue;
      struct oci_jvalue *e = oci_jobject_new ();
      oci_jobject_set_uint (e, "major", maj);
      oci_jobject_set_uint (e, "minor", min);
      oci_jobject_set_str (e, "op", op);
      oci_jobject_set_uint (e, "value", val);
      oci_jarray_append (arr, e);
    }
  return arr;
}

static int
v1_stats (struct jr_cgroup *cg, struct oci_jvalue *out, jr_error_t *err)
{
  const char *acct = v1_dir (cg, "cpuacct");
  const char *cpu = v1_dir (cg, "cpu");
  const char *mem = v1_dir (cg, "memory");
  const char *pids = v1_dir (cg, "pids");
  const char *blkio = v1_dir (cg, "blkio");
  const char *huge = v1_dir (cg, "hugetlb");
  (void)err;

  /* cpu */
  struct oci_jvalue *jcpu = oci_jobject_new ();
  struct oci_jvalue *usage = oci_jobject_new ();
  uint64_t user = 0, sys = 0;
  cleanup_free char *stat = NULL;
  cleanup_error jr_error_t ignored = NULL;
  if (acct && jr_cgroup_read (acct, "cpuacct.stat", &stat, &ignored) == 0)
    {
      /* cpuacct.stat is in USER_HZ ticks. */
      long hz = sysconf (_SC_CLK_TCK);
      if (hz <= 0)
        hz = 100;
      jr_cgroup_keyed_u64 (stat, "user", &user);
      jr_cgroup_keyed_u64 (stat, "system", &sys);
      user = user * (1000000000ULL / (uint64_t)hz);
      sys = sys * (1000000000ULL / (uint64_t)hz);
    }
  oci_jobject_set_uint (usage, "total", read_u64_or0 (acct, "cpuacct.usage"));
  oci_jobject_set (usage, "percpu", u64_array (acct, "cpuacct.usage_percpu"));
  oci_jobject_set (usage, "percpu_kernel", u64_array (acct, "cpuacct.usage_percpu_sys"));
  oci_jobject_set (usage, "percpu_user", u64_array (acct, "cpuacct.usage_percpu_user"));
  oci_jobject_set_uint (usage, "kernel", sys);
  oci_jobject_set_uint (usage, "user", user);
  oci_jobject_set (jcpu, "usage", usage);
  struct oci_jvalue *thr = oci_jobject_new ();
  cleanup_free char *cstat = NULL;
  uint64_t v = 0;
  if (cpu && jr_cgroup_read (cpu, "cpu.stat", &cstat, &ignored) == 0)
    {
      if (jr_cgroup_keyed_u64 (cstat, "nr_periods", &v) == 0)
        oci_jobject_set_uint (thr, "periods", v);
      if (jr_cgroup_keyed_u64 (cstat, "nr_throttled", &v) == 0)
        oci_jobject_set_uint (thr, "throttledPeriods", v);
      if (jr_cgroup_keyed_u64 (cstat, "throttled_time", &v) == 0)
        oci_jobject_set_uint (thr, "throttledTime", v);
    }
  oci_jobject_set (jcpu, "throttling", thr);
  oci_jobject_set (out, "cpu", jcpu);

  /* memory */
  struct oci_jvalue *jmem = oci_jobject_new ();
  if (mem)
    {
      struct oci_jvalue *raw = flat_keyed_object (mem, "memory.stat");
      cleanup_free char *mstat = NULL;
      if (jr_cgroup_read (mem, "memory.stat", &mstat, &ignored) == 0
          && jr_cgroup_keyed_u64 (mstat, "total_cache", &v) == 0)
        oci_jobject_set_uint (jmem, "cache", v);
      oci_jobject_set (jmem, "usage", memory_entry (mem, "memory"));
      oci_jobject_set (jmem, "swap", memory_entry (mem, "memory.memsw"));
      oci_jobject_set (jmem, "kernel", memory_entry (mem, "memory.kmem"));
      oci_jobject_set (jmem, "kernelTCP", memory_entry (mem, "memory.kmem.tcp"));
      oci_jobject_set (jmem, "raw", raw);
    }
  oci_jobject_set (out, "memory", jmem);

  /* pids */
  struct oci_jvalue *jpids = oci_jobject_new ();
  uint64_t lim = read_u64_or0 (pids, "pids.max");
  oci_jobject_set_uint (jpids, "current", read_u64_or0 (pids, "pids.current"));
  oci_jobject_set_uint (jpids, "limit", lim == UINT64_MAX ? 0 : lim);
  oci_jobject_set (out, "pids", jpids);

  /* blkio */
  struct oci_jvalue *jblk = oci_jobject_new ();
  if (blkio)
    {
      oci_jobject_set (jblk, "ioServiceBytesRecursive",
                       blkio_entries (blkio, "blkio.throttle.io_service_bytes_recursive"));
      oci_jobject_set (jblk, "ioServicedRecursive",
                       blkio_entries (blkio, "blkio.throttle.io_serviced_recursive"));
    }
  oci_jobject_set (out, "blkio", jblk);

  /* hugetlb */
  struct oci_jvalue *jhuge = oci_jobject_new ();
  if (huge)
    {
      cleanup_strv char **sizes = jr_cgroup_hugepage_sizes ();
      for (size_t i = 0; sizes[i]; i++)
        {
          struct oci_jvalue *e = oci_jobject_new ();
          cleanup_free char *u = xasprintf ("hugetlb.%s.usage_in_bytes", sizes[i]);
          cleanup_free char *m = xasprintf ("hugetlb.%s.max_usage_in_bytes", sizes[i]);
          cleanup_free char *f = xasprintf ("hugetlb.%s.failcnt", sizes[i]);
          oci_jobject_set_uint (e, "usage", read_u64_or0 (huge, u));
          oci_jobject_set_uint (e, "max", read_u64_or0 (huge, m));
          oci_jobject_set_uint (e, "failcnt", read_u64_or0 (huge, f));
          oci_jobject_set (jhuge, sizes[i], e);
        }
    }
  else if (cg->unified_dir)
    jr_cgroup_v2_hugetlb_stats (cg->unified_dir, jhuge);
  oci_jobject_set (out, "hugetlb", jhuge);
  return 0;
}

static int
v1_oom_count (struct jr_cgroup *cg, uint64_t *count, jr_error_t *err)
{
  const char *dir;
  cleanup_free char *text = NULL;
  if (need_dir (cg, "memory", "OOM events", &dir, err) < 0)
    return -1;
  if (jr_cgroup_read (dir, "memory.oom_control", &text, err) < 0)
    return -1;
  *count = 0;
  jr_cgroup_keyed_u64 (text, "oom_kill", count);
  return 0;
}

static int
v1_destroy (struct jr_cgroup *cg, jr_error_t *err)
{
  int ret = 0;
  for (size_t i = 0; i < cg->n_mounts; i++)
    if (jr_cgroup_rmdir_tree (cg->dirs[i], err) < 0)
      ret = -1;
  if (cg->unified_dir && jr_cgroup_rmdir_tree (cg->unified_dir, err) < 0)
    ret = -1;
  return ret;
}

const struct jr_cgroup_ops jr_cgroup_v1_ops = {
  .create = v1_create,
  .update = v1_apply,
  .enter = v1_enter,
  .procs_dir = v1_procs_dir,
  .kill_all = v1_kill_all,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .stats = v1_stats,
  .oom_count = v1_oom_count,
  .destroy = v1_destroy,
};
