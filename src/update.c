/* jitrun update: change the resource limits of a running container. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libjitrun/utils.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun update [command options] <container-id>\n"
                            "\n"
                            "Update the container's cgroup limits.  With --resources, the file (or\n"
                            "stdin for `-`) holds a runtime-spec LinuxResources JSON object and every\n"
                            "other option is ignored.  Sizes accept k, m, g suffixes (64m).\n"
                            "\n"
                            "OPTIONS:\n"
                            "   --resources FILE, -r FILE   LinuxResources JSON, `-` for stdin\n"
                            "   --blkio-weight N            block IO weight (10 to 1000)\n"
                            "   --cpu-period N              CPU CFS period (usecs)\n"
                            "   --cpu-quota N               CPU CFS quota (usecs) per period\n"
                            "   --cpu-share N               CPU shares (also --cpu-shares)\n"
                            "   --cpu-rt-period N           CPU realtime period (usecs)\n"
                            "   --cpu-rt-runtime N          CPU realtime runtime (usecs) per period\n"
                            "   --cpuset-cpus LIST          CPUs to use (0-3,5)\n"
                            "   --cpuset-mems LIST          memory nodes to use\n"
                            "   --memory SIZE               memory limit\n"
                            "   --memory-reservation SIZE   memory soft limit\n"
                            "   --memory-swap SIZE          memory + swap limit; -1 for unlimited swap\n"
                            "   --kernel-memory SIZE        kernel memory limit (cgroup v1)\n"
                            "   --kernel-memory-tcp SIZE    kernel TCP buffer limit (cgroup v1)\n"
                            "   --pids-limit N              maximum number of pids\n";

enum
{
  OPT_BLKIO_WEIGHT = 256,
  OPT_CPU_PERIOD,
  OPT_CPU_QUOTA,
  OPT_CPU_SHARES,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_MEMORY,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_PIDS_LIMIT,
  OPT_L3_CACHE_SCHEMA,
  OPT_MEM_BW_SCHEMA,
};

/* A memory size: "-1" means unlimited, as docker/runc accept. */
static int
parse_mem (const char *option, const char *s, int64_t *out, jr_error_t *err)
{
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (jr_parse_size (s, out, err) < 0)
    return jr_error_wrap (err, "update: %s", option);
  return 0;
}

static int
read_resources (const char *path, struct oci_linux_resources **out, jr_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *errmsg = NULL;
  const char *what = strcmp (path, "-") == 0 ? "stdin" : path;
  size_t len = 0;

  if (strcmp (path, "-") == 0)
    {
      size_t cap = 4096;
      ssize_t r;

      buf = xmalloc (cap);
      while ((r = read (STDIN_FILENO, buf + len, cap - len - 1)) != 0)
        {
          if (r < 0 && errno == EINTR)
            continue;
          if (r < 0)
            return jr_error (err, errno, "update: read resources from stdin");
          len += r;
          if (cap - len < 2)
            buf = xrealloc (buf, cap *= 2);
        }
      buf[len] = '\0';
    }
  else if (jr_read_file_at (AT_FDCWD, path, &buf, &len, err) < 0)
    return jr_error_wrap (err, "update: --resources");

  *out = oci_linux_resources_parse (buf, len, what, &errmsg);
  if (*out == NULL)
    return jr_error (err, 0, "update: %s", errmsg ? errmsg : "invalid resources");
  return 0;
}

int
jr_cmd_update (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
    { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
    { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
    { "cpu-share", required_argument, NULL, OPT_CPU_SHARES },
    { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
    { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
    { "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "l3-cache-schema", required_argument, NULL, OPT_L3_CACHE_SCHEMA },
    { "mem-bw-schema", required_argument, NULL, OPT_MEM_BW_SCHEMA },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "update", usage, "r:h", longopts };
  struct oci_memory memory = { 0 };
  struct oci_cpu cpu = { 0 };
  struct oci_pids pids = { 0 };
  struct oci_block_io block_io = { 0 };
  struct oci_linux_resources flags = { 0 };
  struct oci_linux_resources *from_file = NULL;
  const char *resources_path = NULL;
  bool any_memory = false, any_cpu = false;
  uint64_t u;
  int64_t i;
  int ret;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    {
      switch (c)
        {
        case 'r':
          resources_path = optarg;
          break;
        case OPT_BLKIO_WEIGHT:
          if (jr_cli_parse_uint64 ("--blkio-weight", optarg, &u, err) < 0)
            return -1;
          if (u > 1000 || (u != 0 && u < 10))
            return jr_error (err, 0, "update: --blkio-weight `%s`: must be between 10 and 1000", optarg);
          block_io.has_weight = true;
          block_io.weight = (uint16_t)u;
          flags.block_io = &block_io;
          break;
        case OPT_CPU_PERIOD:
          if (jr_cli_parse_uint64 ("--cpu-period", optarg, &cpu.period, err) < 0)
            return -1;
          cpu.has_period = any_cpu = true;
          break;
        case OPT_CPU_QUOTA:
          if (jr_cli_parse_int64 ("--cpu-quota", optarg, &cpu.quota, err) < 0)
            return -1;
          cpu.has_quota = any_cpu = true;
          break;
        case OPT_CPU_SHARES:
          if (jr_cli_parse_uint64 ("--cpu-share", optarg, &cpu.shares, err) < 0)
            return -1;
          cpu.has_shares = any_cpu = true;
          break;
        case OPT_CPU_RT_PERIOD:
          if (jr_cli_parse_uint64 ("--cpu-rt-period", optarg, &cpu.realtime_period, err) < 0)
            return -1;
          cpu.has_realtime_period = any_cpu = true;
          break;
        case OPT_CPU_RT_RUNTIME:
          if (jr_cli_parse_int64 ("--cpu-rt-runtime", optarg, &cpu.realtime_runtime, err) < 0)
            return -1;
          cpu.has_realtime_runtime = any_cpu = true;
          break;
        case OPT_CPUSET_CPUS:
          cpu.cpus = optarg;
          any_cpu = true;
          break;
        case OPT_CPUSET_MEMS:
          cpu.mems = optarg;
          any_cpu = true;
          break;
        case OPT_MEMORY:
          if (parse_mem ("--memory", optarg, &memory.limit, err) < 0)
            return -1;
          memory.has_limit = any_memory = true;
          break;
        case OPT_MEMORY_RESERVATION:
          if (parse_mem ("--memory-reservation", optarg, &memory.reservation, err) < 0)
            return -1;
          memory.has_reservation = any_memory = true;
          break;
        case OPT_MEMORY_SWAP:
          if (parse_mem ("--memory-swap", optarg, &memory.swap, err) < 0)
            return -1;
          memory.has_swap = any_memory = true;
          break;
        case OPT_KERNEL_MEMORY:
          if (parse_mem ("--kernel-memory", optarg, &memory.kernel, err) < 0)
            return -1;
          memory.has_kernel = any_memory = true;
          break;
        case OPT_KERNEL_MEMORY_TCP:
          if (parse_mem ("--kernel-memory-tcp", optarg, &memory.kernel_tcp, err) < 0)
            return -1;
          memory.has_kernel_tcp = any_memory = true;
          break;
        case OPT_PIDS_LIMIT:
          if (jr_cli_parse_int64 ("--pids-limit", optarg, &i, err) < 0)
            return -1;
          pids.has_limit = true;
          pids.limit = i;
          flags.pids = &pids;
          break;
        case OPT_L3_CACHE_SCHEMA:
        case OPT_MEM_BW_SCHEMA:
          return jr_error (err, 0, "update: Intel RDT is not supported by jitrun");
        default:
          break;
        }
    }
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 1, 1, err) < 0)
    return -1;

  if (resources_path != NULL)
    {
      if (read_resources (resources_path, &from_file, err) < 0)
        return -1;
      ret = jr_container_update (g, argv[optind], from_file, err);
      oci_linux_resources_free (from_file);
      return ret < 0 ? -1 : 0;
    }

  if (any_memory)
    flags.memory = &memory;
  if (any_cpu)
    flags.cpu = &cpu;
  return jr_container_update (g, argv[optind], &flags, err) < 0 ? -1 : 0;
}
