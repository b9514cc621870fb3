/* libocispec: runtime-spec serializers (config.json, process.json, state,
 * features).  Field order follows the runtime-spec Go types so output
 * diffs cleanly against `runc spec`; optional fields are emitted only
 * when set. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "oci_json.h"

/* An array of structs: emitted when parsed (non-NULL) or non-empty. */
#define GEN_ARRAY(g, key, arr, n, fn)                                                                        \
  do                                                                                                         \
    {                                                                                                        \
      if ((arr) != NULL || (n) > 0)                                                                          \
        {                                                                                                    \
          size_t i_;                                                                                         \
          oci_gen_key (g, key);                                                                              \
          yajl_gen_array_open (g);                                                                           \
          for (i_ = 0; i_ < (n); i_++)                                                                       \
            fn (g, &(arr)[i_]);                                                                              \
          yajl_gen_array_close (g);                                                                          \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static void
gen_id_mapping (yajl_gen g, const struct oci_id_mapping *m)
{
  yajl_gen_map_open (g);
  oci_gen_kuint (g, "containerID", m->container_id);
  oci_gen_kuint (g, "hostID", m->host_id);
  oci_gen_kuint (g, "size", m->size);
  yajl_gen_map_close (g);
}

static void
gen_rlimit (yajl_gen g, const struct oci_rlimit *r)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "type", r->type);
  oci_gen_kuint (g, "hard", r->hard);
  oci_gen_kuint (g, "soft", r->soft);
  yajl_gen_map_close (g);
}

static void
gen_process_body (yajl_gen g, const struct oci_process *p)
{
  yajl_gen_map_open (g);
  if (p->terminal)
    oci_gen_kbool (g, "terminal", true);
  if (p->console_size)
    {
      oci_gen_key (g, "consoleSize");
      yajl_gen_map_open (g);
      oci_gen_kuint (g, "height", p->console_size->height);
      oci_gen_kuint (g, "width", p->console_size->width);
      yajl_gen_map_close (g);
    }
  oci_gen_key (g, "user");
  yajl_gen_map_open (g);
  oci_gen_kuint (g, "uid", p->user.uid);
  oci_gen_kuint (g, "gid", p->user.gid);
  if (p->user.has_umask)
    oci_gen_kuint (g, "umask", p->user.umask);
  if (p->user.additional_gids || p->user.additional_gids_len)
    {
      size_t i;
      oci_gen_key (g, "additionalGids");
      yajl_gen_array_open (g);
      for (i = 0; i < p->user.additional_gids_len; i++)
        oci_gen_uint (g, p->user.additional_gids[i]);
      yajl_gen_array_close (g);
    }
  oci_gen_kstr (g, "username", p->user.username);
  yajl_gen_map_close (g);
  oci_gen_kstrv (g, "args", p->args, p->args_len);
  oci_gen_kstr (g, "commandLine", p->command_line);
  oci_gen_kstrv (g, "env", p->env, p->env_len);
  oci_gen_kstr (g, "cwd", p->cwd);
  if (p->capabilities)
    {
      const struct oci_capabilities *c = p->capabilities;
      oci_gen_key (g, "capabilities");
      yajl_gen_map_open (g);
      oci_gen_kstrv (g, "bounding", c->bounding, c->bounding_len);
      oci_gen_kstrv (g, "effective", c->effective, c->effective_len);
      oci_gen_kstrv (g, "inheritable", c->inheritable, c->inheritable_len);
      oci_gen_kstrv (g, "permitted", c->permitted, c->permitted_len);
      oci_gen_kstrv (g, "ambient", c->ambient, c->ambient_len);
      yajl_gen_map_close (g);
    }
  GEN_ARRAY (g, "rlimits", p->rlimits, p->rlimits_len, gen_rlimit);
  if (p->no_new_privileges)
    oci_gen_kbool (g, "noNewPrivileges", true);
  oci_gen_kstr (g, "apparmorProfile", p->apparmor_profile);
  if (p->has_oom_score_adj)
    oci_gen_kint (g, "oomScoreAdj", p->oom_score_adj);
  oci_gen_kstr (g, "selinuxLabel", p->selinux_label);
  if (p->io_priority)
    {
      oci_gen_key (g, "ioPriority");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "class", p->io_priority->class);
      oci_gen_kint (g, "priority", p->io_priority->priority);
      yajl_gen_map_close (g);
    }
  if (p->scheduler)
    {
      const struct oci_scheduler *s = p->scheduler;
      oci_gen_key (g, "scheduler");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "policy", s->policy);
      if (s->has_nice)
        oci_gen_kint (g, "nice", s->nice);
      if (s->has_priority)
        oci_gen_kint (g, "priority", s->priority);
      oci_gen_kstrv (g, "flags", s->flags, s->flags_len);
      if (s->has_runtime)
        oci_gen_kuint (g, "runtime", s->runtime);
      if (s->has_deadline)
        oci_gen_kuint (g, "deadline", s->deadline);
      if (s->has_period)
        oci_gen_kuint (g, "period", s->period);
      yajl_gen_map_close (g);
    }
  if (p->exec_cpu_affinity)
    {
      oci_gen_key (g, "execCPUAffinity");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "initial", p->exec_cpu_affinity->initial);
      oci_gen_kstr (g, "final", p->exec_cpu_affinity->final);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, const struct oci_mount *m)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "destination", m->destination);
  oci_gen_kstr (g, "type", m->type);
  oci_gen_kstr (g, "source", m->source);
  oci_gen_kstrv (g, "options", m->options, m->options_len);
  GEN_ARRAY (g, "uidMappings", m->uid_mappings, m->uid_mappings_len, gen_id_mapping);
  GEN_ARRAY (g, "gidMappings", m->gid_mappings, m->gid_mappings_len, gen_id_mapping);
  yajl_gen_map_close (g);
}

static void
gen_hook (yajl_gen g, const struct oci_hook *h)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "path", h->path);
  oci_gen_kstrv (g, "args", h->args, h->args_len);
  oci_gen_kstrv (g, "env", h->env, h->env_len);
  if (h->has_timeout)
    oci_gen_kint (g, "timeout", h->timeout);
  yajl_gen_map_close (g);
}

static void
gen_hooks (yajl_gen g, const struct oci_hooks *h)
{
  yajl_gen_map_open (g);
  GEN_ARRAY (g, "prestart", h->prestart.items, h->prestart.len, gen_hook);
  GEN_ARRAY (g, "createRuntime", h->create_runtime.items, h->create_runtime.len, gen_hook);
  GEN_ARRAY (g, "createContainer", h->create_container.items, h->create_container.len, gen_hook);
  GEN_ARRAY (g, "startContainer", h->start_container.items, h->start_container.len, gen_hook);
  GEN_ARRAY (g, "poststart", h->poststart.items, h->poststart.len, gen_hook);
  GEN_ARRAY (g, "poststop", h->poststop.items, h->poststop.len, gen_hook);
  yajl_gen_map_close (g);
}

static void
gen_device_cgroup (yajl_gen g, const struct oci_device_cgroup *d)
{
  yajl_gen_map_open (g);
  oci_gen_kbool (g, "allow", d->allow);
  oci_gen_kstr (g, "type", d->type);
  if (d->has_major)
    oci_gen_kint (g, "major", d->major);
  if (d->has_minor)
    oci_gen_kint (g, "minor", d->minor);
  oci_gen_kstr (g, "access", d->access);
  yajl_gen_map_close (g);
}

static void
gen_weight_device (yajl_gen g, const struct oci_weight_device *d)
{
  yajl_gen_map_open (g);
  oci_gen_kint (g, "major", d->major);
  oci_gen_kint (g, "minor", d->minor);
  if (d->has_weight)
    oci_gen_kuint (g, "weight", d->weight);
  if (d->has_leaf_weight)
    oci_gen_kuint (g, "leafWeight", d->leaf_weight);
  yajl_gen_map_close (g);
}

static void
gen_throttle_device (yajl_gen g, const struct oci_throttle_device *d)
{
  yajl_gen_map_open (g);
  oci_gen_kint (g, "major", d->major);
  oci_gen_kint (g, "minor", d->minor);
  oci_gen_kuint (g, "rate", d->rate);
  yajl_gen_map_close (g);
}

static void
gen_hugepage (yajl_gen g, const struct oci_hugepage_limit *h)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "pageSize", h->page_size);
  oci_gen_kuint (g, "limit", h->limit);
  yajl_gen_map_close (g);
}

static void
gen_net_priority (yajl_gen g, const struct oci_net_priority *p)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "name", p->name);
  oci_gen_kuint (g, "priority", p->priority);
  yajl_gen_map_close (g);
}

#define KINT_IF(g, has, key, val)                                                                            \
  do                                                                                                         \
    {                                                                                                        \
      if (has)                                                                                               \
        oci_gen_kint (g, key, val);                                                                          \
    }                                                                                                        \
  while (0)
#define KUINT_IF(g, has, key, val)                                                                           \
  do                                                                                                         \
    {                                                                                                        \
      if (has)                                                                                               \
        oci_gen_kuint (g, key, val);                                                                         \
    }                                                                                                        \
  while (0)
#define KBOOL_IF(g, has, key, val)                                                                           \
  do                                                                                                         \
    {                                                                                                        \
      if (has)                                                                                               \
        oci_gen_kbool (g, key, val);                                                                         \
    }                                                                                                        \
  while (0)

static void
gen_resources (yajl_gen g, const struct oci_linux_resources *r)
{
  size_t i;
  yajl_gen_map_open (g);
  GEN_ARRAY (g, "devices", r->devices, r->devices_len, gen_device_cgroup);
  if (r->memory)
    {
      const struct oci_memory *m = r->memory;
      oci_gen_key (g, "memory");
      yajl_gen_map_open (g);
      KINT_IF (g, m->has_limit, "limit", m->limit);
      KINT_IF (g, m->has_reservation, "reservation", m->reservation);
      KINT_IF (g, m->has_swap, "swap", m->swap);
      KINT_IF (g, m->has_kernel, "kernel", m->kernel);
      KINT_IF (g, m->has_kernel_tcp, "kernelTCP", m->kernel_tcp);
      KUINT_IF (g, m->has_swappiness, "swappiness", m->swappiness);
      KBOOL_IF (g, m->has_disable_oom_killer, "disableOOMKiller", m->disable_oom_killer);
      KBOOL_IF (g, m->has_use_hierarchy, "useHierarchy", m->use_hierarchy);
      KBOOL_IF (g, m->has_check_before_update, "checkBeforeUpdate", m->check_before_update);
      yajl_gen_map_close (g);
    }
  if (r->cpu)
    {
      const struct oci_cpu *c = r->cpu;
      oci_gen_key (g, "cpu");
      yajl_gen_map_open (g);
      KUINT_IF (g, c->has_shares, "shares", c->shares);
      KINT_IF (g, c->has_quota, "quota", c->quota);
      KUINT_IF (g, c->has_burst, "burst", c->burst);
      KUINT_IF (g, c->has_period, "period", c->period);
      KINT_IF (g, c->has_realtime_runtime, "realtimeRuntime", c->realtime_runtime);
      KUINT_IF (g, c->has_realtime_period, "realtimePeriod", c->realtime_period);
      oci_gen_kstr (g, "cpus", c->cpus);
      oci_gen_kstr (g, "mems", c->mems);
      KINT_IF (g, c->has_idle, "idle", c->idle);
      yajl_gen_map_close (g);
    }
  if (r->pids)
    {
      oci_gen_key (g, "pids");
      yajl_gen_map_open (g);
      KINT_IF (g, r->pids->has_limit, "limit", r->pids->limit);
      yajl_gen_map_close (g);
    }
  if (r->block_io)
    {
      const struct oci_block_io *b = r->block_io;
      oci_gen_key (g, "blockIO");
      yajl_gen_map_open (g);
      KUINT_IF (g, b->has_weight, "weight", b->weight);
      KUINT_IF (g, b->has_leaf_weight, "leafWeight", b->leaf_weight);
      GEN_ARRAY (g, "weightDevice", b->weight_device, b->weight_device_len, gen_weight_device);
      GEN_ARRAY (g, "throttleReadBpsDevice", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                 gen_throttle_device);
      GEN_ARRAY (g, "throttleWriteBpsDevice", b->throttle_write_bps_device, b->throttle_write_bps_device_len,
                 gen_throttle_device);
      GEN_ARRAY (g, "throttleReadIOPSDevice", b->throttle_read_iops_device, b->throttle_read_iops_device_len,
                 gen_throttle_device);
      GEN_ARRAY (g, "throttleWriteIOPSDevice", b->throttle_write_iops_device,
                 b->throttle_write_iops_device_len, gen_throttle_device);
      yajl_gen_map_close (g);
    }
  GEN_ARRAY (g, "hugepageLimits", r->hugepage_limits, r->hugepage_limits_len, gen_hugepage);
  if (r->network)
    {
      oci_gen_key (g, "network");
      yajl_gen_map_open (g);
      KUINT_IF (g, r->network->has_class_id, "classID", r->network->class_id);
      GEN_ARRAY (g, "priorities", r->network->priorities, r->network->priorities_len, gen_net_priority);
      yajl_gen_map_close (g);
    }
  if (r->rdma || r->rdma_len)
    {
      oci_gen_key (g, "rdma");
      yajl_gen_map_open (g);
      for (i = 0; i < r->rdma_len; i++)
        {
          oci_gen_key (g, r->rdma[i].device ? r->rdma[i].device : "");
          yajl_gen_map_open (g);
          KUINT_IF (g, r->rdma[i].has_hca_handles, "hcaHandles", r->rdma[i].hca_handles);
          KUINT_IF (g, r->rdma[i].has_hca_objects, "hcaObjects", r->rdma[i].hca_objects);
          yajl_gen_map_close (g);
        }
      yajl_gen_map_close (g);
    }
  oci_gen_kmap (g, "unified", &r->unified);
  yajl_gen_map_close (g);
}

static void
gen_namespace (yajl_gen g, const struct oci_namespace *ns)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "type", ns->type);
  oci_gen_kstr (g, "path", ns->path);
  yajl_gen_map_close (g);
}

static void
gen_device (yajl_gen g, const struct oci_device *d)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "path", d->path);
  oci_gen_kstr (g, "type", d->type);
  oci_gen_kint (g, "major", d->major);
  oci_gen_kint (g, "minor", d->minor);
  KUINT_IF (g, d->has_file_mode, "fileMode", d->file_mode);
  KUINT_IF (g, d->has_uid, "uid", d->uid);
  KUINT_IF (g, d->has_gid, "gid", d->gid);
  yajl_gen_map_close (g);
}

static void
gen_seccomp_arg (yajl_gen g, const struct oci_seccomp_arg *a)
{
  yajl_gen_map_open (g);
  oci_gen_kuint (g, "index", a->index);
  oci_gen_kuint (g, "value", a->value);
  KUINT_IF (g, a->has_value_two, "valueTwo", a->value_two);
  oci_gen_kstr (g, "op", a->op);
  yajl_gen_map_close (g);
}

static void
gen_seccomp_syscall (yajl_gen g, const struct oci_seccomp_syscall *s)
{
  yajl_gen_map_open (g);
  oci_gen_kstrv (g, "names", s->names, s->names_len);
  oci_gen_kstr (g, "action", s->action);
  KUINT_IF (g, s->has_errno_ret, "errnoRet", s->errno_ret);
  GEN_ARRAY (g, "args", s->args, s->args_len, gen_seccomp_arg);
  yajl_gen_map_close (g);
}

static void
gen_time_offset (yajl_gen g, const char *key, const struct oci_time_offset *t)
{
  oci_gen_key (g, key);
  yajl_gen_map_open (g);
  oci_gen_kint (g, "secs", t->secs);
  oci_gen_kuint (g, "nanosecs", t->nanosecs);
  yajl_gen_map_close (g);
}

static void
gen_linux (yajl_gen g, const struct oci_linux *l)
{
  yajl_gen_map_open (g);
  GEN_ARRAY (g, "uidMappings", l->uid_mappings, l->uid_mappings_len, gen_id_mapping);
  GEN_ARRAY (g, "gidMappings", l->gid_mappings, l->gid_mappings_len, gen_id_mapping);
  oci_gen_kmap (g, "sysctl", &l->sysctl);
  if (l->resources)
    {
      oci_gen_key (g, "resources");
      gen_resources (g, l->resources);
    }
  oci_gen_kstr (g, "cgroupsPath", l->cgroups_path);
  GEN_ARRAY (g, "namespaces", l->namespaces, l->namespaces_len, gen_namespace);
  GEN_ARRAY (g, "devices", l->devices, l->devices_len, gen_device);
  if (l->seccomp)
    {
      const struct oci_seccomp *s = l->seccomp;
      oci_gen_key (g, "seccomp");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "defaultAction", s->default_action);
      KUINT_IF (g, s->has_default_errno_ret, "defaultErrnoRet", s->default_errno_ret);
      oci_gen_kstrv (g, "architectures", s->architectures, s->architectures_len);
      oci_gen_kstrv (g, "flags", s->flags, s->flags_len);
      oci_gen_kstr (g, "listenerPath", s->listener_path);
      oci_gen_kstr (g, "listenerMetadata", s->listener_metadata);
      GEN_ARRAY (g, "syscalls", s->syscalls, s->syscalls_len, gen_seccomp_syscall);
      yajl_gen_map_close (g);
    }
  oci_gen_kstr (g, "rootfsPropagation", l->rootfs_propagation);
  oci_gen_kstrv (g, "maskedPaths", l->masked_paths, l->masked_paths_len);
  oci_gen_kstrv (g, "readonlyPaths", l->readonly_paths, l->readonly_paths_len);
  oci_gen_kstr (g, "mountLabel", l->mount_label);
  if (l->intel_rdt)
    {
      const struct oci_intel_rdt *r = l->intel_rdt;
      oci_gen_key (g, "intelRdt");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "closID", r->clos_id);
      oci_gen_kstr (g, "l3CacheSchema", r->l3_cache_schema);
      oci_gen_kstr (g, "memBwSchema", r->mem_bw_schema);
      if (r->enable_cmt)
        oci_gen_kbool (g, "enableCMT", true);
      if (r->enable_mbm)
        oci_gen_kbool (g, "enableMBM", true);
      yajl_gen_map_close (g);
    }
  if (l->personality)
    {
      oci_gen_key (g, "personality");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "domain", l->personality->domain);
      oci_gen_kstrv (g, "flags", l->personality->flags, l->personality->flags_len);
      yajl_gen_map_close (g);
    }
  if (l->time_offsets)
    {
      oci_gen_key (g, "timeOffsets");
      yajl_gen_map_open (g);
      if (l->time_offsets->has_monotonic)
        gen_time_offset (g, "monotonic", &l->time_offsets->monotonic);
      if (l->time_offsets->has_boottime)
        gen_time_offset (g, "boottime", &l->time_offsets->boottime);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

char *
oci_spec_to_json (const struct oci_spec *s)
{
  yajl_gen g;
  if (s == NULL)
    return NULL;
  g = oci_gen_new (true);
  if (g == NULL)
    return NULL;
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "ociVersion", s->oci_version);
  if (s->process)
    {
      oci_gen_key (g, "process");
      gen_process_body (g, s->process);
    }
  if (s->root)
    {
      oci_gen_key (g, "root");
      yajl_gen_map_open (g);
      oci_gen_kstr (g, "path", s->root->path);
      if (s->root->readonly)
        oci_gen_kbool (g, "readonly", true);
      yajl_gen_map_close (g);
    }
  oci_gen_kstr (g, "hostname", s->hostname);
  oci_gen_kstr (g, "domainname", s->domainname);
  GEN_ARRAY (g, "mounts", s->mounts, s->mounts_len, gen_mount);
  if (s->hooks)
    {
      oci_gen_key (g, "hooks");
      gen_hooks (g, s->hooks);
    }
  oci_gen_kmap (g, "annotations", &s->annotations);
  if (s->linux_)
    {
      oci_gen_key (g, "linux");
      gen_linux (g, s->linux_);
    }
  yajl_gen_map_close (g);
  return oci_gen_finish (g);
}

char *
oci_process_to_json (const struct oci_process *p)
{
  yajl_gen g;
  if (p == NULL)
    return NULL;
  g = oci_gen_new (true);
  if (g == NULL)
    return NULL;
  gen_process_body (g, p);
  return oci_gen_finish (g);
}

/* ======================= state ======================= */

/* runc's field order: ociVersion id pid status bundle rootfs created
   annotations owner.  pid is always present (0 once stopped). */
static void
gen_state (yajl_gen g, const struct oci_state *s)
{
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "ociVersion", s->oci_version);
  oci_gen_kstr (g, "id", s->id);
  oci_gen_kint (g, "pid", s->pid);
  oci_gen_kstr (g, "status", s->status);
  oci_gen_kstr (g, "bundle", s->bundle);
  oci_gen_kstr (g, "rootfs", s->rootfs);
  oci_gen_kstr (g, "created", s->created);
  oci_gen_kmap (g, "annotations", &s->annotations);
  oci_gen_kstr (g, "owner", s->owner);
  yajl_gen_map_close (g);
}

char *
oci_state_to_json (const struct oci_state *s, bool pretty)
{
  yajl_gen g;
  if (s == NULL)
    return NULL;
  g = oci_gen_new (pretty);
  if (g == NULL)
    return NULL;
  gen_state (g, s);
  return oci_gen_finish (g);
}

char *
oci_state_list_to_json (struct oci_state *const *states, size_t n)
{
  size_t i;
  yajl_gen g = oci_gen_new (false);
  if (g == NULL)
    return NULL;
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    if (states[i])
      gen_state (g, states[i]);
  yajl_gen_array_close (g);
  return oci_gen_finish (g);
}

/* ======================= features ======================= */

static void
gen_enabled (yajl_gen g, const char *key, bool enabled)
{
  oci_gen_key (g, key);
  yajl_gen_map_open (g);
  oci_gen_kbool (g, "enabled", enabled);
  yajl_gen_map_close (g);
}

char *
oci_features_to_json (const struct oci_features *f)
{
  yajl_gen g;
  if (f == NULL)
    return NULL;
  g = oci_gen_new (true);
  if (g == NULL)
    return NULL;
  yajl_gen_map_open (g);
  oci_gen_kstr (g, "ociVersionMin", f->oci_version_min);
  oci_gen_kstr (g, "ociVersionMax", f->oci_version_max);
  oci_gen_kstrv (g, "hooks", f->hooks, f->hooks_len);
  oci_gen_kstrv (g, "mountOptions", f->mount_options, f->mount_options_len);
  oci_gen_key (g, "linux");
  yajl_gen_map_open (g);
  oci_gen_kstrv (g, "namespaces", f->namespaces, f->namespaces_len);
  oci_gen_kstrv (g, "capabilities", f->capabilities, f->capabilities_len);
  oci_gen_key (g, "cgroup");
  yajl_gen_map_open (g);
  oci_gen_kbool (g, "v1", f->cgroup_v1);
  oci_gen_kbool (g, "v2", f->cgroup_v2);
  oci_gen_kbool (g, "systemd", f->cgroup_systemd);
  oci_gen_kbool (g, "systemdUser", f->cgroup_systemd_user);
  oci_gen_kbool (g, "rdma", f->cgroup_rdma);
  yajl_gen_map_close (g);
  oci_gen_key (g, "seccomp");
  yajl_gen_map_open (g);
  oci_gen_kbool (g, "enabled", f->seccomp_enabled);
  oci_gen_kstrv (g, "actions", f->seccomp_actions, f->seccomp_actions_len);
  oci_gen_kstrv (g, "operators", f->seccomp_operators, f->seccomp_operators_len);
  oci_gen_kstrv (g, "archs", f->seccomp_archs, f->seccomp_archs_len);
  oci_gen_kstrv (g, "knownFlags", f->seccomp_known_flags, f->seccomp_known_flags_len);
  oci_gen_kstrv (g, "supportedFlags", f->seccomp_supported_flags, f->seccomp_supported_flags_len);
  yajl_gen_map_close (g);
  gen_enabled (g, "apparmor", f->apparmor_enabled);
  gen_enabled (g, "selinux", f->selinux_enabled);
  gen_enabled (g, "intelRdt", f->intel_rdt_enabled);
  oci_gen_key (g, "mountExtensions");
  yajl_gen_map_open (g);
  gen_enabled (g, "idmap", f->mount_extensions_idmap_enabled);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  oci_gen_kmap (g, "annotations", &f->annotations);
  yajl_gen_map_close (g);
  return oci_gen_finish (g);
}
