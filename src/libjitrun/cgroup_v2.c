/* jitrun - cgroup v2 (unified) backend.  Some helpers are shared with the
 * hybrid mode, where the cgroup2 mount carries hugetlb and the unified map. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "utils.h"

/* ---- directories and controllers ------------------------------------------- */

/* Enable every controller `dir` offers in its cgroup.subtree_control.
   Failures are expected (a cgroup with processes cannot delegate:
   "no internal processes" rule) and surface later as a missing file. */
static void
enable_subtree (const char *dir)
{
  cleanup_free char *avail = NULL;
  cleanup_free char *enabled = NULL;
  cleanup_error jr_error_t ignored = NULL;

  if (jr_cgroup_read (dir, "cgroup.controllers", &avail, &ignored) < 0
      || jr_cgroup_read (dir, "cgroup.subtree_control", &enabled, &ignored) < 0)
    return;
  cleanup_strv char **want = jr_split (avail, ' ');
  cleanup_strv char **have = jr_split (enabled, ' ');
  for (size_t i = 0; want && want[i]; i++)
    {
      bool on = false;
      for (size_t j = 0; have && have[j]; j++)
        if (strcmp (have[j], want[i]) == 0)
          on = true;
      if (on)
        continue;
      cleanup_free char *req = xasprintf ("+%s", want[i]);
      int r = jr_cgroup_try_write (dir, "cgroup.subtree_control", req);
      if (r < 0)
        jr_debug ("cannot enable controller %s in `%s`: %s", want[i], dir, strerror (-r));
    }
}

int
jr_cgroup_v2_prepare (const char *mount, const char *path, char ***created, jr_error_t *err)
{
  return jr_cgroup_mkdir_path (mount, path, enable_subtree, NULL, created, err);
}

/* ---- resources ------------------------------------------------------------- */

int
jr_cgroup_v2_apply_hugetlb (const char *dir, const struct oci_linux_resources *res, jr_error_t *err)
{
  for (size_t i = 0; i < res->hugepage_limits_len; i++)
    {
      const struct oci_hugepage_limit *h = &res->hugepage_limits[i];
      cleanup_free char *file = xasprintf ("hugetlb.%s.max", h->page_size);
      if (h->page_size == NULL || strchr (h->page_size, '/'))
        return jr_error (err, 0, "invalid hugepage size `%s`", h->page_size ? h->page_size : "");
      if (jr_cgroup_write_u64 (dir, file, h->limit, err) < 0)
        return -1;
    }
  return 0;
}

int
jr_cgroup_v2_apply_unified (const char *dir, const struct oci_string_map *unified, jr_error_t *err)
{
  for (size_t i = 0; i < unified->len; i++)
    {
      const char *key = unified->keys[i];
      /* Keys name files of this very cgroup, nothing else. */
      if (key[0] == '\0' || key[0] == '.' || strchr (key, '/') || strstr (key, ".."))
        return jr_error (err, 0, "invalid linux.resources.unified key `%s`", key);
      if (jr_cgroup_write (dir, key, unified->values[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
v2_apply_memory (const char *dir, const struct oci_memory *m, jr_error_t *err)
{
  if (m->has_swap && m->swap != 0)
    {
      int64_t swap;
      if (jr_cgroup_swap_to_v2 (m->has_limit, m->limit, m->swap, &swap, err) < 0)
        return -1;
      /* memory.swap.max and memory.max are independent on v2: no ordering. */
      if (jr_cgroup_write_limit (dir, "memory.swap.max", swap, err) < 0)
        return -1;
    }
  if (m->has_limit && m->limit != 0 && jr_cgroup_write_limit (dir, "memory.max", m->limit, err) < 0)
    return -1;
  if (m->has_reservation && m->reservation != 0
      && jr_cgroup_write_limit (dir, "memory.low", m->reservation, err) < 0)
    return -1;
  if (m->has_kernel && m->kernel != 0)
    jr_warn ("ignoring memory.kernel: not supported by cgroup v2");
  if (m->has_kernel_tcp && m->kernel_tcp != 0)
    jr_warn ("ignoring memory.kernelTCP: not supported by cgroup v2");
  if (m->has_swappiness)
    jr_warn ("ignoring memory.swappiness: not supported by cgroup v2");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    jr_warn ("ignoring memory.disableOOMKiller: not supported by cgroup v2");
  return 0;
}

static int
v2_apply_cpu (const char *dir, const struct oci_cpu *c, jr_error_t *err)
{
  char buf[64];
  bool quota = c->has_quota && c->quota != 0;
  bool period = c->has_period && c->period != 0;

  if (c->has_shares && c->shares
      && jr_cgroup_write_u64 (dir, "cpu.weight", jr_cgroup_shares_to_weight (c->shares), err) < 0)
    return -1;
  if (quota || period)
    {
      cleanup_free char *q = NULL;
      uint64_t p = c->period;
      if (quota)
        q = c->quota > 0 ? xasprintf ("%" PRId64, c->quota) : xstrdup ("max");
      if (!quota || !period)
        {
          /* Keep the half of cpu.max that was not asked for. */
          cleanup_free char *cur = NULL;
          char curq[32] = "max";
          unsigned long long curp = 100000;
          if (jr_cgroup_read (dir, "cpu.max", &cur, err) < 0)
            return -1;
          sscanf (cur, "%31s %llu", curq, &curp);
          if (!quota)
            q = xstrdup (curq);
          if (!period)
            p = curp;
        }
      snprintf (buf, sizeof buf, "%s %" PRIu64, q, p);
      if (jr_cgroup_write (dir, "cpu.max", buf, err) < 0)
        return -1;
    }
  if (c->has_burst && jr_cgroup_write_u64 (dir, "cpu.max.burst", c->burst, err) < 0)
    return -1;
  if ((c->has_realtime_period && c->realtime_period) || (c->has_realtime_runtime && c->realtime_runtime))
    return jr_error (err, 0, "cpu.realtimePeriod/realtimeRuntime are not supported by cgroup v2");
  if (c->has_idle && jr_cgroup_write_i64 (dir, "cpu.idle", c->idle, err) < 0)
    return -1;
  if (c->cpus && c->cpus[0] && jr_cgroup_write (dir, "cpuset.cpus", c->cpus, err) < 0)
    return -1;
  if (c->mems && c->mems[0] && jr_cgroup_write (dir, "cpuset.mems", c->mems, err) < 0)
    return -1;
  return 0;
}

/* blkio weights are 10..1000; io.weight is 1..10000. */
static uint64_t
blkio_weight_to_io (uint64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + ((w - 10) * 9999) / 990;
}

static int
v2_apply_io (const char *dir, const struct oci_block_io *b, jr_error_t *err)
{
  bool bfq = jr_cgroup_file_exists (dir, "io.bfq.weight");
  char buf[96];

  if (b->has_weight)
    {
      if (bfq)
        snprintf (buf, sizeof buf, "%u", (unsigned)b->weight);
      else
        snprintf (buf, sizeof buf, "default %" PRIu64, blkio_weight_to_io (b->weight));
      if (jr_cgroup_write (dir, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
        return -1;
    }
  if (b->has_leaf_weight)
    jr_warn ("ignoring blockIO.leafWeight: not supported by cgroup v2");
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (!w->has_weight)
        continue;
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                bfq ? (uint64_t)w->weight : blkio_weight_to_io (w->weight));
      if (jr_cgroup_write (dir, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
        return -1;
    }
  cleanup_strv char **lines = jr_cgroup_io_max_lines (b);
  for (size_t i = 0; lines[i]; i++)
    if (jr_cgroup_write (dir, "io.max", lines[i], err) < 0)
      return -1;
  return 0;
}

/* ---- devices: an eBPF program instead of devices.allow/deny ----------------- */

struct insns
{
  struct bpf_insn *v;
  size_t n;
};

static void
emit (struct insns *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  p->v = xrealloc (p->v, (p->n + 1) * sizeof (struct bpf_insn));
  memset (&p->v[p->n], 0, sizeof (struct bpf_insn));
  p->v[p->n].code = code;
  p->v[p->n].dst_reg = dst & 0xf;
  p->v[p->n].src_reg = src & 0xf;
  p->v[p->n].off = off;
  p->v[p->n].imm = imm;
  p->n++;
}

/* Rules are matched last to first (the last matching rule wins, like
   successive writes to v1 devices.allow/deny); no match denies.
   Registers: r2 type, r3 access, r4 major, r5 minor. */
static int
build_device_prog (const struct oci_device_cgroup *devs, size_t n, struct insns *p, jr_error_t *err)
{
  emit (p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0); /* access_type */
  emit (p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
  emit (p, BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
  emit (p, BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0); /* major */
  emit (p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0); /* minor */

  for (size_t k = n; k-- > 0;)
    {
      const struct oci_device_cgroup *d = &devs[k];
      size_t start = p->n;
      int32_t mask = 0;
      const char *acc = d->access && d->access[0] ? d->access : "rwm";

      for (const char *a = acc; *a; a++)
        switch (*a)
          {
          case 'r':
            mask |= BPF_DEVCG_ACC_READ;
            break;
          case 'w':
            mask |= BPF_DEVCG_ACC_WRITE;
            break;
          case 'm':
            mask |= BPF_DEVCG_ACC_MKNOD;
            break;
          default:
            return jr_error (err, 0, "invalid device access `%s`", acc);
          }
      if (d->type && d->type[0] && strcmp (d->type, "a") != 0)
        {
          int32_t t;
          if (strcmp (d->type, "c") == 0)
            t = BPF_DEVCG_DEV_CHAR;
          else if (strcmp (d->type, "b") == 0)
            t = BPF_DEVCG_DEV_BLOCK;
          else
            return jr_error (err, 0, "invalid device type `%s`", d->type);
          emit (p, BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, -1, t);
        }
      if (mask != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD) || !d->allow)
        {
          emit (p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 3, 0, 0);
          if (d->allow)
            {
              /* allow: every requested access is granted by the rule */
              emit (p, BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, ~mask);
              emit (p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, -1, 0);
            }
          else
            {
              /* deny: any requested access is refused by the rule */
              emit (p, BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, mask);
              emit (p, BPF_JMP | BPF_JEQ | BPF_K, 6, 0, -1, 0);
            }
        }
      if (d->has_major && d->major >= 0)
        emit (p, BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, -1, (int32_t)d->major);
      if (d->has_minor && d->minor >= 0)
        emit (p, BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, -1, (int32_t)d->minor);
      emit (p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, d->allow ? 1 : 0);
      emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
      /* A rule that matches everything ends the program: the verifier
         refuses unreachable instructions after it. */
      if (p->n == start + 2)
        return 0;
      /* Point the "no match" jumps (off -1 placeholders) past this block. */
      for (size_t i = start; i < p->n; i++)
        if (BPF_CLASS (p->v[i].code) != BPF_ALU64 && BPF_OP (p->v[i].code) != BPF_EXIT
            && BPF_CLASS (p->v[i].code) != BPF_LDX && p->v[i].off == -1)
          p->v[i].off = (int16_t)(p->n - i - 1);
    }
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

static int
v2_apply_devices (const char *dir, const struct oci_device_cgroup *devs, size_t n, jr_error_t *err)
{
  struct insns prog = { NULL, 0 };
  union bpf_attr attr;
  char log[4096] = "";
  cleanup_close int cgfd = -1;
  cleanup_close int progfd = -1;
  uint32_t old_ids[64];
  uint32_t old_cnt = 64;

  if (n == 0)
    return 0;
  if (build_device_prog (devs, n, &prog, err) < 0)
    {
      free (prog.v);
      return -1;
    }

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)prog.v;
  attr.insn_cnt = (uint32_t)prog.n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  progfd = sys_bpf (BPF_PROG_LOAD, &attr);
  free (prog.v);
  if (progfd < 0)
    return jr_error (err, errno, "load the devices eBPF program for cgroup `%s` (%.200s)", dir, log);

  cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return jr_error (err, errno, "open cgroup `%s`", dir);

  /* Programs already attached here (runc update / reused cgroup) get
     replaced: the new one is attached first so there is no open window. */
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)old_ids;
  attr.query.prog_cnt = old_cnt;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    old_cnt = 0;
  else
    old_cnt = attr.query.prog_cnt < 64 ? attr.query.prog_cnt : 64;

  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)progfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return jr_error (err, errno, "attach the devices eBPF program to cgroup `%s`", dir);

  for (uint32_t i = 0; i < old_cnt; i++)
    {
      cleanup_close int oldfd = -1;
      memset (&attr, 0, sizeof attr);
      attr.prog_id = old_ids[i];
      oldfd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (oldfd < 0)
        continue;
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t)cgfd;
      attr.attach_bpf_fd = (uint32_t)oldfd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0)
        jr_warn ("cannot detach old devices program %u from `%s`: %s", old_ids[i], dir, strerror (errno));
    }
  return 0;
}

/* ---- apply ------------------------------------------------------------------- */

static int
v2_apply (struct jr_cgroup *cg, const struct oci_linux_resources *r, jr_error_t *err)
{
  const char *dir = cg->unified_dir;
  if (r == NULL)
    return 0;
  if (v2_apply_devices (dir, r->devices, r->devices_len, err) < 0)
    return -1;
  if (r->memory && v2_apply_memory (dir, r->memory, err) < 0)
    return -1;
  if (r->cpu && v2_apply_cpu (dir, r->cpu, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit
      && jr_cgroup_write_limit (dir, "pids.max", r->pids->limit > 0 ? r->pids->limit : -1, err) < 0)
    return -1;
  if (r->block_io && v2_apply_io (dir, r->block_io, err) < 0)
    return -1;
  if (jr_cgroup_v2_apply_hugetlb (dir, r, err) < 0)
    return -1;
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    return jr_error (err, 0, "linux.resources.network needs the net_cls/net_prio controllers (cgroup v1)");
  for (size_t i = 0; i < r->rdma_len; i++)
    {
      cleanup_free char *line = jr_cgroup_rdma_line (&r->rdma[i]);
      if (jr_cgroup_write (dir, "rdma.max", line, err) < 0)
        return -1;
    }
  return jr_cgroup_v2_apply_unified (dir, &r->unified, err);
}

static int
v2_create (struct jr_cgroup *cg, const struct oci_linux_resources *res, jr_error_t *err)
{
  cleanup_strv char **created = NULL;
  if (jr_cgroup_v2_prepare (cg->unified_mount, cg->path, &created, err) < 0 || v2_apply (cg, res, err) < 0)
    {
      jr_cgroup_rollback_dirs (created);
      return -1;
    }
  return 0;
}

/* ---- processes --------------------------------------------------------------- */

static const char *
v2_procs_dir (struct jr_cgroup *cg)
{
  return cg->unified_dir;
}

static int
v2_freezer_state (const char *dir, jr_error_t *err)
{
  cleanup_free char *events = NULL;
  uint64_t frozen = 0;
  if (jr_cgroup_read (dir, "cgroup.events", &events, err) < 0)
    return -1;
  jr_cgroup_keyed_u64 (events, "frozen", &frozen);
  return frozen ? 1 : 0;
}

/* cgroup.kill (5.14+) is atomic, but only ever sends SIGKILL. */
static int
v2_kill_direct (struct jr_cgroup *cg, int signal, jr_error_t *err)
{
  if (signal != SIGKILL || !jr_cgroup_file_exists (cg->unified_dir, "cgroup.kill"))
    return 0;
  return jr_cgroup_write (cg->unified_dir, "cgroup.kill", "1", err) < 0 ? -1 : 1;
}

/* ---- stats --------------------------------------------------------------------- */

int
jr_cgroup_v2_hugetlb_stats (const char *dir, struct oci_jvalue *out)
{
  cleanup_strv char **sizes = jr_cgroup_hugepage_sizes ();
  for (size_t i = 0; sizes[i]; i++)
    {
      cleanup_free char *cur = xasprintf ("hugetlb.%s.current", sizes[i]);
      cleanup_free char *ev = xasprintf ("hugetlb.%s.events", sizes[i]);
      if (!jr_cgroup_file_exists (dir, cur))
        continue;
      struct oci_jvalue *e = oci_jobject_new ();
      oci_jobject_set_uint (e, "usage", jr_cgroup_stat_u64 (dir, cur));
      oci_jobject_set_uint (e, "failcnt", jr_cgroup_stat_keyed (dir, ev, "max"));
      oci_jobject_set (out, sizes[i], e);
    }
  return 0;
}

static struct oci_jvalue *
io_stat_entries (const char *text, const char *k_read, const char *k_write)
{
  struct oci_jvalue *arr = oci_jarray_new ();
  cleanup_free char *copy = xstrdup (text ? text : "");
  char *save = NULL;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min;
      if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
        continue;
      const char *keys[2] = { k_read, k_write };
      const char *ops[2] = { "Read", "Write" };
      for (int k = 0; k < 2; k++)
        {
          cleanup_free char *pat = xasprintf (" %s=", keys[k]);
          char *at = strstr (line, pat);
          if (at == NULL)
            continue;
          jr_cgroup_stat_blkio_entry (arr, maj, min, ops[k], strtoull (at + strlen (pat), NULL, 10));
        }
    }
  return arr;
}

static int
v2_stats (struct jr_cgroup *cg, struct oci_jvalue *out, jr_error_t *err)
{
  const char *dir = cg->unified_dir;
  cleanup_free char *cpustat = NULL;
  cleanup_free char *iostat = NULL;
  cleanup_error jr_error_t ignored = NULL;
  (void)err;

  /* v2 counts microseconds; the stats format is nanoseconds. */
  static const struct jr_cgroup_stat_key usage_keys[] = {
    { "usage_usec", "total", 1000 },
    { "system_usec", "kernel", 1000 },
    { "user_usec", "user", 1000 },
  };
  static const struct jr_cgroup_stat_key throttling[] = {
    { "nr_periods", "periods", 1 },
    { "nr_throttled", "throttledPeriods", 1 },
    { "throttled_usec", "throttledTime", 1000 },
  };
  struct oci_jvalue *cpu = oci_jobject_new ();
  struct oci_jvalue *usage = oci_jobject_new ();
  struct oci_jvalue *thr = oci_jobject_new ();
  if (jr_cgroup_read (dir, "cpu.stat", &cpustat, &ignored) == 0)
    {
      jr_cgroup_stat_set_keys (usage, cpustat, usage_keys, 3);
      jr_cgroup_stat_set_keys (thr, cpustat, throttling, 3);
    }
  oci_jobject_set (cpu, "usage", usage);
  oci_jobject_set (cpu, "throttling", thr);
  oci_jobject_set (out, "cpu", cpu);

  struct oci_jvalue *mem = oci_jobject_new ();
  struct oci_jvalue *mu = oci_jobject_new ();
  oci_jobject_set_uint (mu, "limit", jr_cgroup_stat_u64 (dir, "memory.max"));
  oci_jobject_set_uint (mu, "usage", jr_cgroup_stat_u64 (dir, "memory.current"));
  oci_jobject_set_uint (mu, "max", jr_cgroup_stat_u64 (dir, "memory.peak"));
  oci_jobject_set_uint (mu, "failcnt", jr_cgroup_stat_keyed (dir, "memory.events", "max"));
  oci_jobject_set (mem, "usage", mu);
  struct oci_jvalue *ms = oci_jobject_new ();
  oci_jobject_set_uint (ms, "limit", jr_cgroup_stat_u64 (dir, "memory.swap.max"));
  oci_jobject_set_uint (ms, "usage", jr_cgroup_stat_u64 (dir, "memory.swap.current"));
  oci_jobject_set_uint (ms, "failcnt", jr_cgroup_stat_keyed (dir, "memory.swap.events", "fail"));
  oci_jobject_set (mem, "swap", ms);
  oci_jobject_set_uint (mem, "cache", jr_cgroup_stat_keyed (dir, "memory.stat", "file"));
  oci_jobject_set (mem, "raw", jr_cgroup_stat_keyed_object (dir, "memory.stat"));
  oci_jobject_set (out, "memory", mem);

  oci_jobject_set (out, "pids", jr_cgroup_stat_pids (dir));

  struct oci_jvalue *blkio = oci_jobject_new ();
  if (jr_cgroup_read (dir, "io.stat", &iostat, &ignored) == 0)
    {
      oci_jobject_set (blkio, "ioServiceBytesRecursive", io_stat_entries (iostat, "rbytes", "wbytes"));
      oci_jobject_set (blkio, "ioServicedRecursive", io_stat_entries (iostat, "rios", "wios"));
    }
  oci_jobject_set (out, "blkio", blkio);

  struct oci_jvalue *huge = oci_jobject_new ();
  jr_cgroup_v2_hugetlb_stats (dir, huge);
  oci_jobject_set (out, "hugetlb", huge);
  return 0;
}

static int
v2_oom_count (struct jr_cgroup *cg, uint64_t *count, jr_error_t *err)
{
  cleanup_free char *text = NULL;
  if (jr_cgroup_read (cg->unified_dir, "memory.events", &text, err) < 0)
    return -1;
  *count = 0;
  jr_cgroup_keyed_u64 (text, "oom_kill", count);
  return 0;
}

const struct jr_cgroup_ops jr_cgroup_v2_ops = {
  .create = v2_create,
  .update = v2_apply,
  .procs_dir = v2_procs_dir,
  .freezer_dir = v2_procs_dir,
  .freezer_file = "cgroup.freeze",
  .freezer_frozen = "1",
  .freezer_thawed = "0",
  .freezer_state = v2_freezer_state,
  .kill_direct = v2_kill_direct,
  .stats = v2_stats,
  .oom_count = v2_oom_count,
};
