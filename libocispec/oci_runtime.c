/* libocispec: runtime-spec config.json / process.json / LinuxResources
 * parsing and freeing.  Serializers live in oci_runtime_gen.c.
 *
 * Only JSON types and numeric ranges are checked here: semantic validation
 * (required fields, allowed values) is the runtime's job, so its errors can
 * speak about containers rather than JSON. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_json.h"

/* ======================= parsing ======================= */

static int
parse_id_mapping (struct oci_pctx *c, yajl_val v, struct oci_id_mapping *m)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u32 (c, v, "containerID", NULL, &m->container_id));
  TRY (oci_get_u32 (c, v, "hostID", NULL, &m->host_id));
  TRY (oci_get_u32 (c, v, "size", NULL, &m->size));
  return 0;
}

static int
parse_rlimit (struct oci_pctx *c, yajl_val v, struct oci_rlimit *r)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "type", &r->type));
  TRY (oci_get_u64 (c, v, "soft", NULL, &r->soft));
  TRY (oci_get_u64 (c, v, "hard", NULL, &r->hard));
  return 0;
}

static int
parse_capabilities (struct oci_pctx *c, yajl_val v, struct oci_capabilities *caps)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_strv (c, v, "bounding", &caps->bounding, &caps->bounding_len));
  TRY (oci_get_strv (c, v, "effective", &caps->effective, &caps->effective_len));
  TRY (oci_get_strv (c, v, "inheritable", &caps->inheritable, &caps->inheritable_len));
  TRY (oci_get_strv (c, v, "permitted", &caps->permitted, &caps->permitted_len));
  TRY (oci_get_strv (c, v, "ambient", &caps->ambient, &caps->ambient_len));
  return 0;
}

static int
parse_user (struct oci_pctx *c, yajl_val v, struct oci_user *u)
{
  yajl_val gids = NULL;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u32 (c, v, "uid", NULL, &u->uid));
  TRY (oci_get_u32 (c, v, "gid", NULL, &u->gid));
  TRY (oci_get_u32 (c, v, "umask", &u->has_umask, &u->umask));
  TRY (oci_get_str (c, v, "username", &u->username));
  TRY (oci_get_array (c, v, "additionalGids", &gids));
  if (gids)
    {
      size_t saved = oci_path_key (c, "additionalGids"), i;
      u->additional_gids = oci_array_alloc (gids->u.array.len, sizeof (uint32_t));
      u->additional_gids_len = gids->u.array.len;
      for (i = 0; i < gids->u.array.len; i++)
        {
          size_t si = oci_path_index (c, i);
          uint64_t g;
          TRY (oci_val_uint (c, gids->u.array.values[i], UINT32_MAX, &g));
          u->additional_gids[i] = (uint32_t)g;
          oci_path_restore (c, si);
        }
      oci_path_restore (c, saved);
    }
  return 0;
}

static int
parse_console_size (struct oci_pctx *c, yajl_val v, struct oci_console_size *s)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u32 (c, v, "height", NULL, &s->height));
  TRY (oci_get_u32 (c, v, "width", NULL, &s->width));
  return 0;
}

static int
parse_io_priority (struct oci_pctx *c, yajl_val v, struct oci_io_priority *p)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "class", &p->class));
  TRY (oci_get_i32 (c, v, "priority", NULL, &p->priority));
  return 0;
}

static int
parse_scheduler (struct oci_pctx *c, yajl_val v, struct oci_scheduler *s)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "policy", &s->policy));
  TRY (oci_get_i32 (c, v, "nice", &s->has_nice, &s->nice));
  TRY (oci_get_i32 (c, v, "priority", &s->has_priority, &s->priority));
  TRY (oci_get_strv (c, v, "flags", &s->flags, &s->flags_len));
  TRY (oci_get_u64 (c, v, "runtime", &s->has_runtime, &s->runtime));
  TRY (oci_get_u64 (c, v, "deadline", &s->has_deadline, &s->deadline));
  TRY (oci_get_u64 (c, v, "period", &s->has_period, &s->period));
  return 0;
}

static int
parse_cpu_affinity (struct oci_pctx *c, yajl_val v, struct oci_cpu_affinity *a)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "initial", &a->initial));
  TRY (oci_get_str (c, v, "final", &a->final));
  return 0;
}

static int
parse_process (struct oci_pctx *c, yajl_val v, struct oci_process *p)
{
  yajl_val user;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_bool (c, v, "terminal", NULL, &p->terminal));
  SUBOBJ (c, v, "consoleSize", p->console_size, parse_console_size);
  user = oci_obj_get (v, "user");
  if (user)
    {
      size_t saved = oci_path_key (c, "user");
      TRY (parse_user (c, user, &p->user));
      oci_path_restore (c, saved);
    }
  TRY (oci_get_strv (c, v, "args", &p->args, &p->args_len));
  TRY (oci_get_str (c, v, "commandLine", &p->command_line));
  TRY (oci_get_strv (c, v, "env", &p->env, &p->env_len));
  TRY (oci_get_str (c, v, "cwd", &p->cwd));
  SUBOBJ (c, v, "capabilities", p->capabilities, parse_capabilities);
  SUBARRAY (c, v, "rlimits", p->rlimits, p->rlimits_len, parse_rlimit);
  TRY (oci_get_bool (c, v, "noNewPrivileges", NULL, &p->no_new_privileges));
  TRY (oci_get_str (c, v, "apparmorProfile", &p->apparmor_profile));
  TRY (oci_get_i32 (c, v, "oomScoreAdj", &p->has_oom_score_adj, &p->oom_score_adj));
  TRY (oci_get_str (c, v, "selinuxLabel", &p->selinux_label));
  SUBOBJ (c, v, "ioPriority", p->io_priority, parse_io_priority);
  SUBOBJ (c, v, "scheduler", p->scheduler, parse_scheduler);
  SUBOBJ (c, v, "execCPUAffinity", p->exec_cpu_affinity, parse_cpu_affinity);
  return 0;
}

static int
parse_root (struct oci_pctx *c, yajl_val v, struct oci_root *r)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "path", &r->path));
  TRY (oci_get_bool (c, v, "readonly", NULL, &r->readonly));
  return 0;
}

static int
parse_mount (struct oci_pctx *c, yajl_val v, struct oci_mount *m)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "destination", &m->destination));
  TRY (oci_get_str (c, v, "type", &m->type));
  TRY (oci_get_str (c, v, "source", &m->source));
  TRY (oci_get_strv (c, v, "options", &m->options, &m->options_len));
  SUBARRAY (c, v, "uidMappings", m->uid_mappings, m->uid_mappings_len, parse_id_mapping);
  SUBARRAY (c, v, "gidMappings", m->gid_mappings, m->gid_mappings_len, parse_id_mapping);
  return 0;
}

static int
parse_hook (struct oci_pctx *c, yajl_val v, struct oci_hook *h)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "path", &h->path));
  TRY (oci_get_strv (c, v, "args", &h->args, &h->args_len));
  TRY (oci_get_strv (c, v, "env", &h->env, &h->env_len));
  TRY (oci_get_i32 (c, v, "timeout", &h->has_timeout, &h->timeout));
  return 0;
}

static int
parse_hooks (struct oci_pctx *c, yajl_val v, struct oci_hooks *h)
{
  TRY (oci_expect_object (c, v));
  SUBARRAY (c, v, "prestart", h->prestart.items, h->prestart.len, parse_hook);
  SUBARRAY (c, v, "createRuntime", h->create_runtime.items, h->create_runtime.len, parse_hook);
  SUBARRAY (c, v, "createContainer", h->create_container.items, h->create_container.len, parse_hook);
  SUBARRAY (c, v, "startContainer", h->start_container.items, h->start_container.len, parse_hook);
  SUBARRAY (c, v, "poststart", h->poststart.items, h->poststart.len, parse_hook);
  SUBARRAY (c, v, "poststop", h->poststop.items, h->poststop.len, parse_hook);
  return 0;
}

static int
parse_namespace (struct oci_pctx *c, yajl_val v, struct oci_namespace *ns)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "type", &ns->type));
  TRY (oci_get_str (c, v, "path", &ns->path));
  return 0;
}

static int
parse_time_offset (struct oci_pctx *c, yajl_val v, struct oci_time_offset *t)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_i64 (c, v, "secs", NULL, &t->secs));
  TRY (oci_get_u32 (c, v, "nanosecs", NULL, &t->nanosecs));
  return 0;
}

static int
parse_time_offsets (struct oci_pctx *c, yajl_val v, struct oci_time_offsets *t)
{
  yajl_val sub;
  TRY (oci_expect_object (c, v));
  if ((sub = oci_obj_get (v, "monotonic")))
    {
      size_t saved = oci_path_key (c, "monotonic");
      TRY (parse_time_offset (c, sub, &t->monotonic));
      t->has_monotonic = true;
      oci_path_restore (c, saved);
    }
  if ((sub = oci_obj_get (v, "boottime")))
    {
      size_t saved = oci_path_key (c, "boottime");
      TRY (parse_time_offset (c, sub, &t->boottime));
      t->has_boottime = true;
      oci_path_restore (c, saved);
    }
  return 0;
}

static int
parse_device (struct oci_pctx *c, yajl_val v, struct oci_device *d)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "type", &d->type));
  TRY (oci_get_str (c, v, "path", &d->path));
  TRY (oci_get_i64 (c, v, "major", NULL, &d->major));
  TRY (oci_get_i64 (c, v, "minor", NULL, &d->minor));
  TRY (oci_get_u32 (c, v, "fileMode", &d->has_file_mode, &d->file_mode));
  TRY (oci_get_u32 (c, v, "uid", &d->has_uid, &d->uid));
  TRY (oci_get_u32 (c, v, "gid", &d->has_gid, &d->gid));
  return 0;
}

static int
parse_device_cgroup (struct oci_pctx *c, yajl_val v, struct oci_device_cgroup *d)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_bool (c, v, "allow", NULL, &d->allow));
  TRY (oci_get_str (c, v, "type", &d->type));
  TRY (oci_get_i64 (c, v, "major", &d->has_major, &d->major));
  TRY (oci_get_i64 (c, v, "minor", &d->has_minor, &d->minor));
  TRY (oci_get_str (c, v, "access", &d->access));
  return 0;
}

static int
parse_memory (struct oci_pctx *c, yajl_val v, struct oci_memory *m)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_i64 (c, v, "limit", &m->has_limit, &m->limit));
  TRY (oci_get_i64 (c, v, "reservation", &m->has_reservation, &m->reservation));
  TRY (oci_get_i64 (c, v, "swap", &m->has_swap, &m->swap));
  TRY (oci_get_i64 (c, v, "kernel", &m->has_kernel, &m->kernel));
  TRY (oci_get_i64 (c, v, "kernelTCP", &m->has_kernel_tcp, &m->kernel_tcp));
  TRY (oci_get_u64 (c, v, "swappiness", &m->has_swappiness, &m->swappiness));
  TRY (oci_get_bool (c, v, "disableOOMKiller", &m->has_disable_oom_killer, &m->disable_oom_killer));
  TRY (oci_get_bool (c, v, "useHierarchy", &m->has_use_hierarchy, &m->use_hierarchy));
  TRY (oci_get_bool (c, v, "checkBeforeUpdate", &m->has_check_before_update, &m->check_before_update));
  return 0;
}

static int
parse_cpu (struct oci_pctx *c, yajl_val v, struct oci_cpu *cpu)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u64 (c, v, "shares", &cpu->has_shares, &cpu->shares));
  TRY (oci_get_i64 (c, v, "quota", &cpu->has_quota, &cpu->quota));
  TRY (oci_get_u64 (c, v, "burst", &cpu->has_burst, &cpu->burst));
  TRY (oci_get_u64 (c, v, "period", &cpu->has_period, &cpu->period));
  TRY (oci_get_i64 (c, v, "realtimeRuntime", &cpu->has_realtime_runtime, &cpu->realtime_runtime));
  TRY (oci_get_u64 (c, v, "realtimePeriod", &cpu->has_realtime_period, &cpu->realtime_period));
  TRY (oci_get_str (c, v, "cpus", &cpu->cpus));
  TRY (oci_get_str (c, v, "mems", &cpu->mems));
  TRY (oci_get_i64 (c, v, "idle", &cpu->has_idle, &cpu->idle));
  return 0;
}

static int
parse_pids (struct oci_pctx *c, yajl_val v, struct oci_pids *p)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_i64 (c, v, "limit", &p->has_limit, &p->limit));
  return 0;
}

static int
parse_weight_device (struct oci_pctx *c, yajl_val v, struct oci_weight_device *d)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_i64 (c, v, "major", NULL, &d->major));
  TRY (oci_get_i64 (c, v, "minor", NULL, &d->minor));
  TRY (oci_get_u16 (c, v, "weight", &d->has_weight, &d->weight));
  TRY (oci_get_u16 (c, v, "leafWeight", &d->has_leaf_weight, &d->leaf_weight));
  return 0;
}

static int
parse_throttle_device (struct oci_pctx *c, yajl_val v, struct oci_throttle_device *d)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_i64 (c, v, "major", NULL, &d->major));
  TRY (oci_get_i64 (c, v, "minor", NULL, &d->minor));
  TRY (oci_get_u64 (c, v, "rate", NULL, &d->rate));
  return 0;
}

static int
parse_block_io (struct oci_pctx *c, yajl_val v, struct oci_block_io *b)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u16 (c, v, "weight", &b->has_weight, &b->weight));
  TRY (oci_get_u16 (c, v, "leafWeight", &b->has_leaf_weight, &b->leaf_weight));
  SUBARRAY (c, v, "weightDevice", b->weight_device, b->weight_device_len, parse_weight_device);
  SUBARRAY (c, v, "throttleReadBpsDevice", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
            parse_throttle_device);
  SUBARRAY (c, v, "throttleWriteBpsDevice", b->throttle_write_bps_device, b->throttle_write_bps_device_len,
            parse_throttle_device);
  SUBARRAY (c, v, "throttleReadIOPSDevice", b->throttle_read_iops_device, b->throttle_read_iops_device_len,
            parse_throttle_device);
  SUBARRAY (c, v, "throttleWriteIOPSDevice", b->throttle_write_iops_device, b->throttle_write_iops_device_len,
            parse_throttle_device);
  return 0;
}

static int
parse_hugepage (struct oci_pctx *c, yajl_val v, struct oci_hugepage_limit *h)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "pageSize", &h->page_size));
  TRY (oci_get_u64 (c, v, "limit", NULL, &h->limit));
  return 0;
}

static int
parse_net_priority (struct oci_pctx *c, yajl_val v, struct oci_net_priority *p)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "name", &p->name));
  TRY (oci_get_u32 (c, v, "priority", NULL, &p->priority));
  return 0;
}

static int
parse_network (struct oci_pctx *c, yajl_val v, struct oci_network *n)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u32 (c, v, "classID", &n->has_class_id, &n->class_id));
  SUBARRAY (c, v, "priorities", n->priorities, n->priorities_len, parse_net_priority);
  return 0;
}

/* rdma is an object keyed by device name. */
static int
parse_rdma (struct oci_pctx *c, yajl_val v, struct oci_linux_resources *r)
{
  size_t i, n;
  TRY (oci_expect_object (c, v));
  n = v->u.object.len;
  r->rdma = oci_array_alloc (n, sizeof *r->rdma);
  r->rdma_len = n;
  for (i = 0; i < n; i++)
    {
      struct oci_rdma_entry *e = &r->rdma[i];
      yajl_val ev = v->u.object.values[i];
      size_t saved = oci_path_key (c, v->u.object.keys[i]);
      e->device = oci_xstrdup (v->u.object.keys[i]);
      TRY (oci_expect_object (c, ev));
      TRY (oci_get_u32 (c, ev, "hcaHandles", &e->has_hca_handles, &e->hca_handles));
      TRY (oci_get_u32 (c, ev, "hcaObjects", &e->has_hca_objects, &e->hca_objects));
      oci_path_restore (c, saved);
    }
  return 0;
}

static int
parse_resources (struct oci_pctx *c, yajl_val v, struct oci_linux_resources *r)
{
  yajl_val rdma;
  TRY (oci_expect_object (c, v));
  SUBARRAY (c, v, "devices", r->devices, r->devices_len, parse_device_cgroup);
  SUBOBJ (c, v, "memory", r->memory, parse_memory);
  SUBOBJ (c, v, "cpu", r->cpu, parse_cpu);
  SUBOBJ (c, v, "pids", r->pids, parse_pids);
  SUBOBJ (c, v, "blockIO", r->block_io, parse_block_io);
  SUBARRAY (c, v, "hugepageLimits", r->hugepage_limits, r->hugepage_limits_len, parse_hugepage);
  SUBOBJ (c, v, "network", r->network, parse_network);
  if ((rdma = oci_obj_get (v, "rdma")))
    {
      size_t saved = oci_path_key (c, "rdma");
      TRY (parse_rdma (c, rdma, r));
      oci_path_restore (c, saved);
    }
  TRY (oci_get_map (c, v, "unified", &r->unified));
  return 0;
}

static int
parse_intel_rdt (struct oci_pctx *c, yajl_val v, struct oci_intel_rdt *r)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "closID", &r->clos_id));
  TRY (oci_get_str (c, v, "l3CacheSchema", &r->l3_cache_schema));
  TRY (oci_get_str (c, v, "memBwSchema", &r->mem_bw_schema));
  TRY (oci_get_bool (c, v, "enableCMT", NULL, &r->enable_cmt));
  TRY (oci_get_bool (c, v, "enableMBM", NULL, &r->enable_mbm));
  return 0;
}

static int
parse_seccomp_arg (struct oci_pctx *c, yajl_val v, struct oci_seccomp_arg *a)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_u32 (c, v, "index", NULL, &a->index));
  TRY (oci_get_u64 (c, v, "value", NULL, &a->value));
  TRY (oci_get_u64 (c, v, "valueTwo", &a->has_value_two, &a->value_two));
  TRY (oci_get_str (c, v, "op", &a->op));
  return 0;
}

static int
parse_seccomp_syscall (struct oci_pctx *c, yajl_val v, struct oci_seccomp_syscall *s)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_strv (c, v, "names", &s->names, &s->names_len));
  TRY (oci_get_str (c, v, "action", &s->action));
  TRY (oci_get_u32 (c, v, "errnoRet", &s->has_errno_ret, &s->errno_ret));
  SUBARRAY (c, v, "args", s->args, s->args_len, parse_seccomp_arg);
  return 0;
}

static int
parse_seccomp (struct oci_pctx *c, yajl_val v, struct oci_seccomp *s)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "defaultAction", &s->default_action));
  TRY (oci_get_u32 (c, v, "defaultErrnoRet", &s->has_default_errno_ret, &s->default_errno_ret));
  TRY (oci_get_strv (c, v, "architectures", &s->architectures, &s->architectures_len));
  TRY (oci_get_strv (c, v, "flags", &s->flags, &s->flags_len));
  TRY (oci_get_str (c, v, "listenerPath", &s->listener_path));
  TRY (oci_get_str (c, v, "listenerMetadata", &s->listener_metadata));
  SUBARRAY (c, v, "syscalls", s->syscalls, s->syscalls_len, parse_seccomp_syscall);
  return 0;
}

static int
parse_personality (struct oci_pctx *c, yajl_val v, struct oci_personality *p)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "domain", &p->domain));
  TRY (oci_get_strv (c, v, "flags", &p->flags, &p->flags_len));
  return 0;
}

static int
parse_linux (struct oci_pctx *c, yajl_val v, struct oci_linux *l)
{
  TRY (oci_expect_object (c, v));
  SUBARRAY (c, v, "namespaces", l->namespaces, l->namespaces_len, parse_namespace);
  SUBARRAY (c, v, "uidMappings", l->uid_mappings, l->uid_mappings_len, parse_id_mapping);
  SUBARRAY (c, v, "gidMappings", l->gid_mappings, l->gid_mappings_len, parse_id_mapping);
  SUBOBJ (c, v, "timeOffsets", l->time_offsets, parse_time_offsets);
  SUBARRAY (c, v, "devices", l->devices, l->devices_len, parse_device);
  TRY (oci_get_str (c, v, "cgroupsPath", &l->cgroups_path));
  SUBOBJ (c, v, "resources", l->resources, parse_resources);
  TRY (oci_get_str (c, v, "rootfsPropagation", &l->rootfs_propagation));
  SUBOBJ (c, v, "seccomp", l->seccomp, parse_seccomp);
  TRY (oci_get_map (c, v, "sysctl", &l->sysctl));
  TRY (oci_get_strv (c, v, "maskedPaths", &l->masked_paths, &l->masked_paths_len));
  TRY (oci_get_strv (c, v, "readonlyPaths", &l->readonly_paths, &l->readonly_paths_len));
  TRY (oci_get_str (c, v, "mountLabel", &l->mount_label));
  SUBOBJ (c, v, "intelRdt", l->intel_rdt, parse_intel_rdt);
  SUBOBJ (c, v, "personality", l->personality, parse_personality);
  return 0;
}

static int
parse_spec (struct oci_pctx *c, yajl_val v, struct oci_spec *s)
{
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "ociVersion", &s->oci_version));
  SUBOBJ (c, v, "process", s->process, parse_process);
  SUBOBJ (c, v, "root", s->root, parse_root);
  TRY (oci_get_str (c, v, "hostname", &s->hostname));
  TRY (oci_get_str (c, v, "domainname", &s->domainname));
  SUBARRAY (c, v, "mounts", s->mounts, s->mounts_len, parse_mount);
  SUBOBJ (c, v, "hooks", s->hooks, parse_hooks);
  TRY (oci_get_map (c, v, "annotations", &s->annotations));
  SUBOBJ (c, v, "linux", s->linux_, parse_linux);
  return 0;
}

static int
parse_spec_cb (struct oci_pctx *c, yajl_val v, void *o)
{
  return parse_spec (c, v, o);
}
static void
free_spec_cb (void *o)
{
  oci_spec_free (o);
}
static int
parse_process_cb (struct oci_pctx *c, yajl_val v, void *o)
{
  return parse_process (c, v, o);
}
static void
free_process_cb (void *o)
{
  oci_process_free (o);
}
static int
parse_resources_cb (struct oci_pctx *c, yajl_val v, void *o)
{
  return parse_resources (c, v, o);
}
static void
free_resources_cb (void *o)
{
  oci_linux_resources_free (o);
}

struct oci_spec *
oci_spec_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "config.json", errmsg, sizeof (struct oci_spec),
                             parse_spec_cb, free_spec_cb);
}

struct oci_process *
oci_process_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "process.json", errmsg, sizeof (struct oci_process),
                             parse_process_cb, free_process_cb);
}

struct oci_linux_resources *
oci_linux_resources_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "resources", errmsg,
                             sizeof (struct oci_linux_resources), parse_resources_cb, free_resources_cb);
}

struct oci_spec *
oci_spec_parse_file (const char *path, char **errmsg)
{
  size_t len = 0;
  struct oci_spec *spec;
  const char *base;
  char *buf;

  if (errmsg)
    *errmsg = NULL;
  buf = oci_read_whole_file (path, &len, errmsg);
  if (buf == NULL)
    return NULL;
  /* Errors name the file as the user knows it: config.json usually. */
  base = strrchr (path, '/');
  spec = oci_spec_parse (buf, len, base ? base + 1 : path, errmsg);
  free (buf);
  return spec;
}

/* ======================= freeing ======================= */

static void
free_capabilities (struct oci_capabilities *c)
{
  if (c == NULL)
    return;
  oci_strv_free (c->bounding, c->bounding_len);
  oci_strv_free (c->effective, c->effective_len);
  oci_strv_free (c->inheritable, c->inheritable_len);
  oci_strv_free (c->permitted, c->permitted_len);
  oci_strv_free (c->ambient, c->ambient_len);
  free (c);
}

static void
free_process_fields (struct oci_process *p)
{
  size_t i;
  free (p->console_size);
  free (p->user.additional_gids);
  free (p->user.username);
  oci_strv_free (p->args, p->args_len);
  free (p->command_line);
  oci_strv_free (p->env, p->env_len);
  free (p->cwd);
  free_capabilities (p->capabilities);
  for (i = 0; i < p->rlimits_len; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  if (p->io_priority)
    free (p->io_priority->class);
  free (p->io_priority);
  if (p->scheduler)
    {
      free (p->scheduler->policy);
      oci_strv_free (p->scheduler->flags, p->scheduler->flags_len);
      free (p->scheduler);
    }
  if (p->exec_cpu_affinity)
    {
      free (p->exec_cpu_affinity->initial);
      free (p->exec_cpu_affinity->final);
      free (p->exec_cpu_affinity);
    }
}

void
oci_process_free (struct oci_process *p)
{
  if (p == NULL)
    return;
  free_process_fields (p);
  free (p);
}

static void
free_hook_list (struct oci_hook_list *l)
{
  size_t i;
  for (i = 0; i < l->len; i++)
    {
      free (l->items[i].path);
      oci_strv_free (l->items[i].args, l->items[i].args_len);
      oci_strv_free (l->items[i].env, l->items[i].env_len);
    }
  free (l->items);
}

static void
free_resources_fields (struct oci_linux_resources *r)
{
  size_t i;
  for (i = 0; i < r->devices_len; i++)
    {
      free (r->devices[i].type);
      free (r->devices[i].access);
    }
  free (r->devices);
  free (r->memory);
  if (r->cpu)
    {
      free (r->cpu->cpus);
      free (r->cpu->mems);
      free (r->cpu);
    }
  free (r->pids);
  if (r->block_io)
    {
      free (r->block_io->weight_device);
      free (r->block_io->throttle_read_bps_device);
      free (r->block_io->throttle_write_bps_device);
      free (r->block_io->throttle_read_iops_device);
      free (r->block_io->throttle_write_iops_device);
      free (r->block_io);
    }
  for (i = 0; i < r->hugepage_limits_len; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  if (r->network)
    {
      for (i = 0; i < r->network->priorities_len; i++)
        free (r->network->priorities[i].name);
      free (r->network->priorities);
      free (r->network);
    }
  for (i = 0; i < r->rdma_len; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  oci_string_map_free (&r->unified);
}

void
oci_linux_resources_free (struct oci_linux_resources *r)
{
  if (r == NULL)
    return;
  free_resources_fields (r);
  free (r);
}

static void
free_seccomp (struct oci_seccomp *s)
{
  size_t i, j;
  if (s == NULL)
    return;
  free (s->default_action);
  oci_strv_free (s->architectures, s->architectures_len);
  oci_strv_free (s->flags, s->flags_len);
  free (s->listener_path);
  free (s->listener_metadata);
  for (i = 0; i < s->syscalls_len; i++)
    {
      struct oci_seccomp_syscall *sc = &s->syscalls[i];
      oci_strv_free (sc->names, sc->names_len);
      free (sc->action);
      for (j = 0; j < sc->args_len; j++)
        free (sc->args[j].op);
      free (sc->args);
    }
  free (s->syscalls);
  free (s);
}

static void
free_linux (struct oci_linux *l)
{
  size_t i;
  if (l == NULL)
    return;
  for (i = 0; i < l->namespaces_len; i++)
    {
      free (l->namespaces[i].type);
      free (l->namespaces[i].path);
    }
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  free (l->time_offsets);
  for (i = 0; i < l->devices_len; i++)
    {
      free (l->devices[i].type);
      free (l->devices[i].path);
    }
  free (l->devices);
  free (l->cgroups_path);
  oci_linux_resources_free (l->resources);
  free (l->rootfs_propagation);
  free_seccomp (l->seccomp);
  oci_string_map_free (&l->sysctl);
  oci_strv_free (l->masked_paths, l->masked_paths_len);
  oci_strv_free (l->readonly_paths, l->readonly_paths_len);
  free (l->mount_label);
  if (l->intel_rdt)
    {
      free (l->intel_rdt->clos_id);
      free (l->intel_rdt->l3_cache_schema);
      free (l->intel_rdt->mem_bw_schema);
      free (l->intel_rdt);
    }
  if (l->personality)
    {
      free (l->personality->domain);
      oci_strv_free (l->personality->flags, l->personality->flags_len);
      free (l->personality);
    }
  free (l);
}

void
oci_spec_free (struct oci_spec *s)
{
  size_t i;
  if (s == NULL)
    return;
  free (s->oci_version);
  oci_process_free (s->process);
  if (s->root)
    free (s->root->path);
  free (s->root);
  free (s->hostname);
  free (s->domainname);
  for (i = 0; i < s->mounts_len; i++)
    {
      struct oci_mount *m = &s->mounts[i];
      free (m->destination);
      free (m->type);
      free (m->source);
      oci_strv_free (m->options, m->options_len);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (s->mounts);
  if (s->hooks)
    {
      free_hook_list (&s->hooks->prestart);
      free_hook_list (&s->hooks->create_runtime);
      free_hook_list (&s->hooks->create_container);
      free_hook_list (&s->hooks->start_container);
      free_hook_list (&s->hooks->poststart);
      free_hook_list (&s->hooks->poststop);
      free (s->hooks);
    }
  oci_string_map_free (&s->annotations);
  free_linux (s->linux_);
  free (s);
}

/* ======================= state ======================= */

static int
parse_state (struct oci_pctx *c, yajl_val v, void *o)
{
  struct oci_state *s = o;
  int64_t pid = 0;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "ociVersion", &s->oci_version));
  TRY (oci_get_str (c, v, "id", &s->id));
  TRY (oci_get_str (c, v, "status", &s->status));
  TRY (oci_get_int (c, v, "pid", 0, INT32_MAX, NULL, &pid));
  s->pid = (int)pid;
  TRY (oci_get_str (c, v, "bundle", &s->bundle));
  TRY (oci_get_str (c, v, "rootfs", &s->rootfs));
  TRY (oci_get_str (c, v, "created", &s->created));
  TRY (oci_get_str (c, v, "owner", &s->owner));
  TRY (oci_get_map (c, v, "annotations", &s->annotations));
  return 0;
}

static void
free_state_cb (void *o)
{
  oci_state_free (o);
}

struct oci_state *
oci_state_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "state.json", errmsg, sizeof (struct oci_state),
                             parse_state, free_state_cb);
}

void
oci_state_free (struct oci_state *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->id);
  free (s->status);
  free (s->bundle);
  free (s->rootfs);
  free (s->created);
  free (s->owner);
  oci_string_map_free (&s->annotations);
  free (s);
}

/* ======================= features ======================= */

/* obj[key].enabled into *out, with paths. */
static int
parse_enabled (struct oci_pctx *c, yajl_val obj, const char *key, bool *out)
{
  yajl_val sub = NULL;
  TRY (oci_get_object (c, obj, key, &sub));
  if (sub)
    {
      size_t saved = oci_path_key (c, key);
      TRY (oci_get_bool (c, sub, "enabled", NULL, out));
      oci_path_restore (c, saved);
    }
  return 0;
}

static int
parse_features_linux (struct oci_pctx *c, yajl_val v, struct oci_features *f)
{
  yajl_val sub = NULL;
  TRY (oci_get_strv (c, v, "namespaces", &f->namespaces, &f->namespaces_len));
  TRY (oci_get_strv (c, v, "capabilities", &f->capabilities, &f->capabilities_len));
  TRY (oci_get_object (c, v, "cgroup", &sub));
  if (sub)
    {
      size_t saved = oci_path_key (c, "cgroup");
      TRY (oci_get_bool (c, sub, "v1", NULL, &f->cgroup_v1));
      TRY (oci_get_bool (c, sub, "v2", NULL, &f->cgroup_v2));
      TRY (oci_get_bool (c, sub, "systemd", NULL, &f->cgroup_systemd));
      TRY (oci_get_bool (c, sub, "systemdUser", NULL, &f->cgroup_systemd_user));
      TRY (oci_get_bool (c, sub, "rdma", NULL, &f->cgroup_rdma));
      oci_path_restore (c, saved);
    }
  sub = NULL;
  TRY (oci_get_object (c, v, "seccomp", &sub));
  if (sub)
    {
      size_t saved = oci_path_key (c, "seccomp");
      TRY (oci_get_bool (c, sub, "enabled", NULL, &f->seccomp_enabled));
      TRY (oci_get_strv (c, sub, "actions", &f->seccomp_actions, &f->seccomp_actions_len));
      TRY (oci_get_strv (c, sub, "operators", &f->seccomp_operators, &f->seccomp_operators_len));
      TRY (oci_get_strv (c, sub, "archs", &f->seccomp_archs, &f->seccomp_archs_len));
      TRY (oci_get_strv (c, sub, "knownFlags", &f->seccomp_known_flags, &f->seccomp_known_flags_len));
      TRY (oci_get_strv (c, sub, "supportedFlags", &f->seccomp_supported_flags,
                         &f->seccomp_supported_flags_len));
      oci_path_restore (c, saved);
    }
  TRY (parse_enabled (c, v, "apparmor", &f->apparmor_enabled));
  TRY (parse_enabled (c, v, "selinux", &f->selinux_enabled));
  TRY (parse_enabled (c, v, "intelRdt", &f->intel_rdt_enabled));
  sub = NULL;
  TRY (oci_get_object (c, v, "mountExtensions", &sub));
  if (sub)
    {
      size_t saved = oci_path_key (c, "mountExtensions");
      TRY (parse_enabled (c, sub, "idmap", &f->mount_extensions_idmap_enabled));
      oci_path_restore (c, saved);
    }
  return 0;
}

static int
parse_features (struct oci_pctx *c, yajl_val v, void *o)
{
  struct oci_features *f = o;
  yajl_val lin = NULL;
  TRY (oci_expect_object (c, v));
  TRY (oci_get_str (c, v, "ociVersionMin", &f->oci_version_min));
  TRY (oci_get_str (c, v, "ociVersionMax", &f->oci_version_max));
  TRY (oci_get_strv (c, v, "hooks", &f->hooks, &f->hooks_len));
  TRY (oci_get_strv (c, v, "mountOptions", &f->mount_options, &f->mount_options_len));
  TRY (oci_get_object (c, v, "linux", &lin));
  if (lin)
    {
      size_t saved = oci_path_key (c, "linux");
      TRY (parse_features_linux (c, lin, f));
      oci_path_restore (c, saved);
    }
  TRY (oci_get_map (c, v, "annotations", &f->annotations));
  return 0;
}

static void
free_features_cb (void *o)
{
  oci_features_free (o);
}

struct oci_features *
oci_features_parse (const char *json, size_t len, const char *what, char **errmsg)
{
  return oci_parse_document (json, len, what ? what : "features", errmsg, sizeof (struct oci_features),
                             parse_features, free_features_cb);
}

void
oci_features_free (struct oci_features *f)
{
  if (f == NULL)
    return;
  free (f->oci_version_min);
  free (f->oci_version_max);
  oci_strv_free (f->hooks, f->hooks_len);
  oci_strv_free (f->mount_options, f->mount_options_len);
  oci_strv_free (f->namespaces, f->namespaces_len);
  oci_strv_free (f->capabilities, f->capabilities_len);
  oci_strv_free (f->seccomp_actions, f->seccomp_actions_len);
  oci_strv_free (f->seccomp_operators, f->seccomp_operators_len);
  oci_strv_free (f->seccomp_archs, f->seccomp_archs_len);
  oci_strv_free (f->seccomp_known_flags, f->seccomp_known_flags_len);
  oci_strv_free (f->seccomp_supported_flags, f->seccomp_supported_flags_len);
  oci_string_map_free (&f->annotations);
  free (f);
}
