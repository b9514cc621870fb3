/* Unit tests for libocispec: runtime-spec config/process/state/features,
 * jitrun's small documents, the jvalue tree and image-spec documents. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci_spec.h"

/* A string literal and its length. */
#define LIT(s) s, sizeof (s) - 1

/* Every field of runtime-spec 1.1 config.json with non-default values, plus
   an unknown key that must be ignored. */
static const char FULL_CONFIG[]
    = "{\n"
      "  \"ociVersion\": \"1.1.0\",\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
      "    \"user\": {\"uid\": 1, \"gid\": 1, \"umask\": 18, \"additionalGids\": [5, 6], \"username\": "
      "\"u\"},\n"
      "    \"args\": [\"sh\", \"-c\", \"echo hi\"],\n"
      "    \"commandLine\": \"sh\",\n"
      "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\"],\n"
      "    \"cwd\": \"/\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\"],\n"
      "      \"effective\": [\"CAP_KILL\"],\n"
      "      \"inheritable\": [],\n"
      "      \"permitted\": [\"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
      "      \"ambient\": [\"CAP_NET_BIND_SERVICE\"]\n"
      "    },\n"
      "    \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"hard\": 1024, \"soft\": 1024},\n"
      "                {\"type\": \"RLIMIT_NOFILE\", \"hard\": 18446744073709551615, \"soft\": 1024}],\n"
      "    \"noNewPrivileges\": true,\n"
      "    \"apparmorProfile\": \"acme_secure_profile\",\n"
      "    \"oomScoreAdj\": -100,\n"
      "    \"selinuxLabel\": \"system_u:system_r:svirt_lxc_net_t:s0:c124,c675\",\n"
      "    \"ioPriority\": {\"class\": \"IOPRIO_CLASS_IDLE\", \"priority\": 4},\n"
      "    \"scheduler\": {\"policy\": \"SCHED_DEADLINE\", \"nice\": -5, \"priority\": 10, \"flags\": "
      "[\"SCHED_FLAG_RESET_ON_FORK\"],\n"
      "                  \"runtime\": 100, \"deadline\": 200, \"period\": 300},\n"
      "    \"execCPUAffinity\": {\"initial\": \"7\", \"final\": \"0-3,7\"}\n"
      "  },\n"
      "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
      "  \"hostname\": \"slartibartfast\",\n"
      "  \"domainname\": \"foobarbaz.test\",\n"
      "  \"mounts\": [\n"
      "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
      "    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/volumes/testing\", \"options\": "
      "[\"rbind\", \"rw\", \"idmap\"],\n"
      "     \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}],\n"
      "     \"gidMappings\": [{\"containerID\": 0, \"hostID\": 2000, \"size\": 20}]}\n"
      "  ],\n"
      "  \"hooks\": {\n"
      "    \"prestart\": [{\"path\": \"/usr/bin/fix-mounts\", \"args\": [\"fix-mounts\", \"arg1\"], \"env\": "
      "[\"key1=value1\"]},\n"
      "                 {\"path\": \"/usr/bin/setup-network\"}],\n"
      "    \"createRuntime\": [{\"path\": \"/usr/bin/cr\", \"timeout\": 5}],\n"
      "    \"createContainer\": [{\"path\": \"/usr/bin/cc\"}],\n"
      "    \"startContainer\": [{\"path\": \"/usr/bin/refresh-ldcache\"}],\n"
      "    \"poststart\": [{\"path\": \"/usr/bin/notify-start\", \"timeout\": 5}],\n"
      "    \"poststop\": [{\"path\": \"/usr/sbin/cleanup.sh\", \"args\": [\"cleanup.sh\", \"-f\"]}]\n"
      "  },\n"
      "  \"annotations\": {\"com.example.key1\": \"value1\", \"com.example.key2\": \"value2\"},\n"
      "  \"linux\": {\n"
      "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/var/run/netns/x\"}, "
      "{\"type\": \"mount\"},\n"
      "                   {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"user\"}, {\"type\": "
      "\"cgroup\"}, {\"type\": \"time\"}],\n"
      "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 32000}],\n"
      "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 32000}],\n"
      "    \"timeOffsets\": {\"monotonic\": {\"secs\": -172800, \"nanosecs\": 0}, \"boottime\": {\"secs\": "
      "604800, \"nanosecs\": 5}},\n"
      "    \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, "
      "\"fileMode\": 438, \"uid\": 0, \"gid\": 0},\n"
      "                {\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0}],\n"
      "    \"cgroupsPath\": \"/myRuntime/myContainer\",\n"
      "    \"resources\": {\n"
      "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", "
      "\"major\": 10, \"minor\": 229, \"access\": \"rw\"}],\n"
      "      \"memory\": {\"limit\": 536870912, \"reservation\": 536870912, \"swap\": -1, \"kernel\": -1, "
      "\"kernelTCP\": -1,\n"
      "                 \"swappiness\": 0, \"disableOOMKiller\": false, \"useHierarchy\": true, "
      "\"checkBeforeUpdate\": true},\n"
      "      \"cpu\": {\"shares\": 1024, \"quota\": 1000000, \"burst\": 1000000, \"period\": 500000, "
      "\"realtimeRuntime\": 950000,\n"
      "              \"realtimePeriod\": 1000000, \"cpus\": \"2-3\", \"mems\": \"0-7\", \"idle\": 0},\n"
      "      \"pids\": {\"limit\": 32771},\n"
      "      \"blockIO\": {\"weight\": 10, \"leafWeight\": 10,\n"
      "                  \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 500, \"leafWeight\": "
      "300}, {\"major\": 8, \"minor\": 16, \"weight\": 500}],\n"
      "                  \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 600}],\n"
      "                  \"throttleWriteBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 700}],\n"
      "                  \"throttleReadIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 300}],\n"
      "                  \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 300}]},\n"
      "      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 9223372036854772000}, {\"pageSize\": "
      "\"64KB\", \"limit\": 1000000}],\n"
      "      \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 500}, "
      "{\"name\": \"eth1\", \"priority\": 1000}]},\n"
      "      \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}, \"mlx4_0\": {\"hcaObjects\": "
      "1000}},\n"
      "      \"unified\": {\"io.max\": \"259:0 rbps=2097152 wiops=120\", \"memory.high\": \"1073741824\"}\n"
      "    },\n"
      "    \"rootfsPropagation\": \"slave\",\n"
      "    \"seccomp\": {\n"
      "      \"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1,\n"
      "      \"architectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],\n"
      "      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
      "      \"listenerPath\": \"/run/seccomp-agent.socket\", \"listenerMetadata\": \"meta\",\n"
      "      \"syscalls\": [{\"names\": [\"getcwd\", \"chmod\"], \"action\": \"SCMP_ACT_ERRNO\", "
      "\"errnoRet\": 38},\n"
      "                   {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
      "                    \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},\n"
      "                             {\"index\": 1, \"value\": 18446744073709551615, \"valueTwo\": 2, \"op\": "
      "\"SCMP_CMP_MASKED_EQ\"}]}]\n"
      "    },\n"
      "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"net.core.somaxconn\": \"256\"},\n"
      "    \"maskedPaths\": [\"/proc/kcore\", \"/proc/latency_stats\"],\n"
      "    \"readonlyPaths\": [\"/proc/sys\", \"/proc/sysrq-trigger\"],\n"
      "    \"mountLabel\": \"system_u:object_r:svirt_sandbox_file_t:s0:c715,c811\",\n"
      "    \"intelRdt\": {\"closID\": \"guaranteed_group\", \"l3CacheSchema\": \"L3:0=7f0;1=1f\", "
      "\"memBwSchema\": \"MB:0=20;1=70\",\n"
      "                 \"enableCMT\": true, \"enableMBM\": true},\n"
      "    \"personality\": {\"domain\": \"LINUX32\", \"flags\": []}\n"
      "  },\n"
      "  \"unknownTopLevel\": {\"ignored\": [1, 2, 3]}\n"
      "}\n";

static struct oci_spec *
parse_ok (const char *json)
{
  char *err = NULL;
  struct oci_spec *s = oci_spec_parse (json, strlen (json), "config.json", &err);
  if (s == NULL)
    fail_msg ("unexpected parse error: %s", err);
  assert_null (err);
  return s;
}

/* Parse must fail with exactly `expected`. */
static void
assert_spec_error (const char *json, const char *expected)
{
  char *err = NULL;
  struct oci_spec *s = oci_spec_parse (json, strlen (json), "config.json", &err);
  if (s != NULL)
    fail_msg ("parsed unexpectedly: %s", json);
  assert_non_null (err);
  assert_string_equal (err, expected);
  free (err);
}

static void
check_full (const struct oci_spec *s)
{
  const struct oci_process *p = s->process;
  const struct oci_linux *l = s->linux_;
  const struct oci_linux_resources *r;

  assert_string_equal (s->oci_version, "1.1.0");
  assert_non_null (p);
  assert_true (p->terminal);
  assert_int_equal (p->console_size->height, 25);
  assert_int_equal (p->console_size->width, 80);
  assert_int_equal (p->user.uid, 1);
  assert_int_equal (p->user.gid, 1);
  assert_true (p->user.has_umask);
  assert_int_equal (p->user.umask, 18);
  assert_int_equal (p->user.additional_gids_len, 2);
  assert_int_equal (p->user.additional_gids[1], 6);
  assert_string_equal (p->user.username, "u");
  assert_int_equal (p->args_len, 3);
  assert_string_equal (p->args[2], "echo hi");
  assert_string_equal (p->command_line, "sh");
  assert_int_equal (p->env_len, 2);
  assert_string_equal (p->env[1], "TERM=xterm");
  assert_string_equal (p->cwd, "/");
  assert_int_equal (p->capabilities->bounding_len, 2);
  assert_string_equal (p->capabilities->bounding[1], "CAP_KILL");
  assert_non_null (p->capabilities->inheritable); /* present but empty */
  assert_int_equal (p->capabilities->inheritable_len, 0);
  assert_string_equal (p->capabilities->ambient[0], "CAP_NET_BIND_SERVICE");
  assert_int_equal (p->capabilities->permitted_len, 2);
  assert_int_equal (p->rlimits_len, 2);
  assert_string_equal (p->rlimits[1].type, "RLIMIT_NOFILE");
  assert_true (p->rlimits[1].hard == UINT64_MAX);
  assert_int_equal (p->rlimits[1].soft, 1024);
  assert_true (p->no_new_privileges);
  assert_string_equal (p->apparmor_profile, "acme_secure_profile");
  assert_true (p->has_oom_score_adj);
  assert_int_equal (p->oom_score_adj, -100);
  assert_string_equal (p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
  assert_string_equal (p->io_priority->class, "IOPRIO_CLASS_IDLE");
  assert_int_equal (p->io_priority->priority, 4);
  assert_string_equal (p->scheduler->policy, "SCHED_DEADLINE");
  assert_true (p->scheduler->has_nice);
  assert_int_equal (p->scheduler->nice, -5);
  assert_int_equal (p->scheduler->priority, 10);
  assert_string_equal (p->scheduler->flags[0], "SCHED_FLAG_RESET_ON_FORK");
  assert_int_equal (p->scheduler->runtime, 100);
  assert_int_equal (p->scheduler->deadline, 200);
  assert_true (p->scheduler->has_period);
  assert_int_equal (p->scheduler->period, 300);
  assert_string_equal (p->exec_cpu_affinity->initial, "7");
  assert_string_equal (p->exec_cpu_affinity->final, "0-3,7");

  assert_string_equal (s->root->path, "rootfs");
  assert_true (s->root->readonly);
  assert_string_equal (s->hostname, "slartibartfast");
  assert_string_equal (s->domainname, "foobarbaz.test");
  assert_int_equal (s->mounts_len, 2);
  assert_string_equal (s->mounts[0].destination, "/proc");
  assert_null (s->mounts[0].options);
  assert_string_equal (s->mounts[1].source, "/volumes/testing");
  assert_int_equal (s->mounts[1].options_len, 3);
  assert_string_equal (s->mounts[1].options[2], "idmap");
  assert_int_equal (s->mounts[1].uid_mappings[0].host_id, 1000);
  assert_int_equal (s->mounts[1].gid_mappings[0].size, 20);

  assert_int_equal (s->hooks->prestart.len, 2);
  assert_string_equal (s->hooks->prestart.items[0].args[1], "arg1");
  assert_string_equal (s->hooks->prestart.items[0].env[0], "key1=value1");
  assert_false (s->hooks->prestart.items[1].has_timeout);
  assert_true (s->hooks->create_runtime.items[0].has_timeout);
  assert_int_equal (s->hooks->create_runtime.items[0].timeout, 5);
  assert_string_equal (s->hooks->create_container.items[0].path, "/usr/bin/cc");
  assert_string_equal (s->hooks->start_container.items[0].path, "/usr/bin/refresh-ldcache");
  assert_string_equal (s->hooks->poststart.items[0].path, "/usr/bin/notify-start");
  assert_string_equal (s->hooks->poststop.items[0].args[1], "-f");

  assert_int_equal (s->annotations.len, 2);
  assert_string_equal (oci_string_map_get (&s->annotations, "com.example.key2"), "value2");

  assert_non_null (l);
  assert_int_equal (l->namespaces_len, 8);
  assert_string_equal (l->namespaces[1].type, "network");
  assert_string_equal (l->namespaces[1].path, "/var/run/netns/x");
  assert_null (l->namespaces[0].path);
  assert_string_equal (l->namespaces[7].type, "time");
  assert_int_equal (l->uid_mappings[0].size, 32000);
  assert_int_equal (l->gid_mappings[0].host_id, 1000);
  assert_true (l->time_offsets->has_monotonic);
  assert_int_equal (l->time_offsets->monotonic.secs, -172800);
  assert_int_equal (l->time_offsets->boottime.nanosecs, 5);
  assert_int_equal (l->devices_len, 2);
  assert_string_equal (l->devices[0].path, "/dev/fuse");
  assert_int_equal (l->devices[0].major, 10);
  assert_int_equal (l->devices[0].minor, 229);
  assert_true (l->devices[0].has_file_mode);
  assert_int_equal (l->devices[0].file_mode, 0666);
  assert_true (l->devices[0].has_uid);
  assert_false (l->devices[1].has_uid);
  assert_string_equal (l->cgroups_path, "/myRuntime/myContainer");
  assert_string_equal (l->rootfs_propagation, "slave");
  assert_string_equal (oci_string_map_get (&l->sysctl, "net.core.somaxconn"), "256");
  assert_int_equal (l->masked_paths_len, 2);
  assert_string_equal (l->readonly_paths[1], "/proc/sysrq-trigger");
  assert_string_equal (l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
  assert_string_equal (l->intel_rdt->clos_id, "guaranteed_group");
  assert_string_equal (l->intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f");
  assert_string_equal (l->intel_rdt->mem_bw_schema, "MB:0=20;1=70");
  assert_true (l->intel_rdt->enable_cmt);
  assert_true (l->intel_rdt->enable_mbm);
  assert_string_equal (l->personality->domain, "LINUX32");
  assert_int_equal (l->personality->flags_len, 0);

  r = l->resources;
  assert_non_null (r);
  assert_int_equal (r->devices_len, 2);
  assert_false (r->devices[0].allow);
  assert_null (r->devices[0].type);
  assert_false (r->devices[0].has_major);
  assert_string_equal (r->devices[1].type, "c");
  assert_true (r->devices[1].has_minor);
  assert_int_equal (r->devices[1].minor, 229);
  assert_string_equal (r->devices[1].access, "rw");
  assert_int_equal (r->memory->limit, 536870912);
  assert_true (r->memory->has_swap);
  assert_int_equal (r->memory->swap, -1);
  assert_int_equal (r->memory->kernel_tcp, -1);
  assert_true (r->memory->has_swappiness);
  assert_int_equal (r->memory->swappiness, 0);
  assert_true (r->memory->has_disable_oom_killer);
  assert_false (r->memory->disable_oom_killer);
  assert_true (r->memory->use_hierarchy);
  assert_true (r->memory->check_before_update);
  assert_int_equal (r->cpu->shares, 1024);
  assert_int_equal (r->cpu->quota, 1000000);
  assert_int_equal (r->cpu->burst, 1000000);
  assert_int_equal (r->cpu->period, 500000);
  assert_int_equal (r->cpu->realtime_runtime, 950000);
  assert_int_equal (r->cpu->realtime_period, 1000000);
  assert_string_equal (r->cpu->cpus, "2-3");
  assert_string_equal (r->cpu->mems, "0-7");
  assert_true (r->cpu->has_idle);
  assert_int_equal (r->pids->limit, 32771);
  assert_int_equal (r->block_io->weight, 10);
  assert_int_equal (r->block_io->leaf_weight, 10);
  assert_int_equal (r->block_io->weight_device_len, 2);
  assert_int_equal (r->block_io->weight_device[0].leaf_weight, 300);
  assert_false (r->block_io->weight_device[1].has_leaf_weight);
  assert_int_equal (r->block_io->throttle_read_bps_device[0].rate, 600);
  assert_int_equal (r->block_io->throttle_write_bps_device[0].rate, 700);
  assert_int_equal (r->block_io->throttle_read_iops_device[0].rate, 300);
  assert_int_equal (r->block_io->throttle_write_iops_device[0].minor, 16);
  assert_int_equal (r->hugepage_limits_len, 2);
  assert_string_equal (r->hugepage_limits[0].page_size, "2MB");
  assert_true (r->hugepage_limits[0].limit == 9223372036854772000ULL);
  assert_int_equal (r->network->class_id, 1048577);
  assert_string_equal (r->network->priorities[1].name, "eth1");
  assert_int_equal (r->network->priorities[1].priority, 1000);
  assert_int_equal (r->rdma_len, 2);
  assert_string_equal (r->rdma[0].device, "mlx5_1");
  assert_int_equal (r->rdma[0].hca_handles, 3);
  assert_false (r->rdma[1].has_hca_handles);
  assert_int_equal (r->rdma[1].hca_objects, 1000);
  assert_string_equal (oci_string_map_get (&r->unified, "memory.high"), "1073741824");

  assert_string_equal (l->seccomp->default_action, "SCMP_ACT_ALLOW");
  assert_true (l->seccomp->has_default_errno_ret);
  assert_int_equal (l->seccomp->default_errno_ret, 1);
  assert_string_equal (l->seccomp->architectures[1], "SCMP_ARCH_X32");
  assert_string_equal (l->seccomp->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  assert_string_equal (l->seccomp->listener_path, "/run/seccomp-agent.socket");
  assert_string_equal (l->seccomp->listener_metadata, "meta");
  assert_int_equal (l->seccomp->syscalls_len, 2);
  assert_string_equal (l->seccomp->syscalls[0].names[1], "chmod");
  assert_int_equal (l->seccomp->syscalls[0].errno_ret, 38);
  assert_false (l->seccomp->syscalls[1].has_errno_ret);
  assert_int_equal (l->seccomp->syscalls[1].args_len, 2);
  assert_true (l->seccomp->syscalls[1].args[1].value == UINT64_MAX);
  assert_true (l->seccomp->syscalls[1].args[1].has_value_two);
  assert_int_equal (l->seccomp->syscalls[1].args[1].value_two, 2);
  assert_false (l->seccomp->syscalls[1].args[0].has_value_two);
  assert_string_equal (l->seccomp->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
}

static void
test_full_config (void **state)
{
  (void)state;
  struct oci_spec *s = parse_ok (FULL_CONFIG);
  check_full (s);
  oci_spec_free (s);
}

static void
test_round_trip (void **state)
{
  (void)state;
  struct oci_spec *s = parse_ok (FULL_CONFIG), *s2;
  char *j = oci_spec_to_json (s), *j2;
  assert_non_null (j);
  /* pretty, tab-indented like `runc spec` */
  assert_non_null (strstr (j, "\n\t\"ociVersion\": \"1.1.0\""));
  assert_null (strstr (j, "unknownTopLevel"));
  s2 = parse_ok (j);
  check_full (s2);
  j2 = oci_spec_to_json (s2);
  assert_string_equal (j, j2);
  free (j);
  free (j2);
  oci_spec_free (s);
  oci_spec_free (s2);
}

static void
test_empty_and_absent (void **state)
{
  (void)state;
  struct oci_spec *s
      = parse_ok ("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[],\"user\":{\"uid\":0,\"gid\":0}},"
                  "\"linux\":{\"maskedPaths\":[],\"namespaces\":null}}");
  char *j;
  assert_non_null (s->process->args);
  assert_int_equal (s->process->args_len, 0);
  assert_false (s->process->terminal);
  assert_false (s->process->has_oom_score_adj);
  assert_null (s->process->capabilities);
  assert_null (s->linux_->namespaces); /* null means absent */
  assert_null (s->linux_->resources);
  assert_null (s->root);
  assert_null (s->hooks);
  j = oci_spec_to_json (s);
  assert_non_null (strstr (j, "\"maskedPaths\": []"));
  assert_non_null (strstr (j, "\"args\": []"));
  assert_null (strstr (j, "namespaces"));
  assert_null (strstr (j, "\"root\""));
  free (j);
  oci_spec_free (s);

  s = parse_ok ("{}");
  assert_null (s->oci_version);
  assert_null (s->process);
  assert_null (s->linux_);
  j = oci_spec_to_json (s);
  assert_string_equal (j, "{}");
  free (j);
  oci_spec_free (s);
}

static void
test_type_errors (void **state)
{
  (void)state;
  assert_spec_error ("{\"process\":{\"args\":[1]}}", "config.json: .process.args[0]: expected string");
  assert_spec_error ("{\"process\":{\"args\":\"sh\"}}", "config.json: .process.args: expected array");
  assert_spec_error ("{\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
                     "config.json: .linux.resources.memory.limit: expected integer");
  assert_spec_error ("{\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5}}}}",
                     "config.json: .linux.resources.memory.limit: expected integer");
  assert_spec_error ("{\"ociVersion\":1}", "config.json: .ociVersion: expected string");
  assert_spec_error ("{\"process\":{\"terminal\":\"yes\"}}",
                     "config.json: .process.terminal: expected boolean");
  assert_spec_error ("{\"mounts\":[{\"destination\":\"/a\"},{\"options\":[\"ro\",false]}]}",
                     "config.json: .mounts[1].options[1]: expected string");
  assert_spec_error ("{\"mounts\":[1]}", "config.json: .mounts[0]: expected object");
  assert_spec_error ("{\"annotations\":{\"a\":\"b\",\"c\":1}}",
                     "config.json: .annotations.c: expected string");
  assert_spec_error (
      "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"x\"],\"args\":[{\"index\":\"0\"}]}]}}}",
      "config.json: .linux.seccomp.syscalls[0].args[0].index: expected integer");
  assert_spec_error ("{\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":true}]}}",
                     "config.json: .hooks.poststop[0].timeout: expected integer");
  assert_spec_error (
      "{\"linux\":{\"resources\":{\"rdma\":{\"mlx\":{\"hcaHandles\":-3}}}}}",
      "config.json: .linux.resources.rdma.mlx.hcaHandles: integer -3 out of range [0, 4294967295]");
  assert_spec_error ("[]", "config.json: .: expected object");
  assert_spec_error ("{\"root\":\"rootfs\"}", "config.json: .root: expected object");
}

static void
test_range_errors (void **state)
{
  (void)state;
  assert_spec_error ("{\"process\":{\"user\":{\"uid\":-1}}}",
                     "config.json: .process.user.uid: integer -1 out of range [0, 4294967295]");
  assert_spec_error ("{\"process\":{\"user\":{\"uid\":4294967296}}}",
                     "config.json: .process.user.uid: integer 4294967296 out of range [0, 4294967295]");
  assert_spec_error ("{\"process\":{\"user\":{\"additionalGids\":[1,-2]}}}",
                     "config.json: .process.user.additionalGids[1]: integer -2 out of range [0, 4294967295]");
  assert_spec_error ("{\"linux\":{\"resources\":{\"blockIO\":{\"weight\":70000}}}}",
                     "config.json: .linux.resources.blockIO.weight: integer 70000 out of range [0, 65535]");
  assert_spec_error (
      "{\"process\":{\"oomScoreAdj\":2147483648}}",
      "config.json: .process.oomScoreAdj: integer 2147483648 out of range [-2147483648, 2147483647]");
  assert_spec_error (
      "{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":18446744073709551616}]}}",
      "config.json: .process.rlimits[0].soft: integer 18446744073709551616 out of range [0, "
      "18446744073709551615]");
  /* -0 is zero, not negative */
  struct oci_spec *s = parse_ok ("{\"process\":{\"user\":{\"uid\":-0}}}");
  assert_int_equal (s->process->user.uid, 0);
  oci_spec_free (s);
}

static void
test_invalid_json (void **state)
{
  (void)state;
  char *err = NULL;
  const char *bad[] = { "{bad", "", "{\"a\":1} trailing", "{\"a\":", "\"abc" };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      struct oci_spec *s = oci_spec_parse (bad[i], strlen (bad[i]), "config.json", &err);
      assert_null (s);
      assert_non_null (err);
      if (strncmp (err, "config.json: invalid JSON: ", 27) != 0 || strchr (err, '\n') != NULL)
        fail_msg ("bad message for %s: %s", bad[i], err);
      assert_true (strlen (err) > 27);
      free (err);
      err = NULL;
    }
  /* embedded NUL */
  assert_null (oci_spec_parse (LIT ("{}\0{}"), "config.json", &err));
  assert_string_equal (err, "config.json: invalid JSON: embedded NUL byte");
  free (err);
  err = NULL;
  /* absurd nesting is refused before yajl_tree recurses over it */
  {
    size_t n = 100000;
    char *deep = malloc (2 * n + 1);
    memset (deep, '[', n);
    memset (deep + n, ']', n);
    deep[2 * n] = '\0';
    assert_null (oci_spec_parse (deep, 2 * n, "config.json", &err));
    assert_non_null (strstr (err, "nesting"));
    free (err);
    free (deep);
  }
}

static void
test_duplicate_keys (void **state)
{
  (void)state;
  struct oci_spec *s = parse_ok (
      "{\"hostname\":\"a\",\"hostname\":\"b\",\"annotations\":{\"x\":\"1\",\"y\":\"2\",\"x\":\"3\"}}");
  assert_string_equal (s->hostname, "b");
  assert_int_equal (s->annotations.len, 2);
  assert_string_equal (s->annotations.keys[0], "x");
  assert_string_equal (s->annotations.values[0], "3");
  assert_string_equal (s->annotations.keys[1], "y");
  oci_spec_free (s);
}

static void
test_parse_file (void **state)
{
  (void)state;
  char dir[] = "/tmp/ocispec-test-XXXXXX";
  char path[64];
  char *err = NULL;
  FILE *f;
  struct oci_spec *s;

  assert_non_null (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/config.json", dir);
  f = fopen (path, "w");
  assert_non_null (f);
  fputs ("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[7]}}", f);
  fclose (f);
  assert_null (oci_spec_parse_file (path, &err));
  assert_string_equal (err, "config.json: .process.args[0]: expected string");
  free (err);
  err = NULL;
  f = fopen (path, "w");
  fputs (FULL_CONFIG, f);
  fclose (f);
  s = oci_spec_parse_file (path, &err);
  assert_non_null (s);
  check_full (s);
  oci_spec_free (s);
  unlink (path);
  assert_null (oci_spec_parse_file (path, &err));
  assert_non_null (strstr (err, "No such file"));
  assert_non_null (strstr (err, path));
  free (err);
  rmdir (dir);
}

static void
test_big_config_fast (void **state)
{
  (void)state;
  /* 100k map keys: pairwise duplicate checks would be ~5e9 strcmp calls */
  size_t n = 20000, nkeys = 100000, i, cap = n * 80 + nkeys * 20 + 256, len = 0;
  char *buf = malloc (cap);
  struct oci_spec *s;
  char *err = NULL, *j;
  clock_t t0;

  len += (size_t)sprintf (buf + len, "{\"mounts\":[");
  for (i = 0; i < n; i++)
    len += (size_t)sprintf (buf + len, "%s{\"destination\":\"/m%zu\",\"type\":\"bind\",\"options\":[\"ro\"]}",
                            i ? "," : "", i);
  len += (size_t)sprintf (buf + len, "],\"annotations\":{");
  for (i = 0; i < nkeys; i++)
    len += (size_t)sprintf (buf + len, "%s\"k%zu\":\"v\"", i ? "," : "", i);
  len += (size_t)sprintf (buf + len, "}}");
  t0 = clock ();
  s = oci_spec_parse (buf, len, "config.json", &err);
  assert_non_null (s);
  assert_int_equal (s->mounts_len, n);
  assert_int_equal (s->annotations.len, nkeys);
  assert_string_equal (s->annotations.keys[nkeys - 1], "k99999");
  j = oci_spec_to_json (s);
  assert_non_null (j);
  /* quadratic map handling would take many seconds here */
  assert_true ((double)(clock () - t0) / CLOCKS_PER_SEC < 5.0);
  free (j);
  oci_spec_free (s);
  free (buf);
}

static void
test_process (void **state)
{
  (void)state;
  const char *json = "{\"terminal\":false,\"user\":{\"uid\":1000,\"gid\":1000},\"args\":[\"ls\",\"-l\"],"
                     "\"env\":[\"A=1\"],\"cwd\":\"/tmp\",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"]}}";
  char *err = NULL, *j;
  struct oci_process *p = oci_process_parse (json, strlen (json), "process.json", &err), *p2;
  assert_non_null (p);
  assert_int_equal (p->user.uid, 1000);
  assert_int_equal (p->args_len, 2);
  assert_string_equal (p->cwd, "/tmp");
  assert_string_equal (p->capabilities->bounding[0], "CAP_CHOWN");
  j = oci_process_to_json (p);
  p2 = oci_process_parse (j, strlen (j), "process.json", &err);
  assert_non_null (p2);
  assert_string_equal (p2->args[1], "-l");
  assert_int_equal (p2->user.gid, 1000);
  assert_string_equal (p2->env[0], "A=1");
  free (j);
  oci_process_free (p);
  oci_process_free (p2);

  assert_null (oci_process_parse (LIT ("{\"env\":[\"A\",2]}"), "process.json", &err));
  assert_string_equal (err, "process.json: .env[1]: expected string");
  free (err);
}

static void
test_resources (void **state)
{
  (void)state;
  const char *json = "{\"memory\":{\"limit\":1048576,\"swap\":-1},\"cpu\":{\"quota\":-1,\"cpus\":\"0\"},"
                     "\"pids\":{\"limit\":10},\"unified\":{\"pids.max\":\"5\"}}";
  char *err = NULL;
  struct oci_linux_resources *r = oci_linux_resources_parse (json, strlen (json), "resources", &err);
  assert_non_null (r);
  assert_true (r->memory->has_limit);
  assert_int_equal (r->memory->limit, 1048576);
  assert_int_equal (r->memory->swap, -1);
  assert_false (r->memory->has_reservation);
  assert_int_equal (r->cpu->quota, -1);
  assert_false (r->cpu->has_period);
  assert_int_equal (r->pids->limit, 10);
  assert_string_equal (oci_string_map_get (&r->unified, "pids.max"), "5");
  oci_linux_resources_free (r);

  assert_null (oci_linux_resources_parse (LIT ("{\"pids\":{\"limit\":\"x\"}}"), "resources", &err));
  assert_string_equal (err, "resources: .pids.limit: expected integer");
  free (err);
}

static void
test_state (void **state)
{
  (void)state;
  const char *json
      = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":4242,\"status\":\"running\",\"bundle\":\"/b\","
        "\"rootfs\":\"/b/rootfs\",\"created\":\"2024-01-01T00:00:00.000000001Z\",\"owner\":\"\","
        "\"annotations\":{\"k\":\"v\"}}";
  char *err = NULL, *j;
  struct oci_state *s = oci_state_parse (json, strlen (json), "state.json", &err), *s2;
  struct oci_state *list[2];
  assert_non_null (s);
  assert_string_equal (s->id, "c1");
  assert_int_equal (s->pid, 4242);
  assert_string_equal (s->status, "running");
  assert_string_equal (s->rootfs, "/b/rootfs");
  assert_string_equal (s->owner, "");
  assert_string_equal (oci_string_map_get (&s->annotations, "k"), "v");
  j = oci_state_to_json (s, false);
  assert_string_equal (
      j, "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":4242,\"status\":\"running\",\"bundle\":"
         "\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"2024-01-01T00:00:00.000000001Z\","
         "\"annotations\":{\"k\":\"v\"},\"owner\":\"\"}");
  s2 = oci_state_parse (j, strlen (j), "state.json", &err);
  assert_non_null (s2);
  free (j);
  s2->pid = 0;
  free (s2->status);
  s2->status = strdup ("stopped");
  list[0] = s;
  list[1] = s2;
  j = oci_state_list_to_json (list, 2);
  assert_true (j[0] == '[');
  assert_non_null (strstr (j, "\"pid\":0,\"status\":\"stopped\""));
  free (j);
  j = oci_state_list_to_json (NULL, 0);
  assert_string_equal (j, "[]");
  free (j);
  j = oci_state_to_json (s, true);
  assert_non_null (strchr (j, '\n'));
  free (j);
  oci_state_free (s);
  oci_state_free (s2);

  assert_null (oci_state_parse (LIT ("{\"pid\":-5}"), "state.json", &err));
  assert_string_equal (err, "state.json: .pid: integer -5 out of range [0, 2147483647]");
  free (err);
}

static void
test_features (void **state)
{
  (void)state;
  static char *hooks[] = { "prestart", "poststop" };
  static char *ns[] = { "pid", "user" };
  static char *acts[] = { "SCMP_ACT_ALLOW" };
  struct oci_features f = { 0 };
  struct oci_features *g;
  char *j, *j2, *err = NULL;

  f.oci_version_min = "1.0.0";
  f.oci_version_max = "1.1.0";
  f.hooks = hooks;
  f.hooks_len = 2;
  f.namespaces = ns;
  f.namespaces_len = 2;
  f.cgroup_v1 = true;
  f.cgroup_systemd = true;
  f.seccomp_enabled = true;
  f.seccomp_actions = acts;
  f.seccomp_actions_len = 1;
  f.apparmor_enabled = false;
  f.selinux_enabled = true;
  f.mount_extensions_idmap_enabled = true;
  oci_string_map_set (&f.annotations, "org.opencontainers.runc.version", "jitrun");
  j = oci_features_to_json (&f);
  assert_non_null (strstr (j, "\"ociVersionMin\": \"1.0.0\""));
  assert_non_null (strstr (j, "\"mountExtensions\""));
  g = oci_features_parse (j, strlen (j), "features", &err);
  assert_non_null (g);
  assert_string_equal (g->oci_version_max, "1.1.0");
  assert_int_equal (g->hooks_len, 2);
  assert_string_equal (g->namespaces[1], "user");
  assert_true (g->cgroup_v1);
  assert_false (g->cgroup_v2);
  assert_true (g->cgroup_systemd);
  assert_false (g->cgroup_systemd_user);
  assert_true (g->seccomp_enabled);
  assert_string_equal (g->seccomp_actions[0], "SCMP_ACT_ALLOW");
  assert_false (g->apparmor_enabled);
  assert_true (g->selinux_enabled);
  assert_false (g->intel_rdt_enabled);
  assert_true (g->mount_extensions_idmap_enabled);
  assert_string_equal (oci_string_map_get (&g->annotations, "org.opencontainers.runc.version"), "jitrun");
  j2 = oci_features_to_json (g);
  assert_string_equal (j, j2);
  free (j);
  free (j2);
  oci_features_free (g);
  free (f.annotations.keys[0]);
  free (f.annotations.values[0]);
  free (f.annotations.keys);
  free (f.annotations.values);

  assert_null (oci_features_parse (LIT ("{\"linux\":{\"seccomp\":{\"enabled\":1}}}"), "features", &err));
  assert_string_equal (err, "features: .linux.seccomp.enabled: expected boolean");
  free (err);
}

static void
test_string_map (void **state)
{
  (void)state;
  struct oci_string_map m = { 0 };
  size_t i;
  char key[16];
  assert_null (oci_string_map_get (&m, "a"));
  oci_string_map_set (&m, "a", "1");
  oci_string_map_set (&m, "b", "2");
  oci_string_map_set (&m, "a", "3");
  assert_int_equal (m.len, 2);
  assert_string_equal (oci_string_map_get (&m, "a"), "3");
  assert_string_equal (m.keys[0], "a"); /* replaced in place, order kept */
  assert_string_equal (m.keys[1], "b");
  assert_null (oci_string_map_get (&m, "c"));
  oci_string_map_set (&m, "n", NULL);
  assert_string_equal (oci_string_map_get (&m, "n"), "");
  for (i = 0; i < 100; i++)
    {
      snprintf (key, sizeof key, "k%zu", i);
      oci_string_map_set (&m, key, key);
    }
  assert_int_equal (m.len, 103);
  assert_string_equal (oci_string_map_get (&m, "k99"), "k99");
  for (i = 0; i < m.len; i++)
    {
      free (m.keys[i]);
      free (m.values[i]);
    }
  free (m.keys);
  free (m.values);
}

/* oci_string_map_free empties a map for reuse; oci_jarray_append_uint keeps
   the whole uint64 range. */
static void
test_map_free_and_uint_array (void **state)
{
  (void)state;
  struct oci_string_map m = { 0 };
  struct oci_jvalue *a = oci_jarray_new ();
  int64_t i;
  oci_string_map_set (&m, "a", "1");
  oci_string_map_set (&m, "b", "2");
  oci_string_map_free (&m);
  assert_int_equal (m.len, 0);
  assert_null (m.keys);
  assert_null (m.values);
  oci_string_map_set (&m, "c", "3");
  assert_string_equal (oci_string_map_get (&m, "c"), "3");
  assert_null (oci_string_map_get (&m, "a"));
  oci_string_map_free (&m);
  oci_string_map_free (&m); /* twice is harmless */

  oci_jarray_append_uint (a, 0);
  oci_jarray_append_uint (a, 42);
  oci_jarray_append_uint (a, UINT64_MAX);
  oci_jarray_append_uint (NULL, 1); /* ignored */
  assert_int_equal (oci_jarray_len (a), 3);
  assert_true (oci_jvalue_int (oci_jarray_get (a, 1), &i));
  assert_int_equal (i, 42);
  char *json = oci_jvalue_to_json (a, false);
  assert_string_equal (json, "[0,42,18446744073709551615]");
  free (json);
  oci_jvalue_free (a);
}

static void
test_small_documents (void **state)
{
  (void)state;
  char *v[] = { "a", "b\"c", "\n" };
  int ints[] = { 1, -2, 300 };
  char *j, *err = NULL;
  char **back;
  size_t n = 99;

  j = oci_json_string_array (v, 3);
  assert_string_equal (j, "[\"a\",\"b\\\"c\",\"\\n\"]");
  back = oci_json_parse_string_array (j, &n, "annotation", &err);
  assert_non_null (back);
  assert_int_equal (n, 3);
  assert_string_equal (back[1], "b\"c");
  assert_string_equal (back[2], "\n");
  for (size_t i = 0; i < n; i++)
    free (back[i]);
  free (back);
  free (j);
  j = oci_json_string_array (NULL, 0);
  assert_string_equal (j, "[]");
  free (j);

  assert_null (oci_json_parse_string_array ("[\"a\",3]", &n, "run.jitrun.bootstrap", &err));
  assert_string_equal (err, "run.jitrun.bootstrap: [1]: expected string");
  free (err);
  assert_null (oci_json_parse_string_array ("{}", &n, "x", &err));
  assert_string_equal (err, "x: .: expected array");
  free (err);

  j = oci_json_int_array (ints, 3);
  assert_string_equal (j, "[1,-2,300]");
  free (j);
  j = oci_json_int_array (NULL, 0);
  assert_string_equal (j, "[]");
  free (j);

  j = oci_json_log_record ("error", "container \"x\" failed", "2024-01-01T00:00:00Z");
  assert_string_equal (
      j, "{\"level\":\"error\",\"msg\":\"container \\\"x\\\" failed\",\"time\":\"2024-01-01T00:00:00Z\"}");
  free (j);
}

static void
test_jvalue (void **state)
{
  (void)state;
  struct oci_jvalue *o = oci_jobject_new (), *a = oci_jarray_new (), *inner = oci_jobject_new (), *p;
  const struct oci_jvalue *x;
  char *j, *err = NULL;
  int64_t i;
  bool b;

  oci_jobject_set_str (o, "type", "stats");
  oci_jobject_set_int (o, "neg", -7);
  oci_jobject_set_uint (o, "big", UINT64_MAX);
  oci_jobject_set_double (o, "ratio", 0.5);
  oci_jobject_set_bool (o, "ok", true);
  oci_jobject_set_int (o, "neg", -8); /* replaces, keeps position */
  oci_jarray_append_str (a, "x");
  oci_jobject_set_int (inner, "n", 3);
  oci_jarray_append (a, inner);
  oci_jobject_set (o, "list", a);
  oci_jobject_set_str (o, "nothing", NULL);
  j = oci_jvalue_to_json (o, false);
  assert_string_equal (
      j, "{\"type\":\"stats\",\"neg\":-8,\"big\":18446744073709551615,\"ratio\":0.5,\"ok\":true,"
         "\"list\":[\"x\",{\"n\":3}],\"nothing\":null}");
  p = oci_jvalue_parse (j, strlen (j), &err);
  assert_non_null (p);
  assert_int_equal (oci_jobject_len (p), 7);
  assert_string_equal (oci_jobject_key_at (p, 1), "neg");
  assert_true (oci_jvalue_int (oci_jobject_value_at (p, 1), &i));
  assert_int_equal (i, -8);
  assert_false (oci_jvalue_int (oci_jobject_get (p, "big"), &i)); /* does not fit */
  assert_false (oci_jvalue_int (oci_jobject_get (p, "ratio"), &i));
  assert_false (oci_jvalue_int (oci_jobject_get (p, "type"), &i));
  assert_string_equal (oci_jvalue_str (oci_jobject_get (p, "type")), "stats");
  assert_null (oci_jvalue_str (oci_jobject_get (p, "neg")));
  assert_true (oci_jvalue_bool (oci_jobject_get (p, "ok"), &b));
  assert_true (b);
  assert_false (oci_jvalue_bool (oci_jobject_get (p, "type"), &b));
  x = oci_jobject_get (p, "list");
  assert_int_equal (oci_jarray_len (x), 2);
  assert_string_equal (oci_jvalue_str (oci_jarray_get (x, 0)), "x");
  assert_true (oci_jvalue_int (oci_jobject_get (oci_jarray_get (x, 1), "n"), &i));
  assert_int_equal (i, 3);
  assert_null (oci_jarray_get (x, 2));
  assert_null (oci_jobject_get (p, "missing"));
  assert_null (oci_jobject_key_at (p, 99));
  free (j);
  j = oci_jvalue_to_json (p, true);
  assert_non_null (strstr (j, "\n\t\"type\": \"stats\""));
  free (j);
  oci_jvalue_free (p);
  oci_jvalue_free (o);

  assert_null (oci_jvalue_parse (LIT ("{"), &err));
  assert_non_null (strstr (err, "invalid JSON"));
  free (err);
  p = oci_jvalue_parse (LIT ("1e3"), &err);
  assert_true (oci_jvalue_int (p, &i));
  assert_int_equal (i, 1000);
  oci_jvalue_free (p);
}

static const char MANIFEST[]
    = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
      "\"artifactType\":\"application/vnd.example+type\","
      "\"config\":{\"mediaType\":\"application/"
      "vnd.oci.image.config.v1+json\",\"digest\":\"sha256:aa\",\"size\":7023},"
      "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:bb\","
      "\"size\":32654,\"urls\":[\"https://example.invalid/l\"]},"
      "{\"mediaType\":\"application/"
      "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:cc\",\"size\":16724,"
      "\"annotations\":{\"org.opencontainers.image.title\":\"l2\"}}],"
      "\"subject\":{\"mediaType\":\"application/"
      "vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:dd\",\"size\":1},"
      "\"annotations\":{\"com.example.key1\":\"value1\"}}";

static void
test_image_manifest (void **state)
{
  (void)state;
  char *err = NULL, *j;
  struct oci_image_manifest *m = oci_image_manifest_parse (MANIFEST, strlen (MANIFEST), "manifest", &err),
                            *m2;
  assert_non_null (m);
  assert_int_equal (m->schema_version, 2);
  assert_string_equal (m->artifact_type, "application/vnd.example+type");
  assert_string_equal (m->config.digest, "sha256:aa");
  assert_int_equal (m->config.size, 7023);
  assert_int_equal (m->layers_len, 2);
  assert_string_equal (m->layers[0].urls[0], "https://example.invalid/l");
  assert_string_equal (oci_string_map_get (&m->layers[1].annotations, "org.opencontainers.image.title"),
                       "l2");
  assert_string_equal (m->subject->digest, "sha256:dd");
  assert_string_equal (oci_string_map_get (&m->annotations, "com.example.key1"), "value1");
  j = oci_image_manifest_to_json (m, false);
  assert_string_equal (j, MANIFEST); /* compact output is byte-identical here */
  m2 = oci_image_manifest_parse (j, strlen (j), "manifest", &err);
  assert_non_null (m2);
  assert_int_equal (m2->layers[1].size, 16724);
  free (j);
  oci_image_manifest_free (m);
  oci_image_manifest_free (m2);

  assert_null (oci_image_manifest_parse (LIT ("{\"layers\":[{\"size\":\"1\"}]}"), "manifest", &err));
  assert_string_equal (err, "manifest: .layers[0].size: expected integer");
  free (err);
  assert_null (oci_image_manifest_parse (LIT ("{\"config\":{\"size\":-1}}"), "manifest", &err));
  assert_string_equal (err, "manifest: .config.size: integer -1 out of range [0, 9223372036854775807]");
  free (err);
}

static void
test_image_index (void **state)
{
  (void)state;
  const char *json
      = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
        "{\"mediaType\":\"application/"
        "vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:e6\",\"size\":7143,"
        "\"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"application/"
        "vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:5b\",\"size\":7682,"
        "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"os.version\":\"10.0\",\"variant\":"
        "\"v8\"}}],"
        "\"annotations\":{\"com.example.key1\":\"value1\"}}";
  char *err = NULL, *j;
  struct oci_image_index *idx = oci_image_index_parse (json, strlen (json), "index", &err);
  struct oci_descriptor *d;
  assert_non_null (idx);
  assert_int_equal (idx->manifests_len, 2);
  assert_string_equal (idx->manifests[0].platform->architecture, "ppc64le");
  assert_null (idx->manifests[0].platform->variant);
  assert_string_equal (idx->manifests[1].platform->variant, "v8");
  assert_string_equal (idx->manifests[1].platform->os_version, "10.0");
  assert_int_equal (idx->manifests[1].size, 7682);
  j = oci_image_index_to_json (idx, false);
  assert_string_equal (j, json);
  free (j);
  oci_image_index_free (idx);

  d = oci_descriptor_parse (LIT ("{\"digest\":\"sha256:1\",\"size\":3}"), "descriptor", &err);
  assert_non_null (d);
  j = oci_descriptor_to_json (d, false);
  assert_string_equal (j, "{\"digest\":\"sha256:1\",\"size\":3}");
  free (j);
  oci_descriptor_free (d);

  assert_null (oci_image_index_parse (LIT ("{\"manifests\":[{\"platform\":{\"os\":1}}]}"), "index", &err));
  assert_string_equal (err, "index: .manifests[0].platform.os: expected string");
  free (err);
}

static void
test_image_config (void **state)
{
  (void)state;
  const char *json
      = "{\"created\":\"2015-10-31T22:22:56.015925234Z\",\"author\":\"A\",\"architecture\":\"amd64\",\"os\":"
        "\"linux\","
        "\"config\":{\"User\":\"alice\",\"ExposedPorts\":{\"8080/tcp\":{}},\"Env\":[\"PATH=/bin\"],"
        "\"Entrypoint\":[\"/bin/my-app-binary\"],\"Cmd\":[\"--foreground\"],\"Volumes\":{\"/var/"
        "job-result-data\":{}},"
        "\"WorkingDir\":\"/home/"
        "alice\",\"Labels\":{\"com.example.project.git.url\":\"u\"},\"StopSignal\":\"SIGTERM\"},"
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:c6\",\"sha256:5f\"]},"
        "\"history\":[{\"created\":\"2015-10-31T22:22:54.690851953Z\",\"created_by\":\"/bin/sh -c #(nop) "
        "ADD\"},"
        "{\"created\":\"2015-10-31T22:22:55.613815829Z\",\"created_by\":\"/bin/sh -c #(nop) CMD "
        "[\\\"sh\\\"]\","
        "\"empty_layer\":true}]}";
  char *err = NULL, *j;
  struct oci_image_config *c = oci_image_config_parse (json, strlen (json), "image config", &err);
  assert_non_null (c);
  assert_string_equal (c->architecture, "amd64");
  assert_true (c->has_config);
  assert_string_equal (c->config.user, "alice");
  assert_string_equal (c->config.exposed_ports[0], "8080/tcp");
  assert_string_equal (c->config.entrypoint[0], "/bin/my-app-binary");
  assert_string_equal (c->config.cmd[0], "--foreground");
  assert_string_equal (c->config.volumes[0], "/var/job-result-data");
  assert_string_equal (c->config.working_dir, "/home/alice");
  assert_string_equal (oci_string_map_get (&c->config.labels, "com.example.project.git.url"), "u");
  assert_string_equal (c->config.stop_signal, "SIGTERM");
  assert_string_equal (c->rootfs_type, "layers");
  assert_int_equal (c->diff_ids_len, 2);
  assert_int_equal (c->history_len, 2);
  assert_false (c->history[0].empty_layer);
  assert_true (c->history[1].empty_layer);
  j = oci_image_config_to_json (c, false);
  assert_string_equal (j, json);
  free (j);
  oci_image_config_free (c);

  c = oci_image_config_parse (LIT ("{\"architecture\":\"arm64\"}"), "image config", &err);
  assert_non_null (c);
  assert_false (c->has_config);
  assert_null (c->config.cmd);
  oci_image_config_free (c);

  assert_null (oci_image_config_parse (LIT ("{\"config\":{\"Cmd\":\"sh\"}}"), "image config", &err));
  assert_string_equal (err, "image config: .config.Cmd: expected array");
  free (err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_full_config),
    cmocka_unit_test (test_round_trip),
    cmocka_unit_test (test_empty_and_absent),
    cmocka_unit_test (test_type_errors),
    cmocka_unit_test (test_range_errors),
    cmocka_unit_test (test_invalid_json),
    cmocka_unit_test (test_duplicate_keys),
    cmocka_unit_test (test_parse_file),
    cmocka_unit_test (test_big_config_fast),
    cmocka_unit_test (test_process),
    cmocka_unit_test (test_resources),
    cmocka_unit_test (test_state),
    cmocka_unit_test (test_features),
    cmocka_unit_test (test_string_map),
    cmocka_unit_test (test_map_free_and_uint_array),
    cmocka_unit_test (test_small_documents),
    cmocka_unit_test (test_jvalue),
    cmocka_unit_test (test_image_manifest),
    cmocka_unit_test (test_image_index),
    cmocka_unit_test (test_image_config),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
