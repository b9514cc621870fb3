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

/* ---- resources -------------------------------------------------------------- */

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
  if (m->has_reservation && jr_cgroup_write_i64 (dir, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return -1;
  if (m->has_kernel && m->kernel != 0)
    {
      cleanup_error jr_error_t kerr = NULL;
      /* Kernel memory limits are deprecated and refused by newer kernels. */
      if (jr_cgroup_write_i64 (dir, "memory.kmem.limit_in_bytes", m->kernel, &kerr) < 0)
        jr_warn ("ignoring memory.kernel: %s", kerr->msg);
    }
  if (m->has_kernel_tcp && m->kernel_tcp != 0
      && jr_cgroup_write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
    return -1;
  if (m->has_swappiness)
    {
      if (m->swappiness > 100)
        return jr_error (err, 0, "invalid memory.swappiness %" PRIu64 " (0-100)", m->swappiness);
      if (jr_cgroup_write_u64 (dir, "memory.swappiness", m->swappiness, err) < 0)
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

  if (c->has_shares && c->shares && jr_cgroup_write_u64 (dir, "cpu.shares", c->shares, err) < 0)
    return -1;
  if (period)
    {
      char p[32];
      snprintf (p, sizeof p, "%" PRIu64, c->period);
      int r = jr_cgroup_try_write (dir, "cpu.cfs_period_us", p);
      /* The old quota can be incompatible with the new period: quota first. */
      if (r == -EINVAL && quota)
        {
          if (jr_cgroup_write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
            return -1;
          r = jr_cgroup_try_write (dir, "cpu.cfs_period_us", p);
        }
      if (r < 0)
        return jr_error (err, -r, "write `%s` to cgroup file `%s/cpu.cfs_period_us`", p, dir);
    }
  if (quota && jr_cgroup_write_i64 (dir, "cpu.cfs_quota_us", c->quota, err) < 0)
    return -1;
  if (c->has_burst && jr_cgroup_write_u64 (dir, "cpu.cfs_burst_us", c->burst, err) < 0)
    return -1;
  if (c->has_realtime_period && c->realtime_period
      && jr_cgroup_write_u64 (dir, "cpu.rt_period_us", c->realtime_period, err) < 0)
    return -1;
  if (c->has_realtime_runtime && c->realtime_runtime
      && jr_cgroup_write_i64 (dir, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
    return -1;
  if (c->has_idle && jr_cgroup_write_i64 (dir, "cpu.idle", c->idle, err) < 0)
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
      if (jr_cgroup_write_u64 (dir, file, b->weight, err) < 0)
        return -1;
    }
  if (b->has_leaf_weight)
    {
      if (!jr_cgroup_file_exists (dir, "blkio.leaf_weight"))
        return jr_error (err, 0, "blockIO.leafWeight requested but `%s/blkio.leaf_weight` does not exist",
                         dir);
      if (jr_cgroup_write_u64 (dir, "blkio.leaf_weight", b->leaf_weight, err) < 0)
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
      if (need_dir (cg, "pids", "linux.resources.pids", &dir, err) < 0
          || jr_cgroup_write_limit (dir, "pids.max", r->pids->limit > 0 ? r->pids->limit : -1, err) < 0)
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
              if (jr_cgroup_write_u64 (dir, file, r->hugepage_limits[i].limit, err) < 0)
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
              || jr_cgroup_write_u64 (dir, "net_cls.classid", r->network->class_id, err) < 0)
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
          cleanup_free char *line = jr_cgroup_rdma_line (&r->rdma[i]);
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
      if (jr_cgroup_mkdir_path (cg->mounts[i].mount_point, cg->path, NULL,
                                cpuset ? cpuset_fill_from_parent : NULL, &created, err)
          < 0)
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

static const char *
v1_procs_dir (struct jr_cgroup *cg)
{
  const char *dir = v1_dir (cg, "pids");
  if (dir == NULL)
    dir = v1_dir (cg, "memory");
  return dir ? dir : cg->dirs[0];
}

static const char *
v1_freezer_dir (struct jr_cgroup *cg)
{
  return v1_dir (cg, "freezer");
}

static int
v1_freezer_state (const char *dir, jr_error_t *err)
{
  cleanup_free char *state = NULL;
  if (jr_cgroup_read (dir, "freezer.state", &state, err) < 0)
    return -1;
  return strcmp (state, "FROZEN") == 0 ? 1 : strcmp (state, "THAWED") == 0 ? 0 : 2;
}

/* ---- stats ------------------------------------------------------------------ */

static struct oci_jvalue *
memory_entry (const char *dir, const char *prefix)
{
  static const char *const keys[] = { "limit", "usage", "max", "failcnt" };
  static const char *const files[] = { "limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes", "failcnt" };
  struct oci_jvalue *o = oci_jobject_new ();
  for (size_t i = 0; i < 4; i++)
    {
      cleanup_free char *file = xasprintf ("%s.%s", prefix, files[i]);
      oci_jobject_set_uint (o, keys[i], jr_cgroup_stat_u64 (dir, file));
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
  char *save = NULL;
  if (jr_cgroup_read (dir, file, &text, &ignored) < 0)
    return arr;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, val;
      char op[32];
      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &val) == 4)
        jr_cgroup_stat_blkio_entry (arr, maj, min, op, val);
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
  oci_jobject_set_uint (usage, "total", jr_cgroup_stat_u64 (acct, "cpuacct.usage"));
  oci_jobject_set (usage, "percpu", jr_cgroup_stat_u64_array (acct, "cpuacct.usage_percpu"));
  oci_jobject_set (usage, "percpu_kernel", jr_cgroup_stat_u64_array (acct, "cpuacct.usage_percpu_sys"));
  oci_jobject_set (usage, "percpu_user", jr_cgroup_stat_u64_array (acct, "cpuacct.usage_percpu_user"));
  oci_jobject_set_uint (usage, "kernel", sys);
  oci_jobject_set_uint (usage, "user", user);
  oci_jobject_set (jcpu, "usage", usage);
  static const struct jr_cgroup_stat_key throttling[] = {
    { "nr_periods", "periods", 1 },
    { "nr_throttled", "throttledPeriods", 1 },
    { "throttled_time", "throttledTime", 1 },
  };
  struct oci_jvalue *thr = oci_jobject_new ();
  cleanup_free char *cstat = NULL;
  uint64_t v = 0;
  if (cpu && jr_cgroup_read (cpu, "cpu.stat", &cstat, &ignored) == 0)
    jr_cgroup_stat_set_keys (thr, cstat, throttling, 3);
  oci_jobject_set (jcpu, "throttling", thr);
  oci_jobject_set (out, "cpu", jcpu);

  /* memory */
  struct oci_jvalue *jmem = oci_jobject_new ();
  if (mem)
    {
      struct oci_jvalue *raw = jr_cgroup_stat_keyed_object (mem, "memory.stat");
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
  oci_jobject_set (out, "pids", jr_cgroup_stat_pids (pids));

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
          oci_jobject_set_uint (e, "usage", jr_cgroup_stat_u64 (huge, u));
          oci_jobject_set_uint (e, "max", jr_cgroup_stat_u64 (huge, m));
          oci_jobject_set_uint (e, "failcnt", jr_cgroup_stat_u64 (huge, f));
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

const struct jr_cgroup_ops jr_cgroup_v1_ops = {
  .create = v1_create,
  .update = v1_apply,
  .procs_dir = v1_procs_dir,
  .freezer_dir = v1_freezer_dir,
  .freezer_file = "freezer.state",
  .freezer_frozen = "FROZEN",
  .freezer_thawed = "THAWED",
  .freezer_repeat = 50,
  .freezer_state = v1_freezer_state,
  .stats = v1_stats,
  .oom_count = v1_oom_count,
};
